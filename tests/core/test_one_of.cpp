// one_of: a choice between stages as a hyperparameter; paths, fit, row calls, save and load of the chosen alternative.
#include <catch2/catch.hpp>

#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/core/one_of.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "support.hpp"

namespace test_one_of_tests {

namespace mp = mlpipe;
using mp::test::error_message;

template <class Stage>
concept chooses_by_literal_path = requires(Stage s) { s.template set<"scale.min_max_scaler.clip">(true); };

auto scaler_choice() { return mp::one_of(mp::standard_scaler{}, mp::min_max_scaler{}); }

auto choice_pipeline() {
  return mp::step<"scale">(scaler_choice()) | mp::step<"model">(mp::logistic_regression{});
}

TEST_CASE("one_of chooses its alternative by the step's path, by name or index, with did-you-mean", "[one_of]") {
  auto pipe = choice_pipeline();
  CHECK(pipe.param_names() ==
        std::vector<std::string>{"scale", "scale.standard_scaler.with_mean", "scale.standard_scaler.with_std",
                                 "scale.min_max_scaler.feature_range", "scale.min_max_scaler.clip", "model.penalty",
                                 "model.C", "model.l1_ratio", "model.fit_intercept", "model.max_iter", "model.tol",
                                 "model.class_weight"});
  CHECK(pipe.get_param("scale") == mp::param_value(std::string("standard_scaler")));
  pipe.set_param("scale", std::string("min_max_scaler"));
  CHECK(std::get<0>(pipe.steps).stage.alternative() == "min_max_scaler");
  pipe.set_param("scale", std::int64_t{0});
  CHECK(std::get<0>(pipe.steps).stage.alternative() == "standard_scaler");

  // compile-time paths into an alternative
  pipe.set<"scale.min_max_scaler.clip">(true);
  CHECK(pipe.get<"scale.min_max_scaler.clip">());
  STATIC_REQUIRE(chooses_by_literal_path<decltype(pipe)>);
  STATIC_REQUIRE(mp::detail::has_path<decltype(pipe), "scale">());
  STATIC_REQUIRE_FALSE(mp::detail::has_path<decltype(pipe), "scale.minmax_scaler.clip">());
  STATIC_REQUIRE_FALSE(mp::detail::has_path<decltype(pipe), "model">());

  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale", std::string("minmax_scaler")); }) ==
        "one_of: unknown alternative \"minmax_scaler\"; did you mean 'min_max_scaler'? The alternatives are: "
        "standard_scaler, min_max_scaler (or their index, 0 to 1)");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale", std::string("pca")); }) ==
        "one_of: unknown alternative \"pca\". The alternatives are: standard_scaler, min_max_scaler (or their index, "
        "0 to 1)");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale", std::int64_t{2}); }) ==
        "one_of: alternative index 2 is out of range; expected 0 to 1 (standard_scaler, min_max_scaler)");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale", 0.5); }) ==
        "parameter 'scale' of one_of expects the name or index of an alternative (standard_scaler, min_max_scaler), "
        "got 0.5 (a real number)");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale.min_max_scaler.clipp", true); }) ==
        "unknown parameter path 'scale.min_max_scaler.clipp'; did you mean 'scale.min_max_scaler.clip'? Valid paths: "
        "scale, scale.standard_scaler.with_mean, scale.standard_scaler.with_std, scale.min_max_scaler.feature_range, "
        "scale.min_max_scaler.clip, model.penalty, model.C, model.l1_ratio, model.fit_intercept, model.max_iter, "
        "model.tol, model.class_weight");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale.", std::string("min_max_scaler")); })
            .starts_with("unknown parameter path 'scale.'"));
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("model", std::string("ridge")); })
            .starts_with("parameter path 'model' names a step, not a parameter"));

  // a bare one_of: its choice is the empty path, or choose()
  auto bare = scaler_choice();
  CHECK(bare.param_names() == std::vector<std::string>{"", "standard_scaler.with_mean", "standard_scaler.with_std",
                                                       "min_max_scaler.feature_range", "min_max_scaler.clip"});
  CHECK(bare.choose("min_max_scaler").alternative() == "min_max_scaler");
  CHECK(bare.choose(0).alternative() == "standard_scaler");
  CHECK(error_message<mp::invalid_parameter>([&] { bare.choose("standard_scaller"); }) ==
        "one_of: unknown alternative \"standard_scaller\"; did you mean 'standard_scaler'? The alternatives are: "
        "standard_scaler, min_max_scaler (or their index, 0 to 1)");
}

TEST_CASE("one_of fits and predicts with the chosen alternative only, row calls included", "[one_of]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  auto pipe = choice_pipeline();
  pipe.set_param("scale", std::string("min_max_scaler"));
  pipe.set<"scale.min_max_scaler.clip">(true);
  const auto fitted = pipe.fit(d.X, d.y);
  const auto plain = (mp::step<"scale">(mp::min_max_scaler{.clip = true}) |
                      mp::step<"model">(mp::logistic_regression{})).fit(d.X, d.y);
  CHECK(fitted.predict_proba(d.X) == plain.predict_proba(d.X));
  const auto& scale = fitted.get<"scale">();
  CHECK(scale.alternative() == "min_max_scaler");
  CHECK(scale.index() == 1);
  CHECK(std::get<1>(scale.model()).scale() == plain.get<"scale">().scale());
  std::vector<double> out(static_cast<std::size_t>(d.X.cols()));
  const mp::vector row = d.X.row(3).transpose();
  scale.transform_one(std::span(row.data(), static_cast<std::size_t>(row.size())), out);
  const mp::matrix batch = scale.transform(d.X.topRows(4));
  for (std::size_t j = 0; j < out.size(); ++j) CHECK(out[j] == batch(3, static_cast<mp::index>(j)));
  CHECK(fitted.predict_one(std::span(row.data(), static_cast<std::size_t>(row.size()))) == plain.predict(d.X)(3));

  // errors of the chosen alternative name it as a step
  const mp::matrix bad = mp::matrix::Constant(3, 2, std::numeric_limits<double>::infinity());
  CHECK(error_message<mp::invalid_input>([&] { (void)scaler_choice().choose(1).fit(bad); })
            .starts_with("step 'min_max_scaler' (min_max_scaler): "));
  auto bad_range = scaler_choice().choose(1);
  bad_range.set<"min_max_scaler.feature_range">(std::pair{1.0, 0.0});
  CHECK(error_message<mp::invalid_parameter>([&] { (void)bad_range.fit(d.X); }) ==
        "step 'min_max_scaler' (min_max_scaler): feature_range = [1, 0] is out of range; expected feature_range[0] < "
        "feature_range[1]");
}

TEST_CASE("one_of saves and loads whichever alternative was chosen, and refuses a corrupt file", "[one_of]") {
  const auto& d = mp::test::load("diabetes.csv");
  auto models = mp::one_of(mp::ridge{.alpha = 2.0}, mp::step<"strong">(mp::ridge{.alpha = 50.0}));
  for (std::size_t i : {0u, 1u}) {
    const auto fitted = models.choose(i).fit(d.X, d.y);
    const nlohmann::json doc = mp::to_json(fitted);
    const std::string text = doc.dump();
    const auto back = mp::load_from_bytes<std::remove_cvref_t<decltype(fitted)>>(
        std::as_bytes(std::span(text)), mp::file_format::json);
    CHECK(back.index() == i);
    CHECK(back.predict(d.X) == fitted.predict(d.X));
  }
  using fitted_type = decltype(models)::fitted;
  const nlohmann::json doc = mp::to_json(models.choose(1).fit(d.X, d.y));
  const auto load_text = [](const nlohmann::json& j) {
    const std::string text = j.dump();
    return mp::load_from_bytes<fitted_type>(std::as_bytes(std::span(text)), mp::file_format::json);
  };
  nlohmann::json renamed = doc;
  renamed["model"]["state"]["alternative"] = "weak";
  CHECK(error_message<mp::load_error>([&] { (void)load_text(renamed); }) ==
        "one_of: state.alternative = \"weak\" is not an alternative of this one_of; expected one of: ridge, strong");
  nlohmann::json broken = doc;
  broken["model"]["state"]["model"]["state"]["coef"][0] = "nan";
  CHECK(error_message<mp::load_error>([&] { (void)load_text(broken); }).find("state.coef[0] = nan") !=
        std::string::npos);
  nlohmann::json swapped = doc;
  swapped["model"]["state"]["model"]["kind"] = "lasso";
  CHECK(error_message<mp::load_error>([&] { (void)load_text(swapped); }).find("the file holds a lasso where the type expects a ridge") != std::string::npos);
  // every alternative's parameters are checked before the chosen one is fitted
  const auto bad_alternative = mp::one_of(mp::ridge{}, mp::step<"strong">(mp::ridge{.alpha = -1.0}));
  CHECK(error_message<mp::invalid_parameter>([&] { (void)bad_alternative.fit(d.X, d.y); }) ==
        "step 'strong' (ridge): alpha = -1 is out of range; expected alpha >= 0");
}

TEST_CASE("a grid chooses one_of alternatives by name, each with its own parameters", "[one_of]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto search = mp::grid_search{
      choice_pipeline(),
      mp::grid{{"scale", {std::string("standard_scaler"), std::string("min_max_scaler")}}, {"model.C", {0.1, 1.0}}},
      {.cv = mp::kfold{.n_splits = 3}}}.fit(d.X, d.y);
  CHECK(search.results().n_candidates() == 4);
  const auto direct = mp::grid_search{mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::logistic_regression{}),
                                      mp::grid{{"model.C", {0.1, 1.0}}}, {.cv = mp::kfold{.n_splits = 3}}}.fit(d.X, d.y);
  // candidates 1 and 3 are min_max_scaler with C = 0.1 and 1.0 (paths sorted: model.C turns slowest)
  CHECK(search.results().mean_test_score()[1] == direct.results().mean_test_score()[0]);
  CHECK(search.results().mean_test_score()[3] == direct.results().mean_test_score()[1]);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::grid_search{choice_pipeline(), mp::grid{{"scale", {std::string("standard")}}}}.candidate_specs();
        }) == "one_of: unknown alternative \"standard\". The alternatives are: standard_scaler, min_max_scaler (or "
              "their index, 0 to 1) (grid candidate 0: scale = \"standard\")");
}

TEST_CASE("grid_search takes a grid_list: each alternative with its own parameters, grid after grid", "[one_of]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::grid_list g{mp::grid{{"scale", {"standard_scaler"}}, {"scale.standard_scaler.with_mean", {true, false}}},
                        mp::grid{{"scale", {"min_max_scaler"}}, {"model.C", {0.1, 1.0}}}};
  const auto cv = mp::kfold{.n_splits = 3};
  const auto search = mp::grid_search{choice_pipeline(), g, {.cv = cv}}.fit(d.X, d.y);
  REQUIRE(search.results().params() == g.candidates());
  const auto first =
      mp::grid_search{choice_pipeline(), mp::grid{{"scale.standard_scaler.with_mean", {true, false}}}, {.cv = cv}}
          .fit(d.X, d.y);
  auto min_max = choice_pipeline();
  min_max.set_param("scale", std::string("min_max_scaler"));
  const auto second = mp::grid_search{min_max, mp::grid{{"model.C", {0.1, 1.0}}}, {.cv = cv}}.fit(d.X, d.y);
  const std::vector<double> scores = search.results().mean_test_score();
  CHECK(scores[0] == first.results().mean_test_score()[0]);
  CHECK(scores[1] == first.results().mean_test_score()[1]);
  CHECK(scores[2] == second.results().mean_test_score()[0]);
  CHECK(scores[3] == second.results().mean_test_score()[1]);
}

TEST_CASE("one_of keeps the stage contract for each alternative", "[one_of]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::matrix X = d.X.topRows(80).leftCols(5);
  const mp::vector y = d.y.head(80);
  for (std::size_t i : {0u, 1u}) {
    const auto report = mp::testing::check_stage(scaler_choice().choose(i), X, y);
    INFO(report.to_string());
    CHECK(report.ok());
  }
  const auto report =
      mp::testing::check_stage(mp::one_of(mp::logistic_regression{}, mp::step<"weak">(mp::logistic_regression{.C = 0.1})), X, y);
  INFO(report.to_string());
  CHECK(report.ok());
}

}  // namespace test_one_of_tests
