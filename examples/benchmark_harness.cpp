// benchmark_harness -- a small paper-style comparison: four pipelines on three datasets, cross-validated on the
// same repeated splits, written out as a long CSV table, a Markdown summary with significance markers, a LaTeX table
// and a Friedman / Nemenyi comparison. Run from a folder that holds data/ (the build's examples folder does); it
// writes benchmark_results.csv there.
#include <mlpipe/mlpipe.hpp>

#include <cstdio>

namespace mp = mlpipe;

int main() {
  auto cancer = mp::read_csv("data/breast_cancer.csv", {.target = "target"});
  auto iris = mp::read_csv("data/iris.csv", {.target = "target"});
  auto wine = mp::read_csv("data/wine.csv", {.target = "target"});

  // Pipelines of different types: the harness keeps them in a tuple, no virtual calls.
  auto logreg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  auto strong = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{.C = 0.01});
  auto minmax = mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  auto select = mp::step<"scale">(mp::standard_scaler{}) |
                mp::step<"select">(mp::select_k_best{.k = 2, .score = mp::f_classif}) |
                mp::step<"model">(mp::logistic_regression{});

  auto bench = mp::benchmark(mp::named("logreg", logreg), mp::named("logreg C=0.01", strong),
                             mp::named("minmax+logreg", minmax), mp::named("select 2+logreg", select))
                   .on(mp::named("breast_cancer", cancer), mp::named("iris", iris), mp::named("wine", wine))
                   .run({.cv = mp::repeated_stratified_kfold{.n_splits = 5, .n_repeats = 2, .seed = 0},
                         .scoring = {"accuracy", "roc_auc"},
                         .n_jobs = 2});

  bench.results().to_csv("benchmark_results.csv");  // pipeline, dataset, fold, metric, value, times
  std::printf("%zu result rows written to benchmark_results.csv\n\n", bench.results().size());
  std::printf("%s\n", bench.summary("accuracy").to_markdown().c_str());
  std::printf("%s\n", bench.summary("roc_auc").to_latex().c_str());
  std::printf("%s", bench.critical_difference("accuracy").to_markdown().c_str());
  return 0;
}
