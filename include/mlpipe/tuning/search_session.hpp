#pragma once

#include <atomic>
#include <chrono>
#include <cmath>        // std::isnan
#include <cstdint>
#include <exception>
#include <memory>       // std::unique_ptr
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/tuning/evaluate.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/journal.hpp"
#include "mlpipe/tuning/progress.hpp"
#include "mlpipe/tuning/search_results.hpp"
#include "mlpipe/tuning/space.hpp"

// What every search strategy shares beyond grid_search's engine (evaluate_candidates): rounds of candidates (a
// halving iteration, a batch of trials), each evaluated on every split with prefix reuse and warm starts; the
// journal that lets a killed search resume; progress reports; the time budget; and the refit of the best candidate.

namespace mlpipe {

// search_budget -- the options every strategy adds to grid_search's: a journal to resume from, a progress callback
// and a time budget.
struct search_budget {
  std::string journal{};            // a file recording each finished task; a rerun of the same search resumes from it
  progress_callback on_progress{};  // called after each finished task (mp::progress_bar() draws a bar)
  double max_time = 0.0;            // seconds; past them no task starts and the table is marked partial. 0: no limit
};

namespace detail {

// The grid_search options within a strategy's options (same field names).
template <class O>
search_options common_options(const O& o) {
  return search_options{.cv = o.cv, .groups = o.groups, .scoring = o.scoring, .n_jobs = o.n_jobs, .refit = o.refit,
                        .return_train_score = o.return_train_score, .reuse = o.reuse, .warm_start = o.warm_start,
                        .max_cache_bytes = o.max_cache_bytes};
}
template <class O>
search_budget budget_of(const O& o) {
  return search_budget{.journal = o.journal, .on_progress = o.on_progress, .max_time = o.max_time};
}

// Checks the options every strategy shares, before anything is fitted.
inline void check_common(std::string_view kind, std::int64_t seed, const search_options& options,
                         const search_budget& budget) {
  if (seed < 0 || seed > 4294967295LL)
    throw invalid_parameter("seed = " + std::to_string(seed) + " is out of range; expected 0 <= seed <= 4294967295",
                            kind);
  if (!(budget.max_time >= 0.0) || !std::isfinite(budget.max_time))
    throw invalid_parameter("max_time = " + format_double(budget.max_time) +
                                " is out of range; expected max_time >= 0 seconds (0: no limit)",
                            kind);
  try {
    resolve_n_jobs(options.n_jobs);
  } catch (error& e) {
    e.add_kind(kind);
    throw;
  }
}

// A space as text, for fingerprints: each space's axes, "path=distribution;".
inline std::string describe_space(const space_list& spaces) {
  std::string out;
  for (const auto& s : spaces.spaces()) {
    for (const auto& axis : s.axes()) out += axis.path + "=" + axis.dist.describe() + ";";
    out += "|";
  }
  return out;
}

// One search's run: its splits and scorers, its journal, its progress and its stop flag.
template <class Spec>
class search_session {
 public:
  // description: the strategy's own settings and space as text (for the journal's fingerprint).
  search_session(const Spec& estimator, search_options options, search_budget budget, std::string_view kind,
                 std::int64_t seed, const std::string& description, const matrix_view& X, const vector_view& y)
      : estimator_(estimator), options_(std::move(options)), budget_(std::move(budget)), kind_(kind), X_(X), y_(y),
        start_(std::chrono::steady_clock::now()) {
    try {
      scorers_ = resolve_scoring(estimator_, options_.scoring);
    } catch (error& e) {
      e.add_kind(kind_);
      throw;
    }
    check_target_rows(kind_, X, y);
    splits_ = splits_or_default(estimator_, options_.cv, X, y, options_.groups);
    if (!budget_.journal.empty()) {
      fingerprint search;
      search.add(kind).add(description);
      for (const auto& name : mlpipe::param_names(estimator)) search.add(name).add(format_value(get_param(estimator, name)));
      for (const auto& name : scorer_names_of(scorers_)) search.add(name);
      search.add(options_.return_train_score ? "train" : "test");
      for (const auto& sp : splits_) {
        search.add(static_cast<double>(sp.train.size()));
        for (const index i : sp.train) search.add(static_cast<double>(i));
        search.add(static_cast<double>(sp.test.size()));
        for (const index i : sp.test) search.add(static_cast<double>(i));
      }
      fingerprint data;
      data.add(X).add(y);
      journal_ = std::make_unique<search_journal>(
          budget_.journal, journal_identity{std::string(kind), search.hex(), data.hex(), seed});
    }
  }

  const std::vector<split>& splits() const { return splits_; }
  const std::vector<scorer>& scorers() const { return scorers_; }
  const search_options& options() const { return options_; }
  // The number of (candidate, split) tasks the whole search will run, for progress reports.
  void set_total(std::size_t tasks) { progress_.tasks_total = tasks; }
  // True once the time budget ran out or the progress callback failed: no further round should start.
  bool stopped() const { return stop_.load(); }

  // The specs of candidates, each checked (paths, value types, ranges) before anything is fitted.
  std::vector<Spec> specs_of(const std::vector<param_set>& candidates) const {
    std::vector<Spec> specs;
    specs.reserve(candidates.size());
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      Spec spec = estimator_;
      try {
        for (const auto& [path, value] : candidates[c]) mlpipe::set_param(spec, path, value);
        validate_all(spec);
      } catch (error& e) {
        note_candidate(e, c, candidates[c]);
        e.add_kind(kind_);
        throw;
      }
      specs.push_back(std::move(spec));
    }
    return specs;
  }

  // Evaluates one round of candidates on the given splits (the session's, or subsampled ones): tasks the journal
  // holds are read back, the others run and are journaled as they finish. refit (optional, for a search's only
  // round): gets the part of the refit every candidate shares, fitted beside the tasks (see finish).
  search_results run_round(std::size_t round, std::vector<param_set> candidates, const std::vector<split>& splits,
                           refit_start<Spec>* refit = nullptr) {
    const std::vector<Spec> specs = specs_of(candidates);
    search_results results(std::move(candidates), scorer_names_of(scorers_), splits.size(),
                           options_.return_train_score);
    std::vector<std::size_t> splits_done(results.n_candidates(), 0);
    task_hooks hooks;
    hooks.skip = [&](std::span<const std::size_t> group, std::size_t s) {
      if (!journal_) return false;
      for (const std::size_t c : group)
        if (journal_->find(round, c, s) == nullptr) return false;
      for (const std::size_t c : group) {
        const journal_record& r = *journal_->find(round, c, s);
        results.record(c, s, r.test, r.train, r.fit_time, r.score_time);
      }
      done(results, group, splits_done, false);
      return true;
    };
    hooks.stop = [&] {
      if (!stop_ && budget_.max_time > 0.0 && seconds_since(start_) > budget_.max_time) {
        timed_out_ = true;
        stop_ = true;
      }
      return stop_.load();
    };
    hooks.finished = [&](std::span<const std::size_t> group, std::size_t s) {
      if (journal_) {
        std::string lines;
        for (const std::size_t c : group) {
          const journal_record r{results.split_test_scores(c, s), results.split_train_scores(c, s),
                                 results.split_fit_time(c, s), results.split_score_time(c, s)};
          lines += search_journal::record_line(round, c, s, r);
        }
        journal_->append(lines);
      }
      done(results, group, splits_done, true);
    };
    evaluate_candidates(specs, results, X_, y_, splits, scorers_, options_, &hooks, refit);
    if (stop_) results.set_partial(true);
    return results;
  }

  // Ends the search: reports a failed progress callback, marks a stopped search's table partial, and refits the best
  // candidate (results.best_index()) on all rows when asked, from shared (what run_round fitted of it), if given.
  template <fixed_string Kind>
  fitted_search<typename Spec::fitted, Kind> finish(search_results results, refit_start<Spec>* shared = nullptr) {
    if (callback_error_) {
      std::string what = "an exception that is not a std::exception";
      try {
        std::rethrow_exception(callback_error_);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      throw error("the progress callback threw (" + what + "); the search stopped after " +
                      std::to_string(progress_.tasks_done) + " of " + std::to_string(progress_.tasks_total) + " tasks" +
                      (journal_ ? ", all of them kept in the journal '" + journal_->path() + "'" : std::string()),
                  kind_);
    }
    if (stop_) results.set_partial(true);
    const std::size_t best = results.best_index();
    std::optional<typename Spec::fitted> model;
    double refit_time = 0.0;
    if (options_.refit && !std::isnan(results.mean_test_score()[best])) {
      const auto start = std::chrono::steady_clock::now();
      const double shared_seconds = shared != nullptr ? shared->seconds : 0.0;
      model = refit_best(specs_of({results.params()[best]}).front(), X_, y_, shared);
      refit_time = shared_seconds + seconds_since(start);
    }
    return fitted_search<typename Spec::fitted, Kind>(std::move(results), best, std::move(model), X_.cols(),
                                                      refit_time);
  }

 private:
  // A task finished (run now, or read back from the journal): counts it and tells the progress callback.
  void done(const search_results& results, std::span<const std::size_t> group, std::vector<std::size_t>& splits_done,
            bool ran) {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    progress_.tasks_done += group.size();
    if (ran) tasks_run_ += group.size();
    for (const std::size_t c : group) {
      if (++splits_done[c] < results.n_splits()) continue;
      double sum = 0.0;
      for (std::size_t s = 0; s < results.n_splits(); ++s) sum += results.split_test_score(c, s);
      const double mean = sum / static_cast<double>(results.n_splits());
      if (!std::isnan(mean) && (std::isnan(best_) || mean > best_)) best_ = mean;
    }
    if (!budget_.on_progress || callback_error_) return;
    progress_.best_score = best_;
    progress_.elapsed = seconds_since(start_);
    const std::size_t left = progress_.tasks_total > progress_.tasks_done ? progress_.tasks_total - progress_.tasks_done : 0;
    progress_.remaining = tasks_run_ > 0 ? progress_.elapsed / static_cast<double>(tasks_run_) * static_cast<double>(left)
                                         : std::numeric_limits<double>::quiet_NaN();
    try {
      budget_.on_progress(progress_);
    } catch (...) {
      callback_error_ = std::current_exception();
      stop_ = true;
    }
  }

  const Spec& estimator_;
  search_options options_;
  search_budget budget_;
  std::string_view kind_;
  matrix_view X_;
  vector_view y_;
  std::chrono::steady_clock::time_point start_;
  std::vector<scorer> scorers_;
  std::vector<split> splits_;
  std::unique_ptr<search_journal> journal_;
  std::mutex progress_mutex_;
  search_progress progress_{.best_score = std::numeric_limits<double>::quiet_NaN()};
  double best_ = std::numeric_limits<double>::quiet_NaN();
  std::size_t tasks_run_ = 0;
  std::atomic<bool> stop_{false};
  bool timed_out_ = false;
  std::exception_ptr callback_error_;
};

}  // namespace detail
}  // namespace mlpipe
