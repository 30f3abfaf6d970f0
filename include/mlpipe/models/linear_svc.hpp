#pragma once

#include <algorithm>    // std::max, std::min, std::swap
#include <cmath>        // std::abs, std::isfinite
#include <cstddef>
#include <cstdint>      // std::int64_t, std::uint64_t
#include <limits>
#include <random>       // std::mt19937_64
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"
#include "mlpipe/models/ridge_classifier.hpp"  // linear_classifier_fitted, encode_class_labels

namespace mlpipe {

// linear_svc -- a linear support vector classifier, as scikit-learn's LinearSVC (penalty l2, loss squared_hinge,
// dual, one-vs-rest): for each class (one problem for two classes) minimizes
//   ||w||^2 / 2 + b^2 / 2 + C sum_i c_i max(0, 1 - y_i (x_i w + s b))^2
// with y_i = 1 for the class and -1 otherwise, c_i the row's weight and s = intercept_scaling, by liblinear's dual
// coordinate descent (random order, shrinking). As in liblinear the intercept s b is penalized through b (a larger
// intercept_scaling penalizes it less). The optimum is unique: solved tightly, coefficients match scikit-learn's.
struct linear_svc {
  static constexpr std::string_view kind = "linear_svc";

  double C = 1.0;                   // weight of the summed squared hinge loss against the penalty; > 0
  double tol = 1e-4;                // stop when the projected dual gradient's spread is <= tol (liblinear's eps); > 0
  int max_iter = 1000;              // most passes over the rows per problem; >= 1
  bool fit_intercept = true;        // fit an intercept (as a constant feature of value intercept_scaling)
  double intercept_scaling = 1.0;   // the constant feature's value; the intercept is intercept_scaling * b; > 0
  mlpipe::class_weight class_weight = mlpipe::class_weight::none;  // weights of the classes in the loss
  std::int64_t seed = 0;            // the order rows are visited in; 0 <= seed < 2^32

  static constexpr auto params =
      std::tuple{param<"C">(&linear_svc::C, greater_than(0.0)), param<"tol">(&linear_svc::tol, greater_than(0.0)),
                 param<"max_iter">(&linear_svc::max_iter, at_least(1.0)),
                 param<"fit_intercept">(&linear_svc::fit_intercept),
                 param<"intercept_scaling">(&linear_svc::intercept_scaling, greater_than(0.0)),
                 param<"class_weight">(&linear_svc::class_weight, class_weight_range{}),
                 param<"seed">(&linear_svc::seed, between(0, 4294967295.0))};

  class fitted;
  template <class Deferred = void>  // a template so that only programs that fit one compile its solver
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row's loss counts sample_weight times its class weight (weights >= 0).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  // A search fits candidates along C in ascending order, each starting from the last solution (see
  // mlpipe/core/reuse.hpp): the dual variables start at what the previous weights give for this C (Chu et al. 2015,
  // "Warm start for parameter selection of linear classifiers"); the optimum is the same, reached in fewer passes.
  static constexpr std::string_view warm_start_param = "C";
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const;
};

class linear_svc::fitted : public detail::linear_classifier_fitted<linear_svc> {
 public:
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(linear_svc spec, vector classes, matrix coef, vector intercept, index n_iter, bool converged)
      : linear_classifier_fitted(spec, std::move(classes), std::move(coef), std::move(intercept)), n_iter_(n_iter),
        converged_(converged) {}

  // The most passes over the rows that a one-vs-rest problem took (scikit-learn's n_iter_).
  index n_iter() const { return n_iter_; }
  // Whether every problem met tol within max_iter passes.
  bool converged() const { return converged_; }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state (as ridge_classifier's, and
  // 0 <= n_iter <= max_iter). load() runs it.
  void check_invariants() const {
    check_base();
    detail::check_state_count(kind, "state.n_iter", n_iter_, 0, spec_.max_iter, "max_iter");
  }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp).
  template <class Archive>
  void serialize(Archive& ar) {
    serialize_base(ar);
    ar("n_iter", n_iter_);
    ar("converged", converged_);
  }

 private:
  index n_iter_ = 0;
  bool converged_ = false;
};

namespace detail {

// What one binary problem of linear_svc returns: the weights (the last one is b when there is a bias feature), the
// passes taken and whether the tolerance was met.
struct svc_solution {
  vector w;
  index n_iter = 0;
  bool converged = false;
};

// liblinear's solve_l2r_l1l2_svc for the squared hinge loss: coordinate descent on the dual
//   min_a a^T Q a / 2 - sum a,  a >= 0,  Q_ij = y_i y_j x_i.x_j + delta_ij / (2 C_i),
// keeping w = sum a_i y_i x_i, visiting the active rows in a random order per pass and shrinking rows whose bound is
// held; stops when the projected gradient's spread is <= tol over every row. Xt: one column per row (with the bias
// feature appended); cost: C_i per row (0 leaves the row out). A warm start (weights of Xt's length, from a
// neighbouring C) sets each dual variable to what the optimality conditions give for those weights,
// a_i = 2 C_i max(0, 1 - y_i x_i.w), and w to their sum: any a >= 0 is a feasible start, so the optimum is the same.
inline svc_solution solve_svc_dual(const matrix& Xt, const std::vector<double>& target, const std::vector<double>& cost,
                                   double tol, int max_iter, std::uint64_t seed, const vector* warm_start = nullptr) {
  const auto n = static_cast<std::size_t>(Xt.cols());
  svc_solution out;
  out.w = vector::Zero(Xt.rows());
  std::vector<double> alpha(n, 0.0), diag(n), qd(n);
  std::vector<std::size_t> active;
  active.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (cost[i] <= 0.0) continue;
    diag[i] = 0.5 / cost[i];
    qd[i] = diag[i] + Xt.col(static_cast<index>(i)).squaredNorm();
    active.push_back(i);
  }
  if (warm_start != nullptr) {
    for (const std::size_t i : active) {
      const auto xi = Xt.col(static_cast<index>(i));
      alpha[i] = std::max(0.0, 1.0 - target[i] * warm_start->dot(xi)) / diag[i];
      if (alpha[i] > 0.0) out.w.noalias() += (alpha[i] * target[i]) * xi;
    }
  }
  const std::size_t l = active.size();
  std::size_t active_size = l;
  double pg_max_old = std::numeric_limits<double>::infinity();
  std::mt19937_64 rng(seed);
  while (out.n_iter < max_iter) {
    double pg_max_new = -std::numeric_limits<double>::infinity();
    double pg_min_new = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < active_size; ++i) std::swap(active[i], active[i + rng() % (active_size - i)]);
    for (std::size_t s = 0; s < active_size; ++s) {
      const std::size_t i = active[s];
      const auto xi = Xt.col(static_cast<index>(i));
      const double yi = target[i];
      const double G = yi * out.w.dot(xi) - 1.0 + alpha[i] * diag[i];
      double pg = 0.0;
      if (alpha[i] == 0.0) {
        if (G > pg_max_old) {  // at its bound and likely to stay there: shrink
          --active_size;
          std::swap(active[s], active[active_size]);
          --s;
          continue;
        }
        if (G < 0.0) pg = G;
      } else {
        pg = G;
      }
      pg_max_new = std::max(pg_max_new, pg);
      pg_min_new = std::min(pg_min_new, pg);
      if (std::abs(pg) > 1e-12) {
        const double old = alpha[i];
        alpha[i] = std::max(alpha[i] - G / qd[i], 0.0);
        out.w.noalias() += ((alpha[i] - old) * yi) * xi;
      }
    }
    ++out.n_iter;
    if (pg_max_new - pg_min_new <= tol) {
      if (active_size == l) {
        out.converged = true;
        break;
      }
      active_size = l;  // check the shrunk rows too before stopping
      pg_max_old = std::numeric_limits<double>::infinity();
      continue;
    }
    pg_max_old = pg_max_new <= 0.0 ? std::numeric_limits<double>::infinity() : pg_max_new;  // (no upper bound to
    // shrink at: the squared hinge's dual variables are unbounded above)
  }
  return out;
}

template <class Deferred = void>
linear_svc::fitted fit_linear_svc(const linear_svc& spec, const matrix_view& X, const vector_view& y,
                                  const vector* sample_weight, const linear_svc::fitted* previous = nullptr) {
  constexpr std::string_view kind = linear_svc::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(kind, X, *sample_weight);
  const auto codes = shared_class_labels(kind, y);  // once per split in a search
  const label_codes& e = *codes;
  const index n = X.rows();
  const index p = X.cols();
  for (index j = 0; j < p; ++j) {
    if (!std::isfinite(X.col(j).squaredNorm()))
      throw_too_large(kind, j, X.col(j).cwiseAbs().maxCoeff(), "sum of squares", "values below 1e150 in magnitude");
  }
  matrix Xt(p + (spec.fit_intercept ? 1 : 0), n);  // one column per row: the solver reads rows
  Xt.topRows(p) = X.transpose();
  if (spec.fit_intercept) Xt.row(p).setConstant(spec.intercept_scaling);

  // liblinear's weights: a row of the positive class costs C times its class's weight; with two classes a negative
  // row its own class's, with more (one-vs-rest) plain C; both times the row's sample weight.
  const std::vector<double> per_class = class_weights_of(kind, spec.class_weight, e.classes, e.codes);
  const index K = e.classes.size();
  const index outputs = K == 2 ? 1 : K;
  if (previous != nullptr) {
    const bool same_classes = previous->classes().size() == K && previous->classes() == e.classes;
    if (!same_classes || previous->coef().rows() != outputs || previous->coef().cols() != p ||
        previous->intercept().size() != outputs || !previous->coef().allFinite() ||
        !previous->intercept().allFinite()) {
      throw invalid_input("the warm start has " + std::to_string(previous->coef().rows()) + " x " +
                              std::to_string(previous->coef().cols()) + " coefficients for " +
                              std::to_string(previous->classes().size()) + " classes; expected " +
                              std::to_string(outputs) + " x " + std::to_string(p) +
                              " finite coefficients for the same " + std::to_string(K) + " classes",
                          kind);
    }
  }
  matrix coef(outputs, p);
  vector intercept = vector::Zero(outputs);
  std::vector<double> target(static_cast<std::size_t>(n)), cost(static_cast<std::size_t>(n));
  index n_iter = 0;
  bool converged = true;
  for (index k = 0; k < outputs; ++k) {
    const index positive = K == 2 ? 1 : k;
    for (std::size_t i = 0; i < target.size(); ++i) {
      const index c = e.codes[i];
      target[i] = c == positive ? 1.0 : -1.0;
      const double class_factor = c == positive || K == 2 ? per_class[static_cast<std::size_t>(c)] : 1.0;
      cost[i] = spec.C * class_factor * (sample_weight != nullptr ? (*sample_weight)(static_cast<index>(i)) : 1.0);
    }
    vector start;
    if (previous != nullptr) {  // the previous weights, the bias as this fit's constant feature carries it
      start = vector::Zero(Xt.rows());
      start.head(p) = previous->coef().row(k).transpose();
      if (spec.fit_intercept) start(p) = previous->intercept()(k) / spec.intercept_scaling;
    }
    const svc_solution s = solve_svc_dual(Xt, target, cost, spec.tol, spec.max_iter,
                                          static_cast<std::uint64_t>(spec.seed) * 1000003u + static_cast<std::uint64_t>(k),
                                          previous != nullptr ? &start : nullptr);
    coef.row(k) = s.w.head(p).transpose();
    if (spec.fit_intercept) intercept(k) = spec.intercept_scaling * s.w(p);
    n_iter = std::max(n_iter, s.n_iter);
    converged = converged && s.converged;
  }
  if (!coef.allFinite() || !intercept.allFinite()) {
    throw invalid_input("the coefficients overflowed; expected features of moderate scale (standardize them first, "
                        "e.g. with standard_scaler)",
                        kind);
  }
  return linear_svc::fitted(spec, e.classes, std::move(coef), std::move(intercept), n_iter, converged);
}

}  // namespace detail

template <class Deferred>
linear_svc::fitted linear_svc::fit(const matrix_view& X, const vector_view& y) const {
  return detail::fit_linear_svc<Deferred>(*this, X, y, nullptr);
}

template <class Deferred>
linear_svc::fitted linear_svc::fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  return detail::fit_linear_svc<Deferred>(*this, X, y, &sw);
}

template <class Deferred>
linear_svc::fitted linear_svc::fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const {
  return detail::fit_linear_svc<Deferred>(*this, X, y, nullptr, &previous);
}

}  // namespace mlpipe
