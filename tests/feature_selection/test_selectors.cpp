#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/feature_selection/mutual_info.hpp"
#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/feature_selection/select_from_model.hpp"
#include "mlpipe/feature_selection/sequential.hpp"
#include "mlpipe/feature_selection/stability.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/univariate.hpp"
#include "mlpipe/feature_selection/univariate_select.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "support.hpp"

// Scores (chi2, f_regression without force_finite, r_regression, mutual information) and the univariate selectors
// (select_percentile, select_fpr, select_fdr, select_fwe, generic_univariate_select) against scikit-learn 1.2.

namespace test_selectors_tests {

namespace mp = mlpipe;
using json = nlohmann::json;
using mp::test::columns_of;
using mp::test::error_message;
using mp::test::max_relative_error_nan;
using mp::test::numbers;
using mp::test::to_indices;
using mp::test::to_matrix;

const json& reference() { return mp::test::test_reference("feature_selection"); }
const mp::dataset& breast_cancer() { return mp::test::load("breast_cancer.csv"); }

double worst_absolute(const mp::vector& a, const mp::vector& b) {
  REQUIRE(a.size() == b.size());
  return (a - b).cwiseAbs().maxCoeff();
}

template <class Spec>
void expect_conformant(const Spec& spec, const mp::matrix& X, const mp::vector& y) {
  const mp::testing::report report = mp::testing::check_stage(spec, X, y);
  INFO(report.to_string());
  CHECK(report.ok());
}

// The load_error of a model saved from `fitted`, with edit(model node) applied to the file.
template <class Fitted, class Edit>
std::string corrupted(const Fitted& fitted, Edit edit) {
  json envelope = mp::to_json(fitted);
  edit(envelope["model"]);
  return error_message<mp::load_error>([&] { (void)mp::from_json<Fitted>(envelope); });
}

// ---- scores ---------------------------------------------------------------------------------------------------------

TEST_CASE("chi2 matches scikit-learn, with 3 classes labelled 5, 8 and 11, and names a negative column",
          "[feature_selection][scores]") {
  const json& ref = reference()["chi2"];
  const auto& bc = breast_cancer();
  const mp::univariate_scores s = mp::chi2(bc.X, bc.y);
  // Sums of up to 569 values in another order than numpy's: 1e-12 relative; p-values down to 1e-130 to 1e-9.
  CHECK(max_relative_error_nan(s.scores, numbers(ref["breast_cancer"]["score"])) < 1e-12);
  CHECK(max_relative_error_nan(s.pvalues, numbers(ref["breast_cancer"]["p"])) < 1e-9);
  const auto& iris = mp::test::load("iris.csv");
  const mp::vector labels = numbers(ref["iris_relabelled"]["y"]);
  const mp::univariate_scores si = mp::chi2(iris.X, labels);
  CHECK(max_relative_error_nan(si.scores, numbers(ref["iris_relabelled"]["score"])) < 1e-12);
  CHECK(max_relative_error_nan(si.pvalues, numbers(ref["iris_relabelled"]["p"])) < 1e-9);

  mp::matrix negative = iris.X;
  negative(7, 2) = -0.5;
  CHECK(error_message<mp::invalid_input>([&] { mp::chi2(negative, labels); }) ==
        "chi2: column 2 has a negative value (-0.5 in row 7); expected non-negative values (counts, frequencies, or "
        "min_max_scaler output)");
  CHECK(error_message<mp::invalid_input>([&] { mp::select_k_best{.k = 2, .score = mp::chi2}.fit(negative, labels); }) ==
        "select_k_best: column 2 has a negative value (-0.5 in row 7); expected non-negative values (counts, "
        "frequencies, or min_max_scaler output) (score chi2)");
  CHECK(error_message<mp::invalid_input>([&] { mp::chi2(iris.X, mp::vector::Constant(150, 3.0)); }) ==
        "chi2: y has a single class (3); expected at least 2 classes to compare");
}

TEST_CASE("f_regression without force_finite and r_regression match scikit-learn", "[feature_selection][scores]") {
  const mp::matrix X = to_matrix(reference()["f_regression_not_forced"]["X"]);
  const mp::vector y = numbers(reference()["f_regression_small"]["y"]);
  const mp::univariate_scores raw = mp::f_regression.with({.force_finite = false})(X, y);
  // x == y, -y, 2y + 1: F = inf, p = 0; a constant (zeros): NaN, NaN; a plain feature: the value.
  CHECK(max_relative_error_nan(raw.scores, numbers(reference()["f_regression_not_forced"]["F"])) < 1e-12);
  CHECK(max_relative_error_nan(raw.pvalues, numbers(reference()["f_regression_not_forced"]["p"])) < 1e-12);
  const json& r = reference()["r_regression"];
  CHECK(max_relative_error_nan(mp::r_regression(X, y).scores, numbers(r["small_forced"])) < 1e-12);
  CHECK(mp::r_regression(X, y).pvalues.size() == 0);
  CHECK(max_relative_error_nan(mp::r_regression.with({.force_finite = false})(X, y).scores, numbers(r["small_not_forced"])) <
        1e-12);
  const auto& bc = breast_cancer();
  mp::matrix others(bc.X.rows(), bc.X.cols() - 1);
  others << bc.X.leftCols(4), bc.X.rightCols(bc.X.cols() - 5);
  CHECK(max_relative_error_nan(mp::r_regression(others, bc.X.col(4)).scores, numbers(r["breast_cancer_target_column_4"])) <
        1e-12);
}

TEST_CASE("mutual_info_classif and mutual_info_regression give scikit-learn's estimates with the same seed",
          "[feature_selection][scores][mutual_info]") {
  const json& ref = reference()["mutual_info"];
  const auto& bc = breast_cancer();
  const auto& diabetes = mp::test::load("diabetes.csv");
  // The same noise (numpy's legacy normal stream) and the same neighbour counts: the estimates differ only by the
  // order of a few sums (scaling, means of digammas), about 1e-15; 1e-12 absolute leaves room for that and would
  // catch any count that differs (one count changes an estimate by about 1e-4).
  CHECK(worst_absolute(mp::mutual_info_classif{.n_neighbors = 3, .seed = 0}(bc.X, bc.y).scores,
                       numbers(ref["breast_cancer_classif_k3_seed0"])) < 1e-12);
  CHECK(worst_absolute(mp::mutual_info_classif{.n_neighbors = 5, .seed = 7}(bc.X, bc.y).scores,
                       numbers(ref["breast_cancer_classif_k5_seed7"])) < 1e-12);
  CHECK(worst_absolute(mp::mutual_info_regression{.seed = 0}(diabetes.X, diabetes.y).scores,
                       numbers(ref["diabetes_regression_k3_seed0"])) < 1e-12);

  const mp::matrix X = to_matrix(ref["mixed_X"]);
  const mp::vector labels = numbers(ref["mixed_y"]);
  const mp::vector values = numbers(ref["mixed_y_real"]);
  const std::vector<bool> mask{true, true, false, false, false};
  CHECK(worst_absolute(mp::mutual_info_classif{.discrete_features = mask}(X, labels).scores,
                       numbers(ref["mixed_classif_mask"])) < 1e-12);
  CHECK(worst_absolute(mp::mutual_info_classif{.discrete_features = true}(X, labels).scores,
                       numbers(ref["mixed_classif_all_discrete"])) < 1e-12);
  CHECK(worst_absolute(mp::mutual_info_regression{.discrete_features = mask, .seed = 1}(X, values).scores,
                       numbers(ref["mixed_regression_mask"])) < 1e-12);
  CHECK(worst_absolute(mp::mutual_info_regression{.seed = 1}(X, values).scores,
                       numbers(ref["mixed_regression_auto"])) < 1e-12);

  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::mutual_info_classif{.discrete_features = std::vector<bool>{true, false}}(X, labels);
        }) == "mutual_info_classif: discrete_features has 2 entries but X has 5 features; expected one entry per "
              "feature");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::mutual_info_regression{.n_neighbors = 0}(X, values); }) ==
        "mutual_info_regression: n_neighbors = 0 is out of range; expected n_neighbors >= 1");
  CHECK(error_message<mp::invalid_input>([&] { mp::mutual_info_classif{}(X.topRows(3), labels.head(3)); }) ==
        "mutual_info_classif: X has 3 rows; n_neighbors = 3 needs at least 4");
  mp::matrix with_nan = X;
  with_nan(4, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::mutual_info_classif{}(with_nan, labels); }).starts_with(
      "mutual_info_classif: X has nan at row 4, column 1"));
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::select_percentile{.percentile = 50, .score = mp::mutual_info_classif{.n_neighbors = -1}}.fit(X, labels);
        }) == "select_percentile: n_neighbors = -1 is out of range; expected n_neighbors >= 1 (score "
              "mutual_info_classif)");
}

// ---- univariate selectors ------------------------------------------------------------------------------------------

TEST_CASE("select_percentile, select_fpr, select_fdr, select_fwe and generic_univariate_select keep what "
          "scikit-learn keeps",
          "[feature_selection][univariate_select]") {
  const json& ref = reference()["univariate_selectors"];
  const auto& bc = breast_cancer();
  for (const auto& [q, kept] : ref["percentile_f_classif"].items()) {
    CAPTURE(q);
    CHECK(mp::select_percentile{.percentile = std::stod(q)}.fit(bc.X, bc.y).support() == to_indices(kept));
  }
  const mp::matrix ties = columns_of(bc.X, reference()["select_k_best_ties"]["columns"]);
  for (const auto& [q, kept] : ref["percentile_ties"].items()) {
    CAPTURE(q);
    CHECK(mp::select_percentile{.percentile = std::stod(q)}.fit(ties, bc.y).support() == to_indices(kept));
  }
  CHECK(mp::select_percentile{.percentile = 20, .score = mp::mutual_info_classif{.n_neighbors = 3, .seed = 0}}
            .fit(bc.X, bc.y)
            .support() == to_indices(ref["percentile_mutual_info"]));
  for (const auto& [a, kept] : ref["fpr_f_classif"].items()) {
    CAPTURE(a);
    CHECK(mp::select_fpr{.alpha = std::stod(a)}.fit(bc.X, bc.y).support() == to_indices(kept));
  }
  for (const auto& [a, kept] : ref["fdr_f_classif"].items()) {
    CAPTURE(a);
    CHECK(mp::select_fdr{.alpha = std::stod(a)}.fit(bc.X, bc.y).support() == to_indices(kept));
  }
  for (const auto& [a, kept] : ref["fwe_f_classif"].items()) {
    CAPTURE(a);
    CHECK(mp::select_fwe{.alpha = std::stod(a)}.fit(bc.X, bc.y).support() == to_indices(kept));
  }
  const auto& iris = mp::test::load("iris.csv");
  const mp::vector labels = numbers(reference()["chi2"]["iris_relabelled"]["y"]);
  for (const auto& [a, kept] : ref["fdr_chi2_iris"].items()) {
    CAPTURE(a);
    CHECK(mp::select_fdr{.alpha = std::stod(a), .score = mp::chi2}.fit(iris.X, labels).support() == to_indices(kept));
  }
  const auto& diabetes = mp::test::load("diabetes.csv");
  for (const auto& [a, kept] : ref["fdr_f_regression_diabetes"].items()) {
    CAPTURE(a);
    CHECK(mp::select_fdr{.alpha = std::stod(a), .score = mp::f_regression}.fit(diabetes.X, diabetes.y).support() ==
          to_indices(kept));
  }
  const json& generic = ref["generic"];
  using mode = mp::selection_mode;
  const auto generic_support = [&](mode m, double param) {
    return mp::generic_univariate_select{.mode = m, .param = param}.fit(bc.X, bc.y).support();
  };
  CHECK(generic_support(mode::percentile, 10) == to_indices(generic["percentile_10"]));
  CHECK(generic_support(mode::k_best, 7) == to_indices(generic["k_best_7"]));
  CHECK(generic_support(mode::fpr, 1e-20) == to_indices(generic["fpr_1e-20"]));
  CHECK(generic_support(mode::fdr, 1e-20) == to_indices(generic["fdr_1e-20"]));
  CHECK(generic_support(mode::fwe, 1e-20) == to_indices(generic["fwe_1e-20"]));
}

TEST_CASE("univariate selectors expose scores, p-values, the support as indices and mask, inverse_transform and "
          "the kept names",
          "[feature_selection][univariate_select]") {
  const auto& bc = breast_cancer();
  const auto f = mp::select_fdr{.alpha = 1e-30}.fit(bc.X, bc.y);
  const auto k = mp::select_k_best{.k = 4}.fit(bc.X, bc.y);
  CHECK(f.scores() == k.scores());
  CHECK(f.pvalues() == k.pvalues());
  const std::vector<bool> mask = f.support_mask();
  REQUIRE(mask.size() == 30);
  for (mp::index j = 0; j < 30; ++j)
    CHECK(mask[static_cast<std::size_t>(j)] ==
          (std::find(f.support().begin(), f.support().end(), j) != f.support().end()));
  const mp::matrix Xt = f.transform(bc.X.topRows(5));
  const mp::matrix back = f.inverse_transform(Xt);
  REQUIRE(back.cols() == 30);
  for (mp::index j = 0; j < 30; ++j)
    CHECK(back.col(j) == (mask[static_cast<std::size_t>(j)] ? mp::matrix(bc.X.topRows(5).col(j)) : mp::matrix::Zero(5, 1)));
  const std::vector<std::string> names = f.feature_names_out(bc.feature_names);
  REQUIRE(names.size() == f.support().size());
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(names[i] == bc.feature_names[static_cast<std::size_t>(f.support()[i])]);
  CHECK(k.feature_names_out() == std::vector<std::string>{"x7", "x20", "x22", "x27"});
  CHECK(k.inverse_transform(k.transform(bc.X)).col(7) == bc.X.col(7));
  CHECK(error_message<mp::invalid_input>([&] { (void)f.inverse_transform(bc.X); }) ==
        "select_fdr: inverse_transform got 30 columns; expected " + std::to_string(f.support().size()) +
            ", the number of kept features");
  CHECK(error_message<mp::invalid_input>([&] { (void)f.feature_names_out({"a", "b"}); }) ==
        "select_fdr: feature_names_out got 2 input names; expected 30, one per input feature (or none)");
  // k = 0 keeps nothing, as scikit-learn.
  CHECK(mp::select_k_best{.k = 0}.fit(bc.X, bc.y).transform(bc.X).cols() == 0);
  CHECK(mp::select_percentile{.percentile = 0}.fit(bc.X, bc.y).n_features_out() == 0);
}

TEST_CASE("univariate selectors reject bad hyperparameters and scores without p-values, naming the value",
          "[feature_selection][univariate_select][errors]") {
  const auto& bc = breast_cancer();
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_percentile{.percentile = 101}.fit(bc.X, bc.y); }) ==
        "select_percentile: percentile = 101 is out of range; expected 0 <= percentile <= 100");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_fdr{.alpha = 0}.fit(bc.X, bc.y); }) ==
        "select_fdr: alpha = 0 is out of range; expected 0 < alpha <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_fpr{.alpha = 1.5}.fit(bc.X, bc.y); }) ==
        "select_fpr: alpha = 1.5 is out of range; expected 0 < alpha <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_fwe{.alpha = -0.1}.fit(bc.X, bc.y); }) ==
        "select_fwe: alpha = -0.1 is out of range; expected 0 < alpha <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::select_fwe{.alpha = 0.05, .score = mp::mutual_info_classif{}}.fit(bc.X, bc.y);
        }) == "select_fwe: score mutual_info_classif gives no p-values, which select_fwe with alpha = 0.05 needs; "
              "expected a score with p-values (f_classif, f_regression, chi2)");
  using mode = mp::selection_mode;
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::generic_univariate_select{.mode = mode::k_best, .param = 31}.fit(bc.X, bc.y);
        }) == "generic_univariate_select: param = 31 is out of range for mode = \"k_best\"; expected param <= 30, the "
              "number of input features");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::generic_univariate_select{.mode = mode::fdr, .param = 2}.fit(bc.X, bc.y);
        }) == "generic_univariate_select: param = 2 is out of range for mode = \"fdr\"; expected 0 < param <= 1");
  mp::matrix with_inf = bc.X;
  with_inf(3, 4) = std::numeric_limits<double>::infinity();
  CHECK(error_message<mp::invalid_input>([&] { mp::select_percentile{}.fit(with_inf, bc.y); }).starts_with(
      "select_percentile: X has inf at row 3, column 4"));
  CHECK(error_message<mp::invalid_input>([&] { mp::select_fdr{}.fit(bc.X.topRows(0), bc.y.head(0)); }).starts_with(
      "select_fdr: X is empty"));
  const auto f = mp::select_fdr{}.fit(bc.X, bc.y);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.transform(bc.X.leftCols(29)); }).starts_with(
      "select_fdr: X has 29 columns but this step was fitted on 30; expected 30 columns"));
}

TEST_CASE("univariate selectors save and load, and load rejects a support that their scores do not give",
          "[feature_selection][univariate_select][serialize]") {
  const auto& bc = breast_cancer();
  const auto p = mp::select_percentile{.percentile = 20}.fit(bc.X, bc.y);
  const auto loaded = mp::from_json<mp::select_percentile::fitted>(mp::to_json(p));
  CHECK(loaded.support() == p.support());
  CHECK(loaded.scores() == p.scores());
  CHECK(corrupted(p, [](json& m) { m["state"]["support"][0] = 29; }) ==
        "<json>: model (select_percentile): state.support[1] = 7 is not greater than state.support[0] = 29; expected "
        "strictly increasing indices");
  CHECK(corrupted(p, [](json& m) { m["state"]["support"][0] = 1; }).ends_with(
      "state.support is not what percentile = 20 keeps of state.scores and state.pvalues; expected the features it "
      "selects"));
  CHECK(corrupted(p, [](json& m) { m["params"]["percentile"] = 120; }).ends_with(
      "percentile = 120 is out of range; expected 0 <= percentile <= 100"));
  const auto g = mp::generic_univariate_select{.mode = mp::selection_mode::k_best, .param = 5}.fit(bc.X, bc.y);
  CHECK(corrupted(g, [](json& m) { m["params"]["param"] = 40; }).ends_with(
      "param = 40 is out of range for mode = \"k_best\"; expected param <= 30, the number of input features"));
  const auto f = mp::select_fwe{}.fit(bc.X, bc.y);
  CHECK(corrupted(f, [](json& m) { m["state"]["pvalues"] = json::array(); }).ends_with(
      "state.pvalues is empty; expected one per input feature (the selection uses them)"));
  CHECK(mp::from_json<mp::select_fwe::fitted>(mp::to_json(f)).support() == f.support());
}

TEST_CASE("univariate selectors keep the stage contract and take their scores from a grid by name",
          "[feature_selection][univariate_select][conformance]") {
  const auto& iris = mp::test::load("iris.csv");
  expect_conformant(mp::select_percentile{.percentile = 50}, iris.X, iris.y);
  expect_conformant(mp::select_percentile{.percentile = 50, .score = mp::mutual_info_classif{}}, iris.X, iris.y);
  expect_conformant(mp::select_fpr{.alpha = 0.5, .score = mp::chi2}, iris.X, iris.y);
  expect_conformant(mp::select_fdr{.alpha = 0.5}, iris.X, iris.y);
  expect_conformant(mp::select_fwe{.alpha = 0.5}, iris.X, iris.y);
  expect_conformant(mp::generic_univariate_select{.mode = mp::selection_mode::k_best, .param = 2}, iris.X, iris.y);
  auto pipe = mp::step<"scale">(mp::min_max_scaler{}) |
              mp::step<"select">(mp::select_k_best{.k = 2, .score = mp::chi2}) |
              mp::step<"model">(mp::logistic_regression{});
  pipe.set_param("select.score", std::string("mutual_info_classif"));
  CHECK(pipe.get_param("select.score") == mp::param_value(std::string("mutual_info_classif")));
  CHECK(pipe.fit(iris.X, iris.y).n_features_in() == 4);
  mp::select_percentile s;
  mp::set_param(s, "score", std::string("chi2"));
  CHECK(s.score == mp::chi2);
}

// ---- model-based selectors ---------------------------------------------------------------------------------------

// scikit-learn's LogisticRegression ran with tol = 1e-12; both solvers then agree to about 1e-9, far below the gaps
// between the importances that decide a ranking.
const mp::logistic_regression tight_lr{.C = 1.0, .max_iter = 1000, .tol = 1e-10};
using lr_t = mp::logistic_regression;

mp::matrix standardized(const mp::matrix& X) { return mp::standard_scaler{}.fit(X).transform(X); }

// A user's model with feature_importances() only: |mean of x where y = 1 - mean where y = 0|.
struct contrast_model {
  static constexpr std::string_view kind = "contrast_model";
  class fitted {
   public:
    static constexpr std::string_view kind = contrast_model::kind;
    mp::vector importance;
    mp::index n_features_in() const { return importance.size(); }
    mp::vector feature_importances() const { return importance; }
    mp::vector predict(const mp::matrix_view& X) const { return mp::vector::Zero(X.rows()); }
  };
  template <class Deferred = void>
  fitted fit(const mp::matrix_view& X, const mp::vector_view& y) const {
    mp::vector a = mp::vector::Zero(X.cols());
    for (mp::index i = 0; i < X.rows(); ++i) a += (y(i) > 0.5 ? 1.0 : -1.0) * X.row(i).transpose();
    return fitted{a.cwiseAbs()};
  }
};

TEST_CASE("select_from_model keeps what scikit-learn's SelectFromModel keeps, by mean, median, scaled and numeric "
          "thresholds, max_features and norm_order",
          "[feature_selection][model_based]") {
  const json& ref = reference()["select_from_model"];
  const auto& diabetes = mp::test::load("diabetes.csv");
  for (const auto& [t, kept] : ref["ridge_diabetes"].items()) {
    CAPTURE(t);
    const mp::importance_threshold threshold = t == "0.02" ? mp::importance_threshold(0.02) : mp::importance_threshold(t);
    CHECK(mp::select_from_model<mp::ridge>{.estimator = {.alpha = 1.0}, .threshold = threshold}
              .fit(diabetes.X, diabetes.y)
              .support() == to_indices(kept));
  }
  const auto& bc = breast_cancer();
  const mp::matrix Xs = standardized(bc.X);
  for (const auto& [t, kept] : ref["lr_breast_cancer"].items()) {
    CAPTURE(t);
    CHECK(mp::select_from_model<lr_t>{.estimator = tight_lr, .threshold = t}.fit(Xs, bc.y).support() ==
          to_indices(kept));
  }
  CHECK(mp::select_from_model<lr_t>{.estimator = tight_lr,
                                     .threshold = -std::numeric_limits<double>::infinity(),
                                     .max_features = 5}
            .fit(Xs, bc.y)
            .support() == to_indices(ref["lr_breast_cancer_max_features_5"]));
  const auto& iris = mp::test::load("iris.csv");
  const mp::matrix Xis = standardized(iris.X);
  for (const auto& [o, kept] : ref["lr_iris_norm_order"].items()) {
    CAPTURE(o);
    CHECK(mp::select_from_model<lr_t>{.estimator = {.C = 0.5, .max_iter = 1000, .tol = 1e-10},
                                       .norm_order = std::stod(o)}
              .fit(Xis, iris.y)
              .support() == to_indices(kept));
  }
  // prefit: an already-fitted model gives the same selection without a refit.
  const auto model = tight_lr.fit(Xs, bc.y);
  const auto prefit = mp::select_from_model<lr_t>{.threshold = "median"}.from_fitted(model);
  CHECK(prefit.support() == to_indices(ref["lr_breast_cancer"]["median"]));
  CHECK(prefit.feature_names_out(bc.feature_names).size() == prefit.support().size());
  // A user's stage with feature_importances() only.
  const auto user = mp::select_from_model<contrast_model>{.threshold = "mean"}.fit(Xs, bc.y);
  CHECK(user.importances() == contrast_model{}.fit(Xs, bc.y).importance);
}

TEST_CASE("rfe ranks features as scikit-learn's RFE, by count or fraction, with steps by count or fraction",
          "[feature_selection][model_based][rfe]") {
  const json& ref = reference()["rfe"];
  const auto& bc = breast_cancer();
  const mp::matrix Xs = standardized(bc.X);
  const auto ranking = [&](mp::feature_amount k, mp::feature_amount step) {
    return mp::rfe<lr_t>{.estimator = tight_lr, .n_features_to_select = k, .step = step}.fit(Xs, bc.y).ranking();
  };
  CHECK(ranking(10, 1) == to_indices(ref["lr_breast_cancer"]["10_1"]));
  CHECK(ranking(5, 3) == to_indices(ref["lr_breast_cancer"]["5_3"]));
  CHECK(ranking(0.5, 0.1) == to_indices(ref["lr_breast_cancer"]["0.5_0.1"]));
  CHECK(ranking(1, 0.25) == to_indices(ref["lr_breast_cancer"]["1_0.25"]));
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto r = mp::rfe<mp::ridge>{.n_features_to_select = 3}.fit(diabetes.X, diabetes.y);
  CHECK(r.ranking() == to_indices(ref["ridge_diabetes"]));
  CHECK(r.n_features() == 3);
  CHECK(r.estimator().n_features_in() == 3);
  CHECK(r.transform(diabetes.X).cols() == 3);
  CHECK(r.inverse_transform(r.transform(diabetes.X)).cols() == 10);
}

TEST_CASE("rfecv scores every size on the same folds as scikit-learn's RFECV and selects the same features",
          "[feature_selection][model_based][rfecv]") {
  const json& ref = reference()["rfecv"];
  const auto& bc = breast_cancer();
  const mp::matrix Xs = standardized(bc.X);
  const auto check = [](const auto& f, const json& r) {
    CHECK(f.n_features() == r["n_features"].get<mp::index>());
    CHECK(f.ranking() == to_indices(r["ranking"]));
    const mp::vector mean = Eigen::Map<const mp::vector>(f.cv_results().mean_test_score.data(),
                                                         static_cast<mp::index>(f.cv_results().mean_test_score.size()));
    const mp::vector sd = Eigen::Map<const mp::vector>(f.cv_results().std_test_score.data(),
                                                       static_cast<mp::index>(f.cv_results().std_test_score.size()));
    // Equal to 6 digits (the bar); the scores are accuracies and r2 of nearly identical models.
    CHECK(worst_absolute(mean, numbers(r["mean_test_score"])) < 1e-6);
    CHECK(worst_absolute(sd, numbers(r["std_test_score"])) < 1e-6);
  };
  const auto f = mp::rfecv<lr_t>{.estimator = tight_lr, .step = 1, .min_features_to_select = 1,
                                 .cv = mp::stratified_kfold{.n_splits = 5}, .scoring = "accuracy", .n_jobs = 2}
                     .fit(Xs, bc.y);
  check(f, ref["lr_breast_cancer"]);
  CHECK(f.cv_results().n_features.front() == 1);
  CHECK(f.cv_results().n_features.back() == 30);
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto d = mp::rfecv<mp::ridge>{.step = 2, .min_features_to_select = 2, .cv = mp::kfold{.n_splits = 5},
                                      .scoring = "r2"}
                     .fit(diabetes.X, diabetes.y);
  check(d, ref["ridge_diabetes"]);
  CHECK(d.cv_results().n_features == std::vector<mp::index>{2, 4, 6, 8, 10});
}

TEST_CASE("model-based selectors save and load, keep the stage contract and reject bad input precisely",
          "[feature_selection][model_based][errors]") {
  const auto& iris = mp::test::load("iris.csv");
  const mp::logistic_regression lr{};
  expect_conformant(mp::select_from_model<lr_t>{.estimator = lr, .threshold = "median"}, iris.X, iris.y);
  expect_conformant(mp::rfe<lr_t>{.estimator = lr, .n_features_to_select = 2}, iris.X, iris.y);
  expect_conformant(mp::rfecv<lr_t>{.estimator = lr, .cv = mp::stratified_kfold{.n_splits = 3}}, iris.X, iris.y);

  const auto r = mp::rfe<lr_t>{.estimator = lr, .n_features_to_select = 2}.fit(iris.X, iris.y);
  const auto loaded = mp::from_json<mp::rfe<lr_t>::fitted>(mp::to_json(r));
  CHECK(loaded.ranking() == r.ranking());
  CHECK(loaded.transform(iris.X) == r.transform(iris.X));
  CHECK(corrupted(r, [](json& m) { m["state"]["ranking"][0] = 0; }).ends_with(
      "state.ranking[0] = 0 is out of range; expected 1 <= state.ranking[0] <= n_features_in = 4"));
  CHECK(corrupted(r, [](json& m) { m["state"]["support"] = json::array({0, 1}); }).ends_with(
      "state.support is not the features of rank 1 in state.ranking"));
  const auto s = mp::select_from_model<lr_t>{.estimator = lr}.fit(iris.X, iris.y);
  CHECK(mp::from_json<mp::select_from_model<lr_t>::fitted>(mp::to_json(s)).support() == s.support());
  CHECK(corrupted(s, [](json& m) { m["params"]["threshold"] = "2*max"; }).ends_with(
      "threshold = \"2*max\" is not understood; expected \"mean\", \"median\", \"<scale>*mean\", \"<scale>*median\" or "
      "a number"));

  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::rfe<lr_t>{.estimator = lr, .n_features_to_select = 5}.fit(iris.X, iris.y);
        }) == "rfe: n_features_to_select = 5 keeps 5 of the input's 4 features; expected 1 to 4");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::rfe<lr_t>{.estimator = lr, .n_features_to_select = 1.5}.fit(iris.X, iris.y);
        }) == "rfe: n_features_to_select = 1.5 is out of range; expected n_features_to_select >= 1 (a count) or 0 < "
              "n_features_to_select <= 1 (a fraction)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::rfe<lr_t>{.estimator = lr, .step = 0}.fit(iris.X, iris.y); }) ==
        "rfe: step = 0 is out of range; expected step >= 1 (a count) or 0 < step < 1 (a fraction)");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::select_from_model<lr_t>{.estimator = lr, .threshold = "average"}.fit(iris.X, iris.y);
        }) == "select_from_model: threshold = \"average\" is not understood; expected \"mean\", \"median\", "
              "\"<scale>*mean\", \"<scale>*median\" or a number");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::rfecv<lr_t>{.estimator = lr, .min_features_to_select = 9}.fit(iris.X, iris.y);
        }) == "rfecv: min_features_to_select = 9 but the input has 4 features; expected at most 4");
  mp::matrix with_nan = iris.X;
  with_nan(2, 3) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { mp::rfe<lr_t>{.estimator = lr}.fit(with_nan, iris.y); }) ==
        "rfe: X has nan at row 2, column 3; expected finite values (impute missing values first, e.g. with "
        "simple_imputer)");
  STATIC_REQUIRE(mp::importance_estimator<mp::ridge>);
  STATIC_REQUIRE(mp::importance_estimator<contrast_model>);
  STATIC_REQUIRE_FALSE(mp::importance_estimator<mp::standard_scaler>);
}

// ---- sequential selection, names, stability, searches ------------------------------------------------------------

TEST_CASE("sequential_feature_selector selects the sets scikit-learn's SequentialFeatureSelector selects, forward "
          "and backward, by count, fraction or tol, the same for any n_jobs",
          "[feature_selection][sequential]") {
  const json& ref = reference()["sequential"];
  const auto& bc = breast_cancer();
  const mp::matrix Xs = standardized(bc.X);
  using sfs_lr = mp::sequential_feature_selector<lr_t>;
  const auto forward = sfs_lr{.estimator = tight_lr, .n_features_to_select = 5, .direction = mp::direction::forward,
                              .cv = mp::stratified_kfold{.n_splits = 5}, .n_jobs = 2}
                           .fit(Xs, bc.y);
  CHECK(forward.support() == to_indices(ref["lr_breast_cancer_forward_5"]));
  CHECK(forward.order().size() == 5);
  const auto serial = sfs_lr{.estimator = tight_lr, .n_features_to_select = 5,
                             .cv = mp::stratified_kfold{.n_splits = 5}, .n_jobs = 1}
                          .fit(Xs, bc.y);
  CHECK(serial.order() == forward.order());
  CHECK(serial.scores() == forward.scores());
  CHECK(sfs_lr{.estimator = tight_lr, .n_features_to_select = 27, .direction = mp::direction::backward,
               .cv = mp::stratified_kfold{.n_splits = 5}, .n_jobs = 2}
            .fit(Xs, bc.y)
            .support() == to_indices(ref["lr_breast_cancer_backward_27"]));
  const auto& diabetes = mp::test::load("diabetes.csv");
  using sfs_ridge = mp::sequential_feature_selector<mp::ridge>;
  CHECK(sfs_ridge{.n_features_to_select = mp::automatic, .tol = 0.01, .cv = mp::kfold{.n_splits = 5}}
            .fit(diabetes.X, diabetes.y)
            .support() == to_indices(ref["ridge_diabetes_forward_auto_tol"]));
  CHECK(sfs_ridge{.n_features_to_select = mp::automatic, .tol = 0.001, .direction = mp::direction::backward,
                  .cv = mp::kfold{.n_splits = 5}}
            .fit(diabetes.X, diabetes.y)
            .support() == to_indices(ref["ridge_diabetes_backward_auto_tol"]));
  CHECK(sfs_ridge{.n_features_to_select = 0.3, .direction = mp::direction::backward,
                  .scoring = "neg_mean_absolute_error", .cv = mp::kfold{.n_splits = 5}}
            .fit(diabetes.X, diabetes.y)
            .support() == to_indices(ref["ridge_diabetes_backward_fraction"]));

  const auto& iris = mp::test::load("iris.csv");
  expect_conformant(sfs_lr{.estimator = mp::logistic_regression{}, .n_features_to_select = 2,
                           .cv = mp::stratified_kfold{.n_splits = 3}},
                    iris.X, iris.y);
  const auto f = sfs_lr{.n_features_to_select = 2, .cv = mp::stratified_kfold{.n_splits = 3}}.fit(iris.X, iris.y);
  CHECK(mp::from_json<sfs_lr::fitted>(mp::to_json(f)).support() == f.support());
  CHECK(corrupted(f, [](json& m) { m["state"]["order"] = json::array({0, 0}); }).ends_with(
      "state.order[1] = 0 repeats state.order[0]; expected distinct indices"));
  CHECK(error_message<mp::invalid_parameter>([&] { sfs_lr{.n_features_to_select = 4}.fit(iris.X, iris.y); }) ==
        "sequential_feature_selector: n_features_to_select = 4 but the input has 4 features; expected 1 to 3");
  CHECK(error_message<mp::invalid_parameter>([&] {
          sfs_lr{.n_features_to_select = 2, .tol = 0.1}.fit(iris.X, iris.y);
        }) == "sequential_feature_selector: tol = 0.1 is set but n_features_to_select = 2; expected "
              "n_features_to_select = \"auto\" with tol");
  CHECK(error_message<mp::invalid_parameter>([&] {
          sfs_lr{.n_features_to_select = mp::automatic, .tol = -1.0}.fit(iris.X, iris.y);
        }) == "sequential_feature_selector: tol = -1 is out of range; expected tol > 0");
  CHECK(error_message<mp::invalid_parameter>([&] { sfs_lr{.n_features_to_select = 0}.fit(iris.X, iris.y); }) ==
        "sequential_feature_selector: n_features_to_select = 0 is out of range; expected n_features_to_select >= 1 "
        "(a count), 0 < n_features_to_select <= 1 (a fraction) or \"auto\"");
  CHECK(error_message<mp::invalid_parameter>([&] { sfs_lr{.n_jobs = 0}.fit(iris.X, iris.y); }) ==
        "n_jobs = 0 is out of range; expected n_jobs >= 1, or -1 for every core");
}

TEST_CASE("a fitted pipeline names the features that survive its selection step", "[feature_selection][names]") {
  const auto& bc = breast_cancer();
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"select">(mp::select_k_best{.k = 3}) | mp::step<"model">(mp::logistic_regression{});
  const auto fitted = pipe.fit(bc.X, bc.y);
  const auto& kept = fitted.get<"select">().support();
  const std::vector<std::string> names = fitted.feature_names_out(bc.feature_names);
  REQUIRE(names.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(names[i] == bc.feature_names[static_cast<std::size_t>(kept[i])]);
  CHECK(fitted.feature_names_out().front() == "x" + std::to_string(kept.front()));
  CHECK(error_message<mp::invalid_input>([&] { (void)fitted.feature_names_out({"a"}); }) ==
        "pipeline: feature_names_out got 1 input names; expected 30, one per input feature (or none)");
}

TEST_CASE("selection_stability reports per-feature frequencies and the Kuncheva and Jaccard indices across splits",
          "[feature_selection][stability]") {
  const auto& bc = breast_cancer();
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"select">(mp::select_k_best{.k = 5}) | mp::step<"model">(mp::logistic_regression{});
  const mp::stratified_kfold cv{.n_splits = 5};
  const auto stab = mp::selection_stability(pipe, bc.X, bc.y, cv, "select", 2);
  REQUIRE(stab.supports.size() == 5);
  REQUIRE(stab.frequency.size() == 30);
  // Recomputed here by hand from the folds.
  const auto splits = cv.splits(bc.X.rows(), bc.y);
  mp::vector frequency = mp::vector::Zero(30);
  for (std::size_t s = 0; s < 5; ++s) {
    const mp::matrix Xt = bc.X(splits[s].train, Eigen::all);
    const mp::vector yt = bc.y(splits[s].train);
    const auto kept = pipe.fit(Xt, yt).get<"select">().support();
    CHECK(stab.supports[s] == kept);
    for (mp::index j : kept) frequency(j) += 0.2;
  }
  CHECK(worst_absolute(stab.frequency, frequency) < 1e-15);
  double kuncheva = 0.0;
  double jaccard = 0.0;
  for (std::size_t a = 0; a < 5; ++a) {
    for (std::size_t b = a + 1; b < 5; ++b) {
      double r = 0.0;
      for (mp::index j : stab.supports[a])
        r += std::count(stab.supports[b].begin(), stab.supports[b].end(), j) > 0 ? 1.0 : 0.0;
      kuncheva += (r * 30.0 - 25.0) / (5.0 * 25.0) / 10.0;
      jaccard += r / (10.0 - r) / 10.0;
    }
  }
  CHECK(std::abs(stab.kuncheva - kuncheva) < 1e-12);
  CHECK(std::abs(stab.jaccard - jaccard) < 1e-12);
  CHECK(stab.to_csv(bc.feature_names).starts_with("feature,frequency\nmean radius,"));
  CHECK(stab.to_json().starts_with("{\"step\": \"select\", \"n_features_in\": 30, \"kuncheva\": "));
  CHECK(error_message<mp::invalid_parameter>([&] { mp::selection_stability(pipe, bc.X, bc.y, cv, "choose"); }) ==
        "selection_stability: the pipeline has no step 'choose'");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::selection_stability(pipe, bc.X, bc.y, cv, "scale"); }) ==
        "selection_stability: step 'scale' has no support(); expected a feature selection step");
}

TEST_CASE("searches tune selectors: one scoring per split across percentiles, rfe's count in a pipeline",
          "[feature_selection][search]") {
  const auto& bc = breast_cancer();
  const mp::stratified_kfold cv{.n_splits = 3};
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"select">(mp::select_percentile{.percentile = 10}) |
              mp::step<"model">(mp::logistic_regression{});
  const auto search = mp::grid_search{pipe, mp::grid{{"select.percentile", {10.0, 20.0, 50.0}}}, {.cv = cv}}
                          .fit(bc.X, bc.y);
  CHECK(search.results().fits_saved() > 0);
  auto rfe_pipe = mp::step<"scale">(mp::standard_scaler{}) |
                  mp::step<"select">(mp::rfe<lr_t>{.n_features_to_select = 5, .step = 0.2}) |
                  mp::step<"model">(mp::logistic_regression{});
  const auto tuned = mp::grid_search{rfe_pipe, mp::grid{{"select.n_features_to_select", {5, 10}}}, {.cv = cv}}
                         .fit(bc.X, bc.y);
  CHECK(tuned.results().n_candidates() == 2);
  CHECK(rfe_pipe.get_param("select.n_features_to_select") == mp::param_value(std::int64_t{5}));
}

TEST_CASE("exhaustive_feature_selector keeps the first best subset, as mlxtend, and refuses too many subsets",
          "[feature_selection][exhaustive]") {
  const json& ref = reference()["exhaustive"];
  const auto& iris = mp::test::load("iris.csv");
  const mp::matrix Xis = standardized(iris.X);
  using efs_lr = mp::exhaustive_feature_selector<lr_t>;
  const auto f = efs_lr{.estimator = {.C = 0.5, .max_iter = 1000, .tol = 1e-10}, .min_features = 1, .max_features = 4,
                        .cv = mp::stratified_kfold{.n_splits = 3}, .n_jobs = 2}
                     .fit(Xis, iris.y);
  CHECK(f.support() == to_indices(ref["lr_iris_1_4"]["support"]));
  CHECK(std::abs(f.score() - ref["lr_iris_1_4"]["score"].get<double>()) < 1e-12);
  CHECK(f.n_subsets() == 15);
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto d = mp::exhaustive_feature_selector<mp::ridge>{.min_features = 2, .max_features = 3,
                                                             .cv = mp::kfold{.n_splits = 5}}
                     .fit(diabetes.X, diabetes.y);
  CHECK(d.support() == to_indices(ref["ridge_diabetes_2_3"]["support"]));
  CHECK(std::abs(d.score() - ref["ridge_diabetes_2_3"]["score"].get<double>()) < 1e-9);
  CHECK(mp::from_json<efs_lr::fitted>(mp::to_json(f)).support() == f.support());
  const auto& bc = breast_cancer();
  CHECK(error_message<mp::invalid_parameter>([&] {
          efs_lr{.min_features = 1, .max_features = 30}.fit(bc.X, bc.y);
        }) == "exhaustive_feature_selector: min_features = 1 to max_features = 30 of 30 features makes 1073741823 "
              "subsets, more than max_subsets = 100000; expected fewer subsets (narrow the sizes, or raise "
              "max_subsets)");
  CHECK(error_message<mp::invalid_parameter>([&] {
          efs_lr{.min_features = 3, .max_features = 2}.fit(bc.X, bc.y);
        }) == "exhaustive_feature_selector: min_features = 3 and max_features = 2 for an input of 30 features; "
              "expected 1 <= min_features <= max_features <= 30");
  expect_conformant(efs_lr{.max_features = 2, .cv = mp::stratified_kfold{.n_splits = 3}}, iris.X, iris.y);
}

TEST_CASE("a score's settings are saved, loaded and set by path; files that name the function alone still load",
          "[feature_selection][scores][params]") {
  const auto& bc = breast_cancer();
  const mp::matrix X = bc.X.topRows(120).leftCols(6);
  const mp::vector y = bc.y.head(120);
  const std::vector<bool> mask{false, true, false, false, false, false};
  mp::matrix X_discrete = X;
  X_discrete.col(1) = (X.col(1).array() > X.col(1).mean()).cast<double>();
  const auto spec = mp::select_percentile{
      .percentile = 50, .score = mp::mutual_info_classif{.discrete_features = mask, .n_neighbors = 5, .seed = 2}};
  CHECK(std::get<std::string>(mp::get_param(spec, "score")) ==
        "mutual_info_classif(n_neighbors=5, seed=2, discrete_features=[0,1,0,0,0,0])");
  const auto fitted = spec.fit(X_discrete, y);
  const auto loaded = mp::from_json<mp::select_percentile::fitted>(mp::to_json(fitted));
  CHECK(loaded.spec().score == spec.score);
  CHECK(loaded.support() == fitted.support());
  CHECK(loaded.scores() == fitted.scores());
  // Refitting the loaded spec gives the same scores: the settings came back, not the defaults.
  CHECK(loaded.spec().fit(X_discrete, y).scores() == fitted.scores());
  CHECK(mp::select_percentile{.percentile = 50, .score = mp::mutual_info_classif{}}.fit(X_discrete, y).scores() !=
        fitted.scores());

  // A file written before settings were saved names the function alone: it loads with the default settings.
  json old = mp::to_json(fitted);
  old["model"]["params"]["score"] = "mutual_info_classif";
  const auto from_old = mp::from_json<mp::select_percentile::fitted>(old);
  CHECK(from_old.spec().score == static_cast<mp::score_func>(mp::mutual_info_classif{}));
  CHECK(from_old.support() == fitted.support());

  // Set by path, from a grid or a command line.
  mp::select_k_best k;
  mp::set_param(k, "score", "mutual_info_regression( seed = 7 ,n_neighbors=4 )");
  CHECK(k.score == static_cast<mp::score_func>(mp::mutual_info_regression{.n_neighbors = 4, .seed = 7}));
  mp::set_param(k, "score", "mutual_info_classif(discrete_features=true)");
  CHECK(k.score.settings.discrete == mp::discrete_columns(true));
  mp::set_param(k, "score", "f_regression(force_finite=false)");
  CHECK(k.score == mp::f_regression.with({.force_finite = false}));
  CHECK(std::get<std::string>(mp::get_param(k, "score")) == "f_regression(force_finite=false)");
  mp::set_param(k, "score", "chi2");
  CHECK(k.score == mp::chi2);

  // Settings a function does not read, out of range, repeated or malformed are refused, naming what is expected.
  const std::string expected =
      "parameter 'score' of select_k_best expects one of \"f_classif\", \"f_regression\", \"r_regression\", \"chi2\", "
      "\"mutual_info_classif\", \"mutual_info_regression\", with settings in parentheses where the function has some "
      "(mutual information: n_neighbors >= 1, seed from 0 to 4294967295, discrete_features auto, true, false or a "
      "mask such as [0,1,1]; f_regression and r_regression: force_finite true or false), e.g. "
      "\"mutual_info_classif(n_neighbors=5, seed=1)\", got ";
  for (const std::string bad : {"mutual_info_classif(n_neighbors=0)", "mutual_info_classif(seed=4294967296)",
                                "mutual_info_classif(seed=1, seed=2)", "chi2(seed=1)", "f_classif(force_finite=false)",
                                "mutual_info_regression(discrete_features=[0,2])", "mutual_info_classif(n_neighbors)",
                                "mutual_info_classif(n_neighbors=3", "f_regression(force_finite=no)"}) {
    CAPTURE(bad);
    CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(k, "score", bad); }) ==
          expected + "\"" + bad + "\" (a string)");
  }
  CHECK(corrupted(fitted, [](json& m) { m["params"]["score"] = "mutual_info_classif(n_neighbors=-2)"; })
            .ends_with("found \"mutual_info_classif(n_neighbors=-2)\""));
  CHECK(corrupted(fitted, [](json& m) { m["params"]["score"] = "mutual_info_classif(discrete_features=[0,1])"; }) ==
        "<json>: model (select_percentile): params.score has a discrete_features mask of 2 entries but n_features_in "
        "= 6; expected one entry per input feature");
  const auto best = mp::select_k_best{.k = 2, .score = mp::mutual_info_classif{.discrete_features = mask}}
                        .fit(X_discrete, y);
  CHECK(corrupted(best, [](json& m) { m["params"]["score"] = "mutual_info_classif(discrete_features=[1])"; }) ==
        "<json>: model (select_k_best): params.score has a discrete_features mask of 1 entry but n_features_in = 6; "
        "expected one entry per input feature");
}

TEST_CASE("rfecv and the sequential and exhaustive selectors pass groups to a group splitter, as scikit-learn's "
          "RFECV.fit(X, y, groups)",
          "[feature_selection][model_based][rfecv][sequential][exhaustive][groups]") {
  const json& ref = reference()["groups"];
  const auto& bc = breast_cancer();
  const mp::matrix Xs = standardized(bc.X);
  const mp::row_ids groups_bc = to_indices(ref["breast_cancer"]);
  const auto& diabetes = mp::test::load("diabetes.csv");
  const mp::row_ids groups_d = to_indices(ref["diabetes"]);
  const auto check = [](const auto& f, const json& r) {
    CHECK(f.n_features() == r["n_features"].get<mp::index>());
    CHECK(f.ranking() == to_indices(r["ranking"]));
    const auto& results = f.cv_results();
    const mp::vector mean = Eigen::Map<const mp::vector>(results.mean_test_score.data(),
                                                         static_cast<mp::index>(results.mean_test_score.size()));
    const mp::vector sd = Eigen::Map<const mp::vector>(results.std_test_score.data(),
                                                       static_cast<mp::index>(results.std_test_score.size()));
    // Equal to 6 digits, as the ungrouped case: accuracies and r2 of models solved tighter than scikit-learn's.
    CHECK(worst_absolute(mean, numbers(r["mean_test_score"])) < 1e-6);
    CHECK(worst_absolute(sd, numbers(r["std_test_score"])) < 1e-6);
  };
  const auto rfecv_lr = mp::rfecv<lr_t>{.estimator = tight_lr, .step = 1, .min_features_to_select = 1,
                                        .cv = mp::group_kfold{.n_splits = 4}, .scoring = "accuracy", .n_jobs = 2};
  const auto f = rfecv_lr.fit(Xs, bc.y, groups_bc);
  check(f, ref["rfecv"]["lr_breast_cancer"]);
  // The groups decide the folds: with each row its own group the scores differ.
  std::vector<mp::index> rows(bc.y.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<mp::index>(i);
  CHECK(rfecv_lr.fit(Xs, bc.y, rows).cv_results().mean_test_score != f.cv_results().mean_test_score);
  check(mp::rfecv<mp::ridge>{.step = 2, .min_features_to_select = 2, .cv = mp::group_kfold{.n_splits = 5},
                             .scoring = "r2"}
            .fit(diabetes.X, diabetes.y, groups_d),
        ref["rfecv"]["ridge_diabetes"]);

  using sfs_ridge = mp::sequential_feature_selector<mp::ridge>;
  CHECK(sfs_ridge{.n_features_to_select = 4, .cv = mp::group_kfold{.n_splits = 5}}
            .fit(diabetes.X, diabetes.y, groups_d)
            .support() == to_indices(ref["sequential"]["ridge_diabetes_forward_4"]));
  CHECK(mp::sequential_feature_selector<lr_t>{.estimator = tight_lr, .n_features_to_select = 27,
                                              .direction = mp::direction::backward,
                                              .cv = mp::group_kfold{.n_splits = 4}, .n_jobs = 2}
            .fit(Xs, bc.y, groups_bc)
            .support() == to_indices(ref["sequential"]["lr_breast_cancer_backward_27"]));
  const auto e = mp::exhaustive_feature_selector<mp::ridge>{.min_features = 2, .max_features = 3,
                                                             .cv = mp::group_kfold{.n_splits = 5}}
                     .fit(diabetes.X, diabetes.y, groups_d);
  CHECK(e.support() == to_indices(ref["exhaustive"]["ridge_diabetes_2_3"]["support"]));
  CHECK(std::abs(e.score() - ref["exhaustive"]["ridge_diabetes_2_3"]["score"].get<double>()) < 1e-9);

  // A group splitter without groups, or with groups of the wrong length, is refused before any fit.
  CHECK(error_message<mp::invalid_input>([&] { (void)rfecv_lr.fit(Xs, bc.y); }) ==
        "group_kfold: group_kfold needs groups; pass .groups = ... (one group id per row) to cross_validate or the "
        "search, or call splits(n_rows, y, groups) (a selector's cv takes them in fit(X, y, groups))");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)sfs_ridge{.n_features_to_select = 4, .cv = mp::group_kfold{.n_splits = 5}}.fit(diabetes.X, diabetes.y,
                                                                                              groups_bc);
        }) == "group_kfold: groups has 569 values but there are 442 rows; expected one group id per row");
}

}  // namespace test_selectors_tests
