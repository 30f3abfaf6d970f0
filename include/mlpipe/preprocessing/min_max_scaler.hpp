#pragma once

#include <algorithm>    // std::min, std::max
#include <cmath>        // std::isfinite, std::isnan
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::pair, std::move

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// min_max_scaler -- maps each feature linearly so that its training minimum and maximum land on feature_range,
// as scikit-learn 1.2's MinMaxScaler: x * scale + min with scale = (hi - lo) / (data_max - data_min); a constant
// feature (range below 10 machine epsilons) gets scale (hi - lo) instead of dividing by zero. NaN is ignored at fit
// and passed through by transform.
struct min_max_scaler {
  static constexpr std::string_view kind = "min_max_scaler";
  static constexpr bool allows_nan = true;  // NaN in X is a missing value, passed through (mlpipe::testing::check_stage)

  // [lo, hi] that the training minimum and maximum of every feature map to; finite, with lo < hi.
  std::pair<double, double> feature_range = {0.0, 1.0};
  // clamp transformed values to feature_range (values outside the training range otherwise map outside it)
  bool clip = false;

  static constexpr auto params = std::tuple{param<"feature_range">(&min_max_scaler::feature_range),
                                            param<"clip">(&min_max_scaler::clip)};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile its body
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const;
};

namespace detail {

// What fit requires of feature_range beyond its type: two finite numbers, lo < hi, and hi - lo finite.
inline void check_feature_range(const std::pair<double, double>& range) {
  constexpr std::string_view kind = min_max_scaler::kind;
  const auto [lo, hi] = range;
  const std::string range_text = format_value(param_traits<std::pair<double, double>>::to_value(range));
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    throw invalid_parameter("feature_range = " + range_text +
                                " is not finite; expected two finite numbers with feature_range[0] < feature_range[1]",
                            kind);
  }
  if (!(lo < hi)) {
    throw invalid_parameter("feature_range = " + range_text +
                                " is out of range; expected feature_range[0] < feature_range[1]",
                            kind);
  }
  if (!std::isfinite(hi - lo)) {
    throw invalid_parameter("feature_range = " + range_text +
                                " is too wide; expected feature_range[1] - feature_range[0] to be a finite number",
                            kind);
  }
}

}  // namespace detail

class min_max_scaler::fitted {
 public:
  static constexpr std::string_view kind = min_max_scaler::kind;
  static constexpr int schema_version = 1;  // bump when the saved state changes shape

  fitted() = default;  // an empty shell for load() to fill
  fitted(min_max_scaler spec, vector data_min, vector data_max, vector data_range, vector scale, vector min,
         index n_samples_seen)
      : spec_(spec), data_min_(std::move(data_min)), data_max_(std::move(data_max)),
        data_range_(std::move(data_range)), scale_(std::move(scale)), min_(std::move(min)),
        n_samples_seen_(n_samples_seen) {}

  const min_max_scaler& spec() const { return spec_; }
  // Per-feature training minimum and maximum, NaN ignored (scikit-learn's data_min_, data_max_).
  const vector& data_min() const { return data_min_; }
  const vector& data_max() const { return data_max_; }
  // data_max - data_min (scikit-learn's data_range_).
  const vector& data_range() const { return data_range_; }
  // What each feature is multiplied by: (hi - lo) / data_range, or (hi - lo) for a constant feature.
  const vector& scale() const { return scale_; }
  // What is added after scaling: lo - data_min * scale (scikit-learn's min_).
  const vector& min() const { return min_; }
  // Rows seen at fit, missing values included (scikit-learn's n_samples_seen_).
  index n_samples_seen() const { return n_samples_seen_; }
  index n_features_in() const { return scale_.size(); }
  index n_features_out() const { return scale_.size(); }

  // x * scale + min per feature, clamped to feature_range when clip is set. NaN stays NaN; infinities are rejected.
  matrix transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in(), /*allow_nan=*/true);
    matrix out(X.rows(), X.cols());
    for (index j = 0; j < X.cols(); ++j)
      for (index i = 0; i < X.rows(); ++i) out(i, j) = apply(X(i, j), j);
    return out;
  }

  // One row, no allocation: out[j] = in[j] * scale[j] + min[j] (clamped when clip is set).
  void transform_one(std::span<const double> in, std::span<double> out) const {
    detail::check_row(kind, in, n_features_in(), true);
    for (index j = 0; j < n_features_in(); ++j) {
      const auto u = static_cast<std::size_t>(j);
      out[u] = apply(in[u], j);
    }
  }

  // Maps scaled rows back to the original units: (x - min) / scale. NaN stays NaN.
  matrix inverse_transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in(), /*allow_nan=*/true);
    matrix out(X.rows(), X.cols());
    for (index j = 0; j < X.cols(); ++j) out.col(j) = (X.col(j).array() - min_(j)) / scale_(j);
    return out;
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: one value per input feature in
  // every vector, finite data_min <= data_max, data_range >= 0, scale > 0, finite min; a valid feature_range.
  // load() runs it.
  void check_invariants() const {
    detail::check_params(spec_, [&] { detail::check_feature_range(spec_.feature_range); });
    detail::check_state_not_empty(kind, "state.scale", scale_.size(), "one per input feature");
    const index n = scale_.size();
    detail::check_state_size(kind, "state.data_min", data_min_.size(), n, "one per input feature");
    detail::check_state_size(kind, "state.data_max", data_max_.size(), n, "one per input feature");
    detail::check_state_size(kind, "state.data_range", data_range_.size(), n, "one per input feature");
    detail::check_state_size(kind, "state.min", min_.size(), n, "one per input feature");
    detail::check_state_values(kind, "state.data_min", data_min_);
    detail::check_state_values(kind, "state.data_max", data_max_);
    detail::check_state_values(kind, "state.data_range", data_range_, detail::state_bound::non_negative);
    detail::check_state_values(kind, "state.scale", scale_, detail::state_bound::positive);
    detail::check_state_values(kind, "state.min", min_);
    for (index j = 0; j < n; ++j) {
      if (data_min_(j) > data_max_(j))
        detail::throw_invariant(kind, "state.data_min[" + std::to_string(j) + "] = " + format_double(data_min_(j)) +
                                          " is above state.data_max[" + std::to_string(j) + "] = " +
                                          format_double(data_max_(j)) + "; expected data_min <= data_max");
    }
    detail::check_state_count(kind, "state.n_samples_seen", n_samples_seen_, 1);
  }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp).
  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("data_min", data_min_);
    ar("data_max", data_max_);
    ar("data_range", data_range_);
    ar("scale", scale_);
    ar("min", min_);
    ar("n_samples_seen", n_samples_seen_);
  }

 private:
  // Multiplies then adds, two roundings, as scikit-learn does (X *= scale_; X += min_), so results match its bits.
  double apply(double x, index j) const {
    const double y = x * scale_(j) + min_(j);
    // max then min, as numpy's clip: NaN compares false both times and passes through.
    return spec_.clip ? std::min(std::max(y, spec_.feature_range.first), spec_.feature_range.second) : y;
  }

  min_max_scaler spec_;
  vector data_min_;
  vector data_max_;
  vector data_range_;
  vector scale_;
  vector min_;
  index n_samples_seen_ = 0;
};

template <class Deferred>
min_max_scaler::fitted min_max_scaler::fit(const matrix_view& X, const vector_view&) const {
  validate_params(*this);
  detail::check_feature_range(feature_range);
  const auto [lo, hi] = feature_range;
  const std::string range_text = format_value(param_traits<std::pair<double, double>>::to_value(feature_range));
  detail::check_fit_input(kind, X, /*allow_nan=*/true);

  const index p = X.cols();
  vector data_min(p), data_max(p), data_range(p), scale(p), min(p);
  // A range this small is rounding noise (scikit-learn's _handle_zeros_in_scale).
  constexpr double zero_range = 10 * std::numeric_limits<double>::epsilon();
  for (index j = 0; j < p; ++j) {
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    for (index i = 0; i < X.rows(); ++i) {
      const double x = X(i, j);
      if (std::isnan(x)) continue;
      low = std::min(low, x);
      high = std::max(high, x);
    }
    if (low > high) {
      throw invalid_input("X column " + std::to_string(j) +
                              " is all nan (missing); expected at least one observed value in every column (drop "
                              "the column or impute it first)",
                          kind);
    }
    data_min(j) = low;
    data_max(j) = high;
    data_range(j) = high - low;
    if (std::isinf(data_range(j))) {
      detail::throw_too_large(kind, j, std::max(-low, high), "range (max - min, from " + format_double(low) +
                              " to " + format_double(high) + ")", "max - min below 1.7e308");
    }
    scale(j) = (hi - lo) / (data_range(j) < zero_range ? 1.0 : data_range(j));
    min(j) = lo - low * scale(j);
    if (!std::isfinite(scale(j)) || !std::isfinite(min(j))) {
      throw invalid_input("X column " + std::to_string(j) + " spans [" + format_double(low) + ", " +
                              format_double(high) + "], which cannot be mapped onto feature_range = " + range_text +
                              " without overflow; expected a narrower feature_range or rescaled data",
                          kind);
    }
  }
  return fitted(*this, std::move(data_min), std::move(data_max), std::move(data_range), std::move(scale),
                std::move(min), X.rows());
}

}  // namespace mlpipe
