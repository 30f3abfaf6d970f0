// custom_stage -- write your own stage and check that it keeps the stage contract with mp::testing::check_stage.
// Run from a folder that holds data/breast_cancer.csv (the build's examples folder does). The exit code is not zero
// when a conformance rule is broken, so the check can run in your own tests.
//
// The stage contract, i.e. what a stage declares so that pipelines, searches, save/load and check_stage work:
//   * the spec is a plain aggregate of hyperparameters with defaults, a `static constexpr std::string_view kind`,
//     and `static constexpr auto params = std::tuple{mp::param<"name">(&spec::member, range), ...}` listing each
//     one with its valid range (mp::at_least, mp::greater_than, mp::between; booleans and enums need none);
//   * `fitted fit(const mp::matrix_view& X, const mp::vector_view& y) const` calls mp::validate_params(*this) first,
//     rejects bad input with mp::invalid_input naming the kind (NaN, infinities, no rows, no columns, a y of the
//     wrong length; declare `static constexpr bool allows_nan = true;` if NaN means "missing" to the stage), and
//     returns a new fitted object: the same data gives the same bits;
//   * the fitted type has the same `kind`, a `static constexpr int schema_version` (bump it when the saved state
//     changes shape), a default constructor and `template <class Archive> void serialize(Archive& ar)` (ar.params
//     for the hyperparameters, ar("name", member) for the state), `void check_invariants() const` that throws
//     mp::load_error naming the first broken invariant of a loaded state (load runs it: a model file is untrusted
//     input), and `n_features_in()`;
//   * a transformer has `transform(X)` and `n_features_out()`, a predictor `predict(X)`; a classifier is a predictor
//     with `classes()` (its distinct labels, ascending); `predict_proba` is optional;
//   * row calls `transform_one(in, out)` / `predict_one(row)` / `predict_proba_one(row, out)` where the math allows:
//     the same numbers as the batch call, no heap allocation, so pipelines can serve one row at a time.
#include <mlpipe/core/check.hpp>
#include <mlpipe/core/params.hpp>
#include <mlpipe/io/csv.hpp>
#include <mlpipe/testing/check_stage.hpp>

#include <Eigen/Cholesky>  // LDLT

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace mp = mlpipe;

// ridge_classifier -- scikit-learn's RidgeClassifier: ridge regression on targets +1 (the class) and -1 (the others),
// one column per class (one for two classes: classes()[1] against classes()[0]); predicts the class with the
// highest score. It has no predict_proba: its scores are not probabilities.
struct ridge_classifier {
  static constexpr std::string_view kind = "ridge_classifier";

  double alpha = 1.0;  // L2 penalty strength; >= 0

  static constexpr auto params = std::tuple{mp::param<"alpha">(&ridge_classifier::alpha, mp::at_least(0.0))};

  class fitted;
  fitted fit(const mp::matrix_view& X, const mp::vector_view& y) const;
};

class ridge_classifier::fitted {
 public:
  static constexpr std::string_view kind = ridge_classifier::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(ridge_classifier spec, mp::vector classes, mp::matrix coef, mp::vector intercept)
      : spec_(spec), classes_(std::move(classes)), coef_(std::move(coef)), intercept_(std::move(intercept)) {}

  const mp::vector& classes() const { return classes_; }
  mp::index n_features_in() const { return coef_.cols(); }

  mp::vector predict(const mp::matrix_view& X) const {
    mp::detail::check_predict_input(kind, X, n_features_in());
    const mp::matrix scores = (X * coef_.transpose()).rowwise() + intercept_.transpose();
    mp::vector labels(X.rows());
    for (mp::index i = 0; i < X.rows(); ++i) labels(i) = label_of(scores.row(i));
    return labels;
  }

  // One row, no allocation: the scores are summed in place.
  double predict_one(std::span<const double> row) const {
    mp::detail::check_row(kind, row, n_features_in());
    double best_score = 0.0;
    mp::index best = 0;
    for (mp::index k = 0; k < coef_.rows(); ++k) {
      double score = intercept_(k);
      for (mp::index j = 0; j < coef_.cols(); ++j) score += coef_(k, j) * row[static_cast<std::size_t>(j)];
      if (coef_.rows() == 1) return classes_(score > 0.0 ? 1 : 0);
      if (k == 0 || score > best_score) {
        best_score = score;
        best = k;
      }
    }
    return classes_(best);
  }

  // Throws mp::load_error naming the first broken invariant: load runs it on every model it reads.
  void check_invariants() const {
    try {
      mp::validate_params(spec_);
    } catch (const mp::error& e) {
      throw mp::load_error(e.detail(), kind);
    }
    if (classes_.size() < 2)
      throw mp::load_error("classes has " + std::to_string(classes_.size()) + " labels; expected 2 or more", kind);
    for (mp::index k = 0; k < classes_.size(); ++k)
      if (!std::isfinite(classes_(k)) || (k > 0 && !(classes_(k - 1) < classes_(k))))
        throw mp::load_error("classes are not finite and strictly ascending", kind);
    const mp::index rows = classes_.size() == 2 ? 1 : classes_.size();
    if (coef_.rows() != rows || coef_.cols() < 1 || intercept_.size() != rows) {
      throw mp::load_error("coef is " + std::to_string(coef_.rows()) + " x " + std::to_string(coef_.cols()) +
                               " and intercept has " + std::to_string(intercept_.size()) + " values; expected " +
                               std::to_string(rows) + " rows of each",
                           kind);
    }
    if (!coef_.allFinite() || !intercept_.allFinite()) throw mp::load_error("coef or intercept is not finite", kind);
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    ar("coef", coef_);
    ar("intercept", intercept_);
  }

 private:
  template <class Row>
  double label_of(const Row& scores) const {
    if (scores.size() == 1) return classes_(scores(0) > 0.0 ? 1 : 0);
    mp::index best = 0;
    scores.maxCoeff(&best);  // the first of tied classes
    return classes_(best);
  }

  ridge_classifier spec_;
  mp::vector classes_;
  mp::matrix coef_;       // one row per score column
  mp::vector intercept_;  // one per score column
};

ridge_classifier::fitted ridge_classifier::fit(const mp::matrix_view& X, const mp::vector_view& y) const {
  mp::validate_params(*this);
  mp::detail::check_fit_input(kind, X, y);  // non-empty, finite X; one finite target per row
  std::vector<double> labels(y.data(), y.data() + y.size());
  for (double label : labels) {
    if (label != std::floor(label))
      throw mp::invalid_input("y has " + mp::format_double(label) + "; expected class labels (integers)", kind);
  }
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.size() < 2)
    throw mp::invalid_input("y has a single class (" + mp::format_double(labels[0]) + "); expected two or more", kind);
  const mp::vector classes = Eigen::Map<const mp::vector>(labels.data(), static_cast<mp::index>(labels.size()));

  // Targets: +1 for the column's class, -1 otherwise; two classes need one column (for classes[1]).
  const mp::index columns = classes.size() == 2 ? 1 : classes.size();
  mp::matrix T = mp::matrix::Constant(X.rows(), columns, -1.0);
  for (mp::index i = 0; i < X.rows(); ++i) {
    const auto k = static_cast<mp::index>(std::lower_bound(labels.begin(), labels.end(), y(i)) - labels.begin());
    if (columns == 1) T(i, 0) = k == 1 ? 1.0 : -1.0;
    else T(i, k) = 1.0;
  }
  // Centred least squares with an unpenalized intercept: (Xc' Xc + alpha I) W = Xc' Tc.
  const mp::vector x_mean = X.colwise().mean().transpose();
  const mp::vector t_mean = T.colwise().mean().transpose();
  const mp::matrix Xc = X.rowwise() - x_mean.transpose();
  mp::matrix gram = Xc.transpose() * Xc;
  gram.diagonal().array() += alpha;
  const mp::matrix W = gram.ldlt().solve(Xc.transpose() * (T.rowwise() - t_mean.transpose()));
  mp::matrix coef = W.transpose();
  mp::vector intercept = t_mean - coef * x_mean;
  return fitted(*this, classes, std::move(coef), std::move(intercept));
}

int main() {
  const auto data = mp::read_csv("data/breast_cancer.csv", {.target = "target"});
  const auto fitted = ridge_classifier{.alpha = 1.0}.fit(data.X, data.y);
  const mp::vector predicted = fitted.predict(data.X);
  std::printf("ridge_classifier on breast_cancer: training accuracy %.4f\n",
              (predicted.array() == data.y.array()).cast<double>().mean());

  // Every rule of the stage contract, on the first 200 rows. Give check_options{.count_allocations = ...} (a function
  // returning the calling thread's count of operator new calls) to check that predict_one does not allocate; only a
  // program can replace operator new, so without one that rule is skipped.
  const auto report = mp::testing::check_stage(ridge_classifier{}, data.X.topRows(200), data.y.head(200));
  std::printf("%s", report.to_string().c_str());
  return report.ok() ? 0 : 1;
}
