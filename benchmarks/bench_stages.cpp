// Fit, and transform or predict (the apply/... benchmarks), of every stage, on breast_cancer (569 x 30) and on the
// synthetic set (20,000 x 100).
#include <benchmark/benchmark.h>

#include "workloads.hpp"

namespace mp = mlpipe;

namespace {

const mp::dataset& data(benchmark::State& state) {
  return state.range(0) == 0 ? bench::breast_cancer() : bench::synthetic();
}

template <class Stage>
void fit(benchmark::State& state, Stage stage) {
  const auto& d = data(state);
  for (auto _ : state) benchmark::DoNotOptimize(stage.fit(d.X, d.y));
  state.SetItemsProcessed(state.iterations() * d.X.rows());
}

// Fits once, then times the fitted stage's transform (transformers) or predict (models) on the same rows.
template <class Stage>
void apply(benchmark::State& state, Stage stage) {
  const auto& d = data(state);
  const auto fitted = stage.fit(d.X, d.y);
  for (auto _ : state) {
    if constexpr (mp::predictor<Stage>) benchmark::DoNotOptimize(fitted.predict(d.X));
    else benchmark::DoNotOptimize(fitted.transform(d.X));
  }
  state.SetItemsProcessed(state.iterations() * d.X.rows());
}

}  // namespace

// Argument 0: breast_cancer; 1: synthetic.
BENCHMARK_CAPTURE(fit, standard_scaler, mp::standard_scaler{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, standard_scaler, mp::standard_scaler{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, min_max_scaler, mp::min_max_scaler{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, min_max_scaler, mp::min_max_scaler{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, simple_imputer_median, mp::simple_imputer{.strategy = mp::imputation::median})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, simple_imputer_median, mp::simple_imputer{.strategy = mp::imputation::median})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, variance_threshold, mp::variance_threshold{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, variance_threshold, mp::variance_threshold{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, select_k_best, mp::select_k_best{.k = 10})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, select_k_best, mp::select_k_best{.k = 10})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, ridge, mp::ridge{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, ridge, mp::ridge{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, logistic_regression, mp::logistic_regression{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, logistic_regression, mp::logistic_regression{})->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(fit, pipeline, bench::scale_select_logistic())->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(apply, pipeline, bench::scale_select_logistic())->Arg(0)->Arg(1);

BENCHMARK_MAIN();
