#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "support.hpp"

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scaler_ridge() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 2.0}); }
}  // namespace

TEST_CASE("parallel_for runs every task once, and rethrows the lowest failing task's error", "[validation][parallel]") {
  for (int n_jobs : {1, 2, 3, -1}) {
    std::vector<int> done(100, 0);
    mp::parallel_for(done.size(), n_jobs, [&](std::size_t i) { done[i] += static_cast<int>(i) + 1; });
    for (std::size_t i = 0; i < done.size(); ++i) CHECK(done[i] == static_cast<int>(i) + 1);
  }
  for (int n_jobs : {1, 2, 4}) {
    std::atomic<int> ran{0};
    const std::string message = error_message<std::runtime_error>([&] {
      mp::parallel_for(50, n_jobs, [&](std::size_t i) {
        ++ran;
        if (i == 17 || i == 31) throw std::runtime_error("task " + std::to_string(i));
      });
    });
    CHECK(message == "task 17");
    CHECK(ran >= 18);  // every task before the first failure ran
  }
  CHECK(error_message<mp::invalid_parameter>([] { mp::parallel_for(3, 0, [](std::size_t) {}); }) ==
        "n_jobs = 0 is out of range; expected n_jobs >= 1, or -1 for every core");
  CHECK_NOTHROW(mp::parallel_for(0, 2, [](std::size_t) { FAIL("no task"); }));
}

TEST_CASE("cross_validate fits a fresh pipeline per split and scores it on the held-out rows", "[validation][cv]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 5, .shuffle = true, .seed = 3};
  const auto results = mp::cross_validate(scaler_ridge(), d.X, d.y, cv,
                                          {.scoring = {"r2", "neg_mean_absolute_error"}, .return_train_score = true,
                                           .return_estimator = true});
  REQUIRE(results.n_splits() == 5);
  CHECK(results.scorer_names() == std::vector<std::string>{"r2", "neg_mean_absolute_error"});
  const auto splits = cv.splits(d.X.rows(), d.y);
  CHECK(results.splits() == splits);
  for (std::size_t i = 0; i < splits.size(); ++i) {
    const mp::matrix X_train = d.X(splits[i].train, Eigen::all);
    const mp::vector y_train = d.y(splits[i].train);
    const mp::matrix X_test = d.X(splits[i].test, Eigen::all);
    const mp::vector y_test = d.y(splits[i].test);
    const auto model = scaler_ridge().fit(X_train, y_train);
    // The same fit on the same rows: bit-identical scores.
    CHECK(results.test_scores("r2")[i] == mp::r2(y_test, model.predict(X_test)));
    CHECK(results.test_scores("neg_mean_absolute_error")[i] == -mp::mean_absolute_error(y_test, model.predict(X_test)));
    CHECK(results.train_scores("r2")[i] == mp::r2(y_train, model.predict(X_train)));
    // No leakage: the fold's scaler saw only the fold's training rows.
    CHECK(results.estimators()[i].get<"scale">().mean() == X_train.colwise().mean().transpose());
    CHECK(results.fit_times()[i] >= 0.0);
    CHECK(results.score_times()[i] >= 0.0);
  }
  double sum = 0.0;
  for (double s : results.test_scores("r2")) sum += s;
  CHECK(results.mean_test_score("r2") == Approx(sum / 5).epsilon(1e-15));
  CHECK(results.mean_test_score("r2") > 0.4);  // scikit-learn's cross_val_score gives about 0.48 here
}

TEST_CASE("cross_validate gives the same scores for any n_jobs", "[validation][cv][parallel]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 7, .shuffle = true, .seed = 11};
  const auto one = mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.n_jobs = 1});
  const auto two = mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.n_jobs = 2});
  const auto all = mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.n_jobs = -1});
  CHECK(one.scorer_names() == std::vector<std::string>{"r2"});  // a regressor's default score
  CHECK(one.test_scores() == two.test_scores());
  CHECK(one.test_scores() == all.test_scores());
}

TEST_CASE("cross_validate reports bad options and names the split where a fit failed", "[validation][cv][parallel]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 5};
  CHECK_THAT(error_message<mp::invalid_parameter>([&] {
               mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.scoring = "r3"});
             }),
             Catch::StartsWith("unknown scorer 'r3'"));
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.scoring = {"r2", "r2"}});
        }) == "scoring names 'r2' twice");
  CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(scaler_ridge(), d.X, d.y.head(9), cv); }) ==
        "cross_validate: y has 9 values but X has 442 rows; expected one target per row");
  const auto results = mp::cross_validate(scaler_ridge(), d.X, d.y, cv, {.scoring = {"r2", "neg_mean_squared_error"}});
  CHECK(error_message<mp::invalid_parameter>([&] { (void)results.test_scores(); }) ==
        "several scorers were computed (r2, neg_mean_squared_error); name the one you want");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)results.test_scores("r"); }) ==
        "no scores for 'r'; did you mean 'r2'? Computed: r2, neg_mean_squared_error");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)results.train_scores("r2"); }) ==
        "train scores were not computed; set .return_train_score = true");

  mp::vector y = d.y;
  y(441) = std::numeric_limits<double>::quiet_NaN();  // a test row of split 4 and a training row of the others
  for (int n_jobs : {1, 2}) {
    // Split 0 fails first whatever the thread count; row 441 is the 353rd (index 352) of its training rows.
    CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(scaler_ridge(), d.X, y, cv, {.n_jobs = n_jobs}); }) ==
          "step 'model' (ridge): y has nan at row 352; expected finite targets (cross-validation split 0 of 5, 353 "
          "training rows)");
  }
}
