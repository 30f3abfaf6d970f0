// The models workloads (benchmarks/README.md, compare_sklearn.py --models): mlpipe's side, on data that
// compare_sklearn.py generated with scikit-learn and wrote as raw doubles (X column by column, then y).
//   mlpipe_bench_models timings DATA REPETITIONS [ONLY]
//     DATA.forest.{X,y} 20,000 x 100 (classification), DATA.lasso.{X,y} 20,000 x 100 (regression),
//     DATA.knn.{X,y} 20,000 x 10 training rows and DATA.knn_query.X 10,000 x 10 queries.
//     Prints one JSON object: per workload the wall and CPU seconds of each repetition, and for predict_one the
//     heap allocations per row. ONLY, when given, runs just the workloads whose names contain it (e.g. lasso).
//   mlpipe_bench_models accuracy DATA TRAIN_ROWS TEST_ROWS COLS SEEDS
//     DATA.X / DATA.y hold TRAIN_ROWS + TEST_ROWS rows (the training rows first); prints the test accuracy of
//     random_forest_classifier{.n_estimators = 100} for seeds 0 .. SEEDS-1 as a JSON list.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <mlpipe/models/elastic_net.hpp>
#include <mlpipe/models/forest.hpp>
#include <mlpipe/models/neighbors.hpp>
#include <mlpipe/models/tree.hpp>

#include "counting_new.hpp"  // tests/counting_new.hpp: operator new counts, per thread

#include "process_io.hpp"

namespace mp = mlpipe;

namespace {

using mlpipe::bench::cpu_seconds;
using mlpipe::bench::read_doubles;

// X (rows x cols, written column by column) from path.X and, when y is given, y from path.y.
mp::matrix read_X(const std::string& path, mp::index rows, mp::index cols) {
  mp::matrix X(rows, cols);
  read_doubles(path + ".X", X.data(), static_cast<std::size_t>(X.size()));
  return X;
}

mp::vector read_y(const std::string& path, mp::index rows) {
  mp::vector y(rows);
  read_doubles(path + ".y", y.data(), static_cast<std::size_t>(y.size()));
  return y;
}

// The workloads to run: those whose names contain it (all when empty).
std::string only;

bool wanted(std::string_view name) { return name.find(only) != std::string_view::npos; }

// Runs f `repetitions` times and prints "name": [[wall, cpu], ...].
void time_it(const char* name, int repetitions, const std::function<void()>& f, bool& first) {
  if (!wanted(name)) return;
  std::cout << (first ? "" : ", ") << "\"" << name << "\": [";
  first = false;
  for (int r = 0; r < repetitions; ++r) {
    const double cpu = cpu_seconds();
    const auto wall = std::chrono::steady_clock::now();
    f();
    const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    std::cout << (r ? ", " : "") << "[" << wall_seconds << ", " << cpu_seconds() - cpu << "]";
  }
  std::cout << "]";
}

int timings(const std::string& data, int repetitions) {
  constexpr mp::index rows = 20000, cols = 100, knn_cols = 10, queries = 10000;
  const mp::matrix X = read_X(data + ".forest", rows, cols);
  const mp::vector y = read_y(data + ".forest", rows);
  const mp::matrix Xl = read_X(data + ".lasso", rows, cols);
  const mp::vector yl = read_y(data + ".lasso", rows);
  const mp::matrix Xk = read_X(data + ".knn", rows, knn_cols);
  const mp::vector yk = read_y(data + ".knn", rows);
  const mp::matrix Q = read_X(data + ".knn_query", queries, knn_cols);
  bool first = true;
  std::cout << "{";
  for (const int n_jobs : {1, 2}) {
    const mp::random_forest_classifier spec{.n_estimators = 100, .max_features = mp::max_features::sqrt, .seed = 0,
                                            .n_jobs = n_jobs};
    time_it(n_jobs == 1 ? "forest_fit/n_jobs:1" : "forest_fit/n_jobs:2", repetitions,
            [&] { (void)spec.fit(X, y); }, first);
  }
  if (wanted("forest_predict_one")) {
    const auto forest = mp::random_forest_classifier{.n_estimators = 100, .seed = 0}.fit(X, y);
    // predict_one: 2,000 rows per repetition, the time per row; allocations counted over the rows alone.
    constexpr mp::index one_rows = 2000;
    const mp::matrix rows_by_row = X.topRows(one_rows).transpose();  // each row contiguous
    std::vector<double> seconds(static_cast<std::size_t>(repetitions));
    // The first row on a thread sets up its scratch arena (core/scratch.hpp); every further row allocates nothing.
    double sink = forest.predict_one(std::span<const double>(rows_by_row.col(0).data(), static_cast<std::size_t>(cols)));
    const long before = mp::test::allocations;
    for (double& per_row : seconds) {
      const auto wall = std::chrono::steady_clock::now();
      for (mp::index i = 0; i < one_rows; ++i)
        sink += forest.predict_one(std::span<const double>(rows_by_row.col(i).data(), static_cast<std::size_t>(cols)));
      per_row = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count() / one_rows;
    }
    const double allocations = static_cast<double>(mp::test::allocations - before) /
                               static_cast<double>(one_rows * repetitions);
    std::cout << (first ? "" : ", ") << "\"forest_predict_one\": [";
    first = false;
    for (std::size_t r = 0; r < seconds.size(); ++r)
      std::cout << (r ? ", " : "") << "[" << seconds[r] << ", " << seconds[r] << "]";
    std::cout << "], \"forest_predict_one_allocations_per_row\": " << allocations
              << ", \"forest_predict_one_checksum\": " << sink;
  }
  time_it("tree_fit", repetitions, [&] { (void)mp::decision_tree_classifier{.seed = 0}.fit(X, y); }, first);
  // scikit-learn's lasso_path fits no intercept: the same here, on data scikit-learn centred before writing it.
  time_it("lasso_path_100_alphas", repetitions,
          [&] { (void)mp::lasso_path(Xl, yl, {.n_alphas = 100, .fit_intercept = false}); }, first);
  const auto knn = mp::k_neighbors_classifier{.n_neighbors = 5}.fit(Xk, yk);
  time_it("knn_predict_10000", repetitions, [&] { (void)knn.predict(Q); }, first);
  std::cout << "}\n";
  return 0;
}

int accuracy(const std::string& data, mp::index train, mp::index test, mp::index cols, int seeds) {
  const mp::matrix X = read_X(data, train + test, cols);
  const mp::vector y = read_y(data, train + test);
  const mp::matrix X_train = X.topRows(train), X_test = X.bottomRows(test);
  const mp::vector y_train = y.head(train), y_test = y.tail(test);
  std::cout << "[";
  for (int seed = 0; seed < seeds; ++seed) {
    const auto f = mp::random_forest_classifier{.n_estimators = 100, .seed = seed, .n_jobs = -1}.fit(X_train, y_train);
    const mp::vector predicted = f.predict(X_test);
    const double correct = (predicted.array() == y_test.array()).cast<double>().sum();
    std::cout << (seed ? ", " : "") << mp::format_double(correct / static_cast<double>(test));
  }
  std::cout << "]\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if ((args.size() == 3 || args.size() == 4) && args[0] == "timings") {
    if (args.size() == 4) only = args[3];
    return timings(args[1], std::stoi(args[2]));
  }
  if (args.size() == 6 && args[0] == "accuracy")
    return accuracy(args[1], std::stol(args[2]), std::stol(args[3]), std::stol(args[4]), std::stoi(args[5]));
  std::cerr << "usage: mlpipe_bench_models timings DATA REPETITIONS [ONLY]\n"
               "       mlpipe_bench_models accuracy DATA TRAIN_ROWS TEST_ROWS COLS SEEDS\n";
  return 2;
}
