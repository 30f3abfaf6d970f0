#pragma once

#include <cmath>        // std::sqrt
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move

#include <Eigen/Cholesky>  // Eigen::LDLT
#include <Eigen/QR>        // Eigen::CompleteOrthogonalDecomposition

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/invariants.hpp"
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

}  // namespace detail

template <class Deferred>
ridge::fitted ridge::fit(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  const index n = X.rows();
  const index p = X.cols();

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
