#pragma once

#include <algorithm>    // std::sort, std::unique, std::lower_bound, std::max
#include <cmath>        // std::log, std::exp, std::log1p, std::isfinite, std::abs
#include <initializer_list>
#include <limits>
#include <numbers>      // std::numbers::pi
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double, param_traits
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"  // encode_class_labels

// Naive Bayes classifiers, as scikit-learn's GaussianNB, MultinomialNB and BernoulliNB: class priors times
// per-feature likelihoods that are independent given the class. predict, predict_proba, predict_log_proba and their
// one-row forms; fit takes optional sample weights.

namespace mlpipe {

// class_probabilities -- a list of class probabilities given as a hyperparameter (gaussian_nb::priors,
// multinomial_nb::class_prior): `.priors = {0.2, 0.3, 0.5}`, in ascending class order; empty means "from the data".
struct class_probabilities {
  std::vector<double> values;
  class_probabilities() = default;
  class_probabilities(std::initializer_list<double> list) : values(list) {}
  explicit class_probabilities(std::vector<double> list) : values(std::move(list)) {}
  bool empty() const { return values.empty(); }
  bool operator==(const class_probabilities&) const = default;
};

template <>
struct param_traits<class_probabilities> {
  static constexpr std::string_view expected = "a list of numbers";
  static std::optional<class_probabilities> from_value(const param_value& v) {
    if (const auto* list = std::get_if<std::vector<double>>(&v)) return class_probabilities(*list);
    return std::nullopt;
  }
  static param_value to_value(const class_probabilities& p) { return p.values; }
};

namespace detail {

// Sample weights as fit takes them: one per row, finite, >= 0, with a positive sum; nullptr: all 1.
inline vector checked_weights(std::string_view kind, const matrix_view& X, const vector_view* sample_weight) {
  if (sample_weight == nullptr) return vector::Ones(X.rows());
  const vector_view& w = *sample_weight;
  if (w.size() != X.rows()) {
    throw invalid_input("sample_weight has " + std::to_string(w.size()) + " values but X has " +
                            std::to_string(X.rows()) + " rows; expected one weight per row",
                        kind);
  }
  for (index i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w(i)) || w(i) < 0.0)
      throw invalid_input("sample_weight has " + format_double(w(i)) + " at row ", i, "; expected finite weights >= 0",
                          kind);
  }
  if (!(w.sum() > 0.0) || !std::isfinite(w.sum())) {
    throw invalid_input("sample_weight sums to " + format_double(w.sum()) + "; expected a positive finite sum", kind);
  }
  return w;
}

// A given list of class probabilities against the classes found in y: one per class, each >= 0, summing to 1
// (within 1e-8, as numpy's isclose). `name` is the hyperparameter's name.
inline void check_given_priors(std::string_view kind, std::string_view name, const class_probabilities& p,
                               index n_classes) {
  if (static_cast<index>(p.values.size()) != n_classes) {
    throw invalid_parameter(std::string(name) + " has " + std::to_string(p.values.size()) + " values but y has " +
                                std::to_string(n_classes) + " classes; expected one probability per class",
                            kind);
  }
  double sum = 0.0;
  for (std::size_t k = 0; k < p.values.size(); ++k) {
    if (!std::isfinite(p.values[k]) || p.values[k] < 0.0) {
      throw invalid_parameter(std::string(name) + "[" + std::to_string(k) + "] = " + format_double(p.values[k]) +
                                  " is out of range; expected finite probabilities >= 0",
                              kind);
    }
    sum += p.values[k];
  }
  if (std::abs(sum - 1.0) > 1e-8) {
    throw invalid_parameter(std::string(name) + " sums to " + format_double(sum) + "; expected probabilities summing to 1",
                            kind);
  }
}

// Replaces joint log-likelihoods by log-probabilities (minus their log-sum-exp), in place.
inline void normalize_log_in_place(std::span<double> jll) {
  double top = -std::numeric_limits<double>::infinity();
  for (const double v : jll) top = std::max(top, v);
  double sum = 0.0;
  for (const double v : jll) sum += std::exp(v - top);
  const double lse = top + std::log(sum);
  for (double& v : jll) v -= lse;
}

// What the three naive Bayes fitted types share: classes, predictions from their joint log-likelihood (Derived::
// joint_log_likelihood_one(row, out)), row checks, and the output-size check.
template <class Derived>
class naive_bayes_base {
 public:
  // The labels seen in y at fit, ascending; predict returns these values.
  const vector& classes() const { return classes_; }

  // The most probable class per row (the first of tied classes).
  vector predict(const matrix_view& X) const {
    const matrix jll = self().joint_log_likelihood(X);
    vector out(X.rows());
    for (index i = 0; i < X.rows(); ++i) {
      index best = 0;
      jll.row(i).maxCoeff(&best);
      out(i) = classes_(best);
    }
    return out;
  }

  // log P(class | row), one column per class in classes() order.
  matrix predict_log_proba(const matrix_view& X) const {
    matrix by_row = self().joint_log_likelihood(X).transpose();
    for (index i = 0; i < by_row.cols(); ++i)
      normalize_log_in_place(std::span<double>(by_row.col(i).data(), static_cast<std::size_t>(by_row.rows())));
    return by_row.transpose();
  }

  // P(class | row), one column per class in classes() order; rows sum to 1.
  matrix predict_proba(const matrix_view& X) const { return predict_log_proba(X).array().exp().matrix(); }

  // One row, no allocation: the predicted label.
  double predict_one(std::span<const double> row) const {
    self().check_one(row);
    index best = 0;
    double best_value = -std::numeric_limits<double>::infinity();
    for (index k = 0; k < classes_.size(); ++k) {
      const double v = self().class_log_likelihood(row, k);
      if (k == 0 || v > best_value) {
        best = k;
        best_value = v;
      }
    }
    return classes_(best);
  }

  // One row, no allocation: one probability per class into out (classes() order).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const {
    self().check_one(row);
    if (static_cast<index>(out.size()) != classes_.size()) {
      throw invalid_input("out has " + std::to_string(out.size()) + " values but the model has " +
                              std::to_string(classes_.size()) + " classes; expected " +
                              std::to_string(classes_.size()) + " values",
                          Derived::kind);
    }
    for (index k = 0; k < classes_.size(); ++k) out[static_cast<std::size_t>(k)] = self().class_log_likelihood(row, k);
    normalize_log_in_place(out);
    for (double& v : out) v = std::exp(v);
  }

 protected:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  vector classes_;
};

}  // namespace detail

// gaussian_nb -- naive Bayes with a normal distribution per class and feature, as scikit-learn's GaussianNB.
struct gaussian_nb {
  static constexpr std::string_view kind = "gaussian_nb";

  class_probabilities priors = {};  // class priors in ascending class order (summing to 1); empty: class frequencies
  double var_smoothing = 1e-9;      // added to every variance: this share of the largest feature variance; >= 0

  static constexpr auto params = std::tuple{param<"priors">(&gaussian_nb::priors),
                                            param<"var_smoothing">(&gaussian_nb::var_smoothing, at_least(0.0))};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row counts sample_weight times in the class counts, means and variances.
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  template <class Deferred = void>
  fitted fit_weighted(const matrix_view& X, const vector_view& y, const vector_view* sample_weight) const;
};

class gaussian_nb::fitted : public detail::naive_bayes_base<gaussian_nb::fitted> {
 public:
  static constexpr std::string_view kind = gaussian_nb::kind;
  static constexpr int schema_version = 1;

  fitted() = default;
  fitted(gaussian_nb spec, vector classes, vector class_count, vector class_prior, matrix theta, matrix var,
         double epsilon)
      : spec_(std::move(spec)), class_count_(std::move(class_count)), class_prior_(std::move(class_prior)),
        theta_(std::move(theta)), var_(std::move(var)), epsilon_(epsilon) {
    classes_ = std::move(classes);
  }

  const gaussian_nb& spec() const { return spec_; }
  // The (weighted) number of training rows per class.
  const vector& class_count() const { return class_count_; }
  // The prior of each class (given, or the class frequencies).
  const vector& class_prior() const { return class_prior_; }
  // Per-class feature means: classes x features (scikit-learn's theta_).
  const matrix& theta() const { return theta_; }
  // Per-class feature variances plus epsilon(): classes x features (scikit-learn's var_).
  const matrix& var() const { return var_; }
  // What was added to every variance: var_smoothing times the largest feature variance.
  double epsilon() const { return epsilon_; }
  index n_features_in() const { return theta_.cols(); }

  // log P(class) + log P(row | class), one column per class.
  matrix joint_log_likelihood(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix out(X.rows(), classes_.size());
    for (index k = 0; k < classes_.size(); ++k) {
      const double base = std::log(class_prior_(k)) - 0.5 * (2.0 * std::numbers::pi * var_.row(k).array()).log().sum();
      for (index i = 0; i < X.rows(); ++i)
        out(i, k) = base - 0.5 * ((X.row(i) - theta_.row(k)).array().square() / var_.row(k).array()).sum();
    }
    return out;
  }

  void check_one(std::span<const double> row) const { detail::check_row(kind, row, n_features_in()); }
  double class_log_likelihood(std::span<const double> row, index k) const {
    const Eigen::Map<const Eigen::RowVectorXd> x(row.data(), n_features_in());
    return std::log(class_prior_(k)) - 0.5 * (2.0 * std::numbers::pi * var_.row(k).array()).log().sum() -
           0.5 * ((x - theta_.row(k)).array().square() / var_.row(k).array()).sum();
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, at least two sorted classes,
  // class counts >= 0 and priors in [0, 1] summing to 1, one, theta and var classes x features, finite, var > 0.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_classes(kind, "state.classes", classes_);
    const index K = classes_.size();
    detail::check_state_size(kind, "state.class_count", class_count_.size(), K, "one per class");
    detail::check_state_values(kind, "state.class_count", class_count_, detail::state_bound::non_negative);
    detail::check_state_size(kind, "state.class_prior", class_prior_.size(), K, "one per class");
    detail::check_state_values(kind, "state.class_prior", class_prior_, detail::state_bound::non_negative);
    if (std::abs(class_prior_.sum() - 1.0) > 1e-8)
      detail::throw_invariant(kind, "state.class_prior sums to " + format_double(class_prior_.sum()) +
                                        "; expected probabilities summing to 1");
    detail::check_state_size(kind, "state.theta", theta_.rows(), K, "one per class", "row", "rows");
    detail::check_state_not_empty(kind, "state.theta", theta_.cols(), "a column per input feature");
    detail::check_state_size(kind, "state.var", var_.rows(), K, "one per class", "row", "rows");
    detail::check_state_size(kind, "state.var", var_.cols(), theta_.cols(), "a column per input feature", "column",
                             "columns");
    detail::check_state_values(kind, "state.theta", theta_);
    for (index j = 0; j < var_.cols(); ++j)
      for (index k = 0; k < K; ++k)
        if (!(var_(k, j) > 0.0) || !std::isfinite(var_(k, j)))
          detail::throw_invariant(kind, "state.var(" + std::to_string(k) + ", " + std::to_string(j) + ") = " +
                                            format_double(var_(k, j)) + " is out of range; expected finite values > 0");
    if (!(epsilon_ >= 0.0) || !std::isfinite(epsilon_))
      detail::throw_invariant(kind, "state.epsilon = " + format_double(epsilon_) +
                                        " is out of range; expected a finite value >= 0");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("class_count", class_count_);
    ar("class_prior", class_prior_);
    ar("theta", theta_);
    ar("var", var_);
    ar("epsilon", epsilon_);
  }

 private:
  gaussian_nb spec_;
  vector class_count_;
  vector class_prior_;
  matrix theta_;
  matrix var_;
  double epsilon_ = 0.0;
};

template <class Deferred>
gaussian_nb::fitted gaussian_nb::fit(const matrix_view& X, const vector_view& y) const {
  return fit_weighted<Deferred>(X, y, nullptr);
}

template <class Deferred>
gaussian_nb::fitted gaussian_nb::fit(const matrix_view& X, const vector_view& y,
                                     const vector_view& sample_weight) const {
  return fit_weighted<Deferred>(X, y, &sample_weight);
}

template <class Deferred>
gaussian_nb::fitted gaussian_nb::fit_weighted(const matrix_view& X, const vector_view& y,
                                              const vector_view* sample_weight) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  const auto codes = detail::shared_class_labels(kind, y);  // once per split in a search
  const detail::label_codes& labels = *codes;
  const vector w = detail::checked_weights(kind, X, sample_weight);
  const index K = labels.classes.size();
  const index p = X.cols();
  if (!priors.empty()) detail::check_given_priors(kind, "priors", priors, K);
  // epsilon from the unweighted variances of the whole X, as scikit-learn's.
  double largest_var = 0.0;
  for (index j = 0; j < p; ++j) {
    const double mean = X.col(j).mean();
    const double v = (X.col(j).array() - mean).square().mean();
    if (!std::isfinite(v))
      detail::throw_too_large(kind, j, X.col(j).cwiseAbs().maxCoeff(), "variance", "values below 1e150 in magnitude");
    largest_var = std::max(largest_var, v);
  }
  const double epsilon = var_smoothing * largest_var;
  vector count = vector::Zero(K);
  matrix theta = matrix::Zero(K, p);
  matrix var = matrix::Zero(K, p);
  for (index i = 0; i < X.rows(); ++i) {
    const index k = labels.codes[static_cast<std::size_t>(i)];
    count(k) += w(i);
    theta.row(k) += w(i) * X.row(i);
  }
  for (index k = 0; k < K; ++k) {
    if (!(count(k) > 0.0)) {
      throw invalid_input("class " + format_double(labels.classes(k)) +
                              " has a total sample_weight of 0; expected a positive weight in every class",
                          kind);
    }
    theta.row(k) /= count(k);
  }
  for (index i = 0; i < X.rows(); ++i) {
    const index k = labels.codes[static_cast<std::size_t>(i)];
    var.row(k) += w(i) * (X.row(i) - theta.row(k)).array().square().matrix();
  }
  for (index k = 0; k < K; ++k) var.row(k) /= count(k);
  var.array() += epsilon;
  for (index j = 0; j < p; ++j) {
    for (index k = 0; k < K; ++k) {
      if (!(var(k, j) > 0.0)) {
        throw invalid_input("X column " + std::to_string(j) + " is constant within class " +
                                format_double(labels.classes(k)) +
                                " and var_smoothing adds nothing (every column is constant, or var_smoothing = 0); "
                                "expected a positive variance (raise var_smoothing)",
                            kind);
      }
    }
  }
  vector prior = priors.empty() ? vector(count / count.sum())
                                : vector(Eigen::Map<const vector>(priors.values.data(), K));
  return fitted(*this, labels.classes, std::move(count), std::move(prior), std::move(theta), std::move(var), epsilon);
}

namespace detail {

// The discrete naive Bayes models' shared state and checks: feature counts and class counts, the smoothed log
// probabilities predict uses, and the log priors.
template <class Spec>
class discrete_nb_fitted : public naive_bayes_base<discrete_nb_fitted<Spec>> {
  using base = naive_bayes_base<discrete_nb_fitted<Spec>>;

 public:
  static constexpr std::string_view kind = Spec::kind;
  static constexpr int schema_version = 1;
  static constexpr bool bernoulli = Spec::bernoulli;

  discrete_nb_fitted() = default;
  discrete_nb_fitted(Spec spec, vector classes, vector class_count, matrix feature_count, vector class_log_prior,
                     matrix feature_log_prob)
      : spec_(std::move(spec)), class_count_(std::move(class_count)), feature_count_(std::move(feature_count)),
        class_log_prior_(std::move(class_log_prior)), feature_log_prob_(std::move(feature_log_prob)) {
    this->classes_ = std::move(classes);
  }

  const Spec& spec() const { return spec_; }
  // The (weighted) number of training rows per class.
  const vector& class_count() const { return class_count_; }
  // The (weighted) sum of each feature per class (bernoulli: of the binarized feature): classes x features.
  const matrix& feature_count() const { return feature_count_; }
  // log P(class): log class frequencies (fit_prior), log of the given class_prior, or uniform.
  const vector& class_log_prior() const { return class_log_prior_; }
  // The smoothed log P(feature | class): classes x features (scikit-learn's feature_log_prob_).
  const matrix& feature_log_prob() const { return feature_log_prob_; }
  index n_features_in() const { return feature_log_prob_.cols(); }

  matrix joint_log_likelihood(const matrix_view& X) const {
    check_input(X);
    matrix out(X.rows(), this->classes_.size());
    if constexpr (bernoulli) {
      // As scikit-learn: B (log p - log(1 - p))^T + sum_j log(1 - p) + log prior, with log(1 - p) = log1p(-p).
      const matrix B = (X.array() > spec_.binarize).template cast<double>();
      const matrix neg = (-feature_log_prob_.array().exp()).log1p().matrix();
      out.noalias() = B * (feature_log_prob_ - neg).transpose();
      out.rowwise() += (class_log_prior_ + neg.rowwise().sum()).transpose();
    } else {
      out.noalias() = X * feature_log_prob_.transpose();
      out.rowwise() += class_log_prior_.transpose();
    }
    return out;
  }

  void check_one(std::span<const double> row) const {
    check_row(kind, row, n_features_in());
    if constexpr (!bernoulli) {
      for (std::size_t j = 0; j < row.size(); ++j)
        if (row[j] < 0.0)
          throw invalid_input("the row has " + format_double(row[j]) + " at column " + std::to_string(j) +
                                  "; expected counts >= 0",
                              kind);
    }
  }

  double class_log_likelihood(std::span<const double> row, index k) const {
    double s = class_log_prior_(k);
    if constexpr (bernoulli) {
      for (std::size_t j = 0; j < row.size(); ++j) {
        const double log_p = feature_log_prob_(k, static_cast<index>(j));
        s += row[j] > spec_.binarize ? log_p : std::log1p(-std::exp(log_p));
      }
    } else {
      s += feature_log_prob_.row(k).dot(Eigen::Map<const Eigen::RowVectorXd>(row.data(), n_features_in()));
    }
    return s;
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, at least two sorted classes,
  // one finite count >= 0 per class, feature_count and feature_log_prob classes x features, log probabilities
  // finite and <= 0 (bernoulli: < 0, so that log(1 - p) is finite), finite log priors <= 0.
  void check_invariants() const {
    check_params(spec_);
    check_state_classes(kind, "state.classes", this->classes_);
    const index K = this->classes_.size();
    check_state_size(kind, "state.class_count", class_count_.size(), K, "one per class");
    check_state_values(kind, "state.class_count", class_count_, state_bound::non_negative);
    check_state_size(kind, "state.class_log_prior", class_log_prior_.size(), K, "one per class");
    check_state_size(kind, "state.feature_log_prob", feature_log_prob_.rows(), K, "one per class", "row", "rows");
    check_state_not_empty(kind, "state.feature_log_prob", feature_log_prob_.cols(), "a column per input feature");
    check_state_size(kind, "state.feature_count", feature_count_.rows(), K, "one per class", "row", "rows");
    check_state_size(kind, "state.feature_count", feature_count_.cols(), feature_log_prob_.cols(),
                     "a column per input feature", "column", "columns");
    check_state_values(kind, "state.feature_count", feature_count_);
    for (index k = 0; k < K; ++k) {
      const double v = class_log_prior_(k);
      if (!std::isfinite(v) || v > 0.0)
        throw_invariant(kind, "state.class_log_prior[" + std::to_string(k) + "] = " + format_double(v) +
                                  " is out of range; expected finite log probabilities <= 0");
    }
    for (index j = 0; j < feature_log_prob_.cols(); ++j) {
      for (index k = 0; k < K; ++k) {
        const double v = feature_log_prob_(k, j);
        if (!std::isfinite(v) || v > 0.0 || (bernoulli && v == 0.0))
          throw_invariant(kind, "state.feature_log_prob(" + std::to_string(k) + ", " + std::to_string(j) + ") = " +
                                    format_double(v) + " is out of range; expected finite log probabilities " +
                                    (bernoulli ? "< 0" : "<= 0"));
      }
    }
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", this->classes_);
    ar("class_count", class_count_);
    ar("feature_count", feature_count_);
    ar("class_log_prior", class_log_prior_);
    ar("feature_log_prob", feature_log_prob_);
  }

 private:
  void check_input(const matrix_view& X) const {
    check_predict_input(kind, X, n_features_in());
    if constexpr (!bernoulli) {
      if ((X.array() < 0.0).any()) {
        for (index j = 0; j < X.cols(); ++j)
          for (index i = 0; i < X.rows(); ++i)
            if (X(i, j) < 0.0)
              throw invalid_input("X has " + format_double(X(i, j)) + " at row ", i,
                                  ", column " + std::to_string(j) + "; expected counts >= 0", kind);
      }
    }
  }

  Spec spec_;
  vector class_count_;
  matrix feature_count_;
  vector class_log_prior_;
  matrix feature_log_prob_;
};

template <class Spec>
discrete_nb_fitted<Spec> fit_discrete_nb(const Spec& spec, const matrix_view& X, const vector_view& y,
                                         const vector_view* sample_weight) {
  constexpr std::string_view kind = Spec::kind;
  validate_params(spec);
  check_fit_input(kind, X, y);
  const auto codes = shared_class_labels(kind, y);  // once per split in a search
  const label_codes& labels = *codes;
  const vector w = checked_weights(kind, X, sample_weight);
  const index K = labels.classes.size();
  const index p = X.cols();
  if (!spec.class_prior.empty()) check_given_priors(kind, "class_prior", spec.class_prior, K);
  matrix data;
  if constexpr (Spec::bernoulli) {
    data = (X.array() > spec.binarize).template cast<double>();
  } else {
    for (index j = 0; j < p; ++j)
      for (index i = 0; i < X.rows(); ++i)
        if (X(i, j) < 0.0)
          throw invalid_input("X has " + format_double(X(i, j)) + " at row ", i,
                              ", column " + std::to_string(j) +
                                  "; expected counts >= 0 (multinomial_nb models counts or frequencies)",
                              kind);
    data = X;
  }
  vector count = vector::Zero(K);
  matrix feature_count = matrix::Zero(K, p);
  for (index i = 0; i < X.rows(); ++i) {
    const index k = labels.codes[static_cast<std::size_t>(i)];
    count(k) += w(i);
    feature_count.row(k) += w(i) * data.row(i);
  }
  if (!feature_count.allFinite()) {
    throw invalid_input("the feature counts are beyond the largest double; expected counts below 1e300 in total",
                        kind);
  }
  const double alpha = std::max(spec.alpha, 1e-10);  // scikit-learn 1.2 raises a smaller alpha to 1e-10
  matrix log_prob(K, p);
  for (index k = 0; k < K; ++k) {
    if constexpr (Spec::bernoulli) {
      const double denominator = std::log(count(k) + 2.0 * alpha);
      for (index j = 0; j < p; ++j) log_prob(k, j) = std::log(feature_count(k, j) + alpha) - denominator;
    } else {
      const double denominator = std::log((feature_count.row(k).array() + alpha).sum());
      for (index j = 0; j < p; ++j) log_prob(k, j) = std::log(feature_count(k, j) + alpha) - denominator;
    }
  }
  vector log_prior(K);
  if (!spec.class_prior.empty()) {
    for (index k = 0; k < K; ++k) log_prior(k) = std::log(spec.class_prior.values[static_cast<std::size_t>(k)]);
    if (!log_prior.allFinite()) {
      throw invalid_parameter("class_prior has a 0; expected positive probabilities (a class with prior 0 could "
                              "never be predicted)",
                              kind);
    }
  } else if (spec.fit_prior) {
    const double log_total = std::log(count.sum());
    for (index k = 0; k < K; ++k) log_prior(k) = std::log(count(k)) - log_total;
    if (!log_prior.allFinite())
      throw invalid_input("a class has a total sample_weight of 0; expected a positive weight in every class", kind);
  } else {
    log_prior.setConstant(-std::log(static_cast<double>(K)));
  }
  return discrete_nb_fitted<Spec>(spec, labels.classes, std::move(count), std::move(feature_count),
                                  std::move(log_prior), std::move(log_prob));
}

}  // namespace detail

// multinomial_nb -- naive Bayes for counts (word counts, frequencies), as scikit-learn's MultinomialNB:
// P(feature j | class) = (count_j + alpha) / (total + alpha p). X must be >= 0.
struct multinomial_nb {
  static constexpr std::string_view kind = "multinomial_nb";
  static constexpr bool bernoulli = false;

  double alpha = 1.0;                    // additive (Laplace) smoothing; >= 0 (below 1e-10 taken as 1e-10)
  bool fit_prior = true;                 // learn the class priors from the data; false: uniform
  class_probabilities class_prior = {};  // given class priors (ascending class order, summing to 1); empty: none

  static constexpr auto params = std::tuple{param<"alpha">(&multinomial_nb::alpha, at_least(0.0)),
                                            param<"fit_prior">(&multinomial_nb::fit_prior),
                                            param<"class_prior">(&multinomial_nb::class_prior)};

  using fitted = detail::discrete_nb_fitted<multinomial_nb>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_discrete_nb(*this, X, y, nullptr);
  }
  // Weighted fit: each row counts sample_weight times.
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const {
    return detail::fit_discrete_nb(*this, X, y, &sample_weight);
  }
};

// bernoulli_nb -- naive Bayes for binary features, as scikit-learn's BernoulliNB: X is binarized (x > binarize),
// P(feature j | class) = (count_j + alpha) / (class count + 2 alpha), and absent features count too.
struct bernoulli_nb {
  static constexpr std::string_view kind = "bernoulli_nb";
  static constexpr bool bernoulli = true;

  double alpha = 1.0;                    // additive (Laplace) smoothing; >= 0 (below 1e-10 taken as 1e-10)
  double binarize = 0.0;                 // threshold: a value above it is a present feature (1), else absent (0)
  bool fit_prior = true;                 // learn the class priors from the data; false: uniform
  class_probabilities class_prior = {};  // given class priors (ascending class order, summing to 1); empty: none

  static constexpr auto params = std::tuple{param<"alpha">(&bernoulli_nb::alpha, at_least(0.0)),
                                            param<"binarize">(&bernoulli_nb::binarize),
                                            param<"fit_prior">(&bernoulli_nb::fit_prior),
                                            param<"class_prior">(&bernoulli_nb::class_prior)};

  using fitted = detail::discrete_nb_fitted<bernoulli_nb>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_discrete_nb(*this, X, y, nullptr);
  }
  // Weighted fit: each row counts sample_weight times.
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const {
    return detail::fit_discrete_nb(*this, X, y, &sample_weight);
  }
};

}  // namespace mlpipe
