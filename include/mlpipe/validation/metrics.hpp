#pragma once

#include <algorithm>    // std::sort, std::unique, std::binary_search
#include <cmath>        // std::abs, std::isfinite, std::log, std::trunc
#include <cstddef>
#include <cstdint>      // std::int64_t
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"

// Metrics: plain functions of true values and predictions, computed as scikit-learn 1.2 computes them. Each checks
// its input (lengths, emptiness, NaN/infinity, labels) and throws mlpipe::invalid_input, prefixed with its name,
// rather than return a meaningless number. Classification metrics take class labels as whole numbers. The rest of
// scikit-learn's metrics, with sample weights: metrics_classification.hpp, metrics_ranking.hpp, metrics_regression.hpp.

namespace mlpipe {
namespace detail {

inline std::string count_of(index n, std::string_view thing) {
  return std::to_string(n) + " " + std::string(thing) + (n == 1 ? "" : "s");
}

// "[0, 1, 2]"
inline std::string format_labels(const std::vector<double>& labels) { return format_value(labels); }

inline void check_finite_values(std::string_view metric, std::string_view name, const vector_view& v) {
  if (v.allFinite()) return;
  for (index i = 0; i < v.size(); ++i)
    if (!std::isfinite(v(i)))
      throw invalid_input(std::string(name) + " has " + format_double(v(i)) + " at row ", i, "; expected finite values",
                          metric);
}

// y_true and a prediction of the same, non-zero length, both finite.
inline void check_pair(std::string_view metric, const vector_view& y_true, const vector_view& other,
                       std::string_view other_name) {
  if (other.size() != y_true.size())
    throw invalid_input(std::string(other_name) + " has " + count_of(other.size(), "value") + " but y_true has " +
                            std::to_string(y_true.size()) + "; expected one per true value",
                        metric);
  if (y_true.size() == 0) throw invalid_input("y_true is empty; expected at least one value", metric);
  check_finite_values(metric, "y_true", y_true);
  check_finite_values(metric, other_name, other);
}

inline void check_whole_labels(std::string_view metric, std::string_view name, const vector_view& v) {
  for (index i = 0; i < v.size(); ++i)
    if (std::trunc(v(i)) != v(i))
      throw invalid_input(std::string(name) + " has " + format_double(v(i)) + " at row ", i,
                          "; expected class labels (whole numbers)", metric);
}

// The distinct values of a and b together, ascending (scikit-learn's unique_labels).
inline std::vector<double> distinct_labels(const vector_view& a, const vector_view& b = vector()) {
  std::vector<double> out(a.data(), a.data() + a.size());
  out.insert(out.end(), b.data(), b.data() + b.size());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// classes: at least two, finite, strictly ascending (a fitted classifier's classes()); proba: one row per value of
// y_true and one column per class, finite; y_true: finite, each value one of the classes.
inline void check_proba_input(std::string_view metric, const vector_view& y_true, const matrix_view& proba,
                              const vector_view& classes) {
  if (classes.size() < 2)
    throw invalid_input("classes has " + count_of(classes.size(), "value") + "; expected at least 2 classes", metric);
  for (index k = 0; k < classes.size(); ++k) {
    if (!std::isfinite(classes(k)))
      throw invalid_input("classes has " + format_double(classes(k)) + " at position " + std::to_string(k) +
                              "; expected finite class labels",
                          metric);
    if (k > 0 && !(classes(k - 1) < classes(k)))
      throw invalid_input("classes has " + format_double(classes(k)) + " after " + format_double(classes(k - 1)) +
                              " at position " + std::to_string(k) +
                              "; expected strictly ascending classes, as a classifier's classes()",
                          metric);
  }
  if (proba.rows() != y_true.size())
    throw invalid_input("proba has " + count_of(proba.rows(), "row") + " but y_true has " +
                            count_of(y_true.size(), "value") + "; expected one row of probabilities per true value",
                        metric);
  if (proba.cols() != classes.size())
    throw invalid_input("proba has " + count_of(proba.cols(), "column") + " but there are " +
                            std::to_string(classes.size()) + " classes; expected one column per class",
                        metric);
  if (y_true.size() == 0) throw invalid_input("y_true is empty; expected at least one value", metric);
  check_finite_values(metric, "y_true", y_true);
  if (!proba.allFinite()) {
    for (index j = 0; j < proba.cols(); ++j)
      for (index i = 0; i < proba.rows(); ++i)
        if (!std::isfinite(proba(i, j)))
          throw invalid_input("proba has " + format_double(proba(i, j)) + " at row ", i,
                              ", column " + std::to_string(j) + "; expected finite probabilities", metric);
  }
  const double* first = classes.data();
  const double* last = classes.data() + classes.size();
  for (index i = 0; i < y_true.size(); ++i)
    if (!std::binary_search(first, last, y_true(i)))
      throw invalid_input("y_true has " + format_double(y_true(i)) + " at row ", i,
                          ", which is not one of the classes " + format_labels(std::vector<double>(first, last)),
                          metric);
}

// The area under the ROC curve of scores for the rows whose y_true is `positive`: the Mann-Whitney statistic, a tied
// positive/negative pair counting one half (the trapezoids of scikit-learn's roc_curve). Needs both kinds of row.
inline double binary_auc(const vector_view& scores, const vector_view& y_true, double positive) {
  const std::vector<index> order = sorted_order({scores.data(), static_cast<std::size_t>(scores.size())});
  const auto is_positive = [&](index i) { return y_true(i) == positive; };
  // twice_u counts each (positive, negative) pair with the positive scored higher twice and each tie once; exact
  // in integers, so the only rounding is the final division.
  std::int64_t twice_u = 0;
  std::int64_t negatives_below = 0;
  std::int64_t positives = 0;
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    std::int64_t pos = 0;
    std::int64_t neg = 0;
    while (end < order.size() && scores(order[end]) == scores(order[start])) {
      (is_positive(order[end]) ? pos : neg) += 1;
      ++end;
    }
    twice_u += pos * (2 * negatives_below + neg);
    negatives_below += neg;
    positives += pos;
    start = end;
  }
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives_below));
}

}  // namespace detail

// accuracy(y_true, y_pred) -- the fraction of rows whose predicted label equals the true one
// (scikit-learn's accuracy_score). Labels are whole numbers.
inline double accuracy(const vector_view& y_true, const vector_view& y_pred) {
  constexpr std::string_view name = "accuracy";
  detail::check_pair(name, y_true, y_pred, "y_pred");
  detail::check_whole_labels(name, "y_true", y_true);
  detail::check_whole_labels(name, "y_pred", y_pred);
  return static_cast<double>((y_true.array() == y_pred.array()).count()) / static_cast<double>(y_true.size());
}

// roc_auc(y_true, scores) -- the area under the ROC curve of a binary target (scikit-learn's roc_auc_score):
// the chance that a random positive row scores higher than a random negative one, ties counting one half. The
// positive class is the larger of y_true's two labels; scores are any values that grow with it (probabilities of
// the positive class, decision values). Throws when y_true has only one class, where the area is undefined.
inline double roc_auc(const vector_view& y_true, const vector_view& scores) {
  constexpr std::string_view name = "roc_auc";
  detail::check_pair(name, y_true, scores, "scores");
  detail::check_whole_labels(name, "y_true", y_true);
  const std::vector<double> labels = detail::distinct_labels(y_true);
  if (labels.size() == 1)
    throw invalid_input("y_true has only one class (" + format_double(labels[0]) +
                            "); expected both classes, as ROC AUC is not defined otherwise",
                        name);
  if (labels.size() > 2)
    throw invalid_input("y_true has " + std::to_string(labels.size()) + " classes " + detail::format_labels(labels) +
                            "; expected 2 (use roc_auc_ovr with probabilities for more classes)",
                        name);
  const double positive = labels[1];
  return detail::binary_auc(scores, y_true, positive);
}

// roc_auc_ovr(y_true, proba, classes) -- multiclass ROC AUC, one class against the rest, macro average
// (scikit-learn's roc_auc_score(multi_class="ovr", average="macro")): the mean over classes of the binary AUC of
// proba's column for that class. classes are ascending (a classifier's classes()), one per column of proba; every
// class must occur in y_true, and each row of proba must sum to 1 (as numpy's allclose). With 2 classes this is
// roc_auc(y_true, proba.col(1)), up to ties that rounding 1 - p creates.
inline double roc_auc_ovr(const vector_view& y_true, const matrix_view& proba, const vector_view& classes) {
  constexpr std::string_view name = "roc_auc_ovr";
  detail::check_proba_input(name, y_true, proba, classes);
  for (index k = 0; k < classes.size(); ++k)
    if (!(y_true.array() == classes(k)).any())
      throw invalid_input("class " + format_double(classes(k)) +
                              " does not occur in y_true; expected every class, as its one-vs-rest ROC AUC is not "
                              "defined otherwise",
                          name);
  for (index i = 0; i < proba.rows(); ++i) {
    const double sum = proba.row(i).sum();
    if (!(std::abs(sum - 1.0) <= 1e-8 + 1e-5 * std::abs(sum)))
      throw invalid_input("proba's row ", i,
                          " sums to " + format_double(sum) + "; expected probabilities that sum to 1 over the classes",
                          name);
  }
  double total = 0.0;
  for (index k = 0; k < classes.size(); ++k)
    total += detail::binary_auc(proba.col(k), y_true, classes(k));
  return total / static_cast<double>(classes.size());
}

// log_loss(y_true, proba, classes) -- the mean negative log-likelihood of the true classes (scikit-learn 1.2's
// log_loss with labels=classes): probabilities are clipped to [eps, 1 - eps] (eps = 2.2e-16, double's epsilon)
// and each row renormalized to sum 1, so a confident wrong answer costs -log(eps) = 36.04, not infinity.
inline double log_loss(const vector_view& y_true, const matrix_view& proba, const vector_view& classes) {
  constexpr std::string_view name = "log_loss";
  detail::check_proba_input(name, y_true, proba, classes);
  constexpr double eps = std::numeric_limits<double>::epsilon();
  const auto clip = [](double p) { return p < eps ? eps : (p > 1.0 - eps ? 1.0 - eps : p); };
  const double* first = classes.data();
  const double* last = classes.data() + classes.size();
  double total = 0.0;
  for (index i = 0; i < y_true.size(); ++i) {
    double row_sum = 0.0;
    for (index k = 0; k < proba.cols(); ++k) row_sum += clip(proba(i, k));
    const auto k = static_cast<index>(std::lower_bound(first, last, y_true(i)) - first);
    total -= std::log(clip(proba(i, k)) / row_sum);
  }
  return total / static_cast<double>(y_true.size());
}

namespace detail {

// F1 of one label from its counts, as scikit-learn computes it: precision and recall are 0 when undefined
// (zero_division="warn" returns 0), and F1 = 2 P R / (P + R) is 0 when P + R is 0.
inline double f1_from_counts(std::int64_t true_positives, std::int64_t predicted, std::int64_t actual) {
  const double tp = static_cast<double>(true_positives);
  const double precision = predicted == 0 ? 0.0 : tp / static_cast<double>(predicted);
  const double recall = actual == 0 ? 0.0 : tp / static_cast<double>(actual);
  const double denominator = precision + recall;
  return denominator == 0.0 ? 0.0 : 2.0 * precision * recall / denominator;
}

inline double f1_of_label(const vector_view& y_true, const vector_view& y_pred, double label) {
  std::int64_t tp = 0;
  std::int64_t predicted = 0;
  std::int64_t actual = 0;
  for (index i = 0; i < y_true.size(); ++i) {
    const bool is_true = y_true(i) == label;
    const bool is_pred = y_pred(i) == label;
    tp += is_true && is_pred;
    predicted += is_pred;
    actual += is_true;
  }
  return f1_from_counts(tp, predicted, actual);
}

}  // namespace detail

// f1(y_true, y_pred, pos_label) -- the F1 score of the positive class of a binary target (scikit-learn's
// f1_score, average="binary"): 2 precision recall / (precision + recall). Returns 0 when it is undefined (no row
// is, or is predicted, positive), as scikit-learn's default. pos_label must be one of the labels when y_true and
// y_pred hold two.
inline double f1(const vector_view& y_true, const vector_view& y_pred, double pos_label = 1.0) {
  constexpr std::string_view name = "f1";
  detail::check_pair(name, y_true, y_pred, "y_pred");
  detail::check_whole_labels(name, "y_true", y_true);
  detail::check_whole_labels(name, "y_pred", y_pred);
  const std::vector<double> labels = detail::distinct_labels(y_true, y_pred);
  if (labels.size() > 2)
    throw invalid_input("y_true and y_pred have " + std::to_string(labels.size()) + " labels " +
                            detail::format_labels(labels) + "; expected at most 2 (use f1_macro for more classes)",
                        name);
  if (labels.size() == 2 && pos_label != labels[0] && pos_label != labels[1])
    throw invalid_parameter("pos_label = " + format_double(pos_label) + " is not one of the labels " +
                                detail::format_labels(labels) + "; expected one of them",
                            name);
  return detail::f1_of_label(y_true, y_pred, pos_label);
}

// f1_macro(y_true, y_pred) -- the unweighted mean of every label's F1 score, over the labels in y_true or y_pred
// (scikit-learn's f1_score, average="macro"); a label never predicted, or never true, has F1 = 0.
inline double f1_macro(const vector_view& y_true, const vector_view& y_pred) {
  constexpr std::string_view name = "f1_macro";
  detail::check_pair(name, y_true, y_pred, "y_pred");
  detail::check_whole_labels(name, "y_true", y_true);
  detail::check_whole_labels(name, "y_pred", y_pred);
  const std::vector<double> labels = detail::distinct_labels(y_true, y_pred);
  double total = 0.0;
  for (const double label : labels) total += detail::f1_of_label(y_true, y_pred, label);
  return total / static_cast<double>(labels.size());
}

// r2(y_true, y_pred) -- the coefficient of determination 1 - SS_res / SS_tot (scikit-learn's r2_score): 1 for
// perfect predictions, 0 for predicting the mean, negative when worse. A constant y_true gives 1 if the predictions
// are perfect and 0 otherwise (scikit-learn's force_finite). Needs at least 2 values (scikit-learn returns NaN).
inline double r2(const vector_view& y_true, const vector_view& y_pred) {
  constexpr std::string_view name = "r2";
  detail::check_pair(name, y_true, y_pred, "y_pred");
  if (y_true.size() < 2)
    throw invalid_input("y_true has 1 value; expected at least 2, as R^2 is not defined for a single value", name);
  const double residual = (y_true - y_pred).squaredNorm();
  const double total = (y_true.array() - y_true.mean()).square().sum();
  if (residual == 0.0) return 1.0;
  if (total == 0.0) return 0.0;
  return 1.0 - residual / total;
}

// mean_squared_error(y_true, y_pred) -- the mean of (y_true - y_pred)^2, in the target's units squared.
inline double mean_squared_error(const vector_view& y_true, const vector_view& y_pred) {
  detail::check_pair("mean_squared_error", y_true, y_pred, "y_pred");
  return (y_true - y_pred).squaredNorm() / static_cast<double>(y_true.size());
}

// mean_absolute_error(y_true, y_pred) -- the mean of |y_true - y_pred|, in the target's units.
inline double mean_absolute_error(const vector_view& y_true, const vector_view& y_pred) {
  detail::check_pair("mean_absolute_error", y_true, y_pred, "y_pred");
  return (y_true - y_pred).cwiseAbs().sum() / static_cast<double>(y_true.size());
}

}  // namespace mlpipe
