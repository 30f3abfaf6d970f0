// quickstart -- the whole path: load a CSV, compose a pipeline, cross-validate it, tune it with a grid search,
// save the best model, load it back and predict one row. Run from a folder that holds data/breast_cancer.csv
// (the build's examples folder does); it writes model.json and search_results.csv there.
// Each header brings one part of the library; <mlpipe/mlpipe.hpp> brings all of them, at a price in compile time.
#include <mlpipe/feature_selection/select_k_best.hpp>
#include <mlpipe/io/csv.hpp>
#include <mlpipe/io/serialize.hpp>
#include <mlpipe/models/logistic_regression.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>
#include <mlpipe/tuning/grid_search.hpp>
#include <mlpipe/validation/cross_validate.hpp>
#include <mlpipe/validation/metrics.hpp>
#include <mlpipe/validation/splitters.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

namespace mp = mlpipe;

int main() {
  auto data = mp::read_csv("data/breast_cancer.csv", {.target = "target"});
  std::printf("breast_cancer: %td rows x %td features\n", data.X.rows(), data.X.cols());

  auto pipe = mp::step<"scale">(mp::standard_scaler{})
            | mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif})
            | mp::step<"model">(mp::logistic_regression{.C = 1.0});

  // Cross-validation: every split refits the whole pipeline on its training rows only.
  auto cv = mp::stratified_kfold{.n_splits = 5, .shuffle = true, .seed = 0};
  auto scores = mp::cross_validate(pipe, data.X, data.y, cv, {.scoring = {"accuracy", "roc_auc"}, .n_jobs = 2});
  std::printf("\n5-fold cross-validation (the folds of scikit-learn's StratifiedKFold(5, shuffle=True, random_state=0))\n");
  std::printf("  split  accuracy  roc_auc  fit time\n");
  for (std::size_t i = 0; i < scores.n_splits(); ++i) {
    std::printf("  %5zu  %8.4f  %7.4f  %6.2f ms\n", i, scores.test_scores("accuracy")[i], scores.test_scores("roc_auc")[i],
                1e3 * scores.fit_times()[i]);
  }
  std::printf("  mean   %8.4f  %7.4f\n", scores.mean_test_score("accuracy"), scores.mean_test_score("roc_auc"));

  // A grid search over parameter paths; it is a stage itself, refitted on all rows with the best parameters.
  auto search = mp::grid_search{pipe,
      mp::grid{{"select.k", {5, 10, 20, 30}}, {"model.C", {0.01, 0.1, 1.0, 10.0, 100.0}}},
      {.cv = cv, .scoring = "accuracy", .n_jobs = 2}};
  auto tuned = search.fit(data.X, data.y);
  std::printf("\ngrid search over %zu candidates x %zu splits\n", tuned.results().n_candidates(),
              tuned.results().n_splits());
  std::printf("  best parameters: %s\n", mp::format_params(tuned.best_params()).c_str());
  std::printf("  best mean accuracy: %.5f\n", tuned.best_score());
  std::ofstream("search_results.csv") << tuned.results().to_csv();
  const mp::vector fitted_labels = tuned.predict(data.X);
  std::printf("  training accuracy of the refitted model: %.4f\n", mp::accuracy(data.y, fitted_labels));

  // Save the refitted pipeline, load it back, and predict one row without allocating.
  auto model = tuned.best_model();
  mp::save(model, "model.json");
  auto back = mp::load<decltype(model)>("model.json");
  std::vector<double> row(data.X.row(0).begin(), data.X.row(0).end());
  const double* row_ptr = row.data();
  double label = back.predict_one(std::span<const double>(row_ptr, data.X.cols()));
  double proba[2];
  back.predict_proba_one(std::span<const double>(row_ptr, data.X.cols()), proba);
  std::printf("\nreloaded model.json: row 0 is predicted %g (P(0) = %.6f, P(1) = %.6f; true label %g)\n", label,
              proba[0], proba[1], data.y(0));
  const bool same = back.predict(data.X) == model.predict(data.X);
  std::printf("the reloaded model predicts every row as the original: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
