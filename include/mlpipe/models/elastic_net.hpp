#pragma once

#include <algorithm>    // std::max
#include <array>
#include <cmath>        // std::abs, std::isfinite, std::log10, std::pow, std::sqrt
#include <cstdint>      // std::int64_t, std::uint32_t
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double, enum_names
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/allocate.hpp"     // new_matrix
#include "mlpipe/core/random.hpp"       // numpy_random_state
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"  // check_fit_sample_weight

// lasso and elastic_net -- linear regression with an L1 (and L2) penalty, solved by coordinate descent on
// scikit-learn's objective
//   1 / (2 n) ||y - X w - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2
// (lasso is l1_ratio = 1), with scikit-learn's stopping rule: after a sweep whose largest coefficient change is below
// tol times the largest coefficient, the duality gap is computed and the descent stops when it is below
// tol ||y - mean(y)||^2. enet_path / lasso_path solve a whole decreasing grid of alphas, each from the last.

namespace mlpipe {

// coordinate_selection -- the order in which coordinate descent visits the coefficients.
enum class coordinate_selection {
  cyclic,  // feature 0, 1, ..., p - 1 in every sweep
  random   // a uniformly drawn feature at every step (seeded; often converges faster when tol is loose)
};

template <>
struct enum_names<coordinate_selection> {
  static constexpr std::array values{std::pair{coordinate_selection::cyclic, std::string_view("cyclic")},
                                     std::pair{coordinate_selection::random, std::string_view("random")}};
};

namespace detail {

// What coordinate descent returns: coefficients, sweeps taken, the duality gap at the end (scaled as scikit-learn's
// dual_gap_, i.e. divided by n) and whether it fell below the tolerance.
struct cd_result {
  vector coef;
  index n_iter = 0;
  double dual_gap = 0.0;
  bool converged = false;
};

// Coordinate descent for min 1/2 ||y - X w||^2 + l1 ||w||_1 + l2 ||w||^2 / 2 (scikit-learn's enet_coordinate_descent,
// whose l1 and l2 are alpha l1_ratio n and alpha (1 - l1_ratio) n), from w. X and y are already centred (and
// weighted) when an intercept is fitted; col_norms holds the squared column norms of X.
template <class Deferred = void>
cd_result enet_coordinate_descent(const matrix& X, const vector& y, const vector& col_norms, vector w, double l1,
                                  double l2, int max_iter, double tol, coordinate_selection selection,
                                  std::int64_t seed) {
  const index n = X.rows();
  const index p = X.cols();
  cd_result out;
  vector R = y;
  if (w.cwiseAbs().maxCoeff() > 0.0) R.noalias() -= X * w;
  const double gap_tol = tol * y.squaredNorm();
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  vector XtA(p);
  for (int iter = 0; iter < max_iter; ++iter) {
    double w_max = 0.0;
    double d_w_max = 0.0;
    for (index step = 0; step < p; ++step) {
      const index j = selection == coordinate_selection::random
                          ? static_cast<index>(rng.random_interval(static_cast<std::uint64_t>(p - 1)))
                          : step;
      if (col_norms(j) == 0.0) continue;
      const double w_j = w(j);
      if (w_j != 0.0) R.noalias() += w_j * X.col(j);
      const double tmp = X.col(j).dot(R);
      const double shrunk = std::max(std::abs(tmp) - l1, 0.0);
      w(j) = (tmp < 0.0 ? -shrunk : shrunk) / (col_norms(j) + l2);
      if (w(j) != 0.0) R.noalias() -= w(j) * X.col(j);
      d_w_max = std::max(d_w_max, std::abs(w(j) - w_j));
      w_max = std::max(w_max, std::abs(w(j)));
    }
    out.n_iter = iter + 1;
    if (w_max == 0.0 || d_w_max / w_max < tol || iter == max_iter - 1) {
      // The duality gap of scikit-learn's cd_fast: a dual point is the residual, scaled into the dual's feasible set.
      XtA.noalias() = X.transpose() * R;
      XtA -= l2 * w;
      const double dual_norm = XtA.cwiseAbs().maxCoeff();
      const double R_norm2 = R.squaredNorm();
      double scale = 1.0;
      double gap = R_norm2;
      if (dual_norm > l1) {
        scale = l1 / dual_norm;
        gap = 0.5 * (R_norm2 + R_norm2 * scale * scale);
      }
      gap += l1 * w.cwiseAbs().sum() - scale * R.dot(y) + 0.5 * l2 * (1.0 + scale * scale) * w.squaredNorm();
      out.dual_gap = gap / static_cast<double>(n);
      if (gap <= gap_tol) {
        out.converged = true;
        break;
      }
    }
  }
  out.coef = std::move(w);
  return out;
}

// The same descent on the Gram matrix Q = X^T X and q = X^T y (scikit-learn's enet_coordinate_descent_gram, which
// its paths use when X has more rows than columns): a sweep costs p^2 instead of n p. It keeps H = Q w; the residual's
// products follow from ||y - X w||^2 = y^T y - 2 w^T q + w^T Q w.
template <class Deferred = void>
cd_result enet_coordinate_descent_gram(const matrix& Q, const vector& q, double y_norm2, double n_rows, vector w,
                                       double l1, double l2, int max_iter, double tol) {
  const index p = Q.rows();
  cd_result out;
  vector H = Q * w;
  const double gap_tol = tol * y_norm2;
  for (int iter = 0; iter < max_iter; ++iter) {
    double w_max = 0.0;
    double d_w_max = 0.0;
    for (index j = 0; j < p; ++j) {
      const double q_jj = Q(j, j);
      if (q_jj == 0.0) continue;
      const double w_j = w(j);
      if (w_j != 0.0) H.noalias() -= w_j * Q.col(j);
      const double tmp = q(j) - H(j);
      const double shrunk = std::max(std::abs(tmp) - l1, 0.0);
      w(j) = (tmp < 0.0 ? -shrunk : shrunk) / (q_jj + l2);
      if (w(j) != 0.0) H.noalias() += w(j) * Q.col(j);
      d_w_max = std::max(d_w_max, std::abs(w(j) - w_j));
      w_max = std::max(w_max, std::abs(w(j)));
    }
    out.n_iter = iter + 1;
    if (w_max == 0.0 || d_w_max / w_max < tol || iter == max_iter - 1) {
      const double wq = w.dot(q);
      const double dual_norm = (q - H - l2 * w).cwiseAbs().maxCoeff();
      const double R_norm2 = std::max(y_norm2 + w.dot(H) - 2.0 * wq, 0.0);
      double scale = 1.0;
      double gap = R_norm2;
      if (dual_norm > l1) {
        scale = l1 / dual_norm;
        gap = 0.5 * (R_norm2 + R_norm2 * scale * scale);
      }
      gap += l1 * w.cwiseAbs().sum() - scale * (y_norm2 - wq) + 0.5 * l2 * (1.0 + scale * scale) * w.squaredNorm();
      out.dual_gap = gap / n_rows;
      if (gap <= gap_tol) {
        out.converged = true;
        break;
      }
    }
  }
  out.coef = std::move(w);
  return out;
}

// The data coordinate descent works on: X and y centred by their (weighted) means when an intercept is fitted, and
// scaled by the square roots of the sample weights (normalized to sum to n, as scikit-learn does), with the squared
// column norms. Throws when a column or y is too large for its sum of squares to fit in a double.
struct cd_problem {
  matrix X;
  vector y;
  vector col_norms;
  vector x_offset;
  double y_offset = 0.0;
};

// With copy_x = false (only without intercept and weights, where X is used as it is) X is not copied: out.X stays
// empty and the caller reads the original.
template <class Deferred = void>
cd_problem make_cd_problem(std::string_view kind, const matrix_view& X, const vector_view& y, bool fit_intercept,
                           const vector* sample_weight, bool copy_x = true) {
  const index n = X.rows();
  const index p = X.cols();
  copy_x = copy_x || fit_intercept || sample_weight != nullptr;
  cd_problem out{copy_x ? new_matrix(n, p) : matrix(), vector(y), vector(p), vector::Zero(p), 0.0};
  if (copy_x) out.X = X;
  vector sw;
  if (sample_weight != nullptr) sw = *sample_weight * (static_cast<double>(n) / sample_weight->sum());
  if (fit_intercept) {
    if (sample_weight != nullptr) {
      out.x_offset = (out.X.transpose() * sw) / static_cast<double>(n);
      out.y_offset = out.y.dot(sw) / static_cast<double>(n);
    } else {
      out.x_offset = out.X.colwise().mean().transpose();
      out.y_offset = out.y.mean();
    }
    out.X.rowwise() -= out.x_offset.transpose();
    out.y.array() -= out.y_offset;
  }
  if (sample_weight != nullptr) {
    const vector root = sw.cwiseSqrt();
    out.X = root.asDiagonal() * out.X;
    out.y = out.y.cwiseProduct(root);
  }
  for (index j = 0; j < p; ++j) {
    out.col_norms(j) = copy_x ? out.X.col(j).squaredNorm() : X.col(j).squaredNorm();
    if (!std::isfinite(out.col_norms(j)))
      throw_too_large(kind, j, X.col(j).cwiseAbs().maxCoeff(), "sum of squares", "values below 1e150 in magnitude");
  }
  if (!std::isfinite(out.y.squaredNorm())) {
    throw invalid_input("y has values too large in magnitude (up to " + format_double(y.cwiseAbs().maxCoeff()) +
                            "): its sum of squares is beyond the largest double; expected values below 1e150 in "
                            "magnitude (rescale y first)",
                        kind);
  }
  return out;
}

// linear_cd_fitted<Spec> -- a fitted lasso or elastic_net: coefficients, intercept and the solver's report.
template <class Spec>
class linear_cd_fitted {
 public:
  static constexpr std::string_view kind = Spec::kind;
  static constexpr int schema_version = 1;

  linear_cd_fitted() = default;  // an empty shell for load() to fill
  linear_cd_fitted(Spec spec, vector coef, double intercept, index n_iter, double dual_gap, bool converged)
      : spec_(spec), coef_(std::move(coef)), intercept_(intercept), n_iter_(n_iter), dual_gap_(dual_gap),
        converged_(converged) {}

  const Spec& spec() const { return spec_; }
  // One weight per input feature (scikit-learn's coef_); the L1 penalty makes some exactly 0.
  const vector& coef() const { return coef_; }
  double intercept() const { return intercept_; }
  // Coordinate descent sweeps taken.
  index n_iter() const { return n_iter_; }
  // The duality gap at the end, divided by the number of rows (scikit-learn's dual_gap_).
  double dual_gap() const { return dual_gap_; }
  // Whether the duality gap fell below tol within max_iter sweeps.
  bool converged() const { return converged_; }
  index n_features_in() const { return coef_.size(); }

  vector predict(const matrix_view& X) const {
    check_predict_input(kind, X, n_features_in());
    vector out(X.rows());
    out.noalias() = X * coef_;
    out.array() += intercept_;
    return out;
  }

  // One row, no allocation.
  double predict_one(std::span<const double> row) const {
    check_row(kind, row, n_features_in());
    return intercept_ + coef_.dot(Eigen::Map<const vector>(row.data(), coef_.size()));
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, a finite coefficient per
  // input feature, a finite intercept (0 without fit_intercept), 0 <= n_iter <= max_iter, a finite dual gap.
  void check_invariants() const {
    check_params(spec_);
    check_state_not_empty(kind, "state.coef", coef_.size(), "one per input feature");
    check_state_values(kind, "state.coef", coef_);
    if (!std::isfinite(intercept_))
      throw_invariant(kind, "state.intercept = " + format_double(intercept_) + " is not finite; expected a finite value");
    if (!spec_.fit_intercept && intercept_ != 0.0)
      throw_invariant(kind, "state.intercept = " + format_double(intercept_) + " but fit_intercept = false; expected 0");
    check_state_count(kind, "state.n_iter", n_iter_, 0, spec_.max_iter, "max_iter");
    if (!std::isfinite(dual_gap_))
      throw_invariant(kind, "state.dual_gap = " + format_double(dual_gap_) + " is not finite; expected a finite value");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("coef", coef_);
    ar("intercept", intercept_);
    ar("n_iter", n_iter_);
    ar("dual_gap", dual_gap_);
    ar("converged", converged_);
  }

 private:
  Spec spec_;
  vector coef_;
  double intercept_ = 0.0;
  index n_iter_ = 0;
  double dual_gap_ = 0.0;
  bool converged_ = false;
};

// The fit of a lasso or elastic_net spec (l1_ratio given separately: a lasso has none), optionally weighted and
// optionally from a warm start (a fitted model's coefficients).
template <class Spec>
linear_cd_fitted<Spec> fit_linear_cd(const Spec& spec, double l1_ratio, const matrix_view& X, const vector_view& y,
                                     const vector* sample_weight, const vector* warm_start) {
  constexpr std::string_view kind = Spec::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(kind, X, *sample_weight);
  const cd_problem problem = make_cd_problem<>(kind, X, y, spec.fit_intercept, sample_weight);
  vector w = vector::Zero(X.cols());
  if (warm_start != nullptr) {
    if (warm_start->size() != X.cols() || !warm_start->allFinite()) {
      throw invalid_input("the warm start has " + std::to_string(warm_start->size()) +
                              (warm_start->allFinite() ? "" : " non-finite") + " coefficients; expected " +
                              std::to_string(X.cols()) + " finite values",
                          kind);
    }
    w = *warm_start;
  }
  const double n = static_cast<double>(X.rows());
  cd_result r = enet_coordinate_descent<>(problem.X, problem.y, problem.col_norms, std::move(w),
                                          spec.alpha * l1_ratio * n, spec.alpha * (1.0 - l1_ratio) * n, spec.max_iter,
                                          spec.tol, spec.selection, spec.seed);
  if (!r.coef.allFinite() || !std::isfinite(r.dual_gap)) {
    throw invalid_input("coordinate descent overflowed; expected features and targets of moderate scale "
                        "(standardize them first, e.g. with standard_scaler)",
                        kind);
  }
  const double intercept = spec.fit_intercept ? problem.y_offset - problem.x_offset.dot(r.coef) : 0.0;
  return linear_cd_fitted<Spec>(spec, std::move(r.coef), intercept, r.n_iter, r.dual_gap, r.converged);
}

}  // namespace detail

// lasso -- linear regression with an L1 penalty, as scikit-learn's Lasso: minimizes
// ||y - X w - b||^2 / (2 n) + alpha ||w||_1 by coordinate descent; many coefficients end exactly at 0.
struct lasso {
  static constexpr std::string_view kind = "lasso";

  double alpha = 1.0;         // L1 penalty strength; >= 0 (0 is least squares, better solved by ridge{.alpha = 0})
  bool fit_intercept = true;  // fit an unpenalized b; when false the data is taken as already centred
  int max_iter = 1000;        // most coordinate descent sweeps; >= 1
  double tol = 1e-4;          // stop when the duality gap is below tol ||y - mean(y)||^2 (scikit-learn's rule); > 0
  coordinate_selection selection = coordinate_selection::cyclic;  // the order coefficients are updated in
  std::int64_t seed = 0;      // the random order's seed (selection = random); 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"alpha">(&lasso::alpha, at_least(0.0)),
                                            param<"fit_intercept">(&lasso::fit_intercept),
                                            param<"max_iter">(&lasso::max_iter, at_least(1.0)),
                                            param<"tol">(&lasso::tol, greater_than(0.0)),
                                            param<"selection">(&lasso::selection),
                                            param<"seed">(&lasso::seed, between(0, 4294967295.0))};

  using fitted = detail::linear_cd_fitted<lasso>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_linear_cd(*this, 1.0, X, y, nullptr, nullptr);
  }
  // Weighted fit: each row's squared error counts sample_weight times (weights >= 0, rescaled to sum to n).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const {
    const vector sw = sample_weight;
    return detail::fit_linear_cd(*this, 1.0, X, y, &sw, nullptr);
  }

  // A search fits candidates in ascending order of alpha, each starting from the previous solution (see
  // mlpipe/core/reuse.hpp): the optimum is the same, coordinate descent just needs fewer sweeps.
  static constexpr std::string_view warm_start_param = "alpha";
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const {
    return detail::fit_linear_cd(*this, 1.0, X, y, nullptr, &previous.coef());
  }
};

// elastic_net -- linear regression with L1 and L2 penalties, as scikit-learn's ElasticNet: minimizes
// ||y - X w - b||^2 / (2 n) + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2 by coordinate descent.
struct elastic_net {
  static constexpr std::string_view kind = "elastic_net";

  double alpha = 1.0;         // overall penalty strength; >= 0
  double l1_ratio = 0.5;      // share of the L1 penalty: 1 is lasso, 0 is ridge (on this scale); 0 <= l1_ratio <= 1
  bool fit_intercept = true;  // fit an unpenalized b; when false the data is taken as already centred
  int max_iter = 1000;        // most coordinate descent sweeps; >= 1
  double tol = 1e-4;          // stop when the duality gap is below tol ||y - mean(y)||^2 (scikit-learn's rule); > 0
  coordinate_selection selection = coordinate_selection::cyclic;  // the order coefficients are updated in
  std::int64_t seed = 0;      // the random order's seed (selection = random); 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"alpha">(&elastic_net::alpha, at_least(0.0)),
                                            param<"l1_ratio">(&elastic_net::l1_ratio, between(0.0, 1.0)),
                                            param<"fit_intercept">(&elastic_net::fit_intercept),
                                            param<"max_iter">(&elastic_net::max_iter, at_least(1.0)),
                                            param<"tol">(&elastic_net::tol, greater_than(0.0)),
                                            param<"selection">(&elastic_net::selection),
                                            param<"seed">(&elastic_net::seed, between(0, 4294967295.0))};

  using fitted = detail::linear_cd_fitted<elastic_net>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_linear_cd(*this, l1_ratio, X, y, nullptr, nullptr);
  }
  // Weighted fit: each row's squared error counts sample_weight times (weights >= 0, rescaled to sum to n).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const {
    const vector sw = sample_weight;
    return detail::fit_linear_cd(*this, l1_ratio, X, y, &sw, nullptr);
  }

  // Warm starts along alpha in a search, as lasso's.
  static constexpr std::string_view warm_start_param = "alpha";
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const {
    return detail::fit_linear_cd(*this, l1_ratio, X, y, nullptr, &previous.coef());
  }
};

// path_options -- what enet_path and lasso_path solve: a grid of alphas (given, or n_alphas of them from
// alpha_max down to eps alpha_max on a log scale, as scikit-learn's), and the solver's settings.
struct path_options {
  double l1_ratio = 1.0;       // share of the L1 penalty (enet_path); 0 < l1_ratio <= 1 for a computed grid
  double eps = 1e-3;           // alpha_min / alpha_max of a computed grid; > 0
  index n_alphas = 100;        // length of a computed grid; >= 1
  std::vector<double> alphas = {};  // the grid itself (solved in decreasing order); empty: computed
  bool fit_intercept = true;   // centre X and y first (scikit-learn's paths expect centred data: false there)
  int max_iter = 1000;         // most sweeps per alpha; >= 1
  double tol = 1e-4;           // duality gap tolerance, as lasso::tol; > 0
};

// regularization_path -- a path's alphas (decreasing) and one column of coefficients per alpha.
struct regularization_path {
  vector alphas;      // decreasing
  matrix coefs;       // n_features x n_alphas (scikit-learn's coefs)
  vector intercepts;  // one per alpha (0 without fit_intercept)
  vector dual_gaps;   // one per alpha, divided by n (scikit-learn's dual_gaps)
  std::vector<index> n_iters;  // sweeps per alpha
};

// enet_path(X, y, options) -- elastic_net solutions for a decreasing grid of alphas, each started from the last one
// (as scikit-learn's enet_path, with fit_intercept deciding the centring that scikit-learn leaves to the caller).
template <class Deferred = void>
regularization_path enet_path(const matrix_view& X, const vector_view& y, const path_options& options = {}) {
  constexpr std::string_view kind = "enet_path";
  const auto bad = [&](std::string what) { throw invalid_parameter(std::move(what), kind); };
  if (!(options.l1_ratio >= 0.0 && options.l1_ratio <= 1.0))
    bad("l1_ratio = " + format_double(options.l1_ratio) + " is out of range; expected 0 <= l1_ratio <= 1");
  if (!(options.eps > 0.0) || !std::isfinite(options.eps))
    bad("eps = " + format_double(options.eps) + " is out of range; expected eps > 0");
  if (options.max_iter < 1)
    bad("max_iter = " + std::to_string(options.max_iter) + " is out of range; expected max_iter >= 1");
  if (!(options.tol > 0.0) || !std::isfinite(options.tol))
    bad("tol = " + format_double(options.tol) + " is out of range; expected tol > 0");
  for (std::size_t i = 0; i < options.alphas.size(); ++i) {
    if (!(options.alphas[i] >= 0.0) || !std::isfinite(options.alphas[i]))
      bad("alphas[" + std::to_string(i) + "] = " + format_double(options.alphas[i]) +
          " is out of range; expected finite alphas >= 0");
  }
  if (options.alphas.empty()) {
    if (options.n_alphas < 1)
      bad("n_alphas = " + std::to_string(options.n_alphas) + " is out of range; expected n_alphas >= 1");
    if (options.l1_ratio == 0.0)
      bad("l1_ratio = 0 leaves alpha_max undefined; expected 0 < l1_ratio <= 1, or a given grid of alphas");
  }
  detail::check_fit_input(kind, X, y);
  // With more rows than columns, the descent runs on the Gram matrix, as scikit-learn's paths do (precompute='auto'),
  // and needs no copy of X when there is nothing to centre.
  const bool gram = X.rows() > X.cols();
  const detail::cd_problem problem = detail::make_cd_problem<>(kind, X, y, options.fit_intercept, nullptr, !gram);
  const matrix_view Xc = problem.X.size() > 0 ? matrix_view(problem.X) : X;
  const double n = static_cast<double>(X.rows());
  regularization_path out;
  if (options.alphas.empty()) {
    const double alpha_max = (Xc.transpose() * problem.y).cwiseAbs().maxCoeff() / (n * options.l1_ratio);
    out.alphas.resize(options.n_alphas);
    const double resolution = 1e-15;  // numpy's finfo(float64).resolution
    if (alpha_max <= resolution) {
      out.alphas.setConstant(resolution);
    } else {
      // numpy's logspace(log10(alpha_max eps), log10(alpha_max), n_alphas), reversed.
      const double lo = std::log10(alpha_max * options.eps);
      const double hi = std::log10(alpha_max);
      const index m = options.n_alphas;
      for (index k = 0; k < m; ++k) {
        const double t = m == 1 ? lo : lo + (hi - lo) * static_cast<double>(k) / static_cast<double>(m - 1);
        out.alphas(m - 1 - k) = std::pow(10.0, k == m - 1 ? hi : t);
      }
    }
  } else {
    std::vector<double> sorted = options.alphas;
    std::sort(sorted.begin(), sorted.end(), [](double a, double b) { return a > b; });
    out.alphas = Eigen::Map<const vector>(sorted.data(), static_cast<index>(sorted.size()));
  }
  const index m = out.alphas.size();
  out.coefs.resize(X.cols(), m);
  out.intercepts.resize(m);
  out.dual_gaps.resize(m);
  out.n_iters.resize(static_cast<std::size_t>(m));
  vector w = vector::Zero(X.cols());
  matrix Q;
  vector q;
  if (gram) {
    Q = matrix::Zero(X.cols(), X.cols());
    Q.selfadjointView<Eigen::Lower>().rankUpdate(Xc.transpose());
    Q.triangularView<Eigen::StrictlyUpper>() = Q.transpose();
    q = Xc.transpose() * problem.y;
  }
  const double y_norm2 = problem.y.squaredNorm();
  for (index k = 0; k < m; ++k) {
    const double alpha = out.alphas(k);
    const double l1 = alpha * options.l1_ratio * n;
    const double l2 = alpha * (1.0 - options.l1_ratio) * n;
    detail::cd_result r =
        gram ? detail::enet_coordinate_descent_gram<>(Q, q, y_norm2, n, std::move(w), l1, l2, options.max_iter,
                                                      options.tol)
             : detail::enet_coordinate_descent<>(problem.X, problem.y, problem.col_norms, std::move(w), l1, l2,
                                                 options.max_iter, options.tol, coordinate_selection::cyclic, 0);
    out.coefs.col(k) = r.coef;
    out.intercepts(k) = options.fit_intercept ? problem.y_offset - problem.x_offset.dot(r.coef) : 0.0;
    out.dual_gaps(k) = r.dual_gap;
    out.n_iters[static_cast<std::size_t>(k)] = r.n_iter;
    w = std::move(r.coef);
  }
  return out;
}

// lasso_path(X, y, options) -- enet_path with l1_ratio = 1, as scikit-learn's lasso_path.
template <class Deferred = void>
regularization_path lasso_path(const matrix_view& X, const vector_view& y, path_options options = {}) {
  options.l1_ratio = 1.0;
  return enet_path<Deferred>(X, y, options);
}

}  // namespace mlpipe
