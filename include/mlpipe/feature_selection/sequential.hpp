#pragma once

#include <algorithm>    // std::sort
#include <array>
#include <cmath>        // std::isfinite, std::round
#include <cstddef>
#include <cstdint>      // std::int64_t
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/importance.hpp"
#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"  // detail::fold_data, detail::make_folds
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/splitters.hpp"

namespace mlpipe {

// direction -- whether sequential_feature_selector adds features (forward) or removes them (backward).
enum class direction {
  forward,   // start from none, add the best feature each round
  backward   // start from all, remove the feature whose removal scores best each round
};

template <>
struct enum_names<direction> {
  static constexpr std::array values{std::pair{direction::forward, std::string_view("forward")},
                                     std::pair{direction::backward, std::string_view("backward")}};
};

namespace detail {

// The mean cross-validated score of estimator fitted on `columns` of each fold's training rows and scored on the
// same columns of its test rows (the first scorer): what sequential and exhaustive selection compare. The folds are
// cut once, so a candidate subset only selects columns of them.
template <class Estimator>
double subset_score(const Estimator& estimator, const std::vector<fold_data>& folds,
                    const std::vector<scorer>& scorers, const std::vector<index>& columns) {
  double sum = 0.0;
  for (const fold_data& fold : folds) {
    const auto model = estimator.fit(fold.X_train(Eigen::all, columns), fold.y_train);
    sum += score_all(scorers, model, fold.X_test(Eigen::all, columns), fold.y_test)[0];
  }
  return sum / static_cast<double>(folds.size());
}

}  // namespace detail

// sequential_feature_selector -- greedy forward or backward selection by cross-validated score, as scikit-learn's
// SequentialFeatureSelector: each round cross-validates the estimator with every candidate feature added (or
// removed) and keeps the best candidate (the lowest column on a tie). The candidates of a round are evaluated in
// parallel (n_jobs), each on the same pre-split folds, so the result is the same for any n_jobs. Any estimator
// works (no importances needed).
template <class Estimator>
struct sequential_feature_selector {
  static constexpr std::string_view kind = "sequential_feature_selector";

  Estimator estimator{};                      // the model cross-validated on each candidate subset
  feature_amount n_features_to_select = 0.5;  // a count (1 to n - 1), a fraction in (0, 1], or automatic (with tol)
  std::optional<double> tol{};                // with automatic: stop when a round improves the score by less; > 0
  mlpipe::direction direction = mlpipe::direction::forward;  // add features (forward) or remove them (backward)
  std::string scoring{};                      // a scorer name (empty: accuracy for a classifier, r2 otherwise)
  any_splitter cv{};                          // the splits (empty: 5-fold, stratified for a classifier)
  int n_jobs = 1;                             // candidates evaluated at once: >= 1, or -1 for every core

  static constexpr auto params = std::tuple{
      param<"n_features_to_select">(&sequential_feature_selector::n_features_to_select,
                                    detail::amount_range{1, true, true}),
      param<"direction">(&sequential_feature_selector::direction),
      param<"scoring">(&sequential_feature_selector::scoring),
      param<"n_jobs">(&sequential_feature_selector::n_jobs)};

  // The estimator as a nested stage: its parameters' paths are "estimator.C" and so on (see detail::nested_stage).
  static constexpr auto nested = std::tuple{detail::nested_stage<"estimator">(&sequential_feature_selector::estimator)};

  class fitted;
  // Fits on X and y; groups (one id per row, as cross_validate's .groups) go to a group splitter in cv
  // (group_kfold, leave_one_group_out, ...).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const row_ids& groups = {}) const;
};

template <class Estimator>
class sequential_feature_selector<Estimator>::fitted
    : public detail::selected_features<typename sequential_feature_selector<Estimator>::fitted> {
 public:
  static constexpr std::string_view kind = sequential_feature_selector::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(sequential_feature_selector spec, index n_features_in, std::vector<index> support,
         std::vector<index> order, std::vector<double> scores)
      : spec_(std::move(spec)), n_features_in_(n_features_in), support_(std::move(support)),
        order_(std::move(order)), scores_(std::move(scores)) {}

  const sequential_feature_selector& spec() const { return spec_; }
  const std::vector<index>& support() const { return support_; }
  // The features added (forward) or removed (backward), in the order chosen, and the mean cross-validated score of
  // each round's best candidate.
  const std::vector<index>& order() const { return order_; }
  const std::vector<double>& scores() const { return scores_; }
  // The number of kept features (scikit-learn's n_features_to_select_).
  index n_features() const { return this->n_features_out(); }
  index n_features_in() const { return n_features_in_; }

  // Throws mlpipe::load_error naming the first broken invariant: the support ascending indices below
  // n_features_in, the chosen features distinct, one score per round, and the support what the rounds leave.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    detail::check_state_indices(kind, "state.support", support_, n_features_in_, "n_features_in");
    detail::check_state_indices(kind, "state.order", order_, n_features_in_, "n_features_in",
                                detail::index_order::distinct);
    detail::check_state_size(kind, "state.scores", static_cast<index>(scores_.size()),
                             static_cast<index>(order_.size()), "one per round");
    // What the rounds leave, built without allocating n_features_in (a file may hold any width).
    std::vector<index> chosen = order_;
    std::sort(chosen.begin(), chosen.end());
    std::vector<index> expected;
    if (spec_.direction == direction::forward) {
      expected = chosen;
    } else if (n_features_in_ - static_cast<index>(chosen.size()) == this->n_features_out()) {
      std::size_t next = 0;
      for (index j = 0; j < n_features_in_ && expected.size() < support_.size(); ++j) {
        if (next < chosen.size() && chosen[next] == j) ++next;
        else expected.push_back(j);
      }
    }
    if (expected != support_)
      detail::throw_invariant(kind, "state.support is not what state.order leaves; expected the features it selects");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("n_features_in", n_features_in_);
    ar("support", support_);
    ar("order", order_);
    ar("scores", scores_);
  }

 private:
  sequential_feature_selector spec_;
  index n_features_in_ = 0;
  std::vector<index> support_;
  std::vector<index> order_;
  std::vector<double> scores_;
};

template <class Estimator>
template <class Deferred>
typename sequential_feature_selector<Estimator>::fitted sequential_feature_selector<Estimator>::fit(
    const matrix_view& X, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  (void)resolve_n_jobs(n_jobs);
  detail::check_fit_input(kind, X, y);
  const index n = X.cols();
  const bool auto_select = n_features_to_select.is_auto() && tol.has_value();
  if (tol && !n_features_to_select.is_auto()) {
    throw invalid_parameter("tol = " + format_double(*tol) + " is set but n_features_to_select = " +
                                n_features_to_select.text() + "; expected n_features_to_select = \"auto\" with tol",
                            kind);
  }
  if (tol && !(std::isfinite(*tol) && *tol > 0.0)) {
    throw invalid_parameter("tol = " + format_double(*tol) + " is out of range; expected tol > 0", kind);
  }
  index to_select = n / 2;
  if (auto_select) {
    to_select = n - 1;
  } else if (!n_features_to_select.is_auto() && !n_features_to_select.is_fraction()) {
    to_select = static_cast<index>(n_features_to_select.count());
    if (to_select >= n) {
      throw invalid_parameter("n_features_to_select = " + std::to_string(to_select) + " but the input has " +
                                  std::to_string(n) + " features; expected 1 to " + std::to_string(n - 1),
                              kind);
    }
  } else if (n_features_to_select.is_fraction()) {
    to_select = static_cast<index>(static_cast<double>(n) * n_features_to_select.fraction());
  }
  const index rounds = n_features_to_select.is_auto() || direction == direction::forward ? to_select : n - to_select;

  const auto setup = detail::selector_cv(estimator, cv, scoring, X, y, groups);
  const std::vector<scorer>& scorers = setup.second;
  const std::vector<detail::fold_data> folds = detail::make_folds(X, y, setup.first);  // cut once
  std::vector<bool> chosen(static_cast<std::size_t>(n), false);
  std::vector<index> order;
  std::vector<double> round_scores;
  double old_score = -std::numeric_limits<double>::infinity();
  for (index round = 0; round < rounds; ++round) {
    std::vector<index> candidates;
    for (index j = 0; j < n; ++j)
      if (!chosen[static_cast<std::size_t>(j)]) candidates.push_back(j);
    std::vector<double> mean_score(candidates.size());
    parallel_for(candidates.size(), n_jobs, [&](std::size_t c) {
      std::vector<index> columns;
      for (index j = 0; j < n; ++j) {
        const bool in = chosen[static_cast<std::size_t>(j)] || j == candidates[c];
        if (in == (direction == direction::forward)) columns.push_back(j);
      }
      mean_score[c] = detail::subset_score(estimator, folds, scorers, columns);
    });
    std::size_t best = 0;
    for (std::size_t c = 1; c < candidates.size(); ++c)
      if (mean_score[c] > mean_score[best]) best = c;
    if (auto_select && mean_score[best] - old_score < *tol) break;
    old_score = mean_score[best];
    chosen[static_cast<std::size_t>(candidates[best])] = true;
    order.push_back(candidates[best]);
    round_scores.push_back(mean_score[best]);
  }
  std::vector<index> support;
  for (index j = 0; j < n; ++j)
    if (chosen[static_cast<std::size_t>(j)] == (direction == direction::forward)) support.push_back(j);
  if (support.empty()) {
    throw invalid_input("no feature is left (n_features_to_select = " + n_features_to_select.text() + " of " +
                            std::to_string(n) + " features); expected at least one kept feature",
                        kind);
  }
  return fitted(*this, n, std::move(support), std::move(order), std::move(round_scores));
}

}  // namespace mlpipe

namespace mlpipe {

// exhaustive_feature_selector -- cross-validates the estimator on every subset of min_features to max_features
// features and keeps the best (mlxtend's ExhaustiveFeatureSelector: the first best in order of size, then of
// combinations). Refuses, before any fit, to evaluate more than max_subsets subsets. Subsets are evaluated in
// parallel (n_jobs) on the same pre-split folds; the result does not depend on n_jobs.
template <class Estimator>
struct exhaustive_feature_selector {
  static constexpr std::string_view kind = "exhaustive_feature_selector";

  Estimator estimator{};            // the model cross-validated on each subset
  std::int64_t min_features = 1;    // the smallest subset size: >= 1
  std::int64_t max_features = 1;    // the largest subset size: min_features <= max_features <= the input's features
  std::string scoring{};            // a scorer name (empty: accuracy for a classifier, r2 otherwise)
  any_splitter cv{};                // the splits (empty: 5-fold, stratified for a classifier)
  int n_jobs = 1;                   // subsets evaluated at once: >= 1, or -1 for every core
  std::int64_t max_subsets = 100000;  // the most subsets fit will evaluate: >= 1

  static constexpr auto params =
      std::tuple{param<"min_features">(&exhaustive_feature_selector::min_features, at_least(1.0)),
                 param<"max_features">(&exhaustive_feature_selector::max_features, at_least(1.0)),
                 param<"scoring">(&exhaustive_feature_selector::scoring),
                 param<"n_jobs">(&exhaustive_feature_selector::n_jobs),
                 param<"max_subsets">(&exhaustive_feature_selector::max_subsets, at_least(1.0))};
  // The estimator as a nested stage: its parameters' paths are "estimator.C" and so on (see detail::nested_stage).
  static constexpr auto nested =
      std::tuple{detail::nested_stage<"estimator">(&exhaustive_feature_selector::estimator)};

  class fitted;
  // Fits on X and y; groups (one id per row, as cross_validate's .groups) go to a group splitter in cv
  // (group_kfold, leave_one_group_out, ...).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const row_ids& groups = {}) const;
};

template <class Estimator>
class exhaustive_feature_selector<Estimator>::fitted
    : public detail::selected_features<typename exhaustive_feature_selector<Estimator>::fitted> {
 public:
  static constexpr std::string_view kind = exhaustive_feature_selector::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(exhaustive_feature_selector spec, index n_features_in, std::vector<index> support, double score,
         index n_subsets)
      : spec_(std::move(spec)), n_features_in_(n_features_in), support_(std::move(support)), score_(score),
        n_subsets_(n_subsets) {}

  const exhaustive_feature_selector& spec() const { return spec_; }
  const std::vector<index>& support() const { return support_; }
  // The best subset's mean cross-validated score, and how many subsets were evaluated.
  double score() const { return score_; }
  index n_subsets() const { return n_subsets_; }
  index n_features_in() const { return n_features_in_; }

  // Throws mlpipe::load_error naming the first broken invariant: the support's size within [min_features,
  // max_features] and its indices ascending below n_features_in.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    detail::check_state_indices(kind, "state.support", support_, n_features_in_, "n_features_in");
    detail::check_state_count(kind, "state.support size", this->n_features_out(), spec_.min_features, spec_.max_features,
                              "max_features");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("n_features_in", n_features_in_);
    ar("support", support_);
    ar("score", score_);
    ar("n_subsets", n_subsets_);
  }

 private:
  exhaustive_feature_selector spec_;
  index n_features_in_ = 0;
  std::vector<index> support_;
  double score_ = 0.0;
  index n_subsets_ = 0;
};

template <class Estimator>
template <class Deferred>
typename exhaustive_feature_selector<Estimator>::fitted exhaustive_feature_selector<Estimator>::fit(
    const matrix_view& X, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  (void)resolve_n_jobs(n_jobs);
  detail::check_fit_input(kind, X, y);
  const index n = X.cols();
  if (min_features > max_features || max_features > n) {
    throw invalid_parameter("min_features = " + std::to_string(min_features) + " and max_features = " +
                                std::to_string(max_features) + " for an input of " + std::to_string(n) +
                                " features; expected 1 <= min_features <= max_features <= " + std::to_string(n),
                            kind);
  }
  // Count the subsets first: C(n, k) summed, exactly up to 1e15 (then counting stops: it is far too many).
  double count = 0.0;
  for (std::int64_t k = min_features; k <= max_features && count <= 1e15; ++k) {
    double c = 1.0;
    for (std::int64_t i = 1; i <= k; ++i) c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
    count += std::round(c);
  }
  if (count > static_cast<double>(max_subsets)) {
    throw invalid_parameter("min_features = " + std::to_string(min_features) + " to max_features = " +
                                std::to_string(max_features) + " of " + std::to_string(n) + " features makes " +
                                (count >= 1e15 ? std::string("more than 1e15") : format_double(count)) +
                                " subsets, more than max_subsets = " + std::to_string(max_subsets) +
                                "; expected fewer subsets (narrow the sizes, or raise max_subsets)",
                            kind);
  }
  // Every subset in order of size, then of combination (lexicographic).
  std::vector<std::vector<index>> subsets;
  for (index k = static_cast<index>(min_features); k <= static_cast<index>(max_features); ++k) {
    std::vector<index> c(static_cast<std::size_t>(k));
    for (index i = 0; i < k; ++i) c[static_cast<std::size_t>(i)] = i;
    while (true) {
      subsets.push_back(c);
      index i = k - 1;
      while (i >= 0 && c[static_cast<std::size_t>(i)] == n - k + i) --i;
      if (i < 0) break;
      ++c[static_cast<std::size_t>(i)];
      for (index j = i + 1; j < k; ++j) c[static_cast<std::size_t>(j)] = c[static_cast<std::size_t>(j - 1)] + 1;
    }
  }
  const auto setup = detail::selector_cv(estimator, cv, scoring, X, y, groups);
  const std::vector<scorer>& scorers = setup.second;
  const std::vector<detail::fold_data> folds = detail::make_folds(X, y, setup.first);  // cut once
  std::vector<double> mean_score(subsets.size());
  parallel_for(subsets.size(), n_jobs,
               [&](std::size_t c) { mean_score[c] = detail::subset_score(estimator, folds, scorers, subsets[c]); });
  std::size_t best = 0;
  for (std::size_t c = 1; c < subsets.size(); ++c)
    if (mean_score[c] > mean_score[best]) best = c;
  return fitted(*this, n, subsets[best], mean_score[best], static_cast<index>(subsets.size()));
}

}  // namespace mlpipe
