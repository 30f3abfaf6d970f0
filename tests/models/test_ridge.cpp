#include <catch2/catch.hpp>

#include <cmath>   // std::ldexp

#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_ridge_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::max_relative_error;
using mp::test::to_vector;

TEST_CASE("ridge matches scikit-learn's Ridge(alpha=1) on diabetes to 1e-8", "[models][ridge]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto& ref = mp::test::sklearn_reference()["ridge_alpha1_diabetes"];
  const auto f = mp::ridge{.alpha = 1.0}.fit(d.X, d.y);
  // Coefficients are O(100): compare relative to their size; the closed forms agree to ~1e-13.
  CHECK(max_relative_error(f.coef(), to_vector(ref["coef_"])) < 1e-8);
  CHECK(f.intercept() == Approx(ref["intercept_"].get<double>()).epsilon(1e-12));
  CHECK(f.n_features_in() == 10);
}

TEST_CASE("scaler | ridge matches scikit-learn's make_pipeline(StandardScaler(), Ridge(alpha))", "[models][ridge]") {
  const auto& d = mp::test::load("diabetes.csv");
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  for (const auto& c : mp::test::test_reference()["scaler_ridge_diabetes"]) {
    const double alpha = c["alpha"];
    const bool fit_intercept = c["fit_intercept"];
    CAPTURE(alpha, fit_intercept);
    pipe.set<"model.alpha">(alpha).set<"model.fit_intercept">(fit_intercept);
    const auto f = pipe.fit(d.X, d.y);
    CHECK(max_relative_error(f.get<"model">().coef(), to_vector(c["coef_"])) < 1e-8);
    CHECK(f.get<"model">().intercept() == Approx(c["intercept_"].get<double>()).epsilon(1e-10).margin(1e-10));
    CHECK(max_relative_error(f.predict(d.X.topRows(5)), to_vector(c["predict_first5"])) < 1e-8);
    const mp::vector residual = f.predict(d.X) - d.y;
    const double r2 = 1.0 - residual.squaredNorm() / (d.y.array() - d.y.mean()).square().sum();
    CHECK(r2 == Approx(c["train_r2"].get<double>()).epsilon(1e-10));
  }
}

TEST_CASE("ridge solves the dual problem when there are more features than rows", "[models][ridge]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::test_reference()["ridge_wide_breast_cancer_first8"];
  const mp::matrix X = d.X.topRows(8);
  const mp::vector y = d.y.head(8) * 3.0 + X.col(0);
  const auto f = mp::ridge{.alpha = 0.5}.fit(X, y);
  CHECK(max_relative_error(f.coef(), to_vector(ref["coef_"]), 1e-3) < 1e-7);
  CHECK(f.intercept() == Approx(ref["intercept_"].get<double>()).epsilon(1e-8));
}

TEST_CASE("ridge with alpha = 0 is least squares, minimum-norm on collinear columns", "[models][ridge]") {
  mp::matrix X(5, 2);
  X << 1, 2, 2, 4, 3, 6, 4, 8, 5, 10;  // the second column is twice the first
  const mp::vector y = 5.0 * X.col(0).array() + 1.0;
  const auto f = mp::ridge{.alpha = 0.0}.fit(X, y);
  // y = 5 x1 + 1 = w1 x1 + w2 (2 x1) with the least |w|: w = (1, 2).
  CHECK(f.coef()(0) == Approx(1.0).epsilon(1e-10));
  CHECK(f.coef()(1) == Approx(2.0).epsilon(1e-10));
  CHECK(f.intercept() == Approx(1.0).epsilon(1e-10));
  CHECK((f.predict(X) - y).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("ridge's least-squares fallback solves the penalized problem, not the plain one", "[models][ridge]") {
  // The fallback runs when the normal equations' factorization fails; here it is called directly and must give
  // what the normal equations give on a well-conditioned problem, for alpha > 0 as for alpha = 0.
  const auto& d = mp::test::load("diabetes.csv");
  mp::matrix Xc = d.X;
  Xc.rowwise() -= Xc.colwise().mean();
  const mp::vector yc = d.y.array() - d.y.mean();
  for (const double alpha : {0.0, 0.01, 2.0, 300.0}) {
    CAPTURE(alpha);
    mp::matrix gram = Xc.transpose() * Xc;
    gram.diagonal().array() += alpha;
    const mp::vector expected = gram.ldlt().solve(Xc.transpose() * yc);
    const mp::vector coef = mp::detail::ridge_least_squares(Xc, yc, alpha);
    CHECK(max_relative_error(coef, expected, 1e-6) < 1e-9);
  }
  // The penalty matters: with alpha = 300 the coefficients are far from least squares'.
  const mp::vector plain = mp::detail::ridge_least_squares(Xc, yc, 0.0);
  CHECK((mp::detail::ridge_least_squares(Xc, yc, 300.0) - plain).norm() > 0.5 * plain.norm());
}

TEST_CASE("ridge rejects bad hyperparameters and bad data with precise messages", "[models][ridge]") {
  const auto& d = mp::test::load("diabetes.csv");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::ridge{.alpha = -1.0}.fit(d.X, d.y); }) ==
        "ridge: alpha = -1 is out of range; expected alpha >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::ridge{.alpha = std::numeric_limits<double>::infinity()}.fit(d.X, d.y);
        }) == "ridge: alpha = inf is not a finite number; expected alpha >= 0");
  CHECK(error_message<mp::invalid_input>([&] { mp::ridge{}.fit(d.X, d.y.head(10)); }) ==
        "ridge: y has 10 values but X has 442 rows; expected one target per row");
  mp::vector y = d.y;
  y(4) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::ridge{}.fit(d.X, y); }) ==
        "ridge: y has nan at row 4; expected finite targets");
  const auto f = mp::ridge{}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { f.predict(d.X.leftCols(3)); }) ==
        "ridge: X has 3 columns but this step was fitted on 10; expected 10 columns");
}

TEST_CASE("ridge on X or y near the largest double solves the rescaled problem, or names the column that overflows",
          "[models][ridge][overflow]") {
  // Ridge is equivariant in y: y 2^1015 (up to 1.2e308) gives coefficients and intercept 2^1015 times those of y.
  const auto& d = mp::test::load("diabetes.csv");
  const double t = std::ldexp(1.0, 1015);
  const auto f = mp::ridge{}.fit(d.X, d.y);
  const auto g = mp::ridge{}.fit(d.X, d.y * t);
  CHECK(max_relative_error(g.coef(), f.coef() * t, 1e-300) < 1e-12);
  CHECK(g.intercept() == Approx(f.intercept() * t).epsilon(1e-12));
  const mp::vector predicted = g.predict(d.X);
  CHECK(predicted.allFinite());
  CHECK(max_relative_error(predicted, f.predict(d.X) * t, 1e-300) < 1e-12);

  // X 2^1020 (up to 2.2e306) with alpha = 1 is X with alpha = 2^-2040, least squares for all purposes: the
  // coefficients are those of least squares on X over 2^1020 (about 1e-305, still normal doubles).
  const double s = std::ldexp(1.0, 1020);
  const auto least_squares = mp::ridge{.alpha = 0.0}.fit(d.X, d.y);
  const auto h = mp::ridge{}.fit(d.X * s, d.y);
  CHECK(max_relative_error(h.coef() * s, least_squares.coef(), 1e-300) < 1e-10);
  CHECK(h.intercept() == Approx(least_squares.intercept()).epsilon(1e-10));
  CHECK(max_relative_error(h.predict(d.X * s), least_squares.predict(d.X), 1e-300) < 1e-10);

  // Both scaled at once: the same least-squares problem again, in other units.
  const auto both = mp::ridge{}.fit(d.X * s, d.y * t);
  CHECK(max_relative_error(both.coef() * (s / t), least_squares.coef(), 1e-300) < 1e-10);

  // y near the largest double on small features: coefficients of about 1e310 are not doubles.
  const mp::vector y = d.y * t;
  CHECK(error_message<mp::invalid_input>([&] { mp::ridge{.alpha = 0.0}.fit(d.X * 0.01, y); }) ==
        "ridge: the coefficient of X column 0 is beyond the largest double (y up to " +
            mp::format_double(y.maxCoeff()) + " in magnitude, the column up to " +
            mp::format_double((d.X.col(0) * 0.01).cwiseAbs().maxCoeff()) +
            "); expected y and X on scales whose ratio fits a double (rescale y or the column first)");
}

TEST_CASE("scaler | ridge on a column near the largest double blames the scaler, which cannot scale it",
          "[models][ridge][overflow][pipeline]") {
  const auto& d = mp::test::load("diabetes.csv");
  mp::matrix X = d.X;
  X.col(3) = X.col(3) / X.col(3).cwiseAbs().maxCoeff() * 1e308;
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(X, d.y); }) ==
        "step 'scale' (standard_scaler): X column 3 has values too large in magnitude (up to " +
            mp::format_double(X.col(3).cwiseAbs().maxCoeff()) +
            "): its variance is beyond the largest double; expected a standard deviation below 1.3e154 (rescale the "
            "column first)");
  // The model alone fits it, in scaled units, and predicts its training data finitely.
  const auto f = mp::ridge{}.fit(X, d.y);
  CHECK(f.coef().allFinite());
  CHECK(f.predict(X).allFinite());
}

}  // namespace test_ridge_tests
