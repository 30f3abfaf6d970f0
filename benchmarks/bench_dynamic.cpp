// The cost of run-time pipelines (any_model) against the static pipeline they wrap: batch predict on 1,000,000
// rows (target: within 5%) and predict_one per row (target: within 50 ns, no allocation), for the workloads'
// pipeline scale | select_k_best | logistic_regression on breast_cancer, built statically and from its JSON spec.
#include <benchmark/benchmark.h>

#include <span>

#include <mlpipe/dynamic_registry.hpp>

#include "workloads.hpp"

namespace mp = mlpipe;

namespace {

const auto& static_model() {
  static const auto model = bench::scale_select_logistic().fit(bench::breast_cancer().X, bench::breast_cancer().y);
  return model;
}

// The same pipeline from its spec, fitted through the registry.
const mp::any_model& dynamic_model() {
  static const mp::any_model model =
      mp::any_pipeline::from_json(mp::any_pipeline(bench::scale_select_logistic()).spec_json())
          .fit(bench::breast_cancer().X, bench::breast_cancer().y);
  return model;
}

// breast_cancer's rows repeated to 1,000,000.
const mp::matrix& many_rows() {
  static const mp::matrix X = bench::breast_cancer().X(Eigen::VectorXi::LinSpaced(1000000, 0, 999999).unaryExpr(
                                                           [](int i) { return i % 569; }),
                                                       Eigen::all);
  return X;
}

template <class Model>
void batch_predict(benchmark::State& state, const Model& (*model)()) {
  const mp::matrix& X = many_rows();
  for (auto _ : state) benchmark::DoNotOptimize(model().predict(X));
  state.SetItemsProcessed(state.iterations() * X.rows());
}

template <class Model>
void predict_one(benchmark::State& state, const Model& (*model)()) {
  const mp::matrix rows = bench::breast_cancer().X.transpose();  // each row contiguous
  const auto& m = model();
  mp::index i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.predict_one(std::span<const double>(rows.col(i).data(), 30)));
    i = i == rows.cols() - 1 ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(batch_predict, static_pipeline, &static_model)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(batch_predict, any_model, &dynamic_model)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(predict_one, static_pipeline, &static_model);
BENCHMARK_CAPTURE(predict_one, any_model, &dynamic_model);

BENCHMARK_MAIN();
