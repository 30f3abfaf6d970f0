#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>       // std::shared_ptr
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::index_sequence, std::move
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/reuse.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/search_results.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/scorers.hpp"

// How a search evaluates candidate x split tasks without repeating work:
// - prefix reuse: candidates whose earlier pipeline steps have the same parameters share, on each split, those
//   steps' fit and their transformed training and test rows (computed once, by whichever task needs them first);
// - precomputation: a stage with precompute() (select_k_best's scores) computes that part once per split and input;
// - warm starts: candidates that differ only in the last step's parameters are fitted in ascending order of its
//   warm_start_param (if it has one), each from the previous solution.
// The last step is fitted per candidate on the shared rows and scored on the shared test rows: the same arithmetic
// as fitting and scoring the whole pipeline, so the scores are the same as without reuse.
// Every shared value is a pure function of its key, so the results do not depend on n_jobs or on task order.

namespace mlpipe::detail {

// Values computed once per key, whichever thread asks first; the others wait for it.
class once_cache {
 public:
  template <class T, class F>
  std::shared_ptr<const T> get(const std::string& key, F&& compute) {
    std::shared_ptr<slot> s;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& entry = slots_[key];
      if (!entry) entry = std::make_shared<slot>();
      s = entry;
    }
    std::lock_guard<std::mutex> lock(s->mutex);  // the first caller computes; the rest wait, then read
    if (!s->value) s->value = std::make_shared<const T>(compute());
    return std::static_pointer_cast<const T>(s->value);
  }

 private:
  struct slot {
    std::mutex mutex;
    std::shared_ptr<const void> value;
  };
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<slot>> slots_;
};

// A pipeline's steps seen uniformly; a bare stage is a one-step chain whose parameter paths have no step name.
template <class Spec>
struct chain_of {
  static constexpr std::size_t size = 1;
  template <std::size_t I>
  static const Spec& stage(const Spec& s) {
    return s;
  }
  template <std::size_t I>
  static constexpr std::string_view name() {
    return {};
  }
  static std::span<const std::string_view> step_names() { return {}; }
};

template <class... Steps>
struct chain_of<pipeline<Steps...>> {
  static constexpr std::size_t size = sizeof...(Steps);
  template <std::size_t I>
  static const auto& stage(const pipeline<Steps...>& p) {
    return std::get<I>(p.steps).stage;
  }
  template <std::size_t I>
  static constexpr std::string_view name() {
    return std::tuple_element_t<I, std::tuple<Steps...>>::name.view();
  }
  static std::span<const std::string_view> step_names() {
    static constexpr std::string_view names[] = {Steps::name.view()...};
    return names;
  }
};

inline void note_candidate(error& e, std::size_t c, const param_set& params) {
  e.add_note("grid candidate " + std::to_string(c) + ": " + format_params(params));
}

// How a search shares work between candidates: keys[c][i] is candidate c's parameter values for steps 0..i as text
// (equal text: equal fitted prefix); groups are the candidates sharing every step but the last, in grid order.
struct candidate_plan {
  std::vector<std::vector<std::string>> keys;
  std::vector<std::vector<std::size_t>> groups;
};

// step_names: a pipeline's, in order; empty for a bare stage (one step, whose paths have no step name).
inline candidate_plan plan_candidates(const std::vector<param_set>& candidates,
                                      std::span<const std::string_view> step_names) {
  const std::size_t n_steps = step_names.empty() ? 1 : step_names.size();
  const auto step_of = [&](std::string_view path) {
    const std::string_view head = path.substr(0, path.find('.'));
    for (std::size_t i = 0; i < step_names.size(); ++i)
      if (step_names[i] == head) return i;
    return std::size_t{0};  // a bare stage's path (a pipeline's paths were checked when the candidates were built)
  };
  candidate_plan plan;
  plan.keys.resize(candidates.size());
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    std::vector<std::string> per_step(n_steps);
    for (const auto& [path, value] : candidates[c]) per_step[step_of(path)] += path + "=" + format_value(value) + ";";
    plan.keys[c].resize(n_steps);
    std::string prefix;
    for (std::size_t i = 0; i < n_steps; ++i) plan.keys[c][i] = prefix += per_step[i] + "|";
  }
  std::map<std::string, std::size_t> group_of;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const std::string key = n_steps > 1 ? plan.keys[c][n_steps - 2] : std::string();
    const auto [it, added] = group_of.emplace(key, plan.groups.size());
    if (added) plan.groups.emplace_back();
    plan.groups[it->second].push_back(c);
  }
  return plan;
}

// Reorders a group by ascending values (one per member), equal values keeping grid order.
inline void order_group(std::vector<std::size_t>& group, const std::vector<double>& values) {
  const std::vector<std::size_t> in_grid_order = group;
  const std::vector<index> order = sorted_order(values);
  for (std::size_t i = 0; i < group.size(); ++i) group[i] = in_grid_order[static_cast<std::size_t>(order[i])];
}

// The rows a step sees on one split: the split's own rows for the first step, else the previous step's outputs.
struct split_rows {
  matrix train;
  matrix test;
};

template <class Spec>
class search_evaluator {
  using chain = chain_of<Spec>;
  static constexpr std::size_t n_steps = chain::size;

 public:
  search_evaluator(const std::vector<Spec>& specs, const std::vector<param_set>& candidates,
                   const std::vector<fold_data>& folds, const std::vector<scorer>& scorers, bool train_score,
                   bool warm_start)
      : specs_(specs), candidates_(candidates), folds_(folds), scorers_(scorers), train_score_(train_score),
        warm_start_(warm_start), plan_(plan_candidates(candidates, chain::step_names())) {
    if constexpr (warm_startable_stage<last_stage>) {
      if (warm_start_) {
        for (auto& group : plan_.groups) {
          std::vector<double> values;
          for (const std::size_t c : group) values.push_back(warm_value(c));
          order_group(group, values);
        }
      }
    }
  }

  // Runs every (group, split) task on n_jobs threads and fills the results.
  void run(search_results& results, int n_jobs) {
    const std::size_t n_splits = folds_.size();
    // Splits vary fastest, so the first tasks compute every split's shared prefix in parallel; the groups run last
    // to first, as later grid values are usually the costlier ones (more features kept, weaker penalty), and
    // starting with the longest tasks keeps the threads' finishing times close.
    const auto& groups = plan_.groups;
    parallel_for(groups.size() * n_splits, n_jobs, [&](std::size_t task) {
      const std::size_t g = groups.size() - 1 - task / n_splits;
      const std::size_t s = task % n_splits;
      evaluate(groups[g], s, results);
    });
    const auto naive = static_cast<long>(candidates_.size() * n_splits * n_steps);
    results.set_stage_fits(stage_fits_.load(), naive);
  }

 private:
  using last_stage = std::remove_cvref_t<decltype(chain::template stage<n_steps - 1>(std::declval<const Spec&>()))>;

  double warm_value(std::size_t c) const {
    const auto& stage = chain::template stage<n_steps - 1>(specs_[c]);
    return param_traits<double>::from_value(mlpipe::get_param(stage, last_stage::warm_start_param)).value_or(0.0);
  }

  // Errors from a step get its name (a bare stage, which has none, already names itself by its kind).
  template <class F>
  static decltype(auto) guarded(std::string_view name, std::string_view kind, F&& f) {
    if (name.empty()) return f();
    return in_step(name, kind, std::forward<F>(f));
  }

  // The rows step I sees for candidate c on split s (the split's rows when I is 0).
  template <std::size_t I>
  std::shared_ptr<const split_rows> input(std::size_t c, std::size_t s, double& seconds) {
    if constexpr (I == 0) {
      return nullptr;  // the caller reads the split's own rows
    } else {
      return output<I - 1>(c, s, seconds);
    }
  }

  template <std::size_t I>
  std::shared_ptr<const split_rows> output(std::size_t c, std::size_t s, double& seconds) {
    const std::string key = "rows|" + std::to_string(s) + "|" + plan_.keys[c][I];
    return cache_.get<split_rows>(key, [&] {
      const auto start = std::chrono::steady_clock::now();
      const auto in = input<I>(c, s, seconds);
      const matrix& train = in ? in->train : folds_[s].X_train;
      const matrix& test = in ? in->test : folds_[s].X_test;
      const auto& stage = chain::template stage<I>(specs_[c]);
      using stage_type = std::remove_cvref_t<decltype(stage)>;
      split_rows out;
      const fold_data& fold = folds_[s];
      guarded(chain::template name<I>(), stage_type::kind, [&] {
        if constexpr (precomputing_stage<stage_type>) {
          const auto fitted = on_rows(fold.train_rows, [&] {
            const auto pre = precomputed<I>(stage, c, s, train);
            auto f = stage.fit_precomputed(*pre, train, fold.y_train);
            out.train = f.transform(train);
            return f;
          });
          out.test = on_rows(fold.test_rows, [&] { return fitted.transform(test); });
        } else {
          auto fitted = on_rows(fold.train_rows, [&] {
            auto [f, train_out] = mlpipe::fit_transform(stage, train, fold.y_train);
            out.train = std::move(train_out);
            return std::move(f);
          });
          out.test = on_rows(fold.test_rows, [&] { return fitted.transform(test); });
        }
      });
      ++stage_fits_;
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return out;
    });
  }

  // The part of step I's fit that depends only on its precompute_params, once per split and input.
  template <std::size_t I, class Stage>
  auto precomputed(const Stage& stage, std::size_t c, std::size_t s, const matrix& train) {
    std::string key = "pre|" + std::to_string(s) + "|" + (I > 0 ? plan_.keys[c][I - 1] : std::string()) + "|";
    for (const auto name : Stage::precompute_params) key += format_value(mlpipe::get_param(stage, name)) + ";";
    using value_type = std::remove_cvref_t<decltype(stage.precompute(train, folds_[s].y_train))>;
    return cache_.get<value_type>(key, [&] { return stage.precompute(train, folds_[s].y_train); });
  }

  void evaluate(const std::vector<std::size_t>& group, std::size_t s, search_results& results) {
    const fold_data& fold = folds_[s];
    double shared_seconds = 0.0;  // prefix work done by this task, shared out over its candidates
    std::shared_ptr<const split_rows> rows;
    try {
      rows = input<n_steps - 1>(group.front(), s, shared_seconds);
    } catch (error& e) {
      note_task(e, group.front(), s);
      throw;
    }
    const matrix& train = rows ? rows->train : fold.X_train;
    const matrix& test = rows ? rows->test : fold.X_test;
    std::optional<typename last_stage::fitted> previous;
    for (const std::size_t c : group) {
      try {
        const auto& stage = chain::template stage<n_steps - 1>(specs_[c]);
        const auto start = std::chrono::steady_clock::now();
        auto fitted = guarded(chain::template name<n_steps - 1>(), last_stage::kind, [&] {
          return on_rows(fold.train_rows, [&] {
            if constexpr (warm_startable_stage<last_stage>) {
              if (warm_start_ && previous) return stage.fit_warm(train, fold.y_train, *previous);
            }
            return stage.fit(train, fold.y_train);
          });
        });
        ++stage_fits_;
        const double fit_time = seconds_since(start) + shared_seconds / static_cast<double>(group.size());
        const auto scoring_start = std::chrono::steady_clock::now();
        const std::vector<double> test_scores =
            on_rows(fold.test_rows, [&] { return score_all(scorers_, fitted, test, fold.y_test); });
        const double score_time = seconds_since(scoring_start);
        std::vector<double> train_scores;
        if (train_score_)
          train_scores = on_rows(fold.train_rows, [&] { return score_all(scorers_, fitted, train, fold.y_train); });
        results.record(c, s, test_scores, train_scores, fit_time, score_time);
        previous = std::move(fitted);
      } catch (error& e) {
        note_task(e, c, s);
        throw;
      }
    }
  }

  void note_task(error& e, std::size_t c, std::size_t s) const {
    note_split(e, s, folds_.size(), folds_[s].X_train.rows());
    note_candidate(e, c, candidates_[c]);
  }

  const std::vector<Spec>& specs_;
  const std::vector<param_set>& candidates_;
  const std::vector<fold_data>& folds_;
  const std::vector<scorer>& scorers_;
  bool train_score_;
  bool warm_start_;
  candidate_plan plan_;
  once_cache cache_;
  std::atomic<long> stage_fits_{0};
};

}  // namespace mlpipe::detail
