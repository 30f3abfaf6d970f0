#include <catch2/catch.hpp>

#include <algorithm>  // std::sort
#include <string>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/validation/curves.hpp"
#include "mlpipe/validation/permutation.hpp"
#include "mlpipe/validation/predict.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "support.hpp"

namespace test_curves_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::to_matrix;

const nlohmann::json& reference(const std::string& function) {
  return mp::test::test_reference("validation_analysis")[function];
}

// Largest |a - b| over all entries.
double max_difference(const mp::matrix& a, const mp::matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a - b).cwiseAbs().maxCoeff();
}

// Both libraries solve the logistic loss far past their default tolerances, so they meet at the optimum up to the
// solvers' last digits: probabilities and decision values agree to about 1e-7.
auto logreg(double C = 1.0) {
  return mp::step<"scale">(mp::standard_scaler{}) |
         mp::step<"model">(mp::logistic_regression{.C = C, .max_iter = 1000, .tol = 1e-10});
}

auto ridge(double alpha = 1.0) {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = alpha});
}

const mp::dataset& iris() { return mp::test::load("iris.csv"); }
const mp::dataset& cancer() { return mp::test::load("breast_cancer.csv"); }
const mp::dataset& diabetes() { return mp::test::load("diabetes.csv"); }

TEST_CASE("cross_val_predict gives scikit-learn's out-of-fold labels, probabilities and decision values",
          "[validation][curves]") {
  const auto& ref = reference("cross_val_predict");
  const mp::vector labels = mp::cross_val_predict(logreg(), iris().X, iris().y, mp::stratified_kfold{.n_splits = 5});
  CHECK(labels == mp::test::to_vector(ref["iris_predict"]));
  const mp::matrix proba = mp::cross_val_predict_proba(logreg(), iris().X, iris().y, mp::stratified_kfold{});
  CHECK(max_difference(proba, to_matrix(ref["iris_proba"])) < 1e-7);
  const mp::matrix decision = mp::cross_val_decision_function(logreg(), iris().X, iris().y, mp::stratified_kfold{});
  CHECK(max_difference(decision, to_matrix(ref["iris_decision"])) < 1e-6);
  const mp::matrix binary = mp::cross_val_decision_function(logreg(), cancer().X, cancer().y, {});
  REQUIRE(binary.cols() == 1);
  CHECK(mp::test::max_relative_error(binary.col(0), mp::test::to_vector(ref["cancer_decision"])) < 1e-6);

  // Ridge is solved exactly: the shuffled folds and the predictions match to rounding.
  const mp::vector values =
      mp::cross_val_predict(ridge(2.0), diabetes().X, diabetes().y, mp::kfold{.shuffle = true, .seed = 0});
  CHECK(mp::test::max_relative_error(values, mp::test::to_vector(ref["diabetes_ridge_shuffled"])) < 1e-10);
}

TEST_CASE("cross_val_predict_proba gives a class missing from a training set probability 0, as scikit-learn",
          "[validation][curves]") {
  // iris is sorted by class, so every unshuffled 3-fold training set lacks the class it tests.
  const mp::matrix proba = mp::cross_val_predict_proba(logreg(), iris().X, iris().y, mp::kfold{.n_splits = 3});
  const mp::matrix expected = to_matrix(reference("cross_val_predict")["iris_kfold3_proba"]);
  CHECK(max_difference(proba, expected) < 1e-7);
  CHECK(proba.col(0).head(50).isZero(0.0));
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::cross_val_decision_function(logreg(), iris().X, iris().y, mp::kfold{.n_splits = 3});
        }) == "cross_val_decision_function: only 2 classes in a split's training rows, but 3 in the whole data; "
              "expected every class in every training set, as decision values of a split with other classes cannot "
              "be aligned (cross-validation split 0 of 3, 100 training rows)");
}

TEST_CASE("cross_val_predict refuses splits that are not a partition of the rows, as scikit-learn",
          "[validation][curves]") {
  const mp::predefined_split holdout{.test_fold = std::vector<int>(150, -1)};
  std::vector<int> ids(150, -1);
  ids[0] = 0;
  ids[1] = 1;
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::cross_val_predict(logreg(), iris().X, iris().y, mp::predefined_split{.test_fold = ids});
        }) == "cross_val_predict: row 2 is in no split's test rows; cross_val_predict only works for splitters whose "
              "test sets are a partition of the rows (each row tested exactly once)");
  // A splitter whose test sets overlap (as repeated or shuffle splits do).
  struct twice {
    std::vector<mp::split> splits(mp::index n, const mp::vector_view&) const {
      return {mp::kfold{.n_splits = 2}.splits(n)[0], mp::kfold{.n_splits = 2}.splits(n)[0]};
    }
  };
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::cross_val_predict_proba(logreg(), iris().X, iris().y, twice{});
        }) == "cross_val_predict_proba: row 0 is in the test rows of more than one split; cross_val_predict_proba "
              "only works for splitters whose test sets are a partition of the rows (each row tested exactly once), "
              "as kfold and stratified_kfold; not repeated or shuffle splits");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::cross_val_predict(ridge(), diabetes().X, diabetes().y.head(10), mp::kfold{});
        }).find("cross_val_predict: ") == 0);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::cross_val_predict(ridge(), diabetes().X, diabetes().y, mp::kfold{}, {.n_jobs = 0});
        }) == "n_jobs = 0 is out of range; expected n_jobs >= 1, or -1 for every core");
}

TEST_CASE("cross_val_predict gives the same predictions for any n_jobs", "[validation][curves][parallel]") {
  const mp::matrix one = mp::cross_val_predict_proba(logreg(), cancer().X, cancer().y, {}, {.n_jobs = 1});
  const mp::matrix two = mp::cross_val_predict_proba(logreg(), cancer().X, cancer().y, {}, {.n_jobs = 2});
  CHECK(one == two);
}

TEST_CASE("learning_curve gives scikit-learn's sizes and scores, shuffled or not, from fractions or counts",
          "[validation][curves][parallel]") {
  const auto& ref = reference("learning_curve");
  {
    const auto lc = mp::learning_curve(ridge(), diabetes().X, diabetes().y,
                                       {.train_sizes = {0.1, 0.325, 0.55, 0.775, 1.0}, .cv = mp::kfold{},
                                        .scoring = "r2", .shuffle = true, .seed = 0});
    const auto& r = ref["diabetes_fractions_shuffled"];
    CHECK(lc.train_sizes_abs == r["sizes"].get<std::vector<mp::index>>());
    CHECK(max_difference(lc.train_scores, to_matrix(r["train"])) < 1e-10);
    CHECK(max_difference(lc.test_scores, to_matrix(r["test"])) < 1e-10);
  }
  {
    const auto lc = mp::learning_curve(ridge(), diabetes().X, diabetes().y,
                                       {.train_sizes = {100, 20, 50, 20}, .cv = mp::kfold{.n_splits = 4}});
    const auto& r = ref["diabetes_counts"];
    CHECK(lc.train_sizes_abs == r["sizes"].get<std::vector<mp::index>>());
    CHECK(max_difference(lc.train_scores, to_matrix(r["train"])) < 1e-10);
    CHECK(max_difference(lc.test_scores, to_matrix(r["test"])) < 1e-10);
    CHECK(lc.fit_times.rows() == 3);
    CHECK(lc.mean_test_scores().size() == 3);
  }
  {
    const auto lc = mp::learning_curve(logreg(), cancer().X, cancer().y,
                                       {.train_sizes = {0.2, 0.6, 1.0}, .n_jobs = 2, .shuffle = true, .seed = 3});
    const auto& r = ref["cancer_accuracy_shuffled"];
    CHECK(lc.train_sizes_abs == r["sizes"].get<std::vector<mp::index>>());
    CHECK(max_difference(lc.train_scores, to_matrix(r["train"])) < 1e-12);
    CHECK(max_difference(lc.test_scores, to_matrix(r["test"])) < 1e-12);
  }
}

TEST_CASE("learning_curve rejects sizes outside the training set", "[validation][curves]") {
  const auto run = [&](mp::learning_curve_options options) {
    return error_message<mp::invalid_parameter>(
        [&] { (void)mp::learning_curve(ridge(), diabetes().X, diabetes().y, options); });
  };
  CHECK(run({.train_sizes = {0.0, 0.5}}) ==
        "learning_curve: train_sizes has the fraction 0; expected fractions in (0, 1] of the largest training set (or "
        "whole-number counts, e.g. {10, 50, 100})");
  CHECK(run({.train_sizes = {0.5, 1.5}}).find("the fraction 1.5;") != std::string::npos);
  CHECK(run({.train_sizes = {10, 400}}) ==
        "learning_curve: train_sizes has the count 400; expected counts between 1 and 353, the number of rows of the "
        "smallest training set of the splits");
  CHECK(run({.train_sizes = std::vector<double>{}}) == "learning_curve: train_sizes is empty; expected at least one size");
  CHECK(run({.seed = -1}) == "learning_curve: seed = -1 is out of range; expected 0 <= seed < 2^32");
  CHECK(run({.scoring = "acuracy"}).find("unknown scorer 'acuracy'") == 0);
}

TEST_CASE("validation_curve gives scikit-learn's scores over one parameter path", "[validation][curves][parallel]") {
  const auto& ref = reference("validation_curve");
  const auto vc = mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpha",
                                       {0.01, 0.1, 1.0, 10.0, 100.0}, {.cv = mp::kfold{}, .scoring = "r2"});
  CHECK(max_difference(vc.train_scores, to_matrix(ref["diabetes_alpha"]["train"])) < 1e-10);
  CHECK(max_difference(vc.test_scores, to_matrix(ref["diabetes_alpha"]["test"])) < 1e-10);
  const auto by_C = mp::validation_curve(logreg(), cancer().X, cancer().y, "model.C", {0.01, 0.1, 1.0, 10.0},
                                         {.cv = mp::stratified_kfold{.shuffle = true, .seed = 1}, .n_jobs = 2});
  CHECK(max_difference(by_C.train_scores, to_matrix(ref["cancer_C"]["train"])) < 1e-12);
  CHECK(max_difference(by_C.test_scores, to_matrix(ref["cancer_C"]["test"])) < 1e-12);

  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpha", {1.0, -1.0});
        }) == "step 'model' (ridge): alpha = -1 is out of range; expected alpha >= 0 (validation_curve value 1, "
              "model.alpha = -1)");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpah", {1.0});
        }).find("model.alpah") != std::string::npos);
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpha", {});
        }) == "validation_curve: the parameter 'model.alpha' has no values; expected at least one");
}

TEST_CASE("permutation_test_score gives scikit-learn's scores and p-value (C + 1) / (n_permutations + 1)",
          "[validation][curves][parallel]") {
  const auto& ref = reference("permutation_test_score");
  {
    const auto pt = mp::permutation_test_score(ridge(), diabetes().X, diabetes().y,
                                               {.n_permutations = 30, .seed = 0, .cv = mp::kfold{}, .scoring = "r2"});
    const auto& r = ref["diabetes_r2"];
    CHECK(pt.score == Approx(r["score"].get<double>()).epsilon(1e-12));
    CHECK(mp::test::max_relative_error(Eigen::Map<const mp::vector>(pt.permutation_scores.data(), 30),
                                       mp::test::to_vector(r["permutation_scores"])) < 1e-10);
    CHECK(pt.p_value == r["p_value"].get<double>());
  }
  {
    // Stratified shuffled folds are made anew from each permuted y, as scikit-learn does.
    const auto pt = mp::permutation_test_score(
        logreg(), iris().X, iris().y,
        {.n_permutations = 20, .seed = 7, .cv = mp::stratified_kfold{.shuffle = true, .seed = 0}, .n_jobs = 2});
    const auto& r = ref["iris_accuracy"];
    CHECK(pt.score == Approx(r["score"].get<double>()).epsilon(1e-12));
    CHECK(mp::test::max_relative_error(Eigen::Map<const mp::vector>(pt.permutation_scores.data(), 20),
                                       mp::test::to_vector(r["permutation_scores"])) < 1e-12);
    CHECK(pt.p_value == r["p_value"].get<double>());
  }
  {
    const auto& r = ref["noise"];
    const mp::matrix X = to_matrix(r["X"]);
    const mp::vector y = mp::test::to_vector(r["y"]);
    const auto pt = mp::permutation_test_score(ridge(), X, y,
                                               {.n_permutations = 40, .seed = 11, .cv = mp::kfold{.n_splits = 3}});
    CHECK(mp::test::max_relative_error(Eigen::Map<const mp::vector>(pt.permutation_scores.data(), 40),
                                       mp::test::to_vector(r["permutation_scores"])) < 1e-10);
    CHECK(pt.p_value == r["p_value"].get<double>());
    CHECK(pt.p_value > 0.1);
  }
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::permutation_test_score(ridge(), diabetes().X, diabetes().y, {.n_permutations = 0});
        }) == "permutation_test_score: n_permutations = 0 is out of range; expected n_permutations >= 1");
}

TEST_CASE("permutation_importance gives scikit-learn's importances for several scorers", "[validation][curves][parallel]") {
  const auto& ref = reference("permutation_importance");
  const auto model = ridge().fit(diabetes().X, diabetes().y);
  const auto pi = mp::permutation_importance(model, diabetes().X, diabetes().y,
                                             {.n_repeats = 5, .seed = 0, .scoring = {"r2", "neg_mean_squared_error"}});
  for (const std::string name : {"r2", "neg_mean_squared_error"}) {
    const auto& r = ref["diabetes"][name];
    CHECK(max_difference(pi.importances(name), to_matrix(r["raw"])) < 1e-9);
    CHECK(mp::test::max_relative_error(pi.importances_mean(name), mp::test::to_vector(r["mean"]), 1e-3) < 1e-9);
    CHECK(mp::test::max_relative_error(pi.importances_std(name), mp::test::to_vector(r["std"]), 1e-3) < 1e-9);
  }
  CHECK(error_message<mp::invalid_parameter>([&] { (void)pi.importances(); }) ==
        "several scorers were computed (r2, neg_mean_squared_error); name the one you want");

  const auto classifier = logreg().fit(cancer().X.topRows(400), cancer().y.head(400));
  const auto& r = ref["cancer_accuracy"];
  const mp::matrix X_test = cancer().X.bottomRows(169);
  const mp::vector y_test = cancer().y.tail(169);
  const auto one = mp::permutation_importance(classifier, X_test, y_test, {.n_repeats = 4, .seed = 42});
  const auto two = mp::permutation_importance(classifier, X_test, y_test, {.n_repeats = 4, .seed = 42, .n_jobs = 2});
  CHECK(max_difference(one.importances(), to_matrix(r["raw"])) < 1e-12);
  CHECK(mp::test::max_relative_error(one.importances_mean(), mp::test::to_vector(r["mean"]), 1e-3) < 1e-12);
  CHECK(one.importances() == two.importances());
  CHECK(one.baseline_score("accuracy") == one.baseline_score());

  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::permutation_importance(model, diabetes().X, diabetes().y, {.n_repeats = 0});
        }) == "permutation_importance: n_repeats = 0 is out of range; expected n_repeats >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::permutation_importance(model, diabetes().X, diabetes().y, {.scoring = "neg_log_loss"});
        }) == "scorer 'neg_log_loss' needs predict_proba, which step 'model' (ridge) does not have; expected a "
              "classifier");
  CHECK(error_message<mp::invalid_input>([&] {
          mp::matrix X = diabetes().X;
          X(3, 2) = std::nan("");
          (void)mp::permutation_importance(model, X, diabetes().y);
        }) == "step 'scale' (standard_scaler): X has nan at row 3, column 2; expected finite values (impute missing "
              "values first, e.g. with simple_imputer)");
}

TEST_CASE("cross_val_predict, the curves and permutation_test_score pass .groups to the splitter, as scikit-learn",
          "[validation][curves][groups][parallel]") {
  const auto& ref = reference("groups");
  const std::vector<mp::index> groups = ref["diabetes_groups"].get<std::vector<mp::index>>();
  const mp::vector by_group = mp::cross_val_predict(ridge(2.0), diabetes().X, diabetes().y,
                                                    mp::group_kfold{.n_splits = 5}, {.groups = groups});
  CHECK(mp::test::max_relative_error(by_group, mp::test::to_vector(ref["cross_val_predict_group_kfold"])) < 1e-10);
  const mp::vector one_out = mp::cross_val_predict(ridge(), diabetes().X, diabetes().y, mp::leave_one_group_out{},
                                                   {.n_jobs = 2, .groups = groups});
  CHECK(mp::test::max_relative_error(one_out, mp::test::to_vector(ref["cross_val_predict_leave_one_group_out"])) <
        1e-10);

  const auto lc = mp::learning_curve(ridge(), diabetes().X, diabetes().y,
                                     {.train_sizes = {0.3, 0.6, 1.0}, .cv = mp::group_kfold{.n_splits = 4},
                                      .scoring = "r2", .shuffle = true, .seed = 2, .groups = groups});
  CHECK(lc.train_sizes_abs == ref["learning_curve"]["sizes"].get<std::vector<mp::index>>());
  CHECK(max_difference(lc.train_scores, to_matrix(ref["learning_curve"]["train"])) < 1e-10);
  CHECK(max_difference(lc.test_scores, to_matrix(ref["learning_curve"]["test"])) < 1e-10);

  const auto vc = mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpha", {0.1, 1.0, 10.0},
                                       {.cv = mp::group_kfold{.n_splits = 3}, .scoring = "r2", .groups = groups});
  CHECK(max_difference(vc.train_scores, to_matrix(ref["validation_curve"]["train"])) < 1e-10);
  CHECK(max_difference(vc.test_scores, to_matrix(ref["validation_curve"]["test"])) < 1e-10);

  // y is permuted within each group (scikit-learn's _shuffle), and group_kfold splits by the same groups.
  const auto pt = mp::permutation_test_score(ridge(), diabetes().X, diabetes().y,
                                             {.n_permutations = 15, .seed = 3, .cv = mp::group_kfold{.n_splits = 4},
                                              .scoring = "r2", .groups = groups});
  const auto& r = ref["permutation_test_score"];
  CHECK(pt.score == Approx(r["score"].get<double>()).epsilon(1e-12));
  CHECK(mp::test::max_relative_error(Eigen::Map<const mp::vector>(pt.permutation_scores.data(), 15),
                                     mp::test::to_vector(r["permutation_scores"])) < 1e-10);
  CHECK(pt.p_value == r["p_value"].get<double>());
  const std::vector<mp::index> iris_groups = ref["iris_groups"].get<std::vector<mp::index>>();
  const auto within = mp::permutation_test_score(
      logreg(), iris().X, iris().y,
      {.n_permutations = 10, .seed = 5, .cv = mp::stratified_kfold{.shuffle = true, .seed = 0}, .groups = iris_groups});
  const auto& w = ref["permutation_test_score_within_groups"];
  CHECK(mp::test::max_relative_error(Eigen::Map<const mp::vector>(within.permutation_scores.data(), 10),
                                     mp::test::to_vector(w["permutation_scores"])) < 1e-12);
  CHECK(within.p_value == w["p_value"].get<double>());
}

TEST_CASE("permuting within groups keeps every row's target inside its group", "[validation][curves][groups]") {
  const mp::row_ids groups{4, 1, 4, 1, 4, 9, 1, 9};
  mp::numpy_random_state rng(0);
  const std::vector<mp::index> order = mp::detail::permutation_within_groups(rng, 8, groups);
  std::vector<mp::index> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<mp::index>{0, 1, 2, 3, 4, 5, 6, 7});
  for (std::size_t r = 0; r < order.size(); ++r) CHECK(groups[r] == groups[static_cast<std::size_t>(order[r])]);
}

TEST_CASE("functions that take groups reject groups of the wrong length and group splitters without groups",
          "[validation][curves][groups]") {
  const std::vector<int> short_groups(10, 0);
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::cross_val_predict(ridge(), diabetes().X, diabetes().y, mp::kfold{}, {.groups = short_groups});
        }) == "cross_val_predict: groups has 10 ids but X has 442 rows; expected one group id per row");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::learning_curve(ridge(), diabetes().X, diabetes().y, {.groups = short_groups});
        }) == "learning_curve: groups has 10 ids but X has 442 rows; expected one group id per row");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::validation_curve(ridge(), diabetes().X, diabetes().y, "model.alpha", {1.0},
                                     {.groups = short_groups});
        }) == "validation_curve: groups has 10 ids but X has 442 rows; expected one group id per row");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::permutation_test_score(ridge(), diabetes().X, diabetes().y, {.groups = short_groups});
        }) == "permutation_test_score: groups has 10 ids but X has 442 rows; expected one group id per row");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::learning_curve(ridge(), diabetes().X, diabetes().y, {.cv = mp::group_kfold{}});
        }) == "group_kfold: group_kfold needs groups; pass .groups = ... (one group id per row) to cross_validate or "
              "the search, or call splits(n_rows, y, groups)");
}

}  // namespace test_curves_tests
