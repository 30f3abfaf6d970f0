#pragma once

// Opt-in: gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev, 1.7). Include this header and link
// the mlpipe::xgboost CMake target (which links xgboost::xgboost); the rest of mlpipe does not need XGBoost.

#include <algorithm>    // std::max
#include <array>
#include <cmath>        // std::isfinite
#include <cstdint>      // std::int64_t, std::uintptr_t
#include <cstdio>       // std::snprintf
#include <memory>       // std::shared_ptr, std::unique_ptr
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>  // std::conditional_t
#include <utility>      // std::move, std::pair
#include <vector>

#include <nlohmann/json.hpp>
#include <xgboost/c_api.h>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/parallel.hpp"     // resolve_n_jobs
#include "mlpipe/core/param_value.hpp"  // format_double, enum_names
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/tree.hpp"       // at_least_or_unlimited, encode_classes, check_proba_out

namespace mlpipe {

// xgboost_tree_method -- how XGBoost finds splits (its tree_method parameter).
enum class xgboost_tree_method {
  hist,    // histograms of quantile-binned features: fast, deterministic
  approx,  // per-iteration quantile sketches
  exact    // every split point of every feature
};

template <>
struct enum_names<xgboost_tree_method> {
  static constexpr std::array values{std::pair{xgboost_tree_method::hist, std::string_view("hist")},
                                     std::pair{xgboost_tree_method::approx, std::string_view("approx")},
                                     std::pair{xgboost_tree_method::exact, std::string_view("exact")}};
};

namespace detail {

// The message of XGBoost's last failed call on this thread.
inline std::string xgboost_last_error() {
  const char* text = XGBGetLastError();
  return text == nullptr ? std::string("(no message)") : std::string(text);
}

// Throws Error (an mlpipe::error) naming what failed and XGBoost's message, when an XGBoost call returned non-zero.
template <class Error = error>
void xgboost_check(int rc, std::string_view kind, std::string_view doing) {
  if (rc == 0) return;
  throw Error("XGBoost failed to " + std::string(doing) + ": " + xgboost_last_error(), kind);
}

// A booster shared by the copies of a fitted stage (immutable: only predictions run on it, which XGBoost allows from
// several threads at once).
using xgboost_booster = std::shared_ptr<void>;

inline xgboost_booster make_booster(const DMatrixHandle* train, std::string_view kind) {
  BoosterHandle handle = nullptr;
  xgboost_check(XGBoosterCreate(train, train == nullptr ? 0 : 1, &handle), kind, "create a booster");
  return xgboost_booster(handle, [](void* h) { XGBoosterFree(h); });
}

// The __array_interface__ XGBoost reads a column-major view of doubles through (no copy).
inline std::string array_interface(const matrix_view& X) {
  char text[200];
  std::snprintf(text, sizeof text,
                "{\"data\": [%llu, true], \"shape\": [%lld, %lld], \"strides\": [8, %lld], \"typestr\": \"<f8\", "
                "\"version\": 3}",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(X.data())),
                static_cast<long long>(X.rows()), static_cast<long long>(X.cols()),
                static_cast<long long>(8 * X.outerStride()));
  return text;
}

// Prediction settings: probabilities (or values), all trees, NaN for missing (mlpipe rejects NaN before).
inline constexpr const char* xgboost_predict_config =
    "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false, "
    "\"missing\": NaN, \"cache_id\": 0}";

// Runs in-place prediction on the rows described by `interface`; the result lives in XGBoost's per-thread buffer
// until the next call on this thread.
inline std::span<const float> xgboost_predict(const xgboost_booster& booster, const char* interface, index n_rows,
                                              index per_row, std::string_view kind) {
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  xgboost_check(XGBoosterPredictFromDense(booster.get(), interface, xgboost_predict_config, nullptr, &shape, &dim,
                                          &result),
                kind, "predict");
  bst_ulong size = 1;
  for (bst_ulong d = 0; d < dim; ++d) size *= shape[d];
  if (static_cast<index>(size) != n_rows * per_row)
    throw error("XGBoost returned " + std::to_string(size) + " predictions for " + std::to_string(n_rows) +
                    " rows; expected " + std::to_string(n_rows * per_row),
                kind);
  return {result, static_cast<std::size_t>(size)};
}

// Checks the trees of XGBoost's JSON model before XGBoost reads them (a model file is untrusted input): per tree,
// every node array as long as num_nodes, children after their node and within the tree (or -1), split features
// below num_feature, finite split values and leaf weights. Returns the model's num_feature and num_class.
inline std::pair<index, index> check_xgboost_model(std::string_view kind, const nlohmann::json& model) {
  const auto fail = [kind](const std::string& what) {
    throw load_error("state.booster " + what + "; expected XGBoost's JSON model as this stage saves it", kind);
  };
  const auto integer = [&](const nlohmann::json& j, const std::string& where) -> index {
    // XGBoost writes its counts as strings ("7") in 1.7 and as numbers in other versions.
    if (j.is_number_integer()) return j.get<index>();
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      if (!s.empty() && s.size() < 18 && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
    }
    fail(where + " is not a count");
    return 0;
  };
  const auto at = [&](const nlohmann::json& j, const char* name, const std::string& where) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name)) fail("has no " + where + "." + name);
    return j[name];
  };
  const nlohmann::json& learner = at(model, "learner", "model");
  const nlohmann::json& param = at(learner, "learner_model_param", "learner");
  const index n_features = integer(at(param, "num_feature", "learner_model_param"), "num_feature");
  const index n_class = integer(at(param, "num_class", "learner_model_param"), "num_class");
  const nlohmann::json& trees = at(at(at(learner, "gradient_booster", "learner"), "model", "gradient_booster"),
                                   "trees", "model");
  if (!trees.is_array()) fail("has trees that are not a list");
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const std::string where = "tree " + std::to_string(t);
    const nlohmann::json& tree = trees[t];
    const index n = integer(at(at(tree, "tree_param", where), "num_nodes", where + ".tree_param"), where + " num_nodes");
    if (n < 1) fail("has " + where + " without nodes");
    for (const char* name : {"left_children", "right_children", "parents", "split_indices", "split_conditions",
                             "default_left", "base_weights", "loss_changes", "sum_hessian", "split_type"}) {
      const nlohmann::json& a = at(tree, name, where);
      if (!a.is_array() || static_cast<index>(a.size()) != n)
        fail("has " + where + "." + name + " of another length than its " + std::to_string(n) + " nodes");
    }
    const nlohmann::json& left = tree["left_children"];
    const nlohmann::json& right = tree["right_children"];
    const nlohmann::json& feature = tree["split_indices"];
    const nlohmann::json& condition = tree["split_conditions"];
    std::vector<char> has_parent(static_cast<std::size_t>(n), 0);
    for (index i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (!left[u].is_number_integer() || !right[u].is_number_integer() || !feature[u].is_number_integer() ||
          !condition[u].is_number())
        fail("has " + where + " node " + std::to_string(i) + " with a field that is not a number");
      const index l = left[u].get<index>(), r = right[u].get<index>(), f = feature[u].get<index>();
      if (!std::isfinite(condition[u].get<double>()))
        fail("has " + where + " node " + std::to_string(i) + " with a split value or weight that is not finite");
      if (l == -1 && r == -1) continue;
      for (const index c : {l, r}) {
        if (c <= i || c >= n || has_parent[static_cast<std::size_t>(c)]++)
          fail("has " + where + " node " + std::to_string(i) + " with child " + std::to_string(c) +
               " out of place (children come after their node, once, within the tree)");
      }
      if (f < 0 || f >= n_features)
        fail("has " + where + " node " + std::to_string(i) + " splitting on feature " + std::to_string(f) +
             " of " + std::to_string(n_features));
    }
    for (index i = 1; i < n; ++i)
      if (!has_parent[static_cast<std::size_t>(i)]) fail("has " + where + " node " + std::to_string(i) + " without a parent");
  }
  return {n_features, n_class};
}

// Gain importances per feature (XGBoost's "gain": the mean loss reduction of the splits on it), normalized to sum to
// 1 in double (all zero without splits), as XGBClassifier.feature_importances_ (which normalizes in float).
template <class Error>
vector xgboost_importances(const xgboost_booster& booster, index n_features, std::string_view kind) {
  bst_ulong n_named = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  xgboost_check<Error>(XGBoosterFeatureScore(booster.get(), "{\"importance_type\": \"gain\"}", &n_named, &names, &dim,
                                             &shape, &scores),
                       kind, "compute feature importances");
  vector out = vector::Zero(n_features);
  for (bst_ulong i = 0; i < n_named; ++i) {
    // Features without names are called f0, f1, ...
    const std::string_view name(names[i]);
    if (name.size() < 2 || name[0] != 'f' || name.size() > 12 ||
        name.find_first_not_of("0123456789", 1) != std::string_view::npos)
      continue;
    const index j = std::stoll(std::string(name.substr(1)));
    if (j < n_features) out(j) = static_cast<double>(scores[i]);
  }
  const double sum = out.sum();
  if (sum > 0.0) out /= sum;
  return out;
}

}  // namespace detail

// xgboost_model -- xgboost_classifier and xgboost_regressor (use those names): gradient-boosted trees trained and
// evaluated by XGBoost, with XGBoost's parameter names where scikit-learn's XGBClassifier / XGBRegressor use them.
template <bool Classification>
struct xgboost_model {
  static constexpr std::string_view kind = Classification ? "xgboost_classifier" : "xgboost_regressor";
  static constexpr bool classification = Classification;
  static constexpr bool allocates_per_row = true;  // XGBoost's in-place prediction allocates inside XGBoost

  int n_estimators = 100;          // boosting rounds (trees per class for multi-class); >= 1
  int max_depth = 6;               // deepest leaf of each tree; >= 1
  double learning_rate = 0.3;      // shrinkage of each tree's contribution (XGBoost's eta); > 0
  double subsample = 1.0;          // fraction of rows each tree is grown on; 0 < subsample <= 1
  double colsample_bytree = 1.0;   // fraction of features each tree may use; 0 < colsample_bytree <= 1
  double min_child_weight = 1.0;   // least hessian sum a child keeps; >= 0
  double reg_lambda = 1.0;         // L2 penalty on leaf weights (XGBoost's lambda); >= 0
  double reg_alpha = 0.0;          // L1 penalty on leaf weights (XGBoost's alpha); >= 0
  double gamma = 0.0;              // least loss reduction a split needs; >= 0
  xgboost_tree_method tree_method = xgboost_tree_method::hist;  // how splits are found
  std::int64_t seed = 0;           // XGBoost's random seed (subsampling); 0 <= seed < 2^32
  int n_jobs = 1;                  // XGBoost threads (training and prediction); >= 1, or -1 for every core

  static constexpr auto params = std::tuple{
      param<"n_estimators">(&xgboost_model::n_estimators, at_least(1)),
      param<"max_depth">(&xgboost_model::max_depth, at_least(1)),
      param<"learning_rate">(&xgboost_model::learning_rate, greater_than(0)),
      param<"subsample">(&xgboost_model::subsample, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
      param<"colsample_bytree">(&xgboost_model::colsample_bytree, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
      param<"min_child_weight">(&xgboost_model::min_child_weight, at_least(0)),
      param<"reg_lambda">(&xgboost_model::reg_lambda, at_least(0)),
      param<"reg_alpha">(&xgboost_model::reg_alpha, at_least(0)),
      param<"gamma">(&xgboost_model::gamma, at_least(0)),
      param<"tree_method">(&xgboost_model::tree_method),
      param<"seed">(&xgboost_model::seed, between(0, 4294967295.0)),
      param<"n_jobs">(&xgboost_model::n_jobs, at_least_or_unlimited{1, "every core"})};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
};

// xgboost_classifier -- gradient-boosted trees for classes (binary:logistic for two, multi:softprob for more), as
// xgboost's XGBClassifier.
using xgboost_classifier = xgboost_model<true>;
// xgboost_regressor -- gradient-boosted trees for squared error (reg:squarederror), as xgboost's XGBRegressor.
using xgboost_regressor = xgboost_model<false>;

template <bool Classification>
class xgboost_model<Classification>::fitted {
 public:
  static constexpr std::string_view kind = xgboost_model::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(const xgboost_model& spec, vector classes, index n_features, std::string booster_json)
      : spec_(spec), classes_(std::move(classes)), n_features_in_(n_features), booster_json_(std::move(booster_json)) {
    load_booster<error>();
  }

  const xgboost_model& spec() const { return spec_; }
  index n_features_in() const { return n_features_in_; }
  // XGBoost's JSON model, as XGBoost's own save_model(".json") writes it (what the mlpipe file holds).
  const std::string& booster_json() const { return booster_json_; }
  // XGBoost's gain importances, normalized to sum to 1 (see detail::xgboost_importances).
  const vector& feature_importances() const { return importances_; }
  // The booster, for XGBoost's own API (do not modify it: fitted stages are immutable).
  BoosterHandle booster() const { return booster_.get(); }

  // The labels seen in y at fit, ascending (classifier).
  const vector& classes() const
    requires Classification
  {
    return classes_;
  }

  // XGBoost's class probabilities, one column per class in classes() order (classifier). XGBoost computes them in
  // float: for three or more classes they are divided by their sum in double, so that each row sums to 1 to double
  // precision (XGBoost's own sum to 1 within 1e-7); the predicted class is the same.
  matrix predict_proba(const matrix_view& X) const
    requires Classification
  {
    detail::check_predict_input(kind, X, n_features_in_);
    const std::string interface = detail::array_interface(X);
    const index K = classes_.size();
    const std::span<const float> p = detail::xgboost_predict(booster_, interface.c_str(), X.rows(), K == 2 ? 1 : K, kind);
    matrix out(X.rows(), K);
    for (index i = 0; i < X.rows(); ++i) proba_row(p, i, out);
    return out;
  }

  // The class with the largest probability (binary: probability > 0.5, as XGBClassifier), or XGBoost's prediction.
  vector predict(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in_);
    const std::string interface = detail::array_interface(X);
    const index per_row = Classification && classes_.size() > 2 ? classes_.size() : 1;
    const std::span<const float> p = detail::xgboost_predict(booster_, interface.c_str(), X.rows(), per_row, kind);
    vector out(X.rows());
    for (index i = 0; i < X.rows(); ++i) out(i) = label_of(p.subspan(static_cast<std::size_t>(i * per_row),
                                                                     static_cast<std::size_t>(per_row)));
    return out;
  }

  // One row: XGBoost's in-place prediction on the row's memory (no copy; XGBoost itself allocates).
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in_);
    char interface[160];
    row_interface(row, interface);
    const index per_row = Classification && classes_.size() > 2 ? classes_.size() : 1;
    return label_of(detail::xgboost_predict(booster_, interface, 1, per_row, kind));
  }

  // One row: the class probabilities into out (classes().size() values).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const
    requires Classification
  {
    detail::check_row(kind, row, n_features_in_);
    detail::check_proba_out(kind, out, classes_.size());
    char interface[160];
    row_interface(row, interface);
    const index K = classes_.size();
    const std::span<const float> p = detail::xgboost_predict(booster_, interface, 1, K == 2 ? 1 : K, kind);
    if (K == 2) {
      out[0] = 1.0 - static_cast<double>(p[0]);
      out[1] = static_cast<double>(p[0]);
    } else {
      double sum = 0.0;
      for (index k = 0; k < K; ++k) sum += static_cast<double>(p[static_cast<std::size_t>(k)]);
      for (index k = 0; k < K; ++k)
        out[static_cast<std::size_t>(k)] = static_cast<double>(p[static_cast<std::size_t>(k)]) / sum;
    }
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, sorted distinct classes
  // (classifier), and a booster with n_features_in features, n_estimators rounds and the classes' objective.
  void check_invariants() const {
    detail::check_params(spec_);
    if constexpr (Classification) detail::check_state_classes(kind, "state.classes", classes_);
    else detail::check_state_size(kind, "state.classes", classes_.size(), 0, "a regressor has no classes");
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    if (!booster_) detail::throw_invariant(kind, "state.booster is empty; expected XGBoost's JSON model");
    bst_ulong n_features = 0;
    detail::xgboost_check<load_error>(XGBoosterGetNumFeature(booster_.get(), &n_features), kind, "read the booster");
    if (static_cast<index>(n_features) != n_features_in_)
      detail::throw_invariant(kind, "state.booster has " + std::to_string(n_features) +
                                        " features but state.n_features_in = " + std::to_string(n_features_in_) +
                                        "; expected the same number");
    int rounds = 0;
    detail::xgboost_check<load_error>(XGBoosterBoostedRounds(booster_.get(), &rounds), kind, "read the booster");
    if (rounds != spec_.n_estimators)
      detail::throw_invariant(kind, "state.booster has " + std::to_string(rounds) +
                                        " boosting rounds but n_estimators = " + std::to_string(spec_.n_estimators) +
                                        "; expected the same number");
    const index expected_class = Classification && classes_.size() > 2 ? classes_.size() : 0;
    if (n_class_ != expected_class)
      detail::throw_invariant(kind, "state.booster has num_class = " + std::to_string(n_class_) + " but state.classes has " +
                                        std::to_string(classes_.size()) + " values; expected num_class = " +
                                        std::to_string(expected_class));
    const std::string objective = booster_objective();
    if (objective != expected_objective())
      detail::throw_invariant(kind, "state.booster has objective \"" + detail::clipped(objective, 40) +
                                        "\"; expected \"" + expected_objective() + "\"");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("n_features_in", n_features_in_);
    ar("feature_importances", importances_);
    ar("booster", booster_json_);
    if (!booster_) load_booster<load_error>(true);  // reading into an empty shell: XGBoost reads the model
  }

  // The objective XGBoost is trained with.
  std::string expected_objective() const {
    if constexpr (Classification) return classes_.size() > 2 ? "multi:softprob" : "binary:logistic";
    else return "reg:squarederror";
  }

 private:
  // Checks the JSON model, then has XGBoost load it (its errors become Error) and computes the importances; when
  // loading, the saved importances (whose length bounds n_features_in by the file's size) must be those.
  template <class Error>
  void load_booster(bool loading = false) {
    const nlohmann::json model = nlohmann::json::parse(booster_json_, nullptr, false);
    if (model.is_discarded()) throw Error("state.booster is not JSON; expected XGBoost's JSON model", kind);
    const auto [n_features, n_class] = detail::check_xgboost_model(kind, model);
    n_class_ = n_class;
    if (loading) {
      detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
      detail::check_state_size(kind, "state.feature_importances", importances_.size(), n_features_in_,
                               "one per input feature");
      if (n_features != n_features_in_)
        detail::throw_invariant(kind, "state.booster has " + std::to_string(n_features) +
                                          " features but state.n_features_in = " + std::to_string(n_features_in_) +
                                          "; expected the same number");
    }
    detail::xgboost_booster b = detail::make_booster(nullptr, kind);
    detail::xgboost_check<Error>(XGBoosterLoadModelFromBuffer(b.get(), booster_json_.data(), booster_json_.size()),
                                 kind, "load the booster");
    const int threads = static_cast<int>(resolve_n_jobs(spec_.n_jobs));
    detail::xgboost_check<Error>(XGBoosterSetParam(b.get(), "nthread", std::to_string(threads).c_str()), kind,
                                 "set nthread");
    vector importances = detail::xgboost_importances<Error>(b, n_features_in_, kind);
    if (loading) {
      for (index j = 0; j < importances.size(); ++j) {
        if (importances(j) == importances_(j)) continue;
        detail::throw_invariant(kind, "state.feature_importances[" + std::to_string(j) + "] = " +
                                          format_double(importances_(j)) + " but the booster gives " +
                                          format_double(importances(j)) + "; expected the booster's importances");
      }
    }
    importances_ = std::move(importances);
    booster_ = std::move(b);
  }

  std::string booster_objective() const {
    const nlohmann::json model = nlohmann::json::parse(booster_json_, nullptr, false);
    const nlohmann::json::json_pointer at("/learner/objective/name");
    return model.contains(at) && model[at].is_string() ? model[at].get<std::string>() : std::string("(none)");
  }

  static void row_interface(std::span<const double> row, char (&text)[160]) {
    std::snprintf(text, sizeof text,
                  "{\"data\": [%llu, true], \"shape\": [1, %llu], \"typestr\": \"<f8\", \"version\": 3}",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(row.data())),
                  static_cast<unsigned long long>(row.size()));
  }

  // Row i of XGBoost's output as class probabilities (binary: XGBoost gives the second class's).
  void proba_row(std::span<const float> p, index i, matrix& out) const {
    const index K = classes_.size();
    if (K == 2) {
      out(i, 0) = 1.0 - static_cast<double>(p[static_cast<std::size_t>(i)]);
      out(i, 1) = static_cast<double>(p[static_cast<std::size_t>(i)]);
    } else {
      double sum = 0.0;
      for (index k = 0; k < K; ++k) sum += static_cast<double>(p[static_cast<std::size_t>(i * K + k)]);
      for (index k = 0; k < K; ++k) out(i, k) = static_cast<double>(p[static_cast<std::size_t>(i * K + k)]) / sum;
    }
  }

  double label_of(std::span<const float> p) const {
    if constexpr (Classification) {
      if (classes_.size() == 2) return classes_(p[0] > 0.5f ? 1 : 0);
      std::size_t best = 0;
      for (std::size_t k = 1; k < p.size(); ++k)
        if (p[k] > p[best]) best = k;
      return classes_(static_cast<index>(best));
    } else {
      return static_cast<double>(p[0]);
    }
  }

  xgboost_model spec_;
  vector classes_;
  index n_features_in_ = 0;
  std::string booster_json_;
  detail::xgboost_booster booster_;
  index n_class_ = 0;
  vector importances_;  // derived from the booster; saved so that its length bounds n_features_in on load
};

namespace detail {

template <class Spec>
typename Spec::fitted fit_xgboost(const Spec& spec, const matrix_view& X, const vector_view& y) {
  constexpr std::string_view kind = Spec::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  const int threads = static_cast<int>(resolve_n_jobs(spec.n_jobs));
  vector classes;
  std::vector<float> labels(static_cast<std::size_t>(y.size()));
  if constexpr (Spec::classification) {
    std::vector<double> encoded;
    std::tie(classes, encoded) = encode_classes(kind, y);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<float>(encoded[i]);
  } else {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      labels[i] = static_cast<float>(y(static_cast<index>(i)));
      if (!std::isfinite(labels[i]))
        throw invalid_input("y has " + format_double(y(static_cast<index>(i))) + " at row ", static_cast<index>(i),
                            ", beyond the range of float, which XGBoost keeps targets in; expected |y| < 3.4e38",
                            kind);
    }
  }
  DMatrixHandle dtrain = nullptr;
  const std::string data_config = "{\"missing\": NaN, \"nthread\": " + std::to_string(threads) + "}";
  xgboost_check(XGDMatrixCreateFromDense(array_interface(X).c_str(), data_config.c_str(), &dtrain), kind,
                "read X");
  const std::unique_ptr<void, int (*)(DMatrixHandle)> dtrain_owner(dtrain, XGDMatrixFree);
  xgboost_check(XGDMatrixSetFloatInfo(dtrain, "label", labels.data(), static_cast<bst_ulong>(labels.size())), kind,
                "set the labels");
  const xgboost_booster booster = make_booster(&dtrain, kind);
  std::vector<std::pair<std::string, std::string>> settings{
      {"verbosity", "0"},
      {"nthread", std::to_string(threads)},
      {"max_depth", std::to_string(spec.max_depth)},
      {"eta", format_double(spec.learning_rate)},
      {"subsample", format_double(spec.subsample)},
      {"colsample_bytree", format_double(spec.colsample_bytree)},
      {"min_child_weight", format_double(spec.min_child_weight)},
      {"lambda", format_double(spec.reg_lambda)},
      {"alpha", format_double(spec.reg_alpha)},
      {"gamma", format_double(spec.gamma)},
      {"tree_method", std::get<std::string>(param_traits<xgboost_tree_method>::to_value(spec.tree_method))},
      {"seed", std::to_string(spec.seed)}};
  if constexpr (Spec::classification) {
    if (classes.size() > 2) {
      settings.emplace_back("objective", "multi:softprob");
      settings.emplace_back("num_class", std::to_string(classes.size()));
    } else {
      settings.emplace_back("objective", "binary:logistic");
    }
  } else {
    settings.emplace_back("objective", "reg:squarederror");
  }
  for (const auto& [name, value] : settings)
    xgboost_check<invalid_parameter>(XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()), kind,
                                     "set " + name + " = " + value);
  for (int round = 0; round < spec.n_estimators; ++round)
    xgboost_check(XGBoosterUpdateOneIter(booster.get(), round, dtrain), kind,
                  "train boosting round " + std::to_string(round));
  bst_ulong length = 0;
  const char* bytes = nullptr;
  xgboost_check(XGBoosterSaveModelToBuffer(booster.get(), "{\"format\": \"json\"}", &length, &bytes), kind,
                "save the booster");
  return typename Spec::fitted(spec, std::move(classes), X.cols(), std::string(bytes, length));
}

}  // namespace detail

template <bool Classification>
template <class Deferred>
typename xgboost_model<Classification>::fitted xgboost_model<Classification>::fit(const matrix_view& X,
                                                                                  const vector_view& y) const {
  return detail::fit_xgboost(*this, X, y);
}

}  // namespace mlpipe
