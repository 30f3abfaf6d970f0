// Feature selection on breast_cancer: univariate scores, model-based selection, recursive elimination with its
// cross-validated size, sequential selection, a search over the selector, the surviving feature names and how
// stable the selection is across folds.
#include <cstdio>
#include <string>

#include <mlpipe/mlpipe.hpp>

namespace mp = mlpipe;

int main() {
  const auto data = mp::read_csv("data/breast_cancer.csv", {.target = "target"});
  const mp::logistic_regression lr{.C = 1.0};
  const mp::stratified_kfold cv{.n_splits = 5};
  const mp::matrix X_scaled = mp::standard_scaler{}.fit(data.X).transform(data.X);

  // Univariate: mutual information (scikit-learn's estimator and noise, seeded), chi2 on [0, 1] features, FDR.
  const auto pct = mp::select_percentile{.percentile = 20, .score = mp::mutual_info_classif{.n_neighbors = 3, .seed = 0}};
  const mp::matrix X01 = mp::min_max_scaler{}.fit(data.X).transform(data.X);
  const auto chi = mp::select_k_best{.k = 10, .score = mp::chi2};
  const auto fdr = mp::select_fdr{.alpha = 0.01, .score = mp::f_classif};
  std::printf("mutual information keeps %td, chi2 %td, FDR %td features\n", pct.fit(data.X, data.y).n_features_out(),
              chi.fit(X01, data.y).n_features_out(), fdr.fit(data.X, data.y).n_features_out());

  // Model-based: |coef| above the median, then recursive elimination to 10 and with the size chosen by CV.
  const auto sfm = mp::select_from_model<mp::logistic_regression>{.estimator = lr, .threshold = "median"};
  const auto rfe = mp::rfe<mp::logistic_regression>{.estimator = lr, .n_features_to_select = 10, .step = 1};
  const auto rfecv = mp::rfecv<mp::logistic_regression>{.estimator = lr, .step = 1, .min_features_to_select = 1,
                                                        .cv = cv, .scoring = "accuracy", .n_jobs = 2};
  const auto f = rfecv.fit(X_scaled, data.y);
  std::printf("select_from_model keeps %td; rfecv chose %td features (mean accuracy %.4f with all 30)\n",
              sfm.fit(X_scaled, data.y).n_features_out(), f.n_features(), f.cv_results().mean_test_score.back());

  // Sequential forward selection of 5 features, candidates of a round scored in parallel.
  const auto sfs = mp::sequential_feature_selector<mp::logistic_regression>{
      .estimator = lr, .n_features_to_select = 5, .direction = mp::direction::forward, .cv = cv, .n_jobs = 2};
  const auto forward = sfs.fit(X_scaled, data.y);
  std::printf("forward selection added features");
  for (mp::index j : forward.order()) std::printf(" %td", j);
  std::printf("\n");

  // The selector inside a pipeline: tuned by a search, refitted per split, named and checked for stability.
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(rfe) | mp::step<"model">(lr);
  const auto tuned =
      mp::grid_search{pipe, mp::grid{{"select.n_features_to_select", {5, 10, 15}}}, {.cv = cv}}.fit(data.X, data.y);
  std::printf("best n_features_to_select: %s (accuracy %.4f)\n",
              mp::format_value(tuned.best_params().front().second).c_str(), tuned.best_score());
  const auto names = pipe.fit(data.X, data.y).feature_names_out(data.feature_names);
  std::printf("kept:");
  for (const auto& name : names) std::printf(" [%s]", name.c_str());
  std::printf("\n");
  const auto stab = mp::selection_stability(pipe, data.X, data.y, cv, "select", 2);
  std::printf("across 5 folds: Kuncheva index %.3f, Jaccard %.3f\n", stab.kuncheva, stab.jaccard);
  return names.size() == 10 && f.n_features() >= 1 ? 0 : 1;
}
