// The scaling workload (benchmarks/README.md): the grid search of standard_scaler | select_k_best(f_classif) |
// logistic_regression, k in {5, 10, 20} x C in {0.1, 1, 10}, 5-fold stratified, on rows x 50 features that
// benchmarks/compare_sklearn.py generated with scikit-learn's make_classification and wrote as raw doubles.
//   mlpipe_bench_scaling DATA ROWS COLS N_JOBS REPETITIONS
// DATA.X holds X column by column, DATA.y the labels. Prints one JSON object: the process CPU seconds and wall
// seconds of each repetition's fit, the process's peak resident size (the same measurement compare_sklearn.py makes
// of scikit-learn's process), and the results (best parameters, mean test scores) for a side-by-side check.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include <mlpipe/core/allocate.hpp>
#include <mlpipe/feature_selection/select_k_best.hpp>
#include <mlpipe/models/logistic_regression.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>
#include <mlpipe/tuning/grid_search.hpp>

#include "process_io.hpp"

namespace mp = mlpipe;

using mlpipe::bench::cpu_seconds;
using mlpipe::bench::read_doubles;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: mlpipe_bench_scaling DATA ROWS COLS N_JOBS REPETITIONS\n";
    return 2;
  }
  const std::string data = argv[1];
  const mp::index rows = std::stol(argv[2]);
  const mp::index cols = std::stol(argv[3]);
  const int n_jobs = std::stoi(argv[4]);
  const int repetitions = std::stoi(argv[5]);
  mp::matrix X = mp::detail::new_matrix(rows, cols);  // as numpy gives scikit-learn its large arrays
  mp::vector y(rows);
  read_doubles(data + ".X", X.data(), static_cast<std::size_t>(X.size()));
  read_doubles(data + ".y", y.data(), static_cast<std::size_t>(y.size()));

  const auto search = mp::grid_search{
      mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.score = mp::f_classif}) |
          mp::step<"model">(mp::logistic_regression{}),
      mp::grid{{"select.k", {5, 10, 20}}, {"model.C", {0.1, 1.0, 10.0}}},
      {.cv = mp::stratified_kfold{.n_splits = 5, .shuffle = true, .seed = 0}, .scoring = "accuracy", .n_jobs = n_jobs,
       .refit = false}};
  std::cout << "{\"cpu_seconds\": [";
  std::string results;
  for (int r = 0; r < repetitions; ++r) {
    const double cpu = cpu_seconds();
    const auto wall = std::chrono::steady_clock::now();
    const auto fitted = search.fit(X, y);
    const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    std::cout << (r ? ", " : "") << "[" << cpu_seconds() - cpu << ", " << wall_seconds << "]";
    if (r == 0) {
      results = "\"best_params\": \"" + mp::format_params(fitted.best_params()) + "\", \"mean_test_score\": [";
      const auto& means = fitted.results().mean_test_score();
      for (std::size_t c = 0; c < means.size(); ++c) results += (c ? ", " : "") + mp::format_double(means[c]);
      results += "], \"fits_saved\": " + std::to_string(fitted.results().fits_saved());
    }
  }
  std::cout << "], \"peak_rss_mb\": " << mlpipe::bench::peak_resident_mib() << ", " << results << "}\n";
}
