#pragma once

#include <algorithm>    // std::max, std::min
#include <any>
#include <cmath>        // std::exp, std::log, std::log1p, std::abs, std::isfinite
#include <cstddef>
#include <cstdint>      // std::uint8_t
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <array>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/allocate.hpp"  // new_matrix, recycle_matrix
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/linalg.hpp"  // cholesky_in_place
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/reuse.hpp"  // warm_chain_scope
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"

namespace mlpipe {

// penalty -- the penalty on a linear model's coefficients (scikit-learn's penalty).
enum class penalty {
  l2,          // ||W||^2 / 2
  l1,          // ||W||_1: many coefficients exactly 0
  elasticnet,  // l1_ratio ||W||_1 + (1 - l1_ratio) ||W||^2 / 2
  none         // no penalty: plain maximum likelihood (may diverge on separable data)
};

template <>
struct enum_names<penalty> {
  static constexpr std::array values{std::pair{penalty::l2, std::string_view("l2")},
                                     std::pair{penalty::l1, std::string_view("l1")},
                                     std::pair{penalty::elasticnet, std::string_view("elasticnet")},
                                     std::pair{penalty::none, std::string_view("none")}};
};

// logistic_regression -- penalized logistic regression, as scikit-learn's LogisticRegression: minimizes
// C * sum_i log_loss_i + the penalty (||W||^2 / 2 by default; intercepts not penalized), binary for two classes (one
// coefficient row; the positive class is classes()[1]) and multinomial (softmax) for three or more. The l2 and none
// penalties are solved to the exact optimum by Newton's method (L-BFGS when there are more than 1000 unknowns; with
// the l2 term, a fit on 10,000 rows or more starts from the optimum on every tenth row); l1 and elasticnet by
// proximal Newton (coordinate descent on each quadratic model; proximal gradient above 1000 unknowns), reaching the
// optimum that scikit-learn's saga approaches.
struct logistic_regression {
  static constexpr std::string_view kind = "logistic_regression";

  mlpipe::penalty penalty = mlpipe::penalty::l2;  // the penalty on the coefficients (not on the intercepts)
  double C = 1.0;             // inverse penalty strength: weight of the summed log loss against the penalty; > 0
  double l1_ratio = 0.5;      // elasticnet's share of the L1 term (penalty = elasticnet only); 0 <= l1_ratio <= 1
  bool fit_intercept = true;  // fit one unpenalized intercept per coefficient row
  int max_iter = 100;         // most solver iterations (Newton steps, or L-BFGS steps above 1000 unknowns); >= 1
  double tol = 1e-4;          // convergence test on the gradient: every |gradient entry| / C <= tol, i.e.
                              // scikit-learn's lbfgs gtol on its objective sum log_loss + ||W||^2 / (2C) (per unit
                              // of log loss); Newton then takes one last step, which squares the remaining error:
                              // on scikit-learn's reference problem the default ends 4e-16 (relative objective)
                              // from the optimum (L-BFGS, without that step: 8e-11); > 0
  mlpipe::class_weight class_weight = mlpipe::class_weight::none;  // weights of the classes in the log loss

  static constexpr auto params = std::tuple{param<"penalty">(&logistic_regression::penalty),
                                            param<"C">(&logistic_regression::C, greater_than(0.0)),
                                            param<"l1_ratio">(&logistic_regression::l1_ratio, between(0.0, 1.0)),
                                            param<"fit_intercept">(&logistic_regression::fit_intercept),
                                            param<"max_iter">(&logistic_regression::max_iter, at_least(1.0)),
                                            param<"tol">(&logistic_regression::tol, greater_than(0.0)),
                                            param<"class_weight">(&logistic_regression::class_weight,
                                                                  class_weight_range{})};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile the solvers
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row's log loss counts sample_weight times its class weight (weights >= 0), as scikit-learn's
  // fit(X, y, sample_weight).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  // A search fits candidates along C in ascending order, each starting from the last solution (see
  // mlpipe/core/reuse.hpp): the optimum is the same, Newton just needs fewer steps to reach it. In the search's chain
  // (warm_chain_scope), a two-class fit with the l2 or no penalty and unweighted rows also takes its first Newton
  // step from the previous fit's last Hessian, without a pass over the rows (logistic_predicted_start).
  static constexpr std::string_view warm_start_param = "C";
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous) const;
  // Recursive feature elimination fits on fewer features each round, each fit starting from the last model's
  // coefficients of the features kept: previous was fitted on more features, and X's column j is its column kept[j].
  template <class Deferred = void>
  fitted fit_warm(const matrix_view& X, const vector_view& y, const fitted& previous,
                  std::span<const index> kept) const;
};

namespace detail {

// log(1 + exp(z)) for any z, without overflow.
inline double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

// 1 / (1 + exp(-z)) for any z, without overflow and with full relative precision on both tails.
inline double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Replaces scores by their softmax, in place (subtracting the largest score first, so nothing overflows; scores
// that overflowed to +inf share the probability).
inline void softmax_in_place(std::span<double> z) {
  double top = z[0];
  for (const double v : z) top = std::max(top, v);
  double sum = 0.0;
  if (top == std::numeric_limits<double>::infinity()) {
    for (double& v : z) sum += (v = v == top ? 1.0 : 0.0);
  } else {
    for (double& v : z) sum += (v = std::exp(v - top));
  }
  for (double& v : z) v /= sum;
}

}  // namespace detail

class logistic_regression::fitted {
 public:
  static constexpr std::string_view kind = logistic_regression::kind;
  static constexpr int schema_version = 3;  // 2: params penalty and l1_ratio; 3: class_weight
  // Files of versions 1 and 2 load: the parameters added since take their defaults (penalty l2, class_weight none),
  // which is what those versions fitted.
  static constexpr int oldest_schema_version = 1;
  // The schema version that added each parameter (see mlpipe/io/serialize.hpp's oldest_schema_version).
  static constexpr int param_since(std::string_view name) {
    return name == "penalty" || name == "l1_ratio" ? 2 : (name == "class_weight" ? 3 : 1);
  }

  fitted() = default;  // an empty shell for load() to fill
  fitted(logistic_regression spec, vector classes, matrix coef, vector intercept, index n_iter, bool converged)
      : spec_(spec), classes_(std::move(classes)), coef_(std::move(coef)), intercept_(std::move(intercept)),
        n_iter_(n_iter), converged_(converged) {}

  const logistic_regression& spec() const { return spec_; }
  // The labels seen in y at fit, ascending; predict returns these values.
  const vector& classes() const { return classes_; }
  // scikit-learn's coef_: 1 row for two classes (scores for classes()[1]), one row per class otherwise; one
  // column per input feature.
  const matrix& coef() const { return coef_; }
  // One intercept per row of coef() (zeros when !fit_intercept; summing to zero for three or more classes).
  const vector& intercept() const { return intercept_; }
  // Solver iterations taken (Newton or L-BFGS steps) on all rows; a large cold fit's start, a tenth of the rows'
  // optimum (detail::logistic_presolve), is not counted.
  index n_iter() const { return n_iter_; }
  // Whether the solver met its tolerance within max_iter iterations.
  bool converged() const { return converged_; }
  index n_features_in() const { return coef_.cols(); }

  // Scores X coef^T + intercept: n x 1 (the positive class's log-odds) for two classes, n x K otherwise.
  matrix decision_function(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix scores(X.rows(), coef_.rows());
    scores.noalias() = X * coef_.transpose();  // not detail::multiply: a Ref would copy the transpose per call
    scores.rowwise() += intercept_.transpose();
    return scores;
  }

  // The most probable class's label per row (the first of tied classes, as numpy's argmax).
  vector predict(const matrix_view& X) const {
    const matrix scores = decision_function(X);
    vector labels(X.rows());
    for (index i = 0; i < X.rows(); ++i) {
      if (binary()) {
        labels(i) = classes_(scores(i, 0) > 0.0 ? 1 : 0);
      } else {
        index best = 0;
        scores.row(i).maxCoeff(&best);
        labels(i) = classes_(best);
      }
    }
    return labels;
  }

  // Class probabilities, one column per class in classes() order; rows sum to 1.
  matrix predict_proba(const matrix_view& X) const {
    const matrix scores = decision_function(X);
    if (binary()) {
      matrix proba(X.rows(), 2);
      for (index i = 0; i < X.rows(); ++i) {
        proba(i, 0) = detail::sigmoid(-scores(i, 0));
        proba(i, 1) = detail::sigmoid(scores(i, 0));
      }
      return proba;
    }
    matrix by_row = scores.transpose();  // one contiguous column of K scores per row
    for (index i = 0; i < by_row.cols(); ++i)
      detail::softmax_in_place(std::span<double>(by_row.col(i).data(), static_cast<std::size_t>(by_row.rows())));
    return by_row.transpose();
  }

  // One row, no allocation: the predicted label.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return detail::label_of_scores(classes_, coef_.rows(), [&](index k) { return score(row, k); });
  }

  // One row, no allocation: one probability per class into out (classes().size() values, classes() order).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const {
    detail::check_row(kind, row, n_features_in());
    if (static_cast<index>(out.size()) != classes_.size()) {
      throw invalid_input("out has " + std::to_string(out.size()) + " values but the model has " +
                              std::to_string(classes_.size()) + " classes; expected " +
                              std::to_string(classes_.size()) + " values",
                          kind);
    }
    if (binary()) {
      const double s = score(row, 0);
      out[0] = detail::sigmoid(-s);
      out[1] = detail::sigmoid(s);
      return;
    }
    for (index k = 0; k < coef_.rows(); ++k) out[static_cast<std::size_t>(k)] = score(row, k);
    detail::softmax_in_place(out);
  }

  // Throws mlpipe::load_error naming the first broken invariant of the learned state: classes sorted, distinct,
  // finite and at least two; coef with 1 row for two classes or one per class, and a column per input feature;
  // one intercept per row (0 without fit_intercept); all finite; 0 <= n_iter <= max_iter. load() runs it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_classes(kind, "state.classes", classes_);
    const bool two = classes_.size() == 2;
    detail::check_state_size(kind, "state.coef", coef_.rows(), two ? 1 : classes_.size(),
                             two ? "a single row for two classes" : "one per class", "row", "rows");
    detail::check_state_not_empty(kind, "state.coef", coef_.cols(), "a column per input feature");
    detail::check_state_size(kind, "state.intercept", intercept_.size(), coef_.rows(), "one per row of state.coef");
    detail::check_state_values(kind, "state.coef", coef_);
    detail::check_state_values(kind, "state.intercept", intercept_);
    if (!spec_.fit_intercept) {
      for (index k = 0; k < intercept_.size(); ++k) {
        if (intercept_(k) != 0.0)
          detail::throw_invariant(kind, "state.intercept[" + std::to_string(k) + "] = " +
                                            format_double(intercept_(k)) + " but fit_intercept = false; expected 0");
      }
    }
    detail::check_state_count(kind, "state.n_iter", n_iter_, 0, spec_.max_iter, "max_iter");
  }

  // Saves and loads the hyperparameters and the learned state (see mlpipe/io/serialize.hpp).
  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("coef", coef_);
    ar("intercept", intercept_);
    ar("n_iter", n_iter_);
    ar("converged", converged_);
  }

 private:
  bool binary() const { return classes_.size() == 2; }

  // Row k of coef() applied to one input row, plus its intercept.
  double score(std::span<const double> row, index k) const {
    return intercept_(k) + coef_.row(k).transpose().dot(Eigen::Map<const vector>(row.data(), coef_.cols()));
  }

  logistic_regression spec_;
  vector classes_;
  matrix coef_;
  vector intercept_;
  index n_iter_ = 0;
  bool converged_ = false;
};

namespace detail {

// Which algorithm fit_logistic uses; automatic is Newton up to logistic_newton_max_unknowns unknowns, else L-BFGS,
// and a cold Newton fit on logistic_presolve_min_rows rows or more starts from a subsample's optimum
// (logistic_presolve); newton is Newton from zero (or the warm start) alone.
enum class logistic_solver { automatic, newton, lbfgs };
inline constexpr index logistic_newton_max_unknowns = 1000;
inline constexpr index logistic_presolve_min_rows = 10000;  // a subsample of at least 1,000 rows
inline constexpr index logistic_presolve_stride = 10;       // the subsample: every tenth row

// The objective C * sum log_loss + ||W||^2 / 2 over a parameter vector theta made of one block per coefficient
// row, [w_k (n_features values), b_k (when fit_intercept)]. Binary problems have one block (scores for class 1);
// multinomial ones have one per class. evaluate() keeps what hessian() needs: the scores and probabilities
// (multinomial), the last point (binary, whose Hessian sums are usually made during the evaluation). It views X's
// memory, which must outlive it. Design is the type of that view (a template, so the objective is compiled only
// where a logistic regression is fitted).
template <class Design = Eigen::Map<const matrix, 0, Eigen::OuterStride<>>>
class logistic_objective {
 public:
  // l2: the weight of ||W||^2 / 2 (1 for the l2 penalty, 1 - l1_ratio for elasticnet, 0 for l1 and none; the L1
  // term is the proximal solver's business).
  // weights: each row's weight in the log loss (empty: every row weighs 1).
  logistic_objective(const matrix_view& X, const std::vector<index>& labels, index n_classes, double C,
                     bool fit_intercept, double l2 = 1.0, std::vector<double> weights = {})
      : X_(X.data(), X.rows(), X.cols(), Eigen::OuterStride<>(X.outerStride())),
        labels_(n_classes > 2 ? labels : std::vector<index>()),
        weights_(std::move(weights)), n_classes_(n_classes), C_(C), fit_intercept_(fit_intercept), l2_(l2),
        scores_(multinomial() ? X.rows() : 0, n_outputs()), residual_(multinomial() ? X.rows() : 0, n_outputs()),
        proba_(multinomial() ? X.rows() : 0, n_outputs()) {
    if (multinomial()) return;
    const index b = std::min(X.rows(), rows_per_block);
    block_scores_.resize(b);
    block_weight_.resize(b);
    block_residual_.resize(b);
    positive_.resize(labels.size());  // two classes: one byte a row replaces the class indices
    for (std::size_t i = 0; i < positive_.size(); ++i) positive_[i] = labels[i] == 1 ? 1 : 0;
    if (weights_.empty()) {
      block_sign_.resize(b);
      near_one_.resize(b);
      near_zero_.resize(b);
    }
  }

  index n_outputs() const { return n_classes_ == 2 ? 1 : n_classes_; }
  index block() const { return X_.cols() + (fit_intercept_ ? 1 : 0); }
  index size() const { return n_outputs() * block(); }
  bool multinomial() const { return n_classes_ > 2; }
  bool fit_intercept() const { return fit_intercept_; }

  // The objective at theta; with grad, also its gradient.
  double evaluate(const vector& theta, vector* grad) {
    if (!multinomial()) return evaluate_binary(theta, grad);
    const index p = X_.cols();
    const index n = X_.rows();
    const Eigen::Map<const matrix> T(theta.data(), block(), n_outputs());
    multiply(scores_, X_, T.topRows(p));
    if (fit_intercept_) scores_.rowwise() += T.row(p);
    double loss = 0.0;
    for (index i = 0; i < n; ++i) {
      const double top = scores_.row(i).maxCoeff();
      const double sum = (scores_.row(i).array() - top).exp().sum();
      const double log_sum_exp = top + std::log(sum);
      const index yi = labels_[static_cast<std::size_t>(i)];
      const double wi = row_weight(i);  // 1 without weights: the same bits
      loss += wi * (log_sum_exp - scores_(i, yi));
      proba_.row(i) = (scores_.row(i).array() - log_sum_exp).exp();
      residual_.row(i) = proba_.row(i);
      residual_(i, yi) -= 1.0;
      residual_.row(i) *= wi;
    }
    if (grad != nullptr) {
      grad->resize(size());
      Eigen::Map<matrix> G(grad->data(), block(), n_outputs());
      multiply_transposed(G.topRows(p), X_, residual_, C_);
      G.topRows(p) += l2_ * T.topRows(p);  // l2_ = 1 leaves the l2 path's bits as they were
      if (fit_intercept_) G.row(p) = C_ * residual_.colwise().sum();
    }
    return C_ * loss + 0.5 * l2_ * T.topRows(p).squaredNorm();
  }

  // The Hessian at the point last passed to evaluate().
  void hessian(matrix& H) {
    const index p = X_.cols();
    const index n = X_.rows();
    const index B = block();
    H.setZero(size(), size());
    if (!multinomial()) {
      // C [X 1]^T diag(weight) [X 1] plus the penalty. The sums over the rows are usually ready: evaluate() adds
      // them up while each block of rows is in cache (when Newton asked for it); else one more evaluation at the
      // last point sums them (the weights are kept a block at a time, not for every row).
      if (!hessian_ready_) {
        const bool fused = fuse_hessian_;
        fuse_hessian_ = true;
        vector unused;
        evaluate_binary(vector(last_theta_), &unused);
        fuse_hessian_ = fused;
      }
      H.topLeftCorner(p, p).template triangularView<Eigen::Lower>() = C_ * hessian_sums_.topLeftCorner(p, p);
      H.topLeftCorner(p, p).template triangularView<Eigen::StrictlyUpper>() = H.topLeftCorner(p, p).transpose();
      if (fit_intercept_) {
        H.row(p).head(p) = C_ * hessian_sums_.row(p).head(p);
        H.col(p).head(p) = H.row(p).head(p).transpose();
        H(p, p) = C_ * hessian_sums_(p, p);
      }
      H.topLeftCorner(p, p).diagonal().array() += l2_;  // the penalty l2 ||w||^2 / 2
      return;
    }
    vector weight(n);
    matrix weighted_X(n, p);
    for (index k = 0; k < n_outputs(); ++k) {
      for (index l = 0; l <= k; ++l) {
        // p_k (delta_kl - p_l); on the diagonal 1 - p_k is summed from the other classes, without cancellation.
        for (index i = 0; i < n; ++i) {
          if (k != l) {
            weight(i) = -proba_(i, k) * proba_(i, l);
          } else {
            double others = 0.0;
            for (index j = 0; j < n_classes_; ++j) others += j == k ? 0.0 : proba_(i, j);
            weight(i) = proba_(i, k) * others;
          }
          weight(i) *= row_weight(i);
        }
        weighted_X.noalias() = weight.asDiagonal() * X_;
        auto hkl = H.block(k * B, l * B, B, B);
        multiply_transposed(hkl.topLeftCorner(p, p), X_, weighted_X, C_);
        if (fit_intercept_) {
          hkl.col(p).head(p) = C_ * weighted_X.colwise().sum().transpose();
          hkl.row(p).head(p) = hkl.col(p).head(p).transpose();
          hkl(p, p) = C_ * weight.sum();
        }
        if (l != k) H.block(l * B, k * B, B, B) = hkl.transpose();
      }
      H.block(k * B, k * B, p, p).diagonal().array() += l2_;  // the penalty l2 ||w_k||^2 / 2
    }
  }

  // Newton's solvers call this: evaluate() with a gradient then also sums the Hessian (binary problems), while each
  // block of rows is in cache, so hessian() needs no pass over X of its own. Off (on = false) for the evaluations of
  // a last step, whose Hessian no one reads.
  void sum_hessian_in_evaluate(bool on = true) { fuse_hessian_ = on && !multinomial(); }

 private:
  static constexpr index rows_per_block = 2048;  // rows whose products stay in cache between two passes

  // Designs of this many bytes or more have their next block of rows fetched from memory while the Hessian sums the
  // current one: beyond what a core's caches keep from one pass to the next, the first read of each block would
  // wait on memory (6% of the scaling search at 200,000 rows).
  static constexpr index prefetch_min_bytes = index{4} << 20;

  // hessian_sums_ += [rows 1]^T D [rows 1] on its lower triangle, D = diag(weights): each weighted product of two
  // columns read where the block lies (a column of ones for the intercept), half the work of the full product.
  // next_start: the first row of the next block (X_.rows() after the last), which it asks the memory for.
  template <class Rows, class Weights>
  void add_hessian_block(const Rows& rows, const Weights& weights, index next_start) {
    const index p = X_.cols();
    columns_.resize(static_cast<std::size_t>(p + 1));
    for (index j = 0; j < p; ++j) columns_[static_cast<std::size_t>(j)] = rows.col(j).data();
    if (fit_intercept_) {
      if (ones_.size() < rows.rows()) ones_ = vector::Ones(rows_per_block);
      columns_[static_cast<std::size_t>(p)] = ones_.data();
    }
    const index m = fit_intercept_ ? p + 1 : p;
    prefetch_lines ahead;
    const index next_rows = std::min(rows_per_block, X_.rows() - next_start);
    if (next_rows > 0 && X_.size() * static_cast<index>(sizeof(double)) >= prefetch_min_bytes) {
      next_columns_.resize(static_cast<std::size_t>(p));
      for (index j = 0; j < p; ++j) next_columns_[static_cast<std::size_t>(j)] = X_.col(j).data() + next_start;
      ahead = prefetch_lines(next_columns_.data(), p, next_rows);
    }
    add_weighted_gram_lower(hessian_sums_.topLeftCorner(m, m), columns_.data(), weights.data(), rows.rows(), &ahead);
  }

  // Two classes: the scores, the loss, the residuals, the Hessian's weights and the gradient, a block of rows at a
  // time, so X is read from memory once (its block stays in cache from the scores to the gradient). One exponential
  // per row, e = exp(-|z|), gives the loss softplus(+-z) = max(+-z, 0) + log1p(e), sigmoid(z), sigmoid(-z) and the
  // weight; exp and log1p run over each block's column (exp vectorized by Eigen).
  double evaluate_binary(const vector& theta, vector* grad) {
    const index p = X_.cols();
    const index n = X_.rows();
    last_theta_ = theta;
    const auto w = theta.head(p);
    const double intercept = fit_intercept_ ? theta(p) : 0.0;
    vector part(p);
    if (grad != nullptr) grad->setZero(size());
    hessian_ready_ = fuse_hessian_ && grad != nullptr;
    if (hessian_ready_) hessian_sums_.setZero(p + 1, p + 1);
    double loss = 0.0;
    for (index start = 0; start < n; start += rows_per_block) {
      const index b = std::min(rows_per_block, n - start);
      const auto rows = X_.middleRows(start, b);
      auto z = block_scores_.head(b);
      auto e = block_weight_.head(b);
      auto r = block_residual_.head(b);
      multiply(z, rows, w);
      z.array() += intercept;
      e = (-z.array().abs()).exp();
      if (weights_.empty()) {
        // With s = +1 for class 0 and -1 for class 1: the hinge max(s z, 0) and p - y = s sigmoid(|z|) where s z > 0,
        // else s sigmoid(-|z|) (exactly); in array form, so it vectorizes. s is made for the block from one byte a
        // row (arithmetic, not a branch on the label; exact: 1 - 2 = -1), so a pass reads 1 byte of labels a row
        // instead of 8.
        const std::uint8_t* positive = positive_.data() + start;
        for (index i = 0; i < b; ++i) block_sign_(i) = 1.0 - 2.0 * static_cast<double>(positive[i]);
        const auto s = block_sign_.head(b).array();
        auto near_one = near_one_.head(b).array();   // sigmoid(|z|)
        auto near_zero = near_zero_.head(b).array();  // sigmoid(-|z|)
        near_one = 1.0 / (1.0 + e.array());
        near_zero = e.array() * near_one;
        loss += e.array().log1p().sum() + (s * z.array()).max(0.0).sum();
        r.array() = s * (s * z.array() > 0.0).select(near_one, near_zero);
        e.array() = near_one * near_zero;
      } else {
        for (index i = 0; i < b; ++i) {
          const double zi = z(i);
          const bool positive = positive_[static_cast<std::size_t>(start + i)] != 0;
          const double near_one = 1.0 / (1.0 + e(i));  // sigmoid(|z|)
          const double near_zero = e(i) * near_one;    // sigmoid(-|z|)
          const double hinge = std::max(positive ? -zi : zi, 0.0);
          const double wi = weights_[static_cast<std::size_t>(start + i)];
          r(i) = wi * (positive ? -(zi <= 0 ? near_one : near_zero) : (zi >= 0 ? near_one : near_zero));  // p - y
          loss += wi * (hinge + std::log1p(e(i)));
          e(i) = wi * (near_one * near_zero);
        }
      }
      if (grad != nullptr) {
        multiply_transposed(part, rows, r);
        grad->head(p) += part;
        if (fit_intercept_) (*grad)(p) += r.sum();
      }
      if (hessian_ready_) add_hessian_block(rows, e, start + b);
    }
    if (grad != nullptr) {
      *grad *= C_;
      grad->head(p) += l2_ * w;  // l2_ = 1 leaves the l2 path's bits as they were
    }
    return C_ * loss + 0.5 * l2_ * w.squaredNorm();
  }

  double row_weight(index i) const { return weights_.empty() ? 1.0 : weights_[static_cast<std::size_t>(i)]; }

  Design X_;
  std::vector<index> labels_;  // class index of each row (multinomial only; two classes keep positive_)
  std::vector<double> weights_;  // each row's weight in the loss (empty: 1)
  index n_classes_;
  double C_;
  bool fit_intercept_;
  double l2_;
  matrix scores_;    // X W^T + b at the last evaluated point (multinomial only)
  matrix residual_;  // probabilities minus one-hot targets there (multinomial only)
  matrix proba_;     // the class probabilities there (multinomial only)
  // Two classes: the scores, the Hessian's weights p (1 - p) and the residuals p - y of one block of rows at a time,
  // so a pass over X writes no n-long arrays (at 200,000 rows they would be as much memory traffic as X itself).
  vector block_scores_, block_weight_, block_residual_;
  vector last_theta_;  // the last evaluated point (binary only)
  std::vector<std::uint8_t> positive_;  // 1 for class 1, 0 for class 0 (binary only)
  vector block_sign_;  // +1 for class 0, -1 for class 1, on a block of rows
  vector near_one_;   // sigmoid(|z|) on a block of rows
  vector near_zero_;  // sigmoid(-|z|) on a block of rows
  bool fuse_hessian_ = false;   // evaluate() with a gradient also sums the Hessian (binary only)
  bool hessian_ready_ = false;  // hessian_sums_ holds the sums at the last evaluated point
  matrix hessian_sums_;  // lower triangle of [X 1]^T D [X 1] (binary only; without the factor C)
  std::vector<const double*> columns_;  // the columns of a block of rows, then a column of ones (the intercept)
  vector ones_;                         // that column of ones
  std::vector<const double*> next_columns_;  // the columns of the next block of rows (prefetched)
};

// Where Newton ended on two classes: its last iterate before the final step (which it takes without a pass over X),
// with the gradient, Hessian and objective there. The next fit of a chain along C predicts its first step from it
// (logistic_predicted_start).
struct newton_end {
  vector theta;
  vector gradient;
  matrix hessian;
  double value = 0.0;
};

// What the solvers return: the parameters in logistic_objective's layout, iterations taken, and convergence.
struct logistic_solution {
  vector theta;
  index n_iter = 0;
  bool converged = false;
  std::optional<newton_end> end;  // Newton on two classes, when it ended with its final step
};

// A start for Newton predicted without a pass over X (logistic_predicted_start): kept when the objective there is
// below the fallback's (the warm start's, predicted) by the Armijo margin of the predicted step, as a line search
// from the fallback would keep it; else Newton starts from the fallback.
struct logistic_start {
  vector theta;
  double fallback_value = 0.0;  // the objective at the fallback, from the previous fit's quadratic model
  double slope = 0.0;           // gradient . step at the fallback (< 0)
};

// What the solvers throw when the loss or its derivatives overflow (rather than return NaN coefficients);
// fit_logistic turns it into an invalid_input that names the culprit column.
struct logistic_overflow {};

[[noreturn]] inline void throw_logistic_overflow() { throw logistic_overflow{}; }

// The error for an overflow of the solver on X: it names the column of largest magnitude when that is beyond
// large_magnitude (its squares are what overflowed), else X as a whole.
[[noreturn]] inline void throw_logistic_overflow(const matrix_view& X) {
  index column = 0;
  const double largest = X.cwiseAbs().colwise().maxCoeff().maxCoeff(&column);
  const std::string culprit = largest > large_magnitude ? "X column " + std::to_string(column) +
                                                              " has values too large in magnitude (up to " +
                                                              format_double(largest) + ")"
                                                        : "X is too large in magnitude";
  throw invalid_input(culprit + ": the log loss or its derivatives overflowed; expected features of moderate scale "
                                "(standardize them first, e.g. with standard_scaler)",
                      logistic_regression::kind);
}

// Sets the multinomial intercepts to sum to zero: they are defined only up to a common constant.
template <class Objective>
void centre_intercepts(const Objective& f, vector& theta) {
  if (!f.multinomial() || !f.fit_intercept()) return;
  Eigen::Map<matrix> T(theta.data(), f.block(), f.n_outputs());
  const index p = f.block() - 1;
  T.row(p).array() -= T.row(p).mean();
}

// Armijo's test: a step with directional derivative slope (< 0) from an objective value led to value_new with
// gradient g_new; it is kept when both are finite and the objective fell by at least 1e-4 |slope| (up to rounding of
// the objective).
inline bool armijo_accepts(double value, double slope, double value_new, const vector& g_new) {
  const double rounding = 16.0 * std::numeric_limits<double>::epsilon() * std::abs(value);
  return std::isfinite(value_new) && g_new.allFinite() && value_new <= value + 1e-4 * slope + rounding;
}

// Armijo backtracking from a full step along d: theta_new = theta + t d passing armijo_accepts. Returns false when
// 60 halvings find no such step.
template <class Objective>
bool armijo_step(Objective& f, const vector& theta, double value, const vector& g, const vector& d, vector& theta_new,
                 double& value_new, vector& g_new) {
  const double slope = g.dot(d);
  double t = 1.0;
  for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
    theta_new = theta + t * d;
    value_new = f.evaluate(theta_new, &g_new);
    if (armijo_accepts(value, t * slope, value_new, g_new)) return true;
  }
  return false;
}

// Newton's method: Cholesky factorization of the Hessian, Armijo backtracking. Once |gradient|_max <= tol * C it
// takes one last step (that squares the remaining error, for the price of one Hessian) and stops, converged; so it
// does when the Newton decrement says the objective is optimal to rounding before the gradient test can hold.
// With a predicted start, Newton tries it first (one evaluation, which becomes its first iteration's when kept; the
// predicted step is not counted in n_iter: it read no row).
template <class Objective>
logistic_solution newton_logistic(Objective& f, vector theta, double C, double tol, int max_iter,
                                  const logistic_start* predicted = nullptr) {
  const index m = f.size();
  vector g(m), g_new(m), d(m), theta_new(m);
  matrix H, L;
  f.sum_hessian_in_evaluate();
  double value = 0.0;
  bool started = false;
  if (predicted != nullptr && predicted->theta.size() == m) {
    value = f.evaluate(predicted->theta, &g);
    started = armijo_accepts(predicted->fallback_value, predicted->slope, value, g);
    if (started) theta = predicted->theta;
  }
  if (!started) value = f.evaluate(theta, &g);
  if (!std::isfinite(value) || !g.allFinite()) throw_logistic_overflow();
  logistic_solution out;
  const index B = f.block();
  const index n_out = f.n_outputs();
  bool met = g.cwiseAbs().maxCoeff() <= tol * C;  // the gradient test holds at theta
  while (true) {
    if (out.n_iter >= max_iter) {
      out.converged = met;
      break;
    }
    f.hessian(H);
    if (!H.allFinite()) throw_logistic_overflow();
    if (f.multinomial() && f.fit_intercept()) {
      // Adding one constant to every intercept changes nothing, so H is singular along u = (those entries) / sqrt(K).
      // g is orthogonal to u, hence (H + s u u^T) d = -g has the same solution d as H d = -g restricted to u's
      // complement: the step is unchanged and the system is regular.
      double s = 1.0;
      for (index k = 0; k < n_out; ++k) s = std::max(s, H(k * B + B - 1, k * B + B - 1));
      for (index k = 0; k < n_out; ++k)
        for (index l = 0; l < n_out; ++l) H(k * B + B - 1, l * B + B - 1) += s / static_cast<double>(n_out);
    }
    // A saturated fit can make an unpenalized direction numerically flat: shift the diagonal until the Cholesky
    // factorization succeeds.
    const double scale = std::max(1.0, H.diagonal().cwiseAbs().maxCoeff());
    double shift = 0.0;
    bool newton_direction = false;
    for (int attempt = 0; attempt < 12; ++attempt) {
      L = H;
      if (cholesky_in_place(L)) {
        d = -g;
        cholesky_solve_in_place(L, d);
        if (d.allFinite() && g.dot(d) < 0.0) {
          newton_direction = true;
          break;
        }
      }
      const double next = shift == 0.0 ? scale * 1e-12 : shift * 100.0;
      H.diagonal().array() += next - shift;
      shift = next;
    }
    if (!newton_direction) d = -g;
    centre_intercepts(f, d);
    // -g.d is the squared Newton decrement, twice the predicted distance to the optimal objective: at rounding level
    // the objective cannot improve any more, even if rounding keeps the gradient above tol. Take this last step.
    if (newton_direction && -g.dot(d) <= 32.0 * std::numeric_limits<double>::epsilon() * std::abs(value)) met = true;
    if (met && newton_direction && shift == 0.0 &&
        d.cwiseAbs().maxCoeff() <= 1e-3 * std::max(1.0, theta.cwiseAbs().maxCoeff())) {
      // The last step, a short full Newton step from within the gradient test's tolerance: the quadratic model is
      // exact to rounding there and the unit step is the one a line search accepts, so take it without the pass
      // over X that would evaluate the objective at its end (nothing reads that value or gradient). A long step
      // (a nearly flat direction of a saturated, unpenalized fit) still goes through the line search.
      if (!f.multinomial()) out.end = newton_end{theta, g, H, value};
      theta += d;
      ++out.n_iter;
      out.converged = true;
      break;
    }
    if (met) f.sum_hessian_in_evaluate(false);  // the last step: no Hessian at its end
    double value_new = 0.0;
    if (!armijo_step(f, theta, value, g, d, theta_new, value_new, g_new)) {
      out.converged = met;
      break;
    }
    theta.swap(theta_new);
    g.swap(g_new);
    value = value_new;
    ++out.n_iter;
    if (met) {  // that was the last step
      out.converged = true;
      break;
    }
    met = g.cwiseAbs().maxCoeff() <= tol * C;
  }
  out.theta = std::move(theta);
  return out;
}

// L-BFGS (10 pairs of history) with Armijo backtracking, for problems too large for a dense Hessian. Stops when
// |gradient|_max <= tol * C.
template <class Objective>
logistic_solution lbfgs_logistic(Objective& f, vector theta, double C, double tol, int max_iter) {
  constexpr std::size_t memory = 10;
  const index m = f.size();
  vector g(m), g_new(m), d(m), theta_new(m);
  std::vector<vector> s_hist, y_hist;
  std::vector<double> rho_hist;
  std::vector<double> alpha(memory);
  double value = f.evaluate(theta, &g);
  if (!std::isfinite(value) || !g.allFinite()) throw_logistic_overflow();
  logistic_solution out;
  out.converged = g.cwiseAbs().maxCoeff() <= tol * C;
  while (!out.converged && out.n_iter < max_iter) {
    // Two-loop recursion: d = -H_k g with the inverse-Hessian estimate from the stored pairs.
    d = -g;
    const std::size_t stored = s_hist.size();
    for (std::size_t j = stored; j-- > 0;) {
      alpha[j] = rho_hist[j] * s_hist[j].dot(d);
      d -= alpha[j] * y_hist[j];
    }
    if (stored > 0) d *= s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm();
    else d /= std::max(1.0, g.norm());  // the first step is at most one unit long
    for (std::size_t j = 0; j < stored; ++j) d += (alpha[j] - rho_hist[j] * y_hist[j].dot(d)) * s_hist[j];
    double value_new = 0.0;
    if (!(g.dot(d) < 0.0) || !armijo_step(f, theta, value, g, d, theta_new, value_new, g_new)) {
      if (stored == 0) break;  // not even a steepest-descent step decreases the objective: stuck at rounding level
      s_hist.clear();          // forget the curvature estimate and retry along -g
      y_hist.clear();
      rho_hist.clear();
      continue;
    }
    vector s = theta_new - theta;
    vector y = g_new - g;
    const double sy = s.dot(y);
    if (sy > std::numeric_limits<double>::epsilon() * y.squaredNorm()) {
      if (s_hist.size() == memory) {
        s_hist.erase(s_hist.begin());
        y_hist.erase(y_hist.begin());
        rho_hist.erase(rho_hist.begin());
      }
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
    }
    theta.swap(theta_new);
    g.swap(g_new);
    value = value_new;
    ++out.n_iter;
    out.converged = g.cwiseAbs().maxCoeff() <= tol * C;
  }
  out.theta = std::move(theta);
  return out;
}

// The entries of theta (logistic_objective's layout) that the L1 term weighs: every coefficient, no intercept.
template <class Objective>
bool l1_penalized(const Objective& f, index j) {
  return !f.fit_intercept() || j % f.block() != f.block() - 1;
}

// The composite objective smooth + l1 * sum |theta_j| over the penalized entries.
template <class Objective>
double with_l1(const Objective& f, const vector& theta, double smooth, double l1) {
  double sum = 0.0;
  for (index j = 0; j < theta.size(); ++j)
    if (l1_penalized(f, j)) sum += std::abs(theta(j));
  return smooth + l1 * sum;
}

// The largest entry of the minimum-norm subgradient of the composite objective at theta (g: the smooth part's
// gradient there): 0 exactly at the optimum. It plays the gradient's role in the tol * C test.
template <class Objective>
double l1_optimality(const Objective& f, const vector& theta, const vector& g, double l1) {
  double worst = 0.0;
  for (index j = 0; j < theta.size(); ++j) {
    double v = std::abs(g(j));
    if (l1_penalized(f, j)) {
      if (theta(j) > 0.0) v = std::abs(g(j) + l1);
      else if (theta(j) < 0.0) v = std::abs(g(j) - l1);
      else v = std::max(v - l1, 0.0);
    }
    worst = std::max(worst, v);
  }
  return worst;
}

inline double soft_threshold(double u, double t) { return u > t ? u - t : (u < -t ? u + t : 0.0); }

// Proximal Newton for the smooth objective plus l1 * ||W||_1: each step minimizes the quadratic model (gradient and
// Hessian) plus the L1 term by coordinate descent, then backtracks on the composite objective (Armijo on its
// predicted decrease). Stops, as newton_logistic, one step after the subgradient test |.|_max <= tol * C holds, or
// when the predicted decrease is at rounding level.
template <class Objective>
logistic_solution proximal_newton_logistic(Objective& f, vector theta, double l1, double C, double tol,
                                           int max_iter) {
  const index m = f.size();
  vector g(m), g_new(m), d(m), Hd(m), theta_new(m);
  matrix H;
  f.sum_hessian_in_evaluate();
  double smooth = f.evaluate(theta, &g);
  if (!std::isfinite(smooth) || !g.allFinite()) throw_logistic_overflow();
  double value = with_l1(f, theta, smooth, l1);
  logistic_solution out;
  bool met = l1_optimality(f, theta, g, l1) <= tol * C;
  while (true) {
    if (out.n_iter >= max_iter) {
      out.converged = met;
      break;
    }
    f.hessian(H);
    if (!H.allFinite()) throw_logistic_overflow();
    const double floor = 1e-12 * std::max(1.0, H.diagonal().cwiseAbs().maxCoeff());  // a flat direction's curvature
    d.setZero();
    Hd.setZero();
    for (int sweep = 0; sweep < 10000; ++sweep) {
      double largest_change = 0.0;
      double largest = 0.0;
      for (index j = 0; j < m; ++j) {
        const double a = std::max(H(j, j), floor);
        const double u = theta(j) + d(j) - (g(j) + Hd(j)) / a;
        const double z = l1_penalized(f, j) ? soft_threshold(u, l1 / a) : u;
        const double delta = z - theta(j) - d(j);
        if (delta != 0.0) {
          d(j) += delta;
          Hd.noalias() += delta * H.col(j);
        }
        largest_change = std::max(largest_change, std::abs(delta));
        largest = std::max(largest, std::abs(theta(j) + d(j)));
      }
      if (largest_change <= 1e-13 * std::max(largest, 1e-300)) break;
    }
    centre_intercepts(f, d);
    const double predicted = g.dot(d) + with_l1(f, theta + d, 0.0, l1) - with_l1(f, theta, 0.0, l1);
    if (!(predicted < 0.0)) {  // no descent left: optimal to rounding
      out.converged = true;
      break;
    }
    if (-predicted <= 32.0 * std::numeric_limits<double>::epsilon() * std::abs(value)) met = true;
    if (met) f.sum_hessian_in_evaluate(false);  // the last step: no Hessian at its end
    const double rounding = 16.0 * std::numeric_limits<double>::epsilon() * std::abs(value);
    bool accepted = false;
    double t = 1.0;
    double smooth_new = 0.0;
    double value_new = 0.0;
    for (int halving = 0; halving < 60 && !accepted; ++halving, t *= 0.5) {
      theta_new = theta + t * d;
      smooth_new = f.evaluate(theta_new, &g_new);
      value_new = with_l1(f, theta_new, smooth_new, l1);
      accepted = std::isfinite(value_new) && g_new.allFinite() && value_new <= value + 1e-4 * t * predicted + rounding;
    }
    if (!accepted) {
      out.converged = met;
      break;
    }
    theta.swap(theta_new);
    g.swap(g_new);
    value = value_new;
    ++out.n_iter;
    if (met) {
      out.converged = true;
      break;
    }
    met = l1_optimality(f, theta, g, l1) <= tol * C;
  }
  out.theta = std::move(theta);
  return out;
}

// Accelerated proximal gradient (FISTA with a backtracked step 1 / L, restarted whenever the composite objective
// rises) for the L1 problems too large for a dense Hessian. Stops when the subgradient test |.|_max <= tol * C holds.
template <class Objective>
logistic_solution proximal_gradient_logistic(Objective& f, vector theta, double l1, double C, double tol,
                                             int max_iter) {
  const index m = f.size();
  vector g(m), gy(m), theta_new(m), y = theta;
  double smooth = f.evaluate(theta, &g);
  if (!std::isfinite(smooth) || !g.allFinite()) throw_logistic_overflow();
  double value = with_l1(f, theta, smooth, l1);
  logistic_solution out;
  double L = 1.0;
  double momentum = 1.0;
  out.converged = l1_optimality(f, theta, g, l1) <= tol * C;
  while (!out.converged && out.n_iter < max_iter) {
    const double smooth_y = f.evaluate(y, &gy);
    bool accepted = false;
    double smooth_new = 0.0;
    for (int doubling = 0; doubling < 200 && !accepted; ++doubling) {
      for (index j = 0; j < m; ++j) {
        const double u = y(j) - gy(j) / L;
        theta_new(j) = l1_penalized(f, j) ? soft_threshold(u, l1 / L) : u;
      }
      smooth_new = f.evaluate(theta_new, nullptr);
      const vector step = theta_new - y;
      const double bound = smooth_y + gy.dot(step) + 0.5 * L * step.squaredNorm() +
                           16.0 * std::numeric_limits<double>::epsilon() * std::abs(smooth_y);
      accepted = std::isfinite(smooth_new) && smooth_new <= bound;
      if (!accepted) L *= 2.0;
    }
    if (!accepted) break;
    const double value_new = with_l1(f, theta_new, smooth_new, l1);
    ++out.n_iter;
    if (value_new > value) {  // restart: drop the momentum and step from theta itself
      y = theta;
      momentum = 1.0;
      continue;
    }
    const double next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * momentum * momentum));
    y = theta_new + ((momentum - 1.0) / next) * (theta_new - theta);
    momentum = next;
    theta.swap(theta_new);
    value = value_new;
    smooth = f.evaluate(theta, &g);
    out.converged = l1_optimality(f, theta, g, l1) <= tol * C;
  }
  centre_intercepts(f, theta);
  out.theta = std::move(theta);
  return out;
}

// logistic_presolve -- the start of a cold Newton fit on many rows (l2 penalty, at least logistic_presolve_min_rows
// rows): the optimum of the same problem on every tenth row (itself started the same way), with C scaled by the
// ratio of rows so that the penalty weighs as much against the summed loss. From zero, Newton's first steps cross a
// long way at a full pass over X each (9 steps at 160,000 rows, where a warm start takes 3); from the subsample's
// optimum the full fit needs about 4, and the subsample's own steps cost a tenth. The solution is the same optimum,
// to the solver's tolerance. Every tenth row in order samples each class in proportion however the rows are sorted.
// Empty (start from zero) below the row count, without an l2 term (an unpenalized subsample can be separable and
// its optimum infinite), when the subsample lacks a class, or when its fit overflows.
template <class Deferred = void>
vector logistic_presolve(const matrix_view& X, const std::vector<index>& labels, const std::vector<double>& weights,
                         index n_classes, double C, bool fit_intercept, double l2, double tol, int max_iter) {
  const index n = X.rows();
  if (n < logistic_presolve_min_rows || !(l2 > 0.0)) return {};
  constexpr index stride = logistic_presolve_stride;
  const index m = (n + stride - 1) / stride;
  std::vector<index> labels_sub(static_cast<std::size_t>(m));
  std::vector<double> weights_sub(weights.empty() ? 0 : static_cast<std::size_t>(m));
  std::vector<char> present(static_cast<std::size_t>(n_classes), 0);
  for (index i = 0; i < m; ++i) {
    const auto row = static_cast<std::size_t>(i * stride);
    labels_sub[static_cast<std::size_t>(i)] = labels[row];
    present[static_cast<std::size_t>(labels[row])] = 1;
    if (!weights.empty()) weights_sub[static_cast<std::size_t>(i)] = weights[row];
  }
  for (const char p : present)
    if (p == 0) return {};
  const double C_sub = C * static_cast<double>(n) / static_cast<double>(m);
  matrix X_sub = new_matrix(m, X.cols());  // a search's matrix pool, on large data
  X_sub = X(Eigen::seqN(0, m, stride), Eigen::all);
  vector start = logistic_presolve(X_sub, labels_sub, weights_sub, n_classes, C_sub, fit_intercept, l2, tol, max_iter);
  vector theta;
  {
    logistic_objective<> sub(X_sub, labels_sub, n_classes, C_sub, fit_intercept, l2, std::move(weights_sub));
    if (start.size() != sub.size()) start = vector::Zero(sub.size());
    try {
      theta = newton_logistic(sub, std::move(start), C_sub, tol, max_iter).theta;
    } catch (const logistic_overflow&) {
      theta = vector();
    }
  }
  recycle_matrix(std::move(X_sub));
  if (theta.size() > 0 && theta.allFinite()) return theta;
  return {};
}

// What a fit of two classes leaves in its warm chain (core/reuse.hpp) for the next C: the rows it saw, its problem
// (the penalty's weight, the intercept; unweighted rows only) and where Newton ended.
struct logistic_chain_link {
  const double* X = nullptr;
  index rows = 0, cols = 0, stride = 0;
  const double* y = nullptr;
  double C = 0.0;
  double l2 = 0.0;
  bool fit_intercept = true;
  vector solution;  // the fitted parameters (theta), which the next fit's warm start must equal
  newton_end end;
};

// The first Newton step of the problem at C2 from the previous fit's solution theta_f (optimal at C1), without a pass
// over X: at theta_f, C1 times the loss's gradient is -l2 w (plus Newton's remaining error, taken from the last
// iterate's quadratic model), so the gradient at C2 is C2 / C1 times that plus l2 w, and the loss's Hessian is the
// last iterate's (whose distance to theta_f is a final step's: the model is exact to rounding). Empty when the
// Hessian is not positive definite there.
inline std::optional<logistic_start> logistic_predicted_start(const logistic_chain_link& link, double C2) {
  const newton_end& e = link.end;
  const index m = e.theta.size();
  const index p = link.fit_intercept ? m - 1 : m;
  const double C1 = link.C;
  vector penalized_k = e.theta;  // the penalty's gradient direction: w, and 0 for the intercept
  vector penalized_f = link.solution;
  if (link.fit_intercept) penalized_k(p) = penalized_f(p) = 0.0;
  matrix S = e.hessian;  // the loss's Hessian (without C and the penalty)
  S.topLeftCorner(p, p).diagonal().array() -= link.l2;
  S /= C1;
  const vector loss_gradient_k = (e.gradient - link.l2 * penalized_k) / C1;
  const vector step = link.solution - e.theta;
  const vector S_step = S * step;
  const vector loss_gradient_f = loss_gradient_k + S_step;
  const double loss_k = (e.value - 0.5 * link.l2 * penalized_k.squaredNorm()) / C1;
  const double loss_f = loss_k + loss_gradient_k.dot(step) + 0.5 * step.dot(S_step);
  const vector g2 = C2 * loss_gradient_f + link.l2 * penalized_f;
  matrix L = C2 * S;
  L.topLeftCorner(p, p).diagonal().array() += link.l2;
  if (!cholesky_in_place(L)) return std::nullopt;
  vector d = -g2;
  cholesky_solve_in_place(L, d);
  const double slope = g2.dot(d);
  if (!d.allFinite() || !(slope < 0.0)) return std::nullopt;
  return logistic_start{link.solution + d, C2 * loss_f + 0.5 * link.l2 * penalized_f.squaredNorm(), slope};
}

// The link a warm fit's chain holds, when it is this fit's own previous one: the same rows and labels (by address
// and shape), the same problem up to C, and the warm start theta its solution.
inline const logistic_chain_link* logistic_previous_link(const matrix_view& X, const vector_view& y, double l2,
                                                         bool fit_intercept, const vector& theta) {
  const warm_chain_scope* chain = warm_chain_scope::current();
  if (chain == nullptr) return nullptr;
  const auto* link = std::any_cast<logistic_chain_link>(&chain->state);
  if (link == nullptr || link->X != X.data() || link->rows != X.rows() || link->cols != X.cols() ||
      link->stride != X.outerStride() || link->y != y.data() || link->l2 != l2 || link->fit_intercept != fit_intercept ||
      link->solution.size() != theta.size() || link->solution != theta)
    return nullptr;
  return link;
}

// The parameters of a fitted model as a warm start for fit_logistic: coef() with intercept() as a last column.
inline matrix logistic_warm_start(const logistic_regression::fitted& f) {
  matrix start(f.coef().rows(), f.coef().cols() + 1);
  start << f.coef(), f.intercept();
  return start;
}

// fit_logistic -- logistic_regression::fit, optionally starting from given coefficients (a warm start along a grid
// of C values): warm_start is (1 for two classes, else K) x (n_features + 1), coef with the intercepts as the last
// column (ignored when !fit_intercept). solver forces Newton (without logistic_presolve) or L-BFGS (for tests);
// automatic picks by size.
template <class Deferred = void>
logistic_regression::fitted fit_logistic(const logistic_regression& spec, const matrix_view& X, const vector_view& y,
                                         const matrix* warm_start,
                                         logistic_solver solver = logistic_solver::automatic,
                                         const vector* sample_weight = nullptr) {
  constexpr std::string_view kind = logistic_regression::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(kind, X, *sample_weight);
  const auto codes = shared_class_labels(kind, y);  // once per split in a search
  const vector& classes = codes->classes;
  const std::vector<index>& labels = codes->codes;
  const index n_classes = classes.size();

  // The penalty as the weights of ||W||^2 / 2 (in the smooth objective) and of ||W||_1 (for the proximal solvers).
  double l2 = 1.0;
  double l1 = 0.0;
  if (spec.penalty == penalty::l1) {
    l2 = 0.0;
    l1 = 1.0;
  } else if (spec.penalty == penalty::elasticnet) {
    l2 = 1.0 - spec.l1_ratio;
    l1 = spec.l1_ratio;
  } else if (spec.penalty == penalty::none) {
    l2 = 0.0;
  }
  std::vector<double> weights = row_weights(kind, spec.class_weight, classes, labels, sample_weight);
  const bool chainable = weights.empty() && n_classes == 2 && l1 == 0.0;  // a warm chain may predict its steps
  const index p = X.cols();
  const index n_out = n_classes == 2 ? 1 : n_classes;
  const bool use_lbfgs = solver == logistic_solver::lbfgs ||
                         (solver == logistic_solver::automatic &&
                          n_out * (p + (spec.fit_intercept ? 1 : 0)) > logistic_newton_max_unknowns);
  vector presolved;
  if (solver == logistic_solver::automatic && !use_lbfgs && warm_start == nullptr && l1 == 0.0)
    presolved = logistic_presolve(X, labels, weights, n_classes, spec.C, spec.fit_intercept, l2, spec.tol,
                                  spec.max_iter);
  logistic_objective<> objective(X, labels, n_classes, spec.C, spec.fit_intercept, l2, std::move(weights));
  const index B = objective.block();
  vector theta = presolved.size() == objective.size() ? std::move(presolved) : vector(vector::Zero(objective.size()));
  if (warm_start != nullptr) {
    if (warm_start->rows() != n_out || warm_start->cols() != p + 1 || !warm_start->allFinite()) {
      throw invalid_input("the warm start has " + std::to_string(warm_start->rows()) + " x " +
                              std::to_string(warm_start->cols()) + (warm_start->allFinite() ? "" : " non-finite") +
                              " coefficients; expected " + std::to_string(n_out) + " x " + std::to_string(p + 1) +
                              " finite values (coef and intercept)",
                          kind);
    }
    Eigen::Map<matrix> T(theta.data(), B, n_out);
    T.topRows(p) = warm_start->leftCols(p).transpose();
    if (spec.fit_intercept) T.row(p) = warm_start->col(p).transpose();
    centre_intercepts(objective, theta);
  }
  // In a search's chain along C, the previous fit's end predicts this fit's first Newton step (one pass over X fewer).
  std::optional<logistic_start> predicted;
  if (warm_start != nullptr && chainable && !use_lbfgs && solver == logistic_solver::automatic) {
    if (const logistic_chain_link* link = logistic_previous_link(X, y, l2, spec.fit_intercept, theta))
      predicted = logistic_predicted_start(*link, spec.C);
  }

  logistic_solution solution;
  const double C = spec.C;
  try {
    if (l1 > 0.0) {
      solution = use_lbfgs ? proximal_gradient_logistic(objective, std::move(theta), l1, C, spec.tol, spec.max_iter)
                           : proximal_newton_logistic(objective, std::move(theta), l1, C, spec.tol, spec.max_iter);
    } else {
      solution = use_lbfgs ? lbfgs_logistic(objective, std::move(theta), C, spec.tol, spec.max_iter)
                           : newton_logistic(objective, std::move(theta), C, spec.tol, spec.max_iter,
                                             predicted ? &*predicted : nullptr);
    }
  } catch (const logistic_overflow&) {
    throw_logistic_overflow(X);
  }
  centre_intercepts(objective, solution.theta);
  if (!solution.theta.allFinite()) throw_logistic_overflow(X);
  if (warm_chain_scope* chain = warm_chain_scope::current()) {
    if (chainable && solution.end)
      chain->state = logistic_chain_link{X.data(), X.rows(), X.cols(), X.outerStride(), y.data(), spec.C, l2,
                                         spec.fit_intercept, solution.theta, std::move(*solution.end)};
    else
      chain->state.reset();  // nothing this fit can pass on: the next one starts as usual
  }

  const Eigen::Map<const matrix> T(solution.theta.data(), B, n_out);
  matrix coef = T.topRows(p).transpose();
  vector intercept = spec.fit_intercept ? vector(T.row(p).transpose()) : vector(vector::Zero(n_out));
  return logistic_regression::fitted(spec, classes, std::move(coef), std::move(intercept), solution.n_iter,
                                     solution.converged);
}

}  // namespace detail

template <class Deferred>
logistic_regression::fitted logistic_regression::fit(const matrix_view& X, const vector_view& y) const {
  return detail::fit_logistic<Deferred>(*this, X, y, nullptr);
}

template <class Deferred>
logistic_regression::fitted logistic_regression::fit(const matrix_view& X, const vector_view& y,
                                                     const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  return detail::fit_logistic<Deferred>(*this, X, y, nullptr, detail::logistic_solver::automatic, &sw);
}

template <class Deferred>
logistic_regression::fitted logistic_regression::fit_warm(const matrix_view& X, const vector_view& y,
                                                          const fitted& previous) const {
  const matrix start = detail::logistic_warm_start(previous);
  return detail::fit_logistic<Deferred>(*this, X, y, &start);
}

template <class Deferred>
logistic_regression::fitted logistic_regression::fit_warm(const matrix_view& X, const vector_view& y,
                                                          const fitted& previous, std::span<const index> kept) const {
  const matrix full = detail::logistic_warm_start(previous);
  const index p_previous = full.cols() - 1;
  matrix start(full.rows(), static_cast<index>(kept.size()) + 1);
  for (std::size_t j = 0; j < kept.size(); ++j) {
    if (kept[j] < 0 || kept[j] >= p_previous) {
      throw invalid_input("the warm start's kept[" + std::to_string(j) + "] = " + std::to_string(kept[j]) +
                              " is out of range; expected a column of the previous model's " +
                              std::to_string(p_previous) + " features",
                          kind);
    }
    start.col(static_cast<index>(j)) = full.col(kept[j]);
  }
  start.col(start.cols() - 1) = full.col(p_previous);
  return detail::fit_logistic<Deferred>(*this, X, y, &start);
}

}  // namespace mlpipe
