#pragma once

#include <cmath>        // std::isfinite
#include <cstdlib>      // std::strtod
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <variant>      // std::get_if
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/feature_count.hpp"
#include "mlpipe/feature_selection/importance.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"

namespace mlpipe {

// importance_threshold -- select_from_model's threshold: "mean", "median", "<scale>*mean", "<scale>*median" or a
// number, as scikit-learn's.
class importance_threshold {
 public:
  importance_threshold(const char* text) : text_(text) {}    // NOLINT(google-explicit-constructor): "median"
  importance_threshold(std::string text) : text_(std::move(text)) {}  // NOLINT(google-explicit-constructor)
  importance_threshold(double value) : value_(value), is_number_(true) {}  // NOLINT(google-explicit-constructor)

  bool is_number() const { return is_number_; }
  double number() const { return value_; }
  const std::string& text() const { return text_; }
  std::string describe() const { return is_number_ ? format_double(value_) : "\"" + text_ + "\""; }

  // The threshold for these importances; nullopt when the text is not one of the accepted forms.
  std::optional<double> resolve(const vector& importances) const {
    if (is_number_) return value_;
    const auto reference = [&](std::string_view name) -> std::optional<double> {
      if (name == "mean") return detail::numpy_mean(importances);
      if (name == "median") return detail::numpy_median(importances);
      return std::nullopt;
    };
    const std::size_t star = text_.find('*');
    if (star == std::string::npos) return reference(text_);
    const std::string scale_text = trim(text_.substr(0, star));
    const auto ref = reference(trim(text_.substr(star + 1)));
    char* end = nullptr;
    const double scale = std::strtod(scale_text.c_str(), &end);
    if (!ref || scale_text.empty() || end != scale_text.c_str() + scale_text.size() || !std::isfinite(scale))
      return std::nullopt;
    return scale * *ref;
  }

  friend bool operator==(const importance_threshold&, const importance_threshold&) = default;

 private:
  static std::string trim(std::string s) {
    const auto first = s.find_first_not_of(' ');
    const auto last = s.find_last_not_of(' ');
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
  }
  std::string text_;
  double value_ = 0.0;
  bool is_number_ = false;
};

// Set from a grid or a file as a string ("median", "1.5*mean") or a number.
template <>
struct param_traits<importance_threshold> {
  static constexpr std::string_view expected = "\"mean\", \"median\", \"<scale>*mean\", \"<scale>*median\" or a number";
  static std::optional<importance_threshold> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return importance_threshold(*s);
    if (const auto* d = std::get_if<double>(&v)) return importance_threshold(*d);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return importance_threshold(static_cast<double>(*i));
    return std::nullopt;
  }
  static param_value to_value(const importance_threshold& t) {
    if (t.is_number()) return t.number();
    return t.text();
  }
};

namespace detail {

// scikit-learn's SelectFromModel support: the max_features highest importances (a stable sort of -importance), of
// which those at or above the threshold.
inline std::vector<index> importance_support(const vector& importances, double threshold, index max_features) {
  const index n = importances.size();
  std::vector<double> key(static_cast<std::size_t>(n));
  for (index j = 0; j < n; ++j) key[static_cast<std::size_t>(j)] = -importances(j);
  const std::vector<index> order = sorted_order(key);
  std::vector<bool> mask(static_cast<std::size_t>(n), false);
  for (index r = 0; r < std::min(max_features, n); ++r) mask[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = true;
  std::vector<index> kept;
  for (index j = 0; j < n; ++j)
    if (mask[static_cast<std::size_t>(j)] && !(importances(j) < threshold)) kept.push_back(j);
  return kept;
}

}  // namespace detail

// select_from_model -- keeps the features whose importance in a fitted model reaches a threshold, as
// scikit-learn's SelectFromModel: the model's |coef| (normed over outputs with norm_order) or its
// feature_importances(). The estimator is fitted on the training data inside each fit, so cross-validation and
// searches never leak; an already-fitted model is used with from_fitted(model) (scikit-learn's prefit=True).
template <class Estimator>
struct select_from_model {
  static constexpr std::string_view kind = "select_from_model";

  Estimator estimator{};                          // the model whose importances rank the features
  importance_threshold threshold = "mean";        // "mean", "median", "1.5*mean", or a number
  double norm_order = 1.0;                        // the norm over the rows of a coefficient matrix: >= 1 or inf
  feature_count max_features = all;               // keep at most this many (the most important): 0.. or all

  static constexpr auto params =
      std::tuple{param<"threshold">(&select_from_model::threshold),
                 param<"norm_order">(&select_from_model::norm_order, at_least(1.0)),
                 param<"max_features">(&select_from_model::max_features, detail::zero_or_more_or_all{})};

  // The estimator as a nested stage: its parameters' paths are "estimator.C" and so on (see detail::nested_stage).
  static constexpr auto nested = std::tuple{detail::nested_stage<"estimator">(&select_from_model::estimator)};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // The selection an already-fitted model gives (scikit-learn's prefit=True): nothing is refitted.
  fitted from_fitted(typename Estimator::fitted model) const;

  // The kept features for these importances.
  std::vector<index> kept(const vector& importances) const {
    const auto t = threshold.resolve(importances);
    return detail::importance_support(importances, t.value_or(0.0), max_features.resolve(importances.size()));
  }
  // The hyperparameters against an input of n_features (fit's check).
  void check(index n_features) const {
    detail::require_importance_estimator<Estimator>();
    validate_params(*this);
    if (!threshold.is_number() && !threshold.resolve(vector::Zero(1))) {
      throw invalid_parameter("threshold = " + threshold.describe() +
                                  " is not understood; expected \"mean\", \"median\", \"<scale>*mean\", "
                                  "\"<scale>*median\" or a number",
                              kind);
    }
    if (!max_features.is_all() && max_features.count() > n_features) {
      throw invalid_parameter("max_features = " + std::to_string(max_features.count()) + " but the input has " +
                                  std::to_string(n_features) + " features; expected max_features <= " +
                                  std::to_string(n_features) + " or \"all\"",
                              kind);
    }
  }
};

template <class Estimator>
class select_from_model<Estimator>::fitted
    : public detail::selected_features<typename select_from_model<Estimator>::fitted> {
 public:
  static constexpr std::string_view kind = select_from_model::kind;
  static constexpr int schema_version = 1;
  using inner_type = typename Estimator::fitted;  // the saved signature names the model's type

  fitted() = default;  // an empty shell for load() to fill
  fitted(select_from_model spec, inner_type model)
      : spec_(std::move(spec)), model_(std::move(model)),
        importances_(feature_importance(model_, importance_transform::norm, spec_.norm_order)),
        threshold_(spec_.threshold.resolve(importances_).value_or(0.0)), support_(spec_.kept(importances_)) {}

  const select_from_model& spec() const { return spec_; }
  // The fitted model (scikit-learn's estimator_).
  const inner_type& estimator() const { return model_; }
  // Each input feature's importance and the threshold they were compared with (scikit-learn's threshold_).
  const vector& importances() const { return importances_; }
  double threshold() const { return threshold_; }
  const std::vector<index>& support() const { return support_; }
  index n_features_in() const { return importances_.size(); }

  // Throws mlpipe::load_error naming the first broken invariant: the model's own, the importances its, and the
  // support what the threshold keeps of them. load() runs it.
  void check_invariants() const {
    if constexpr (requires { model_.check_invariants(); }) model_.check_invariants();
    detail::check_params(spec_, [&] { spec_.check(model_.n_features_in()); });
    const vector expected = feature_importance(model_, importance_transform::norm, spec_.norm_order);
    if (!(importances_.size() == expected.size() && importances_ == expected))
      detail::throw_invariant(kind, "state.importances are not the model's; expected its |coef| or importances");
    if (threshold_ != spec_.threshold.resolve(importances_).value_or(0.0))
      detail::throw_invariant(kind, "state.threshold = " + format_double(threshold_) + " is not threshold = " +
                                        spec_.threshold.describe() + " of the importances");
    detail::check_state_indices(kind, "state.support", support_, n_features_in(), "n_features_in");
    if (support_ != spec_.kept(importances_))
      detail::throw_invariant(kind, "state.support is not what threshold = " + spec_.threshold.describe() +
                                        " keeps of the importances; expected the features it selects");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("estimator", model_);
    ar("importances", importances_);
    ar("threshold", threshold_);
    ar("support", support_);
    if constexpr (requires { model_.spec(); }) spec_.estimator = model_.spec();
  }

 private:
  select_from_model spec_;
  inner_type model_;
  vector importances_;
  double threshold_ = 0.0;
  std::vector<index> support_;
};

template <class Estimator>
template <class Deferred>
typename select_from_model<Estimator>::fitted select_from_model<Estimator>::fit(const matrix_view& X,
                                                                                const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  check(X.cols());
  return fitted(*this, estimator.fit(X, y));
}

template <class Estimator>
typename select_from_model<Estimator>::fitted select_from_model<Estimator>::from_fitted(
    typename Estimator::fitted model) const {
  check(model.n_features_in());
  return fitted(*this, std::move(model));
}

}  // namespace mlpipe
