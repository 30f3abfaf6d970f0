// Google Benchmark: fit and predict of the core stages and of a fitted pipeline.
#include <benchmark/benchmark.h>

#include <cstdlib>  // std::srand
#include <map>
#include <utility>  // std::pair

#include <mlpipe/mlpipe.hpp>

namespace mp = mlpipe;

namespace {

// A reproducible regression problem of the given size.
struct problem {
  mp::matrix X;
  mp::vector y;
};

const problem& synthetic(mp::index rows, mp::index cols) {
  static std::map<std::pair<mp::index, mp::index>, problem> cache;
  auto& p = cache[{rows, cols}];
  if (p.X.size() == 0) {
    std::srand(42);
    p.X = mp::matrix::Random(rows, cols);
    p.y = p.X * mp::vector::LinSpaced(cols, -1.0, 1.0) + 0.1 * mp::vector::Random(rows);
  }
  return p;
}

void standard_scaler_fit(benchmark::State& state) {
  const auto& p = synthetic(state.range(0), state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(mp::standard_scaler{}.fit(p.X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void standard_scaler_transform(benchmark::State& state) {
  const auto& p = synthetic(state.range(0), state.range(1));
  const auto f = mp::standard_scaler{}.fit(p.X);
  for (auto _ : state) benchmark::DoNotOptimize(f.transform(p.X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * state.range(1) * 8);
}

void ridge_fit(benchmark::State& state) {
  const auto& p = synthetic(state.range(0), state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(mp::ridge{}.fit(p.X, p.y));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void pipeline_fit(benchmark::State& state) {
  const auto& p = synthetic(state.range(0), state.range(1));
  const auto pipe = mp::standard_scaler{} | mp::ridge{};
  for (auto _ : state) benchmark::DoNotOptimize(pipe.fit(p.X, p.y));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void pipeline_predict(benchmark::State& state) {
  const auto& p = synthetic(state.range(0), state.range(1));
  const auto fitted = (mp::standard_scaler{} | mp::ridge{}).fit(p.X, p.y);
  for (auto _ : state) benchmark::DoNotOptimize(fitted.predict(p.X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * state.range(1) * 8);
}

void read_csv_breast_cancer(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(mp::read_csv(MLPIPE_DATA_DIR "/breast_cancer.csv", {.target = "target"}));
}

}  // namespace

BENCHMARK(standard_scaler_fit)->Args({569, 30})->Args({100000, 100});
BENCHMARK(standard_scaler_transform)->Args({569, 30})->Args({100000, 100});
BENCHMARK(ridge_fit)->Args({442, 10})->Args({100000, 100});
BENCHMARK(pipeline_fit)->Args({442, 10})->Args({100000, 100});
BENCHMARK(pipeline_predict)->Args({1, 10})->Args({442, 10})->Args({100000, 100});
BENCHMARK(read_csv_breast_cancer);
