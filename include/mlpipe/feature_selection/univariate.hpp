#pragma once

#include <algorithm>    // std::max, std::clamp
#include <array>
#include <cmath>        // std::sqrt, std::isnan, std::isinf, std::isfinite
#include <cstddef>
#include <cstdint>      // std::int64_t, std::uint32_t
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>      // std::get_if
#include <vector>

#include "mlpipe/core/allocate.hpp"  // new_matrix, recycle_matrix
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/order.hpp"   // sorted_distinct, position_in
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/core/sums.hpp"    // lane_sums, lane_sum, ordered_sum
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/mutual_info.hpp"
#include "mlpipe/feature_selection/score_func.hpp"

namespace mlpipe {

namespace detail {

// Both scores are computed in two passes: means first, then sums of deviations from them, so no large sums of
// squares cancel (scikit-learn's one-pass f_oneway is 4e-11 off the exact F of a breast_cancer feature; these
// are within 1e-13). Each sum of squares is corrected by the sum of the first-pass deviations,
// sum d^2 - (sum d)^2 / n, which makes it exactly 0 for a class whose values are all equal. A constant feature is
// detected outright.

// Whether every value of v equals the first (v is finite); stops at the first that differs.
inline bool is_constant(const vector_view& v) {
  for (index i = 1; i < v.size(); ++i)
    if (v(i) != v(0)) return false;
  return true;
}

// The classes of y (sorted), and its rows grouped by class: class k's rows, in order, are at places start[k] ..
// start[k + 1] of the grouping, and row i at place[i].
struct class_groups {
  std::vector<double> classes;
  std::vector<std::size_t> place;
  std::vector<std::size_t> start;
  double count(std::size_t k) const { return static_cast<double>(start[k + 1] - start[k]); }
  // x's values class by class into grouped (as many as rows), read in x's order.
  void group(const vector_view& x, std::span<double> grouped) const {
    for (std::size_t i = 0; i < place.size(); ++i) grouped[place[i]] = x(static_cast<index>(i));
  }
  // Class k's values in grouped.
  std::span<const double> of(std::span<const double> grouped, std::size_t k) const {
    return grouped.subspan(start[k], start[k + 1] - start[k]);
  }
};

// y's classes and rows by class, or an error naming kind when y has fewer than 2 classes.
inline class_groups group_classes(const vector_view& y, std::string_view kind) {
  class_groups g;
  g.classes = sorted_distinct(y);
  if (g.classes.size() < 2) {
    throw invalid_input("y has a single class (" + format_double(g.classes.front()) +
                            "); expected at least 2 classes to compare",
                        kind);
  }
  g.place.resize(static_cast<std::size_t>(y.size()));
  g.start.assign(g.classes.size() + 1, 0);
  for (std::size_t i = 0; i < g.place.size(); ++i) {  // each row's class first, then its place
    g.place[i] = static_cast<std::size_t>(position_in(g.classes, y(static_cast<index>(i))));
    ++g.start[g.place[i] + 1];
  }
  for (std::size_t k = 0; k < g.classes.size(); ++k) g.start[k + 1] += g.start[k];
  std::vector<std::size_t> next(g.start.begin(), g.start.end() - 1);
  for (std::size_t& at : g.place) at = next[at]++;
  return g;
}

// ANOVA F of each feature across the classes of y, as scikit-learn's f_classif: F = (SSB / (c - 1)) / (SSW / (n - c))
// with its F(c - 1, n - c) p-value. A constant feature has F = 0 / 0 = NaN and a NaN p-value (scikit-learn gets
// NaN too where its sums cancel exactly, and a rounding residue where they do not: F = -0, p = 1 for a column of
// 0.1); a feature constant within each class but not overall has F = inf and p = 0. Each column's values are
// gathered class by class into one buffer, so every sum runs over contiguous values (no sum indexed by the label).
inline univariate_scores f_classif_scores(const matrix_view& X, const vector_view& y) {
  constexpr std::string_view kind = "f_classif";
  check_fit_input(kind, X, y);
  const class_groups g = group_classes(y, kind);
  const index n = X.rows();
  const std::size_t n_classes = g.classes.size();
  const double df_between = static_cast<double>(n_classes) - 1.0;
  const double df_within = static_cast<double>(n) - static_cast<double>(n_classes);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  univariate_scores out{vector(X.cols()), vector(X.cols())};
  matrix grouped_memory = new_matrix(n, 1);  // each column by class; a search's matrix pool, on large data
  const std::span<double> grouped(grouped_memory.data(), static_cast<std::size_t>(n));
  std::vector<double> mean(n_classes);
  for (index j = 0; j < X.cols(); ++j) {
    const auto x = X.col(j);
    if (is_constant(x)) {
      out.scores(j) = nan;
      out.pvalues(j) = nan;
      continue;
    }
    g.group(x, grouped);
    // First pass: class means and the grand mean.
    double total = 0.0;
    for (std::size_t k = 0; k < n_classes; ++k) {
      const double sum = ordered_sum(g.of(grouped, k));
      total += sum;
      mean[k] = sum / g.count(k);
    }
    const double grand_first = total / static_cast<double>(n);
    // Second pass: deviations from the first-pass means, per class, and from the grand mean; each class mean is
    // then corrected by its mean deviation.
    double ss_within = 0.0;
    double grand_deviation = 0.0;
    for (std::size_t k = 0; k < n_classes; ++k) {
      const std::span<const double> v = g.of(grouped, k);
      const double m = mean[k];
      const auto [deviation, squares, from_grand] =  // sums of d, d^2 and x - grand_first
          lane_sums<3>(static_cast<index>(v.size()), [&](index t) {
            const double x_t = v[static_cast<std::size_t>(t)];
            const double d = x_t - m;
            return std::array<double, 3>{d, d * d, x_t - grand_first};
          });
      ss_within += squares - deviation * deviation / g.count(k);
      grand_deviation += from_grand;
      mean[k] += deviation / g.count(k);
    }
    const double grand = grand_first + grand_deviation / static_cast<double>(n);
    double ss_between = 0.0;
    for (std::size_t k = 0; k < n_classes; ++k) ss_between += g.count(k) * (mean[k] - grand) * (mean[k] - grand);
    ss_within = std::max(ss_within, 0.0);
    out.scores(j) = (ss_between / df_between) / (ss_within / df_within);
    out.pvalues(j) = special::f_sf(out.scores(j), df_between, df_within);
  }
  recycle_matrix(std::move(grouped_memory));
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
  const auto [sum, squares, products] = lane_sums<3>(x.size(), [&](index i) {
    const double d = x(i) - mean;
    return std::array<double, 3>{d, d * d, d * dy(i)};
  });
  return {sum, squares, products};
}

// The correlation of each feature with y (scikit-learn's r_regression, center=True): r = 0 for a constant feature or
// a constant y when force_finite, else NaN.
inline vector correlations(std::string_view kind, const matrix_view& X, const vector_view& y, bool force_finite) {
  check_fit_input(kind, X, y);
  const index n = X.rows();
  const auto nd = static_cast<double>(n);
  // y centred about its first-pass mean; the same sums as for each x below, so that x == y gives r == 1 exactly.
  const vector dy = y.array() - ordered_sum(y) / nd;
  const centred_sums sy = centre(y, dy);
  const double syy = sy.squares - sy.sum * sy.sum / nd;
  const bool constant_y = is_constant(y);
  vector r(X.cols());
  for (index j = 0; j < X.cols(); ++j) {
    if (constant_y || is_constant(X.col(j))) {
      r(j) = force_finite ? 0.0 : std::numeric_limits<double>::quiet_NaN();  // 0 / 0
      continue;
    }
    const centred_sums sx = centre(X.col(j), dy);
    const double sxx = sx.squares - sx.sum * sx.sum / nd;
    const double sxy = sx.products - sx.sum * sy.sum / nd;
    double norm = std::sqrt(sxx * syy);
    if (!std::isfinite(norm) || norm == 0.0) norm = std::sqrt(sxx) * std::sqrt(syy);  // over- or underflow
    r(j) = std::clamp(sxy / norm, -1.0, 1.0);
  }
  return r;
}

// F statistic of the univariate linear regression of y on each feature, as scikit-learn 1.2's
// f_regression(center=True, force_finite): r = corr(x, y), F = r^2 / (1 - r^2) * (n - 2), p from F(1, n - 2).
// With force_finite, a constant feature (or a constant y) has F = 0 and p = 1 and a perfectly (anti-)correlated one
// has F = the largest double and p = 0; without it they are NaN (p NaN) and inf (p 0).
inline univariate_scores f_regression_scores(const matrix_view& X, const vector_view& y, const score_settings& s) {
  const vector r = correlations("f_regression", X, y, s.force_finite);
  const double df = static_cast<double>(X.rows()) - 2.0;
  univariate_scores out{vector(X.cols()), vector(X.cols())};
  for (index j = 0; j < X.cols(); ++j) {
    const double r2 = r(j) * r(j);
    double F = r2 / (1.0 - r2) * df;
    double p = special::f_sf(F, 1.0, df);
    if (s.force_finite && std::isinf(F)) {
      F = std::numeric_limits<double>::max();  // p is already 0
    } else if (s.force_finite && std::isnan(F)) {  // r = +-1 with n = 2: 1 / 0 * 0
      F = 0.0;
      p = 1.0;
    }
    out.scores(j) = F;
    out.pvalues(j) = p;
  }
  return out;
}

// Pearson's r of each feature with y as the score (scikit-learn's r_regression): signed, no p-values.
inline univariate_scores r_regression_scores(const matrix_view& X, const vector_view& y, const score_settings& s) {
  return {correlations("r_regression", X, y, s.force_finite), vector()};
}

// Chi-squared statistic of each non-negative feature against the classes of y, as scikit-learn's chi2: observed
// class sums of the feature against those expected from the class frequencies; p from chi2(n_classes - 1). A feature
// that is 0 everywhere has NaN for both (0 / 0), as in scikit-learn.
inline univariate_scores chi2_scores(const matrix_view& X, const vector_view& y) {
  constexpr std::string_view kind = "chi2";
  check_fit_input(kind, X, y);
  for (index j = 0; j < X.cols(); ++j) {
    for (index i = 0; i < X.rows(); ++i) {
      if (X(i, j) < 0.0) {
        throw invalid_input("column " + std::to_string(j) + " has a negative value (" + format_double(X(i, j)) +
                                " in row " + std::to_string(i) + "); expected non-negative values (counts, "
                                "frequencies, or min_max_scaler output)",
                            kind);
      }
    }
  }
  const class_groups g = group_classes(y, kind);
  const std::size_t k = g.classes.size();
  const auto n = static_cast<double>(X.rows());
  univariate_scores out{vector(X.cols()), vector(X.cols())};
  std::vector<double> observed(k);
  matrix grouped_memory = new_matrix(X.rows(), 1);  // each column by class; a search's matrix pool, on large data
  const std::span<double> grouped(grouped_memory.data(), static_cast<std::size_t>(X.rows()));
  for (index j = 0; j < X.cols(); ++j) {
    g.group(X.col(j), grouped);
    double total = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      observed[c] = ordered_sum(g.of(grouped, c));
      total += observed[c];
    }
    double chisq = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      const double expected = g.count(c) / n * total;
      const double d = observed[c] - expected;
      chisq += d * d / expected;
    }
    out.scores(j) = chisq;
    out.pvalues(j) = special::chi2_sf(chisq, static_cast<double>(k) - 1.0);
  }
  recycle_matrix(std::move(grouped_memory));
  return out;
}

}  // namespace detail

// f_classif -- the ANOVA F statistic of each feature across the classes of y, and its p-value (scikit-learn's
// f_classif). For classification targets; y holds class labels, at least two distinct ones.
inline constexpr score_func f_classif{"f_classif", &detail::f_classif_scores};

// f_regression -- the F statistic of each feature's univariate linear regression on y, and its p-value
// (scikit-learn's f_regression). For regression targets.
// With scikit-learn's force_finite = false: `f_regression.with({.force_finite = false})`.
inline constexpr score_func f_regression{"f_regression", nullptr, &detail::f_regression_scores};

// r_regression -- Pearson's correlation of each feature with y (scikit-learn's r_regression), signed, without
// p-values; force_finite (the default) makes the correlation of a constant feature 0 rather than NaN.
inline constexpr score_func r_regression{"r_regression", nullptr, &detail::r_regression_scores};

// chi2 -- the chi-squared statistic of each non-negative feature (counts, frequencies, min_max_scaler output)
// against the classes of y, and its p-value (scikit-learn's chi2). A negative value is an error naming its column.
inline constexpr score_func chi2{"chi2", &detail::chi2_scores};

namespace detail {
// The score functions known by name (with their default settings).
inline const std::array builtin_score_funcs{f_classif,
                                            f_regression,
                                            r_regression,
                                            chi2,
                                            static_cast<score_func>(mutual_info_classif{}),
                                            static_cast<score_func>(mutual_info_regression{})};
}  // namespace detail

namespace detail {

// A score function as text: its name, then in parentheses the settings that differ from its defaults
// ("mutual_info_classif(n_neighbors=5, seed=1)", "f_regression(force_finite=false)", "chi2").
inline std::string score_func_text(const score_func& f) {
  const score_settings defaults{};
  std::vector<std::string> parts;
  if (reads_mutual_info_settings(f.name)) {
    if (f.settings.n_neighbors != defaults.n_neighbors)
      parts.push_back("n_neighbors=" + std::to_string(f.settings.n_neighbors));
    if (f.settings.seed != defaults.seed) parts.push_back("seed=" + std::to_string(f.settings.seed));
    if (f.settings.discrete != defaults.discrete) {
      std::string text = f.settings.discrete.describe();
      if (f.settings.discrete.is_mask()) {
        text = "[";
        for (std::size_t j = 0; j < f.settings.discrete.mask().size(); ++j)
          text += std::string(j ? "," : "") + (f.settings.discrete.mask()[j] ? "1" : "0");
        text += "]";
      }
      parts.push_back("discrete_features=" + text);
    }
  }
  if (reads_force_finite(f.name) && f.settings.force_finite != defaults.force_finite)
    parts.push_back(std::string("force_finite=") + (f.settings.force_finite ? "true" : "false"));
  std::string out(f.name);
  if (parts.empty()) return out;
  out += "(";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + ")";
}

// A whole number written in decimal digits, within [lo, hi].
inline std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t lo, std::int64_t hi) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// The inverse of score_func_text: a built-in function by name, with valid settings for that function (each at most
// once); nothing for anything else.
inline std::optional<score_func> parse_score_func(std::string_view text) {
  const auto trim = [](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
  };
  text = trim(text);
  const std::size_t open = text.find('(');
  const std::string_view name = trim(text.substr(0, open));
  std::optional<score_func> out;
  for (const score_func& f : builtin_score_funcs)
    if (f.name == name) out = f;
  if (!out || open == std::string_view::npos) return out;
  if (text.back() != ')') return std::nullopt;
  std::string_view rest = text.substr(open + 1, text.size() - open - 2);
  std::vector<std::string_view> seen;
  while (!trim(rest).empty()) {
    // The next key=value; a mask's commas are inside its brackets.
    std::size_t end = 0;
    int depth = 0;
    while (end < rest.size() && (rest[end] != ',' || depth > 0)) {
      depth += rest[end] == '[' ? 1 : (rest[end] == ']' ? -1 : 0);
      ++end;
    }
    const std::string_view item = trim(rest.substr(0, end));
    rest = end < rest.size() ? rest.substr(end + 1) : std::string_view{};
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = trim(item.substr(0, eq));
    const std::string_view value = trim(item.substr(eq + 1));
    for (const auto k : seen)
      if (k == key) return std::nullopt;
    seen.push_back(key);
    score_settings& s = out->settings;
    if (reads_mutual_info_settings(name) && key == "n_neighbors") {
      const auto v = parse_count(value, 1, std::numeric_limits<int>::max());
      if (!v) return std::nullopt;
      s.n_neighbors = static_cast<int>(*v);
    } else if (reads_mutual_info_settings(name) && key == "seed") {
      const auto v = parse_count(value, 0, std::numeric_limits<std::uint32_t>::max());
      if (!v) return std::nullopt;
      s.seed = static_cast<std::uint32_t>(*v);
    } else if (reads_mutual_info_settings(name) && key == "discrete_features") {
      if (value == "auto") s.discrete = discrete_columns::automatic();
      else if (value == "true") s.discrete = discrete_columns(true);
      else if (value == "false") s.discrete = discrete_columns(false);
      else if (value.size() >= 3 && value.front() == '[' && value.back() == ']') {
        std::vector<bool> mask;
        std::string_view entries = value.substr(1, value.size() - 2);
        while (true) {
          const std::size_t comma = entries.find(',');
          const std::string_view entry = trim(entries.substr(0, comma));
          if (entry != "0" && entry != "1") return std::nullopt;
          mask.push_back(entry == "1");
          if (comma == std::string_view::npos) break;
          entries = entries.substr(comma + 1);
        }
        s.discrete = discrete_columns(std::move(mask));
      } else {
        return std::nullopt;
      }
    } else if (reads_force_finite(name) && key == "force_finite" && (value == "true" || value == "false")) {
      s.force_finite = value == "true";
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace detail

// A score function is set from a grid or a file by name, with its settings in parentheses where they differ from
// the defaults ("mutual_info_classif(n_neighbors=5, seed=1, discrete_features=[0,1,1])",
// "f_regression(force_finite=false)"), and saved the same way; a file that names the function alone gets the
// defaults. Only the built-in functions can be named; a selector holding your own function cannot be set from or
// loaded by name.
template <>
struct param_traits<score_func> {
  static inline const std::string expected = [] {
    std::string out = "one of";
    for (std::size_t i = 0; i < detail::builtin_score_funcs.size(); ++i)
      out += (i ? ", \"" : " \"") + std::string(detail::builtin_score_funcs[i].name) + "\"";
    return out + ", with settings in parentheses where the function has some (mutual information: n_neighbors >= 1, "
                 "seed from 0 to 4294967295, discrete_features auto, true, false or a mask such as [0,1,1]; "
                 "f_regression and r_regression: force_finite true or false), e.g. "
                 "\"mutual_info_classif(n_neighbors=5, seed=1)\"";
  }();
  static std::optional<score_func> from_value(const param_value& v) {
    const auto* text = std::get_if<std::string>(&v);
    if (text == nullptr) return std::nullopt;
    return detail::parse_score_func(*text);
  }
  static param_value to_value(const score_func& f) { return detail::score_func_text(f); }
};

}  // namespace mlpipe
