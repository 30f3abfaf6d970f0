// A benchmark harness over run-time pipelines, as a researcher writes one: it includes <mlpipe/dynamic.hpp> only
// (fit, predict, save) or, with MLPIPE_HARNESS_CV=1, also <mlpipe/dynamic/compiled.hpp> (cross_validate); the
// stages, cross_validate and the searches are compiled once, in the file of the program that includes
// <mlpipe/dynamic_registry.hpp>. compile_time.py tracks this file (compiled, not linked) with
// MLPIPE_HARNESS_PIPELINES = 1 and 8: more pipelines must not cost more compile time.
#include <mlpipe/dynamic.hpp>
#ifndef MLPIPE_HARNESS_CV
#define MLPIPE_HARNESS_CV 0
#endif
#if MLPIPE_HARNESS_CV
#include <mlpipe/dynamic/compiled.hpp>
#endif

#include <cstdio>
#include <string>
#include <vector>

#ifndef MLPIPE_HARNESS_PIPELINES
#define MLPIPE_HARNESS_PIPELINES 8
#endif

namespace mp = mlpipe;

int main() {
  const std::vector<std::string> all_specs = {
      R"({"steps": [{"name": "scale", "kind": "standard_scaler"}, {"name": "model", "kind": "logistic_regression"}]})",
      R"({"steps": [{"name": "select", "kind": "select_k_best", "params": {"k": 2}},
                    {"name": "model", "kind": "logistic_regression"}]})",
      R"({"steps": [{"name": "scale", "kind": "min_max_scaler"}, {"name": "model", "kind": "linear_svc"}]})",
      R"({"steps": [{"name": "model", "kind": "random_forest_classifier", "params": {"n_estimators": 20}}]})",
      R"({"steps": [{"name": "model", "kind": "gaussian_nb"}]})",
      R"({"steps": [{"name": "scale", "kind": "standard_scaler"}, {"name": "model", "kind": "k_neighbors_classifier"}]})",
      R"({"steps": [{"name": "model", "kind": "decision_tree_classifier", "params": {"max_depth": 3}}]})",
      R"({"steps": [{"name": "scale", "kind": "standard_scaler"}, {"name": "model", "kind": "ridge_classifier"}]})"};
  const std::vector<std::string> specs(all_specs.begin(), all_specs.begin() + MLPIPE_HARNESS_PIPELINES);
  mp::matrix X = mp::matrix::Random(300, 4);
  mp::vector y = (X.col(0).array() + 0.5 * X.col(1).array() > 0.0).cast<double>();
  for (const auto& spec : specs) {
    const auto p = mp::any_pipeline::from_json(spec);
#if MLPIPE_HARNESS_CV
    const auto r = mp::cross_validate(p, X, y, mp::stratified_kfold{.n_splits = 5});
    std::printf("%-40.40s accuracy %.3f +- %.3f\n", p.spec_json().c_str(), r.mean_test_score(), r.std_test_score());
#endif
    const mp::any_model m = p.fit(X, y);
    std::printf("%-40.40s training accuracy %.3f\n", p.spec_json().c_str(),
                (m.predict(X).array() == y.array()).cast<double>().mean());
    mp::save(m, "harness_model.json");
  }
  return 0;
}
