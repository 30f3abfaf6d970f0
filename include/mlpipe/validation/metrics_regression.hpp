#pragma once

#include <algorithm>    // std::sort, std::max
#include <cmath>        // std::abs, std::log, std::log1p, std::pow, std::sqrt
#include <limits>
#include <numeric>      // std::iota
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "mlpipe/validation/metrics_classification.hpp"  // detail::check_sample_weight, detail::average_of

// Regression metrics with optional sample weights, as scikit-learn 1.2 computes them: r2, explained variance, mean
// absolute / squared / root mean squared / squared log / absolute percentage error, median absolute error, max error
// and the Poisson, gamma and Tweedie deviances.

namespace mlpipe {
namespace detail {

inline void check_regression(std::string_view metric, const vector_view& y_true, const vector_view& y_pred,
                             const vector_view& w) {
  check_pair(metric, y_true, y_pred, "y_pred");
  check_sample_weight(metric, w, y_true.size());
}

inline std::vector<double> weights_of(const vector_view& w) {
  return w.size() == 0 ? std::vector<double>{} : std::vector<double>(w.data(), w.data() + w.size());
}

// np.average(f(i), weights=w) over the rows.
template <class F>
double average_rows(index n, const vector_view& w, F&& f) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = f(i);
  return average_of(v, weights_of(w));
}

}  // namespace detail

// r2(y_true, y_pred, sample_weight) -- the coefficient of determination with sample weights (r2_score).
inline double r2(const vector_view& y_true, const vector_view& y_pred, const vector_view& sample_weight) {
  constexpr std::string_view name = "r2";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  if (sample_weight.size() == 0) return r2(y_true, y_pred);
  if (y_true.size() < 2)
    throw invalid_input("y_true has 1 value; expected at least 2, as R^2 is not defined for a single value", name);
  const double mean = detail::average_rows(y_true.size(), sample_weight, [&](index i) { return y_true(i); });
  double residual = 0.0;
  double total = 0.0;
  for (index i = 0; i < y_true.size(); ++i) {
    residual += sample_weight(i) * (y_true(i) - y_pred(i)) * (y_true(i) - y_pred(i));
    total += sample_weight(i) * (y_true(i) - mean) * (y_true(i) - mean);
  }
  if (total == 0.0) return residual == 0.0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

// explained_variance(y_true, y_pred, sample_weight) -- 1 - Var(y_true - y_pred) / Var(y_true)
// (explained_variance_score): like r2 but blind to a constant offset. 1 when both variances are 0, 0 when only
// Var(y_true) is.
inline double explained_variance(const vector_view& y_true, const vector_view& y_pred,
                                 const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "explained_variance";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  const index n = y_true.size();
  const double diff_mean = detail::average_rows(n, sample_weight, [&](index i) { return y_true(i) - y_pred(i); });
  const double numerator = detail::average_rows(n, sample_weight, [&](index i) {
    const double d = y_true(i) - y_pred(i) - diff_mean;
    return d * d;
  });
  const double true_mean = detail::average_rows(n, sample_weight, [&](index i) { return y_true(i); });
  const double denominator = detail::average_rows(n, sample_weight, [&](index i) {
    const double d = y_true(i) - true_mean;
    return d * d;
  });
  if (numerator != 0.0 && denominator != 0.0) return 1.0 - numerator / denominator;
  return numerator != 0.0 ? 0.0 : 1.0;
}

// mean_absolute_error(y_true, y_pred, sample_weight) -- the (weighted) mean of |y_true - y_pred|.
inline double mean_absolute_error(const vector_view& y_true, const vector_view& y_pred,
                                  const vector_view& sample_weight) {
  constexpr std::string_view name = "mean_absolute_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  if (sample_weight.size() == 0) return mean_absolute_error(y_true, y_pred);  // the same bits as without weights
  return detail::average_rows(y_true.size(), sample_weight, [&](index i) { return std::abs(y_true(i) - y_pred(i)); });
}

// mean_squared_error(y_true, y_pred, sample_weight) -- the (weighted) mean of (y_true - y_pred)^2.
inline double mean_squared_error(const vector_view& y_true, const vector_view& y_pred,
                                 const vector_view& sample_weight) {
  constexpr std::string_view name = "mean_squared_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  if (sample_weight.size() == 0) return mean_squared_error(y_true, y_pred);  // the same bits as without weights
  return detail::average_rows(y_true.size(), sample_weight, [&](index i) {
    const double d = y_true(i) - y_pred(i);
    return d * d;
  });
}

// root_mean_squared_error(y_true, y_pred, sample_weight) -- the square root of the mean squared error, in the
// target's units (mean_squared_error(squared=False)).
inline double root_mean_squared_error(const vector_view& y_true, const vector_view& y_pred,
                                      const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "root_mean_squared_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  return std::sqrt(detail::average_rows(y_true.size(), sample_weight, [&](index i) {
    const double d = y_true(i) - y_pred(i);
    return d * d;
  }));
}

// mean_squared_log_error(y_true, y_pred, sample_weight) -- the mean of (log(1 + y_true) - log(1 + y_pred))^2, for
// targets and predictions >= 0 (mean_squared_log_error).
inline double mean_squared_log_error(const vector_view& y_true, const vector_view& y_pred,
                                     const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "mean_squared_log_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  for (index i = 0; i < y_true.size(); ++i) {
    if (y_true(i) < 0.0)
      throw invalid_input("y_true has " + format_double(y_true(i)) + " at row ", i,
                          "; expected values >= 0, as the squared log error is not defined for negative targets",
                          name);
    if (y_pred(i) < 0.0)
      throw invalid_input("y_pred has " + format_double(y_pred(i)) + " at row ", i,
                          "; expected values >= 0, as the squared log error is not defined for negative predictions",
                          name);
  }
  return detail::average_rows(y_true.size(), sample_weight, [&](index i) {
    const double d = std::log1p(y_true(i)) - std::log1p(y_pred(i));
    return d * d;
  });
}

// median_absolute_error(y_true, y_pred, sample_weight) -- the median of |y_true - y_pred| (median_absolute_error;
// with weights, scikit-learn's weighted percentile: the smallest error whose cumulative weight reaches half).
inline double median_absolute_error(const vector_view& y_true, const vector_view& y_pred,
                                    const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "median_absolute_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  const auto n = static_cast<std::size_t>(y_true.size());
  std::vector<double> errors(n);
  for (std::size_t i = 0; i < n; ++i)
    errors[i] = std::abs(y_true(static_cast<index>(i)) - y_pred(static_cast<index>(i)));
  if (sample_weight.size() == 0) {
    std::sort(errors.begin(), errors.end());
    return n % 2 == 1 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2.0;
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return errors[a] < errors[b]; });
  std::vector<double> cdf(n);
  double running = 0.0;
  for (std::size_t k = 0; k < n; ++k) cdf[k] = running += sample_weight(static_cast<index>(order[k]));
  double target = 0.5 * cdf.back();
  if (target == 0.0) target = std::nextafter(0.0, 1.0);
  auto at = static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), target) - cdf.begin());
  at = std::min(at, n - 1);
  return errors[order[at]];
}

// max_error(y_true, y_pred) -- the largest |y_true - y_pred|, the worst case (max_error).
inline double max_error(const vector_view& y_true, const vector_view& y_pred) {
  detail::check_pair("max_error", y_true, y_pred, "y_pred");
  return (y_true - y_pred).cwiseAbs().maxCoeff();
}

// mean_absolute_percentage_error(y_true, y_pred, sample_weight) -- the mean of |y_true - y_pred| / |y_true| as a
// fraction (not percent), |y_true| floored at double's epsilon (mean_absolute_percentage_error).
inline double mean_absolute_percentage_error(const vector_view& y_true, const vector_view& y_pred,
                                             const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "mean_absolute_percentage_error";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  constexpr double eps = std::numeric_limits<double>::epsilon();
  return detail::average_rows(y_true.size(), sample_weight, [&](index i) {
    return std::abs(y_pred(i) - y_true(i)) / std::max(std::abs(y_true(i)), eps);
  });
}

// mean_tweedie_deviance(y_true, y_pred, power, sample_weight) -- the mean Tweedie deviance of power p (0: squared
// error, 1: Poisson, 2: gamma; p in (0, 1) does not exist). Needs y_pred > 0 for p != 0, y_true >= 0 for
// 1 <= p < 2 and y_true > 0 for p >= 2 (mean_tweedie_deviance).
inline double mean_tweedie_deviance(const vector_view& y_true, const vector_view& y_pred, double power,
                                    const vector_view& sample_weight = vector()) {
  const std::string name = power == 1.0 ? "mean_poisson_deviance"
                           : power == 2.0 ? "mean_gamma_deviance"
                                          : "mean_tweedie_deviance";
  detail::check_regression(name, y_true, y_pred, sample_weight);
  if (!std::isfinite(power) || (power > 0.0 && power < 1.0))
    throw invalid_parameter("power = " + format_double(power) +
                                " is out of range; expected power <= 0 or power >= 1 (no Tweedie distribution has a "
                                "power in (0, 1))",
                            name);
  for (index i = 0; i < y_true.size(); ++i) {
    if (power != 0.0 && !(y_pred(i) > 0.0))
      throw invalid_input("y_pred has " + format_double(y_pred(i)) + " at row ", i,
                          "; expected predictions > 0 for a deviance of power " + format_double(power), name);
    if (power >= 1.0 && power < 2.0 && y_true(i) < 0.0)
      throw invalid_input("y_true has " + format_double(y_true(i)) + " at row ", i,
                          "; expected targets >= 0 for a deviance of power " + format_double(power), name);
    if (power >= 2.0 && !(y_true(i) > 0.0))
      throw invalid_input("y_true has " + format_double(y_true(i)) + " at row ", i,
                          "; expected targets > 0 for a deviance of power " + format_double(power), name);
  }
  return detail::average_rows(y_true.size(), sample_weight, [&](index i) {
    const double y = y_true(i);
    const double mu = y_pred(i);
    if (power == 0.0) return (y - mu) * (y - mu);
    if (power == 1.0) return 2.0 * ((y == 0.0 ? 0.0 : y * std::log(y / mu)) - y + mu);
    if (power == 2.0) return 2.0 * (std::log(mu / y) + y / mu - 1.0);
    return 2.0 * (std::pow(std::max(y, 0.0), 2.0 - power) / ((1.0 - power) * (2.0 - power)) -
                  y * std::pow(mu, 1.0 - power) / (1.0 - power) + std::pow(mu, 2.0 - power) / (2.0 - power));
  });
}

// mean_poisson_deviance(y_true, y_pred, sample_weight) -- the mean Poisson deviance, for counts: y_true >= 0,
// y_pred > 0 (mean_poisson_deviance).
inline double mean_poisson_deviance(const vector_view& y_true, const vector_view& y_pred,
                                    const vector_view& sample_weight = vector()) {
  return mean_tweedie_deviance(y_true, y_pred, 1.0, sample_weight);
}

// mean_gamma_deviance(y_true, y_pred, sample_weight) -- the mean gamma deviance, for positive skewed targets:
// y_true > 0, y_pred > 0 (mean_gamma_deviance).
inline double mean_gamma_deviance(const vector_view& y_true, const vector_view& y_pred,
                                  const vector_view& sample_weight = vector()) {
  return mean_tweedie_deviance(y_true, y_pred, 2.0, sample_weight);
}

}  // namespace mlpipe
