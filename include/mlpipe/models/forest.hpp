#pragma once

#include <algorithm>    // std::max
#include <cmath>        // std::round, std::isnan, std::isfinite
#include <cstdint>      // std::int64_t, std::uint64_t
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>  // std::conditional_t
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/parallel.hpp"  // parallel_for
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/scratch.hpp"   // scratch_frame: predict_one's class accumulator without allocation
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/tree.hpp"

// Random forests and extra trees as scikit-learn's: each tree grows on a bootstrap sample (random forests) or on all
// rows (extra trees, whose splits draw one random threshold per feature), considering max_features random features
// per split; predictions average the trees' (class fractions for classifiers). Each tree's random stream derives
// from (seed, tree index) only, so a forest is bit-identical for any n_jobs. Not bit-comparable with scikit-learn
// (another random stream): tests compare accuracy, R^2 and importances with its spread over seeds.

namespace mlpipe {

// forest_type -- which of the four forests a forest<...> is.
enum class forest_type { random_forest_classifier, random_forest_regressor, extra_trees_classifier, extra_trees_regressor };

namespace detail {

constexpr bool forest_classifies(forest_type t) {
  return t == forest_type::random_forest_classifier || t == forest_type::extra_trees_classifier;
}
constexpr bool forest_extra(forest_type t) {
  return t == forest_type::extra_trees_classifier || t == forest_type::extra_trees_regressor;
}
constexpr std::string_view forest_kind(forest_type t) {
  switch (t) {
    case forest_type::random_forest_classifier: return "random_forest_classifier";
    case forest_type::random_forest_regressor: return "random_forest_regressor";
    case forest_type::extra_trees_classifier: return "extra_trees_classifier";
    case forest_type::extra_trees_regressor: break;
  }
  return "extra_trees_regressor";
}

// The seed of tree t's random stream: a function of (seed, t) only.
inline std::uint64_t forest_tree_seed(std::int64_t seed, std::size_t t) {
  return splitmix64(splitmix64(static_cast<std::uint64_t>(seed)) + static_cast<std::uint64_t>(t));
}

// Nodes [begin, end) of a forest as a tree of their own, numbered from 0.
inline tree_structure forest_tree_copy(const tree_structure& all, index begin, index end) {
  tree_structure::fields t;
  const index n = end - begin;
  const auto b = static_cast<std::size_t>(begin), e = static_cast<std::size_t>(end);
  const auto shift = [begin](index c) { return c == tree_structure::leaf ? c : c - begin; };
  for (std::size_t i = b; i < e; ++i) {
    t.children_left.push_back(shift(all.children_left()[i]));
    t.children_right.push_back(shift(all.children_right()[i]));
  }
  t.feature.assign(all.feature().begin() + static_cast<std::ptrdiff_t>(b),
                    all.feature().begin() + static_cast<std::ptrdiff_t>(e));
  t.n_node_samples.assign(all.n_node_samples().begin() + static_cast<std::ptrdiff_t>(b),
                           all.n_node_samples().begin() + static_cast<std::ptrdiff_t>(e));
  t.threshold = all.threshold().segment(begin, n);
  t.impurity = all.impurity().segment(begin, n);
  t.weighted_n_node_samples = all.weighted_n_node_samples().segment(begin, n);
  t.value = all.value().middleRows(begin, n);
  return tree_structure(std::move(t));
}

// A regressor forest's class_weight: nothing (only classifiers weigh classes).
struct no_class_weight {
  friend constexpr bool operator==(no_class_weight, no_class_weight) = default;
};

}  // namespace detail

// forest -- random_forest_classifier, random_forest_regressor, extra_trees_classifier and extra_trees_regressor (use
// those names): an ensemble of CART trees, as scikit-learn's RandomForest* and ExtraTrees*.
template <forest_type Type>
struct forest {
  static constexpr std::string_view kind = detail::forest_kind(Type);
  static constexpr bool classification = detail::forest_classifies(Type);
  static constexpr bool extra = detail::forest_extra(Type);  // extra trees: random thresholds
  using criterion_type = std::conditional_t<classification, classification_criterion, regression_criterion>;

  int n_estimators = 100;  // number of trees; >= 1
  criterion_type criterion = criterion_type{};  // the impurity splits minimize (gini or squared_error by default)
  int max_depth = -1;                 // deepest leaf's depth; >= 1, or -1 for no limit
  int min_samples_split = 2;          // fewest rows a node needs to be split; >= 2
  int min_samples_leaf = 1;           // fewest rows each child of a split keeps; >= 1, at most half the rows
  double min_impurity_decrease = 0;   // a split must decrease the weighted impurity by at least this; >= 0
  // Features considered per split: sqrt for classifiers, all for regressors (scikit-learn's defaults).
  mlpipe::max_features max_features = classification ? mlpipe::max_features::sqrt : mlpipe::max_features::all;
  int max_leaf_nodes = -1;            // most leaves per tree, grown best-first when set; >= 2, or -1 for no limit
  bool bootstrap = !detail::forest_extra(Type);  // grow each tree on a bootstrap sample (else on every row)
  double max_samples = 1.0;           // bootstrap sample size as a fraction of the rows; 0 < max_samples <= 1
  bool oob_score = false;             // score the fit on out-of-bag rows (oob_score()); needs bootstrap
  double ccp_alpha = 0.0;             // minimal cost-complexity pruning of each tree (0: none); >= 0
  std::int64_t seed = 0;              // seeds every tree's random stream (with its index); 0 <= seed < 2^32
  int n_jobs = 1;                     // threads growing trees; >= 1, or -1 for every core; results do not depend on it
  // Classifiers: weights of the classes in the impurities (balanced_subsample: balanced on each tree's bootstrap
  // sample, as scikit-learn's); regressors have none.
  [[no_unique_address]] std::conditional_t<classification, mlpipe::class_weight, detail::no_class_weight>
      class_weight{};

  static constexpr auto params = std::tuple_cat(
      std::tuple{
      param<"n_estimators">(&forest::n_estimators, at_least(1)),
      param<"criterion">(&forest::criterion),
      param<"max_depth">(&forest::max_depth, at_least_or_unlimited{1}),
      param<"min_samples_split">(&forest::min_samples_split, at_least(2)),
      param<"min_samples_leaf">(&forest::min_samples_leaf, at_least(1)),
      param<"min_impurity_decrease">(&forest::min_impurity_decrease, at_least(0)),
      param<"max_features">(&forest::max_features, max_features_range{}),
      param<"max_leaf_nodes">(&forest::max_leaf_nodes, at_least_or_unlimited{2}),
      param<"bootstrap">(&forest::bootstrap),
      param<"max_samples">(&forest::max_samples, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
      param<"oob_score">(&forest::oob_score),
      param<"ccp_alpha">(&forest::ccp_alpha, at_least(0)),
      param<"seed">(&forest::seed, between(0, 4294967295.0)),
      param<"n_jobs">(&forest::n_jobs, at_least_or_unlimited{1, "every core"})},
      [] {
        if constexpr (classification)
          return std::tuple{param<"class_weight">(&forest::class_weight, class_weight_range{.subsample = true})};
        else
          return std::tuple{};
      }());

  friend bool operator==(const forest&, const forest&) = default;

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit a forest compile the growers
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row counts sample_weight times (times its class weight, and its bootstrap draws) in each
  // tree, as scikit-learn's fit(X, y, sample_weight); weights >= 0.
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  // A search fits candidates along n_estimators in ascending order, each keeping the trees of the last (see
  // mlpipe/core/reuse.hpp): tree t depends only on (seed, t) and the data, so the forest is bit for bit the one fit
  // would grow. previous must come from the same data; with other hyperparameters (but n_jobs) or more trees than
  // n_estimators, the forest is grown from scratch.
  static constexpr std::string_view warm_start_param = "n_estimators";
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const;
};

// random_forest_classifier -- bootstrap-sampled CART trees averaging their class fractions, as scikit-learn's
// RandomForestClassifier.
using random_forest_classifier = forest<forest_type::random_forest_classifier>;
// random_forest_regressor -- bootstrap-sampled CART trees averaging their predictions, as RandomForestRegressor.
using random_forest_regressor = forest<forest_type::random_forest_regressor>;
// extra_trees_classifier -- extremely randomized trees (a random threshold per feature), as ExtraTreesClassifier.
using extra_trees_classifier = forest<forest_type::extra_trees_classifier>;
// extra_trees_regressor -- extremely randomized trees, as ExtraTreesRegressor.
using extra_trees_regressor = forest<forest_type::extra_trees_regressor>;

template <forest_type Type>
class forest<Type>::fitted {
 public:
  static constexpr std::string_view kind = forest::kind;
  static constexpr int schema_version = 2;  // 2: param class_weight (classifiers)
  // Files of version 1 load, with class_weight none (see mlpipe/io/serialize.hpp's oldest_schema_version).
  static constexpr int oldest_schema_version = 1;
  static constexpr int param_since(std::string_view name) { return name == "class_weight" ? 2 : 1; }

  fitted() = default;  // an empty shell for load() to fill
  fitted(const forest& spec, vector classes, tree_structure nodes, std::vector<index> roots, index n_features,
         double oob)
      : spec_(spec), classes_(std::move(classes)), n_features_in_(n_features), nodes_(std::move(nodes)),
        roots_(std::move(roots)), importances_(importances()), oob_score_(oob) {}

  const forest& spec() const { return spec_; }
  index n_features_in() const { return n_features_in_; }
  // How many trees the forest has.
  index n_estimators() const { return static_cast<index>(roots_.size()); }
  // Every tree's nodes, one tree after another (child indices absolute); tree t starts at node roots()[t].
  const tree_structure& nodes() const { return nodes_; }
  const std::vector<index>& roots() const { return roots_; }
  // Tree t's nodes alone, numbered from 0 (a copy).
  tree_structure tree(index t) const {
    const index begin = roots_[static_cast<std::size_t>(t)];
    const index end = t + 1 < n_estimators() ? roots_[static_cast<std::size_t>(t + 1)] : nodes_.node_count();
    return detail::forest_tree_copy(nodes_, begin, end);
  }
  // The mean of the trees' normalized impurity importances (trees that are a single leaf left out), normalized to
  // sum to 1, as scikit-learn's feature_importances_.
  const vector& feature_importances() const { return importances_; }
  // The score on out-of-bag rows (accuracy for classifiers, R^2 for regressors), as scikit-learn's oob_score_; throws
  // when the forest was fitted without oob_score.
  double oob_score() const {
    if (!spec_.oob_score)
      throw invalid_input("oob_score() needs a forest fitted with oob_score = true; expected oob_score = true at fit",
                          kind);
    return oob_score_;
  }

  // classes() for a classifier, an empty vector for a regressor.
  const vector& classes_or_empty() const { return classes_; }

  // The labels seen in y at fit, ascending (classifiers).
  const vector& classes() const
    requires classification
  {
    return classes_;
  }

  // The mean over the trees of each row's leaf class fractions, one column per class (classifiers).
  matrix predict_proba(const matrix_view& X) const
    requires classification
  {
    detail::check_predict_input(kind, X, n_features_in_);
    matrix out(X.rows(), classes_.size());
    vector row(classes_.size());
    for (index i = 0; i < X.rows(); ++i) {
      proba_into([&](index f) { return X(i, f); }, std::span<double>(row.data(), static_cast<std::size_t>(row.size())));
      out.row(i) = row.transpose();
    }
    return out;
  }

  // One row, no allocation: the class probabilities into out (classes().size() values).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const
    requires classification
  {
    detail::check_row(kind, row, n_features_in_);
    detail::check_proba_out(kind, out, classes_.size());
    proba_into([&](index f) { return row[static_cast<std::size_t>(f)]; }, out);
  }

  // The most probable class per row (classifiers), or the mean of the trees' predictions (regressors).
  vector predict(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in_);
    vector out(X.rows());
    detail::scratch_frame frame;
    const std::span<double> buffer = frame.take(static_cast<std::size_t>(std::max<index>(classes_.size(), 1)));
    for (index i = 0; i < X.rows(); ++i) out(i) = predict_with([&](index f) { return X(i, f); }, buffer);
    return out;
  }

  // One row, no allocation.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in_);
    detail::scratch_frame frame;
    const std::span<double> buffer = frame.take(static_cast<std::size_t>(std::max<index>(classes_.size(), 1)));
    return predict_with([&](index f) { return row[static_cast<std::size_t>(f)]; }, buffer);
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, sorted distinct classes
  // (classifiers), one root per tree (the first at node 0, increasing), well-formed trees (see
  // detail::check_tree_nodes), the importances the nodes give, an OOB score only when asked for.
  void check_invariants() const {
    detail::check_params(spec_);
    if constexpr (classification) detail::check_state_classes(kind, "state.classes", classes_);
    else detail::check_state_size(kind, "state.classes", classes_.size(), 0, "a regressor has no classes");
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    detail::check_state_size(kind, "state.feature_importances", importances_.size(), n_features_in_,
                             "one per input feature");
    detail::check_state_size(kind, "state.roots", static_cast<index>(roots_.size()), spec_.n_estimators,
                             "one per tree, n_estimators");
    if (roots_[0] != 0)
      detail::throw_invariant(kind, "state.roots[0] = " + std::to_string(roots_[0]) +
                                        " is out of range; expected the first tree to start at node 0");
    detail::check_state_indices(kind, "state.roots", roots_, nodes_.node_count(), "the number of nodes");
    detail::check_tree_nodes(kind, nodes_, roots_, n_features_in_, classification ? classes_.size() : 1,
                             classification);
    const vector expected = importances();
    for (index j = 0; j < expected.size(); ++j) {
      if (importances_(j) == expected(j)) continue;
      detail::throw_invariant(kind, "state.feature_importances[" + std::to_string(j) + "] = " +
                                        format_double(importances_(j)) + " but the nodes give " +
                                        format_double(expected(j)) + "; expected the importances of the saved nodes");
    }
    const bool ok = spec_.oob_score ? std::isfinite(oob_score_) && oob_score_ <= 1.0 &&
                                          (!classification || oob_score_ >= 0.0)
                                    : std::isnan(oob_score_);
    if (!ok)
      detail::throw_invariant(kind, "state.oob_score = " + format_double(oob_score_) + " is out of range; expected " +
                                        (!spec_.oob_score ? std::string("nan without oob_score")
                                         : classification ? std::string("an accuracy in [0, 1]")
                                                          : std::string("an R^2 <= 1")));
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("n_features_in", n_features_in_);
    ar("roots", roots_);
    nodes_.serialize_fields(ar);
    ar("feature_importances", importances_);
    ar("oob_score", oob_score_);
  }

 private:
  index tree_end(std::size_t t) const { return t + 1 < roots_.size() ? roots_[t + 1] : nodes_.node_count(); }

  vector importances() const {
    vector sum = vector::Zero(n_features_in_);
    index used = 0;
    for (std::size_t t = 0; t < roots_.size(); ++t) {
      if (tree_end(t) - roots_[t] <= 1) continue;
      sum += detail::tree_importances(nodes_, roots_[t], tree_end(t), n_features_in_);
      ++used;
    }
    if (used == 0) return sum;
    sum /= static_cast<double>(used);
    return sum / sum.sum();
  }

  // The mean class fractions of the leaves a row reaches, into out.
  template <class At>
  void proba_into(At&& at, std::span<double> out) const {
    const index K = classes_.size();
    std::fill(out.begin(), out.end(), 0.0);
    const matrix& value = nodes_.value();
    for (const index root : roots_) {
      const index leaf = nodes_.leaf_of(root, at);
      double total = 0.0;
      for (index k = 0; k < K; ++k) total += value(leaf, k);
      for (index k = 0; k < K; ++k) out[static_cast<std::size_t>(k)] += value(leaf, k) / total;
    }
    for (double& p : out) p /= static_cast<double>(roots_.size());
  }

  template <class At>
  double predict_with(At&& at, std::span<double> buffer) const {
    if constexpr (classification) {
      proba_into(at, buffer);
      std::size_t best = 0;
      for (std::size_t k = 1; k < buffer.size(); ++k)
        if (buffer[k] > buffer[best]) best = k;
      return classes_(static_cast<index>(best));
    } else {
      double sum = 0.0;
      for (const index root : roots_) sum += nodes_.value()(nodes_.leaf_of(root, at), 0);
      return sum / static_cast<double>(roots_.size());
    }
  }

  forest spec_;
  vector classes_;
  index n_features_in_ = 0;
  tree_structure nodes_;
  std::vector<index> roots_;
  vector importances_;
  double oob_score_ = std::numeric_limits<double>::quiet_NaN();
};

namespace detail {

// The trees one after another in one tree_structure, child indices made absolute; returns the roots.
inline std::vector<index> concatenate_trees(std::vector<tree_structure>& trees, tree_structure& out) {
  index total = 0;
  for (const auto& t : trees) total += t.node_count();
  const index k = trees.front().value().cols();
  tree_structure::fields f;
  f.threshold.resize(total);
  f.impurity.resize(total);
  f.weighted_n_node_samples.resize(total);
  f.value.resize(total, k);
  std::vector<index> roots;
  index offset = 0;
  for (auto& t : trees) {
    roots.push_back(offset);
    const index n = t.node_count();
    for (index i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      const auto shift = [offset](index c) { return c == tree_structure::leaf ? c : c + offset; };
      f.children_left.push_back(shift(t.children_left()[u]));
      f.children_right.push_back(shift(t.children_right()[u]));
    }
    f.feature.insert(f.feature.end(), t.feature().begin(), t.feature().end());
    f.n_node_samples.insert(f.n_node_samples.end(), t.n_node_samples().begin(), t.n_node_samples().end());
    f.threshold.segment(offset, n) = t.threshold();
    f.impurity.segment(offset, n) = t.impurity();
    f.weighted_n_node_samples.segment(offset, n) = t.weighted_n_node_samples();
    f.value.middleRows(offset, n) = t.value();
    offset += n;
    t = tree_structure();  // free it
  }
  out = tree_structure(std::move(f));
  return roots;
}

// 1 - SS_res / SS_tot, as scikit-learn's r2_score (1 for a perfect fit of a constant target, else 0 then).
inline double r_squared(const vector_view& y, const vector& prediction) {
  const double mean = y.mean();
  const double ss_res = (y - prediction).squaredNorm();
  const double ss_tot = (y.array() - mean).square().sum();
  if (ss_tot == 0.0) return ss_res == 0.0 ? 1.0 : 0.0;
  return 1.0 - ss_res / ss_tot;
}

// The bootstrap draw counts of tree t, the first draws of its random stream (empty without bootstrap).
inline std::vector<double> bootstrap_weights(tree_random& rng, bool bootstrap, index n, index n_bootstrap) {
  std::vector<double> weights;
  if (!bootstrap) return weights;
  weights.assign(static_cast<std::size_t>(n), 0.0);
  for (index k = 0; k < n_bootstrap; ++k) weights[static_cast<std::size_t>(rng.integer(0, n))] += 1.0;
  return weights;
}

// forest::fit, and forest::fit_warm when previous is given (its trees are kept, the others grown).
template <class Forest>
typename Forest::fitted fit_forest(const Forest& spec, const matrix_view& X, const vector_view& y,
                                   const typename Forest::fitted* previous = nullptr,
                                   const vector* sample_weight = nullptr) {
  constexpr std::string_view kind = Forest::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(kind, X, *sample_weight);
  if (spec.oob_score && !spec.bootstrap)
    throw invalid_parameter("oob_score = true but bootstrap = false; expected bootstrap = true (out-of-bag rows "
                            "exist only when trees grow on bootstrap samples)",
                            kind);
  if (spec.max_samples != 1.0 && !spec.bootstrap)
    throw invalid_parameter("max_samples = " + format_double(spec.max_samples) +
                                " but bootstrap = false; expected max_samples = 1 without bootstrap (every tree sees "
                                "every row)",
                            kind);
  check_tree_params_against(spec, X.rows(), X.cols());
  resolve_n_jobs(spec.n_jobs);
  vector classes;
  std::vector<double> targets;
  std::vector<index> class_of;
  // Each row's weight before the bootstrap: its sample weight times (balanced or given) its class weight; empty for
  // all 1. balanced_subsample weighs classes per tree, from the tree's draws (balanced without bootstrap).
  std::vector<double> base;
  bool per_tree_classes = false;
  if constexpr (Forest::classification) {
    std::tie(classes, targets) = encode_classes(kind, y);
    class_of = class_indices(targets);
    per_tree_classes = spec.class_weight.how == class_weight::rule::balanced_subsample && spec.bootstrap;
    base = row_weights(kind, per_tree_classes ? class_weight::none : spec.class_weight, classes, class_of,
                       sample_weight);
  } else {
    targets.assign(y.data(), y.data() + y.size());
    if (sample_weight != nullptr) base.assign(sample_weight->data(), sample_weight->data() + sample_weight->size());
  }
  if (!base.empty() && *std::max_element(base.begin(), base.end()) <= 0.0) {
    throw invalid_input("every row weighs 0 (class_weight times sample_weight); expected a row of positive weight",
                        kind);
  }
  const index n = X.rows();
  const index n_bootstrap = std::max<index>(1, static_cast<index>(std::round(static_cast<double>(n) * spec.max_samples)));
  const tree_settings s = tree_settings_of(spec, X.cols(), Forest::classification ? classes.size() : 1,
                                           Forest::classification, Forest::extra);
  const auto n_trees = static_cast<std::size_t>(spec.n_estimators);
  std::vector<tree_structure> trees(n_trees);
  std::size_t kept = 0;
  if (previous != nullptr) {
    Forest same = previous->spec();
    same.n_estimators = spec.n_estimators;
    same.n_jobs = spec.n_jobs;
    if (same == spec && previous->n_estimators() <= spec.n_estimators && previous->n_features_in() == X.cols() &&
        previous->classes_or_empty() == classes) {
      kept = static_cast<std::size_t>(previous->n_estimators());
      for (std::size_t t = 0; t < kept; ++t) trees[t] = previous->tree(static_cast<index>(t));
    }
  }
  parallel_for(n_trees - kept, spec.n_jobs, [&](std::size_t task) {
    const std::size_t t = kept + task;
    tree_random rng(forest_tree_seed(spec.seed, t));
    std::vector<double> weights = bootstrap_weights(rng, spec.bootstrap, n, n_bootstrap);
    if (per_tree_classes) {
      const std::vector<double> per_class = class_weights_of(kind, class_weight::balanced, classes, class_of, weights);
      for (std::size_t i = 0; i < weights.size(); ++i) weights[i] *= per_class[static_cast<std::size_t>(class_of[i])];
    }
    if (!base.empty()) {
      if (weights.empty()) weights = base;
      else
        for (std::size_t i = 0; i < weights.size(); ++i) weights[i] *= base[i];
    }
    trees[t] = grow_pruned_tree(spec, X, targets.data(), weights, s, rng);
  });

  double oob = std::numeric_limits<double>::quiet_NaN();
  if (spec.oob_score) {
    // Each row's prediction from the trees that did not draw it (scikit-learn's _compute_oob_predictions).
    const index K = Forest::classification ? classes.size() : 1;
    matrix sum = matrix::Zero(n, K);
    vector count = vector::Zero(n);
    for (std::size_t t = 0; t < n_trees; ++t) {
      const tree_structure& tree = trees[t];
      tree_random rng(forest_tree_seed(spec.seed, t));  // the draws the tree was grown on, again
      const std::vector<double> drawn = bootstrap_weights(rng, true, n, n_bootstrap);
      for (index i = 0; i < n; ++i) {
        if (drawn[static_cast<std::size_t>(i)] != 0.0) continue;
        const index leaf = tree.leaf_of(0, [&](index f) { return X(i, f); });
        if constexpr (Forest::classification) {
          const double total = tree.value().row(leaf).sum();
          for (index k = 0; k < K; ++k) sum(i, k) += tree.value()(leaf, k) / total;
        } else {
          sum(i, 0) += tree.value()(leaf, 0);
        }
        count(i) += 1.0;
      }
    }
    for (index i = 0; i < n; ++i) sum.row(i) /= std::max(count(i), 1.0);
    if constexpr (Forest::classification) {
      index correct = 0;
      for (index i = 0; i < n; ++i) {
        index best = 0;
        sum.row(i).maxCoeff(&best);
        correct += classes(best) == y(i) ? 1 : 0;
      }
      oob = static_cast<double>(correct) / static_cast<double>(n);
    } else {
      oob = r_squared(y, sum.col(0));
    }
  }
  tree_structure nodes;
  std::vector<index> roots = concatenate_trees(trees, nodes);
  return typename Forest::fitted(spec, std::move(classes), std::move(nodes), std::move(roots), X.cols(), oob);
}

}  // namespace detail

template <forest_type Type>
template <class Deferred>
typename forest<Type>::fitted forest<Type>::fit(const matrix_view& X, const vector_view& y) const {
  return detail::fit_forest(*this, X, y);
}

template <forest_type Type>
template <class Deferred>
typename forest<Type>::fitted forest<Type>::fit(const matrix_view& X, const vector_view& y,
                                                const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  return detail::fit_forest(*this, X, y, nullptr, &sw);
}

template <forest_type Type>
template <class Deferred>
typename forest<Type>::fitted forest<Type>::fit_warm(const matrix_view& X, const vector_view& y,
                                                     const fitted& previous) const {
  return detail::fit_forest(*this, X, y, &previous);
}

}  // namespace mlpipe
