#pragma once

#include <algorithm>    // std::stable_sort, std::min
#include <cmath>        // std::log, std::abs, std::isfinite
#include <cstdint>
#include <limits>
#include <numeric>      // std::iota
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "mlpipe/validation/metrics_classification.hpp"

// Metrics of scores and probabilities, as scikit-learn 1.2 computes them: ROC AUC (binary, one-vs-rest and
// one-vs-one, macro or weighted), average precision, the ROC and precision-recall curves, top-k accuracy, the Brier
// score and the log loss, with optional sample weights.

namespace mlpipe {

// multiclass_roc -- how roc_auc compares more than two classes (scikit-learn's multi_class=).
enum class multiclass_roc {
  ovr,  // each class against the rest
  ovo,  // each pair of classes (Hand & Till), sample weights not allowed
};

// roc_auc_options -- settings of the multiclass roc_auc.
struct roc_auc_options {
  multiclass_roc multi_class = multiclass_roc::ovr;  // one-vs-rest or one-vs-one
  averaging average = averaging::macro;              // macro or weighted (by class prevalence)
  vector sample_weight{};                            // one weight >= 0 per row (ovr only); empty: all 1
};

// curve_options -- settings of roc_curve, precision_recall_curve and average_precision.
struct curve_options {
  double pos_label = std::numeric_limits<double>::quiet_NaN();  // the positive label; NaN: the larger of y_true's two
  vector sample_weight{};                                        // one weight >= 0 per row; empty: all 1
  bool drop_intermediate = true;  // roc_curve: drop thresholds that do not change the curve's shape
};

// roc_curve_points -- the ROC curve: false and true positive rates at decreasing thresholds (roc_curve's output).
struct roc_curve_points {
  std::vector<double> fpr;         // false positive rate at each threshold
  std::vector<double> tpr;         // true positive rate at each threshold
  std::vector<double> thresholds;  // decreasing; the first is the largest score + 1, as scikit-learn 1.2
};

// precision_recall_points -- the precision-recall curve (precision_recall_curve's output): precision and recall at
// increasing thresholds, ending at precision 1, recall 0 (without a threshold).
struct precision_recall_points {
  std::vector<double> precision;   // one more than thresholds
  std::vector<double> recall;      // one more than thresholds, decreasing
  std::vector<double> thresholds;  // increasing
};

namespace detail {

// The positive label of a binary curve: pos_label, or the larger of y_true's labels when it is NaN.
inline double curve_positive(std::string_view metric, const vector_view& y_true, double pos_label) {
  const std::vector<double> labels = distinct_labels(y_true);
  if (labels.size() > 2)
    throw invalid_input("y_true has " + std::to_string(labels.size()) + " classes " + format_labels(labels) +
                            "; expected a binary target",
                        metric);
  if (std::isnan(pos_label)) return labels.back();
  if (!std::isfinite(pos_label))
    throw invalid_parameter("pos_label = " + format_double(pos_label) + "; expected a finite label", metric);
  return pos_label;
}

// scikit-learn's _binary_clf_curve: at each distinct score, descending, the false and true positives (summed
// weights) at or above it.
struct clf_curve {
  std::vector<double> fps, tps, thresholds;
};

inline clf_curve binary_clf_curve(const vector_view& y_true, const vector_view& scores, double positive,
                                  const vector_view& w) {
  std::vector<index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), index{0});
  // np.argsort(kind="mergesort")[::-1]: descending, equal scores in reverse row order (irrelevant to the sums).
  std::stable_sort(order.begin(), order.end(), [&](index a, index b) { return scores(a) < scores(b); });
  std::reverse(order.begin(), order.end());
  clf_curve c;
  double tp = 0.0;
  double fp = 0.0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const index i = order[k];
    const double wi = weight_of(w, i);
    (y_true(i) == positive ? tp : fp) += wi;
    if (k + 1 == order.size() || scores(order[k + 1]) != scores(i)) {
      c.tps.push_back(tp);
      c.fps.push_back(fp);
      c.thresholds.push_back(scores(i));
    }
  }
  return c;
}

inline void check_scores(std::string_view metric, const vector_view& y_true, const vector_view& scores,
                         const vector_view& w) {
  check_pair(metric, y_true, scores, "scores");
  check_whole_labels(metric, "y_true", y_true);
  check_sample_weight(metric, w, y_true.size());
}

// The weighted Mann-Whitney AUC of scores for the rows whose y_true is `positive` (binary_auc with weights).
inline double weighted_binary_auc(std::string_view metric, const vector_view& scores, const vector_view& y_true,
                                  double positive, const vector_view& w) {
  if (w.size() == 0) {
    const bool has_positive = (y_true.array() == positive).any();
    const bool has_negative = (y_true.array() != positive).any();
    if (!has_positive || !has_negative)
      throw invalid_input("y_true has only one class (" + format_double(y_true(0)) +
                              "); expected both classes, as ROC AUC is not defined otherwise",
                          metric);
    return binary_auc(scores, y_true, positive);
  }
  const clf_curve c = binary_clf_curve(y_true, scores, positive, w);
  const double P = c.tps.back();
  const double N = c.fps.back();
  if (P <= 0.0 || N <= 0.0)
    throw invalid_input("y_true has no " + std::string(P <= 0.0 ? "positive" : "negative") +
                            " row of positive weight; expected both classes, as ROC AUC is not defined otherwise",
                        metric);
  double area = 0.0;  // trapezoids between successive (fps, tps), as np.trapz of the curve
  double prev_fp = 0.0;
  double prev_tp = 0.0;
  for (std::size_t k = 0; k < c.tps.size(); ++k) {
    area += (c.fps[k] - prev_fp) * (c.tps[k] + prev_tp) / 2.0;
    prev_fp = c.fps[k];
    prev_tp = c.tps[k];
  }
  return area / (P * N);
}

// Multiclass probabilities: every row sums to 1 (numpy's allclose), as scikit-learn requires for multiclass ROC AUC.
inline void check_rows_sum_to_one(std::string_view metric, const matrix_view& proba) {
  for (index i = 0; i < proba.rows(); ++i) {
    const double sum = proba.row(i).sum();
    if (!(std::abs(sum - 1.0) <= 1e-8 + 1e-5 * std::abs(sum)))
      throw invalid_input("proba's row ", i,
                          " sums to " + format_double(sum) + "; expected probabilities that sum to 1 over the classes",
                          metric);
  }
}

}  // namespace detail

// roc_auc(y_true, scores, sample_weight) -- the binary ROC AUC with sample weights (the positive class is the larger
// label).
inline double roc_auc(const vector_view& y_true, const vector_view& scores, const vector_view& sample_weight) {
  constexpr std::string_view name = "roc_auc";
  detail::check_scores(name, y_true, scores, sample_weight);
  if (sample_weight.size() == 0) return roc_auc(y_true, scores);
  if (detail::distinct_labels(y_true).size() == 1)
    throw invalid_input("y_true has only one class (" + format_double(y_true(0)) +
                            "); expected both classes, as ROC AUC is not defined otherwise",
                        name);
  const double positive = detail::curve_positive(name, y_true, std::numeric_limits<double>::quiet_NaN());
  return detail::weighted_binary_auc(name, scores, y_true, positive, sample_weight);
}

// roc_auc(y_true, proba, classes, {.multi_class, .average, .sample_weight}) -- multiclass ROC AUC from class
// probabilities (one column per class, classes ascending, rows summing to 1), as roc_auc_score(multi_class=...):
// ovr averages each class against the rest, ovo each pair of classes; weighted weighs by class (pair) prevalence.
// With 2 classes, the binary AUC of the second column.
inline double roc_auc(const vector_view& y_true, const matrix_view& proba, const vector_view& classes,
                      const roc_auc_options& options) {
  constexpr std::string_view name = "roc_auc";
  detail::check_proba_input(name, y_true, proba, classes);
  detail::check_sample_weight(name, options.sample_weight, y_true.size());
  if (options.average != averaging::macro && options.average != averaging::weighted)
    throw invalid_parameter("average must be macro or weighted for multiclass ROC AUC; expected "
                            ".average = mlpipe::averaging::macro or weighted",
                            name);
  if (classes.size() == 2) return roc_auc(y_true, proba.col(1), options.sample_weight);
  detail::check_rows_sum_to_one(name, proba);
  const bool weighted = options.average == averaging::weighted;
  std::vector<double> scores;
  std::vector<double> weights;
  if (options.multi_class == multiclass_roc::ovr) {
    for (index k = 0; k < classes.size(); ++k) {
      double prevalence = 0.0;
      for (index i = 0; i < y_true.size(); ++i)
        if (y_true(i) == classes(k)) prevalence += detail::weight_of(options.sample_weight, i);
      if (prevalence == 0.0)
        throw invalid_input("class " + format_double(classes(k)) +
                                " does not occur in y_true; expected every class, as its one-vs-rest ROC AUC is not "
                                "defined otherwise",
                            name);
      scores.push_back(detail::weighted_binary_auc(name, proba.col(k), y_true, classes(k), options.sample_weight));
      weights.push_back(prevalence);
    }
    return detail::average_of(scores, weighted ? weights : std::vector<double>{});
  }
  if (options.sample_weight.size() != 0)
    throw invalid_parameter("sample_weight is not supported for one-vs-one ROC AUC (as in scikit-learn); expected "
                            "no weights, or .multi_class = mlpipe::multiclass_roc::ovr",
                            name);
  for (index k = 0; k < classes.size(); ++k)
    if (!(y_true.array() == classes(k)).any())
      throw invalid_input("class " + format_double(classes(k)) +
                              " does not occur in y_true; expected every class, as its one-vs-one ROC AUCs are not "
                              "defined otherwise",
                          name);
  for (index a = 0; a < classes.size(); ++a)
    for (index b = a + 1; b < classes.size(); ++b) {
      std::vector<index> rows;
      for (index i = 0; i < y_true.size(); ++i)
        if (y_true(i) == classes(a) || y_true(i) == classes(b)) rows.push_back(i);
      const vector y_ab = y_true(rows);
      const vector score_a = proba(rows, a);
      const vector score_b = proba(rows, b);
      const double auc_a = detail::binary_auc(score_a, y_ab, classes(a));
      const double auc_b = detail::binary_auc(score_b, y_ab, classes(b));
      scores.push_back((auc_a + auc_b) / 2.0);
      weights.push_back(static_cast<double>(rows.size()) / static_cast<double>(y_true.size()));
    }
  return detail::average_of(scores, weighted ? weights : std::vector<double>{});
}

// roc_curve(y_true, scores, {.pos_label, .sample_weight, .drop_intermediate}) -- the binary ROC curve
// (scikit-learn 1.2's roc_curve).
inline roc_curve_points roc_curve(const vector_view& y_true, const vector_view& scores,
                                  const curve_options& options = {}) {
  constexpr std::string_view name = "roc_curve";
  detail::check_scores(name, y_true, scores, options.sample_weight);
  const double positive = detail::curve_positive(name, y_true, options.pos_label);
  detail::clf_curve c = detail::binary_clf_curve(y_true, scores, positive, options.sample_weight);
  if (options.drop_intermediate && c.fps.size() > 2) {
    detail::clf_curve kept;
    for (std::size_t k = 0; k < c.fps.size(); ++k) {
      const bool ends = k == 0 || k + 1 == c.fps.size();
      const bool bends = !ends && ((c.fps[k + 1] - c.fps[k]) - (c.fps[k] - c.fps[k - 1]) != 0.0 ||
                                   (c.tps[k + 1] - c.tps[k]) - (c.tps[k] - c.tps[k - 1]) != 0.0);
      if (ends || bends) {
        kept.fps.push_back(c.fps[k]);
        kept.tps.push_back(c.tps[k]);
        kept.thresholds.push_back(c.thresholds[k]);
      }
    }
    c = kept;
  }
  roc_curve_points out;
  const double P = c.tps.back();
  const double N = c.fps.back();
  out.fpr.push_back(0.0);
  out.tpr.push_back(0.0);
  out.thresholds.push_back(c.thresholds.front() + 1.0);
  for (std::size_t k = 0; k < c.fps.size(); ++k) {
    out.fpr.push_back(N > 0.0 ? c.fps[k] / N : std::numeric_limits<double>::quiet_NaN());
    out.tpr.push_back(P > 0.0 ? c.tps[k] / P : std::numeric_limits<double>::quiet_NaN());
    out.thresholds.push_back(c.thresholds[k]);
  }
  out.fpr.front() = N > 0.0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  out.tpr.front() = P > 0.0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  return out;
}

// precision_recall_curve(y_true, scores, {.pos_label, .sample_weight}) -- precision and recall at every threshold
// (scikit-learn 1.2's precision_recall_curve).
inline precision_recall_points precision_recall_curve(const vector_view& y_true, const vector_view& scores,
                                                      const curve_options& options = {}) {
  constexpr std::string_view name = "precision_recall_curve";
  detail::check_scores(name, y_true, scores, options.sample_weight);
  const double positive = detail::curve_positive(name, y_true, options.pos_label);
  const detail::clf_curve c = detail::binary_clf_curve(y_true, scores, positive, options.sample_weight);
  precision_recall_points out;
  const double P = c.tps.back();
  for (std::size_t k = c.tps.size(); k-- > 0;) {
    const double predicted = c.tps[k] + c.fps[k];
    out.precision.push_back(predicted != 0.0 ? c.tps[k] / predicted : 0.0);
    out.recall.push_back(P == 0.0 ? 1.0 : c.tps[k] / P);
    out.thresholds.push_back(c.thresholds[k]);
  }
  out.precision.push_back(1.0);
  out.recall.push_back(0.0);
  return out;
}

// average_precision(y_true, scores, {.pos_label, .sample_weight}) -- the area under the precision-recall curve as
// a step function, sum of (R_n - R_{n-1}) P_n (scikit-learn's average_precision_score, binary).
inline double average_precision(const vector_view& y_true, const vector_view& scores,
                                const curve_options& options = {}) {
  const precision_recall_points c = precision_recall_curve(y_true, scores, options);
  double sum = 0.0;
  for (std::size_t k = 0; k + 1 < c.recall.size(); ++k) sum += (c.recall[k + 1] - c.recall[k]) * c.precision[k];
  return -sum;
}

// average_precision_options -- settings of the multiclass and multilabel average_precision.
struct average_precision_options {
  averaging average = averaging::macro;  // micro (every cell of the indicator matrix one row), macro, weighted (by
                                         // each label's true rows) or samples (per row, over its labels)
  vector sample_weight{};                // one weight >= 0 per row; empty: all 1
};

namespace detail {

// scikit-learn's _average_binary_score of the binary average precision (positive label 1) over an indicator
// matrix's columns (or, for samples, its rows); a label or row of weight 0 scores 0.
inline double indicator_average_precision(const matrix_view& y_true, const matrix_view& scores,
                                          const average_precision_options& options) {
  const vector& w = options.sample_weight;
  const index n = y_true.rows();
  const index k = y_true.cols();
  if (options.average == averaging::micro) {  // y_true.ravel(), row by row, with the weights repeated
    vector t(n * k);
    vector s(n * k);
    vector rw(w.size() == 0 ? 0 : n * k);
    for (index i = 0; i < n; ++i)
      for (index j = 0; j < k; ++j) {
        t(i * k + j) = y_true(i, j);
        s(i * k + j) = scores(i, j);
        if (w.size() != 0) rw(i * k + j) = w(i);
      }
    return average_precision(t, s, {.pos_label = 1.0, .sample_weight = rw});
  }
  std::vector<double> result;
  std::vector<double> weights;
  if (options.average == averaging::samples) {
    for (index i = 0; i < n; ++i) {
      const vector t = y_true.row(i).transpose();
      const vector s = scores.row(i).transpose();
      result.push_back(average_precision(t, s, {.pos_label = 1.0}));
      if (w.size() != 0) weights.push_back(w(i));
    }
  } else {
    for (index j = 0; j < k; ++j) {
      result.push_back(average_precision(y_true.col(j), scores.col(j), {.pos_label = 1.0, .sample_weight = w}));
      if (options.average == averaging::weighted) weights.push_back(w.size() == 0 ? y_true.col(j).sum()
                                                                                 : y_true.col(j).dot(w));
    }
    if (options.average == averaging::weighted) {
      double total = 0.0;
      for (const double x : weights) total += x;
      if (std::abs(total) <= 1e-8) return 0.0;  // np.isclose(sum, 0)
    }
  }
  for (std::size_t c = 0; c < weights.size(); ++c)
    if (weights[c] == 0.0) result[c] = 0.0;
  return average_of(result, weights);
}

inline void check_ap_average(std::string_view metric, averaging average) {
  if (average == averaging::binary)
    throw invalid_parameter("average is binary for several labels; expected .average = mlpipe::averaging::micro, "
                            "macro, weighted or samples (for two classes, pass the positive class's scores as a "
                            "vector)",
                            metric);
}

}  // namespace detail

// average_precision(Y_true, scores, {.average, .sample_weight}) -- average precision of a multilabel target (an
// indicator matrix, one 0/1 column per label) from one column of scores per label, averaged micro, macro, weighted
// or samples (scikit-learn's average_precision_score with a multilabel-indicator y_true).
template <class T>
  requires detail::indicator_expression<T>
double average_precision(const Eigen::MatrixBase<T>& y_true, const matrix_view& scores,
                         const average_precision_options& options = {}) {
  constexpr std::string_view name = "average_precision";
  detail::check_ap_average(name, options.average);
  const matrix_view truth = y_true;
  if (scores.rows() != truth.rows() || scores.cols() != truth.cols())
    throw invalid_input("scores is " + std::to_string(scores.rows()) + " x " + std::to_string(scores.cols()) +
                            " but y_true is " + std::to_string(truth.rows()) + " x " + std::to_string(truth.cols()) +
                            "; expected one score per cell of the indicator matrix",
                        name);
  detail::check_indicator_pair(name, truth, truth, options.sample_weight);
  if (!scores.allFinite())
    for (index j = 0; j < scores.cols(); ++j)
      for (index i = 0; i < scores.rows(); ++i)
        if (!std::isfinite(scores(i, j)))
          throw invalid_input("scores has " + format_double(scores(i, j)) + " at row ", i,
                              ", column " + std::to_string(j) + "; expected finite scores", name);
  return detail::indicator_average_precision(truth, scores, options);
}

// average_precision(y_true, scores, classes, {.average, .sample_weight}) -- multiclass average precision, each
// class against the rest: scikit-learn 1.2's average_precision_score(label_binarize(y_true, classes=classes), scores,
// average=...), scores holding one column per class (classes ascending: probabilities or decision values). With two
// classes, the binary average precision of the second column (the average is not read).
inline double average_precision(const vector_view& y_true, const matrix_view& scores, const vector_view& classes,
                                const average_precision_options& options = {}) {
  constexpr std::string_view name = "average_precision";
  detail::check_proba_input(name, y_true, scores, classes);
  detail::check_sample_weight(name, options.sample_weight, y_true.size());
  if (classes.size() == 2)
    return average_precision(y_true, scores.col(1), {.pos_label = classes(1), .sample_weight = options.sample_weight});
  detail::check_ap_average(name, options.average);
  matrix indicator = matrix::Zero(y_true.size(), classes.size());  // label_binarize
  const double* first = classes.data();
  const double* last = classes.data() + classes.size();
  for (index i = 0; i < y_true.size(); ++i) indicator(i, std::lower_bound(first, last, y_true(i)) - first) = 1.0;
  return detail::indicator_average_precision(indicator, scores, options);
}

// top_k_options -- settings of top_k_accuracy.
struct top_k_options {
  index k = 2;             // how many of the highest-scored classes may hold the true one; >= 1
  vector sample_weight{};  // one weight >= 0 per row; empty: all 1
};

// top_k_accuracy(y_true, scores, classes, {.k, .sample_weight}) -- the share of rows whose true class is among the
// k highest-scored (top_k_accuracy_score); scores has one column per class (classes ascending), or for two classes
// one column of positive-class scores (thresholded at 0.5 for probabilities, 0 otherwise, when k = 1).
inline double top_k_accuracy(const vector_view& y_true, const matrix_view& scores, const vector_view& classes,
                             const top_k_options& options = {}) {
  constexpr std::string_view name = "top_k_accuracy";
  if (options.k < 1)
    throw invalid_parameter("k = " + std::to_string(options.k) + " is out of range; expected k >= 1", name);
  const bool binary_column = classes.size() == 2 && scores.cols() == 1;
  if (binary_column) {
    detail::check_pair(name, y_true, scores.col(0), "scores");
    detail::check_proba_input(name, y_true, matrix::Zero(scores.rows(), 2), classes);
  } else {
    detail::check_proba_input(name, y_true, scores, classes);
  }
  detail::check_sample_weight(name, options.sample_weight, y_true.size());
  std::vector<double> hits(static_cast<std::size_t>(y_true.size()), 0.0);
  const double* first = classes.data();
  const double* last = classes.data() + classes.size();
  if (binary_column) {
    const double threshold = scores.minCoeff() >= 0.0 && scores.maxCoeff() <= 1.0 ? 0.5 : 0.0;
    for (index i = 0; i < y_true.size(); ++i) {
      const double predicted = scores(i, 0) > threshold ? classes(1) : classes(0);
      hits[static_cast<std::size_t>(i)] = options.k >= 2 || predicted == y_true(i) ? 1.0 : 0.0;
    }
  } else {
    std::vector<index> order(static_cast<std::size_t>(scores.cols()));
    for (index i = 0; i < y_true.size(); ++i) {
      std::iota(order.begin(), order.end(), index{0});
      // np.argsort(kind="mergesort")[::-1]: descending, equal scores with the later column first.
      std::stable_sort(order.begin(), order.end(), [&](index a, index b) { return scores(i, a) < scores(i, b); });
      std::reverse(order.begin(), order.end());
      const auto truth = static_cast<index>(std::lower_bound(first, last, y_true(i)) - first);
      const auto top = std::min<std::size_t>(static_cast<std::size_t>(options.k), order.size());
      for (std::size_t j = 0; j < top; ++j)
        if (order[j] == truth) hits[static_cast<std::size_t>(i)] = 1.0;
    }
  }
  std::vector<double> w;
  if (options.sample_weight.size() != 0) w.assign(options.sample_weight.data(), options.sample_weight.data() + y_true.size());
  return detail::average_of(hits, w);
}

// brier_options -- settings of brier_score.
struct brier_options {
  double pos_label = std::numeric_limits<double>::quiet_NaN();  // the positive label; NaN: the larger of y_true's
  vector sample_weight{};                                        // one weight >= 0 per row; empty: all 1
};

// brier_score(y_true, proba_positive, {.pos_label, .sample_weight}) -- the mean squared difference between the
// positive class's probability and the outcome, 0 to 1, smaller is better (brier_score_loss; binary only).
inline double brier_score(const vector_view& y_true, const vector_view& proba_positive,
                          const brier_options& options = {}) {
  constexpr std::string_view name = "brier_score";
  detail::check_pair(name, y_true, proba_positive, "proba");
  detail::check_whole_labels(name, "y_true", y_true);
  detail::check_sample_weight(name, options.sample_weight, y_true.size());
  for (index i = 0; i < proba_positive.size(); ++i)
    if (proba_positive(i) < 0.0 || proba_positive(i) > 1.0)
      throw invalid_input("proba has " + format_double(proba_positive(i)) + " at row ", i,
                          "; expected probabilities in [0, 1]", name);
  const std::vector<double> labels = detail::distinct_labels(y_true);
  if (labels.size() > 2)
    throw invalid_input("y_true has " + std::to_string(labels.size()) + " classes " + detail::format_labels(labels) +
                            "; expected a binary target, as the Brier score is defined for two classes only",
                        name);
  const double positive = std::isnan(options.pos_label) ? labels.back() : options.pos_label;
  std::vector<double> losses(static_cast<std::size_t>(y_true.size()));
  for (index i = 0; i < y_true.size(); ++i) {
    const double d = (y_true(i) == positive ? 1.0 : 0.0) - proba_positive(i);
    losses[static_cast<std::size_t>(i)] = d * d;
  }
  std::vector<double> w;
  if (options.sample_weight.size() != 0) w.assign(options.sample_weight.data(), options.sample_weight.data() + y_true.size());
  return detail::average_of(losses, w);
}

// log_loss(y_true, proba, classes, sample_weight) -- the log loss with sample weights (the weighted mean).
inline double log_loss(const vector_view& y_true, const matrix_view& proba, const vector_view& classes,
                       const vector_view& sample_weight) {
  constexpr std::string_view name = "log_loss";
  detail::check_proba_input(name, y_true, proba, classes);
  detail::check_sample_weight(name, sample_weight, y_true.size());
  if (sample_weight.size() == 0) return log_loss(y_true, proba, classes);
  constexpr double eps = std::numeric_limits<double>::epsilon();
  const auto clip = [](double p) { return p < eps ? eps : (p > 1.0 - eps ? 1.0 - eps : p); };
  const double* first = classes.data();
  const double* last = classes.data() + classes.size();
  double total = 0.0;
  for (index i = 0; i < y_true.size(); ++i) {
    double row_sum = 0.0;
    for (index k = 0; k < proba.cols(); ++k) row_sum += clip(proba(i, k));
    const auto k = static_cast<index>(std::lower_bound(first, last, y_true(i)) - first);
    total -= sample_weight(i) * std::log(clip(proba(i, k)) / row_sum);
  }
  return total / sample_weight.sum();
}

}  // namespace mlpipe
