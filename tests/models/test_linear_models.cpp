#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mlpipe/core/reuse.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/elastic_net.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "support.hpp"

namespace test_linear_models_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::to_vector;

const nlohmann::json& ref(const std::string& name) { return mp::test::test_reference("models_linear").at(name); }

mp::matrix to_matrix(const nlohmann::json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows[0].size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = to_vector(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

// Largest |a - b| / max(|b|, 1) over all entries.
double max_error(const mp::matrix& a, const mp::matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return ((a - b).array().abs() / b.array().abs().max(1.0)).maxCoeff();
}

const mp::dataset& diabetes() { return mp::test::load("diabetes.csv"); }
mp::matrix wide_X() { return to_matrix(ref("wide_X")); }
mp::vector wide_y() { return to_vector(ref("wide_y")); }

// A fitted linear model against a reference case: coef, intercept and the first ten predictions, to 1e-6 relative
// (scikit-learn ran with tol = 1e-14; the tests' fits with tol = 1e-12).
template <class Fitted>
void check_against(const Fitted& f, const mp::matrix& X, const std::string& name) {
  const auto& r = ref(name);
  INFO(name);
  CHECK(max_error(f.coef(), to_vector(r["coef"])) < 1e-6);
  CHECK(std::abs(f.intercept() - r["intercept"].get<double>()) < 1e-6 * std::max(1.0, std::abs(f.intercept())));
  CHECK(max_error(f.predict(X.topRows(10)), to_vector(r["predict"])) < 1e-6);
}

using mp::test::check_save_load;
using mp::test::corrupted;
using mp::test::expect_conformant;

// ---------------------------------------------------------------------------------------------- lasso, elastic_net

TEST_CASE("lasso and elastic_net reach scikit-learn's optimum to 1e-6", "[models][linear][lasso]") {
  const auto& d = diabetes();
  const double tol = 1e-12;
  const int it = 1000000;
  check_against(mp::lasso{.alpha = 0.1, .max_iter = it, .tol = tol}.fit(d.X, d.y), d.X, "lasso_diabetes_alpha0.1");
  check_against(mp::lasso{.alpha = 0.01, .fit_intercept = false, .max_iter = it, .tol = tol}.fit(d.X, d.y), d.X,
                "lasso_diabetes_alpha0.01_no_intercept");
  check_against(mp::lasso{.alpha = 0.05, .max_iter = it, .tol = tol}.fit(wide_X(), wide_y()), wide_X(),
                "lasso_wide_alpha0.05");
  check_against(mp::elastic_net{.alpha = 0.01, .l1_ratio = 0.5, .max_iter = it, .tol = tol}.fit(d.X, d.y), d.X,
                "enet_diabetes_alpha0.01_l1_0.5");
  check_against(mp::elastic_net{.alpha = 0.01, .l1_ratio = 0.1, .max_iter = it, .tol = tol}.fit(d.X, d.y), d.X,
                "enet_diabetes_alpha0.01_l1_0.1");
  const auto ridge_like = mp::elastic_net{.alpha = 0.01, .l1_ratio = 0.0, .max_iter = 2000, .tol = tol}.fit(d.X, d.y);
  CHECK_FALSE(ridge_like.converged());  // without an L1 term the duality gap stays large, as in scikit-learn
  check_against(ridge_like, d.X, "enet_diabetes_alpha0.01_l1_0");
  check_against(mp::elastic_net{.alpha = 0.1, .l1_ratio = 0.7, .max_iter = it, .tol = tol}.fit(wide_X(), wide_y()),
                wide_X(), "enet_wide_alpha0.1_l1_0.7");
  const mp::vector sw = to_vector(ref("diabetes_sample_weight"));
  check_against(mp::elastic_net{.alpha = 0.01, .l1_ratio = 0.5, .max_iter = it, .tol = tol}.fit(d.X, d.y, sw), d.X,
                "enet_diabetes_weighted");
}

TEST_CASE("lasso with scikit-learn's defaults stops after the same sweeps, at the same duality gap",
          "[models][linear][lasso]") {
  const auto& d = diabetes();
  const auto f = mp::lasso{.alpha = 0.1}.fit(d.X, d.y);
  const auto& r = ref("lasso_diabetes_alpha0.1_default");
  CHECK(f.n_iter() == r["n_iter"].get<mp::index>());
  CHECK(f.dual_gap() == Approx(r["dual_gap"].get<double>()).epsilon(1e-8));
  CHECK(f.converged());
  CHECK(max_error(f.coef(), to_vector(r["coef"])) < 1e-9);
  // Zero coefficients are exact zeros: the L1 penalty selects features.
  CHECK(f.coef()(0) == 0.0);
  CHECK(f.coef()(5) == 0.0);
}

TEST_CASE("lasso's random selection reaches the optimum of the cyclic one, reproducibly for a seed",
          "[models][linear][lasso]") {
  const auto& d = diabetes();
  const mp::lasso spec{.alpha = 0.1, .max_iter = 1000000, .tol = 1e-12, .selection = mp::coordinate_selection::random,
                       .seed = 42};
  const auto a = spec.fit(d.X, d.y);
  check_against(a, d.X, "lasso_diabetes_alpha0.1");
  CHECK(mp::to_json(spec.fit(d.X, d.y)) == mp::to_json(a));
  auto other = spec;
  other.seed = 7;
  CHECK(other.fit(d.X, d.y).n_iter() != a.n_iter());
}

TEST_CASE("lasso_path and enet_path give scikit-learn's grid of alphas and coefficients", "[models][linear][lasso]") {
  const auto& d = diabetes();
  // scikit-learn's default grid: 100 alphas from alpha_max down to 1e-3 alpha_max (one sweep each is enough here).
  const auto grid = mp::lasso_path(d.X, d.y, {.max_iter = 1});
  CHECK(grid.alphas.size() == 100);
  CHECK(max_error(grid.alphas, to_vector(ref("lasso_path_diabetes_default_alphas"))) < 1e-13);
  const auto path = mp::lasso_path(d.X, d.y, {.eps = 1e-2, .n_alphas = 10, .max_iter = 1000000, .tol = 1e-12});
  const auto& r = ref("lasso_path_diabetes");
  CHECK(max_error(path.alphas, to_vector(r["alphas"])) < 1e-13);
  CHECK(max_error(path.coefs, to_matrix(r["coefs"])) < 1e-6);
  // With fit_intercept the intercepts make the path's models predict like fitted lassos.
  const auto at = mp::lasso{.alpha = path.alphas(5), .max_iter = 1000000, .tol = 1e-12}.fit(d.X, d.y);
  CHECK(std::abs(path.intercepts(5) - at.intercept()) < 1e-6);

  const auto enet = mp::enet_path(d.X, d.y, {.l1_ratio = 0.5, .eps = 1e-2, .n_alphas = 7, .max_iter = 1000000,
                                              .tol = 1e-12});
  const auto& e = ref("enet_path_diabetes");
  CHECK(max_error(enet.alphas, to_vector(e["alphas"])) < 1e-13);
  CHECK(max_error(enet.coefs, to_matrix(e["coefs"])) < 1e-6);
  // A given grid is solved in decreasing order.
  const auto given = mp::lasso_path(d.X, d.y, {.alphas = {0.01, 1.0, 0.1}});
  CHECK(given.alphas(0) == 1.0);
  CHECK(given.alphas(2) == 0.01);
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::enet_path(d.X, d.y, {.l1_ratio = 2.0}); }) ==
        "enet_path: l1_ratio = 2 is out of range; expected 0 <= l1_ratio <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::lasso_path(d.X, d.y, {.alphas = {0.1, -1.0}}); }) ==
        "enet_path: alphas[1] = -1 is out of range; expected finite alphas >= 0");
}

TEST_CASE("lasso and elastic_net warm-start along alpha: the same optimum in fewer sweeps", "[models][linear][lasso]") {
  STATIC_REQUIRE(mp::warm_startable_stage<mp::lasso>);
  STATIC_REQUIRE(mp::warm_startable_stage<mp::elastic_net>);
  const auto& d = diabetes();
  const auto previous = mp::lasso{.alpha = 0.1, .max_iter = 100000, .tol = 1e-10}.fit(d.X, d.y);
  const mp::lasso next{.alpha = 0.12, .max_iter = 100000, .tol = 1e-10};
  const auto cold = next.fit(d.X, d.y);
  const auto warm = next.fit_warm(d.X, d.y, previous);
  CHECK(warm.n_iter() < cold.n_iter());
  CHECK(max_error(warm.coef(), cold.coef()) < 1e-6);
  const auto e_prev = mp::elastic_net{.alpha = 0.01}.fit(d.X, d.y);
  const auto e_warm = mp::elastic_net{.alpha = 0.02}.fit_warm(d.X, d.y, e_prev);
  CHECK(max_error(e_warm.coef(), mp::elastic_net{.alpha = 0.02}.fit(d.X, d.y).coef()) < 1e-3);
}

TEST_CASE("lasso and elastic_net keep the stage contract and save exactly", "[models][linear][lasso]") {
  const auto& d = diabetes();
  expect_conformant(mp::lasso{.alpha = 0.1}, d.X.topRows(80), d.y.head(80));
  expect_conformant(mp::elastic_net{.alpha = 0.01, .selection = mp::coordinate_selection::random, .seed = 3},
                    d.X.topRows(80), d.y.head(80));
  check_save_load(mp::lasso{.alpha = 0.1}.fit(d.X, d.y), d.X);
  check_save_load(mp::elastic_net{.alpha = 0.01, .fit_intercept = false}.fit(d.X, d.y), d.X);
  const auto f = mp::lasso{.alpha = 0.1}.fit(d.X, d.y);
  const double row[10] = {0.01, 0.02, 0.03, -0.01, 0.0, 0.0, 0.01, 0.0, 0.02, -0.03};
  const mp::matrix one = Eigen::Map<const mp::matrix>(row, 1, 10);
  CHECK(f.predict_one(row) == Approx(f.predict(one)(0)).epsilon(1e-14));
}

TEST_CASE("lasso and elastic_net reject bad hyperparameters, data and saved state with precise messages",
          "[models][linear][lasso]") {
  const auto& d = diabetes();
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::lasso{.alpha = -1}.fit(d.X, d.y); }) ==
        "lasso: alpha = -1 is out of range; expected alpha >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::elastic_net{.l1_ratio = 1.5}.fit(d.X, d.y); }) ==
        "elastic_net: l1_ratio = 1.5 is out of range; expected 0 <= l1_ratio <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::lasso{.max_iter = 0}.fit(d.X, d.y); }) ==
        "lasso: max_iter = 0 is out of range; expected max_iter >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::lasso{.tol = 0.0}.fit(d.X, d.y); }) ==
        "lasso: tol = 0 is out of range; expected tol > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::lasso{.seed = -1}.fit(d.X, d.y); }) ==
        "lasso: seed = -1 is out of range; expected 0 <= seed <= 4294967295");
  mp::matrix X = d.X;
  X(3, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::lasso{}.fit(X, d.y); }) ==
        "lasso: X has nan at row 3, column 2; expected finite values (impute missing values first, e.g. with "
        "simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::lasso{}.fit(d.X, d.y.head(5)); }) ==
        "lasso: y has 5 values but X has 442 rows; expected one target per row");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::lasso{}.fit(mp::matrix(0, 3), mp::vector(0)); }) ==
        "lasso: X is empty (0 rows, 3 columns); expected at least one row and one column");
  mp::matrix huge = d.X;
  huge(0, 4) = 1e300;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::lasso{}.fit(huge, d.y); }) ==
        "lasso: X column 4 has values too large in magnitude (up to 1e+300): its sum of squares is beyond the largest "
        "double; expected values below 1e150 in magnitude (rescale the column first)");
  mp::vector sw = mp::vector::Ones(d.X.rows());
  sw(7) = -1.0;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::elastic_net{}.fit(d.X, d.y, sw); }) ==
        "elastic_net: sample_weight has -1 at row 7; expected finite weights >= 0");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::elastic_net{}.fit(d.X, d.y, sw.head(3)); }) ==
        "elastic_net: sample_weight has 3 values but X has 442 rows; expected one weight per row");
  CHECK(error_message<mp::invalid_input>(
            [&] { (void)mp::elastic_net{}.fit(d.X, d.y, mp::vector(mp::vector::Zero(d.X.rows()))); }) ==
        "elastic_net: sample_weight sums to 0; expected a positive finite sum");
  const auto f = mp::lasso{.alpha = 0.1}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict(d.X.leftCols(3)); }) ==
        "lasso: X has 3 columns but this step was fitted on 10; expected 10 columns");
  CHECK(corrupted(f, [](nlohmann::json& m) { m["state"]["coef"][2] = "nan"; }) ==
        "<json>: model (lasso): state.coef[2] = nan is not finite; expected finite values");
  CHECK(corrupted(f, [](nlohmann::json& m) { m["state"]["n_iter"] = 5000; }) ==
        "<json>: model (lasso): state.n_iter = 5000 is out of range; expected 0 <= state.n_iter <= max_iter = 1000");
  CHECK(corrupted(f, [](nlohmann::json& m) { m["params"]["alpha"] = -2.0; }) ==
        "<json>: model (lasso): alpha = -2 is out of range; expected alpha >= 0");
  CHECK(corrupted(f, [](nlohmann::json& m) { m["params"]["selection"] = "shuffled"; }).find("selection") !=
        std::string::npos);
}

// ------------------------------------------------------------------------------- logistic_regression penalties

const mp::matrix& bc_standardized() {
  static const mp::matrix X = mp::standard_scaler{}.fit(mp::test::load("breast_cancer.csv").X).transform(
      mp::test::load("breast_cancer.csv").X);
  return X;
}
const mp::matrix& iris_standardized() {
  static const mp::matrix X =
      mp::standard_scaler{}.fit(mp::test::load("iris.csv").X).transform(mp::test::load("iris.csv").X);
  return X;
}

// A logistic_regression fit against a reference case: coef and (centred) intercepts to 1e-6, probabilities to 1e-7.
void check_logistic(const mp::logistic_regression::fitted& f, const mp::matrix& X, const std::string& name) {
  const auto& r = ref(name);
  INFO(name);
  CHECK(f.converged());
  CHECK(max_error(f.coef(), to_matrix(r["coef"])) < 1e-6);
  CHECK(max_error(f.intercept(), to_vector(r["intercept"])) < 1e-6);
  CHECK(max_error(f.predict_proba(X.topRows(10)), to_matrix(r["predict_proba"])) < 1e-7);
  // Where saga's coefficient is exactly 0, so is mlpipe's (the L1 penalty's feature selection).
  const mp::matrix sk = to_matrix(r["coef"]);
  for (mp::index i = 0; i < sk.rows(); ++i)
    for (mp::index j = 0; j < sk.cols(); ++j)
      if (sk(i, j) == 0.0) CHECK(f.coef()(i, j) == 0.0);
}

TEST_CASE("logistic_regression with l1 and elasticnet penalties reaches scikit-learn saga's optimum to 1e-6",
          "[models][linear][logistic_penalty]") {
  const auto& bc = mp::test::load("breast_cancer.csv");
  const auto& iris = mp::test::load("iris.csv");
  const double tol = 1e-10;
  check_logistic(mp::logistic_regression{.penalty = mp::penalty::l1, .C = 0.5, .tol = tol}.fit(bc_standardized(), bc.y),
                 bc_standardized(), "logreg_l1_breast_cancer_C0.5");
  check_logistic(mp::logistic_regression{.penalty = mp::penalty::l1, .C = 1.0, .tol = tol}.fit(iris_standardized(),
                                                                                               iris.y),
                 iris_standardized(), "logreg_l1_iris_C1");
  check_logistic(mp::logistic_regression{.penalty = mp::penalty::elasticnet, .C = 0.5, .l1_ratio = 0.3, .tol = tol}
                     .fit(bc_standardized(), bc.y),
                 bc_standardized(), "logreg_enet_breast_cancer_C0.5_r0.3");
  check_logistic(mp::logistic_regression{.penalty = mp::penalty::elasticnet, .C = 2.0, .l1_ratio = 0.6, .tol = tol}
                     .fit(iris_standardized(), iris.y),
                 iris_standardized(), "logreg_enet_iris_C2_r0.6");
  const mp::matrix X5 = bc_standardized().leftCols(5);
  check_logistic(mp::logistic_regression{.penalty = mp::penalty::none, .tol = tol}.fit(X5, bc.y), X5,
                 "logreg_none_breast_cancer_5");
}

TEST_CASE("logistic_regression's L1 problems above 1000 unknowns use proximal gradient, to the same optimum",
          "[models][linear][logistic_penalty]") {
  // Forced here on a small problem (iris, 15 unknowns). First-order, it is slower to high precision than proximal
  // Newton: tol = 1e-7 here, and the coefficients within 1e-6 of saga's.
  const auto& iris = mp::test::load("iris.csv");
  const mp::logistic_regression spec{.penalty = mp::penalty::l1, .C = 1.0, .max_iter = 20000, .tol = 1e-7};
  const auto f = mp::detail::fit_logistic(spec, iris_standardized(), iris.y, nullptr,
                                          mp::detail::logistic_solver::lbfgs);
  CHECK(f.converged());
  CHECK(max_error(f.coef(), to_matrix(ref("logreg_l1_iris_C1")["coef"])) < 1e-6);
  CHECK(max_error(f.intercept(), to_vector(ref("logreg_l1_iris_C1")["intercept"])) < 1e-6);
}

TEST_CASE("logistic_regression's l1 penalty warm-starts along C and keeps the stage contract",
          "[models][linear][logistic_penalty]") {
  const auto& iris = mp::test::load("iris.csv");
  const mp::logistic_regression small{.penalty = mp::penalty::l1, .C = 0.5, .tol = 1e-10};
  const mp::logistic_regression large{.penalty = mp::penalty::l1, .C = 1.0, .tol = 1e-10};
  const auto cold = large.fit(iris_standardized(), iris.y);
  const auto warm = large.fit_warm(iris_standardized(), iris.y, small.fit(iris_standardized(), iris.y));
  CHECK(warm.n_iter() <= cold.n_iter());
  CHECK(max_error(warm.coef(), cold.coef()) < 1e-8);
  expect_conformant(mp::logistic_regression{.penalty = mp::penalty::l1}, iris_standardized(), iris.y);
  expect_conformant(mp::logistic_regression{.penalty = mp::penalty::elasticnet, .l1_ratio = 0.2},
                    bc_standardized().topRows(100), mp::test::load("breast_cancer.csv").y.head(100));
  check_save_load(cold, iris_standardized());
}

TEST_CASE("logistic_regression rejects a bad l1_ratio or penalty with precise messages",
          "[models][linear][logistic_penalty]") {
  const auto& iris = mp::test::load("iris.csv");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::logistic_regression{.penalty = mp::penalty::elasticnet, .l1_ratio = 1.5}.fit(iris.X, iris.y);
        }) == "logistic_regression: l1_ratio = 1.5 is out of range; expected 0 <= l1_ratio <= 1");
  const auto f = mp::logistic_regression{.penalty = mp::penalty::l1}.fit(iris_standardized(), iris.y);
  CHECK(corrupted(f, [](nlohmann::json& m) { m["params"]["penalty"] = "l3"; }) ==
        "<json>: model params.penalty: expected one of \"l2\", \"l1\", \"elasticnet\", \"none\", found \"l3\"");
}

}  // namespace test_linear_models_tests
