#pragma once

#include <chrono>
#include <cmath>        // std::isfinite
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/tuning/evaluate.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/search_results.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/splitters.hpp"

namespace mlpipe {

// search_options -- how a search evaluates candidates.
struct search_options {
  any_splitter cv{};                // the splits; empty: 5 folds, stratified for classifiers (scikit-learn's cv=None)
  row_ids groups{};                 // one group id per row, for the group splitters (group_kfold, ...); others ignore it
  scoring_list scoring{};           // the scorers; the first one ranks candidates. Empty: accuracy or r2
  int n_jobs = 1;                   // threads for the candidate x split tasks; -1: every core. Same result for any value
  bool refit = true;                // refit the best candidate on all rows (needed to predict with the search)
  bool return_train_score = false;  // also score each model on its training rows
  bool reuse = true;                // fit a pipeline prefix shared by several candidates once per split (same scores)
  bool warm_start = true;           // fit along the last step's warm_start_param (C) from the previous solution
  // The most memory, in bytes, that reuse may hold in pipeline outputs shared by several candidates; beyond it a
  // step is fitted again instead. Empty: 2 n_jobs - 1 times the size of X (at most n_jobs splits are in progress,
  // each holding about X's size). Results are the same for any value.
  std::optional<std::size_t> max_cache_bytes{};
};

template <class Fitted, fixed_string Kind = "grid_search">
class fitted_search;

// grid_search -- scikit-learn's GridSearchCV as a stage: fit evaluates every candidate of the grid on every split
// (in parallel, deterministically), ranks them by the first scorer's mean test score (ties: the first candidate in
// grid order), and refits the best on all rows. Nested cross-validation is cross_validate(search, X, y, outer_cv).
template <class Spec>
struct grid_search {
  static_assert(stage<Spec>, "mlpipe: grid_search{spec, grid, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = "grid_search";
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted>;

  Spec estimator;
  grid space;
  search_options options;

  grid_search(Spec estimator, grid space, search_options options = {})
      : estimator(std::move(estimator)), space(std::move(space)), options(std::move(options)) {}

  fitted fit(const matrix_view& X, const vector_view& y) const;

  // Every candidate as a spec, checked (paths, value types, ranges) before anything is fitted.
  std::vector<Spec> candidate_specs() const {
    const std::vector<param_set> candidates = space.candidates();
    std::vector<Spec> specs;
    specs.reserve(candidates.size());
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      Spec spec = estimator;
      try {
        for (const auto& [path, value] : candidates[c]) mlpipe::set_param(spec, path, value);
        validate_all(spec);
      } catch (error& e) {
        detail::note_candidate(e, c, candidates[c]);
        e.add_kind(kind);
        throw;
      }
      specs.push_back(std::move(spec));
    }
    return specs;
  }
};

template <class Spec>
grid_search(Spec, grid, search_options) -> grid_search<Spec>;
template <class Spec>
grid_search(Spec, grid) -> grid_search<Spec>;

// fitted_search -- a finished search: its table, the best candidate, and (with refit) the best model refitted on
// all rows, through which it predicts. save and load keep all of it, the table bit for bit. Kind names the search
// (grid_search, random_search, halving_grid_search, ...).
template <class Fitted, fixed_string Kind>
class fitted_search {
 public:
  static constexpr std::string_view kind = Kind.view();
  static constexpr int schema_version = 2;  // 2: the table's strategy columns, contenders and partial flag
  static constexpr int oldest_schema_version = 1;  // a version 1 file (a grid search's) loads with none of them
  using inner_type = Fitted;  // the saved signature names the best model's type: grid_search(pipeline(...))

  fitted_search() = default;  // an empty shell for load() to fill
  fitted_search(search_results results, std::size_t best_index, std::optional<Fitted> best_model, index n_features_in,
                double refit_time)
      : results_(std::move(results)), best_index_(best_index), best_model_(std::move(best_model)),
        n_features_in_(n_features_in), refit_time_(refit_time) {}

  const search_results& results() const { return results_; }
  std::size_t best_index() const { return best_index_; }
  const param_set& best_params() const { return results_.params()[best_index_]; }
  double best_score() const { return results_.mean_test_score()[best_index_]; }
  // Seconds the refit of the best candidate took (with its shared steps, which a search fits beside its tasks).
  double refit_time() const { return refit_time_; }
  index n_features_in() const { return n_features_in_; }

  // The best candidate refitted on all rows (what predict uses); an error without refit.
  const Fitted& best_model() const {
    if (!best_model_) throw invalid_parameter("refit = false: the search kept no model; set .refit = true", kind);
    return *best_model_;
  }

  vector predict(const matrix_view& X) const
    requires fitted_predictor<Fitted>
  {
    return best_model().predict(X);
  }
  matrix predict_proba(const matrix_view& X) const
    requires fitted_probabilistic_classifier<Fitted>
  {
    return best_model().predict_proba(X);
  }
  auto decision_function(const matrix_view& X) const
    requires requires(const Fitted& f) { f.decision_function(X); }
  {
    return best_model().decision_function(X);
  }
  const vector& classes() const
    requires fitted_classifier<Fitted>
  {
    return best_model().classes();
  }
  matrix transform(const matrix_view& X) const
    requires fitted_transformer<Fitted>
  {
    return best_model().transform(X);
  }
  index n_features_out() const
    requires fitted_transformer<Fitted>
  {
    return best_model().n_features_out();
  }
  double predict_one(std::span<const double> row) const
    requires fitted_row_predictor<Fitted>
  {
    return best_model().predict_one(row);
  }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const
    requires fitted_row_classifier<Fitted>
  {
    best_model().predict_proba_one(row, out);
  }

  // Throws mlpipe::load_error naming the first broken invariant: the table's own (search_results::check_invariants),
  // the best index the one the table ranks first, n_features_in >= 1, a finite refit time >= 0 (0 without refit),
  // and the refitted best model's own invariants and input width. load() runs it.
  void check_invariants() const {
    results_.check_invariants(kind);
    if (best_index_ >= results_.n_candidates()) {  // unsigned: any value a file holds, up to 2^64 - 1
      detail::throw_invariant(kind, "state.best_index = " + std::to_string(best_index_) +
                                        " is out of range; expected 0 <= state.best_index <= the last candidate = " +
                                        std::to_string(results_.n_candidates() - 1));
    }
    if (best_index_ != results_.best_index()) {
      detail::throw_invariant(kind, "state.best_index = " + std::to_string(best_index_) +
                                        " but the results rank candidate " + std::to_string(results_.best_index()) +
                                        " first; expected the best candidate");
    }
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    if (!std::isfinite(refit_time_) || refit_time_ < 0.0) {
      detail::throw_invariant(kind, "state.refit_time = " + format_double(refit_time_) +
                                        " is out of range; expected a finite value >= 0");
    }
    if (!best_model_) {
      if (refit_time_ != 0.0) {
        detail::throw_invariant(kind, "state.refit_time = " + format_double(refit_time_) +
                                          " but refit = false; expected 0");
      }
      return;
    }
    if constexpr (requires { best_model_->check_invariants(); }) best_model_->check_invariants();
    if (best_model_->n_features_in() != n_features_in_) {
      detail::throw_invariant(kind, "state.best_model was fitted on " + std::to_string(best_model_->n_features_in()) +
                                        " features but state.n_features_in = " + std::to_string(n_features_in_) +
                                        "; expected the search's input width");
    }
  }

  // The table, the best index, the input width, the refit time, and the best model when there is one (refit).
  template <class Archive>
  void serialize(Archive& ar) {
    results_.serialize(ar);
    ar("best_index", best_index_);
    ar("n_features_in", n_features_in_);
    ar("refit_time", refit_time_);
    bool refit = best_model_.has_value();  // saving: what there is; loading: overwritten by the file's
    ar("refit", refit);
    if (!refit) {
      best_model_.reset();
      return;
    }
    if (!best_model_) best_model_.emplace();  // loading: a shell for the nested model
    ar("best_model", *best_model_);
  }

 private:
  search_results results_;
  std::size_t best_index_ = 0;
  std::optional<Fitted> best_model_;
  index n_features_in_ = 0;
  double refit_time_ = 0.0;
};

namespace detail {

// Scores every candidate (specs[c], whose parameters are results.params()[c]) on every split into results: with
// prefix reuse and warm starts through search_evaluator, or each whole pipeline cold (options.reuse = false). hooks
// (optional) may skip tasks, stop starting them and hear of each finished one; refit (optional, with reuse) gets the
// part of the refit every candidate shares, fitted beside the tasks. Every search strategy runs its candidates
// through here.
template <class Spec>
void evaluate_candidates(const std::vector<Spec>& specs, search_results& results, const matrix_view& X,
                         const vector_view& y, const std::vector<split>& splits, const std::vector<scorer>& scorers,
                         const search_options& options, const task_hooks* hooks = nullptr,
                         refit_start<Spec>* refit = nullptr) {
  const std::size_t n_splits = splits.size();
  if (options.reuse) {
    search_evaluator<Spec> evaluator(specs, results.params(), X, y, splits, scorers, options.return_train_score,
                                     options.warm_start, cache_budget(options.max_cache_bytes, X, options.n_jobs));
    evaluator.run(results, options.n_jobs, hooks, refit);
    return;
  }
  // Every candidate's whole pipeline on every split, cold: the reference the reuse path is tested against. Each
  // task gathers its split's rows itself, so about n_jobs copies are held at once.
  parallel_for(specs.size() * n_splits, options.n_jobs, [&](std::size_t task) {
    const std::size_t c = task / n_splits;
    const std::size_t s = task % n_splits;
    const std::size_t one[] = {c};
    if (hooks != nullptr && !hooks->run(one, s)) return;
    try {
      const fold_data fold = make_fold(X, y, splits[s]);
      auto outcome = fit_and_score(specs[c], fold, scorers, options.return_train_score, s, n_splits);
      results.record(c, s, outcome.test_scores, outcome.train_scores, outcome.fit_time, outcome.score_time);
    } catch (error& e) {
      note_candidate(e, c, results.params()[c]);
      throw;
    }
    if (hooks != nullptr && hooks->finished) hooks->finished(one, s);
  });
  const auto all = static_cast<long>(specs.size() * n_splits * chain_of<Spec>::size);
  results.set_stage_fits(all, all);
}

}  // namespace detail

template <class Spec>
typename grid_search<Spec>::fitted grid_search<Spec>::fit(const matrix_view& X, const vector_view& y) const {
  const std::vector<Spec> specs = candidate_specs();  // every path, type and range error before any fit
  const std::vector<scorer> scorers = detail::resolve_scoring(estimator, options.scoring);
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows(kind, X, y);
  const std::vector<split> splits = detail::splits_or_default(estimator, options.cv, X, y, options.groups);
  search_results results(space.candidates(), detail::scorer_names_of(scorers), splits.size(),
                         options.return_train_score);
  detail::refit_start<Spec> shared;  // the refit's part every candidate shares, fitted beside the tasks
  detail::evaluate_candidates(specs, results, X, y, splits, scorers, options, nullptr,
                              options.refit ? &shared : nullptr);

  const std::size_t best = results.best_index();
  std::optional<typename Spec::fitted> model;
  double refit_time = 0.0;
  if (options.refit) {
    const auto start = std::chrono::steady_clock::now();
    const double shared_seconds = shared.seconds;
    model = detail::refit_best(specs[best], X, y, &shared);
    refit_time = shared_seconds + detail::seconds_since(start);
  }
  return fitted(std::move(results), best, std::move(model), X.cols(), refit_time);
}

}  // namespace mlpipe
