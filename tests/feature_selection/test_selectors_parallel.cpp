// The feature selectors that fit in parallel (rfecv over splits, the sequential and exhaustive selectors over
// candidates, selection_stability over splits) give the same result for any n_jobs. A file of its own, small, so
// that the ThreadSanitizer build (the tsan preset, which compiles only the files with [parallel] cases) checks these
// loops without compiling the selectors' whole reference suite.
#include <catch2/catch.hpp>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/sequential.hpp"
#include "mlpipe/feature_selection/stability.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

namespace test_selectors_parallel_tests {

namespace mp = mlpipe;

// iris, standardized: small enough for ThreadSanitizer's pace, three classes for the stratified splits.
const mp::matrix& iris_standardized() {
  const mp::matrix& raw = mp::test::load("iris.csv").X;
  static const mp::matrix X = mp::standard_scaler{}.fit(raw).transform(raw);
  return X;
}

TEST_CASE("rfecv, the sequential and exhaustive selectors and selection_stability are the same for any n_jobs",
          "[feature_selection][parallel]") {
  const mp::matrix& X = iris_standardized();
  const mp::vector& y = mp::test::load("iris.csv").y;
  const mp::logistic_regression lr{.C = 0.5, .max_iter = 1000, .tol = 1e-10};
  const mp::stratified_kfold folds{.n_splits = 3, .shuffle = true, .seed = 1};

  using rfecv_lr = mp::rfecv<mp::logistic_regression>;
  const auto rfe_one = rfecv_lr{.estimator = lr, .cv = folds, .n_jobs = 1}.fit(X, y);
  const auto rfe_two = rfecv_lr{.estimator = lr, .cv = folds, .n_jobs = 2}.fit(X, y);
  CHECK(rfe_two.support() == rfe_one.support());
  CHECK(rfe_two.cv_results().mean_test_score == rfe_one.cv_results().mean_test_score);
  CHECK(rfe_two.cv_results().std_test_score == rfe_one.cv_results().std_test_score);

  using sfs_lr = mp::sequential_feature_selector<mp::logistic_regression>;
  for (const auto direction : {mp::direction::forward, mp::direction::backward}) {
    const auto one = sfs_lr{.estimator = lr, .n_features_to_select = 2, .direction = direction, .cv = folds,
                            .n_jobs = 1}
                         .fit(X, y);
    const auto two = sfs_lr{.estimator = lr, .n_features_to_select = 2, .direction = direction, .cv = folds,
                            .n_jobs = 2}
                         .fit(X, y);
    CHECK(two.support() == one.support());
    CHECK(two.order() == one.order());
    CHECK(two.scores() == one.scores());
  }

  using efs_lr = mp::exhaustive_feature_selector<mp::logistic_regression>;
  const efs_lr exhaustive{.estimator = lr, .min_features = 1, .max_features = 3, .cv = folds, .n_jobs = 1};
  auto in_two = exhaustive;
  in_two.n_jobs = 2;
  const auto all_one = exhaustive.fit(X, y);
  const auto all_two = in_two.fit(X, y);
  CHECK(all_two.support() == all_one.support());
  CHECK(all_two.score() == all_one.score());
  CHECK(all_two.n_subsets() == 14);  // C(4,1) + C(4,2) + C(4,3)

  const auto pipe = mp::step<"select">(mp::select_k_best{.k = 2}) | mp::step<"model">(lr);
  const mp::stratified_kfold five{.n_splits = 5, .shuffle = true, .seed = 3};
  const auto stable_one = mp::selection_stability(pipe, X, y, five, "select", 1);
  const auto stable_two = mp::selection_stability(pipe, X, y, five, "select", 2);
  CHECK(stable_two.supports == stable_one.supports);
  CHECK(stable_two.frequency == stable_one.frequency);
  CHECK(stable_two.kuncheva == stable_one.kuncheva);
  CHECK(stable_two.supports.size() == 5);
}

}  // namespace test_selectors_parallel_tests
