// any_pipeline, any_model, load_any and from_json: pipelines as run-time values, and their agreement with the static
// pipelines bit for bit. This file is the one translation unit of the test program that includes the registry.
#include <catch2/catch.hpp>

#include <cstdio>       // std::remove
#include <filesystem>
#include <string>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic_registry.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

namespace test_dynamic_tests {

namespace mp = mlpipe;

// The envelope without its time stamp, for comparing saved files.
nlohmann::json without_time(nlohmann::json envelope) {
  envelope["metadata"].erase("saved_at");
  return envelope;
}

nlohmann::json saved(const mp::any_model& m) {
  const std::string path = "test_dynamic_saved.json";
  mp::save(m, path);
  nlohmann::json j = mp::test::read_json(path);
  std::remove(path.c_str());
  return without_time(j);
}

template <class Fitted>
nlohmann::json saved_static(const Fitted& f) {
  return without_time(mp::to_json(f));
}

TEST_CASE("any_model wraps a fitted static pipeline and predicts and saves what it does", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto fitted = pipe.fit(data.X, data.y);
  const mp::any_model m(fitted);
  CHECK(m.wrapped_kind() == "pipeline");
  CHECK(m.is_classifier());
  CHECK(m.n_features_in() == data.X.cols());
  CHECK((m.predict(data.X).array() == fitted.predict(data.X).array()).all());
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK((m.decision_function(data.X).array() == fitted.decision_function(data.X).array()).all());
  CHECK((m.classes().array() == fitted.classes().array()).all());
  const std::vector<double> row(data.X.row(3).data(), data.X.row(3).data() + 0);
  mp::vector r = data.X.row(3).transpose();
  CHECK(m.predict_one(std::span<const double>(r.data(), r.size())) ==
        fitted.predict_one(std::span<const double>(r.data(), r.size())));
  CHECK(saved(m) == saved_static(fitted));
  CHECK(m.signature() == "pipeline(scale:standard_scaler,select:select_k_best,model:logistic_regression)");
}

TEST_CASE("load_any loads a file saved by a static program and one saved by any_model", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto fitted = pipe.fit(data.X, data.y);
  const std::string path = "test_dynamic_static.json";
  mp::save(fitted, path);
  const mp::any_model m = mp::load_any(path);
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK(saved(m) == saved_static(fitted));
  mp::save(m, path);
  const auto back = mp::load<std::remove_cvref_t<decltype(fitted)>>(path);
  CHECK((back.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  std::remove(path.c_str());
}

TEST_CASE("from_json builds the pipeline the static code builds, bit for bit", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{.C = 0.5});
  const auto fitted = pipe.fit(data.X, data.y);
  const auto p = mp::any_pipeline::from_json(R"({"steps": [
      {"name": "scale", "kind": "standard_scaler"},
      {"name": "select", "kind": "select_k_best", "params": {"k": 10}},
      {"name": "model", "kind": "logistic_regression", "params": {"C": 0.5}}]})");
  const mp::any_model m = p.fit(data.X, data.y);
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK(saved(m) == saved_static(fitted));
  CHECK(p.spec_json() == mp::any_pipeline(pipe).spec_json());
  CHECK(p.param_names() == pipe.param_names());
}

}  // namespace test_dynamic_tests
