#pragma once

#include <algorithm>    // std::sort, std::max
#include <cmath>        // std::abs, std::pow, std::sqrt, std::isinf
#include <concepts>
#include <cstddef>
#include <cstdint>      // std::int64_t
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>      // std::get_if
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"

// How a fitted model ranks its input features, for select_from_model, rfe and rfecv: its coefficients (a vector, or
// a matrix with one row per output, normed over the outputs) or its feature_importances(), as scikit-learn's
// importance_getter="auto". Any model exposing either works, your own stages included.

namespace mlpipe {

// fitted_with_coef -- a fitted model whose coef() is one coefficient per input feature (a vector), or one row per
// output (a matrix, n_outputs x n_features).
template <class F>
concept fitted_with_coef = requires(const F& f) {
  { f.coef() } -> std::convertible_to<matrix>;
};

// fitted_with_feature_importances -- a fitted model with one importance per input feature (trees, forests).
template <class F>
concept fitted_with_feature_importances = requires(const F& f) {
  { f.feature_importances() } -> std::convertible_to<vector>;
};

// fitted_with_dynamic_importance -- a fitted model whose kind is known only at run time (any_model): it computes
// feature_importance itself, as the function below does for the model it holds (how: an importance_transform).
template <class F>
concept fitted_with_dynamic_importance = requires(const F& f, int how, double norm_order) {
  { f.feature_importance(how, norm_order) } -> std::same_as<vector>;
};

// fitted_with_importance -- what select_from_model, rfe and rfecv need of their estimator's fitted type.
template <class F>
concept fitted_with_importance =
    fitted_with_coef<F> || fitted_with_feature_importances<F> || fitted_with_dynamic_importance<F>;

// importance_estimator -- a stage whose fitted type exposes coef() or feature_importances().
template <class S>
concept importance_estimator = stage<S> && fitted_with_importance<typename S::fitted>;

// importance_transform -- scikit-learn's transform_func: the norm over outputs (select_from_model) or the sum of
// squares (rfe).
enum class importance_transform { norm, square };

namespace detail {

// numpy's pairwise summation of a contiguous array (np.sum, np.mean): blocks of 8 accumulators up to 128 values,
// halves above; the first value is the reduction's start.
inline double pairwise_block(const double* a, std::size_t n) {
  if (n < 8) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += a[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += a[i];
    return s;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_block(a, n2) + pairwise_block(a + n2, n - n2);
}

inline double numpy_sum(const vector& v) {
  if (v.size() == 0) return 0.0;
  return v(0) + pairwise_block(v.data() + 1, static_cast<std::size_t>(v.size() - 1));
}

inline double numpy_mean(const vector& v) { return numpy_sum(v) / static_cast<double>(v.size()); }

// np.median: the middle value, or the mean of the two middle values.
inline double numpy_median(const vector& v) {
  std::vector<double> s(v.data(), v.data() + v.size());
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  if (n % 2 == 1) return s[n / 2];
  return (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

// The coefficients as a matrix with one row per output.
template <class F>
matrix coef_rows(const F& fitted) {
  const auto& c = fitted.coef();
  using C = std::remove_cvref_t<decltype(c)>;
  if constexpr (C::ColsAtCompileTime == 1) return c.transpose();
  else return c;
}

}  // namespace detail

// feature_importance(fitted, how, norm_order) -- one importance per input feature of a fitted model: |coef| (or
// coef^2 for `square`) for a coefficient vector; for a coefficient matrix, the norm of order norm_order of each
// column (or its sum of squares); the model's feature_importances() otherwise.
template <fitted_with_importance F>
vector feature_importance(const F& fitted, importance_transform how = importance_transform::norm,
                          double norm_order = 1.0) {
  if constexpr (fitted_with_dynamic_importance<F>) {
    return fitted.feature_importance(static_cast<int>(how), norm_order);
  } else if constexpr (fitted_with_coef<F>) {
    const matrix c = detail::coef_rows(fitted);
    const bool one_dimensional = std::remove_cvref_t<decltype(fitted.coef())>::ColsAtCompileTime == 1;
    vector out(c.cols());
    for (index j = 0; j < c.cols(); ++j) {
      if (how == importance_transform::square) {
        double s = 0.0;
        for (index r = 0; r < c.rows(); ++r) s += c(r, j) * c(r, j);
        out(j) = s;
      } else if (one_dimensional || c.rows() == 1) {
        out(j) = std::abs(c(0, j));
      } else if (std::isinf(norm_order)) {
        double m = norm_order > 0 ? 0.0 : std::numeric_limits<double>::infinity();
        for (index r = 0; r < c.rows(); ++r)
          m = norm_order > 0 ? std::max(m, std::abs(c(r, j))) : std::min(m, std::abs(c(r, j)));
        out(j) = m;
      } else if (norm_order == 1.0) {
        double s = 0.0;
        for (index r = 0; r < c.rows(); ++r) s += std::abs(c(r, j));
        out(j) = s;
      } else if (norm_order == 2.0) {
        double s = 0.0;
        for (index r = 0; r < c.rows(); ++r) s += c(r, j) * c(r, j);
        out(j) = std::sqrt(s);
      } else {
        double s = 0.0;
        for (index r = 0; r < c.rows(); ++r) s += std::pow(std::abs(c(r, j)), norm_order);
        out(j) = std::pow(s, 1.0 / norm_order);
      }
    }
    return out;
  } else {
    vector out = fitted.feature_importances();
    if (how == importance_transform::square) out = out.array().square();
    return out;
  }
}

namespace detail {

// nested_stage<"estimator">(&rfe::estimator) -- names a stage held inside another stage (a selector's estimator),
// listed in the outer stage's `nested` tuple, so that parameter paths can walk into it ("select.estimator.C") as
// they walk into the steps of a pipeline.
template <fixed_string Name, class S, class M>
struct nested_stage_desc {
  static constexpr auto name = Name;
  using owner_type = S;
  using stage_type = M;
  M S::*member;
};

template <fixed_string Name, class S, class M>
constexpr auto nested_stage(M S::*member) {
  return nested_stage_desc<Name, S, M>{member};
}

// The compile-time refusal of an estimator without importances, with the type in the message's context.
template <class Estimator>
constexpr void require_importance_estimator() {
  static_assert(importance_estimator<Estimator>,
                "mlpipe: this feature selector needs an estimator whose fitted type exposes coef() (a vector, or a "
                "matrix with one row per output) or feature_importances() (a vector); the estimator type is the "
                "template argument shown here");
}

}  // namespace detail

// auto_t -- the type of mlpipe::automatic: sequential_feature_selector's n_features_to_select = "auto".
struct auto_t {
  explicit constexpr auto_t() = default;
};

// automatic -- let the selector decide how many features to keep (scikit-learn's "auto").
inline constexpr auto_t automatic{};

// feature_amount -- a number of features as a count (10) or as a fraction of the input's features (0.25), as
// scikit-learn's n_features_to_select and step take it (or `automatic` where a selector allows it).
class feature_amount {
 public:
  constexpr feature_amount(auto_t) noexcept : is_auto_(true) {}  // NOLINT(google-explicit-constructor)
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  constexpr feature_amount(T count) noexcept  // NOLINT(google-explicit-constructor): .step = 1
      : count_(static_cast<std::int64_t>(count)) {}
  constexpr feature_amount(double fraction) noexcept  // NOLINT(google-explicit-constructor): .step = 0.1
      : fraction_(fraction), is_fraction_(true) {}

  constexpr bool is_auto() const noexcept { return is_auto_; }
  constexpr bool is_fraction() const noexcept { return is_fraction_; }
  constexpr std::int64_t count() const noexcept { return count_; }
  constexpr double fraction() const noexcept { return fraction_; }
  // "10" or "0.25".
  std::string text() const {
    if (is_auto_) return "\"auto\"";
    return is_fraction_ ? format_double(fraction_) : std::to_string(count_);
  }

  friend constexpr bool operator==(const feature_amount&, const feature_amount&) = default;

 private:
  std::int64_t count_ = 0;
  double fraction_ = 0.0;
  bool is_fraction_ = false;
  bool is_auto_ = false;
};

// Set from a grid or a file as an integer (a count) or a real number (a fraction).
template <>
struct param_traits<feature_amount> {
  static constexpr std::string_view expected = "an integer count, a real fraction or \"auto\"";
  static std::optional<feature_amount> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (*s == "auto") return feature_amount(automatic);
      return std::nullopt;
    }
    if (const auto* i = std::get_if<std::int64_t>(&v)) return feature_amount(*i);
    if (const auto* d = std::get_if<double>(&v)) return feature_amount(*d);
    return std::nullopt;
  }
  static param_value to_value(const feature_amount& a) {
    if (a.is_auto()) return std::string("auto");
    if (a.is_fraction()) return a.fraction();
    return a.count();
  }
};

}  // namespace mlpipe
