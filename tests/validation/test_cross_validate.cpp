#include <catch2/catch.hpp>

#include <algorithm>    // std::sort, std::unique
#include <atomic>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <vector>

#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/columns.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_cross_validate_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scaler_ridge() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 2.0}); }

// nearest_centroid -- a classifier as a user might write one, without predict_proba: each row gets the class whose
// training mean is nearest.
struct nearest_centroid {
  static constexpr std::string_view kind = "nearest_centroid";
  static constexpr auto params = std::tuple<>{};

  class fitted {
   public:
    static constexpr std::string_view kind = "nearest_centroid";
    fitted() = default;
    fitted(mp::matrix centroids, mp::vector classes) : centroids_(std::move(centroids)), classes_(std::move(classes)) {}

    mp::index n_features_in() const { return centroids_.cols(); }
    const mp::vector& classes() const { return classes_; }
    mp::vector predict(const mp::matrix_view& X) const {
      mp::detail::check_predict_input(kind, X, n_features_in());
      mp::vector out(X.rows());
      for (mp::index i = 0; i < X.rows(); ++i) {
        mp::index best = 0;
        (centroids_.rowwise() - X.row(i)).rowwise().squaredNorm().minCoeff(&best);
        out(i) = classes_(best);
      }
      return out;
    }

   private:
    mp::matrix centroids_;
    mp::vector classes_;
  };

  fitted fit(const mp::matrix_view& X, const mp::vector_view& y) const {
    mp::detail::check_fit_input(kind, X, y);
    std::vector<double> labels(y.begin(), y.end());
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    mp::matrix centroids = mp::matrix::Zero(static_cast<mp::index>(labels.size()), X.cols());
    mp::vector counts = mp::vector::Zero(centroids.rows());
    for (mp::index i = 0; i < X.rows(); ++i) {
      const auto k = std::lower_bound(labels.begin(), labels.end(), y(i)) - labels.begin();
      centroids.row(k) += X.row(i);
      counts(k) += 1.0;
    }
    centroids.array().colwise() /= counts.array();
    mp::vector classes = Eigen::Map<const mp::vector>(labels.data(), static_cast<mp::index>(labels.size()));
    return {std::move(centroids), std::move(classes)};
  }
};

auto scaler_centroid() {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(nearest_centroid{});
}
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
    CHECK(results.estimators()[i].get<"scale">().mean() == model.get<"scale">().mean());
    CHECK(results.estimators()[i].get<"scale">().mean().isApprox(X_train.colwise().mean().transpose(), 1e-13));
    CHECK(results.fit_times()[i] >= 0.0);
    CHECK(results.score_times()[i] >= 0.0);
  }
  double sum = 0.0;
  for (double s : results.test_scores("r2")) sum += s;
  CHECK(results.mean_test_score("r2") == Approx(sum / 5).epsilon(1e-15));
  CHECK(results.mean_test_score("r2") > 0.4);  // scikit-learn's cross_val_score gives about 0.48 here
}

TEST_CASE("cross_validate with an empty any_splitter uses scikit-learn's cv=None folds", "[validation][cv]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto regression = mp::cross_validate(scaler_ridge(), d.X, d.y, mp::any_splitter{});
  CHECK(regression.splits() == mp::kfold{}.splits(d.X.rows(), d.y));
  const auto& c = mp::test::load("iris.csv");
  const auto model = mp::logistic_regression{};
  const auto classification = mp::cross_validate(model, c.X, c.y, mp::any_splitter{});
  CHECK(classification.splits() == mp::stratified_kfold{}.splits(c.X.rows(), c.y));
  CHECK(classification.test_scores() == mp::cross_validate(model, c.X, c.y, mp::stratified_kfold{}).test_scores());
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
    // Split 0 fails first whatever the thread count; the error names the user's row 441, not 352, its position among
    // the split's training rows.
    CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(scaler_ridge(), d.X, y, cv, {.n_jobs = n_jobs}); }) ==
          "step 'model' (ridge): y has nan at row 441; expected finite targets (cross-validation split 0 of 5, 353 "
          "training rows)");
  }
}

TEST_CASE("a classifier is known by classes(), not by predict_proba", "[validation][cv][roles]") {
  STATIC_REQUIRE(mp::classifier<nearest_centroid>);
  STATIC_REQUIRE_FALSE(mp::probabilistic_classifier<nearest_centroid>);
  STATIC_REQUIRE_FALSE(mp::regressor<nearest_centroid>);
  STATIC_REQUIRE(mp::classifier<decltype(scaler_centroid())>);
  STATIC_REQUIRE_FALSE(mp::probabilistic_classifier<decltype(scaler_centroid())>);
  STATIC_REQUIRE(mp::fitted_regressor<mp::ridge::fitted>);
  // Pipelines and column subsets pass the role on, and have predict_proba only when their model has it.
  using fitted_pipe = decltype(scaler_centroid())::fitted;
  using fitted_subset = mp::column_subset<nearest_centroid>::fitted;
  STATIC_REQUIRE(mp::fitted_classifier<fitted_pipe>);
  STATIC_REQUIRE(mp::fitted_classifier<fitted_subset>);
  STATIC_REQUIRE_FALSE(mp::fitted_probabilistic_classifier<fitted_pipe>);
  STATIC_REQUIRE_FALSE(mp::fitted_probabilistic_classifier<fitted_subset>);

  const auto& d = mp::test::load("iris.csv");  // rows sorted by class: unstratified folds would each miss a class
  const auto stratified = mp::cross_validate(scaler_centroid(), d.X, d.y, mp::stratified_kfold{});
  CHECK(stratified.scorer_names() == std::vector<std::string>{"accuracy"});  // a classifier's default score
  CHECK(stratified.mean_test_score() > 0.8);
  const auto bare = mp::cross_validate(nearest_centroid{}, d.X, d.y, mp::stratified_kfold{});
  CHECK(bare.scorer_names() == std::vector<std::string>{"accuracy"});

  // A search's default folds are stratified for it, as scikit-learn's cv=None: the same scores as stratified_kfold{}.
  const auto search = mp::grid_search{scaler_centroid(), mp::grid{{"scale.with_std", {true, false}}}}.fit(d.X, d.y);
  REQUIRE(search.results().n_splits() == 5);
  for (std::size_t s = 0; s < 5; ++s) CHECK(search.results().split_test_score(0, s) == stratified.test_scores()[s]);
  CHECK(search.classes() == mp::vector::LinSpaced(3, 0.0, 2.0));
  const auto unstratified = mp::cross_validate(scaler_centroid(), d.X, d.y, mp::kfold{});
  CHECK(unstratified.test_scores() != stratified.test_scores());

  // Scorers that need probabilities name the scorer and the step, before anything is fitted.
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::cross_validate(scaler_centroid(), d.X, d.y, mp::stratified_kfold{}, {.scoring = {"accuracy", "neg_log_loss"}});
        }) == "scorer 'neg_log_loss' needs predict_proba, which step 'model' (nearest_centroid) does not have; "
              "expected a classifier with class probabilities");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::cross_validate(nearest_centroid{}, d.X, d.y, mp::stratified_kfold{}, {.scoring = "neg_log_loss"});
        }) == "scorer 'neg_log_loss' needs predict_proba, which nearest_centroid does not have; expected a classifier "
              "with class probabilities");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::grid_search{scaler_centroid(), mp::grid{{"scale.with_std", {true}}}, {.scoring = "roc_auc"}}.fit(
              d.X, d.y);
        }) == "scorer 'roc_auc' needs predict_proba or decision_function, which step 'model' (nearest_centroid) does "
              "not have; expected a classifier with class probabilities or decision values");
  const auto& diabetes = mp::test::load("diabetes.csv");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::cross_validate(scaler_ridge(), diabetes.X, diabetes.y, mp::kfold{}, {.scoring = "neg_log_loss"});
        }) == "scorer 'neg_log_loss' needs predict_proba, which step 'model' (ridge) does not have; expected a "
              "classifier");
}

TEST_CASE("errors inside cross-validation and searches name the user's row", "[validation][cv][rows][parallel]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::matrix X = d.X.topRows(20);
  const mp::vector y = d.y.head(20);
  // Split 0 trains on the odd rows: the user's row 7 is its training row 3.
  std::vector<int> odd_trains(20), odd_tests(20);
  for (int r = 0; r < 20; ++r) {
    odd_trains[static_cast<std::size_t>(r)] = r % 2;
    odd_tests[static_cast<std::size_t>(r)] = (r + 1) % 2;
  }
  const mp::predefined_split train_side{.test_fold = odd_trains};
  const mp::predefined_split test_side{.test_fold = odd_tests};  // split 0 tests the odd rows: row 7 is test row 3
  mp::matrix with_nan = X;
  with_nan(7, 2) = std::numeric_limits<double>::quiet_NaN();
  const std::string nan_at_7 =
      "step 'scale' (standard_scaler): X has nan at row 7, column 2; expected finite values (impute missing values "
      "first, e.g. with simple_imputer) (cross-validation split 0 of 2, 10 training rows)";

  for (int n_jobs : {1, 2}) {
    CHECK(error_message<mp::invalid_input>([&] {
            mp::cross_validate(scaler_ridge(), with_nan, y, train_side, {.n_jobs = n_jobs});
          }) == nan_at_7);
    CHECK(error_message<mp::invalid_input>([&] {
            mp::cross_validate(scaler_ridge(), with_nan, y, test_side, {.n_jobs = n_jobs});
          }) == nan_at_7);
    for (const bool reuse : {true, false}) {
      for (const auto& cv : {train_side, test_side}) {
        CHECK(error_message<mp::invalid_input>([&] {
                (void)mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {1.0, 2.0}}},
                                      {.cv = cv, .n_jobs = n_jobs, .reuse = reuse}}
                    .fit(with_nan, y);
              }) == nan_at_7 + " (grid candidate 0: model.alpha = 1)");
      }
    }
  }
  // A NaN target at row 7 in a training fold, and in a test fold (where the scorer finds it).
  mp::vector y_nan = y;
  y_nan(7) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(scaler_ridge(), X, y_nan, train_side); }) ==
        "step 'model' (ridge): y has nan at row 7; expected finite targets (cross-validation split 0 of 2, 10 training "
        "rows)");
  CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(scaler_ridge(), X, y_nan, test_side); }) ==
        "r2: y_true has nan at row 7; expected finite values (cross-validation split 0 of 2, 10 training rows)");
  // Nested: the search sees the outer split's rows, and both levels translate.
  const auto search = mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {1.0}}}, {.cv = mp::kfold{.n_splits = 2}}};
  with_nan = d.X.topRows(40);
  with_nan(27, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THAT(error_message<mp::invalid_input>([&] {
               mp::cross_validate(search, with_nan, d.y.head(40), mp::kfold{.n_splits = 2});
             }),
             Catch::StartsWith("step 'scale' (standard_scaler): X has nan at row 27, column 0;"));
}

}  // namespace test_cross_validate_tests
