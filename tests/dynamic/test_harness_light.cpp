// A harness file as a researcher writes one against run-time pipelines: it includes <mlpipe/dynamic.hpp> and
// <mlpipe/dynamic/compiled.hpp> only (no stage header, not the registry), so cross_validate and the searches over
// any_pipeline are declared here and compiled once, in the registry's file (mlpipe_registry in this program).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/compiled.hpp"
#include "support.hpp"

namespace test_harness_light_tests {

namespace mp = mlpipe;

const char* const logreg_spec = R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                               {"name": "model", "kind": "logistic_regression"}]})";

TEST_CASE("a file with only the run-time headers cross-validates and searches from_json pipelines",
          "[dynamic][light]") {
  const auto& data = mp::test::load("iris.csv");
  const auto p = mp::any_pipeline::from_json(logreg_spec);
  const auto folds = mp::stratified_kfold{.n_splits = 3};
  // cross_validate: the classifier's default scorer, the same scores on any number of threads.
  const auto cv = mp::cross_validate(p, data.X, data.y, folds);
  CHECK(cv.scorer_names() == std::vector<std::string>{"accuracy"});
  CHECK(mp::cross_validate(p, data.X, data.y, folds, {.n_jobs = 2}).test_scores() == cv.test_scores());
  CHECK(mp::cross_validate(p, data.X, data.y, mp::any_splitter(folds)).test_scores() == cv.test_scores());
  // A grid of one candidate scores what cross_validate scores on the same folds.
  const auto one = mp::grid_search(p, mp::grid{{"model.C", {1.0}}}, {.cv = folds}).fit(data.X, data.y);
  CHECK(one.results().mean_test_score() == std::vector<double>{cv.mean_test_score()});
  // grid_search and random_search pick the candidate with the best mean score.
  const auto g = mp::grid_search(p, mp::grid{{"model.C", {0.01, 1.0, 100.0}}}, {.cv = folds}).fit(data.X, data.y);
  const auto& means = g.results().mean_test_score();
  for (double m : means) CHECK(g.best_score() >= m);
  CHECK(std::get<double>(g.best_params().at(0).second) == std::vector<double>{0.01, 1.0, 100.0}[g.best_index()]);
  const auto r = mp::random_search(p, mp::space{{"model.C", mp::loguniform(0.01, 100.0)}},
                                   {.n_iter = 4, .seed = 0, .cv = folds})
                     .fit(data.X, data.y);
  CHECK(r.results().n_candidates() == 4);
  CHECK((r.predict(data.X).array() == r.best_model().predict(data.X).array()).all());
  // A regressor's spec: plain folds and r2.
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto reg = mp::any_pipeline::from_json(R"({"kind": "ridge"})");
  CHECK(mp::cross_validate(reg, diabetes.X, diabetes.y, mp::kfold{.n_splits = 3}).scorer_names() ==
        std::vector<std::string>{"r2"});
}

}  // namespace test_harness_light_tests
