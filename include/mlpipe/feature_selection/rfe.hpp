#pragma once

#include <algorithm>    // std::max, std::min, std::sort
#include <cmath>        // std::sqrt
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/importance.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/splitters.hpp"

// Recursive feature elimination, as scikit-learn's RFE and RFECV: fit the estimator, drop the `step` least important
// features (smallest squared coefficients or importances), repeat down to n_features_to_select. RFECV scores every
// size of the elimination path on each split's held-out rows and keeps the best size.

namespace mlpipe {
namespace detail {

// The valid range of a count-or-fraction: a count >= lo, or a fraction in (0, 1] (step: (0, 1)).
struct amount_range {
  std::int64_t lo = 1;
  bool fraction_may_be_one = true;
  bool may_be_auto = false;
  constexpr bool contains(const feature_amount& a) const {
    if (a.is_auto()) return may_be_auto;
    if (a.is_fraction()) return a.fraction() > 0.0 && (fraction_may_be_one ? a.fraction() <= 1.0 : a.fraction() < 1.0);
    return a.count() >= lo;
  }
  std::string describe(std::string_view name) const {
    return std::string(name) + " >= " + std::to_string(lo) + " (a count)" + (may_be_auto ? ", " : " or ") + "0 < " +
           std::string(name) + (fraction_may_be_one ? " <= 1" : " < 1") + " (a fraction)" +
           (may_be_auto ? " or \"auto\"" : "");
  }
};

// n_features_to_select of n: a count, or int(n * fraction) as scikit-learn.
inline index resolve_to_select(const feature_amount& a, index n) {
  return a.is_fraction() ? static_cast<index>(static_cast<double>(n) * a.fraction()) : static_cast<index>(a.count());
}

// step of n: a count, or int(max(1, step * n)) for a fraction.
inline index resolve_step(const feature_amount& a, index n) {
  return a.is_fraction() ? static_cast<index>(std::max(1.0, a.fraction() * static_cast<double>(n)))
                         : static_cast<index>(a.count());
}

// One elimination path: the model fitted at each size from n down to `target`, then at the target; visit(model,
// features) is called for every fitted model (in that order) and the ranking is returned with the final features.
// An estimator that can start from a model fitted on more features (fit_warm(X, y, previous, kept), as
// logistic_regression) starts each round from the last round's coefficients: the same optimum, fewer iterations.
template <class Estimator, class Visit>
std::pair<std::vector<index>, std::vector<index>> eliminate(const Estimator& estimator, const matrix_view& X,
                                                            const vector_view& y, index target, index step,
                                                            Visit&& visit) {
  const index n = X.cols();
  std::vector<bool> keep(static_cast<std::size_t>(n), true);
  std::vector<index> ranking(static_cast<std::size_t>(n), 1);
  std::vector<index> features(static_cast<std::size_t>(n));
  for (index j = 0; j < n; ++j) features[static_cast<std::size_t>(j)] = j;
  using fitted_type = typename Estimator::fitted;
  std::optional<fitted_type> previous;
  std::vector<index> previous_features, kept;
  while (static_cast<index>(features.size()) > target) {
    const matrix Xs = X(Eigen::all, features);
    const fitted_type model = [&] {
      if constexpr (requires(std::span<const index> k) { estimator.fit_warm(Xs, y, *previous, k); }) {
        if (previous) {
          // Where each kept feature was among the last round's (both lists ascending).
          kept.clear();
          std::size_t at = 0;
          for (const index j : features) {
            while (previous_features[at] != j) ++at;
            kept.push_back(static_cast<index>(at));
          }
          return estimator.fit_warm(Xs, y, *previous, std::span<const index>(kept));
        }
      }
      return estimator.fit(Xs, y);
    }();
    const vector importance = feature_importance(model, importance_transform::square);
    visit(model, features);
    const std::vector<index> order = sorted_order(std::span<const double>(importance.data(), importance.size()));
    const index drop = std::min(step, static_cast<index>(features.size()) - target);
    for (index r = 0; r < drop; ++r) keep[static_cast<std::size_t>(features[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])])] = false;
    for (index j = 0; j < n; ++j)
      if (!keep[static_cast<std::size_t>(j)]) ++ranking[static_cast<std::size_t>(j)];
    previous.emplace(model);
    previous_features = features;
    features.clear();
    for (index j = 0; j < n; ++j)
      if (keep[static_cast<std::size_t>(j)]) features.push_back(j);
  }
  return {std::move(ranking), std::move(features)};
}

// The splits and the scorer of a selector's own cross-validation: its cv (empty: 5-fold, stratified for a
// classifier) and scoring (empty: accuracy for a classifier, r2 otherwise), as scikit-learn's cv=None, scoring=None.
// groups (one id per row, or empty) reach the group splitters, as fit(X, y, groups) passes them.
inline std::pair<std::vector<split>, std::vector<scorer>> selector_cv_as(bool classifies, const any_splitter& cv,
                                                                         const std::string& scoring,
                                                                         const matrix_view& X, const vector_view& y,
                                                                         const row_ids& groups) {
  std::vector<scorer> scorers{get_scorer(!scoring.empty() ? scoring : classifies ? "accuracy" : "r2")};
  const any_splitter splitter =
      !cv.empty() ? cv : classifies ? any_splitter(stratified_kfold{}) : any_splitter(kfold{});
  try {
    return {splitter.splits(X.rows(), y, groups), std::move(scorers)};
  } catch (invalid_input& e) {
    // A group splitter without groups: its message speaks of cross_validate; a selector takes them in fit.
    if (groups.size() == 0 && e.detail().find("needs groups") != std::string::npos)
      e.add_note("a selector's cv takes them in fit(X, y, groups)");
    throw;
  }
}

// The estimator's role decides: its roles() when it is a run-time value (any_pipeline), its type otherwise.
template <class Estimator>
std::pair<std::vector<split>, std::vector<scorer>> selector_cv(const Estimator& estimator, const any_splitter& cv,
                                                               const std::string& scoring, const matrix_view& X,
                                                               const vector_view& y, const row_ids& groups = {}) {
  return selector_cv_as(mlpipe::is_classifier(estimator), cv, scoring, X, y, groups);
}

}  // namespace detail

// rfe -- recursive feature elimination (scikit-learn's RFE): fits the estimator, drops the `step` features with the
// smallest squared coefficients (or importances), and repeats until n_features_to_select remain. The estimator's
// fitted type must expose coef() or feature_importances().
template <class Estimator>
struct rfe {
  static constexpr std::string_view kind = "rfe";

  Estimator estimator{};                      // the model whose importances rank the features
  feature_amount n_features_to_select = 0.5;  // how many to keep: a count >= 1 (<= the input's) or a fraction in (0, 1]
  feature_amount step = 1;                    // how many to drop per round: a count >= 1 or a fraction in (0, 1)

  static constexpr auto params =
      std::tuple{param<"n_features_to_select">(&rfe::n_features_to_select, detail::amount_range{1, true}),
                 param<"step">(&rfe::step, detail::amount_range{1, false})};

  // The estimator as a nested stage: its parameters' paths are "estimator.C" and so on (see detail::nested_stage).
  static constexpr auto nested = std::tuple{detail::nested_stage<"estimator">(&rfe::estimator)};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;

  // The number of features kept for an input of n features, checked (fit's check).
  index target(index n) const {
    detail::require_importance_estimator<Estimator>();
    validate_params(*this);
    const index t = detail::resolve_to_select(n_features_to_select, n);
    if (t > n || t < 1) {
      throw invalid_parameter("n_features_to_select = " + n_features_to_select.text() + " keeps " +
                                  std::to_string(t) + " of the input's " + std::to_string(n) +
                                  " features; expected 1 to " + std::to_string(n),
                              kind);
    }
    return t;
  }
};

template <class Estimator>
class rfe<Estimator>::fitted : public detail::selected_features<typename rfe<Estimator>::fitted> {
 public:
  static constexpr std::string_view kind = rfe::kind;
  static constexpr int schema_version = 1;
  using inner_type = typename Estimator::fitted;  // the saved signature names the model's type

  fitted() = default;  // an empty shell for load() to fill
  fitted(rfe spec, std::vector<index> ranking, std::vector<index> support, inner_type model)
      : spec_(std::move(spec)), ranking_(std::move(ranking)), support_(std::move(support)), model_(std::move(model)) {}

  const rfe& spec() const { return spec_; }
  // The model fitted on the kept features (scikit-learn's estimator_).
  const inner_type& estimator() const { return model_; }
  // Each input feature's rank: 1 for the kept ones, 2 for the last dropped, ... (scikit-learn's ranking_).
  const std::vector<index>& ranking() const { return ranking_; }
  const std::vector<index>& support() const { return support_; }
  // The number of kept features (scikit-learn's n_features_).
  index n_features() const { return this->n_features_out(); }
  index n_features_in() const { return static_cast<index>(ranking_.size()); }

  // Throws mlpipe::load_error naming the first broken invariant: the model's own, a rank >= 1 per input feature,
  // the support the features of rank 1, the model fitted on them. load() runs it.
  void check_invariants() const {
    if constexpr (requires { model_.check_invariants(); }) model_.check_invariants();
    detail::check_state_not_empty(kind, "state.ranking", n_features_in(), "one rank per input feature");
    detail::check_params(spec_, [&] { (void)spec_.target(n_features_in()); });
    detail::check_state_indices(kind, "state.support", support_, n_features_in(), "n_features_in");
    for (std::size_t j = 0; j < ranking_.size(); ++j) {
      detail::check_state_count(kind, "state.ranking[" + std::to_string(j) + "]", ranking_[j], 1, n_features_in(),
                                "n_features_in");
    }
    std::vector<index> rank_one;
    for (std::size_t j = 0; j < ranking_.size(); ++j)
      if (ranking_[j] == 1) rank_one.push_back(static_cast<index>(j));
    if (rank_one != support_)
      detail::throw_invariant(kind, "state.support is not the features of rank 1 in state.ranking");
    if (model_.n_features_in() != this->n_features_out())
      detail::throw_invariant(kind, "state.estimator was fitted on " + std::to_string(model_.n_features_in()) +
                                        " features; expected " + std::to_string(this->n_features_out()) +
                                        ", the kept features");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("ranking", ranking_);
    ar("support", support_);
    ar("estimator", model_);
    if constexpr (requires { model_.spec(); }) spec_.estimator = model_.spec();
  }

 private:
  rfe spec_;
  std::vector<index> ranking_;
  std::vector<index> support_;
  inner_type model_;
};

template <class Estimator>
template <class Deferred>
typename rfe<Estimator>::fitted rfe<Estimator>::fit(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  const index t = target(X.cols());
  auto [ranking, features] =
      detail::eliminate(estimator, X, y, t, detail::resolve_step(step, X.cols()), [](const auto&, const auto&) {});
  auto model = estimator.fit(X(Eigen::all, features), y);
  return fitted(*this, std::move(ranking), std::move(features), std::move(model));
}

// rfecv_results -- rfecv's cv_results: for each number of features on the elimination path (ascending), the test
// score on each split, their mean and (population) standard deviation, as scikit-learn 1.2's cv_results_.
struct rfecv_results {
  std::vector<index> n_features;                  // the sizes scored, ascending
  std::vector<std::vector<double>> split_scores;  // split_scores[s][i]: split s, size n_features[i]
  std::vector<double> mean_test_score;
  std::vector<double> std_test_score;
};

// rfecv -- recursive feature elimination with the number of features chosen by cross-validation (scikit-learn's
// RFECV): on each split one elimination path down to min_features_to_select is fitted on the training rows and
// every size scored on the held-out rows; the size with the best summed score (the smallest on a tie) is then
// selected by rfe on all rows. Its own cross-validation sees only the rows it is fitted on, so it is leak-free
// inside an outer cross-validation.
template <class Estimator>
struct rfecv {
  static constexpr std::string_view kind = "rfecv";

  Estimator estimator{};                  // the model whose importances rank the features
  feature_amount step = 1;                // how many to drop per round: a count >= 1 or a fraction in (0, 1)
  std::int64_t min_features_to_select = 1;  // the smallest size scored: >= 1
  any_splitter cv{};                      // the splits (empty: 5-fold, stratified for a classifier)
  std::string scoring{};                  // a scorer name (empty: accuracy for a classifier, r2 otherwise)
  int n_jobs = 1;                         // splits fitted at once: >= 1, or -1 for every core

  static constexpr auto params =
      std::tuple{param<"step">(&rfecv::step, detail::amount_range{1, false}),
                 param<"min_features_to_select">(&rfecv::min_features_to_select, at_least(1.0)),
                 param<"scoring">(&rfecv::scoring), param<"n_jobs">(&rfecv::n_jobs)};

  // The estimator as a nested stage: its parameters' paths are "estimator.C" and so on (see detail::nested_stage).
  static constexpr auto nested = std::tuple{detail::nested_stage<"estimator">(&rfecv::estimator)};

  class fitted;
  // Fits on X and y; groups (one id per row, as cross_validate's .groups) go to a group splitter in cv
  // (group_kfold, leave_one_group_out, ...), as scikit-learn's RFECV.fit(X, y, groups).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const row_ids& groups = {}) const;
};

template <class Estimator>
class rfecv<Estimator>::fitted : public detail::selected_features<typename rfecv<Estimator>::fitted> {
 public:
  static constexpr std::string_view kind = rfecv::kind;
  static constexpr int schema_version = 1;
  using inner_type = typename rfe<Estimator>::fitted;

  fitted() = default;  // an empty shell for load() to fill
  fitted(rfecv spec, inner_type selection, rfecv_results results)
      : spec_(std::move(spec)), rfe_(std::move(selection)), results_(std::move(results)) {}

  const rfecv& spec() const { return spec_; }
  // The cross-validated scores per number of features (scikit-learn's cv_results_).
  const rfecv_results& cv_results() const { return results_; }
  // The final elimination on all rows (its ranking, support and model).
  const inner_type& selection() const { return rfe_; }
  const typename Estimator::fitted& estimator() const { return rfe_.estimator(); }
  const std::vector<index>& ranking() const { return rfe_.ranking(); }
  const std::vector<index>& support() const { return rfe_.support(); }
  // The chosen number of features (scikit-learn's n_features_).
  index n_features() const { return rfe_.n_features(); }
  index n_features_in() const { return rfe_.n_features_in(); }

  // Throws mlpipe::load_error naming the first broken invariant: the final rfe's own, and scores per size.
  void check_invariants() const {
    detail::check_params(spec_);
    rfe_.check_invariants();
    const auto sizes = static_cast<index>(results_.n_features.size());
    detail::check_state_size(kind, "state.mean_test_score", static_cast<index>(results_.mean_test_score.size()),
                             sizes, "one per number of features");
    detail::check_state_size(kind, "state.std_test_score", static_cast<index>(results_.std_test_score.size()), sizes,
                             "one per number of features");
    for (const auto& s : results_.split_scores)
      detail::check_state_size(kind, "state.split_scores", static_cast<index>(s.size()), sizes,
                               "one per number of features");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("rfe", rfe_);
    ar("n_features", results_.n_features);
    ar("split_scores", results_.split_scores);
    ar("mean_test_score", results_.mean_test_score);
    ar("std_test_score", results_.std_test_score);
    if constexpr (requires { rfe_.estimator().spec(); }) spec_.estimator = rfe_.estimator().spec();
  }

 private:
  rfecv spec_;
  inner_type rfe_;
  rfecv_results results_;
};

template <class Estimator>
template <class Deferred>
typename rfecv<Estimator>::fitted rfecv<Estimator>::fit(const matrix_view& X, const vector_view& y,
                                                       const row_ids& groups) const {
  detail::require_importance_estimator<Estimator>();
  validate_params(*this);
  (void)resolve_n_jobs(n_jobs);
  detail::check_fit_input(kind, X, y);
  const index n = X.cols();
  if (min_features_to_select > n) {
    throw invalid_parameter("min_features_to_select = " + std::to_string(min_features_to_select) +
                                " but the input has " + std::to_string(n) + " features; expected at most " +
                                std::to_string(n),
                            kind);
  }
  const auto setup = detail::selector_cv(estimator, cv, scoring, X, y, groups);
  const std::vector<split>& splits = setup.first;  // not a structured binding: clang 14 cannot capture one
  const std::vector<scorer>& scorers = setup.second;
  const index step_size = detail::resolve_step(step, n);
  const auto target = static_cast<index>(min_features_to_select);
  // One elimination path per split, its models scored on the split's test rows (largest size first).
  std::vector<std::vector<double>> path_scores(splits.size());
  parallel_for(splits.size(), n_jobs, [&](std::size_t s) {
    const matrix X_train = X(splits[s].train, Eigen::all);
    const vector y_train = y(splits[s].train);
    const matrix X_test = X(splits[s].test, Eigen::all);
    const vector y_test = y(splits[s].test);
    auto record = [&](const auto& model, const std::vector<index>& features) {
      path_scores[s].push_back(score_all(scorers, model, X_test(Eigen::all, features), y_test)[0]);
    };
    auto [ranking, features] = detail::eliminate(estimator, X_train, y_train, target, step_size, record);
    record(estimator.fit(X_train(Eigen::all, features), y_train), features);
  });
  // Sizes along the path: n, n - step, ..., target.
  std::vector<index> sizes;
  for (index m = n; m > target; m -= std::min(step_size, m - target)) sizes.push_back(m);
  sizes.push_back(target);
  const std::size_t n_sizes = sizes.size();
  // scikit-learn's choice: the largest summed score, the last one (fewest features) on a tie.
  std::size_t best = 0;
  double best_sum = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n_sizes; ++i) {
    double sum = 0.0;
    for (const auto& p : path_scores) sum += p[i];
    if (sum >= best_sum) {
      best_sum = sum;
      best = i;
    }
  }
  const index chosen = std::max(n - static_cast<index>(best) * step_size, target);
  rfe<Estimator> final_rfe{estimator, feature_amount(chosen), step};
  rfecv_results results;
  results.n_features.assign(sizes.rbegin(), sizes.rend());
  for (const auto& p : path_scores) results.split_scores.emplace_back(p.rbegin(), p.rend());
  for (std::size_t i = 0; i < n_sizes; ++i) {
    double sum = 0.0;
    for (const auto& p : results.split_scores) sum += p[i];
    const double mean = sum / static_cast<double>(splits.size());
    double squares = 0.0;
    for (const auto& p : results.split_scores) squares += (p[i] - mean) * (p[i] - mean);
    results.mean_test_score.push_back(mean);
    results.std_test_score.push_back(std::sqrt(squares / static_cast<double>(splits.size())));
  }
  return fitted(*this, final_rfe.fit(X, y), std::move(results));
}

}  // namespace mlpipe
