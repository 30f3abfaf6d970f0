#include <catch2/catch.hpp>

#include <cmath>    // std::nan
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/transform_fn.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_load_validation_tests {

// A model file is untrusted input: every field of a fitted stage's state that predict relies on is checked when the
// file is loaded (check_invariants), so no file that loads can make predict read out of bounds. Each case builds a
// real fitted model, saves it as JSON, corrupts one field and asserts the load_error.

namespace mp = mlpipe;
using json = nlohmann::json;
using mp::test::error_message;

namespace {

// The load_error of a model saved from `fitted`, with edit(model node) applied to the file.
template <class Fitted, class Edit>
std::string corrupted(const Fitted& fitted, Edit edit) {
  json envelope = mp::to_json(fitted);
  edit(envelope["model"]);
  return error_message<mp::load_error>([&] { (void)mp::from_json<Fitted>(envelope); });
}

// The file of `fitted` as it was saved loads.
template <class Fitted>
void check_round_trip(const Fitted& fitted) {
  CHECK_NOTHROW(fitted.check_invariants());
  CHECK_NOTHROW((void)mp::from_json<Fitted>(mp::to_json(fitted)));
}

constexpr auto uint64_max = std::numeric_limits<std::uint64_t>::max();

const mp::dataset& breast_cancer() { return mp::test::load("breast_cancer.csv"); }

mp::matrix standardized(const mp::matrix& X) { return mp::standard_scaler{}.fit(X).transform(X); }

}  // namespace

TEST_CASE("check_invariants accepts what fit returns, and load accepts what save writes", "[load_validation]") {
  const auto& bc = breast_cancer();
  const auto& iris = mp::test::load("iris.csv");
  const auto& diabetes = mp::test::load("diabetes.csv");
  mp::matrix one_nan = iris.X;
  one_nan(0, 1) = std::nan("");
  mp::matrix with_nan = one_nan;
  with_nan.col(3).setConstant(std::nan(""));  // a column that only strategy "constant" fills
  check_round_trip(mp::standard_scaler{}.fit(bc.X));
  check_round_trip(mp::standard_scaler{.with_mean = false, .with_std = false}.fit(bc.X));
  check_round_trip(mp::min_max_scaler{.feature_range = {-1.0, 2.0}, .clip = true}.fit(one_nan));
  check_round_trip(mp::simple_imputer{}.fit(with_nan));
  check_round_trip(mp::simple_imputer{.strategy = mp::imputation::constant, .fill_value = -1.0}.fit(with_nan));
  check_round_trip(mp::variance_threshold{.threshold = 0.5}.fit(with_nan));
  check_round_trip(mp::select_k_best{.k = 5}.fit(bc.X, bc.y));
  check_round_trip(mp::select_k_best{.k = mp::all, .score = mp::f_regression}.fit(diabetes.X, diabetes.y));
  check_round_trip(mp::ridge{.fit_intercept = false}.fit(diabetes.X, diabetes.y));
  check_round_trip(mp::logistic_regression{}.fit(standardized(bc.X), bc.y));
  check_round_trip(mp::logistic_regression{.fit_intercept = false, .max_iter = 2}.fit(iris.X, iris.y));
}

TEST_CASE("select_k_best's support must hold k ascending indices below n_features_in", "[load_validation]") {
  const auto& bc = breast_cancer();
  const auto fitted = mp::select_k_best{.k = 3}.fit(bc.X, bc.y);
  const std::string at = "<json>: model (select_k_best): ";
  const auto support = [&](json value) {
    return corrupted(fitted, [&](json& m) { m["state"]["support"] = value; });
  };
  CHECK(support({0, 1, 99}) == at + "state.support[2] = 99 is out of range; expected 0 <= index < n_features_in = 30");
  CHECK(support({0, 1, -5}) == at + "state.support[2] = -5 is out of range; expected 0 <= index < n_features_in = 30");
  // 2^64 - 1 is refused by the decoder's integer range check, or (where the decoder reads it as -1) by the index
  // check.
  CHECK_THAT(support({0, 1, uint64_max}), Catch::StartsWith("<json>: model ") && Catch::Contains("state.support[2]") &&
                                              Catch::Contains(" is out of range"));
  CHECK(support({2, 1, 5}) ==
        at + "state.support[1] = 1 is not greater than state.support[0] = 2; expected strictly increasing indices");
  CHECK(support({1, 1, 5}) ==
        at + "state.support[1] = 1 is not greater than state.support[0] = 1; expected strictly increasing indices");
  CHECK(support({0, 1}) == at + "state.support has 2 indices; expected 3 (k = 3)");
  CHECK(support(json::array()) == at + "state.support has 0 indices; expected 3 (k = 3)");

  CHECK(corrupted(fitted, [](json& m) { m["params"]["k"] = -3; }) ==
        at + "k = -3 is out of range; expected k >= 0 or \"all\"");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["k"] = 1000; }) ==
        at + "k = 1000 is more than n_features_in = 30; expected k <= 30 or \"all\"");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["k"] = "all"; }) ==
        at + "state.support has 3 indices; expected 30 (k = \"all\")");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["pvalues"].erase(0); }) ==
        at + "state.pvalues has 29 values; expected 30 (one per input feature, or none)");
  CHECK(corrupted(fitted, [](json& m) {
          m["state"]["scores"] = json::array();
          m["state"]["pvalues"] = json::array();
        }) == at + "state.scores is empty; expected at least one value (one per input feature)");
}

TEST_CASE("a selector whose support shrank cannot feed a model fitted on the old width", "[load_validation]") {
  const auto& bc = breast_cancer();
  const auto fitted = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 3}) |
                       mp::step<"model">(mp::logistic_regression{}))
                          .fit(bc.X, bc.y);
  // The selector alone is consistent (k = 2, two indices); the model after it still takes three features.
  CHECK(corrupted(fitted, [](json& m) {
          m["steps"][1]["params"]["k"] = 2;
          m["steps"][1]["state"]["support"].erase(2);
        }) == "<json>: model (pipeline): step 'select' outputs 2 features but step 'model' was fitted on 3; expected "
              "each step's output to be the next step's input");
  // A broken step is named by its place in the pipeline.
  CHECK(corrupted(fitted, [](json& m) { m["steps"][1]["state"]["support"][0] = -1; }) ==
        "<json>: model steps[1] 'select' (select_k_best): state.support[0] = -1 is out of range; expected 0 <= index "
        "< n_features_in = 30");
  // The pipeline's own check names the broken step when it is called directly.
  auto steps = fitted.steps();
  auto& model = std::get<2>(steps).fitted;
  mp::matrix coef = model.coef();
  coef(0, 0) = std::nan("");
  model = mp::logistic_regression::fitted(model.spec(), model.classes(), coef, model.intercept(), model.n_iter(),
                                          model.converged());
  const std::remove_cvref_t<decltype(fitted)> broken(steps);
  CHECK(error_message<mp::load_error>([&] { broken.check_invariants(); }) ==
        "step 'model' (logistic_regression): state.coef(0, 0) = nan is not finite; expected finite values");
  CHECK(corrupted(broken, [](json&) {}) == "<json>: model steps[2] 'model' (logistic_regression): state.coef(0, 0) "
                                           "= nan is not finite; expected finite values");
}

TEST_CASE("standard_scaler's mean, var and scale must agree and scale must be positive", "[load_validation]") {
  const auto fitted = mp::standard_scaler{}.fit(breast_cancer().X);
  const std::string at = "<json>: model (standard_scaler): ";
  CHECK(corrupted(fitted, [](json& m) { m["state"]["scale"].erase(29); }) ==
        at + "state.scale has 29 values; expected 30 (one per input feature)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["var"].push_back(1.0); }) ==
        at + "state.var has 31 values; expected 30 (one per input feature)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["scale"][3] = 0; }) ==
        at + "state.scale[3] = 0 is out of range; expected finite values > 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["scale"][4] = -2.5; }) ==
        at + "state.scale[4] = -2.5 is out of range; expected finite values > 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["scale"][5] = "inf"; }) ==
        at + "state.scale[5] = inf is not finite; expected finite values > 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["mean"][1] = "nan"; }) ==
        at + "state.mean[1] = nan is not finite; expected finite values");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["var"][2] = -1; }) ==
        at + "state.var[2] = -1 is out of range; expected finite values >= 0");
  CHECK(corrupted(fitted, [](json& m) {
          for (const char* field : {"mean", "var", "scale"}) m["state"][field] = json::array();
        }) == at + "state.mean is empty; expected at least one value (one per input feature)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["n_samples_seen"] = 0; }) ==
        at + "state.n_samples_seen = 0 is out of range; expected state.n_samples_seen >= 1");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["with_std"] = false; }) ==
        at + "state.scale[0] = " + mp::format_double(fitted.scale()(0)) + " but with_std = false; expected 1");
}

TEST_CASE("logistic_regression's classes, coefficients and intercepts must fit together", "[load_validation]") {
  const auto& bc = breast_cancer();
  const auto& iris = mp::test::load("iris.csv");
  const auto binary = mp::logistic_regression{}.fit(standardized(bc.X), bc.y);
  const auto three = mp::logistic_regression{}.fit(iris.X, iris.y);
  const std::string at = "<json>: model (logistic_regression): ";

  // Classes: at least two, sorted, distinct, finite.
  CHECK(corrupted(binary, [](json& m) { m["state"]["classes"] = json::array(); }) ==
        at + "state.classes has 0 values; expected at least 2 classes");
  CHECK(corrupted(three, [](json& m) { m["state"]["classes"] = {0}; }) ==
        at + "state.classes has 1 value; expected at least 2 classes");
  CHECK(corrupted(binary, [](json& m) { m["state"]["classes"] = {1, 0}; }) ==
        at + "state.classes[1] = 0 is not greater than state.classes[0] = 1; expected distinct classes in ascending "
             "order");
  CHECK(corrupted(three, [](json& m) { m["state"]["classes"] = {0, 1, 1}; }) ==
        at + "state.classes[2] = 1 is not greater than state.classes[1] = 1; expected distinct classes in ascending "
             "order");
  CHECK(corrupted(binary, [](json& m) { m["state"]["classes"][0] = "nan"; }) ==
        at + "state.classes[0] = nan is not finite; expected finite values");

  // Coefficient rows: one for two classes, one per class otherwise.
  CHECK(corrupted(binary, [](json& m) { m["state"]["classes"] = {0, 1, 2}; }) ==
        at + "state.coef has 1 row; expected 3 (one per class)");
  CHECK(corrupted(three, [](json& m) { m["state"]["classes"] = {0, 1}; }) ==
        at + "state.coef has 3 rows; expected 1 (a single row for two classes)");
  CHECK(corrupted(binary, [](json& m) { m["state"]["coef"] = {{"rows", 1}, {"cols", 0}, {"data", json::array()}}; }) ==
        at + "state.coef is empty; expected at least one value (a column per input feature)");

  // Intercepts: one per coefficient row.
  CHECK(corrupted(binary, [](json& m) { m["state"]["intercept"] = json::array(); }) ==
        at + "state.intercept has 0 values; expected 1 (one per row of state.coef)");
  CHECK(corrupted(three, [](json& m) { m["state"]["intercept"].erase(2); }) ==
        at + "state.intercept has 2 values; expected 3 (one per row of state.coef)");
  CHECK(corrupted(binary, [](json& m) { m["params"]["fit_intercept"] = false; }) ==
        at + "state.intercept[0] = " + mp::format_double(binary.intercept()(0)) +
            " but fit_intercept = false; expected 0");

  // Finite numbers.
  CHECK(corrupted(binary, [](json& m) { m["state"]["coef"]["data"][3] = "nan"; }) ==
        at + "state.coef(0, 3) = nan is not finite; expected finite values");
  CHECK(corrupted(three, [](json& m) { m["state"]["coef"]["data"][4] = "-inf"; }) ==
        at + "state.coef(1, 1) = -inf is not finite; expected finite values");
  CHECK(corrupted(three, [](json& m) { m["state"]["intercept"][1] = "inf"; }) ==
        at + "state.intercept[1] = inf is not finite; expected finite values");

  // Hyperparameters, by the validate_params fit runs, and against the state.
  CHECK(corrupted(binary, [](json& m) { m["params"]["C"] = -1; }) == at + "C = -1 is out of range; expected C > 0");
  CHECK(corrupted(binary, [](json& m) { m["params"]["C"] = "nan"; }) ==
        at + "C = nan is not a finite number; expected C > 0");
  CHECK(corrupted(binary, [](json& m) { m["params"]["max_iter"] = -5; }) ==
        at + "max_iter = -5 is out of range; expected max_iter >= 1");
  CHECK(corrupted(binary, [](json& m) { m["params"]["tol"] = 0; }) ==
        at + "tol = 0 is out of range; expected tol > 0");
  CHECK(corrupted(binary, [](json& m) { m["state"]["n_iter"] = 101; }) ==
        at + "state.n_iter = 101 is out of range; expected 0 <= state.n_iter <= max_iter = 100");
  // As a selector's index above: refused by the decoder or by this range check.
  CHECK_THAT(corrupted(binary, [](json& m) { m["state"]["n_iter"] = uint64_max; }),
             Catch::StartsWith("<json>: model ") && Catch::Contains("state.n_iter") &&
                 Catch::Contains(" is out of range"));
}

TEST_CASE("min_max_scaler's vectors must agree, be finite and map onto a valid feature_range", "[load_validation]") {
  const auto fitted = mp::min_max_scaler{}.fit(breast_cancer().X);
  const std::string at = "<json>: model (min_max_scaler): ";
  CHECK(corrupted(fitted, [](json& m) { m["state"]["data_min"].erase(0); }) ==
        at + "state.data_min has 29 values; expected 30 (one per input feature)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["min"].erase(0); }) ==
        at + "state.min has 29 values; expected 30 (one per input feature)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["data_max"][2] = "nan"; }) ==
        at + "state.data_max[2] = nan is not finite; expected finite values");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["data_range"][2] = -1; }) ==
        at + "state.data_range[2] = -1 is out of range; expected finite values >= 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["scale"][1] = 0; }) ==
        at + "state.scale[1] = 0 is out of range; expected finite values > 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["min"][1] = "inf"; }) ==
        at + "state.min[1] = inf is not finite; expected finite values");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["data_min"][0] = 1000; }) ==
        at + "state.data_min[0] = 1000 is above state.data_max[0] = " +
            mp::format_double(fitted.data_max()(0)) + "; expected data_min <= data_max");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["feature_range"] = {1, 0}; }) ==
        at + "feature_range = [1, 0] is out of range; expected feature_range[0] < feature_range[1]");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["feature_range"] = {0, "inf"}; }) ==
        at + "feature_range = [0, inf] is not finite; expected two finite numbers with feature_range[0] < "
             "feature_range[1]");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["n_samples_seen"] = -3; }) ==
        at + "state.n_samples_seen = -3 is out of range; expected state.n_samples_seen >= 1");
}

TEST_CASE("simple_imputer's statistics must suit its strategy", "[load_validation]") {
  const auto& iris = mp::test::load("iris.csv");
  const auto mean = mp::simple_imputer{}.fit(iris.X);
  const auto constant = mp::simple_imputer{.strategy = mp::imputation::constant, .fill_value = 7.0}.fit(iris.X);
  const std::string at = "<json>: model (simple_imputer): ";
  CHECK(corrupted(mean, [](json& m) { m["state"]["statistics"] = json::array(); }) ==
        at + "state.statistics is empty; expected at least one value (one per input column)");
  CHECK(corrupted(mean, [](json& m) { m["state"]["statistics"][1] = "inf"; }) ==
        at + "state.statistics[1] = inf is not finite; expected finite values, or nan (a column with no observed "
             "value at fit, which transform drops)");
  CHECK(corrupted(mean, [](json& m) { m["state"]["statistics"] = {"nan", "nan", "nan", "nan"}; }) ==
        at + "state.statistics is all nan; expected at least one column that transform keeps");
  CHECK(corrupted(constant, [](json& m) { m["state"]["statistics"][2] = 3; }) ==
        at + "state.statistics[2] = 3 but strategy = \"constant\" with fill_value = 7; expected fill_value");
  CHECK(corrupted(constant, [](json& m) { m["params"]["fill_value"] = "nan"; }) ==
        at + "fill_value = nan is not a finite number");
  // One statistic fewer is a model of another width: the envelope's metadata says so.
  CHECK(corrupted(mean, [](json& m) { m["state"]["statistics"].erase(3); }) ==
        "<json>: metadata says 4 input features but the model has 3");
}

TEST_CASE("variance_threshold's support must be the features above threshold", "[load_validation]") {
  mp::matrix X = mp::test::load("iris.csv").X;
  X.col(2).setConstant(1.0);
  const auto fitted = mp::variance_threshold{}.fit(X);  // keeps columns 0, 1 and 3
  const std::string at = "<json>: model (variance_threshold): ";
  CHECK(corrupted(fitted, [](json& m) { m["state"]["support"] = {0, 1, 4}; }) ==
        at + "state.support[2] = 4 is out of range; expected 0 <= index < n_features_in = 4");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["support"] = {0, 2, 3}; }) ==
        at + "state.support[1] = 2 keeps a feature of variance 0; expected only features with variance > "
             "threshold = 0");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["support"] = {0, 3}; }) ==
        at + "state.support has 2 indices; expected 3 (the features with variance > threshold = 0)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["support"] = json::array(); }) ==
        at + "state.support is empty; expected at least one value (the features with variance > threshold = 0)");
  CHECK(corrupted(fitted, [](json& m) { m["state"]["variances"][0] = -0.5; }) ==
        at + "state.variances[0] = -0.5 is out of range; expected finite values >= 0, or nan (a feature with no "
             "observed value)");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["threshold"] = -1; }) ==
        at + "threshold = -1 is out of range; expected threshold >= 0");
  CHECK(corrupted(fitted, [](json& m) { m["params"]["threshold"] = 100; }) ==
        at + "state.support[0] = 0 keeps a feature of variance " + mp::format_double(fitted.variances()(0)) +
            "; expected only features with variance > threshold = 100");
}

TEST_CASE("ridge's coefficients must be finite and as many as the features before it", "[load_validation]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto model = mp::ridge{}.fit(d.X, d.y);
  const std::string at = "<json>: model (ridge): ";
  CHECK(corrupted(model, [](json& m) { m["state"]["coef"][2] = "nan"; }) ==
        at + "state.coef[2] = nan is not finite; expected finite values");
  CHECK(corrupted(model, [](json& m) { m["state"]["intercept"] = "inf"; }) ==
        at + "state.intercept = inf is not finite; expected a finite value");
  CHECK(corrupted(model, [](json& m) { m["params"]["alpha"] = -1; }) ==
        at + "alpha = -1 is out of range; expected alpha >= 0");
  CHECK(corrupted(model, [](json& m) { m["params"]["fit_intercept"] = false; }) ==
        at + "state.intercept = " + mp::format_double(model.intercept()) + " but fit_intercept = false; expected 0");
  CHECK(corrupted(model, [](json& m) { m["state"]["coef"] = json::array(); }) ==
        at + "state.coef is empty; expected at least one value (one per input feature)");

  const auto pipe = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  CHECK(corrupted(pipe, [](json& m) { m["steps"][1]["state"]["coef"].erase(9); }) ==
        "<json>: model (pipeline): step 'scale' outputs 10 features but step 'model' was fitted on 9; expected each "
        "step's output to be the next step's input");
}

TEST_CASE("transform_fn's widths must be counts and match the steps around it", "[load_validation]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto abs = mp::transform_fn([](const mp::matrix_view& X) { return X.array().abs().matrix(); });
  const auto pipe = (mp::step<"abs">(abs) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  const std::string at = "<json>: model steps[0] 'abs' (transform_fn): ";
  CHECK(corrupted(pipe, [](json& m) { m["steps"][0]["state"]["n_features_in"] = 0; }) ==
        at + "state.n_features_in = 0 is out of range; expected state.n_features_in >= 1");
  CHECK(corrupted(pipe, [](json& m) { m["steps"][0]["state"]["n_features_out"] = -2; }) ==
        at + "state.n_features_out = -2 is out of range; expected state.n_features_out >= 0");
  CHECK(corrupted(pipe, [](json& m) { m["steps"][0]["state"]["n_features_out"] = 1000000; }) ==
        "<json>: model (pipeline): step 'abs' outputs 1000000 features but step 'model' was fitted on 10; expected "
        "each step's output to be the next step's input");
}

TEST_CASE("union and column routing check their columns and widths", "[load_validation]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto abs = mp::transform_fn([](const mp::matrix_view& X) { return X.array().abs().matrix(); });
  auto features = mp::column_transformer(
      mp::remainder::passthrough,
      mp::step<"body">(
          mp::columns({0, 2, 3}, mp::union_of(mp::step<"scaled">(mp::standard_scaler{}), mp::step<"abs">(abs)))),
      mp::step<"bmi">(mp::columns({5}, mp::min_max_scaler{})));
  const auto fitted = (mp::step<"features">(features) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  check_round_trip(fitted);
  const auto body = [](json& m) -> json& { return m["steps"][0]["steps"][0]; };
  const std::string at_body = "<json>: model steps[0] 'features' steps[0] 'body' (columns): ";
  const std::string at_features = "<json>: model steps[0] 'features' (column_transformer): ";

  // columns(...): in range, distinct, one per input feature of the wrapped stage.
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["columns"] = {0, 2, 99}; }) ==
        at_body + "state.columns[2] = 99 is out of range; expected 0 <= index < n_features_in = 10");
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["columns"] = {3, 2, 3}; }) ==
        at_body + "state.columns[2] = 3 repeats state.columns[0]; expected distinct indices");
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["columns"] = {0, 2}; }) ==
        at_body + "state.columns has 2 values; expected 3 (one per input feature of the wrapped feature_union)");
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["n_features_in"] = 0; }) ==
        at_body + "state.n_features_in = 0 is out of range; expected state.n_features_in >= 1");

  // The union: every branch takes the whole input; no passthrough.
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["inner"]["state"]["n_features_in"] = 4; }) ==
        "<json>: model steps[0] 'features' steps[0] 'body' state.inner (feature_union): branch 'scaled' was fitted "
        "on 3 features but state.n_features_in = 4; expected every branch to take the whole input");
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["inner"]["state"]["passthrough"] = {1}; }) ==
        "<json>: model steps[0] 'features' steps[0] 'body' state.inner (feature_union): state.passthrough has 1 "
        "value; expected 0 (only a column_transformer passes columns through)");

  // The column_transformer: branches see the whole input; the remainder is the columns no branch takes.
  CHECK(corrupted(fitted, [](json& m) { m["steps"][0]["state"]["passthrough"] = {0, 1, 4, 6, 7, 8, 9}; }) ==
        at_features + "state.passthrough[0] = 0 is a column a branch takes; expected only the columns no branch takes");
  CHECK(corrupted(fitted, [](json& m) { m["steps"][0]["state"]["passthrough"] = {1, 4, 6, 7, 8}; }) ==
        at_features + "state.passthrough has 5 values; expected 6 (the columns no branch takes, or none)");
  CHECK(corrupted(fitted, [](json& m) { m["steps"][0]["state"]["passthrough"] = {1, 4, 6, 7, 9, 8}; }) ==
        at_features + "state.passthrough[5] = 8 is not greater than state.passthrough[4] = 9; expected strictly "
                      "increasing indices");
  CHECK(corrupted(fitted, [](json& m) { m["steps"][0]["state"]["n_features_in"] = 11; }) ==
        at_features + "branch 'body' was fitted on 10 features but state.n_features_in = 11; expected every branch "
                      "to take the whole input");

  // A branch that outputs fewer columns: the union and the routing agree, the model after them does not.
  CHECK(corrupted(fitted, [&](json& m) { body(m)["state"]["inner"]["steps"][1]["state"]["n_features_out"] = 2; }) ==
        "<json>: model (pipeline): step 'features' outputs 12 features but step 'model' was fitted on 13; expected "
        "each step's output to be the next step's input");
}

}  // namespace test_load_validation_tests
