#pragma once

#include <algorithm>    // std::min, std::sort
#include <cmath>        // std::isnan
#include <limits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/search_session.hpp"
#include "mlpipe/tuning/space.hpp"

namespace mlpipe {

// random_search_options -- grid_search's options, with the number of candidates, the seed, and the journal,
// progress and time budget every strategy has.
struct random_search_options {
  int n_iter = 10;                  // candidates to draw (at most the grid's size when every axis is a list)
  std::int64_t seed = 0;            // numpy RandomState seed of the draws (scikit-learn's random_state)
  any_splitter cv{};                // the splits; empty: 5 folds, stratified for classifiers
  row_ids groups{};                 // one group id per row, for the group splitters
  scoring_list scoring{};           // the scorers; the first one ranks candidates. Empty: accuracy or r2
  int n_jobs = 1;                   // threads; -1: every core. Same result for any value
  bool refit = true;                // refit the best candidate on all rows
  bool return_train_score = false;  // also score each model on its training rows
  bool reuse = true;                // fit a pipeline prefix shared by several candidates once per split
  bool warm_start = true;           // fit along the last step's warm_start_param from the previous solution
  std::optional<std::size_t> max_cache_bytes{};  // memory for shared prefix outputs (see search_options)
  std::string journal{};            // a file recording each finished task; rerunning the same search resumes from it
  progress_callback on_progress{};  // called after each finished task (mp::progress_bar() draws a bar)
  double max_time = 0.0;            // seconds; past them no task starts and the table is marked partial. 0: no limit
};

// random_search -- scikit-learn's RandomizedSearchCV as a stage: n_iter candidates drawn from the space as
// ParameterSampler draws them for the same seed (without replacement when every axis is a list), each scored on every
// split like grid_search's candidates (prefix reuse, warm starts, any n_jobs with the same result), the best refitted.
template <class Spec>
struct random_search {
  static_assert(stage<Spec>, "mlpipe: random_search{spec, space, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = "random_search";
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted, "random_search">;

  Spec estimator;
  space_list space;
  random_search_options options;

  random_search(Spec estimator, space_list space, random_search_options options = {})
      : estimator(std::move(estimator)), space(std::move(space)), options(std::move(options)) {}

  // The candidates, in the order scikit-learn's ParameterSampler(space, n_iter, random_state=seed) yields them.
  std::vector<param_set> candidates() const {
    numpy_random_state rng(static_cast<std::uint32_t>(options.seed));
    return space.sample(static_cast<std::size_t>(options.n_iter), rng);
  }

  fitted fit(const matrix_view& X, const vector_view& y) const {
    if (options.n_iter <= 0)
      throw invalid_parameter("n_iter = " + std::to_string(options.n_iter) + " is out of range; expected n_iter >= 1",
                              kind);
    const search_options common = detail::common_options(options);
    const search_budget budget = detail::budget_of(options);
    detail::check_common(kind, options.seed, common, budget);
    check_space(estimator, space, kind);
    std::vector<param_set> drawn = candidates();
    detail::search_session<Spec> session(estimator, common, budget, kind, options.seed,
                                         "n_iter=" + std::to_string(options.n_iter) + ";" + detail::describe_space(space),
                                         X, y);
    session.set_total(drawn.size() * session.splits().size());
    detail::refit_start<Spec> shared;  // the refit's part every candidate shares, fitted beside the tasks
    search_results results = session.run_round(0, std::move(drawn), session.splits(), options.refit ? &shared : nullptr);
    return session.template finish<"random_search">(std::move(results), &shared);
  }
};

template <class Spec>
random_search(Spec, space_list, random_search_options) -> random_search<Spec>;
template <class Spec>
random_search(Spec, space_list) -> random_search<Spec>;

// sampler_search_options -- a sampler-driven search's options: how many trials, how many proposed at once, and
// grid_search's options with the journal, progress and time budget.
struct sampler_search_options {
  int n_trials = 50;                // trials to ask the sampler for
  std::int64_t seed = 0;            // the sampler's seed (a sampler built by the search takes it; the journal checks it)
  any_splitter cv{};                // the splits; empty: 5 folds, stratified for classifiers
  row_ids groups{};                 // one group id per row, for the group splitters
  scoring_list scoring{};           // the scorers; the first one's mean test score is told to the sampler
  int n_jobs = 1;                   // threads; -1: every core. Same result for any value
  bool refit = true;                // refit the best candidate on all rows
  bool return_train_score = false;  // also score each model on its training rows
  bool reuse = true;                // fit a pipeline prefix shared by several candidates once per split
  bool warm_start = true;           // fit along the last step's warm_start_param from the previous solution
  std::optional<std::size_t> max_cache_bytes{};  // memory for shared prefix outputs (see search_options)
  std::string journal{};            // a file recording each finished task; rerunning the same search resumes from it
  progress_callback on_progress{};  // called after each finished task (mp::progress_bar() draws a bar)
  double max_time = 0.0;            // seconds; past them no trial starts and the table is marked partial. 0: no limit
  // Trials asked before any of them is told (evaluated together, their tasks in parallel). Fixed, never n_jobs, so the
  // proposals, and so the results, are the same for any n_jobs. 1: each proposal knows every earlier result.
  int batch = 1;
  // The median pruner: a trial whose running mean test score after s splits is below the median of the completed
  // trials' running means after s splits stops there (its other splits are not run; column "pruned" = 1, and the
  // sampler is told its running mean). Each batch is then evaluated one split at a time.
  bool prune = false;
};

// sampler_search -- a search driven by an ask/tell sampler (tpe_sampler, random_sampler, your own): trials asked in
// batches of options.batch, each batch's candidates scored on every split like grid_search's, then told to the
// sampler in trial order with their first scorer's mean test score (the value to maximize). The table has a "trial"
// column. Kind names it (tpe_search is sampler_search<Spec, tpe_sampler, "tpe_search">).
template <class Spec, sampler Sampler, fixed_string Kind = "sampler_search">
struct sampler_search {
  static_assert(stage<Spec>, "mlpipe: sampler_search{spec, sampler, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = Kind.view();
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted, Kind>;

  Spec estimator;
  Sampler proposer;  // copied by each fit, so that fit stays const and repeatable
  sampler_search_options options;
  std::optional<space_list> space;  // when given: checked against the spec before any fit, and fingerprinted

  sampler_search(Spec estimator, Sampler proposer, sampler_search_options options = {},
                 std::optional<space_list> space = std::nullopt)
      : estimator(std::move(estimator)), proposer(std::move(proposer)), options(std::move(options)),
        space(std::move(space)) {}

  fitted fit(const matrix_view& X, const vector_view& y) const {
    if (options.n_trials <= 0)
      throw invalid_parameter("n_trials = " + std::to_string(options.n_trials) +
                                  " is out of range; expected n_trials >= 1",
                              kind);
    if (options.batch <= 0)
      throw invalid_parameter("batch = " + std::to_string(options.batch) + " is out of range; expected batch >= 1",
                              kind);
    const search_options common = detail::common_options(options);
    const search_budget budget = detail::budget_of(options);
    detail::check_common(kind, options.seed, common, budget);
    if (space) check_space(estimator, *space, kind);
    detail::search_session<Spec> session(
        estimator, common, budget, kind, options.seed,
        "n_trials=" + std::to_string(options.n_trials) + ";batch=" + std::to_string(options.batch) + ";" +
            (space ? detail::describe_space(*space) : std::string()),
        X, y);
    const std::size_t n_splits = session.splits().size();
    session.set_total(static_cast<std::size_t>(options.n_trials) * n_splits);
    Sampler s = proposer;
    search_results table;
    std::vector<std::vector<double>> completed;  // the pruner's record: each completed trial's running means
    std::size_t round = 0;
    for (int asked = 0; asked < options.n_trials && !session.stopped(); ++round) {
      const int k = std::min(options.batch, options.n_trials - asked);
      std::vector<trial> trials;
      std::vector<param_set> candidates;
      for (int i = 0; i < k; ++i) {
        trials.push_back(s.ask());
        candidates.push_back(trials.back().params);
      }
      asked += k;
      search_results results = options.prune ? run_pruned(session, round, std::move(candidates), completed)
                                             : session.run_round(round, std::move(candidates), session.splits());
      std::vector<double> numbers;
      for (const auto& t : trials) numbers.push_back(static_cast<double>(t.number));
      results.set_column("trial", std::move(numbers));
      if (!results.partial()) {
        const std::vector<double> told = options.prune ? running_means(results) : results.mean_test_score();
        // A candidate whose fits failed (NaN) is the worst possible outcome for the sampler, not an error.
        for (std::size_t i = 0; i < trials.size(); ++i)
          s.tell(trials[i], std::isnan(told[i]) ? -std::numeric_limits<double>::infinity() : told[i]);
      }
      table.append(results);
    }
    return session.template finish<Kind>(std::move(table));
  }

 private:
  // Each candidate's mean test score over the splits it ran (all of them unless pruned).
  static std::vector<double> running_means(const search_results& r) {
    std::vector<double> out;
    for (std::size_t c = 0; c < r.n_candidates(); ++c) {
      double sum = 0.0;
      std::size_t n = 0;
      for (std::size_t sp = 0; sp < r.n_splits(); ++sp) {
        const double x = r.split_test_score(c, sp);
        if (std::isnan(x)) continue;
        sum += x;
        ++n;
      }
      out.push_back(n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN());
    }
    return out;
  }

  // The median of values (the mean of the two middle ones for an even count).
  static double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  }

  // A batch evaluated one split at a time with the median pruner (rounds round * n_splits + split in the journal).
  static search_results run_pruned(detail::search_session<Spec>& session, std::size_t round,
                                   std::vector<param_set> candidates, std::vector<std::vector<double>>& completed) {
    const std::size_t n_splits = session.splits().size();
    const std::size_t n = candidates.size();
    search_results batch(candidates, scorer_names_of_session(session), n_splits,
                         session.options().return_train_score);
    std::vector<char> alive(n, 1);
    std::vector<double> pruned(n, 0.0), sums(n, 0.0);
    std::vector<std::vector<double>> running(n);
    long fits = 0, naive = 0;
    for (std::size_t sp = 0; sp < n_splits && !session.stopped(); ++sp) {
      std::vector<std::size_t> ids;
      std::vector<param_set> now;
      for (std::size_t c = 0; c < n; ++c)
        if (alive[c]) {
          ids.push_back(c);
          now.push_back(candidates[c]);
        }
      if (ids.empty()) break;
      const search_results r = session.run_round(round * n_splits + sp, std::move(now), {session.splits()[sp]});
      fits += r.stage_fits();
      naive += r.stage_fits_without_reuse();
      if (r.partial()) batch.set_partial(true);
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::size_t c = ids[i];
        batch.record(c, sp, r.split_test_scores(i, 0), r.split_train_scores(i, 0), r.split_fit_time(i, 0),
                     r.split_score_time(i, 0));
        sums[c] += r.split_test_score(i, 0);
        running[c].push_back(sums[c] / static_cast<double>(sp + 1));
        if (sp + 1 == n_splits || r.partial()) continue;
        std::vector<double> others;
        for (const auto& done : completed) others.push_back(done[sp]);
        if (!others.empty() && running[c].back() < median(others)) {
          alive[c] = 0;
          pruned[c] = 1.0;
        }
      }
    }
    for (std::size_t c = 0; c < n; ++c)
      if (alive[c] && running[c].size() == n_splits) completed.push_back(running[c]);
    batch.set_stage_fits(fits, naive);
    batch.set_column("pruned", std::move(pruned));
    return batch;
  }

  static std::vector<std::string> scorer_names_of_session(const detail::search_session<Spec>& session) {
    return detail::scorer_names_of(session.scorers());
  }
};

}  // namespace mlpipe
