#pragma once

#include <cmath>        // std::sqrt, std::ldexp, std::ilogb, std::isfinite, std::abs
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
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// ridge -- least squares with an L2 penalty, as scikit-learn's Ridge: minimizes
// ||y - X w - b||^2 + alpha ||w||^2 (the intercept b is not penalized). Solved in closed form.
struct ridge {
  static constexpr std::string_view kind = "ridge";

  double alpha = 1.0;         // L2 penalty strength; >= 0 (0 is ordinary least squares, minimum-norm if singular)
  bool fit_intercept = true;  // fit b; when false the data is taken as already centred

  static constexpr auto params = std::tuple{param<"alpha">(&ridge::alpha, at_least(0.0)),
                                            param<"fit_intercept">(&ridge::fit_intercept)};

  class fitted;
  template <class Deferred = void>  // a template so that only programs that fit a ridge compile its solver
  fitted fit(const matrix_view& X, const vector_view& y) const;
};

class ridge::fitted {
 public:
  static constexpr std::string_view kind = ridge::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(ridge spec, vector coef, double intercept) : spec_(spec), coef_(std::move(coef)), intercept_(intercept) {}

  const ridge& spec() const { return spec_; }
  // One weight per input feature (scikit-learn's coef_).
  const vector& coef() const { return coef_; }
  double intercept() const { return intercept_; }
  index n_features_in() const { return coef_.size(); }

  vector predict(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    return (X * coef_).array() + intercept_;
  }

  // One row, no allocation.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return intercept_ + coef_.dot(Eigen::Map<const vector>(row.data(), coef_.size()));
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: a finite coefficient per input
  // feature, a finite intercept (0 without fit_intercept), alpha >= 0. load() runs it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_not_empty(kind, "state.coef", coef_.size(), "one per input feature");
    detail::check_state_values(kind, "state.coef", coef_);
    if (!std::isfinite(intercept_))
      detail::throw_invariant(kind, "state.intercept = " + format_double(intercept_) +
                                        " is not finite; expected a finite value");
    if (!spec_.fit_intercept && intercept_ != 0.0)
      detail::throw_invariant(kind, "state.intercept = " + format_double(intercept_) +
                                        " but fit_intercept = false; expected 0");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("coef", coef_);
    ar("intercept", intercept_);
  }

 private:
  ridge spec_;
  vector coef_;
  double intercept_ = 0.0;
};

namespace detail {

// The ridge solution as a least-squares problem, for when the normal equations' factorization fails: alpha = 0
// with collinear features (the minimum-norm solution), or a gram matrix that rounding made indefinite. Minimizing
// ||[X; sqrt(alpha) I] w - [y; 0]||^2 is minimizing ||X w - y||^2 + alpha ||w||^2, solved by a complete orthogonal
// decomposition, which needs neither a positive definite matrix nor full rank.
template <class Deferred = void>
vector ridge_least_squares(const matrix& X, const vector& y, double alpha) {
  if (alpha == 0.0) return Eigen::CompleteOrthogonalDecomposition<matrix>(X).solve(y);
  const index n = X.rows();
  const index p = X.cols();
  matrix A = matrix::Zero(n + p, p);
  A.topRows(n) = X;
  A.bottomRows(p).diagonal().setConstant(std::sqrt(alpha));
  vector b = vector::Zero(n + p);
  b.head(n) = y;
  return Eigen::CompleteOrthogonalDecomposition<matrix>(A).solve(b);
}

// The ridge solution for data too large to square, in scaled units: X = Xs 2^e_x (per column), y = ys 2^e_y, and
// w = v 2^(e_y - e_x). In v the problem is ||ys - Xs v||^2 + sum_j alpha 4^(-e_x[j]) v_j^2 (both terms are the
// original ones divided by 4^e_y), with every entry of Xs and ys below 2 in magnitude. Xs and ys are centred when
// fitting an intercept. Solved by the normal equations, or as least squares on [Xs; sqrt(penalty)] when those are
// singular (a penalty that underflowed to 0 with collinear columns).
template <class Deferred = void>
vector ridge_scaled_solve(const matrix& Xs, const vector& ys, const vector& penalty) {
  matrix gram = Xs.transpose() * Xs;
  gram.diagonal() += penalty;
  Eigen::LDLT<matrix> ldlt(gram);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive() && ldlt.vectorD().minCoeff() > 0)
    return ldlt.solve(Xs.transpose() * ys);
  const index n = Xs.rows();
  const index p = Xs.cols();
  matrix A = matrix::Zero(n + p, p);
  A.topRows(n) = Xs;
  A.bottomRows(p).diagonal() = penalty.cwiseSqrt();
  vector b = vector::Zero(n + p);
  b.head(n) = ys;
  return Eigen::CompleteOrthogonalDecomposition<matrix>(A).solve(b);
}

// The exponent e of 2^e just below the largest magnitude of v when that is beyond large_magnitude, else 0.
inline int large_exponent(const vector_view& v) {
  const double largest = v.cwiseAbs().maxCoeff();
  return largest > large_magnitude ? std::ilogb(largest) : 0;
}

// ridge::fit for data with a column of X or y beyond large_magnitude: the same problem solved in scaled units
// (ridge_scaled_solve), so that no sum of squares overflows. Throws when a coefficient, the intercept or a
// prediction on the training data is beyond the largest double.
template <class Deferred = void>
ridge::fitted fit_ridge_scaled(const ridge& spec, const matrix_view& X, const vector_view& y,
                               const std::vector<int>& e_x, int e_y) {
  const index p = X.cols();
  matrix Xs(X.rows(), p);
  vector penalty(p);
  for (index j = 0; j < p; ++j) {
    Xs.col(j) = X.col(j) * std::ldexp(1.0, -e_x[static_cast<std::size_t>(j)]);
    penalty(j) = std::ldexp(spec.alpha, -2 * e_x[static_cast<std::size_t>(j)]);
  }
  vector ys = y * std::ldexp(1.0, -e_y);
  vector xs_mean = vector::Zero(p);
  double ys_mean = 0.0;
  if (spec.fit_intercept) {
    xs_mean = Xs.colwise().mean().transpose();
    ys_mean = ys.mean();
    Xs.rowwise() -= xs_mean.transpose();
    ys.array() -= ys_mean;
  }
  const vector v = ridge_scaled_solve(Xs, ys, penalty);
  const double y_largest = y.cwiseAbs().maxCoeff();
  vector coef(p);
  for (index j = 0; j < p; ++j) {
    coef(j) = std::ldexp(v(j), e_y - e_x[static_cast<std::size_t>(j)]);
    if (!std::isfinite(coef(j))) {
      throw invalid_input("the coefficient of X column " + std::to_string(j) +
                              " is beyond the largest double (y up to " + format_double(y_largest) +
                              " in magnitude, the column up to " +
                              format_double(X.col(j).cwiseAbs().maxCoeff()) +
                              "); expected y and X on scales whose ratio fits a double (rescale y or the column first)",
                          ridge::kind);
    }
  }
  const double intercept = spec.fit_intercept ? std::ldexp(ys_mean - xs_mean.dot(v), e_y) : 0.0;
  if (!std::isfinite(intercept)) {
    throw invalid_input("the intercept is beyond the largest double (y up to " + format_double(y_largest) +
                            " in magnitude); expected targets below 1e308 in magnitude (rescale y first)",
                        ridge::kind);
  }
  // A fit must predict its own training data: blame the column with the largest term when a prediction overflows.
  const vector predictions = (X * coef).array() + intercept;
  if (!predictions.allFinite()) {
    index worst = 0;
    double worst_term = -1.0;
    for (index j = 0; j < p; ++j) {
      const double term = X.col(j).cwiseAbs().maxCoeff() * std::abs(coef(j));
      if (term > worst_term) {
        worst = j;
        worst_term = term;
      }
    }
    throw_too_large(ridge::kind, worst, X.col(worst).cwiseAbs().maxCoeff(),
                    "term in the predictions on the training data", "predictions below 1.7e308 in magnitude");
  }
  return ridge::fitted(spec, std::move(coef), intercept);
}

}  // namespace detail

template <class Deferred>
ridge::fitted ridge::fit(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  const index n = X.rows();
  const index p = X.cols();
  std::vector<int> e_x(static_cast<std::size_t>(p));
  bool large = false;
  for (index j = 0; j < p; ++j) large |= (e_x[static_cast<std::size_t>(j)] = detail::large_exponent(X.col(j))) != 0;
  const int e_y = detail::large_exponent(y);
  if (large || e_y != 0) return detail::fit_ridge_scaled(*this, X, y, e_x, e_y);

  vector x_mean = vector::Zero(p);
  double y_mean = 0.0;
  matrix Xc = X;
  vector yc = y;
  if (fit_intercept) {
    x_mean = X.colwise().mean().transpose();
    y_mean = y.mean();
    Xc.rowwise() -= x_mean.transpose();
    yc.array() -= y_mean;
  }

  vector coef;
  bool solved = false;
  if (p <= n) {
    // Primal normal equations (X'X + alpha I) w = X'y: p x p, cheap when there are more rows than features.
    matrix gram = Xc.transpose() * Xc;
    gram.diagonal().array() += alpha;
    Eigen::LDLT<matrix> ldlt(gram);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive() && (alpha > 0 || ldlt.vectorD().minCoeff() > 0)) {
      coef = ldlt.solve(Xc.transpose() * yc);
      solved = true;
    }
  } else {
    // Dual form w = X'(XX' + alpha I)^-1 y: n x n, cheap when there are more features than rows.
    matrix kernel = Xc * Xc.transpose();
    kernel.diagonal().array() += alpha;
    Eigen::LDLT<matrix> ldlt(kernel);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive() && (alpha > 0 || ldlt.vectorD().minCoeff() > 0)) {
      coef = Xc.transpose() * ldlt.solve(yc);
      solved = true;
    }
  }
  if (!solved) coef = detail::ridge_least_squares(Xc, yc, alpha);
  const double intercept = fit_intercept ? y_mean - x_mean.dot(coef) : 0.0;
  return fitted(*this, std::move(coef), intercept);
}

}  // namespace mlpipe
