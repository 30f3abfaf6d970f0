#pragma once

#include <algorithm>    // std::sort, std::unique, std::binary_search, std::max
#include <cmath>        // std::sqrt, std::isinf, std::abs, std::trunc
#include <concepts>     // std::derived_from
#include <cstdio>       // std::snprintf
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/metrics.hpp"

// Classification metrics of predicted labels, as scikit-learn 1.2 computes them: precision, recall, F-beta and
// Jaccard with every averaging, balanced accuracy, Matthews' correlation, Cohen's kappa, the confusion matrix and
// the classification report. Labels are whole numbers; sample weights are optional everywhere. precision, recall,
// fbeta, f1 and jaccard also take multilabel targets: indicator matrices with one 0/1 column per label.

namespace mlpipe {

// averaging -- how per-class scores combine into one (scikit-learn's average=).
enum class averaging {
  binary,    // the score of pos_label alone; needs at most two labels in y_true and y_pred
  micro,     // one score from the counts summed over the labels
  macro,     // the unweighted mean of the per-label scores
  weighted,  // the mean of the per-label scores weighted by each label's number of true rows
  samples,   // multilabel targets only: the mean over rows of each row's score across its labels
};

// label_metric_options -- settings of precision, recall, f1, fbeta and jaccard (scikit-learn's keyword arguments).
struct label_metric_options {
  averaging average = averaging::binary;  // how the per-label scores combine
  double pos_label = 1.0;                 // the positive label when average is binary
  std::vector<double> labels{};           // the labels to score (not binary); empty: every label of y_true and y_pred
                                          // (multilabel: column numbers, 0 to columns - 1; empty: every column)
  double zero_division = 0.0;             // the value of an undefined ratio (0/0): 0 or 1 (scikit-learn's "warn" is 0)
  vector sample_weight{};                 // one weight >= 0 per row; empty: all 1
};

// per_label_scores -- precision, recall, F-beta and support of each label (scikit-learn's
// precision_recall_fscore_support with average=None).
struct per_label_scores {
  std::vector<double> labels;     // the labels, in the order of the other fields
  std::vector<double> precision;  // per label
  std::vector<double> recall;     // per label
  std::vector<double> f_score;    // per label
  std::vector<double> support;    // true rows (summed weights) per label
};

namespace detail {

// Sample weights: none, or one finite weight >= 0 per row with a positive sum.
inline void check_sample_weight(std::string_view metric, const vector_view& w, index n) {
  if (w.size() == 0) return;
  if (w.size() != n)
    throw invalid_input("sample_weight has " + count_of(w.size(), "value") + " but y_true has " + std::to_string(n) +
                            "; expected one weight per row",
                        metric);
  for (index i = 0; i < w.size(); ++i)
    if (!std::isfinite(w(i)) || w(i) < 0.0)
      throw invalid_input("sample_weight has " + format_double(w(i)) + " at row ", i,
                          "; expected finite weights >= 0", metric);
  if (w.sum() <= 0.0) throw invalid_input("sample_weight sums to 0; expected some positive weight", metric);
}

inline double weight_of(const vector_view& w, index i) { return w.size() == 0 ? 1.0 : w(i); }

// np.average(values, weights=w): the weighted mean, or the plain mean without weights.
inline double average_of(const std::vector<double>& values, const std::vector<double>& weights = {}) {
  if (weights.empty()) {
    double sum = 0.0;
    for (const double v : values) sum += v;
    return sum / static_cast<double>(values.size());
  }
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    num += values[i] * weights[i];
    den += weights[i];
  }
  return num / den;
}

// y_true and y_pred: same non-zero length, finite whole-number labels; sample_weight: none or one per row.
inline void check_label_pair(std::string_view metric, const vector_view& y_true, const vector_view& y_pred,
                             const vector_view& sample_weight) {
  check_pair(metric, y_true, y_pred, "y_pred");
  check_whole_labels(metric, "y_true", y_true);
  check_whole_labels(metric, "y_pred", y_pred);
  check_sample_weight(metric, sample_weight, y_true.size());
}

// Per-label counts (summed weights): true positives, predicted and true rows.
struct label_counts {
  std::vector<double> labels, tp, pred, truth;
};

inline label_counts count_labels(const vector_view& y_true, const vector_view& y_pred,
                                 const std::vector<double>& labels, const vector_view& w) {
  label_counts c{labels, std::vector<double>(labels.size(), 0.0), std::vector<double>(labels.size(), 0.0),
                 std::vector<double>(labels.size(), 0.0)};
  const auto position = [&](double v) -> std::ptrdiff_t {
    for (std::size_t k = 0; k < labels.size(); ++k)
      if (labels[k] == v) return static_cast<std::ptrdiff_t>(k);
    return -1;
  };
  for (index i = 0; i < y_true.size(); ++i) {
    const double wi = weight_of(w, i);
    const auto t = position(y_true(i));
    const auto p = position(y_pred(i));
    if (t >= 0) c.truth[static_cast<std::size_t>(t)] += wi;
    if (p >= 0) c.pred[static_cast<std::size_t>(p)] += wi;
    if (t >= 0 && y_true(i) == y_pred(i)) c.tp[static_cast<std::size_t>(t)] += wi;
  }
  return c;
}

inline void check_zero_division(std::string_view metric, double zero_division) {
  if (zero_division != 0.0 && zero_division != 1.0)
    throw invalid_parameter("zero_division = " + format_double(zero_division) + " is not 0 or 1; expected 0 or 1",
                            metric);
}

// The labels scored under options (scikit-learn's _check_set_wise_labels): [pos_label] for binary averaging.
inline std::vector<double> scored_labels(std::string_view metric, const vector_view& y_true, const vector_view& y_pred,
                                         const label_metric_options& options) {
  check_zero_division(metric, options.zero_division);
  if (options.average == averaging::samples)
    throw invalid_parameter("average is samples, which needs a multilabel target; expected binary, micro, macro or "
                            "weighted for vectors of labels, or indicator matrices (one 0/1 column per label) for "
                            "y_true and y_pred",
                            metric);
  const std::vector<double> present = distinct_labels(y_true, y_pred);
  if (options.average == averaging::binary) {
    if (present.size() > 2)
      throw invalid_parameter("y_true and y_pred have " + std::to_string(present.size()) + " labels " +
                                  format_labels(present) +
                                  " but average is binary; expected 2 labels, or .average = mlpipe::averaging::micro, "
                                  "macro or weighted",
                              metric);
    if (!std::isfinite(options.pos_label) ||
        (present.size() == 2 && options.pos_label != present[0] && options.pos_label != present[1]))
      throw invalid_parameter("pos_label = " + format_double(options.pos_label) + " is not one of the labels " +
                                  format_labels(present) + "; expected one of them",
                              metric);
    return {options.pos_label};
  }
  if (options.labels.empty()) return present;
  for (const double l : options.labels)
    if (!std::isfinite(l))
      throw invalid_parameter("labels has " + format_double(l) + "; expected finite labels", metric);
  return options.labels;
}

// numerator / denominator, or zero_division where the denominator is 0 (scikit-learn's _prf_divide).
inline std::vector<double> divide_or(const std::vector<double>& num, const std::vector<double>& den, double zero) {
  std::vector<double> out(num.size());
  for (std::size_t i = 0; i < num.size(); ++i) out[i] = den[i] == 0.0 ? zero : num[i] / den[i];
  return out;
}

// Precision, recall and F-beta of the options' labels (summed for micro), then averaged: {precision, recall, f}.
struct prf {
  double precision, recall, f_score;
};

inline per_label_scores per_label(const label_counts& c, double beta, double zero_division) {
  per_label_scores s;
  s.labels = c.labels;
  s.precision = divide_or(c.tp, c.pred, zero_division);
  s.recall = divide_or(c.tp, c.truth, zero_division);
  s.f_score.resize(c.tp.size());
  const double beta2 = beta * beta;
  for (std::size_t i = 0; i < c.tp.size(); ++i) {
    if (std::isinf(beta)) {
      s.f_score[i] = s.recall[i];
    } else {
      double denom = beta2 * s.precision[i] + s.recall[i];
      if (denom == 0.0) denom = 1.0;
      s.f_score[i] = (1.0 + beta2) * s.precision[i] * s.recall[i] / denom;
    }
  }
  s.support = c.truth;
  return s;
}

// The averaged precision, recall and F-beta of per-label (or, for samples, per-row) counts, as scikit-learn's
// precision_recall_fscore_support with an average.
inline prf averaged_prf(label_counts c, double beta, const label_metric_options& options) {
  if (options.average == averaging::micro) {
    const auto total = [](const std::vector<double>& v) {
      double s = 0.0;
      for (const double x : v) s += x;
      return std::vector<double>{s};
    };
    c = {{0.0}, total(c.tp), total(c.pred), total(c.truth)};
  }
  const per_label_scores s = per_label(c, beta, options.zero_division);
  if (options.average == averaging::weighted) {
    double true_total = 0.0;
    double pred_total = 0.0;
    for (std::size_t i = 0; i < c.truth.size(); ++i) {
      true_total += c.truth[i];
      pred_total += c.pred[i];
    }
    if (true_total == 0.0) {
      const double z = options.zero_division;
      return pred_total == 0.0 ? prf{z, z, z} : prf{0.0, z, 0.0};
    }
    return {average_of(s.precision, c.truth), average_of(s.recall, c.truth), average_of(s.f_score, c.truth)};
  }
  std::vector<double> weights;
  if (options.average == averaging::samples && options.sample_weight.size() != 0)
    weights.assign(options.sample_weight.data(), options.sample_weight.data() + options.sample_weight.size());
  return {average_of(s.precision, weights), average_of(s.recall, weights), average_of(s.f_score, weights)};
}

inline void check_beta(std::string_view metric, double beta) {
  if (!(beta >= 0.0))
    throw invalid_parameter("beta = " + format_double(beta) + " is out of range; expected beta >= 0", metric);
}

inline prf precision_recall_f(std::string_view metric, const vector_view& y_true, const vector_view& y_pred,
                              double beta, const label_metric_options& options) {
  check_label_pair(metric, y_true, y_pred, options.sample_weight);
  check_beta(metric, beta);
  const std::vector<double> labels = scored_labels(metric, y_true, y_pred, options);
  return averaged_prf(count_labels(y_true, y_pred, labels, options.sample_weight), beta, options);
}

// ---- multilabel targets: indicator matrices ----

// y_true and y_pred: indicator matrices of the same shape, with a row per sample and at least 2 columns (labels),
// holding only 0 and 1; sample_weight: none or one per row.
inline void check_indicator_pair(std::string_view metric, const matrix_view& y_true, const matrix_view& y_pred,
                                 const vector_view& sample_weight) {
  if (y_true.rows() != y_pred.rows() || y_true.cols() != y_pred.cols())
    throw invalid_input("y_pred is " + std::to_string(y_pred.rows()) + " x " + std::to_string(y_pred.cols()) +
                            " but y_true is " + std::to_string(y_true.rows()) + " x " + std::to_string(y_true.cols()) +
                            "; expected indicator matrices of the same shape",
                        metric);
  if (y_true.rows() == 0) throw invalid_input("y_true has no rows; expected at least one", metric);
  if (y_true.cols() < 2)
    throw invalid_input("y_true has 1 column; expected an indicator matrix with one column per label (at least 2), "
                        "or vectors of labels",
                        metric);
  const auto check_values = [&](std::string_view name, const matrix_view& m) {
    for (index j = 0; j < m.cols(); ++j)
      for (index i = 0; i < m.rows(); ++i)
        if (m(i, j) != 0.0 && m(i, j) != 1.0)
          throw invalid_input(std::string(name) + " has " + format_double(m(i, j)) + " at row ", i,
                              ", column " + std::to_string(j) +
                                  "; expected an indicator matrix of 0 and 1 (one column per label)",
                              metric);
  };
  check_values("y_true", y_true);
  check_values("y_pred", y_pred);
  check_sample_weight(metric, sample_weight, y_true.rows());
}

// The columns scored: options.labels as column numbers, or every column.
inline std::vector<index> indicator_columns(std::string_view metric, index n_columns,
                                            const label_metric_options& options) {
  check_zero_division(metric, options.zero_division);
  if (options.average == averaging::binary)
    throw invalid_parameter("average is binary but the target is multilabel (an indicator matrix of " +
                                std::to_string(n_columns) +
                                " columns); expected .average = mlpipe::averaging::micro, macro, weighted or samples",
                            metric);
  std::vector<index> columns;
  if (options.labels.empty()) {
    for (index j = 0; j < n_columns; ++j) columns.push_back(j);
    return columns;
  }
  for (const double l : options.labels) {
    if (!(std::trunc(l) == l && l >= 0.0 && l < static_cast<double>(n_columns)))
      throw invalid_parameter("labels has " + format_double(l) + "; expected column numbers from 0 to " +
                                  std::to_string(n_columns - 1) + " for a multilabel target",
                              metric);
    columns.push_back(static_cast<index>(l));
  }
  return columns;
}

// scikit-learn's multilabel_confusion_matrix sums: per column (true positives, predicted, true), weighted by row;
// with samplewise, per row over the columns, times the row's weight.
inline label_counts count_indicator(const matrix_view& y_true, const matrix_view& y_pred,
                                    const std::vector<index>& columns, const vector_view& w, bool samplewise) {
  const std::size_t n = samplewise ? static_cast<std::size_t>(y_true.rows()) : columns.size();
  label_counts c{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0),
                 std::vector<double>(n, 0.0)};
  for (std::size_t k = 0; k < columns.size(); ++k)
    for (index i = 0; i < y_true.rows(); ++i) {
      const double t = y_true(i, columns[k]);
      const double p = y_pred(i, columns[k]);
      const std::size_t at = samplewise ? static_cast<std::size_t>(i) : k;
      const double wi = samplewise ? 1.0 : weight_of(w, i);
      c.truth[at] += t * wi;
      c.pred[at] += p * wi;
      c.tp[at] += t * p * wi;
    }
  if (samplewise && w.size() != 0)
    for (std::size_t i = 0; i < n; ++i) {
      const double wi = w(static_cast<index>(i));
      c.truth[i] *= wi;
      c.pred[i] *= wi;
      c.tp[i] *= wi;
    }
  return c;
}

inline label_counts indicator_counts(std::string_view metric, const matrix_view& y_true, const matrix_view& y_pred,
                                     const label_metric_options& options) {
  check_indicator_pair(metric, y_true, y_pred, options.sample_weight);
  const std::vector<index> columns = indicator_columns(metric, y_true.cols(), options);
  return count_indicator(y_true, y_pred, columns, options.sample_weight, options.average == averaging::samples);
}

inline prf multilabel_prf(std::string_view metric, const matrix_view& y_true, const matrix_view& y_pred, double beta,
                          const label_metric_options& options) {
  check_beta(metric, beta);
  return averaged_prf(indicator_counts(metric, y_true, y_pred, options), beta, options);
}

// tp / (tp + fp + fn) of per-label (per-row for samples) counts, averaged as scikit-learn's jaccard_score: weighted
// falls back to the plain mean when no label is true.
inline double averaged_jaccard(const label_counts& c, const label_metric_options& options) {
  std::vector<double> num = c.tp;
  std::vector<double> den(c.tp.size());
  for (std::size_t i = 0; i < den.size(); ++i) den[i] = c.pred[i] + c.truth[i] - c.tp[i];
  if (options.average == averaging::micro) {
    double n = 0.0;
    double d = 0.0;
    for (std::size_t i = 0; i < den.size(); ++i) {
      n += num[i];
      d += den[i];
    }
    num = {n};
    den = {d};
  }
  const std::vector<double> scores = divide_or(num, den, options.zero_division);
  if (options.average == averaging::weighted) {
    bool any = false;
    for (const double t : c.truth) any = any || t != 0.0;
    if (any) return average_of(scores, c.truth);
  }
  if (options.average == averaging::samples && options.sample_weight.size() != 0)
    return average_of(scores, std::vector<double>(options.sample_weight.data(),
                                                  options.sample_weight.data() + options.sample_weight.size()));
  return average_of(scores);
}

// Eigen expressions with more than one column at compile time: the multilabel overloads take them, vectors go to
// the single-label ones.
template <class T>
concept indicator_expression = std::derived_from<T, Eigen::MatrixBase<T>> && T::ColsAtCompileTime != 1;

}  // namespace detail

// precision(y_true, y_pred, {.average, .pos_label, .labels, .zero_division, .sample_weight}) -- the share of rows
// predicted as a label that have it, tp / (tp + fp) (scikit-learn's precision_score).
inline double precision(const vector_view& y_true, const vector_view& y_pred, const label_metric_options& options = {}) {
  return detail::precision_recall_f("precision", y_true, y_pred, 1.0, options).precision;
}

// recall(y_true, y_pred, {...}) -- the share of a label's rows predicted as it, tp / (tp + fn) (recall_score).
inline double recall(const vector_view& y_true, const vector_view& y_pred, const label_metric_options& options = {}) {
  return detail::precision_recall_f("recall", y_true, y_pred, 1.0, options).recall;
}

// fbeta(y_true, y_pred, beta, {...}) -- the weighted harmonic mean of precision and recall, recall counting beta
// times as much (fbeta_score); beta >= 0, infinity gives recall.
inline double fbeta(const vector_view& y_true, const vector_view& y_pred, double beta,
                    const label_metric_options& options = {}) {
  return detail::precision_recall_f("fbeta", y_true, y_pred, beta, options).f_score;
}

// f1(y_true, y_pred, {.average = mlpipe::averaging::weighted, ...}) -- F1 with scikit-learn's f1_score settings.
inline double f1(const vector_view& y_true, const vector_view& y_pred, const label_metric_options& options) {
  return detail::precision_recall_f("f1", y_true, y_pred, 1.0, options).f_score;
}

// precision(Y_true, Y_pred, {.average = mlpipe::averaging::samples, ...}) -- precision of a multilabel target:
// indicator matrices with one 0/1 column per label (scikit-learn's multilabel-indicator format); average is micro,
// macro, weighted or samples, .labels picks columns by number.
template <class T, class P>
  requires detail::indicator_expression<T> && detail::indicator_expression<P>
double precision(const Eigen::MatrixBase<T>& y_true, const Eigen::MatrixBase<P>& y_pred,
                 const label_metric_options& options) {
  return detail::multilabel_prf("precision", y_true, y_pred, 1.0, options).precision;
}

// recall(Y_true, Y_pred, {.average, ...}) -- recall of a multilabel target (indicator matrices).
template <class T, class P>
  requires detail::indicator_expression<T> && detail::indicator_expression<P>
double recall(const Eigen::MatrixBase<T>& y_true, const Eigen::MatrixBase<P>& y_pred,
              const label_metric_options& options) {
  return detail::multilabel_prf("recall", y_true, y_pred, 1.0, options).recall;
}

// fbeta(Y_true, Y_pred, beta, {.average, ...}) -- F-beta of a multilabel target (indicator matrices).
template <class T, class P>
  requires detail::indicator_expression<T> && detail::indicator_expression<P>
double fbeta(const Eigen::MatrixBase<T>& y_true, const Eigen::MatrixBase<P>& y_pred, double beta,
             const label_metric_options& options) {
  return detail::multilabel_prf("fbeta", y_true, y_pred, beta, options).f_score;
}

// f1(Y_true, Y_pred, {.average, ...}) -- F1 of a multilabel target (indicator matrices).
template <class T, class P>
  requires detail::indicator_expression<T> && detail::indicator_expression<P>
double f1(const Eigen::MatrixBase<T>& y_true, const Eigen::MatrixBase<P>& y_pred, const label_metric_options& options) {
  return detail::multilabel_prf("f1", y_true, y_pred, 1.0, options).f_score;
}

// precision_recall_fscore_support(y_true, y_pred, beta, {.labels, .zero_division, .sample_weight}) -- each label's
// precision, recall, F-beta and support (average=None); .average and .pos_label are not read.
inline per_label_scores precision_recall_fscore_support(const vector_view& y_true, const vector_view& y_pred,
                                                        double beta = 1.0, label_metric_options options = {}) {
  constexpr std::string_view name = "precision_recall_fscore_support";
  detail::check_label_pair(name, y_true, y_pred, options.sample_weight);
  detail::check_beta(name, beta);
  options.average = averaging::macro;
  const std::vector<double> labels = detail::scored_labels(name, y_true, y_pred, options);
  return detail::per_label(detail::count_labels(y_true, y_pred, labels, options.sample_weight), beta,
                           options.zero_division);
}

// jaccard(y_true, y_pred, {...}) -- tp / (tp + fp + fn), the intersection over union of predicted and true rows of
// a label (scikit-learn's jaccard_score); weighted averaging falls back to the plain mean when no label is true.
inline double jaccard(const vector_view& y_true, const vector_view& y_pred, const label_metric_options& options = {}) {
  constexpr std::string_view name = "jaccard";
  detail::check_label_pair(name, y_true, y_pred, options.sample_weight);
  const std::vector<double> labels = detail::scored_labels(name, y_true, y_pred, options);
  return detail::averaged_jaccard(detail::count_labels(y_true, y_pred, labels, options.sample_weight), options);
}

// jaccard(Y_true, Y_pred, {.average, ...}) -- the Jaccard index of a multilabel target (indicator matrices); with
// samples, each row's intersection over union of its true and predicted labels, averaged over the rows.
template <class T, class P>
  requires detail::indicator_expression<T> && detail::indicator_expression<P>
double jaccard(const Eigen::MatrixBase<T>& y_true, const Eigen::MatrixBase<P>& y_pred,
               const label_metric_options& options) {
  return detail::averaged_jaccard(detail::indicator_counts("jaccard", y_true, y_pred, options), options);
}

// confusion_matrix_options -- settings of confusion_matrix.
struct confusion_matrix_options {
  std::vector<double> labels{};  // the rows' and columns' labels, in order; empty: every label of y_true and y_pred
  vector sample_weight{};        // one weight >= 0 per row; empty: all 1
  std::string normalize{};       // "": counts; "true": rows sum to 1; "pred": columns sum to 1; "all": all sums to 1
};

// confusion_matrix(y_true, y_pred, {...}) -- entry (i, j) counts the rows of true label i predicted as label j
// (scikit-learn's confusion_matrix); rows with a label outside .labels are left out.
inline matrix confusion_matrix(const vector_view& y_true, const vector_view& y_pred,
                               const confusion_matrix_options& options = {}) {
  constexpr std::string_view name = "confusion_matrix";
  detail::check_label_pair(name, y_true, y_pred, options.sample_weight);
  if (!options.normalize.empty() && options.normalize != "true" && options.normalize != "pred" &&
      options.normalize != "all")
    throw invalid_parameter("normalize = \"" + options.normalize +
                                "\" is not one of \"\", \"true\", \"pred\", \"all\"; expected one of them",
                            name);
  std::vector<double> labels = options.labels;
  if (labels.empty()) {
    labels = detail::distinct_labels(y_true, y_pred);
  } else {
    bool any = false;
    for (const double l : labels) any = any || (y_true.array() == l).any();
    if (!any)
      throw invalid_parameter("none of the labels " + detail::format_labels(labels) +
                                  " is in y_true; expected at least one of them",
                              name);
  }
  const auto k = static_cast<index>(labels.size());
  matrix cm = matrix::Zero(k, k);
  const auto position = [&](double v) -> index {
    for (index j = 0; j < k; ++j)
      if (labels[static_cast<std::size_t>(j)] == v) return j;
    return -1;
  };
  for (index i = 0; i < y_true.size(); ++i) {
    const index t = position(y_true(i));
    const index p = position(y_pred(i));
    if (t >= 0 && p >= 0) cm(t, p) += detail::weight_of(options.sample_weight, i);
  }
  if (options.normalize == "true") {
    for (index r = 0; r < k; ++r) {
      const double s = cm.row(r).sum();
      if (s != 0.0) cm.row(r) /= s; else cm.row(r).setZero();
    }
  } else if (options.normalize == "pred") {
    for (index c = 0; c < k; ++c) {
      const double s = cm.col(c).sum();
      if (s != 0.0) cm.col(c) /= s; else cm.col(c).setZero();
    }
  } else if (options.normalize == "all") {
    const double s = cm.sum();
    if (s != 0.0) cm /= s;
  }
  return cm;
}

// accuracy(y_true, y_pred, sample_weight) -- the (weighted) share of rows predicted right (accuracy_score).
inline double accuracy(const vector_view& y_true, const vector_view& y_pred, const vector_view& sample_weight) {
  constexpr std::string_view name = "accuracy";
  detail::check_label_pair(name, y_true, y_pred, sample_weight);
  if (sample_weight.size() == 0) return accuracy(y_true, y_pred);
  double hit = 0.0;
  for (index i = 0; i < y_true.size(); ++i) hit += y_true(i) == y_pred(i) ? sample_weight(i) : 0.0;
  return hit / sample_weight.sum();
}

// balanced_accuracy_options -- settings of balanced_accuracy.
struct balanced_accuracy_options {
  bool adjusted = false;   // rescale so that chance scores 0 and perfect 1
  vector sample_weight{};  // one weight >= 0 per row; empty: all 1
};

// balanced_accuracy(y_true, y_pred, {...}) -- the mean recall over the classes of y_true (balanced_accuracy_score);
// labels only predicted do not count.
inline double balanced_accuracy(const vector_view& y_true, const vector_view& y_pred,
                                const balanced_accuracy_options& options = {}) {
  constexpr std::string_view name = "balanced_accuracy";
  detail::check_label_pair(name, y_true, y_pred, options.sample_weight);
  const detail::label_counts c =
      detail::count_labels(y_true, y_pred, detail::distinct_labels(y_true, y_pred), options.sample_weight);
  std::vector<double> per_class;
  for (std::size_t i = 0; i < c.tp.size(); ++i)
    if (c.truth[i] != 0.0) per_class.push_back(c.tp[i] / c.truth[i]);
  double score = detail::average_of(per_class);
  if (options.adjusted) {
    const double chance = 1.0 / static_cast<double>(per_class.size());
    score -= chance;
    score /= 1.0 - chance;
  }
  return score;
}

// matthews_corrcoef(y_true, y_pred, sample_weight) -- the correlation between true and predicted labels, from -1 to 1
// (scikit-learn's multiclass matthews_corrcoef); 0 when either side has a single label.
inline double matthews_corrcoef(const vector_view& y_true, const vector_view& y_pred,
                                const vector_view& sample_weight = vector()) {
  constexpr std::string_view name = "matthews_corrcoef";
  detail::check_label_pair(name, y_true, y_pred, sample_weight);
  const matrix C = confusion_matrix(y_true, y_pred, {.sample_weight = sample_weight});
  const vector t_sum = C.rowwise().sum();
  const vector p_sum = C.colwise().sum().transpose();
  const double n_correct = C.diagonal().sum();
  const double n_samples = p_sum.sum();
  const double cov_ytyp = n_correct * n_samples - t_sum.dot(p_sum);
  const double cov_ypyp = n_samples * n_samples - p_sum.dot(p_sum);
  const double cov_ytyt = n_samples * n_samples - t_sum.dot(t_sum);
  if (cov_ypyp * cov_ytyt == 0.0) return 0.0;
  return cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp);
}

// kappa_weights -- how cohen_kappa weighs a disagreement between labels i and j (in label order).
enum class kappa_weights {
  none,       // every disagreement counts 1
  linear,     // |i - j|
  quadratic,  // (i - j)^2
};

// cohen_kappa_options -- settings of cohen_kappa.
struct cohen_kappa_options {
  std::vector<double> labels{};              // the labels to count, in order; empty: every label of both
  kappa_weights weights = kappa_weights::none;  // how disagreements weigh
  vector sample_weight{};                    // one weight >= 0 per row; empty: all 1
};

// cohen_kappa(y1, y2, {...}) -- agreement between two labelings beyond chance, 1 - observed / expected disagreement
// (scikit-learn's cohen_kappa_score).
inline double cohen_kappa(const vector_view& y1, const vector_view& y2, const cohen_kappa_options& options = {}) {
  constexpr std::string_view name = "cohen_kappa";
  detail::check_label_pair(name, y1, y2, options.sample_weight);
  const matrix C = confusion_matrix(y1, y2, {.labels = options.labels, .sample_weight = options.sample_weight});
  const index k = C.rows();
  const vector sum0 = C.colwise().sum().transpose();
  const vector sum1 = C.rowwise().sum();
  const matrix expected = sum0 * sum1.transpose() / sum0.sum();
  double observed_w = 0.0;
  double expected_w = 0.0;
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) {
      const double d = static_cast<double>(i - j);
      const double w = options.weights == kappa_weights::none ? (i == j ? 0.0 : 1.0)
                       : options.weights == kappa_weights::linear ? std::abs(d)
                                                                  : d * d;
      observed_w += w * C(i, j);
      expected_w += w * expected(i, j);
    }
  return 1.0 - observed_w / expected_w;
}

// classification_report_options -- settings of classification_report.
struct classification_report_options {
  std::vector<double> labels{};             // the labels to report; empty: every label of y_true and y_pred
  std::vector<std::string> target_names{};  // a name per label; empty: the labels themselves
  double zero_division = 0.0;               // the value of an undefined ratio: 0 or 1
  vector sample_weight{};                   // one weight >= 0 per row; empty: all 1
};

// classification_report -- precision, recall, F1 and support per label, with accuracy (or the micro average), macro
// and weighted averages (scikit-learn's classification_report): as data, and as scikit-learn's text with to_text().
struct classification_report {
  // One line of the report.
  struct line {
    std::string name;  // the label's name, or "accuracy", "micro avg", "macro avg", "weighted avg"
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    double support = 0.0;  // true rows (summed weights)
  };
  std::vector<line> labels;    // one per label
  std::vector<line> averages;  // accuracy (or micro avg), macro avg, weighted avg
  bool weighted = false;       // sample weights were given (support printed as a number, not a count)

  // The report of y_true and y_pred.
  classification_report(const vector_view& y_true, const vector_view& y_pred,
                        const classification_report_options& options = {});

  // The line named `name` ("3", "macro avg", "accuracy", ...).
  const line& operator[](std::string_view name) const;

  // scikit-learn's text report with `digits` decimals.
  std::string to_text(int digits = 2) const;
};

inline classification_report::classification_report(const vector_view& y_true, const vector_view& y_pred,
                                                     const classification_report_options& options) {
  constexpr std::string_view name = "classification_report";
  detail::check_label_pair(name, y_true, y_pred, options.sample_weight);
  detail::check_zero_division(name, options.zero_division);
  const std::vector<double> present = detail::distinct_labels(y_true, y_pred);
  const std::vector<double> labels = options.labels.empty() ? present : options.labels;
  if (!options.target_names.empty() && options.target_names.size() != labels.size())
    throw invalid_parameter("target_names has " + detail::count_of(static_cast<index>(options.target_names.size()),
                                                                   "name") +
                                " but there are " + std::to_string(labels.size()) + " labels " +
                                detail::format_labels(labels) + "; expected one name per label",
                            name);
  std::vector<double> sorted_given = labels;
  std::sort(sorted_given.begin(), sorted_given.end());
  sorted_given.erase(std::unique(sorted_given.begin(), sorted_given.end()), sorted_given.end());
  const bool micro_is_accuracy = options.labels.empty() || sorted_given == present;
  weighted = options.sample_weight.size() != 0;
  label_metric_options o{.average = averaging::macro, .labels = labels, .zero_division = options.zero_division,
                         .sample_weight = options.sample_weight};
  const per_label_scores s = precision_recall_fscore_support(y_true, y_pred, 1.0, o);
  double support = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    this->labels.push_back({options.target_names.empty() ? format_double(labels[i]) : options.target_names[i],
                            s.precision[i], s.recall[i], s.f_score[i], s.support[i]});
    support += s.support[i];
  }
  for (const averaging a : {averaging::micro, averaging::macro, averaging::weighted}) {
    o.average = a;
    const detail::prf v = detail::precision_recall_f(name, y_true, y_pred, 1.0, o);
    const std::string heading = a == averaging::micro ? (micro_is_accuracy ? "accuracy" : "micro avg")
                                : a == averaging::macro ? "macro avg"
                                                        : "weighted avg";
    averages.push_back({heading, v.precision, v.recall, v.f_score, support});
  }
}

inline const classification_report::line& classification_report::operator[](std::string_view name) const {
  for (const auto& l : labels)
    if (l.name == name) return l;
  for (const auto& l : averages)
    if (l.name == name) return l;
  std::string names;
  for (const auto* lines : {&labels, &averages})
    for (const auto& l : *lines) names += (names.empty() ? "'" : ", '") + l.name + "'";
  throw invalid_parameter("the report has no line '" + std::string(name) + "'; expected one of " + names,
                          "classification_report");
}

inline std::string classification_report::to_text(int digits) const {
  std::size_t width = std::string_view("weighted avg").size();
  for (const auto& l : labels) width = std::max(width, l.name.size());
  width = std::max(width, static_cast<std::size_t>(std::max(digits, 0)));
  const auto pad_left = [](const std::string& s, std::size_t w) {
    return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
  };
  const auto fixed = [&](double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return pad_left(buffer, 9);
  };
  const auto support_text = [&](double v) {
    if (!weighted) return pad_left(std::to_string(static_cast<long long>(v)), 9);
    std::string text = format_double(v);  // Python's repr of a float: "12.5", and "12.0" for a whole number
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return pad_left(text, 9);
  };
  std::string out = pad_left("", width) + " " + " " + pad_left("precision", 9) + " " + pad_left("recall", 9) + " " +
                    pad_left("f1-score", 9) + " " + pad_left("support", 9) + "\n\n";
  const auto row = [&](const line& l) {
    return pad_left(l.name, width) + " " + " " + fixed(l.precision) + " " + fixed(l.recall) + " " + fixed(l.f1) +
           " " + support_text(l.support) + "\n";
  };
  for (const auto& l : labels) out += row(l);
  out += "\n";
  for (const auto& l : averages) {
    if (l.name == "accuracy")
      out += pad_left(l.name, width) + " " + " " + pad_left("", 9) + " " + pad_left("", 9) + " " + fixed(l.f1) + " " +
             support_text(l.support) + "\n";
    else
      out += row(l);
  }
  return out;
}

}  // namespace mlpipe
