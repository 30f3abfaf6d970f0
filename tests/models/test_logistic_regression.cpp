#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mlpipe/core/linalg.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_logistic_regression_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::max_relative_error;
using mp::test::to_vector;

namespace {

mp::matrix to_matrix(const nlohmann::json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows[0].size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = to_vector(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

// Largest |a - b| over all entries.
double max_abs_diff(const mp::matrix& a, const mp::matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a - b).cwiseAbs().maxCoeff();
}

// The objective C * sum_i log_loss_i + ||coef||^2 / 2 and its gradient, written out plainly from the fitted
// model's scores (independently of the solver's code): the test's own check of optimality.
struct objective_at {
  double value = 0.0;
  mp::matrix grad_coef;      // same shape as coef()
  mp::vector grad_intercept;  // zero when !fit_intercept (the intercept is not a variable then)
  double max_abs_grad() const {
    return std::max(grad_coef.cwiseAbs().maxCoeff(), grad_intercept.cwiseAbs().maxCoeff());
  }
};

objective_at objective(const mp::logistic_regression::fitted& f, const mp::matrix& X, const mp::vector& y) {
  const double C = f.spec().C;
  const mp::matrix scores = f.decision_function(X);
  const mp::vector& classes = f.classes();
  mp::matrix residual(scores.rows(), scores.cols());  // d loss_i / d score_ik
  double loss = 0.0;
  for (mp::index i = 0; i < X.rows(); ++i) {
    if (classes.size() == 2) {
      const double z = scores(i, 0);
      const double t = y(i) == classes(1) ? 1.0 : 0.0;
      // log(1 + e^z) - t z, and the sigmoid, in forms that cannot overflow.
      loss += std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))) - t * z;
      const double p = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      residual(i, 0) = p - t;
    } else {
      const double top = scores.row(i).maxCoeff();
      const double lse = top + std::log((scores.row(i).array() - top).exp().sum());
      for (mp::index k = 0; k < classes.size(); ++k) {
        const double t = y(i) == classes(k) ? 1.0 : 0.0;
        loss -= t * scores(i, k);
        residual(i, k) = std::exp(scores(i, k) - lse) - t;
      }
      loss += lse;
    }
  }
  objective_at out;
  out.value = C * loss + 0.5 * f.coef().squaredNorm();
  out.grad_coef = C * residual.transpose() * X + f.coef();
  out.grad_intercept = f.spec().fit_intercept ? mp::vector(C * residual.colwise().sum().transpose())
                                              : mp::vector(mp::vector::Zero(scores.cols()));
  return out;
}

const mp::matrix& breast_cancer_standardized() {
  static const mp::matrix X = mp::standard_scaler{}.fit(mp::test::load("breast_cancer.csv").X).transform(
      mp::test::load("breast_cancer.csv").X);
  return X;
}

// A wide problem (340 features, 60 rows, 3 classes: 1023 unknowns with intercepts) made of smooth deterministic
// values, so that it is the same on every platform.
void wide_problem(mp::matrix& X, mp::vector& y) {
  X.resize(60, 340);
  y.resize(60);
  for (mp::index i = 0; i < X.rows(); ++i) {
    y(i) = static_cast<double>(i % 3);
    for (mp::index j = 0; j < X.cols(); ++j)
      X(i, j) = std::sin(0.37 * static_cast<double>((i + 1) * (j + 1)) + 0.1 * static_cast<double>(j)) +
                (j % 3 == i % 3 ? 0.3 : 0.0);
  }
}

}  // namespace

TEST_CASE("logistic_regression reaches the exact optimum on standardized breast_cancer", "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::sklearn_reference()["logreg_C1_breast_cancer_standardized"];
  const mp::matrix& X = breast_cancer_standardized();
  const auto f = mp::logistic_regression{}.fit(X, d.y);  // the defaults: C = 1, tol = 1e-4, max_iter = 100
  REQUIRE(f.converged());
  CHECK(f.n_iter() <= 10);  // Newton: a handful of steps where scikit-learn's lbfgs takes 34
  CHECK(f.classes() == (mp::vector(2) << 0.0, 1.0).finished());
  CHECK(f.coef().rows() == 1);
  CHECK(f.coef().cols() == 30);
  CHECK(f.n_features_in() == 30);
  CHECK(f.intercept().size() == 1);

  // The default tol promises the optimum to 1e-8 relative objective; Newton's last step lands at rounding level
  // (measured: 4e-16), so ask for 1e-12.
  const objective_at at = objective(f, X, d.y);
  const double optimum = ref["exact_optimum_objective"];
  CHECK(std::abs(at.value - optimum) / optimum < 1e-12);
  CHECK(at.value >= optimum * (1.0 - 1e-14));  // nothing beats the optimum beyond rounding
  // Coefficients are O(1); both solutions are Newton's at rounding level (measured difference: 2e-11).
  CHECK(max_relative_error(f.coef().row(0).transpose(), to_vector(ref["exact_optimum_coef_ (Newton)"])) < 1e-8);
  CHECK(f.intercept()(0) == Approx(ref["exact_optimum_intercept_"][0].get<double>()).margin(1e-8));
  // scikit-learn's own lbfgs stops max_abs_coef_diff_sklearn_vs_exact (1.1e-4) short of the optimum.
  const double sklearn_gap = ref["max_abs_coef_diff_sklearn_vs_exact"];
  CHECK(max_abs_diff(f.coef().row(0).transpose(), to_vector(ref["coef_"])) < sklearn_gap + 1e-6);

  const mp::vector predicted = f.predict(X);
  const double accuracy = static_cast<double>((predicted.array() == d.y.array()).count()) / 569.0;
  CHECK(accuracy == ref["train_accuracy"].get<double>());
}

TEST_CASE("logistic_regression's gradient vanishes at its solution", "[models][logistic_regression]") {
  const auto& bc = mp::test::load("breast_cancer.csv");
  const auto& iris = mp::test::load("iris.csv");
  for (const double C : {0.01, 1.0, 100.0}) {
    CAPTURE(C);
    const auto fb = mp::logistic_regression{.C = C}.fit(breast_cancer_standardized(), bc.y);
    const auto fi = mp::logistic_regression{.C = C}.fit(iris.X, iris.y);
    CHECK(fb.converged());
    CHECK(fi.converged());
    // The gradient is a sum of ~C * n terms of size O(1): rounding alone leaves ~1e-13 * C; tol = 1e-4 would allow
    // 1e-4 * C, but Newton's quadratic convergence ends well below that.
    CHECK(objective(fb, breast_cancer_standardized(), bc.y).max_abs_grad() < 1e-9 * std::max(1.0, C));
    CHECK(objective(fi, iris.X, iris.y).max_abs_grad() < 1e-9 * std::max(1.0, C));
    // Multinomial intercepts are defined up to a common constant: they sum to zero, as scikit-learn's.
    CHECK(std::abs(fi.intercept().sum()) < 1e-12 * std::max(1.0, fi.intercept().cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("multinomial logistic_regression matches the exact optimum and scikit-learn on iris",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("iris.csv");
  for (const auto& c : mp::test::test_reference("linear_model")["logreg_multinomial_iris"]) {
    const double C = c["C"];
    const bool fit_intercept = c["fit_intercept"];
    CAPTURE(C, fit_intercept);
    const auto f = mp::logistic_regression{.C = C, .fit_intercept = fit_intercept}.fit(d.X, d.y);
    REQUIRE(f.converged());
    CHECK(f.classes() == (mp::vector(3) << 0.0, 1.0, 2.0).finished());
    REQUIRE(f.coef().rows() == 3);
    REQUIRE(f.coef().cols() == 4);

    const double optimum = c["exact_objective"];
    CHECK(std::abs(objective(f, d.X, d.y).value - optimum) / optimum < 1e-12);  // both are at rounding level
    // Coefficients reach O(10) at C = 100, intercepts O(10-100): relative to their size (absolute below 1). The
    // default stops ~1e-10 from the optimum there (measured: 4e-10 on a coefficient, 4e-9 on an intercept).
    const mp::matrix exact_coef = to_matrix(c["exact_coef_"]);
    for (mp::index k = 0; k < 3; ++k)
      CHECK(max_relative_error(f.coef().row(k).transpose(), exact_coef.row(k).transpose()) < 1e-8);
    CHECK(max_relative_error(f.intercept(), to_vector(c["exact_intercept_"])) < 1e-8);
    // scikit-learn's lbfgs (tol=1e-12) still stops up to 0.011 (C = 100) short of the optimum in some coefficient.
    const double sklearn_gap = c["max_abs_coef_diff_sklearn_vs_exact"];
    CHECK(max_abs_diff(f.coef(), to_matrix(c["sklearn_coef_"])) < sklearn_gap + 1e-6);
    CHECK(objective(f, d.X, d.y).value <= c["sklearn_objective"].get<double>());

    // Predictions are scikit-learn's at the exact optimum: as close as the coefficients (measured: 7e-13, 2e-9).
    const std::vector<mp::index> shown = c["rows_shown"].get<std::vector<mp::index>>();
    const mp::matrix proba = f.predict_proba(d.X);
    const mp::matrix scores = f.decision_function(d.X);
    for (std::size_t r = 0; r < shown.size(); ++r) {
      CHECK(max_abs_diff(proba.row(shown[r]), to_vector(c["predict_proba_rows"][r]).transpose()) < 1e-10);
      CHECK(max_relative_error(scores.row(shown[r]).transpose(), to_vector(c["decision_function_rows"][r])) < 1e-8);
    }
    CHECK((proba.rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-15);
    CHECK(f.predict(d.X) == to_vector(c["predict"]));
  }
}

TEST_CASE("binary logistic_regression keeps any two label values, positive class classes()[1]",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const auto& cases = mp::test::test_reference("linear_model")["logreg_binary_breast_cancer_standardized"];
  for (const std::string name : {"labels_-1_3", "labels_2_7"}) {
    CAPTURE(name);
    const auto& c = cases[name];
    const double label0 = c["label_map"]["0"];
    const double label1 = c["label_map"]["1"];
    const mp::vector y = (d.y.array() == 1.0).select(mp::vector::Constant(d.y.size(), label1),
                                                      mp::vector::Constant(d.y.size(), label0));
    const auto f = mp::logistic_regression{}.fit(X, y);
    CHECK(f.classes() == to_vector(c["classes_"]));
    // Both at Newton's rounding level (measured: 2e-11 on the coefficients, 3e-10 on scores of ~20, 6e-14 on
    // probabilities).
    CHECK(max_relative_error(f.coef().row(0).transpose(), to_vector(c["exact_coef_"][0])) < 1e-8);
    CHECK(f.intercept()(0) == Approx(c["exact_intercept_"][0].get<double>()).margin(1e-8));
    const mp::vector predicted = f.predict(X);
    CHECK(predicted == to_vector(c["predict"]));
    CHECK(((predicted.array() == label0) || (predicted.array() == label1)).all());
    const mp::matrix proba = f.predict_proba(X.topRows(5));
    const mp::matrix scores = f.decision_function(X.topRows(5));
    CHECK(scores.cols() == 1);
    CHECK(max_abs_diff(proba, to_matrix(c["predict_proba_rows"])) < 1e-10);
    CHECK(max_relative_error(scores.col(0), to_matrix(c["decision_function_rows"]).col(0)) < 1e-8);
    // The score is the log-odds of classes()[1].
    for (mp::index i = 0; i < 5; ++i) CHECK(scores(i, 0) == Approx(std::log(proba(i, 1) / proba(i, 0))).epsilon(1e-12));
  }
  // {0 -> 7, 1 -> 2} makes the old class 0 the positive one: the same model with its sign flipped.
  const mp::vector y27 = (d.y.array() == 1.0).select(mp::vector::Constant(d.y.size(), 2.0),
                                                      mp::vector::Constant(d.y.size(), 7.0));
  const auto f01 = mp::logistic_regression{}.fit(X, d.y);
  const auto f27 = mp::logistic_regression{}.fit(X, y27);
  CHECK(max_abs_diff(f27.coef(), -f01.coef()) < 1e-12);
  CHECK(f27.intercept()(0) == Approx(-f01.intercept()(0)).margin(1e-12));
}

TEST_CASE("logistic_regression without intercept and with strong or weak penalties matches the exact optimum",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const auto& cases = mp::test::test_reference("linear_model")["logreg_binary_breast_cancer_standardized"];
  for (const std::string name : {"no_intercept", "C_0.01", "C_100"}) {
    CAPTURE(name);
    const auto& c = cases[name];
    const mp::logistic_regression spec{.C = c["C"].get<double>(), .fit_intercept = c["fit_intercept"].get<bool>()};
    const auto f = spec.fit(X, d.y);
    REQUIRE(f.converged());
    const double optimum = c["exact_objective"];
    CHECK(std::abs(objective(f, X, d.y).value - optimum) / optimum < 1e-12);  // both are at rounding level
    // Coefficients reach ~10 at C = 100: relative to their size, absolute below 1 (measured: 6e-11 at worst).
    CHECK(max_relative_error(f.coef().row(0).transpose(), to_vector(c["exact_coef_"][0])) < 1e-8);
    CHECK(f.intercept()(0) == Approx(c["exact_intercept_"][0].get<double>()).margin(1e-8));
    if (!spec.fit_intercept) CHECK(f.intercept()(0) == 0.0);
    CHECK(f.predict(X) == to_vector(c["predict"]));
  }
}

TEST_CASE("logistic_regression stays finite on separable data and huge margins", "[models][logistic_regression]") {
  SECTION("binary, perfectly separated, a weak penalty") {
    mp::matrix X(6, 1);
    X << -3, -2, -1, 1, 2, 3;
    const mp::vector y = (mp::vector(6) << 0, 0, 0, 1, 1, 1).finished();
    const auto f = mp::logistic_regression{.C = 1e6}.fit(X, y);
    CHECK(f.coef().allFinite());
    CHECK(f.intercept().allFinite());
    CHECK(f.converged());
    CHECK(f.coef()(0, 0) > 5.0);  // steep, but the penalty keeps it finite
    CHECK(objective(f, X, y).max_abs_grad() < 1e-4 * 1e6);  // tol * C, the stopping rule
    CHECK(f.predict(X) == y);
    // Scores of ~1e6 and more: probabilities saturate to exactly 0 and 1, never NaN.
    const mp::matrix far = (mp::matrix(2, 1) << -1e6, 1e6).finished();
    const mp::matrix proba = f.predict_proba(far);
    CHECK(proba.allFinite());
    CHECK(proba(0, 0) == 1.0);
    CHECK(proba(0, 1) == 0.0);
    CHECK(proba(1, 1) == 1.0);
    std::array<double, 2> out{};
    f.predict_proba_one(std::array{1e300}, out);
    CHECK(out[1] == 1.0);
    CHECK(out[0] == 0.0);
  }
  SECTION("multinomial, three separated groups") {
    mp::matrix X(9, 2);
    X << -5, 0, -4, 1, -6, -1, 0, 5, 1, 4, -1, 6, 5, 0, 6, 1, 4, -1;
    const mp::vector y = (mp::vector(9) << 0, 0, 0, 1, 1, 1, 2, 2, 2).finished();
    const auto f = mp::logistic_regression{.C = 1e4}.fit(X, y);
    CHECK(f.coef().allFinite());
    CHECK(f.converged());
    CHECK(f.predict(X) == y);
    const mp::matrix far = (mp::matrix(1, 2) << 1e200, 1e200).finished();
    CHECK(f.predict_proba(far).allFinite());
    std::array<double, 3> out{};
    f.predict_proba_one(std::array{-1e200, 3e200}, out);
    CHECK(out[0] + out[1] + out[2] == 1.0);
    CHECK(out[1] == 1.0);
    // Scores that overflowed to +inf share the probability instead of making NaN (inf - inf).
    std::array<double, 3> scores{std::numeric_limits<double>::infinity(), 1.0, std::numeric_limits<double>::infinity()};
    mp::detail::softmax_in_place(scores);
    CHECK(scores == std::array<double, 3>{0.5, 0.0, 0.5});
  }
}

TEST_CASE("logistic_regression predict_one and predict_proba_one agree with predict and predict_proba",
          "[models][logistic_regression]") {
  const auto& bc = mp::test::load("breast_cancer.csv");
  const auto& iris = mp::test::load("iris.csv");
  const mp::matrix& Xb = breast_cancer_standardized();
  const auto fb = mp::logistic_regression{}.fit(Xb, bc.y);
  const auto fi = mp::logistic_regression{}.fit(iris.X, iris.y);
  const auto check_rows = [](const auto& f, const mp::matrix& X) {
    const mp::vector labels = f.predict(X);
    const mp::matrix proba = f.predict_proba(X);
    std::vector<double> row(static_cast<std::size_t>(X.cols()));
    std::vector<double> out(static_cast<std::size_t>(f.classes().size()));
    for (mp::index i = 0; i < X.rows(); ++i) {
      for (mp::index j = 0; j < X.cols(); ++j) row[static_cast<std::size_t>(j)] = X(i, j);
      CHECK(f.predict_one(row) == labels(i));
      f.predict_proba_one(row, out);
      // The batch path sums the scores in a matrix product, the row path in a dot product: rounding differs.
      for (std::size_t k = 0; k < out.size(); ++k) CHECK(std::abs(out[k] - proba(i, static_cast<mp::index>(k))) < 1e-14);
    }
  };
  check_rows(fb, Xb);
  check_rows(fi, iris.X);
}

TEST_CASE("logistic_regression counts iterations, stops at max_iter and restarts from a warm start",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const auto one = mp::logistic_regression{.max_iter = 1}.fit(X, d.y);
  CHECK(one.n_iter() == 1);
  CHECK_FALSE(one.converged());
  const auto full = mp::logistic_regression{}.fit(X, d.y);
  CHECK(full.n_iter() > 1);
  CHECK(objective(one, X, d.y).value > objective(full, X, d.y).value);

  // Starting at the solution, only Newton's final step remains; it moves the coefficients by what separates the
  // default solution from the optimum (~1e-11 here), no more.
  const mp::matrix at_optimum = mp::detail::logistic_warm_start(full);
  CHECK(at_optimum.cols() == 31);
  const auto again = mp::detail::fit_logistic(mp::logistic_regression{}, X, d.y, &at_optimum);
  CHECK(again.n_iter() == 1);
  CHECK(again.converged());
  CHECK(max_abs_diff(again.coef(), full.coef()) < 1e-9);

  // From the C = 0.1 optimum to the C = 1 one (a path over C): the same optimum in fewer steps.
  const auto weak = mp::logistic_regression{.C = 0.1}.fit(X, d.y);
  const mp::matrix start = mp::detail::logistic_warm_start(weak);
  const auto warm = mp::detail::fit_logistic(mp::logistic_regression{}, X, d.y, &start);
  CHECK(warm.converged());
  CHECK(warm.n_iter() < full.n_iter());
  CHECK(max_abs_diff(warm.coef(), full.coef()) < 1e-8);

  // Multinomial: a warm start whose intercepts do not sum to zero ends on the same (centred) optimum.
  const auto& iris = mp::test::load("iris.csv");
  const auto fi = mp::logistic_regression{}.fit(iris.X, iris.y);
  mp::matrix shifted = mp::detail::logistic_warm_start(fi);
  shifted.col(4).array() += 3.0;
  const auto fi2 = mp::detail::fit_logistic(mp::logistic_regression{}, iris.X, iris.y, &shifted);
  CHECK(fi2.n_iter() == 1);
  CHECK(max_abs_diff(fi2.intercept(), fi.intercept()) < 1e-9);
  CHECK(max_abs_diff(fi2.coef(), fi.coef()) < 1e-9);

  const mp::matrix wrong = mp::matrix::Zero(3, 31);
  CHECK(error_message<mp::invalid_input>([&] { mp::detail::fit_logistic(mp::logistic_regression{}, X, d.y, &wrong); }) ==
        "logistic_regression: the warm start has 3 x 31 coefficients; expected 1 x 31 finite values (coef and "
        "intercept)");
}

TEST_CASE("logistic_regression's L-BFGS solver reaches the same optimum and takes over above 1000 unknowns",
          "[models][logistic_regression]") {
  using mp::detail::logistic_solver;
  const auto& bc = mp::test::load("breast_cancer.csv");
  const auto& iris = mp::test::load("iris.csv");
  const auto& ref = mp::test::sklearn_reference()["logreg_C1_breast_cancer_standardized"];
  const mp::matrix& Xb = breast_cancer_standardized();
  // L-BFGS converges linearly, not quadratically: ask for a tight gradient so that it reaches the optimum too.
  const mp::logistic_regression tight{.max_iter = 5000, .tol = 1e-9};
  const auto fb = mp::detail::fit_logistic(tight, Xb, bc.y, nullptr, logistic_solver::lbfgs);
  REQUIRE(fb.converged());
  const double optimum = ref["exact_optimum_objective"];
  CHECK(std::abs(objective(fb, Xb, bc.y).value - optimum) / optimum < 1e-12);
  // tol = 1e-9 bounds the gradient; the curvature is >= 1, so the coefficients are within ~1e-8 (measured: 3e-10).
  CHECK(max_relative_error(fb.coef().row(0).transpose(), to_vector(ref["exact_optimum_coef_ (Newton)"])) < 1e-8);

  const auto& c = mp::test::test_reference("linear_model")["logreg_multinomial_iris"][0];
  const auto fi = mp::detail::fit_logistic(tight, iris.X, iris.y, nullptr, logistic_solver::lbfgs);
  REQUIRE(fi.converged());
  CHECK(std::abs(objective(fi, iris.X, iris.y).value - c["exact_objective"].get<double>()) /
            c["exact_objective"].get<double>() < 1e-12);
  CHECK(max_abs_diff(fi.coef(), to_matrix(c["exact_coef_"])) < 1e-8);  // measured: 2e-10
  CHECK(max_relative_error(fi.intercept(), to_vector(c["exact_intercept_"])) < 1e-8);

  // At the default tol, L-BFGS stops where scikit-learn's lbfgs does (~1e-5 from the optimum in the coefficients,
  // measured 2e-5) yet keeps the default's promise of 1e-8 relative objective (measured 8e-11).
  const auto fd = mp::detail::fit_logistic(mp::logistic_regression{}, Xb, bc.y, nullptr, logistic_solver::lbfgs);
  CHECK(fd.converged());
  CHECK(std::abs(objective(fd, Xb, bc.y).value - optimum) / optimum < 1e-8);
  CHECK(objective(fd, Xb, bc.y).max_abs_grad() <= 1e-4);

  // 3 x (340 + 1) = 1023 unknowns: fit picks L-BFGS by itself (the same result, bit for bit, as forcing it).
  mp::matrix X;
  mp::vector y;
  wide_problem(X, y);
  const mp::logistic_regression spec{.max_iter = 5000, .tol = 1e-6};
  const auto automatic = spec.fit(X, y);
  const auto lbfgs = mp::detail::fit_logistic(spec, X, y, nullptr, logistic_solver::lbfgs);
  CHECK(automatic.converged());
  CHECK(automatic.coef() == lbfgs.coef());
  CHECK(automatic.intercept() == lbfgs.intercept());
  CHECK(automatic.n_iter() == lbfgs.n_iter());
  CHECK(objective(automatic, X, y).max_abs_grad() <= 1e-6);
  CHECK(automatic.predict(X) == y);  // 340 features for 60 rows: the classes separate
}

namespace {

// rows x cols features uniform in [-2, 2] and labels drawn from a logistic model with the given coefficients per class
// (the softmax of the rows' scores; two classes: scores 0 and w.x), from a fixed std::mt19937_64 stream.
void drawn_problem(mp::index rows, mp::index cols, const mp::matrix& coef, mp::matrix& X, mp::vector& y) {
  std::mt19937_64 bits(7);
  const auto uniform = [&] { return static_cast<double>(bits() >> 11) * 0x1.0p-53; };
  X.resize(rows, cols);
  y.resize(rows);
  for (mp::index i = 0; i < rows; ++i) {
    for (mp::index j = 0; j < cols; ++j) X(i, j) = 4.0 * uniform() - 2.0;
    const mp::vector e = (coef * X.row(i).transpose()).array().exp();
    const double u = uniform() * (1.0 + e.sum());  // class 0 weighs 1, class k >= 1 weighs e(k - 1)
    mp::index label = 0;
    double below = 1.0;  // the weights of classes 0 to label
    while (label < e.size() && u >= below) below += e(label++);
    y(i) = static_cast<double>(label);
  }
}

}  // namespace

TEST_CASE("a large cold fit starts from a tenth of the rows' optimum and ends on the same optimum in fewer passes",
          "[models][logistic_regression]") {
  using mp::detail::logistic_solver;
  mp::matrix X;
  mp::vector y;
  SECTION("two classes") {
    drawn_problem(30000, 5, (mp::matrix(1, 5) << 1.5, -2.0, 0.5, 0.0, 3.0).finished(), X, y);
  }
  SECTION("three classes, balanced class weights") {
    drawn_problem(30000, 5, (mp::matrix(2, 5) << 1.5, -2.0, 0.5, 0.0, 3.0, -1.0, 1.0, 0.0, 2.0, 0.5).finished(), X, y);
  }
  for (const auto& spec : {mp::logistic_regression{.C = 0.1},
                           mp::logistic_regression{.C = 10.0, .class_weight = mp::class_weight::balanced}}) {
    const auto automatic = spec.fit(X, y);
    const auto newton = mp::detail::fit_logistic(spec, X, y, nullptr, logistic_solver::newton);
    INFO("C = " << spec.C << ": passes over all rows " << automatic.n_iter() << " against " << newton.n_iter()
                << " from zero; coefficients " << max_abs_diff(automatic.coef(), newton.coef()) << " apart");
    CHECK(automatic.converged());
    CHECK(newton.converged());
    CHECK(automatic.n_iter() < newton.n_iter());
    // Both end one Newton step past the gradient test, at the optimum to rounding (measured: 4 passes against 8,
    // coefficients at most 1e-12 apart).
    CHECK(max_abs_diff(automatic.coef(), newton.coef()) < 1e-9);
    CHECK(max_abs_diff(automatic.intercept(), newton.intercept()) < 1e-9);
  }
}

TEST_CASE("a cold fit starts from zero below 10,000 rows, without an l2 term and when a tenth of the rows lacks a class",
          "[models][logistic_regression]") {
  using mp::detail::logistic_solver;
  mp::matrix X;
  mp::vector y;
  drawn_problem(12000, 4, (mp::matrix(1, 4) << 1.0, -1.0, 0.5, 2.0).finished(), X, y);
  const auto same_as_newton = [](const mp::logistic_regression& spec, const mp::matrix& X, const mp::vector& y) {
    const auto automatic = spec.fit(X, y);
    const auto newton = mp::detail::fit_logistic(spec, X, y, nullptr, logistic_solver::newton);
    return automatic.coef() == newton.coef() && automatic.intercept() == newton.intercept() &&
           automatic.n_iter() == newton.n_iter();
  };
  CHECK_FALSE(same_as_newton(mp::logistic_regression{}, X, y));  // 12,000 rows: the subsample's start
  CHECK(same_as_newton(mp::logistic_regression{}, X.topRows(9999), y.head(9999)));
  CHECK(same_as_newton(mp::logistic_regression{.penalty = mp::penalty::none}, X, y));
  CHECK(same_as_newton(mp::logistic_regression{.penalty = mp::penalty::l1, .C = 0.05}, X, y));
  mp::vector rare = mp::vector::Zero(y.size());  // class 1 on rows 1, 11, 21, ...: none among every tenth row
  for (mp::index i = 1; i < rare.size(); i += 10) rare(i) = 1.0;
  CHECK(same_as_newton(mp::logistic_regression{}, X, rare));
}

TEST_CASE("the Newton step's Cholesky kernel solves positive definite systems and rejects the others",
          "[models][logistic_regression][linalg]") {
  // A = B^T B + I is positive definite; the factor must reproduce A and the solve must satisfy A x = b.
  mp::matrix B(40, 12);
  for (mp::index j = 0; j < B.cols(); ++j)
    for (mp::index i = 0; i < B.rows(); ++i) B(i, j) = std::sin(1.0 + 0.37 * static_cast<double>(i * 13 + j * 7));
  mp::matrix A(12, 12);
  mp::detail::multiply_transposed(A, B, B);
  A.diagonal().array() += 1.0;
  mp::matrix L = A;
  REQUIRE(mp::detail::cholesky_in_place(L));
  const mp::matrix lower = L.triangularView<Eigen::Lower>();
  CHECK(max_abs_diff(lower * lower.transpose(), A) < 1e-12 * A.cwiseAbs().maxCoeff());
  mp::vector b(12);
  for (mp::index i = 0; i < b.size(); ++i) b(i) = std::cos(static_cast<double>(i));
  mp::vector x = b;
  mp::detail::cholesky_solve_in_place(L, x);
  CHECK((A * x - b).cwiseAbs().maxCoeff() < 1e-12 * A.cwiseAbs().maxCoeff() * x.cwiseAbs().maxCoeff());
  // The strict upper triangle is left as it was.
  CHECK(L(0, 11) == A(0, 11));

  mp::matrix indefinite = mp::matrix::Identity(3, 3);
  indefinite(2, 2) = -1.0;
  CHECK_FALSE(mp::detail::cholesky_in_place(indefinite));
  mp::matrix singular = mp::matrix::Ones(3, 3);  // rank 1: the second pivot is exactly zero
  CHECK_FALSE(mp::detail::cholesky_in_place(singular));
  mp::matrix not_finite = mp::matrix::Identity(2, 2);
  not_finite(1, 1) = std::numeric_limits<double>::infinity();
  CHECK_FALSE(mp::detail::cholesky_in_place(not_finite));
  mp::matrix nan_pivot = mp::matrix::Identity(2, 2);
  nan_pivot(0, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(mp::detail::cholesky_in_place(nan_pivot));
}

TEST_CASE("the Newton Hessian's weighted Gram kernel sums A^T diag(w) A on the lower triangle for every tile shape",
          "[models][logistic_regression][linalg]") {
  // Widths 1-10 cover every tile shape and edge (4 x 2 tiles, the ragged last ones); odd and even row counts cover
  // the packet loop's scalar tail. The kernel adds into G's lower triangle and leaves the strict upper one alone.
  for (mp::index p = 1; p <= 10; ++p) {
    for (const mp::index rows : {mp::index{1}, mp::index{2}, mp::index{7}, mp::index{64}, mp::index{131}}) {
      mp::matrix A(rows, p);
      mp::vector w(rows);
      for (mp::index i = 0; i < rows; ++i) {
        w(i) = 0.25 + std::abs(std::sin(0.7 * static_cast<double>(i)));
        for (mp::index j = 0; j < p; ++j) A(i, j) = std::cos(0.31 * static_cast<double>(i * 11 + j * 5) + 0.2);
      }
      std::vector<const double*> cols;
      for (mp::index j = 0; j < p; ++j) cols.push_back(A.col(j).data());
      mp::matrix G = mp::matrix::Constant(p, p, 3.0);
      mp::detail::add_weighted_gram_lower(G, cols.data(), w.data(), rows);
      const mp::matrix expected = (A.transpose() * w.asDiagonal() * A).array() + 3.0;
      for (mp::index j = 0; j < p; ++j) {
        for (mp::index k = 0; k < p; ++k) {
          INFO("p = " << p << ", rows = " << rows << ", G(" << j << ", " << k << ")");
          if (k <= j) CHECK(std::abs(G(j, k) - expected(j, k)) <= 1e-13 * static_cast<double>(rows));
          else CHECK(G(j, k) == 3.0);
        }
      }
      // Asking the memory for another block's lines meanwhile changes no bit, and asks for every line of it.
      for (const mp::index ahead_rows : {mp::index{1}, mp::index{9}, mp::index{300}}) {
        const mp::matrix B = mp::matrix::Ones(ahead_rows, 3);
        const std::vector<const double*> ahead_cols{B.col(0).data(), B.col(1).data(), B.col(2).data()};
        mp::detail::prefetch_lines ahead(ahead_cols.data(), 3, ahead_rows);
        mp::matrix G_ahead = mp::matrix::Constant(p, p, 3.0);
        mp::detail::add_weighted_gram_lower(G_ahead, cols.data(), w.data(), rows, &ahead);
        INFO("p = " << p << ", rows = " << rows << ", prefetched rows = " << ahead_rows);
        CHECK(G_ahead == G);
        CHECK(ahead.size() == 3 * ((ahead_rows * 8 + 63) / 64));
        CHECK(ahead.asked() == ahead.size());
      }
    }
  }
}

TEST_CASE("the binary objective's Hessian is the same summed during evaluate or after it, over several blocks",
          "[models][logistic_regression][linalg]") {
  // 5,000 rows: three blocks of the objective (the scores and weights are kept one block at a time), the last ragged.
  // 180,000 x 3 (4.3 MB) is past the objective's prefetch threshold: each block's Gram sums also fetch the next block.
  for (const mp::index n : {mp::index{5000}, mp::index{180000}}) {
    CAPTURE(n);
    const mp::index p = 3;
    mp::matrix X(n, p);
    std::vector<mp::index> labels(static_cast<std::size_t>(n));
    for (mp::index i = 0; i < n; ++i) {
      for (mp::index j = 0; j < p; ++j) X(i, j) = std::sin(0.37 * static_cast<double>(i * (j + 2)) + 0.1 * j);
      labels[static_cast<std::size_t>(i)] = std::cos(0.11 * static_cast<double>(i)) + X(i, 0) > 0.0 ? 1 : 0;
    }
    mp::vector theta(p + 1);
    theta << 0.5, -1.25, 2.0, 0.3;
    const double C = 0.7;
    mp::detail::logistic_objective<> summed(X, labels, 2, C, true);
    mp::detail::logistic_objective<> after(X, labels, 2, C, true);
    summed.sum_hessian_in_evaluate();
    mp::vector g1, g2;
    const double v1 = summed.evaluate(theta, &g1);
    const double v2 = after.evaluate(theta, &g2);
    after.evaluate(mp::vector::Zero(p + 1), nullptr);  // another point, then theta again: hessian() is at the last one
    after.evaluate(theta, &g2);
    mp::matrix H1, H2;
    summed.hessian(H1);
    after.hessian(H2);
    CHECK(v1 == v2);
    CHECK(g1 == g2);
    CHECK(H1 == H2);
    // Against the textbook C [X 1]^T D [X 1] + diag(1, .., 1, 0), D = p (1 - p).
    mp::matrix X1(n, p + 1);
    X1 << X, mp::vector::Ones(n);
    const mp::vector z = X1 * theta;
    const mp::vector d = z.unaryExpr([](double v) { return 1.0 / (1.0 + std::exp(-v)) / (1.0 + std::exp(v)); });
    mp::matrix expected = C * (X1.transpose() * d.asDiagonal() * X1);
    expected.diagonal().head(p).array() += 1.0;
    CHECK((H1 - expected).cwiseAbs().maxCoeff() <= 1e-12 * expected.cwiseAbs().maxCoeff());
  }
}

TEST_CASE("in a chain along C, each fit starts from a Newton step that the previous fit's end predicts",
          "[models][logistic][warm_start]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const mp::logistic_regression weak{.C = 0.1}, mid{}, strong{.C = 10.0};
  const auto previous = weak.fit(X, d.y);
  const auto other = mp::logistic_regression{.C = 0.2}.fit(X, d.y);
  const mp::matrix copy = X;  // the same values at another address
  std::optional<mp::logistic_regression::fitted> first, predicted, next, foreign, moved;
  {
    // What a search does for a group of candidates on one split (core/reuse.hpp).
    const mp::warm_chain_scope chain;
    first.emplace(weak.fit(X, d.y));  // leaves where Newton ended in the chain
    predicted.emplace(mid.fit_warm(X, d.y, *first));
    next.emplace(strong.fit_warm(X, d.y, *predicted));
    // A warm start that is not the chain's last solution, or other rows: the chain's state goes unused.
    foreign.emplace(mid.fit_warm(X, d.y, other));
    moved.emplace(strong.fit_warm(copy, d.y, *foreign));
  }
  CHECK(first->coef() == previous.coef());  // a cold fit is the same in a chain or not
  const auto plain = mid.fit_warm(X, d.y, previous);
  const auto plain_next = strong.fit_warm(X, d.y, plain);
  // The predicted step replaces Newton's first step from the warm start, and its pass over the rows.
  CHECK(predicted->n_iter() == plain.n_iter() - 1);
  CHECK(next->n_iter() == plain_next.n_iter() - 1);
  // The same optimum: within what separates the default tolerance's solution from it (~1e-11 here).
  CHECK(max_abs_diff(predicted->coef(), plain.coef()) < 1e-9);
  CHECK(std::abs(predicted->intercept()(0) - plain.intercept()(0)) < 1e-9);
  CHECK(max_abs_diff(next->coef(), plain_next.coef()) < 1e-9);
  CHECK(predicted->converged());
  CHECK(next->converged());
  // Unused states change nothing, bit for bit.
  const auto foreign_plain = mid.fit_warm(X, d.y, other);
  CHECK(foreign->coef() == foreign_plain.coef());
  CHECK(foreign->n_iter() == foreign_plain.n_iter());
  CHECK(moved->coef() == strong.fit_warm(copy, d.y, foreign_plain).coef());
}

TEST_CASE("logistic_regression starts from a model fitted on more features, as recursive elimination does",
          "[models][logistic][warm_start]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const mp::logistic_regression spec{};
  const auto all = spec.fit(X, d.y);
  // Drop features 0, 5 and 29: the warm fit reaches the cold fit's optimum, in fewer iterations.
  std::vector<mp::index> kept;
  for (mp::index j = 0; j < X.cols(); ++j)
    if (j != 0 && j != 5 && j != 29) kept.push_back(j);
  const mp::matrix Xs = X(Eigen::all, kept);
  const auto cold = spec.fit(Xs, d.y);
  const auto warm = spec.fit_warm(Xs, d.y, all, kept);
  CHECK(warm.converged());
  CHECK((warm.coef() - cold.coef()).cwiseAbs().maxCoeff() < 1e-6);
  CHECK(std::abs(warm.intercept()(0) - cold.intercept()(0)) < 1e-6);
  CHECK(warm.n_iter() < cold.n_iter());
  const std::vector<mp::index> outside{0, 30};
  CHECK(error_message<mp::invalid_input>([&] { (void)spec.fit_warm(X.leftCols(2), d.y, all, outside); }) ==
        "logistic_regression: the warm start's kept[1] = 30 is out of range; expected a column of the previous "
        "model's 30 features");
}

TEST_CASE("logistic_regression takes integer-valued labels of any size and sign, and standardized huge features",
          "[models][logistic_regression][overflow]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  const mp::vector y = (d.y.array() == 1.0).select(mp::vector::Constant(d.y.size(), -1e15),
                                                    mp::vector::Constant(d.y.size(), 1e15));
  const auto f = mp::logistic_regression{}.fit(X, y);
  CHECK(f.classes() == (mp::vector(2) << -1e15, 1e15).finished());
  // breast_cancer times 2^500 (up to 1.4e154) through standard_scaler: what breast_cancer itself gives.
  const double big = std::ldexp(1.0, 500);
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto plain = pipe.fit(d.X, d.y);
  const auto scaled = pipe.fit(d.X * big, d.y);
  CHECK(scaled.predict(d.X * big) == plain.predict(d.X));
  CHECK(max_abs_diff(scaled.get<"model">().coef(), plain.get<"model">().coef()) < 1e-10);
}

TEST_CASE("logistic_regression rejects bad hyperparameters and bad data with precise messages",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = breast_cancer_standardized();
  CHECK(error_message<mp::invalid_parameter>([&] { mp::logistic_regression{.C = 0.0}.fit(X, d.y); }) ==
        "logistic_regression: C = 0 is out of range; expected C > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::logistic_regression{.C = -2.5}.fit(X, d.y); }) ==
        "logistic_regression: C = -2.5 is out of range; expected C > 0");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::logistic_regression{.C = std::numeric_limits<double>::infinity()}.fit(X, d.y);
        }) == "logistic_regression: C = inf is not a finite number; expected C > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::logistic_regression{.max_iter = 0}.fit(X, d.y); }) ==
        "logistic_regression: max_iter = 0 is out of range; expected max_iter >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::logistic_regression{.tol = 0.0}.fit(X, d.y); }) ==
        "logistic_regression: tol = 0 is out of range; expected tol > 0");

  mp::matrix bad = X;
  bad(3, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(bad, d.y); }) ==
        "logistic_regression: X has nan at row 3, column 2; expected finite values (impute missing values first, "
        "e.g. with simple_imputer)");
  mp::vector y = d.y;
  y(4) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(X, y); }) ==
        "logistic_regression: y has nan at row 4; expected finite targets");
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(X, d.y.head(10)); }) ==
        "logistic_regression: y has 10 values but X has 569 rows; expected one target per row");
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(X, mp::vector::Ones(569)); }) ==
        "logistic_regression: y has a single class (1); expected at least two classes");
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(mp::matrix(0, 30), mp::vector()); }) ==
        "logistic_regression: X is empty (0 rows, 30 columns); expected at least one row and one column");
  // Features so large that even the first Hessian overflows: an error, not NaN coefficients.
  // It names the column of largest magnitude.
  const mp::matrix huge = X * 1e300;
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(huge, d.y); }) ==
        "logistic_regression: X column 16 has values too large in magnitude (up to " +
            mp::format_double(huge.col(16).cwiseAbs().maxCoeff()) +
            "): the log loss or its derivatives overflowed; expected features of moderate scale (standardize them "
            "first, e.g. with standard_scaler)");
  // A continuous target is not a set of class labels (scikit-learn's type_of_target says "continuous").
  mp::vector continuous(569);
  for (mp::index i = 0; i < 569; ++i) continuous(i) = static_cast<double>(i % 30) + 0.25 * static_cast<double>(i % 2);
  CHECK(error_message<mp::invalid_input>([&] { mp::logistic_regression{}.fit(X, continuous); }) ==
        "logistic_regression: y has 1.25 at row 1, which is not a class label; expected integer class labels (y "
        "looks continuous: fit a regressor such as ridge to real-valued targets)");

  const auto f = mp::logistic_regression{}.fit(X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { f.predict(X.leftCols(3)); }) ==
        "logistic_regression: X has 3 columns but this step was fitted on 30; expected 30 columns");
  CHECK(error_message<mp::invalid_input>([&] { f.predict_proba(X.leftCols(3)); }) ==
        "logistic_regression: X has 3 columns but this step was fitted on 30; expected 30 columns");
  CHECK(error_message<mp::invalid_input>([&] { f.decision_function(X.leftCols(4)); }) ==
        "logistic_regression: X has 4 columns but this step was fitted on 30; expected 30 columns");
  const std::array<double, 3> short_row{1.0, 2.0, 3.0};
  CHECK(error_message<mp::invalid_input>([&] { f.predict_one(short_row); }) ==
        "logistic_regression: the row has 3 values but this step was fitted on 30 features; expected 30 values");
  std::array<double, 2> out{};
  CHECK(error_message<mp::invalid_input>([&] { f.predict_proba_one(short_row, out); }) ==
        "logistic_regression: the row has 3 values but this step was fitted on 30 features; expected 30 values");
  std::array<double, 30> row{};
  row[7] = std::numeric_limits<double>::infinity();
  CHECK(error_message<mp::invalid_input>([&] { f.predict_one(row); }) ==
        "logistic_regression: the row has inf at column 7; expected finite values (impute missing values first, e.g. "
        "with simple_imputer)");
  row[7] = 0.0;
  std::array<double, 3> wide_out{};
  CHECK(error_message<mp::invalid_input>([&] { f.predict_proba_one(row, wide_out); }) ==
        "logistic_regression: out has 3 values but the model has 2 classes; expected 2 values");
}

TEST_CASE("scaler | logistic_regression fits, predicts row by row and reloads bit-identically",
          "[models][logistic_regression]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::sklearn_reference()["logreg_C1_breast_cancer_standardized"];
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto f = pipe.fit(d.X, d.y);
  const auto& model = f.get<"model">();
  CHECK(max_relative_error(model.coef().row(0).transpose(), to_vector(ref["exact_optimum_coef_ (Newton)"])) < 1e-8);
  CHECK(f.classes() == model.classes());

  // The pipeline's outputs are the model's on the scaled data.
  const auto alone = mp::logistic_regression{}.fit(breast_cancer_standardized(), d.y);
  const mp::matrix proba = f.predict_proba(d.X);
  const mp::matrix scores = f.decision_function(d.X);
  const mp::vector labels = f.predict(d.X);
  CHECK(scores.cols() == 1);
  CHECK(max_abs_diff(proba, alone.predict_proba(breast_cancer_standardized())) < 1e-14);
  CHECK(max_abs_diff(scores, alone.decision_function(breast_cancer_standardized())) < 1e-12);
  CHECK(labels == alone.predict(breast_cancer_standardized()));
  std::vector<double> row(30);
  std::array<double, 2> out{};
  for (mp::index i = 0; i < d.X.rows(); ++i) {
    for (mp::index j = 0; j < 30; ++j) row[static_cast<std::size_t>(j)] = d.X(i, j);
    CHECK(f.predict_one(row) == labels(i));
    f.predict_proba_one(row, out);
    CHECK(std::abs(out[1] - proba(i, 1)) < 1e-14);  // dot products per row vs a matrix product: rounding differs
  }

  // Hyperparameters by path: model.C and model.max_iter reach the model.
  pipe.set<"model.C">(0.01).set<"model.max_iter">(2);
  const auto g = pipe.fit(d.X, d.y);
  CHECK(g.get<"model">().spec().C == 0.01);
  CHECK(g.get<"model">().n_iter() <= 2);

  // Errors carry the step's name.
  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(d.X, mp::vector::Zero(569)); }) ==
        "step 'model' (logistic_regression): y has a single class (0); expected at least two classes");

  // Everything predict needs is saved: a reloaded copy answers bit for bit (JSON keeps doubles exact).
  const auto back = mp::from_json<std::remove_cvref_t<decltype(f)>>(mp::to_json(f));
  CHECK(back.predict_proba(d.X) == proba);
  CHECK(back.decision_function(d.X) == scores);
  const auto& back_model = back.get<"model">();
  CHECK(back_model.classes() == model.classes());
  CHECK(back_model.n_iter() == model.n_iter());
  CHECK(back_model.converged() == model.converged());
  CHECK(back_model.spec().tol == model.spec().tol);

  // Multinomial through the pipeline, saved and reloaded on its own.
  const auto& iris = mp::test::load("iris.csv");
  const auto fi = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{.C = 10.0}))
                      .fit(iris.X, iris.y);
  CHECK(fi.decision_function(iris.X).cols() == 3);
  CHECK(fi.predict_proba(iris.X).cols() == 3);
  std::array<double, 3> out3{};
  fi.predict_proba_one(std::array{6.1, 2.9, 4.7, 1.4}, out3);
  CHECK(fi.predict_one(std::array{6.1, 2.9, 4.7, 1.4}) == 1.0);  // a versicolor row of iris (row 63)
  CHECK(out3[1] > 0.5);
  const auto model_back = mp::from_json<mp::logistic_regression::fitted>(mp::to_json(fi.get<"model">()));
  CHECK(model_back.coef() == fi.get<"model">().coef());
  CHECK(model_back.intercept() == fi.get<"model">().intercept());
  CHECK(model_back.classes() == fi.get<"model">().classes());
}

}  // namespace test_logistic_regression_tests
