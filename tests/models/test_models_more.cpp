#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "mlpipe/feature_selection/importance.hpp"
#include "mlpipe/feature_selection/select_from_model.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/reuse.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/linear_svc.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge_classifier.hpp"
#include "mlpipe/models/tree.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "support.hpp"

namespace test_models_more_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::to_vector;

const nlohmann::json& ref(const std::string& name) { return mp::test::test_reference("models_more").at(name); }

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

// iris standardized, its last 30 rows dropped (classes of 50, 50 and 20 rows), labels {3, 7, 12}.
mp::matrix unbalanced_X() { return to_matrix(ref("unbalanced_X")); }
mp::vector unbalanced_y() { return to_vector(ref("unbalanced_y")); }

// breast_cancer standardized with mlpipe's scaler (scikit-learn's StandardScaler computes the same values to 1e-15).
const mp::matrix& breast_cancer_X() {
  static const mp::matrix X = [] {
    const auto& d = mp::test::load("breast_cancer.csv");
    return mp::matrix(mp::standard_scaler{}.fit(d.X).transform(d.X));
  }();
  return X;
}
const mp::vector& breast_cancer_y() { return mp::test::load("breast_cancer.csv").y; }

// A fitted linear classifier against a reference case: coef, intercept, the first ten rows' scores to 1e-6 relative,
// and every training prediction.
template <class Fitted>
void check_against(const Fitted& f, const mp::matrix& X, const std::string& name) {
  const auto& r = ref(name);
  INFO(name);
  CHECK(max_error(f.coef(), to_matrix(r["coef"])) < 1e-6);
  CHECK(max_error(f.intercept(), to_vector(r["intercept"])) < 1e-6);
  CHECK(max_error(f.decision_function(X.topRows(10)), to_matrix(r["decision_function"])) < 1e-6);
  CHECK((f.predict(X).array() == to_vector(r["predict"]).array()).all());
}

using mp::test::check_save_load;
using mp::test::corrupted;
using mp::test::expect_conformant;

// ---------------------------------------------------------------------------------------------- ridge_classifier

TEST_CASE("ridge_classifier has scikit-learn's coefficients, scores and predictions, with class and sample weights",
          "[models][linear][ridge_classifier]") {
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const mp::vector sw = to_vector(ref("unbalanced_sample_weight"));
  check_against(mp::ridge_classifier{.alpha = 1.0}.fit(X, y), X, "ridge_classifier_unbalanced");
  check_against(mp::ridge_classifier{.alpha = 1.0, .class_weight = mp::class_weight::balanced}.fit(X, y), X,
                "ridge_classifier_unbalanced_balanced");
  check_against(mp::ridge_classifier{.alpha = 0.5, .class_weight = mp::class_weight::given({{3, 0.5}, {7, 2.0}})}
                    .fit(X, y),
                X, "ridge_classifier_unbalanced_given");
  check_against(mp::ridge_classifier{.alpha = 2.0, .class_weight = mp::class_weight::balanced}.fit(X, y, sw), X,
                "ridge_classifier_unbalanced_weighted");
  check_against(mp::ridge_classifier{.alpha = 1.0, .fit_intercept = false}.fit(X, y), X,
                "ridge_classifier_unbalanced_no_intercept");
  const mp::matrix& Xb = breast_cancer_X();
  check_against(mp::ridge_classifier{.alpha = 3.0}.fit(Xb, breast_cancer_y()), Xb, "ridge_classifier_breast_cancer");
  check_against(mp::ridge_classifier{.alpha = 3.0}.fit(Xb, breast_cancer_y(),
                                                       to_vector(ref("breast_cancer_sample_weight"))),
                Xb, "ridge_classifier_breast_cancer_weighted");
}

TEST_CASE("ridge_classifier and linear_svc save and load exactly, and validate a loaded state",
          "[models][linear][ridge_classifier][linear_svc]") {
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const auto rc = mp::ridge_classifier{.class_weight = mp::class_weight::given({{12, 3.0}})}.fit(X, y);
  check_save_load(rc, X);
  const auto svc = mp::linear_svc{.C = 0.5, .class_weight = mp::class_weight::balanced}.fit(X, y);
  check_save_load(svc, X);
  CHECK(corrupted(rc, [](auto& m) { m["state"]["coef"]["data"][7] = "nan"; }) ==
        "<json>: model (ridge_classifier): state.coef(1, 2) = nan is not finite; expected finite values");
  CHECK(corrupted(rc, [](auto& m) { m["state"]["classes"] = {3.0, 7.0}; }) ==
        "<json>: model (ridge_classifier): state.coef has 3 rows; expected 1 (a single row for two classes)");
  CHECK(corrupted(rc, [](auto& m) { m["state"]["intercept"] = {0.0, 1.0}; }) ==
        "<json>: model (ridge_classifier): state.intercept has 2 values; expected 3 (one per row of state.coef)");
  CHECK(corrupted(rc, [](auto& m) { m["params"]["class_weight"] = {12.0, -3.0}; }) ==
        "<json>: model (ridge_classifier): class_weight = [12, -3] is out of range; expected class_weight \"none\", "
        "\"balanced\" or label, weight pairs (finite labels, each once; finite weights >= 0)");
  CHECK(corrupted(svc, [](auto& m) { m["state"]["n_iter"] = 5000; }) ==
        "<json>: model (linear_svc): state.n_iter = 5000 is out of range; expected 0 <= state.n_iter <= max_iter = 1000");
  CHECK(corrupted(svc, [](auto& m) {
          m["params"]["fit_intercept"] = false;
        }).starts_with("<json>: model (linear_svc): state.intercept[0] = "));
  CHECK(corrupted(svc, [](auto& m) { m["params"]["class_weight"] = "balanced_subsample"; }) ==
        "<json>: model (linear_svc): class_weight = \"balanced_subsample\" is out of range; expected class_weight \"none\", "
        "\"balanced\" or label, weight pairs (finite labels, each once; finite weights >= 0)");
}

// ------------------------------------------------------------------------------------------------------ linear_svc

TEST_CASE("linear_svc reaches liblinear's optimum to 1e-6, with intercept_scaling, class and sample weights",
          "[models][linear][linear_svc]") {
  const mp::matrix& Xb = breast_cancer_X();
  const mp::vector& yb = breast_cancer_y();
  const mp::vector swb = to_vector(ref("breast_cancer_sample_weight"));
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const mp::vector sw = to_vector(ref("unbalanced_sample_weight"));
  const double tol = 1e-10;  // as scikit-learn ran (see tests/reference/models_more.py)
  const int it = 1000000;
  const auto svc = mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it}.fit(Xb, yb);
  CHECK(svc.converged());
  check_against(svc, Xb, "linear_svc_breast_cancer");
  check_against(mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it, .intercept_scaling = 10.0}.fit(Xb, yb), Xb,
                "linear_svc_breast_cancer_scaling10");
  check_against(mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it, .class_weight = mp::class_weight::balanced}
                    .fit(Xb, yb, swb),
                Xb, "linear_svc_breast_cancer_weighted");
  check_against(mp::linear_svc{.C = 1.0, .tol = tol, .max_iter = it}.fit(X, y), X, "linear_svc_unbalanced");
  check_against(mp::linear_svc{.C = 1.0, .tol = tol, .max_iter = it, .class_weight = mp::class_weight::balanced}
                    .fit(X, y),
                X, "linear_svc_unbalanced_balanced");
  // One-vs-rest as liblinear weighs it: a problem's positive rows by their class weight, its negative rows by 1.
  check_against(mp::linear_svc{.C = 2.0, .tol = tol, .max_iter = it,
                               .class_weight = mp::class_weight::given({{3, 0.5}, {7, 2.0}})}
                    .fit(X, y, sw),
                X, "linear_svc_unbalanced_given_weighted");
  check_against(mp::linear_svc{.C = 1.0, .tol = tol, .max_iter = it, .fit_intercept = false}.fit(X, y), X,
                "linear_svc_unbalanced_no_intercept");
}

TEST_CASE("linear_svc is reproducible for a seed, and another seed reaches the same optimum",
          "[models][linear][linear_svc]") {
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const auto a = mp::linear_svc{.tol = 1e-10, .max_iter = 100000, .seed = 3}.fit(X, y);
  const auto b = mp::linear_svc{.tol = 1e-10, .max_iter = 100000, .seed = 3}.fit(X, y);
  const auto c = mp::linear_svc{.tol = 1e-10, .max_iter = 100000, .seed = 4}.fit(X, y);
  CHECK(mp::to_json(a)["model"]["state"] == mp::to_json(b)["model"]["state"]);
  CHECK(max_error(c.coef(), a.coef()) < 1e-7);
  // Few passes: not converged, and says so.
  const auto short_run = mp::linear_svc{.tol = 1e-12, .max_iter = 2}.fit(X, y);
  CHECK_FALSE(short_run.converged());
  CHECK(short_run.n_iter() == 2);
}

TEST_CASE("linear_svc warm-starts along C: liblinear's optimum in fewer passes, and the same search results",
          "[models][linear][linear_svc][warm_start]") {
  STATIC_REQUIRE(mp::warm_startable_stage<mp::linear_svc>);
  const mp::matrix& Xb = breast_cancer_X();
  const mp::vector& yb = breast_cancer_y();
  const double tol = 1e-10;  // as the reference was solved (tests/reference/models_more.py)
  const int it = 1000000;
  const auto previous = mp::linear_svc{.C = 0.2, .tol = tol, .max_iter = it}.fit(Xb, yb);
  const auto cold = mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it}.fit(Xb, yb);
  const auto warm = mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it}.fit_warm(Xb, yb, previous);
  CHECK(warm.converged());
  CHECK(warm.n_iter() < cold.n_iter());
  check_against(warm, Xb, "linear_svc_breast_cancer");  // the unique optimum, to 1e-6 as the cold fit
  // From a larger C too (the search's order is ascending, but any start is feasible), and from its own optimum
  // (which it keeps in a pass or two).
  const auto from_above = mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it}.fit_warm(
      Xb, yb, mp::linear_svc{.C = 2.0, .tol = tol, .max_iter = it}.fit(Xb, yb));
  check_against(from_above, Xb, "linear_svc_breast_cancer");
  const auto again = mp::linear_svc{.C = 0.5, .tol = tol, .max_iter = it}.fit_warm(Xb, yb, cold);
  INFO("passes: cold " << cold.n_iter() << ", warm from C = 0.2 " << warm.n_iter() << ", from its own optimum "
                       << again.n_iter());
  CHECK(again.n_iter() * 4 < cold.n_iter());
  check_against(again, Xb, "linear_svc_breast_cancer");

  // One-vs-rest (three classes) with class weights.
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const auto spec = mp::linear_svc{.C = 2.0, .tol = tol, .max_iter = it, .class_weight = mp::class_weight::balanced};
  const auto ovr_cold = spec.fit(X, y);
  auto smaller = spec;
  smaller.C = 1.0;
  const auto ovr_warm = spec.fit_warm(X, y, smaller.fit(X, y));
  INFO("one-vs-rest passes: cold " << ovr_cold.n_iter() << ", warm " << ovr_warm.n_iter());
  CHECK(ovr_warm.n_iter() < ovr_cold.n_iter());
  CHECK(max_error(ovr_warm.coef(), ovr_cold.coef()) < 1e-6);
  CHECK(max_error(ovr_warm.intercept(), ovr_cold.intercept()) < 1e-6);
  // A start from a model with other settings (no class weights, another intercept_scaling) is still a feasible
  // start: the same optimum.
  const auto other = spec.fit_warm(X, y, mp::linear_svc{.C = 1.0, .tol = tol, .max_iter = it, .intercept_scaling = 3.0}
                                             .fit(X, y));
  CHECK(max_error(other.coef(), ovr_cold.coef()) < 1e-6);
  CHECK(max_error(other.intercept(), ovr_cold.intercept()) < 1e-6);

  // A warm start from a model of other classes or features is refused.
  const mp::vector two_classes = (y.array() == 3.0).select(mp::vector::Constant(y.size(), 1.0), 0.0);
  const auto binary = mp::linear_svc{}.fit(X, two_classes);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::linear_svc{}.fit_warm(X, y, binary); }) ==
        "linear_svc: the warm start has 1 x 4 coefficients for 2 classes; expected 3 x 4 finite coefficients for the "
        "same 3 classes");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::linear_svc{}.fit_warm(X.leftCols(3), y, ovr_cold); }) ==
        "linear_svc: the warm start has 3 x 4 coefficients for 3 classes; expected 3 x 3 finite coefficients for the "
        "same 3 classes");

  // In a search (warm starts are on by default) every candidate reaches the optimum its cold fit reaches.
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::linear_svc{.tol = 1e-8, .max_iter = it});
  const auto grid = mp::grid{{"model.C", {0.05, 0.2, 1.0, 5.0}}};
  const auto cv = mp::stratified_kfold{.n_splits = 3};
  const auto warm_search = mp::grid_search{pipe, grid, {.cv = cv, .scoring = {"roc_auc", "accuracy"}}}.fit(Xb, yb);
  const auto cold_search =
      mp::grid_search{pipe, grid, {.cv = cv, .scoring = {"roc_auc", "accuracy"}, .warm_start = false}}.fit(Xb, yb);
  CHECK(warm_search.best_index() == cold_search.best_index());
  for (std::size_t c = 0; c < 4; ++c) {
    for (std::size_t split = 0; split < 3; ++split) {
      const std::vector<double> a = warm_search.results().split_test_scores(c, split);
      const std::vector<double> b = cold_search.results().split_test_scores(c, split);
      REQUIRE(a.size() == 2);
      // The same optimum to the solver's tolerance: decision values agree to about 1e-7, so at most a near-tie
      // of two rows' scores could swap (1 / (n_pos n_neg) ~ 2e-5 of roc_auc); accuracy is the same.
      CHECK(std::abs(a[0] - b[0]) < 1e-4);
      CHECK(a[1] == b[1]);
    }
  }
}

TEST_CASE("ridge_classifier and linear_svc reject bad hyperparameters, weights and data with exact messages",
          "[models][linear][ridge_classifier][linear_svc]") {
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::ridge_classifier{.alpha = -1}.fit(X, y); }) ==
        "ridge_classifier: alpha = -1 is out of range; expected alpha >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::linear_svc{.C = 0}.fit(X, y); }) ==
        "linear_svc: C = 0 is out of range; expected C > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::linear_svc{.tol = -1e-3}.fit(X, y); }) ==
        "linear_svc: tol = -0.001 is out of range; expected tol > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::linear_svc{.max_iter = 0}.fit(X, y); }) ==
        "linear_svc: max_iter = 0 is out of range; expected max_iter >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::linear_svc{.intercept_scaling = 0}.fit(X, y); }) ==
        "linear_svc: intercept_scaling = 0 is out of range; expected intercept_scaling > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::linear_svc{.seed = -1}.fit(X, y); }) ==
        "linear_svc: seed = -1 is out of range; expected 0 <= seed <= 4294967295");
  const std::string cw_range =
      " is out of range; expected class_weight \"none\", \"balanced\" or label, weight pairs (finite labels, each "
      "once; finite weights >= 0)";
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::ridge_classifier{.class_weight = mp::class_weight::given({{3, -0.5}})}.fit(X, y);
        }) == "ridge_classifier: class_weight = [3, -0.5]" + cw_range);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::linear_svc{.class_weight = mp::class_weight::given({{3, 1.0}, {3, 2.0}})}.fit(X, y);
        }) == "linear_svc: class_weight = [3, 1, 3, 2]" + cw_range);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::linear_svc{.class_weight = mp::class_weight{mp::class_weight::rule::given, {3.0}}}.fit(X, y);
        }) == "linear_svc: class_weight = [3]" + cw_range);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::ridge_classifier{.class_weight = mp::class_weight::balanced_subsample}.fit(X, y);
        }) == "ridge_classifier: class_weight = \"balanced_subsample\"" + cw_range);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::linear_svc{.class_weight = mp::class_weight::given({{5, 1.0}})}.fit(X, y);
        }) == "linear_svc: class_weight names label 5, which is not a class of y; expected labels of y");
  const mp::vector short_weights = mp::vector::Ones(3);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::ridge_classifier{}.fit(X, y, short_weights); }) ==
        "ridge_classifier: sample_weight has 3 values but X has 120 rows; expected one weight per row");
  mp::vector negative = mp::vector::Ones(X.rows());
  negative(4) = -1.0;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::linear_svc{}.fit(X, y, negative); }) ==
        "linear_svc: sample_weight has -1 at row 4; expected finite weights >= 0");
  mp::matrix bad = X;
  bad(2, 1) = std::nan("");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::linear_svc{}.fit(bad, y); }) ==
        "linear_svc: X has nan at row 2, column 1; expected finite values (impute missing values first, e.g. with simple_imputer)");
  mp::vector fractional = y;
  fractional(0) = 0.5;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::ridge_classifier{}.fit(X, fractional); }).starts_with(
      "ridge_classifier: y has 0.5 at row 0, which is not a class label"));
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::ridge_classifier{}.fit(X, mp::vector::Constant(120, 4.0)); }) ==
        "ridge_classifier: y has a single class (4); expected at least two classes");
  mp::matrix huge = X;
  huge.col(3) *= 1e200;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::linear_svc{}.fit(huge, y); }).starts_with(
      "linear_svc: X column 3 has values too large in magnitude"));
  const auto f = mp::ridge_classifier{}.fit(X, y);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict(X.leftCols(2)); }) ==
        "ridge_classifier: X has 2 columns but this step was fitted on 4; expected 4 columns");
}

TEST_CASE("class_weight reads and writes its parameter forms", "[models][linear][class_weight]") {
  using traits = mp::param_traits<mp::class_weight>;
  CHECK(traits::from_value(std::string("balanced")) == mp::class_weight::balanced);
  CHECK(traits::from_value(std::string("none")) == mp::class_weight::none);
  CHECK(traits::from_value(std::string("balanced_subsample")) == mp::class_weight::balanced_subsample);
  CHECK_FALSE(traits::from_value(std::string("auto")).has_value());
  CHECK(traits::from_value(std::vector<double>{3, 0.5, 7, 2}) == mp::class_weight::given({{3, 0.5}, {7, 2}}));
  CHECK(traits::to_value(mp::class_weight::given({{3, 0.5}})) == mp::param_value(std::vector<double>{3, 0.5}));
  CHECK(traits::to_value(mp::class_weight::balanced) == mp::param_value(std::string("balanced")));
  mp::ridge_classifier spec;
  mp::set_param(spec, "class_weight", std::string("balanced"));
  CHECK(spec.class_weight == mp::class_weight::balanced);
}

TEST_CASE("ridge_classifier and linear_svc predict one row without allocating, expose coef to select_from_model, "
          "and keep the stage contract",
          "[models][linear][ridge_classifier][linear_svc]") {
  STATIC_REQUIRE(mp::importance_estimator<mp::ridge_classifier>);
  STATIC_REQUIRE(mp::importance_estimator<mp::linear_svc>);
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const auto f = mp::linear_svc{}.fit(X, y);
  const mp::vector predicted = f.predict(X);
  for (mp::index i = 0; i < X.rows(); ++i) {
    const mp::vector row = X.row(i).transpose();
    CHECK(f.predict_one(std::span<const double>(row.data(), 4)) == predicted(i));
  }
  const auto selected = mp::select_from_model<mp::linear_svc>{.threshold = "mean"}.fit(X, y);
  CHECK(selected.support().size() >= 1);
  expect_conformant(mp::ridge_classifier{}, X, y);
  expect_conformant(mp::ridge_classifier{.class_weight = mp::class_weight::balanced}, X, y);
  expect_conformant(mp::linear_svc{}, X, y);
  expect_conformant(mp::linear_svc{.class_weight = mp::class_weight::balanced, .seed = 5}, breast_cancer_X(),
                    breast_cancer_y());
}

// ------------------------------------------------------------------------------------------- logistic_regression

// A logistic_regression fit against a reference case (newton-cg to 1e-12): coef, centred intercepts and the first
// ten rows' probabilities to 1e-6.
void check_logistic(const mp::logistic_regression::fitted& f, const mp::matrix& X, const std::string& name) {
  const auto& r = ref(name);
  INFO(name);
  CHECK(max_error(f.coef(), to_matrix(r["coef"])) < 1e-6);
  CHECK(max_error(f.intercept(), to_vector(r["intercept"])) < 1e-6);
  CHECK(max_error(f.predict_proba(X.topRows(10)), to_matrix(r["predict_proba"])) < 1e-6);
}

TEST_CASE("logistic_regression weighs classes and rows as scikit-learn does", "[models][linear][logistic]") {
  const mp::matrix X = unbalanced_X();
  const mp::vector y = unbalanced_y();
  const double tol = 1e-10;
  check_logistic(mp::logistic_regression{.tol = tol, .class_weight = mp::class_weight::balanced}.fit(X, y), X,
                 "logreg_unbalanced_balanced");
  check_logistic(mp::logistic_regression{.C = 2.0, .tol = tol,
                                         .class_weight = mp::class_weight::given({{3, 0.5}, {7, 2.0}})}
                     .fit(X, y, to_vector(ref("unbalanced_sample_weight"))),
                 X, "logreg_unbalanced_given_weighted");
  const mp::matrix& Xb = breast_cancer_X();
  check_logistic(mp::logistic_regression{.C = 0.5, .tol = tol, .class_weight = mp::class_weight::balanced}.fit(
                     Xb, breast_cancer_y(), to_vector(ref("breast_cancer_sample_weight"))),
                 Xb, "logreg_breast_cancer_balanced_weighted");
  // Weights of 1 are no weights, bit for bit; integer weights are repeated rows.
  const auto plain = mp::logistic_regression{}.fit(X, y);
  const auto ones = mp::logistic_regression{}.fit(X, y, mp::vector::Ones(X.rows()));
  CHECK(max_error(ones.coef(), plain.coef()) < 1e-12);
  mp::vector twice = mp::vector::Ones(X.rows());
  twice.head(10).setConstant(2.0);
  mp::matrix X_repeated(X.rows() + 10, X.cols());
  X_repeated << X, X.topRows(10);
  mp::vector y_repeated(y.size() + 10);
  y_repeated << y, y.head(10);
  const double tight = 1e-12;
  CHECK(max_error(mp::logistic_regression{.tol = tight}.fit(X, y, twice).coef(),
                  mp::logistic_regression{.tol = tight}.fit(X_repeated, y_repeated).coef()) < 1e-9);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::logistic_regression{}.fit(X, y, mp::vector::Zero(X.rows())); }) ==
        "logistic_regression: sample_weight sums to 0; expected a positive finite sum");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::logistic_regression{.class_weight = mp::class_weight::given({{3, std::nan("")}})}.fit(X, y);
        }) == "logistic_regression: class_weight = [3, nan] is out of range; expected class_weight \"none\", "
              "\"balanced\" or label, weight pairs (finite labels, each once; finite weights >= 0)");
}

TEST_CASE("logistic_regression loads a model file of schema version 1 (penalty l2 implied)",
          "[models][linear][logistic]") {
  // Saved by mlpipe before the penalties and class weights: logistic_regression{.C = 0.5} fitted on iris.
  const std::string file = std::string(MLPIPE_TEST_REFERENCE_DIR) + "/logistic_regression_v1.json";
  const auto old = mp::load<mp::logistic_regression::fitted>(file);
  CHECK(old.spec().penalty == mp::penalty::l2);
  CHECK(old.spec().C == 0.5);
  CHECK(old.spec().class_weight == mp::class_weight::none);
  const auto& d = mp::test::load("iris.csv");
  const auto now = mp::logistic_regression{.C = 0.5}.fit(d.X, d.y);
  CHECK(max_error(old.coef(), now.coef()) < 1e-6);
  CHECK((old.predict(d.X).array() == now.predict(d.X).array()).all());
  // Saved again, it is a file of the current version, with every parameter.
  const nlohmann::json again = mp::to_json(old);
  CHECK(again["model"]["schema_version"] == mp::logistic_regression::fitted::schema_version);
  CHECK(again["model"]["params"]["penalty"] == "l2");
  // A version-1 file with a parameter of its own missing is still an error; so is a version from the future.
  nlohmann::json broken = mp::test::read_json(file);
  broken["model"]["params"].erase("C");
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<mp::logistic_regression::fitted>(broken); }) ==
        "<json>: model params: 'C' is missing");
  nlohmann::json future = mp::test::read_json(file);
  future["model"]["schema_version"] = 4;
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<mp::logistic_regression::fitted>(future); }) ==
        "<json>: model (logistic_regression): schema version 4 in the file; this build reads versions 1 to 3");
}

// ------------------------------------------------------------------------------------------------- trees, forests

std::vector<mp::index> to_indices(const nlohmann::json& j) { return j.get<std::vector<mp::index>>(); }

// A weighted tree against scikit-learn's: structure, features and thresholds exactly (float32-valued X), weighted
// node sizes, impurities, values and importances to rounding, every prediction.
template <class Fitted>
void expect_same_tree(const Fitted& f, const std::string& name, const mp::matrix& X) {
  const auto& r = ref(name);
  INFO(name);
  REQUIRE(f.node_count() == static_cast<mp::index>(r["feature"].size()));
  CHECK(f.children_left() == to_indices(r["children_left"]));
  CHECK(f.feature() == to_indices(r["feature"]));
  CHECK(f.threshold() == to_vector(r["threshold"]));
  const mp::vector weighted = to_vector(r["weighted_n_node_samples"]);
  CHECK((f.weighted_n_node_samples() - weighted).cwiseAbs().maxCoeff() <= 1e-12 * weighted.maxCoeff());
  CHECK((f.impurity() - to_vector(r["impurity"])).cwiseAbs().maxCoeff() <= 1e-12);
  const mp::matrix value = to_matrix(r["value"]);
  CHECK((f.value() - value).cwiseAbs().maxCoeff() <= 1e-12 * std::max(1.0, value.cwiseAbs().maxCoeff()));
  CHECK((f.feature_importances() - to_vector(r["feature_importances"])).cwiseAbs().maxCoeff() <= 1e-12);
  const mp::vector predicted = to_vector(r["predict"]);
  CHECK((f.predict(X) - predicted).cwiseAbs().maxCoeff() <= 1e-12 * std::max(1.0, predicted.cwiseAbs().maxCoeff()));
}

TEST_CASE("decision trees weigh classes and rows as scikit-learn does, node for node", "[models][trees]") {
  const mp::matrix X = to_matrix(ref("trees_X"));
  const mp::vector y = to_vector(ref("trees_classes"));
  const mp::vector sw = to_vector(ref("trees_sample_weight"));
  const auto balanced =
      mp::decision_tree_classifier{.min_samples_leaf = 15, .class_weight = mp::class_weight::balanced}.fit(X, y);
  expect_same_tree(balanced, "tree_balanced", X);
  CHECK((balanced.predict_proba(X) - to_matrix(ref("tree_balanced")["predict_proba"])).cwiseAbs().maxCoeff() <= 1e-12);
  expect_same_tree(mp::decision_tree_classifier{.min_samples_leaf = 10,
                                                .class_weight = mp::class_weight::given({{3, 0.5}, {12, 4.0}})}
                       .fit(X, y, sw),
                   "tree_given_weighted", X);
  expect_same_tree(mp::decision_tree_classifier{.criterion = mp::classification_criterion::entropy,
                                                .max_leaf_nodes = 10}
                       .fit(X, y, sw),
                   "tree_entropy_weighted_best_first", X);
  expect_same_tree(mp::decision_tree_regressor{.min_samples_leaf = 8}.fit(X, to_vector(ref("trees_values")), sw),
                   "tree_regressor_weighted", X);
  // Integer weights are repeated rows: the same splits, the same predictions.
  mp::vector twice = mp::vector::Ones(X.rows());
  twice.head(40).setConstant(2.0);
  mp::matrix X_repeated(X.rows() + 40, X.cols());
  X_repeated << X, X.topRows(40);
  mp::vector y_repeated(y.size() + 40);
  y_repeated << y, y.head(40);
  const auto weighted = mp::decision_tree_classifier{.max_depth = 3}.fit(X, y, twice);
  const auto repeated = mp::decision_tree_classifier{.max_depth = 3}.fit(X_repeated, y_repeated);
  CHECK(weighted.feature() == repeated.feature());
  CHECK(weighted.threshold() == repeated.threshold());
  CHECK(weighted.predict(X) == repeated.predict(X));
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::decision_tree_classifier{.class_weight = mp::class_weight::given({{3, 0}, {7, 0}, {12, 0}})}.fit(
              X, y);
        }) == "decision_tree_classifier: every row weighs 0 (class_weight times sample_weight); expected a row of "
              "positive weight");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::decision_tree_regressor{}.fit(X, y, sw.head(5)); }) ==
        "decision_tree_regressor: sample_weight has 5 values but X has 300 rows; expected one weight per row");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::decision_tree_classifier{.class_weight = mp::class_weight::balanced_subsample}.fit(X, y);
        }) == "decision_tree_classifier: class_weight = \"balanced_subsample\" is out of range; expected "
              "class_weight \"none\", \"balanced\" or label, weight pairs (finite labels, each once; finite "
              "weights >= 0)");
}

TEST_CASE("random forests with balanced and balanced_subsample class weights score within scikit-learn's spread",
          "[models][trees][forest]") {
  const mp::matrix X = to_matrix(ref("trees_X"));
  const mp::vector y = to_vector(ref("trees_classes"));
  const mp::vector sw = to_vector(ref("trees_sample_weight"));
  std::vector<mp::index> train, test;
  for (mp::index i = 0; i < X.rows(); ++i) (i % 3 == 0 ? test : train).push_back(i);
  const mp::matrix X_train = X(train, Eigen::all), X_test = X(test, Eigen::all);
  const mp::vector y_train = y(train), y_test = y(test), sw_train = sw(train);
  // Balanced accuracy: the mean recall over the three classes.
  const auto balanced_accuracy = [&](const mp::vector& predicted) {
    double sum = 0.0;
    for (const double c : {3.0, 7.0, 12.0}) {
      double hit = 0.0, total = 0.0;
      for (mp::index i = 0; i < y_test.size(); ++i) {
        if (y_test(i) != c) continue;
        total += 1.0;
        hit += predicted(i) == c ? 1.0 : 0.0;
      }
      sum += hit / total;
    }
    return sum / 3.0;
  };
  double plain_mean = 0.0;
  for (const auto& [name, weights] :
       {std::pair{"forest_plain", mp::class_weight::none}, std::pair{"forest_balanced", mp::class_weight::balanced},
        std::pair{"forest_balanced_subsample", mp::class_weight::balanced_subsample}}) {
    const mp::vector sk = to_vector(ref(name)["balanced_accuracy"]);
    double mean = 0.0;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
      const auto f = mp::random_forest_classifier{.n_estimators = 30, .min_samples_leaf = 3, .seed = seed,
                                                  .class_weight = weights}
                         .fit(X_train, y_train, sw_train);
      mean += balanced_accuracy(f.predict(X_test)) / 10.0;
    }
    INFO(name << ": mlpipe's mean over 10 seeds " << mean << ", scikit-learn's 20 seeds " << sk.minCoeff() << " to "
              << sk.maxCoeff());
    CHECK(mean >= sk.minCoeff());
    CHECK(mean <= sk.maxCoeff());
    if (weights == mp::class_weight::none) plain_mean = mean;
    else CHECK(mean > plain_mean);  // weighing the classes helps the small one, as in scikit-learn
  }
  // Without bootstrap, balanced_subsample is balanced (as scikit-learn treats it).
  const mp::extra_trees_classifier et{.n_estimators = 5, .seed = 1};
  auto a = et;
  a.class_weight = mp::class_weight::balanced;
  auto b = et;
  b.class_weight = mp::class_weight::balanced_subsample;
  CHECK(a.fit(X, y).predict_proba(X) == b.fit(X, y).predict_proba(X));
}

TEST_CASE("weighted trees and forests save and load exactly; version-1 tree files still load", "[models][trees]") {
  const mp::matrix X = to_matrix(ref("trees_X"));
  const mp::vector y = to_vector(ref("trees_classes"));
  const auto tree = mp::decision_tree_classifier{.max_depth = 3, .class_weight = mp::class_weight::balanced}.fit(X, y);
  check_save_load(tree, X);
  const auto forest = mp::random_forest_classifier{.n_estimators = 3, .class_weight = mp::class_weight::balanced_subsample}
                          .fit(X, y);
  check_save_load(forest, X);
  // A file written before class_weight existed: schema version 1 without the parameter.
  nlohmann::json old = mp::to_json(mp::decision_tree_classifier{.max_depth = 3}.fit(X, y));
  old["model"]["schema_version"] = 1;
  old["model"]["params"].erase("class_weight");
  const auto loaded = mp::from_json<mp::decision_tree_classifier::fitted>(old);
  CHECK(loaded.spec().class_weight == mp::class_weight::none);
  nlohmann::json old_forest = mp::to_json(mp::random_forest_regressor{.n_estimators = 2}.fit(X, y));
  old_forest["model"]["schema_version"] = 1;
  CHECK(mp::from_json<mp::random_forest_regressor::fitted>(old_forest).n_estimators() == 2);
  expect_conformant(mp::decision_tree_classifier{.max_depth = 3, .class_weight = mp::class_weight::balanced}, X, y);
  expect_conformant(mp::random_forest_classifier{.n_estimators = 3, .class_weight = mp::class_weight::balanced_subsample},
                    X, y);
}

}  // namespace test_models_more_tests
