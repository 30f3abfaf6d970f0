#pragma once

#include <algorithm>    // std::lower_bound
#include <cmath>        // std::sqrt, std::isfinite
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include <Eigen/Cholesky>  // Eigen::LDLT
#include <Eigen/QR>        // Eigen::CompleteOrthogonalDecomposition

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/order.hpp"        // sorted_distinct
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"

namespace mlpipe {

namespace detail {

// linear_classifier_fitted<Spec> -- what a fitted linear classifier (ridge_classifier, linear_svc) holds and does:
// labels, one coefficient row per one-vs-rest problem (a single row, for classes()[1], with two classes), one
// intercept per row. Spec needs fit_intercept.
template <class Spec>
class linear_classifier_fitted {
 public:
  static constexpr std::string_view kind = Spec::kind;

  linear_classifier_fitted() = default;  // an empty shell for load() to fill
  linear_classifier_fitted(Spec spec, vector classes, matrix coef, vector intercept)
      : spec_(std::move(spec)), classes_(std::move(classes)), coef_(std::move(coef)),
        intercept_(std::move(intercept)) {}

  const Spec& spec() const { return spec_; }
  // The labels seen in y at fit, ascending; predict returns these values.
  const vector& classes() const { return classes_; }
  // scikit-learn's coef_: 1 row for two classes (scores for classes()[1]), one row per class otherwise; one column
  // per input feature.
  const matrix& coef() const { return coef_; }
  // One intercept per row of coef() (zeros when !fit_intercept).
  const vector& intercept() const { return intercept_; }
  index n_features_in() const { return coef_.cols(); }

  // Scores X coef^T + intercept: n x 1 (positive for classes()[1]) for two classes, n x K otherwise.
  matrix decision_function(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix scores(X.rows(), coef_.rows());
    scores.noalias() = X * coef_.transpose();
    scores.rowwise() += intercept_.transpose();
    return scores;
  }

  // The label of the largest score per row (the first of tied classes, as numpy's argmax).
  vector predict(const matrix_view& X) const {
    const matrix scores = decision_function(X);
    vector labels(X.rows());
    for (index i = 0; i < X.rows(); ++i) {
      index best = 0;
      if (binary()) best = scores(i, 0) > 0.0 ? 1 : 0;
      else scores.row(i).maxCoeff(&best);
      labels(i) = classes_(best);
    }
    return labels;
  }

  // One row, no allocation: the predicted label.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return detail::label_of_scores(classes_, coef_.rows(), [&](index k) { return score(row, k); });
  }

 protected:
  // The invariants every linear classifier keeps: valid params, classes sorted and distinct, coef with 1 row for
  // two classes or one per class and a column per feature, one intercept per row (0 without fit_intercept), all
  // finite.
  void check_base() const {
    detail::check_params(spec_);
    detail::check_state_classes(kind, "state.classes", classes_);
    const bool two = classes_.size() == 2;
    detail::check_state_size(kind, "state.coef", coef_.rows(), two ? 1 : classes_.size(),
                             two ? "a single row for two classes" : "one per class", "row", "rows");
    detail::check_state_not_empty(kind, "state.coef", coef_.cols(), "a column per input feature");
    detail::check_state_size(kind, "state.intercept", intercept_.size(), coef_.rows(), "one per row of state.coef");
    detail::check_state_values(kind, "state.coef", coef_);
    detail::check_state_values(kind, "state.intercept", intercept_);
    if (spec_.fit_intercept) return;
    for (index k = 0; k < intercept_.size(); ++k) {
      if (intercept_(k) != 0.0)
        detail::throw_invariant(kind, "state.intercept[" + std::to_string(k) + "] = " + format_double(intercept_(k)) +
                                          " but fit_intercept = false; expected 0");
    }
  }

  template <class Archive>
  void serialize_base(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("coef", coef_);
    ar("intercept", intercept_);
  }

  Spec spec_;
  vector classes_;
  matrix coef_;
  vector intercept_;

 private:
  bool binary() const { return classes_.size() == 2; }
  double score(std::span<const double> row, index k) const {
    return intercept_(k) + coef_.row(k).transpose().dot(Eigen::Map<const vector>(row.data(), coef_.cols()));
  }
};

// The one-vs-rest targets of a linear classifier: +1 for the row's class, -1 for the others; one column (for
// classes[1]) with two classes, one per class otherwise (scikit-learn's LabelBinarizer(neg_label=-1)).
inline matrix one_vs_rest_targets(const label_codes& e) {
  const index K = e.classes.size();
  const index outputs = K == 2 ? 1 : K;
  matrix Y = matrix::Constant(static_cast<index>(e.codes.size()), outputs, -1.0);
  for (std::size_t i = 0; i < e.codes.size(); ++i) {
    const index k = e.codes[i];
    if (K == 2) Y(static_cast<index>(i), 0) = k == 1 ? 1.0 : -1.0;
    else Y(static_cast<index>(i), k) = 1.0;
  }
  return Y;
}

}  // namespace detail

// ridge_classifier -- ridge regression on targets {-1, 1} per class, as scikit-learn's RidgeClassifier: for each
// class (one problem for two classes) minimizes sum_i w_i (y_i - x_i w - b)^2 + alpha ||w||^2 with y_i = 1 for the
// class and -1 otherwise and w_i the row's weight (class_weight times sample weight); predicts the class of the
// largest score. Solved in closed form.
struct ridge_classifier {
  static constexpr std::string_view kind = "ridge_classifier";

  double alpha = 1.0;         // L2 penalty strength; >= 0
  bool fit_intercept = true;  // fit one unpenalized b per class; when false the data is taken as already centred
  mlpipe::class_weight class_weight = mlpipe::class_weight::none;  // weights of the classes in the loss

  static constexpr auto params = std::tuple{param<"alpha">(&ridge_classifier::alpha, at_least(0.0)),
                                            param<"fit_intercept">(&ridge_classifier::fit_intercept),
                                            param<"class_weight">(&ridge_classifier::class_weight,
                                                                  class_weight_range{})};

  class fitted;
  template <class Deferred = void>  // a template so that only programs that fit one compile its solver
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row's squared error counts sample_weight times its class weight (weights >= 0).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;
};

class ridge_classifier::fitted : public detail::linear_classifier_fitted<ridge_classifier> {
 public:
  static constexpr int schema_version = 1;
  using linear_classifier_fitted::linear_classifier_fitted;

  // Throws mlpipe::load_error naming the first broken invariant of the learned state (see check_base). load() runs
  // it.
  void check_invariants() const { check_base(); }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp).
  template <class Archive>
  void serialize(Archive& ar) {
    serialize_base(ar);
  }
};

namespace detail {

// The ridge coefficients of every column of Y at once, on data already centred and scaled by the root weights:
// (X'X + alpha I) W = X'Y (or its dual form when there are more features than rows), a least-squares solve when
// that system is singular. Returns outputs x p.
template <class Deferred = void>
matrix ridge_multi_solve(const matrix& X, const matrix& Y, double alpha) {
  const index n = X.rows();
  const index p = X.cols();
  if (p <= n) {
    matrix gram = X.transpose() * X;
    gram.diagonal().array() += alpha;
    Eigen::LDLT<matrix> ldlt(gram);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive() && ldlt.vectorD().minCoeff() > 0)
      return ldlt.solve(X.transpose() * Y).transpose();
  } else {
    matrix kernel = X * X.transpose();
    kernel.diagonal().array() += alpha;
    Eigen::LDLT<matrix> ldlt(kernel);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive() && ldlt.vectorD().minCoeff() > 0)
      return (X.transpose() * ldlt.solve(Y)).transpose();
  }
  matrix A = matrix::Zero(n + p, p);
  A.topRows(n) = X;
  A.bottomRows(p).diagonal().setConstant(std::sqrt(alpha));
  matrix B = matrix::Zero(n + p, Y.cols());
  B.topRows(n) = Y;
  return Eigen::CompleteOrthogonalDecomposition<matrix>(A).solve(B).transpose();
}

template <class Deferred = void>
ridge_classifier::fitted fit_ridge_classifier(const ridge_classifier& spec, const matrix_view& X, const vector_view& y,
                                              const vector* sample_weight) {
  constexpr std::string_view kind = ridge_classifier::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(kind, X, *sample_weight);
  const auto codes = shared_class_labels(kind, y);  // once per split in a search
  const label_codes& e = *codes;
  const std::vector<double> w = row_weights(kind, spec.class_weight, e.classes, e.codes, sample_weight);
  const index p = X.cols();
  for (index j = 0; j < p; ++j) {
    if (!std::isfinite(X.col(j).squaredNorm()))
      throw_too_large(kind, j, X.col(j).cwiseAbs().maxCoeff(), "sum of squares", "values below 1e150 in magnitude");
  }
  matrix Y = one_vs_rest_targets(e);
  matrix Xc = X;
  vector x_offset = vector::Zero(p);
  vector y_offset = vector::Zero(Y.cols());
  const Eigen::Map<const vector> weights(w.data(), static_cast<index>(w.size()));
  if (spec.fit_intercept) {
    if (w.empty()) {
      x_offset = Xc.colwise().mean().transpose();
      y_offset = Y.colwise().mean().transpose();
    } else {
      const double total = weights.sum();
      if (!(total > 0.0)) {
        throw invalid_input("the rows' weights (class_weight times sample_weight) sum to 0; expected a positive sum",
                            kind);
      }
      x_offset = (Xc.transpose() * weights) / total;
      y_offset = (Y.transpose() * weights) / total;
    }
    Xc.rowwise() -= x_offset.transpose();
    Y.rowwise() -= y_offset.transpose();
  }
  if (!w.empty()) {
    const vector root = weights.cwiseSqrt();
    Xc = root.asDiagonal() * Xc;
    Y = root.asDiagonal() * Y;
  }
  matrix coef = ridge_multi_solve(Xc, Y, spec.alpha);
  vector intercept = vector::Zero(coef.rows());
  if (spec.fit_intercept) intercept = y_offset - coef * x_offset;
  if (!coef.allFinite() || !intercept.allFinite()) {
    throw invalid_input("the coefficients overflowed; expected features of moderate scale (standardize them first, "
                        "e.g. with standard_scaler)",
                        kind);
  }
  return ridge_classifier::fitted(spec, e.classes, std::move(coef), std::move(intercept));
}

}  // namespace detail

template <class Deferred>
ridge_classifier::fitted ridge_classifier::fit(const matrix_view& X, const vector_view& y) const {
  return detail::fit_ridge_classifier<Deferred>(*this, X, y, nullptr);
}

template <class Deferred>
ridge_classifier::fitted ridge_classifier::fit(const matrix_view& X, const vector_view& y,
                                               const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  return detail::fit_ridge_classifier<Deferred>(*this, X, y, &sw);
}

}  // namespace mlpipe
