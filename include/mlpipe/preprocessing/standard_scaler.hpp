#pragma once

#include <array>
#include <cmath>        // std::sqrt, std::ldexp, std::ilogb, std::isfinite
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/sums.hpp"  // lane_sum, lane_sums
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// standard_scaler -- centres each feature on its mean and scales it to unit variance, as scikit-learn's
// StandardScaler: population variance (ddof = 0); a constant feature keeps scale 1 instead of dividing by zero.
struct standard_scaler {
  static constexpr std::string_view kind = "standard_scaler";

  bool with_mean = true;  // subtract each feature's training mean
  bool with_std = true;   // divide each feature by its training standard deviation

  static constexpr auto params = std::tuple{param<"with_mean">(&standard_scaler::with_mean),
                                            param<"with_std">(&standard_scaler::with_std)};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile its body
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const;
};

class standard_scaler::fitted {
 public:
  static constexpr std::string_view kind = standard_scaler::kind;
  static constexpr int schema_version = 1;  // bump when the saved state changes shape

  fitted() = default;  // an empty shell for load() to fill
  fitted(standard_scaler spec, vector mean, vector var, vector scale, index n_samples_seen)
      : spec_(spec), mean_(std::move(mean)), var_(std::move(var)), scale_(std::move(scale)),
        n_samples_seen_(n_samples_seen) {}

  const standard_scaler& spec() const { return spec_; }
  // Per-feature training mean (computed even when with_mean is false, as scikit-learn's mean_).
  const vector& mean() const { return mean_; }
  // Per-feature population variance.
  const vector& var() const { return var_; }
  // What each feature is divided by: its standard deviation, 1 for constant features, all 1 when !with_std.
  const vector& scale() const { return scale_; }
  index n_samples_seen() const { return n_samples_seen_; }
  index n_features_in() const { return mean_.size(); }
  index n_features_out() const { return mean_.size(); }

  // (x - mean) times 1 / scale: a multiplication instead of scikit-learn's division, within a rounding of it (a
  // scale is 1 or the square root of a positive double, so its reciprocal is finite). Division cost a quarter of a
  // batch predict through this scaler; transform_one does the same arithmetic, so a row and a batch agree.
  matrix transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix out = detail::new_matrix(X.rows(), X.cols());
    for (index j = 0; j < X.cols(); ++j) {
      const double shift = spec_.with_mean ? mean_(j) : 0.0;
      out.col(j) = (X.col(j).array() - shift) * (1.0 / scale_(j));
    }
    return out;
  }

  // transform's result written over X itself (the same arithmetic, so the same bits), without a second matrix.
  void transform_in_place(matrix& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    for (index j = 0; j < X.cols(); ++j) {
      const double shift = spec_.with_mean ? mean_(j) : 0.0;
      X.col(j) = (X.col(j).array() - shift) * (1.0 / scale_(j));
    }
  }

  // One row, no allocation: out[j] = (in[j] - mean[j]) * (1 / scale[j]).
  void transform_one(std::span<const double> in, std::span<double> out) const {
    detail::check_row(kind, in, n_features_in());
    for (index j = 0; j < n_features_in(); ++j) {
      const auto u = static_cast<std::size_t>(j);
      out[u] = (in[u] - (spec_.with_mean ? mean_(j) : 0.0)) * (1.0 / scale_(j));
    }
  }

  // Maps scaled rows back to the original units.
  matrix inverse_transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix out = detail::new_matrix(X.rows(), X.cols());
    for (index j = 0; j < X.cols(); ++j) {
      const double shift = spec_.with_mean ? mean_(j) : 0.0;
      out.col(j) = X.col(j).array() * scale_(j) + shift;
    }
    return out;
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: mean, var and scale have one
  // finite value per input feature, var >= 0, scale > 0 (all 1 without with_std). load() runs it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_not_empty(kind, "state.mean", mean_.size(), "one per input feature");
    detail::check_state_size(kind, "state.var", var_.size(), mean_.size(), "one per input feature");
    detail::check_state_size(kind, "state.scale", scale_.size(), mean_.size(), "one per input feature");
    detail::check_state_values(kind, "state.mean", mean_);
    detail::check_state_values(kind, "state.var", var_, detail::state_bound::non_negative);
    detail::check_state_values(kind, "state.scale", scale_, detail::state_bound::positive);
    if (!spec_.with_std) {
      for (index j = 0; j < scale_.size(); ++j) {
        if (scale_(j) != 1.0)
          detail::throw_invariant(kind, "state.scale[" + std::to_string(j) + "] = " + format_double(scale_(j)) +
                                            " but with_std = false; expected 1");
      }
    }
    detail::check_state_count(kind, "state.n_samples_seen", n_samples_seen_, 1);
  }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp).
  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("mean", mean_);
    ar("var", var_);
    ar("scale", scale_);
    ar("n_samples_seen", n_samples_seen_);
  }

 private:
  standard_scaler spec_;
  vector mean_;
  vector var_;
  vector scale_;
  index n_samples_seen_ = 0;
};

template <class Deferred>
standard_scaler::fitted standard_scaler::fit(const matrix_view& X, const vector_view&) const {
  validate_params(*this);
  detail::check_fit_input(kind, X);
  const auto n = static_cast<double>(X.rows());
  constexpr double eps = std::numeric_limits<double>::epsilon();
  vector mean(X.cols());
  vector var(X.cols());
  vector scale = vector::Ones(X.cols());
  for (index j = 0; j < X.cols(); ++j) {
    const auto x = X.col(j);
    // Huge values are summed in units of 2^e, the power of two just below the column's largest magnitude: scaling
    // by a power of two is exact, so the statistics are those of the plain formulas without their overflow.
    const double largest = x.cwiseAbs().maxCoeff();
    const int e = largest > detail::large_magnitude ? std::ilogb(largest) : 0;
    const double unit = std::ldexp(1.0, -e);  // 1 when e = 0: x itself
    // Two passes with the rounding correction of the second, as scikit-learn computes var_; the deviations are
    // summed as they are computed (lane_sums), without a column-sized temporary: at 160,000 rows two such arrays
    // per column were as much memory traffic as the column itself.
    const double m = detail::lane_sum(x.size(), [&](index i) { return x(i) * unit; }) / n;
    const auto [correction, squares] = detail::lane_sums<2>(x.size(), [&](index i) {
      const double d = x(i) * unit - m;
      return std::array<double, 2>{d, d * d};
    });
    const double v = (squares - correction * correction / n) / n;
    mean(j) = std::ldexp(m, e);
    var(j) = std::ldexp(v, 2 * e);
    if (!std::isfinite(var(j)))
      detail::throw_too_large(kind, j, largest, "variance", "a standard deviation below 1.3e154");
    if (with_std) {
      // A feature is constant when its variance is within rounding of zero (scikit-learn's _is_constant_feature),
      // tested in the scaled units, where the bound cannot overflow.
      const double bound = n * eps * v + (n * m * eps) * (n * m * eps);
      if (v > bound) scale(j) = std::sqrt(var(j));
    }
  }
  return fitted(*this, std::move(mean), std::move(var), std::move(scale), X.rows());
}

}  // namespace mlpipe
