#pragma once

#include <algorithm>    // std::min, std::max, std::sort
#include <cmath>        // std::sqrt, std::abs, std::erfc, std::exp, std::log, std::isfinite
#include <cstddef>
#include <limits>
#include <numeric>      // std::iota
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/core/types.hpp"

// Statistical comparison of models from their fold-level scores or their predictions: the corrected resampled
// t-test (Nadeau & Bengio 2003), Dietterich's 5x2cv t-test, Alpaydin's 5x2cv F-test, the Bayesian correlated t-test,
// McNemar's test, the Wilcoxon signed-rank test, the Friedman test with the Nemenyi
// critical difference (Demsar 2006), and multiple-testing corrections. Each gives the numbers of the scipy or
// statsmodels function it names (tests/reference/validation_analysis.py).

namespace mlpipe {

namespace detail {

inline constexpr double stat_nan = std::numeric_limits<double>::quiet_NaN();

inline void check_scores(std::string_view test, std::string_view what, std::span<const double> scores,
                         std::size_t at_least) {
  if (scores.size() < at_least)
    throw invalid_input(std::string(what) + " has " + std::to_string(scores.size()) +
                            (scores.size() == 1 ? " value" : " values") + "; expected at least " +
                            std::to_string(at_least),
                        test);
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!std::isfinite(scores[i]))
      throw invalid_input(std::string(what) + " has " + format_double(scores[i]) + " at position " +
                              std::to_string(i) + "; expected finite scores",
                          test);
}

inline void check_pair(std::string_view test, std::span<const double> a, std::span<const double> b,
                       std::size_t at_least) {
  check_scores(test, "scores_a", a, at_least);
  check_scores(test, "scores_b", b, at_least);
  if (a.size() != b.size())
    throw invalid_input("scores_a has " + std::to_string(a.size()) + " values but scores_b has " +
                            std::to_string(b.size()) + "; expected paired scores (one per split for both models)",
                        test);
}

// Average ranks (1 = smallest) with ties sharing the mean of their ranks (scipy.stats.rankdata, method "average").
inline std::vector<double> average_ranks(std::span<const double> values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of start + 1 .. end
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

// sum over groups of tied values of t (t^2 - 1), t the group's size (the ties term of rank tests).
inline double tie_term(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  double sum = 0.0;
  for (std::size_t start = 0; start < sorted.size();) {
    std::size_t end = start + 1;
    while (end < sorted.size() && sorted[end] == sorted[start]) ++end;
    const auto t = static_cast<double>(end - start);
    if (t > 1) sum += t * (t * t - 1.0);
    start = end;
  }
  return sum;
}

// P(Z > z) for a standard normal Z (scipy.stats.norm.sf).
inline double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// P(X <= k) for X ~ Binomial(n, 1/2) (scipy.stats.binom.cdf), as I_{1/2}(n - k, k + 1).
inline double binomial_half_cdf(double k, double n) {
  if (k < 0) return 0.0;
  if (k >= n) return 1.0;
  return special::betainc(n - k, k + 1.0, 0.5);
}

}  // namespace detail

// ---- corrected resampled t-test -----------------------------------------------------------------------------------

// corrected_ttest_options -- the training and test set sizes of the splits the scores came from.
struct corrected_ttest_options {
  index n_train = 0;  // rows each model was trained on, per split; >= 1
  index n_test = 0;   // rows each model was scored on, per split; >= 1
};

// ttest_result -- a t statistic, its degrees of freedom and its two-sided p-value.
struct ttest_result {
  double statistic = 0.0;        // mean difference over its (corrected) standard error; > 0 when a scores higher
  double p_value = 1.0;          // two-sided: the chance of a |t| this large if both models were equally good
  double df = 0.0;               // degrees of freedom: number of splits - 1
  double mean_difference = 0.0;  // mean of scores_a - scores_b
};

namespace detail {

// The mean of the paired differences and its Nadeau-Bengio corrected variance var (1 / k + n_test / n_train).
struct corrected_moments {
  double mean = 0.0;
  double variance = 0.0;  // corrected
  double k = 0.0;         // number of pairs
};

inline corrected_moments corrected_difference_moments(std::string_view test, std::span<const double> scores_a,
                                                      std::span<const double> scores_b, index n_train, index n_test) {
  if (n_train < 1 || n_test < 1)
    throw invalid_parameter("n_train = " + std::to_string(n_train) + " and n_test = " + std::to_string(n_test) +
                                "; expected both >= 1 (the rows of each split)",
                            test);
  check_pair(test, scores_a, scores_b, 2);
  corrected_moments out;
  out.k = static_cast<double>(scores_a.size());
  for (std::size_t i = 0; i < scores_a.size(); ++i) out.mean += scores_a[i] - scores_b[i];
  out.mean /= out.k;
  double sum_squares = 0.0;
  for (std::size_t i = 0; i < scores_a.size(); ++i) {
    const double d = scores_a[i] - scores_b[i] - out.mean;
    sum_squares += d * d;
  }
  const double variance = sum_squares / (out.k - 1.0);
  if (variance == 0.0)
    throw invalid_input("the score differences are all equal (" + format_double(out.mean) +
                            "), so their variance is 0 and the t statistic is undefined (scipy gives NaN or an "
                            "infinite t); expected differences that vary between splits",
                        test);
  out.variance = variance * (1.0 / out.k + static_cast<double>(n_test) / static_cast<double>(n_train));
  return out;
}

}  // namespace detail

// corrected_ttest(scores_a, scores_b, {.n_train, .n_test}) -- the corrected resampled t-test of Nadeau & Bengio
// (2003) on paired per-split scores of two models: the variance of the differences is inflated by
// (1 / k + n_test / n_train), which accounts for the overlap of the training sets of cross-validation (the plain
// paired t-test's 1 / k understates it and finds differences that are not there). Two-sided p-value from Student's
// t with k - 1 degrees of freedom, as scikit-learn's example "Statistical comparison of models using grid search".
inline ttest_result corrected_ttest(std::span<const double> scores_a, std::span<const double> scores_b,
                                    const corrected_ttest_options& options) {
  const detail::corrected_moments m =
      detail::corrected_difference_moments("corrected_ttest", scores_a, scores_b, options.n_train, options.n_test);
  ttest_result out;
  out.statistic = m.mean / std::sqrt(m.variance);
  out.df = m.k - 1.0;
  out.p_value = std::min(1.0, 2.0 * special::t_sf(std::abs(out.statistic), out.df));
  out.mean_difference = m.mean;
  return out;
}

// ---- McNemar ------------------------------------------------------------------------------------------------------

// mcnemar_options -- which form of McNemar's test (statsmodels' mcnemar(table, exact, correction)).
struct mcnemar_options {
  bool exact = true;       // the exact binomial test on the discordant pairs; false: the chi-squared approximation
  bool correction = true;  // chi-squared only: subtract 1 from |b - c| (Edwards' continuity correction)
};

// mcnemar_result -- McNemar's statistic and p-value, with the 2 x 2 table of agreements it came from.
struct mcnemar_result {
  double statistic = 0.0;  // exact: min(b, c); chi-squared: (|b - c| - correction)^2 / (b + c)
  double p_value = 1.0;    // two-sided
  index both_correct = 0;  // rows both models predict correctly
  index only_a = 0;        // rows only model a predicts correctly (b)
  index only_b = 0;        // rows only model b predicts correctly (c)
  index both_wrong = 0;    // rows neither predicts correctly
};

// mcnemar(y_true, pred_a, pred_b) -- McNemar's test of whether two classifiers err on the same rows as often,
// from their predictions on one test set (Dietterich 1998), as statsmodels.stats.contingency_tables.mcnemar.
inline mcnemar_result mcnemar(const vector_view& y_true, const vector_view& pred_a, const vector_view& pred_b,
                              const mcnemar_options& options = {}) {
  constexpr std::string_view test = "mcnemar";
  if (pred_a.size() != y_true.size() || pred_b.size() != y_true.size())
    throw invalid_input("y_true has " + std::to_string(y_true.size()) + " values, pred_a " +
                            std::to_string(pred_a.size()) + " and pred_b " + std::to_string(pred_b.size()) +
                            "; expected one prediction of each model per row",
                        test);
  if (y_true.size() == 0) throw invalid_input("there are no rows; expected at least one prediction per model", test);
  mcnemar_result out;
  for (index i = 0; i < y_true.size(); ++i) {
    if (!std::isfinite(y_true(i)) || !std::isfinite(pred_a(i)) || !std::isfinite(pred_b(i)))
      throw invalid_input("row " + std::to_string(i) + " has a value that is not finite; expected class labels", test);
    const bool a = pred_a(i) == y_true(i);
    const bool b = pred_b(i) == y_true(i);
    (a ? (b ? out.both_correct : out.only_a) : (b ? out.only_b : out.both_wrong)) += 1;
  }
  const auto n1 = static_cast<double>(out.only_a);
  const auto n2 = static_cast<double>(out.only_b);
  if (options.exact) {
    out.statistic = std::min(n1, n2);
    out.p_value = std::min(1.0, 2.0 * detail::binomial_half_cdf(out.statistic, n1 + n2));
  } else {
    if (n1 + n2 == 0.0)
      throw invalid_input("the models agree on every row, so the chi-squared statistic is 0 / 0 (statsmodels gives "
                          "NaN); expected some rows where exactly one model is right, or exact = true",
                          test);
    const double corrected = std::abs(n1 - n2) - (options.correction ? 1.0 : 0.0);
    out.statistic = corrected * corrected / (n1 + n2);
    out.p_value = special::chi2_sf(out.statistic, 1.0);
  }
  return out;
}

// ---- 5x2cv tests ---------------------------------------------------------------------------------------------------

namespace detail {

// The differences of two models' 5x2cv scores, [repetition][fold], and their per-repetition variances s_i^2.
struct five_by_two {
  double diff[5][2];
  double variance[5];
};

inline five_by_two check_five_by_two(std::string_view test, std::span<const double> a, std::span<const double> b) {
  check_pair(test, a, b, 1);
  if (a.size() != 10)
    throw invalid_input("there are " + std::to_string(a.size()) + " scores per model; expected 10, the 5 x 2 scores "
                        "of 5 repetitions of 2-fold cross-validation (repeated_stratified_kfold{.n_splits = 2, "
                        ".n_repeats = 5}), repetition by repetition",
                        test);
  five_by_two out{};
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 2; ++j) out.diff[i][j] = a[2 * i + j] - b[2 * i + j];
    const double mean = 0.5 * (out.diff[i][0] + out.diff[i][1]);
    out.variance[i] = (out.diff[i][0] - mean) * (out.diff[i][0] - mean) + (out.diff[i][1] - mean) * (out.diff[i][1] - mean);
  }
  double sum = 0.0;
  for (const double v : out.variance) sum += v;
  if (sum == 0.0)
    throw invalid_input("within every repetition both folds give the same score difference, so the variance estimate "
                        "is 0 and the statistic is undefined; expected score differences that vary",
                        test);
  return out;
}

}  // namespace detail

// paired_ttest_5x2cv(scores_a, scores_b) -- Dietterich's (1998) 5x2cv paired t-test from the 10 scores of each model
// on 5 repetitions of 2-fold cross-validation (repetition by repetition: r0f0, r0f1, r1f0, ...): t = the first
// difference / sqrt(mean of the repetitions' variances), 5 degrees of freedom, two-sided (mlxtend's
// paired_ttest_5x2cv).
inline ttest_result paired_ttest_5x2cv(std::span<const double> scores_a, std::span<const double> scores_b) {
  const detail::five_by_two f = detail::check_five_by_two("paired_ttest_5x2cv", scores_a, scores_b);
  double sum = 0.0;
  for (const double v : f.variance) sum += v;
  ttest_result out;
  out.statistic = f.diff[0][0] / std::sqrt(sum / 5.0);
  out.df = 5.0;
  out.p_value = std::min(1.0, 2.0 * special::t_sf(std::abs(out.statistic), 5.0));
  double total = 0.0;
  for (const auto& row : f.diff) total += row[0] + row[1];
  out.mean_difference = total / 10.0;
  return out;
}

// f_test_result -- an F statistic, its degrees of freedom and its p-value.
struct f_test_result {
  double statistic = 0.0;  // the F statistic
  double p_value = 1.0;    // P(F > statistic) when the models are equally good
  double df1 = 0.0;        // numerator degrees of freedom
  double df2 = 0.0;        // denominator degrees of freedom
};

// combined_ftest_5x2cv(scores_a, scores_b) -- Alpaydin's (1999) combined 5x2cv F-test, more robust than the 5x2cv
// t-test: F = sum of the 10 squared differences / (2 sum of the repetitions' variances), F(10, 5) (mlxtend's
// combined_ftest_5x2cv).
inline f_test_result combined_ftest_5x2cv(std::span<const double> scores_a, std::span<const double> scores_b) {
  const detail::five_by_two f = detail::check_five_by_two("combined_ftest_5x2cv", scores_a, scores_b);
  double squares = 0.0;
  double variances = 0.0;
  for (std::size_t i = 0; i < 5; ++i) {
    squares += f.diff[i][0] * f.diff[i][0] + f.diff[i][1] * f.diff[i][1];
    variances += f.variance[i];
  }
  f_test_result out;
  out.statistic = squares / (2.0 * variances);
  out.df1 = 10.0;
  out.df2 = 5.0;
  out.p_value = special::f_sf(out.statistic, 10.0, 5.0);
  return out;
}

// ---- Bayesian correlated t-test -------------------------------------------------------------------------------------

// bayesian_ttest_options -- the split sizes (for the correlation of the scores) and the region of practical
// equivalence.
struct bayesian_ttest_options {
  index n_train = 0;  // rows each model was trained on, per split; >= 1
  index n_test = 0;   // rows each model was scored on, per split; >= 1
  double rope = 0.0;  // differences within [-rope, rope] count as practically equivalent; >= 0
};

// bayesian_ttest_result -- posterior probabilities that a is worse than b, practically equivalent, or better.
struct bayesian_ttest_result {
  double p_left = 0.0;    // P(mean difference a - b < -rope): b is better
  double p_rope = 0.0;    // P(-rope <= difference <= rope): practically equivalent
  double p_right = 0.0;   // P(difference > rope): a is better
  double mean = 0.0;      // posterior location: the mean difference
  double scale = 0.0;     // posterior scale: sqrt((1 / k + n_test / n_train) var)
  double df = 0.0;        // posterior degrees of freedom: k - 1
};

// bayesian_correlated_ttest(scores_a, scores_b, {.n_train, .n_test, .rope}) -- the Bayesian correlated t-test of
// Corani & Benavoli (2015) (Benavoli et al. 2017): the posterior of the mean score difference is Student's t with
// k - 1 degrees of freedom, location the mean difference and scale sqrt((1 / k + rho / (1 - rho)) var), rho =
// n_test / (n_train + n_test) the correlation of cross-validation scores (baycomp's CorrelatedTTest with rho = 1 /
// n_folds).
inline bayesian_ttest_result bayesian_correlated_ttest(std::span<const double> scores_a,
                                                       std::span<const double> scores_b,
                                                       const bayesian_ttest_options& options) {
  constexpr std::string_view test = "bayesian_correlated_ttest";
  if (!(options.rope >= 0.0) || std::isinf(options.rope))
    throw invalid_parameter("rope = " + format_double(options.rope) + " is out of range; expected a finite rope >= 0",
                            test);
  // The posterior's location and scale are the corrected t-test's mean and standard error.
  const detail::corrected_moments m =
      detail::corrected_difference_moments(test, scores_a, scores_b, options.n_train, options.n_test);
  bayesian_ttest_result out;
  out.mean = m.mean;
  out.scale = std::sqrt(m.variance);
  out.df = m.k - 1.0;
  out.p_right = special::t_sf((options.rope - out.mean) / out.scale, out.df);
  out.p_left = special::t_sf((options.rope + out.mean) / out.scale, out.df);
  out.p_rope = std::max(0.0, 1.0 - out.p_left - out.p_right);
  return out;
}

// ---- Wilcoxon signed-rank ----------------------------------------------------------------------------------------

// wilcoxon_result -- the Wilcoxon signed-rank statistic and its two-sided p-value.
struct wilcoxon_result {
  double statistic = 0.0;  // min(R+, R-), the smaller sum of the ranks of |difference|
  double p_value = 1.0;    // two-sided
  bool exact = true;       // the p-value is the exact distribution's (else the normal approximation's)
};

// wilcoxon(scores_a, scores_b) -- the Wilcoxon signed-rank test of paired scores, as scipy.stats.wilcoxon's
// defaults (zero_method "wilcox": zero differences are dropped; no continuity correction; two-sided; the exact
// distribution for up to 50 pairs without zero differences, else the normal approximation with the tie correction).
inline wilcoxon_result wilcoxon(std::span<const double> scores_a, std::span<const double> scores_b) {
  constexpr std::string_view test = "wilcoxon";
  detail::check_pair(test, scores_a, scores_b, 1);
  std::vector<double> d;
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < scores_a.size(); ++i) {
    const double diff = scores_a[i] - scores_b[i];
    zeros += diff == 0.0;
    d.push_back(diff);
  }
  wilcoxon_result out;
  out.exact = d.size() <= 50 && zeros == 0;
  if (!out.exact) {
    if (zeros == d.size())
      throw invalid_input("every difference between the paired scores is 0, so there is nothing to rank (scipy "
                          "raises for zero_method 'wilcox'); expected scores that differ on some pair",
                          test);
    std::erase(d, 0.0);
  }
  std::vector<double> magnitude(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) magnitude[i] = std::abs(d[i]);
  const std::vector<double> r = detail::average_ranks(magnitude);
  double r_plus = 0.0;
  double r_minus = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) (d[i] > 0 ? r_plus : r_minus) += d[i] != 0.0 ? r[i] : 0.0;
  out.statistic = std::min(r_plus, r_minus);
  const auto count = static_cast<double>(d.size());
  if (out.exact) {
    // The null distribution of R+: counts of rank subsets by their sum, halved at each step as scipy's
    // _get_wilcoxon_distr (every value a dyadic fraction, so all sums below are exact).
    std::vector<double> pmf{1.0};
    for (std::size_t k = 1; k <= d.size(); ++k) {
      std::vector<double> next(k * (k + 1) / 2 + 1, 0.0);
      for (std::size_t s = 0; s < pmf.size(); ++s) {
        next[s] += 0.5 * pmf[s];
        next[s + k] += 0.5 * pmf[s];
      }
      pmf = std::move(next);
    }
    const auto at = static_cast<std::size_t>(r_plus);  // scipy truncates a tied (fractional) R+ to an integer
    if (at == (pmf.size() - 1) / 2) {
      out.p_value = 1.0;
    } else {
      double less = 0.0;
      double greater = 0.0;
      for (std::size_t s = 0; s < pmf.size(); ++s) {
        if (s <= at) less += pmf[s];
        if (s >= at) greater += pmf[s];
      }
      out.p_value = std::clamp(2.0 * std::min(less, greater), 0.0, 1.0);
    }
  } else {
    const double mean = count * (count + 1.0) * 0.25;
    double se = count * (count + 1.0) * (2.0 * count + 1.0) - 0.5 * detail::tie_term(r);
    se = std::sqrt(se / 24.0);
    out.p_value = 2.0 * detail::normal_sf(std::abs((out.statistic - mean) / se));
  }
  return out;
}

// ---- multiple testing ----------------------------------------------------------------------------------------------

// p_adjust_method -- how p_adjust corrects several p-values (statsmodels' multipletests methods).
enum class p_adjust_method {
  holm,                // Holm's step-down: controls the family-wise error rate, uniformly better than Bonferroni
  bonferroni,          // p times the number of tests
  benjamini_hochberg,  // controls the false discovery rate ("fdr_bh")
};

// p_adjust(p_values, method) -- the corrected p-values, in the input's order, capped at 1 (statsmodels'
// multipletests(p, method=...)[1]).
inline std::vector<double> p_adjust(std::span<const double> p_values, p_adjust_method method = p_adjust_method::holm) {
  for (std::size_t i = 0; i < p_values.size(); ++i)
    if (!(p_values[i] >= 0.0 && p_values[i] <= 1.0))
      throw invalid_input("p_values has " + format_double(p_values[i]) + " at position " + std::to_string(i) +
                              "; expected p-values in [0, 1]",
                          "p_adjust");
  const std::size_t m = p_values.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return p_values[i] < p_values[j]; });
  std::vector<double> out(m);
  const auto n = static_cast<double>(m);
  switch (method) {
    case p_adjust_method::bonferroni:
      for (std::size_t i = 0; i < m; ++i) out[i] = std::min(1.0, p_values[i] * n);
      break;
    case p_adjust_method::holm: {
      double running = 0.0;  // np.maximum.accumulate over the sorted p * (m - i)
      for (std::size_t i = 0; i < m; ++i) {
        running = std::max(running, p_values[order[i]] * (n - static_cast<double>(i)));
        out[order[i]] = std::min(1.0, running);
      }
      break;
    }
    case p_adjust_method::benjamini_hochberg: {
      double running = 1.0;  // np.minimum.accumulate from the largest p down
      for (std::size_t i = m; i-- > 0;) {
        running = std::min(running, p_values[order[i]] * n / static_cast<double>(i + 1));
        out[order[i]] = std::min(1.0, running);
      }
      break;
    }
  }
  return out;
}

// ---- Friedman and Nemenyi ------------------------------------------------------------------------------------------

// friedman_result -- the Friedman test over several models on several datasets, with the average ranks.
struct friedman_result {
  double statistic = 0.0;           // Friedman's chi-squared, with the correction for ties (scipy's)
  double p_value = 1.0;             // from chi-squared with (models - 1) degrees of freedom
  std::vector<double> mean_ranks;   // per model: its rank on each dataset (1 = best, ties averaged), averaged
};

// friedman_test(scores) -- Friedman's test that several models perform alike over several datasets (Demsar 2006),
// from scores[d][m] = the score of model m on dataset d (greater is better), as scipy.stats.friedmanchisquare on
// the models' columns. scipy wants at least 3 models; the statistic is defined for 2 and is given for 2 as well.
inline friedman_result friedman_test(const std::vector<std::vector<double>>& scores) {
  constexpr std::string_view test = "friedman_test";
  if (scores.size() < 2)
    throw invalid_input("there " + std::string(scores.size() == 1 ? "is 1 dataset" : "are no datasets") +
                            "; expected scores on at least 2 datasets to compare models",
                        test);
  const std::size_t k = scores[0].size();
  if (k < 2)
    throw invalid_input("there " + std::string(k == 1 ? "is 1 model" : "are no models") +
                            "; expected scores of at least 2 models to compare",
                        test);
  friedman_result out;
  out.mean_ranks.assign(k, 0.0);
  double ties = 0.0;
  std::vector<double> negated(k);
  for (std::size_t d = 0; d < scores.size(); ++d) {
    if (scores[d].size() != k)
      throw invalid_input("dataset " + std::to_string(d) + " has scores of " + std::to_string(scores[d].size()) +
                              " models but dataset 0 of " + std::to_string(k) +
                              "; expected the same models on every dataset",
                          test);
    detail::check_scores(test, "the scores of dataset " + std::to_string(d), scores[d], k);
    for (std::size_t m = 0; m < k; ++m) negated[m] = -scores[d][m];  // rank 1 = the highest score
    const std::vector<double> ranks = detail::average_ranks(negated);
    for (std::size_t m = 0; m < k; ++m) out.mean_ranks[m] += ranks[m];
    ties += detail::tie_term(ranks);
  }
  const auto n = static_cast<double>(scores.size());
  const auto kk = static_cast<double>(k);
  const double c = 1.0 - ties / (kk * (kk * kk - 1.0) * n);
  if (c <= 0.0)
    throw invalid_input("every model has the same score on every dataset, so the Friedman statistic is 0 / 0 (scipy "
                        "gives NaN); expected scores that differ on some dataset",
                        test);
  double sum_squares = 0.0;
  for (double& r : out.mean_ranks) {
    sum_squares += r * r;
    r /= n;
  }
  out.statistic = std::max(0.0, (12.0 / (kk * n * (kk + 1.0)) * sum_squares - 3.0 * n * (kk + 1.0)) / c);
  out.p_value = special::chi2_sf(out.statistic, kk - 1.0);
  return out;
}

namespace detail {

// P(range of k independent standard normals <= q): k * integral phi(z) (Phi(z) - Phi(z - q))^(k - 1) dz, the
// studentized range distribution with infinite degrees of freedom (the limit scipy.stats.studentized_range takes
// for df = inf), by composite Gauss-Legendre quadrature on [-9, 9] (the integrand is below 1e-17 outside).
inline double range_cdf(double q, int k) {
  static constexpr double nodes[] = {0.1488743389816312, 0.4333953941292472, 0.6794095682990244,
                                     0.8650633666889845, 0.9739065285171717};
  static constexpr double weights[] = {0.2955242247147529, 0.2692667193099963, 0.2190863625159820,
                                       0.1494513491505806, 0.0666713443086881};
  const auto integrand = [&](double z) {
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * 3.14159265358979323846);
    const double width = 0.5 * (std::erfc(-z / std::sqrt(2.0)) - std::erfc(-(z - q) / std::sqrt(2.0)));
    return phi * std::pow(width, k - 1);
  };
  constexpr int pieces = 400;
  constexpr double lo = -9.0;
  constexpr double hi = 9.0;
  constexpr double h = (hi - lo) / pieces;
  double sum = 0.0;
  for (int p = 0; p < pieces; ++p) {
    const double mid = lo + (p + 0.5) * h;
    for (int i = 0; i < 5; ++i)
      sum += weights[i] * (integrand(mid - 0.5 * h * nodes[i]) + integrand(mid + 0.5 * h * nodes[i]));
  }
  return k * sum * 0.5 * h;
}

}  // namespace detail

// studentized_range_quantile(p, k) -- the p-quantile of the range of k standard normals (the studentized range
// with infinite degrees of freedom, scipy.stats.studentized_range.ppf(p, k, np.inf)), by bisection on its defining
// integral. Divided by sqrt(2) it is the Nemenyi test's q_alpha of Demsar (2006), Table 5 (e.g. 2.343 for 3
// models at alpha = 0.05).
inline double studentized_range_quantile(double p, int k) {
  if (!(p > 0.0 && p < 1.0) || k < 2)
    throw invalid_parameter("p = " + format_double(p) + ", k = " + std::to_string(k) +
                                "; expected 0 < p < 1 and k >= 2",
                            "studentized_range_quantile");
  double lo = 0.0;
  double hi = 20.0;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (detail::range_cdf(mid, k) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// nemenyi_critical_difference(k, n_datasets, alpha) -- the difference of average ranks beyond which two of k
// models differ at level alpha by the Nemenyi test over n_datasets datasets: q_alpha sqrt(k (k + 1) / (6 N))
// (Demsar 2006, section 3.2.2).
inline double nemenyi_critical_difference(index k, index n_datasets, double alpha = 0.05) {
  if (k < 2 || n_datasets < 1 || !(alpha > 0.0 && alpha < 1.0))
    throw invalid_parameter("k = " + std::to_string(k) + ", n_datasets = " + std::to_string(n_datasets) +
                                ", alpha = " + format_double(alpha) +
                                "; expected k >= 2 models, n_datasets >= 1 and 0 < alpha < 1",
                            "nemenyi_critical_difference");
  const double q = studentized_range_quantile(1.0 - alpha, static_cast<int>(k)) / std::sqrt(2.0);
  const auto kk = static_cast<double>(k);
  return q * std::sqrt(kk * (kk + 1.0) / (6.0 * static_cast<double>(n_datasets)));
}

}  // namespace mlpipe
