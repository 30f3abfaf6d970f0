// The feature selection and validation workloads compared with scikit-learn (benchmarks/compare_sklearn.py
// --feature-selection and --validation run the same ones there; README.md lists them and their targets).
//   mlpipe_bench_selection [Google Benchmark flags, e.g. --benchmark_filter=rfecv]
// Feature selection runs on breast_cancer standardized once (the models see scaled data, as in the program);
// validation on breast_cancer and iris, and on 1,000,000 synthetic predictions for the metrics.
#include <benchmark/benchmark.h>

#include <cmath>    // std::exp
#include <string>
#include <utility>  // std::pair
#include <vector>

#include "workloads.hpp"

namespace mp = mlpipe;

namespace {

const mp::matrix& cancer_scaled() {
  static const mp::matrix X = mp::standard_scaler{}.fit(bench::breast_cancer().X).transform(bench::breast_cancer().X);
  return X;
}

const mp::dataset& dataset(const std::string& file) {
  static std::vector<std::pair<std::string, mp::dataset>> cache;
  for (const auto& [name, d] : cache)
    if (name == file) return d;
  cache.emplace_back(file, mp::read_csv(MLPIPE_DATA_DIR "/" + file, {.target = "target"}));
  return cache.back().second;
}

// scikit-learn's LogisticRegression() defaults: C = 1, lbfgs to tol 1e-4 (mlpipe's Newton solver reaches the same
// optimum).
const mp::logistic_regression logreg{.C = 1.0};

// ---- feature selection (issue: rfecv >= 10x, forward SFS >= 10x, mutual_info_classif >= 3x) ------------------------

// rfecv(logistic_regression, step = 1, min_features_to_select = 1, 5-fold stratified, accuracy) on breast_cancer.
void rfecv_breast_cancer(benchmark::State& state) {
  const auto spec = mp::rfecv<mp::logistic_regression>{.estimator = logreg, .step = 1, .min_features_to_select = 1,
                                                        .cv = mp::stratified_kfold{.n_splits = 5},
                                                        .scoring = "accuracy"};
  mp::index chosen = 0;
  for (auto _ : state) chosen = spec.fit(cancer_scaled(), bench::breast_cancer().y).n_features();
  state.counters["n_features"] = static_cast<double>(chosen);
}

// sequential_feature_selector(logistic_regression), forward to 10 features or backward to 20, 5-fold stratified.
void sfs_breast_cancer(benchmark::State& state) {
  const bool forward = state.range(0) == 1;
  const auto spec = mp::sequential_feature_selector<mp::logistic_regression>{
      .estimator = logreg, .n_features_to_select = forward ? 10 : 20,
      .direction = forward ? mp::direction::forward : mp::direction::backward,
      .cv = mp::stratified_kfold{.n_splits = 5}};
  for (auto _ : state) benchmark::DoNotOptimize(spec.fit(cancer_scaled(), bench::breast_cancer().y));
}

// mutual_info_classif(n_neighbors = 3, seed = 0) of breast_cancer's 30 features.
void mutual_info_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const mp::mutual_info_classif score{.n_neighbors = 3, .seed = 0};
  for (auto _ : state) benchmark::DoNotOptimize(score(d.X, d.y));
}

// A grid over select_percentile's percentile (scaler | select_percentile(f_classif) | logistic_regression, 10
// percentiles, 5 splits): the scores are computed once per split, which the search reports as fits saved.
void percentile_search(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
                    mp::step<"select">(mp::select_percentile{.score = mp::f_classif}) | mp::step<"model">(logreg);
  const auto search = mp::grid_search{
      pipe, mp::grid{{"select.percentile", {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}}},
      {.cv = mp::stratified_kfold{.n_splits = 5}, .scoring = "accuracy", .n_jobs = 1, .refit = false}};
  long saved = 0;
  for (auto _ : state) saved = search.fit(d.X, d.y).results().fits_saved();
  state.counters["fits_saved"] = static_cast<double>(saved);
}

// ---- validation: metrics, the harness, curves and permutation tests ------------------------------------------------

// 1,000,000 predictions of 4 classes (70% right) with probabilities, from numpy's RandomState(0) normal stream.
struct predictions {
  mp::vector y_true, y_pred, binary_true, binary_score;
  mp::matrix proba, indicator_true, indicator_pred;
  mp::vector classes;
};

const predictions& million_predictions() {
  static const predictions p = [] {
    constexpr mp::index n = 1000000, k = 4;
    mp::detail::legacy_normal_stream normal(0);
    predictions out;
    out.classes = mp::vector::LinSpaced(k, 0.0, k - 1.0);
    out.y_true.resize(n);
    out.y_pred.resize(n);
    out.proba.resize(n, k);
    out.indicator_true.resize(n, k);
    out.indicator_pred.resize(n, k);
    for (mp::index i = 0; i < n; ++i) {
      out.y_true(i) = static_cast<double>(i % k);
      double sum = 0.0;
      for (mp::index c = 0; c < k; ++c) {
        const double logit = normal.next() + (c == i % k ? 1.5 : 0.0);
        out.proba(i, c) = std::exp(logit);
        sum += out.proba(i, c);
        out.indicator_true(i, c) = normal.next() > 0.3 ? 1.0 : 0.0;
        out.indicator_pred(i, c) = normal.next() + (out.indicator_true(i, c) - 0.5) > 0.0 ? 1.0 : 0.0;
      }
      out.proba.row(i) /= sum;
      mp::index best = 0;
      out.proba.row(i).maxCoeff(&best);
      out.y_pred(i) = static_cast<double>(best);
    }
    out.binary_true = (out.y_true.array() >= 2.0).cast<double>();
    out.binary_score = out.proba.col(2) + out.proba.col(3);
    return out;
  }();
  return p;
}

// The metrics of scikit-learn's names on 1,000,000 rows, one per benchmark argument (see metric_names).
const char* const metric_names[] = {"accuracy", "balanced_accuracy", "f1_macro", "precision_weighted",
                                    "matthews_corrcoef", "confusion_matrix", "roc_auc", "roc_auc_ovr",
                                    "average_precision", "log_loss", "f1_samples_multilabel"};

void metric(benchmark::State& state) {
  const auto& p = million_predictions();
  const auto which = static_cast<std::size_t>(state.range(0));
  state.SetLabel(metric_names[which]);
  using mp::averaging;
  const auto run = [&]() -> double {
    switch (which) {
      case 0: return mp::accuracy(p.y_true, p.y_pred);
      case 1: return mp::balanced_accuracy(p.y_true, p.y_pred);
      case 2: return mp::f1(p.y_true, p.y_pred, {.average = averaging::macro});
      case 3: return mp::precision(p.y_true, p.y_pred, {.average = averaging::weighted});
      case 4: return mp::matthews_corrcoef(p.y_true, p.y_pred);
      case 5: return mp::confusion_matrix(p.y_true, p.y_pred).sum();
      case 6: return mp::roc_auc(p.binary_true, p.binary_score);
      case 7: return mp::roc_auc(p.y_true, p.proba, p.classes, {});
      case 8: return mp::average_precision(p.binary_true, p.binary_score);
      case 9: return mp::log_loss(p.y_true, p.proba, p.classes);
      default: return mp::f1(p.indicator_true, p.indicator_pred, {.average = averaging::samples});
    }
  };
  for (auto _ : state) benchmark::DoNotOptimize(run());
  state.SetItemsProcessed(state.iterations() * p.y_true.size());
}

// The harness: 3 pipelines x 2 datasets (breast_cancer, iris), repeated stratified 5-fold x 3, accuracy and
// roc_auc_ovr, n_jobs from the argument; scikit-learn's side is cross_validate over the same (pipeline, dataset)
// pairs, which gives the scores but none of the tables or tests.
void harness(benchmark::State& state) {
  const auto p1 = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(logreg);
  const auto p2 = mp::step<"scale">(mp::standard_scaler{}) |
                  mp::step<"select">(mp::select_k_best{.k = 2, .score = mp::f_classif}) | mp::step<"model">(logreg);
  const auto p3 = mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::gaussian_nb{});
  const auto cv = mp::repeated_stratified_kfold{.n_splits = 5, .n_repeats = 3, .seed = 0};
  const auto n_jobs = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const auto table = mp::benchmark(mp::named("logreg", p1), mp::named("kbest+logreg", p2),
                                     mp::named("minmax+gnb", p3))
                           .on(mp::named("breast_cancer", dataset("breast_cancer.csv")),
                               mp::named("iris", dataset("iris.csv")))
                           .run({.cv = cv, .scoring = {"accuracy", "roc_auc_ovr"}, .n_jobs = n_jobs});
    benchmark::DoNotOptimize(table.summary("accuracy").to_markdown());
  }
}

// learning_curve of scaler | logistic_regression on breast_cancer: 5 sizes x 5 stratified folds.
void learning_curve_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(logreg);
  for (auto _ : state)
    benchmark::DoNotOptimize(mp::learning_curve(pipe, d.X, d.y, {.cv = mp::stratified_kfold{.n_splits = 5}}));
}

// permutation_test_score of scaler | logistic_regression on breast_cancer: 100 permutations x 5 stratified folds.
void permutation_test_breast_cancer(benchmark::State& state) {
  const auto& d = bench::breast_cancer();
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(logreg);
  for (auto _ : state)
    benchmark::DoNotOptimize(mp::permutation_test_score(
        pipe, d.X, d.y, {.n_permutations = 100, .seed = 0, .cv = mp::stratified_kfold{.n_splits = 5}}));
}

}  // namespace

BENCHMARK(rfecv_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK(sfs_breast_cancer)->ArgName("forward")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(mutual_info_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK(percentile_search)->Unit(benchmark::kMillisecond);
BENCHMARK(metric)->ArgName("which")->DenseRange(0, 10)->Unit(benchmark::kMillisecond);
BENCHMARK(harness)->ArgName("n_jobs")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(learning_curve_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK(permutation_test_breast_cancer)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
