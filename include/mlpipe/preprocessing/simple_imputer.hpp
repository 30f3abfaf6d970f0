#pragma once

#include <algorithm>    // std::sort
#include <array>
#include <cmath>        // std::isnan, std::isinf, std::isfinite
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::pair, std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// imputation -- how simple_imputer computes the value that replaces a column's missing entries.
enum class imputation {
  mean,           // the mean of the column's observed values
  median,         // their median (the mean of the two middle values for an even count)
  most_frequent,  // their most frequent value (the smallest one on a tie)
  constant        // simple_imputer::fill_value
};

template <>
struct enum_names<imputation> {
  static constexpr std::array values{std::pair{imputation::mean, std::string_view("mean")},
                                     std::pair{imputation::median, std::string_view("median")},
                                     std::pair{imputation::most_frequent, std::string_view("most_frequent")},
                                     std::pair{imputation::constant, std::string_view("constant")}};
};

}  // namespace mlpipe



namespace mlpipe {

// simple_imputer -- replaces missing values (NaN) column by column with a statistic learned at fit, as
// scikit-learn 1.2's SimpleImputer(missing_values=nan, keep_empty_features=False): with mean, median or
// most_frequent, a column that has no observed value at fit is dropped from the output; with constant it is kept
// and filled with fill_value.
struct simple_imputer {
  static constexpr std::string_view kind = "simple_imputer";
  static constexpr bool allows_nan = true;  // NaN in X is a missing value to fill (mlpipe::testing::check_stage)

  imputation strategy = imputation::mean;  // the statistic: "mean", "median", "most_frequent" or "constant"
  double fill_value = 0.0;                 // what strategy "constant" puts in; any finite number, in X's units

  static constexpr auto params = std::tuple{param<"strategy">(&simple_imputer::strategy),
                                            param<"fill_value">(&simple_imputer::fill_value)};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile its body
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const;
};

class simple_imputer::fitted {
 public:
  static constexpr std::string_view kind = simple_imputer::kind;
  static constexpr int schema_version = 1;  // bump when the saved state changes shape

  fitted() = default;  // an empty shell for load() to fill
  fitted(simple_imputer spec, vector statistics) : spec_(spec), statistics_(std::move(statistics)) {}

  const simple_imputer& spec() const { return spec_; }
  // The fill value of each input column (scikit-learn's statistics_); nan for a column that is dropped because it
  // had no observed value at fit.
  const vector& statistics() const { return statistics_; }
  index n_features_in() const { return statistics_.size(); }
  // The input columns minus the dropped ones.
  index n_features_out() const {
    index n = 0;
    for (index j = 0; j < statistics_.size(); ++j) n += std::isnan(statistics_(j)) ? 0 : 1;
    return n;
  }

  // X with each NaN replaced by its column's statistic, without the dropped columns. X may hold NaN, not infinities.
  matrix transform(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in(), /*allow_nan=*/true);
    matrix out(X.rows(), n_features_out());
    index k = 0;
    for (index j = 0; j < X.cols(); ++j) {
      const double fill = statistics_(j);
      if (std::isnan(fill)) continue;
      for (index i = 0; i < X.rows(); ++i) out(i, k) = std::isnan(X(i, j)) ? fill : X(i, j);
      ++k;
    }
    return out;
  }

  // One row, no allocation: out (n_features_out() values) is in with its NaNs filled and dropped columns left out.
  void transform_one(std::span<const double> in, std::span<double> out) const {
    detail::check_row(kind, in, n_features_in(), true);
    std::size_t k = 0;
    for (index j = 0; j < n_features_in(); ++j) {
      const double fill = statistics_(j);
      if (std::isnan(fill)) continue;
      const double x = in[static_cast<std::size_t>(j)];
      out[k++] = std::isnan(x) ? fill : x;
    }
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: one statistic per input
  // column, each fill_value for strategy "constant", else finite or nan (a dropped column), not all nan. load() runs
  // it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_not_empty(kind, "state.statistics", statistics_.size(), "one per input column");
    if (spec_.strategy == imputation::constant) {
      for (index j = 0; j < statistics_.size(); ++j) {
        if (statistics_(j) != spec_.fill_value)
          detail::throw_invariant(kind, "state.statistics[" + std::to_string(j) + "] = " +
                                            format_double(statistics_(j)) + " but strategy = \"constant\" with " +
                                            "fill_value = " + format_double(spec_.fill_value) +
                                            "; expected fill_value");
      }
      return;
    }
    detail::check_state_values(kind, "state.statistics", statistics_, detail::state_bound::any,
                               "(a column with no observed value at fit, which transform drops)");
    if (n_features_out() == 0)
      detail::throw_invariant(kind, "state.statistics is all nan; expected at least one column that transform keeps");
  }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp). statistics holds nan
  // for dropped columns.
  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("statistics", statistics_);
  }

 private:
  simple_imputer spec_;
  vector statistics_;
};

namespace detail {

// The statistic of one column's observed values (observed is not empty; it is sorted when the strategy needs it).
inline double imputation_statistic(imputation strategy, std::vector<double>& observed) {
  const std::size_t n = observed.size();
  switch (strategy) {
    case imputation::mean: {
      // Summed in row order and divided once, as numpy's masked mean reduces a C-ordered array along axis 0.
      double sum = 0.0;
      for (const double x : observed) sum += x;
      if (std::isfinite(sum)) return sum / static_cast<double>(n);
      // The sum overflowed: average values scaled down first, which cannot.
      double mean = 0.0;
      for (const double x : observed) mean += x / static_cast<double>(n);
      return mean;
    }
    case imputation::median: {
      std::sort(observed.begin(), observed.end());
      const double low = observed[(n - 1) / 2];
      const double high = observed[n / 2];
      if (n % 2 == 1) return low;
      // (low + high) / 2 as numpy computes it; halved first only where the sum would overflow.
      const double sum = low + high;
      return std::isfinite(sum) ? sum / 2.0 : low / 2.0 + high / 2.0;
    }
    case imputation::most_frequent: {
      // The longest run of equal values in sorted order; the first (smallest) of the longest wins a tie.
      std::sort(observed.begin(), observed.end());
      double best = observed[0];
      std::size_t best_count = 0;
      for (std::size_t start = 0; start < n;) {
        std::size_t end = start + 1;
        while (end < n && observed[end] == observed[start]) ++end;
        if (end - start > best_count) {
          best = observed[start];
          best_count = end - start;
        }
        start = end;
      }
      return best;
    }
    case imputation::constant:
      break;
  }
  return 0.0;  // not reached: constant is handled by the caller
}

}  // namespace detail

template <class Deferred>
simple_imputer::fitted simple_imputer::fit(const matrix_view& X, const vector_view&) const {
  validate_params(*this);
  if (strategy != imputation::mean && strategy != imputation::median && strategy != imputation::most_frequent &&
      strategy != imputation::constant) {
    throw invalid_parameter("strategy = " + std::to_string(static_cast<int>(strategy)) + " is not a valid value; "
                                "expected " + std::string(param_traits<imputation>::expected),
                            kind);
  }
  detail::check_fit_input(kind, X, /*allow_nan=*/true);
  vector statistics(X.cols());
  if (strategy == imputation::constant) {
    statistics.setConstant(fill_value);
    return fitted(*this, std::move(statistics));
  }
  std::vector<double> observed;
  observed.reserve(static_cast<std::size_t>(X.rows()));
  for (index j = 0; j < X.cols(); ++j) {
    observed.clear();
    for (index i = 0; i < X.rows(); ++i)
      if (!std::isnan(X(i, j))) observed.push_back(X(i, j));
    // No observed value: scikit-learn's statistic is nan and transform drops the column.
    statistics(j) = observed.empty() ? std::numeric_limits<double>::quiet_NaN()
                                     : detail::imputation_statistic(strategy, observed);
  }
  if (statistics.array().isNaN().all()) {
    // scikit-learn would return no columns at all; no later step could use that.
    throw invalid_input("X is all nan (missing); expected at least one observed value for strategy " +
                            format_value(param_traits<imputation>::to_value(strategy)) +
                            " (strategy \"constant\" fills columns that have none)",
                        kind);
  }
  return fitted(*this, std::move(statistics));
}

}  // namespace mlpipe
