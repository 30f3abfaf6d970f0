#pragma once

#include <algorithm>    // std::sort, std::unique, std::lower_bound, std::max, std::clamp
#include <array>
#include <cmath>        // std::sqrt, std::isnan, std::isinf, std::isfinite
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>      // std::get_if
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// univariate_scores -- what a univariate score function returns: one score per feature (higher means more related
// to the target) and, where the score is a test statistic, its p-value (else `pvalues` is empty).
struct univariate_scores {
  vector scores;
  vector pvalues;
};

// score_func -- a univariate score function with its name, as select_k_best takes it: `.score = f_regression`.
// Callable (`mlpipe::f_classif(X, y)`); the name is how it is set from a grid and saved. Your own is
// `score_func{"my_score", &my_function}`; it receives X and y already checked (non-empty, finite, one target per
// row) when a selector calls it.
struct score_func {
  using function_type = univariate_scores (*)(const matrix_view& X, const vector_view& y);

  std::string_view name;
  function_type function = nullptr;

  univariate_scores operator()(const matrix_view& X, const vector_view& y) const { return function(X, y); }
  friend constexpr bool operator==(const score_func&, const score_func&) = default;
};

namespace detail {

// Both scores are computed in two passes: means first, then sums of deviations from them, so no large sums of
// squares cancel (scikit-learn's one-pass f_oneway is 4e-11 off the exact F of a breast_cancer feature; these
// are within 1e-13). Each sum of squares is corrected by the sum of the first-pass deviations,
// sum d^2 - (sum d)^2 / n, which makes it exactly 0 for a class whose values are all equal. A constant feature is
// detected outright.

inline bool is_constant(const vector_view& v) { return v.minCoeff() == v.maxCoeff(); }

// The sum of v in index order. A feature's score depends only on its values this way: Eigen's vectorized sum starts
// its packets at the first aligned element, so the same values at another column of X (another alignment) were
// added in another order, and two identical columns could score a rounding apart, which breaks scikit-learn's tie
// rule in select_k_best.
inline double ordered_sum(const vector_view& v) {
  double sum = 0.0;
  for (index i = 0; i < v.size(); ++i) sum += v(i);
  return sum;
}

// ANOVA F of each feature across the classes of y, as scikit-learn's f_classif: F = (SSB / (c - 1)) / (SSW / (n - c))
// with its F(c - 1, n - c) p-value. A constant feature has F = 0 / 0 = NaN and a NaN p-value (scikit-learn gets
// NaN too where its sums cancel exactly, and a rounding residue where they do not: F = -0, p = 1 for a column of
// 0.1); a feature constant within each class but not overall has F = inf and p = 0.
inline univariate_scores f_classif_scores(const matrix_view& X, const vector_view& y) {
  constexpr std::string_view kind = "f_classif";
  check_fit_input(kind, X, y);
  std::vector<double> classes(y.data(), y.data() + y.size());
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  if (classes.size() < 2) {
    throw invalid_input("y has a single class (" + format_double(classes.front()) +
                            "); expected at least 2 classes to compare",
                        kind);
  }
  const index n = X.rows();
  const std::size_t n_classes = classes.size();
  std::vector<std::size_t> label(static_cast<std::size_t>(n));
  std::vector<double> count(n_classes, 0.0);
  for (index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), y(i)) - classes.begin());
    label[static_cast<std::size_t>(i)] = k;
    count[k] += 1.0;
  }
  const double df_between = static_cast<double>(n_classes) - 1.0;
  const double df_within = static_cast<double>(n) - static_cast<double>(n_classes);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  univariate_scores out{vector(X.cols()), vector(X.cols())};
  std::vector<double> mean(n_classes), deviation(n_classes), square(n_classes);
  for (index j = 0; j < X.cols(); ++j) {
    const auto x = X.col(j);
    if (is_constant(x)) {
      out.scores(j) = nan;
      out.pvalues(j) = nan;
      continue;
    }
    // First pass: class means and the grand mean.
    std::fill(mean.begin(), mean.end(), 0.0);
    for (index i = 0; i < n; ++i) mean[label[static_cast<std::size_t>(i)]] += x(i);
    for (std::size_t k = 0; k < n_classes; ++k) mean[k] /= count[k];
    const double grand_first = ordered_sum(x) / static_cast<double>(n);
    // Second pass: deviations from the first-pass means.
    std::fill(deviation.begin(), deviation.end(), 0.0);
    std::fill(square.begin(), square.end(), 0.0);
    double grand_deviation = 0.0;
    for (index i = 0; i < n; ++i) {
      const std::size_t k = label[static_cast<std::size_t>(i)];
      const double d = x(i) - mean[k];
      deviation[k] += d;
      square[k] += d * d;
      grand_deviation += x(i) - grand_first;
    }
    const double grand = grand_first + grand_deviation / static_cast<double>(n);
    double ss_within = 0.0;
    double ss_between = 0.0;
    for (std::size_t k = 0; k < n_classes; ++k) {
      ss_within += square[k] - deviation[k] * deviation[k] / count[k];
      const double mean_k = mean[k] + deviation[k] / count[k];
      ss_between += count[k] * (mean_k - grand) * (mean_k - grand);
    }
    ss_within = std::max(ss_within, 0.0);
    out.scores(j) = (ss_between / df_between) / (ss_within / df_within);
    out.pvalues(j) = special::f_sf(out.scores(j), df_between, df_within);
  }
  return out;
}

// Sum of centred x (about its first-pass mean), of its squares, and of its products with centred y.
struct centred_sums {
  double sum = 0.0;
  double squares = 0.0;
  double products = 0.0;
};

inline centred_sums centre(const vector_view& x, const vector& dy) {
  const double mean = ordered_sum(x) / static_cast<double>(x.size());
  centred_sums s;
  for (index i = 0; i < x.size(); ++i) {
    const double d = x(i) - mean;
    s.sum += d;
    s.squares += d * d;
    s.products += d * dy(i);
  }
  return s;
}

// F statistic of the univariate linear regression of y on each feature, as scikit-learn 1.2's
// f_regression(center=True, force_finite=True): r = corr(x, y), F = r^2 / (1 - r^2) * (n - 2), p from F(1, n - 2).
// A constant feature (or a constant y) has F = 0 and p = 1; a perfectly (anti-)correlated one has F = the largest
// double and p = 0.
inline univariate_scores f_regression_scores(const matrix_view& X, const vector_view& y) {
  constexpr std::string_view kind = "f_regression";
  check_fit_input(kind, X, y);
  const index n = X.rows();
  const auto nd = static_cast<double>(n);
  const double df = nd - 2.0;
  // y centred about its first-pass mean; the same sums as for each x below, so that x == y gives r == 1 exactly.
  const vector dy = y.array() - ordered_sum(y) / nd;
  const centred_sums sy = centre(y, dy);
  const double syy = sy.squares - sy.sum * sy.sum / nd;
  const bool constant_y = is_constant(y);

  univariate_scores out{vector(X.cols()), vector(X.cols())};
  for (index j = 0; j < X.cols(); ++j) {
    double r = 0.0;  // force_finite: the correlation with a constant is 0
    if (!constant_y && !is_constant(X.col(j))) {
      const centred_sums sx = centre(X.col(j), dy);
      const double sxx = sx.squares - sx.sum * sx.sum / nd;
      const double sxy = sx.products - sx.sum * sy.sum / nd;
      double norm = std::sqrt(sxx * syy);
      if (!std::isfinite(norm) || norm == 0.0) norm = std::sqrt(sxx) * std::sqrt(syy);  // over- or underflow
      r = std::clamp(sxy / norm, -1.0, 1.0);
    }
    const double r2 = r * r;
    double F = r2 / (1.0 - r2) * df;
    double p = special::f_sf(F, 1.0, df);
    if (std::isinf(F)) {
      F = std::numeric_limits<double>::max();  // p is already 0
    } else if (std::isnan(F)) {  // r = +-1 with n = 2: 1 / 0 * 0
      F = 0.0;
      p = 1.0;
    }
    out.scores(j) = F;
    out.pvalues(j) = p;
  }
  return out;
}

}  // namespace detail

// f_classif -- the ANOVA F statistic of each feature across the classes of y, and its p-value (scikit-learn's
// f_classif). For classification targets; y holds class labels, at least two distinct ones.
inline constexpr score_func f_classif{"f_classif", &detail::f_classif_scores};

// f_regression -- the F statistic of each feature's univariate linear regression on y, and its p-value
// (scikit-learn's f_regression). For regression targets.
inline constexpr score_func f_regression{"f_regression", &detail::f_regression_scores};

namespace detail {
inline constexpr std::array builtin_score_funcs{f_classif, f_regression};
}  // namespace detail

// A score function is set from a grid or a file by name, and saved as its name. Only the built-in ones can be
// named; a selector holding your own function cannot be set from or loaded by name.
template <>
struct param_traits<score_func> {
  static inline const std::string expected = [] {
    std::string out = "one of";
    for (std::size_t i = 0; i < detail::builtin_score_funcs.size(); ++i)
      out += (i ? ", \"" : " \"") + std::string(detail::builtin_score_funcs[i].name) + "\"";
    return out;
  }();
  static std::optional<score_func> from_value(const param_value& v) {
    const auto* name = std::get_if<std::string>(&v);
    if (name == nullptr) return std::nullopt;
    for (const score_func& f : detail::builtin_score_funcs)
      if (f.name == *name) return f;
    return std::nullopt;
  }
  static param_value to_value(const score_func& f) { return std::string(f.name); }
};

}  // namespace mlpipe
