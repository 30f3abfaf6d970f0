#pragma once

#include <algorithm>    // std::min, std::max
#include <cmath>        // std::isnan, std::isinf, std::ldexp, std::ilogb
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"

namespace mlpipe {

// variance_threshold -- drops the features whose training variance is at most a threshold (by default the constant
// ones), as scikit-learn's VarianceThreshold. Missing values (NaN) are allowed: they are ignored in the variances
// (as np.nanvar) and passed through by transform; infinities are not.
struct variance_threshold {
  static constexpr std::string_view kind = "variance_threshold";
  static constexpr bool allows_nan = true;  // NaN in X is a missing value, ignored (mlpipe::testing::check_stage)

  double threshold = 0.0;  // keep a feature when its variance is > threshold; >= 0 (0 drops constant features)

  static constexpr auto params = std::tuple{param<"threshold">(&variance_threshold::threshold, at_least(0.0))};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile its body
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const;
};

// support_mask, inverse_transform and feature_names_out come from detail::selected_features; transform and
// transform_one are its own, as they let missing values through.
class variance_threshold::fitted : public detail::selected_features<variance_threshold::fitted> {
 public:
  static constexpr std::string_view kind = variance_threshold::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(variance_threshold spec, vector variances, std::vector<index> support)
      : spec_(spec), variances_(std::move(variances)), support_(std::move(support)) {}

  const variance_threshold& spec() const { return spec_; }
  // Each input feature's variance over its non-missing values (NaN if all are missing), scikit-learn's variances_.
  // With threshold 0 it is, like scikit-learn's, the smaller of the variance and the range (max - min) for features
  // without missing values: what decides that a feature is constant.
  const vector& variances() const { return variances_; }
  // The kept input columns, ascending (scikit-learn's get_support(indices=True)).
  const std::vector<index>& support() const { return support_; }
  index n_features_in() const { return variances_.size(); }

  // The kept columns of X, in ascending order; missing values pass through.
  matrix transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in(), /*allow_nan=*/true);
    return X(Eigen::all, support_);
  }

  // One row, no allocation: out[j] = in[support()[j]]; missing values pass through.
  void transform_one(std::span<const double> in, std::span<double> out) const {
    detail::check_row(kind, in, n_features_in(), true);
    for (std::size_t j = 0; j < support_.size(); ++j) out[j] = in[static_cast<std::size_t>(support_[j])];
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: variances >= 0 (nan for a
  // feature with no observed value), support the ascending indices of exactly the features whose variance is above
  // threshold. load() runs it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_not_empty(kind, "state.variances", variances_.size(), "one per input feature");
    detail::check_state_values(kind, "state.variances", variances_, detail::state_bound::non_negative,
                               "(a feature with no observed value)");
    detail::check_state_indices(kind, "state.support", support_, n_features_in(), "n_features_in");
    const std::string above = "variance > threshold = " + format_double(spec_.threshold);
    index n_above = 0;
    for (index j = 0; j < variances_.size(); ++j) n_above += variances_(j) > spec_.threshold ? 1 : 0;
    for (std::size_t i = 0; i < support_.size(); ++i) {
      const double v = variances_(support_[i]);
      if (!(v > spec_.threshold))
        detail::throw_invariant(kind, "state.support[" + std::to_string(i) + "] = " + std::to_string(support_[i]) +
                                          " keeps a feature of variance " + format_double(v) +
                                          "; expected only features with " + above);
    }
    detail::check_state_not_empty(kind, "state.support", n_features_out(), "the features with " + above);
    detail::check_state_size(kind, "state.support", n_features_out(), n_above, "the features with " + above,
                             "index", "indices");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("variances", variances_);
    ar("support", support_);
  }

 private:
  variance_threshold spec_;
  vector variances_;
  std::vector<index> support_;
};

template <class Deferred>
variance_threshold::fitted variance_threshold::fit(const matrix_view& X, const vector_view&) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, /*allow_nan=*/true);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  vector variances(X.cols());
  std::vector<index> support;
  for (index j = 0; j < X.cols(); ++j) {
    const auto x = X.col(j);
    // First pass over the observed values: count, sum, range.
    index n = 0;
    double sum = 0.0;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (index i = 0; i < x.size(); ++i) {
      if (std::isnan(x(i))) continue;
      ++n;
      sum += x(i);
      lo = std::min(lo, x(i));
      hi = std::max(hi, x(i));
    }
    double variance = nan;
    if (lo == hi) {
      variance = 0.0;  // exactly, where summing may leave a rounding residue
    } else if (n > 0) {
      // Huge values are summed again in units of 2^e, the power of two just below the largest magnitude: scaling by
      // a power of two is exact, so this is the plain computation without its overflow.
      const double largest = std::max(-lo, hi);
      const int e = largest > detail::large_magnitude ? std::ilogb(largest) : 0;
      const double unit = std::ldexp(1.0, -e);
      if (e != 0) {
        sum = 0.0;
        for (index i = 0; i < x.size(); ++i)
          if (!std::isnan(x(i))) sum += x(i) * unit;
      }
      // Second pass: deviations from the first-pass mean, with the rounding correction of their sum.
      const double mean = sum / static_cast<double>(n);
      double deviation = 0.0;
      double square = 0.0;
      for (index i = 0; i < x.size(); ++i) {
        if (std::isnan(x(i))) continue;
        const double d = x(i) * unit - mean;
        deviation += d;
        square += d * d;
      }
      variance = std::max(square - deviation * deviation / static_cast<double>(n), 0.0) / static_cast<double>(n);
      variance = std::ldexp(variance, 2 * e);
      if (std::isinf(variance))
        detail::throw_too_large(kind, j, largest, "variance", "a standard deviation below 1.3e154");
      // scikit-learn with threshold 0: the smaller of variance and range (np.ptp, NaN when a value is missing).
      if (threshold == 0.0 && n == x.size()) variance = std::min(variance, hi - lo);
    }
    variances(j) = variance;
    if (variance > threshold) support.push_back(j);
  }
  if (support.empty()) {
    // Name the largest variance (NaN ones are features with no observed value).
    index largest = -1;
    for (index j = 0; j < variances.size(); ++j)
      if (!std::isnan(variances(j)) && (largest < 0 || variances(j) > variances(largest))) largest = j;
    const std::string head = "no feature has a variance above threshold = " + format_double(threshold) + ": ";
    if (largest < 0)
      throw invalid_input(head + "every feature is missing (NaN) in every row; expected observed values", kind);
    const double v = variances(largest);
    const std::string expected = v > 0.0 ? "threshold < " + format_double(v) : "a feature that is not constant";
    throw invalid_input(head + "the largest variance is " + format_double(v) + " (column " + std::to_string(largest) +
                            (X.rows() == 1 ? "; X has a single row" : "") + "); expected " + expected,
                        kind);
  }
  return fitted(*this, std::move(variances), std::move(support));
}

}  // namespace mlpipe
