// The workloads compared with scikit-learn (benchmarks/compare_sklearn.py runs the same ones there).
//   mlpipe_bench_workloads [--write_synthetic=PATH] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "counting_new.hpp"  // tests/counting_new.hpp: operator new counts, per thread
#include "mlpipe/io/binary_formats.hpp"  // the CBOR half of save_load
#include "workloads.hpp"

namespace mp = mlpipe;

namespace {

// Workload 1: the quickstart grid on breast_cancer, 20 candidates x 5 splits, n_jobs = 1.
void grid_search_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto search = mp::grid_search{bench::scale_select_logistic(), bench::workload_grid(),
                                      {.cv = bench::workload_cv, .scoring = "accuracy", .n_jobs = 1,
                                       .reuse = state.range(0) != 0, .warm_start = state.range(0) != 0}};
  long saved = 0;
  for (auto _ : state) saved = search.fit(d.X, d.y).results().fits_saved();
  state.counters["fits_saved"] = static_cast<double>(saved);
}

// Workload 2: the same grid on 20,000 x 100 synthetic rows; n_jobs from the argument.
void grid_search_synthetic(benchmark::State& state) {
  const auto& d = bench::synthetic();
  const auto search = mp::grid_search{bench::scale_select_logistic(), bench::workload_grid(),
                                      {.cv = bench::workload_cv, .scoring = "accuracy",
                                       .n_jobs = static_cast<int>(state.range(0))}};
  for (auto _ : state) benchmark::DoNotOptimize(search.fit(d.X, d.y));
}

// Workload 3: one row through the fitted pipeline (k = 10, C = 1); counts heap allocations per row.
void predict_one(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto model = bench::scale_select_logistic().fit(d.X, d.y);
  std::vector<std::vector<double>> rows;
  for (mp::index i = 0; i < 64; ++i) rows.emplace_back(d.X.row(i).begin(), d.X.row(i).end());
  model.predict_one(rows[0]);  // this thread's scratch memory is sized by its first row
  const long before = mp::test::allocations;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(model.predict_one(rows[i++ & 63]));
  state.counters["allocations_per_row"] =
      static_cast<double>(mp::test::allocations - before) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}

// Workload 4: batch predict of 1,000,000 x 30 rows (bytes processed: the input read), and a plain copy of the same
// bytes for the machine's memory bandwidth (bytes processed: read plus written).
void predict_batch(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto model = bench::scale_select_logistic().fit(d.X, d.y);
  const mp::matrix& X = bench::million_rows();
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(X));
  state.SetItemsProcessed(state.iterations() * X.rows());
  state.SetBytesProcessed(state.iterations() * X.size() * 8);
}

void copy_same_bytes(benchmark::State& state) {
  const mp::matrix& X = bench::million_rows();
  mp::matrix copy = mp::matrix::Zero(X.rows(), X.cols());  // touched once, so page faults are not timed
  for (auto _ : state) {
    std::memcpy(copy.data(), X.data(), sizeof(double) * static_cast<std::size_t>(X.size()));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * X.size() * 8 * 2);  // memory traffic: every byte read and written
}

// cross_validate of the pipeline on breast_cancer, 5 splits, accuracy and roc_auc.
void cross_validate_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto pipe = bench::scale_select_logistic();
  for (auto _ : state)
    benchmark::DoNotOptimize(mp::cross_validate(pipe, d.X, d.y, bench::workload_cv, {.scoring = {"accuracy", "roc_auc"}}));
}

// save and load of the fitted pipeline, JSON and CBOR.
void save_load(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto model = bench::scale_select_logistic().fit(d.X, d.y);
  const std::string path = (std::filesystem::temp_directory_path() / (state.range(0) ? "mlpipe_bench.cbor" : "mlpipe_bench.json")).string();
  for (auto _ : state) {
    mp::save(model, path);
    benchmark::DoNotOptimize(mp::load<std::remove_cvref_t<decltype(model)>>(path));
  }
  std::filesystem::remove(path);
}

// Searches: random_search of 20 candidates on breast_cancer (loguniform C, k from 2 to 30, seed 0).
void random_search_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto search = mp::random_search{bench::scale_select_logistic(), bench::search_space(),
                                        {.n_iter = 20, .seed = 0, .cv = bench::workload_cv, .scoring = "accuracy"}};
  for (auto _ : state) state.SetLabel(mp::format_params(search.fit(d.X, d.y).best_params()));
}

// Searches: halving_grid_search of workload 1's grid (factor 3, rows as the resource) on the 20,000 x 100 rows.
void halving_grid_search_synthetic(benchmark::State& state) {
  const auto& d = bench::synthetic();
  const auto search = mp::halving_grid_search{bench::scale_select_logistic(), bench::workload_grid(),
                                              {.factor = 3, .cv = bench::workload_cv, .scoring = "accuracy"}};
  for (auto _ : state) state.SetLabel(mp::format_params(search.fit(d.X, d.y).best_params()));
}

}  // namespace

BENCHMARK(random_search_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK(halving_grid_search_synthetic)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(grid_search_breast_cancer)->ArgName("reuse")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(grid_search_synthetic)->ArgName("n_jobs")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(predict_one);
BENCHMARK(predict_batch)->Unit(benchmark::kMillisecond);
BENCHMARK(copy_same_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(cross_validate_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK(save_load)->ArgName("cbor")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--write_synthetic=", 0) == 0) {
      bench::write_csv(bench::synthetic(), arg.substr(std::strlen("--write_synthetic=")));
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
