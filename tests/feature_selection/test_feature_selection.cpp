#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <numbers>      // std::numbers::pi
#include <span>
#include <string>
#include <thread>       // std::jthread
#include <vector>

#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/feature_selection/feature_count.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/univariate.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_feature_selection_tests {

namespace mp = mlpipe;
using mp::test::columns_of;
using mp::test::error_message;
using mp::test::max_relative_error;
using mp::test::max_relative_error_nan;
using mp::test::numbers;
using mp::test::relative_error_nan;
using mp::test::to_indices;
using mp::test::to_matrix;
using mp::test::to_vector;
using json = nlohmann::json;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

const json& reference() { return mp::test::test_reference("feature_selection"); }

// Equal element by element, NaN matching NaN.
bool same(const mp::matrix& a, const mp::matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (mp::index i = 0; i < a.size(); ++i)
    if (!(a.data()[i] == b.data()[i] || (std::isnan(a.data()[i]) && std::isnan(b.data()[i])))) return false;
  return true;
}

// transform_one row by row gives what transform gives, bit for bit (both copy values).
template <class Fitted>
void check_rows_one_by_one(const Fitted& f, const mp::matrix& X) {
  const mp::matrix Xt = f.transform(X);
  std::vector<double> in(static_cast<std::size_t>(X.cols()));
  std::vector<double> out(static_cast<std::size_t>(f.n_features_out()));
  for (mp::index i = 0; i < X.rows(); ++i) {
    for (mp::index j = 0; j < X.cols(); ++j) in[static_cast<std::size_t>(j)] = X(i, j);
    f.transform_one(in, out);
    CHECK(same(Eigen::Map<const mp::matrix>(out.data(), 1, f.n_features_out()), Xt.row(i)));
  }
}

}  // namespace

// ---- special functions --------------------------------------------------------------------------------------------

TEST_CASE("betainc, f_sf and t_sf match 60-digit values to 1e-12, where scipy is off by up to 40%",
          "[feature_selection][special]") {
  const json& ref = reference()["special_functions"];
  // The exact values are mpmath's at 60 digits, rounded to doubles. mlpipe's worst error on these points is 2.5e-13
  // (at p-values near 1e-300 and at a, b of 1e8 to 1e10); scipy's is up to 0.4 (betainc(1e8, 1e10, 0.0099)).
  const auto closer_than_scipy = [](double ours, double exact, double scipy) {
    CAPTURE(ours, exact, scipy);
    CHECK(relative_error_nan(ours, exact) < 1e-12);
    CHECK(relative_error_nan(ours, exact) <= std::max(relative_error_nan(scipy, exact), 1e-12));
  };
  for (const json& p : ref["betainc"]) {
    const double a = p["a"], b = p["b"], x = p["x"];
    CAPTURE(a, b, x);
    closer_than_scipy(mp::special::betainc(a, b, x), p["betainc"], p["scipy_betainc"]);
    CHECK(relative_error_nan(mp::special::betaincc(a, b, x), p["betaincc"]) < 1e-12);
  }
  for (const json& p : ref["f_sf"]) {
    const double F = p["F"], d1 = p["d1"], d2 = p["d2"];
    CAPTURE(F, d1, d2);
    closer_than_scipy(mp::special::f_sf(F, d1, d2), p["sf"], p["scipy_sf"]);
  }
  for (const json& p : ref["t_sf"]) {
    const double t = p["t"], df = p["df"];
    CAPTURE(t, df);
    closer_than_scipy(mp::special::t_sf(t, df), p["sf"], p["scipy_sf"]);
  }
}

TEST_CASE("log_gamma is std::lgamma without its global sign, so p-values can be computed from several threads",
          "[feature_selection][special]") {
  for (const double z : {0.5, 1.0, 1.5, 2.0, 3.25, 7.5, 9.999, 0.001})
    CHECK(mp::special::detail::log_gamma(z) == std::lgamma(z));
  // The same p-values from two threads at once as from one (a race on signgam is what ThreadSanitizer reports).
  std::vector<double> alone;
  for (int i = 1; i <= 200; ++i) alone.push_back(mp::special::f_sf(0.05 * i, 2.5, 7.0));
  std::array<std::vector<double>, 2> parallel;
  {
    std::array<std::jthread, 2> threads;
    for (std::size_t t = 0; t < 2; ++t)
      threads[t] = std::jthread([&parallel, t] {
        for (int i = 1; i <= 200; ++i) parallel[t].push_back(mp::special::f_sf(0.05 * i, 2.5, 7.0));
      });
  }
  CHECK(parallel[0] == alone);
  CHECK(parallel[1] == alone);
}

TEST_CASE("betainc agrees with its closed forms and handles the ends of its domain", "[feature_selection][special]") {
  namespace sp = mp::special;
  // The power terms x^a y^b / B(a, b) are exp of their logarithm: a relative error of about 1e-16 times that
  // logarithm, 7e-14 at 1e-300 (measured: 6e-14).
  for (const double x : {1e-300, 1e-9, 0.1, 0.5, 0.7, 0.999999}) {
    CAPTURE(x);
    CHECK(sp::betainc(1.0, 1.0, x) == Approx(x).epsilon(1e-13));
    CHECK(sp::betainc(3.5, 1.0, x) == Approx(std::pow(x, 3.5)).epsilon(1e-13));
    CHECK(sp::betaincc(1.0, 4.0, x) == Approx(std::pow(1.0 - x, 4.0)).epsilon(1e-13));
    CHECK(sp::betainc(0.5, 0.5, x) == Approx(2.0 / std::numbers::pi * std::asin(std::sqrt(x))).epsilon(1e-13));
    CHECK(sp::betainc(2.5, 7.0, x) + sp::betaincc(2.5, 7.0, x) == Approx(1.0).epsilon(1e-15));
  }
  CHECK(sp::betainc(2.0, 3.0, 0.0) == 0.0);
  CHECK(sp::betainc(2.0, 3.0, 1.0) == 1.0);
  CHECK(sp::betaincc(2.0, 3.0, 0.0) == 1.0);
  CHECK(sp::betaincc(2.0, 3.0, 1.0) == 0.0);
  CHECK(sp::betainc(283.5, 0.5, 0.01) == 0.0);  // 3.4e-569: below the smallest double
  for (const auto& [a, b, x] : std::array<std::array<double, 3>, 8>{{{0.0, 1.0, 0.5},
                                                                     {1.0, -1.0, 0.5},
                                                                     {1.0, 1.0, -0.1},
                                                                     {1.0, 1.0, 1.1},
                                                                     {not_a_number, 1.0, 0.5},
                                                                     {1.0, not_a_number, 0.5},
                                                                     {1.0, 1.0, not_a_number},
                                                                     {inf, 1.0, 0.5}}}) {
    CAPTURE(a, b, x);
    CHECK(std::isnan(sp::betainc(a, b, x)));
  }
  // F: 1 at and below 0, 0 at infinity and (by underflow) at the largest double; NaN for invalid arguments.
  CHECK(sp::f_sf(0.0, 2.0, 10.0) == 1.0);
  CHECK(sp::f_sf(-3.0, 2.0, 10.0) == 1.0);
  CHECK(sp::f_sf(inf, 2.0, 10.0) == 0.0);
  CHECK(sp::f_sf(std::numeric_limits<double>::max(), 1.0, 567.0) == 0.0);
  CHECK(std::isnan(sp::f_sf(not_a_number, 2.0, 10.0)));
  CHECK(std::isnan(sp::f_sf(1.0, 0.0, 10.0)));
  CHECK(std::isnan(sp::f_sf(1.0, 2.0, -1.0)));
  CHECK(std::isnan(sp::f_sf(1.0, inf, 10.0)));
  // t: symmetric about 0.
  CHECK(sp::t_sf(0.0, 3.0) == 0.5);
  CHECK(sp::t_sf(inf, 3.0) == 0.0);
  CHECK(sp::t_sf(-inf, 3.0) == 1.0);
  CHECK(sp::t_sf(1e200, 3.0) == 0.0);
  CHECK(sp::t_sf(-2.0, 5.0) + sp::t_sf(2.0, 5.0) == Approx(1.0).epsilon(1e-15));
  CHECK(sp::t_sf(1.0, 1.0) == Approx(0.25).epsilon(1e-15));  // Cauchy: 1/2 - atan(1) / pi
  CHECK(std::isnan(sp::t_sf(1.0, 0.0)));
  CHECK(std::isnan(sp::t_sf(not_a_number, 3.0)));
}

// ---- univariate scores --------------------------------------------------------------------------------------------

TEST_CASE("f_classif matches scikit-learn on breast_cancer: F to 1e-9, p-values down to 1e-124 to 1e-6",
          "[feature_selection][univariate]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const json& ref = mp::test::sklearn_reference()["f_classif_breast_cancer"];
  const mp::univariate_scores s = mp::f_classif(d.X, d.y);
  // scikit-learn sums squares in one pass and its p-values come from cephes. Measured: F within 4.1e-11, all of it
  // scikit-learn's (feature 9, F = 0.09: its F is 4.1e-11 from the exact rational value, mlpipe's 7e-14); p within
  // 6e-12.
  CHECK(max_relative_error(s.scores, to_vector(ref["all_F"]), 1e-300) < 1e-9);
  CHECK(max_relative_error(s.pvalues, to_vector(ref["all_p"]), 1e-300) < 1e-6);
  CHECK(max_relative_error(s.scores.head(5), to_vector(ref["first5_F"]), 1e-300) < 1e-9);
  CHECK(max_relative_error(s.pvalues.head(5), to_vector(ref["first5_p"]), 1e-300) < 1e-6);
  const auto f = mp::select_k_best{.k = 10}.fit(d.X, d.y);
  CHECK(f.support() == to_indices(ref["top10_idx_by_F (SelectKBest k=10 support)"]));
  CHECK(same(f.scores(), s.scores));
  CHECK(same(f.pvalues(), s.pvalues));
}

TEST_CASE("f_regression matches scikit-learn on diabetes and breast_cancer", "[feature_selection][univariate]") {
  const auto& d = mp::test::load("diabetes.csv");
  const json& ref = mp::test::sklearn_reference()["f_regression_diabetes"];
  const mp::univariate_scores s = mp::f_regression(d.X, d.y);
  CHECK(max_relative_error(s.scores, to_vector(ref["F"]), 1e-300) < 1e-9);
  CHECK(max_relative_error(s.pvalues, to_vector(ref["p"]), 1e-300) < 1e-6);

  const auto& b = mp::test::load("breast_cancer.csv");
  const json& refb = reference()["f_regression_breast_cancer"];
  const mp::univariate_scores sb = mp::f_regression(b.X, b.y);
  CHECK(max_relative_error(sb.scores, numbers(refb["F"]), 1e-300) < 1e-9);
  CHECK(max_relative_error(sb.pvalues, numbers(refb["p"]), 1e-300) < 1e-6);
}

TEST_CASE("f_classif on iris compares three classes as scikit-learn does", "[feature_selection][univariate]") {
  const auto& d = mp::test::load("iris.csv");
  const json& ref = reference()["f_classif_iris"];
  const mp::univariate_scores s = mp::f_classif(d.X, d.y);
  CHECK(max_relative_error(s.scores, numbers(ref["F"]), 1e-300) < 1e-9);
  CHECK(max_relative_error(s.pvalues, numbers(ref["p"]), 1e-300) < 1e-6);
  for (const auto& [k, support] : ref["support_by_k"].items()) {
    CAPTURE(k);
    CHECK(mp::select_k_best{.k = std::stoi(k)}.fit(d.X, d.y).support() == to_indices(support));
  }
}

TEST_CASE("f_classif and f_regression score constant, separating and perfectly correlated features as scikit-learn",
          "[feature_selection][univariate]") {
  SECTION("f_classif: label as feature -> inf, constant -> NaN, equal class means -> 0; unequal classes") {
    const json& ref = reference()["f_classif_small"];
    const mp::univariate_scores s = mp::f_classif(to_matrix(ref["X"]), numbers(ref["y"]));
    CHECK(max_relative_error_nan(s.scores, numbers(ref["F"])) < 1e-12);
    CHECK(max_relative_error_nan(s.pvalues, numbers(ref["p"])) < 1e-12);
    CHECK(std::isinf(s.scores(0)));
    CHECK(std::isnan(s.scores(1)));
    CHECK(std::isnan(s.pvalues(1)));
  }
  SECTION("f_classif: every constant feature is NaN, also where scikit-learn's one-pass sums leave a residue") {
    mp::matrix X(6, 2);
    X.col(0).setConstant(0.1);  // scikit-learn: F = -0.0, p = 1 (its sums of 0.1s do not cancel exactly)
    X.col(1) << 1, 2, 3, 4, 5, 7;
    const mp::vector y = (mp::vector(6) << 0, 0, 0, 1, 1, 1).finished();
    const mp::univariate_scores s = mp::f_classif(X, y);
    CHECK(std::isnan(s.scores(0)));
    CHECK(std::isnan(s.pvalues(0)));
    CHECK(s.scores(1) > 0.0);
  }
  SECTION("f_regression: x = y, -y, 2y + 1 -> the largest double and p = 0; constant -> F = 0, p = 1") {
    const json& ref = reference()["f_regression_small"];
    const mp::univariate_scores s = mp::f_regression(to_matrix(ref["X"]), numbers(ref["y"]));
    CHECK(max_relative_error_nan(s.scores, numbers(ref["F"])) < 1e-12);
    CHECK(max_relative_error_nan(s.pvalues, numbers(ref["p"])) < 1e-12);
    CHECK(s.scores(0) == std::numeric_limits<double>::max());
    CHECK(s.pvalues(0) == 0.0);
    CHECK(s.scores(3) == 0.0);
    CHECK(s.pvalues(3) == 1.0);
  }
  SECTION("f_regression: the target itself as a feature is a perfect correlation") {
    // scikit-learn 1.2 gives F = -3.3e17, p = 1 here: its one-pass norms make r^2 exceed 1 by rounding.
    const auto& d = mp::test::load("diabetes.csv");
    const mp::univariate_scores s = mp::f_regression(d.y, d.y);
    CHECK(s.scores(0) == std::numeric_limits<double>::max());
    CHECK(s.pvalues(0) == 0.0);
    const mp::univariate_scores constant_y = mp::f_regression(d.X, mp::vector::Constant(d.X.rows(), 0.1));
    CHECK(constant_y.scores.isZero(0));
    CHECK(constant_y.pvalues.isOnes(0));
  }
}

// ---- select_k_best ------------------------------------------------------------------------------------------------

TEST_CASE("select_k_best keeps the k highest F-scores, as scikit-learn's SelectKBest", "[feature_selection]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  const json& ref = reference()["select_k_best_breast_cancer"];
  for (const auto& [k, support] : ref["support_by_k"].items()) {
    CAPTURE(k);
    const auto f = mp::select_k_best{.k = std::stoi(k)}.fit(b.X, b.y);
    CHECK(f.support() == to_indices(support));
    CHECK(f.n_features_in() == 30);
    CHECK(f.n_features_out() == std::stoi(k));
  }
  const auto f10 = mp::select_k_best{}.fit(b.X, b.y);  // k = 10, f_classif: scikit-learn's defaults
  CHECK(f10.spec().k == 10);
  CHECK(f10.spec().score == mp::f_classif);
  CHECK(f10.transform(b.X.topRows(3)) == to_matrix(ref["transform_k10_first3_rows"]));
  CHECK(f10.transform(b.X) == b.X(Eigen::all, f10.support()));

  const auto& d = mp::test::load("diabetes.csv");
  for (const auto& [k, support] : reference()["select_k_best_diabetes_f_regression"]["support_by_k"].items()) {
    CAPTURE(k);
    CHECK(mp::select_k_best{.k = std::stoi(k), .score = mp::f_regression}.fit(d.X, d.y).support() == to_indices(support));
  }
}

TEST_CASE("select_k_best breaks ties and ranks NaN scores exactly as scikit-learn", "[feature_selection]") {
  // Repeated columns tie; among ties the later columns are kept. Constant columns score NaN, which ranks lowest.
  const auto& b = mp::test::load("breast_cancer.csv");
  const json& ref = reference()["select_k_best_ties"];
  const mp::matrix X = columns_of(b.X, ref["columns"]);
  for (const auto& [k, support] : ref["support_by_k"].items()) {
    CAPTURE(k);
    const auto f = mp::select_k_best{.k = std::stoi(k)}.fit(X, b.y);
    CHECK(f.support() == to_indices(support));
    CHECK(max_relative_error_nan(f.scores(), numbers(ref["scores"])) < 1e-9);
  }
}

TEST_CASE("identical columns get bit-identical univariate scores wherever they sit in X", "[feature_selection]") {
  // 569 rows: consecutive columns start at different alignments, which once changed the order of vectorized sums.
  const auto& b = mp::test::load("breast_cancer.csv");
  const json& ref = reference()["select_k_best_duplicates"];
  const std::vector<mp::index> columns = to_indices(ref["columns"]);
  const mp::matrix X = b.X(Eigen::all, columns);
  const mp::vector target = b.X.col(ref["f_regression_target_column"].get<mp::index>());
  for (const mp::score_func& score : {mp::f_classif, mp::f_regression}) {
    CAPTURE(score.name);
    const mp::vector& y = score == mp::f_classif ? b.y : target;
    const mp::univariate_scores s = score(X, y);
    const mp::univariate_scores alone = score(b.X, y);
    for (std::size_t j = 0; j < columns.size(); ++j) {
      const auto at = static_cast<mp::index>(j);
      CAPTURE(j);
      CHECK(s.scores(at) == alone.scores(columns[j]));
      CHECK(s.pvalues(at) == alone.pvalues(columns[j]));
    }
  }
}

TEST_CASE("select_k_best keeps the later copies of duplicated columns at the k cut, as scikit-learn",
          "[feature_selection]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  const json& ref = reference()["select_k_best_duplicates"];
  const mp::matrix X = b.X(Eigen::all, to_indices(ref["columns"]));
  for (const auto& [k, support] : ref["f_classif_support_by_k"].items()) {
    CAPTURE(k);
    CHECK(mp::select_k_best{.k = std::stoi(k)}.fit(X, b.y).support() == to_indices(support));
  }
  const mp::vector target = b.X.col(ref["f_regression_target_column"].get<mp::index>());
  for (const auto& [k, support] : ref["f_regression_support_by_k"].items()) {
    CAPTURE(k);
    CHECK(mp::select_k_best{.k = std::stoi(k), .score = mp::f_regression}.fit(X, target).support() ==
          to_indices(support));
  }
}

TEST_CASE("select_k_best{.k = all} keeps every feature, in order", "[feature_selection]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  const auto f = mp::select_k_best{.k = mp::all}.fit(b.X, b.y);
  CHECK(f.n_features_out() == 30);
  CHECK(f.support() == reference()["select_k_best_breast_cancer"]["support_by_k"]["30"].get<std::vector<mp::index>>());
  CHECK(f.transform(b.X) == b.X);
  CHECK(f.scores().size() == 30);  // scored all the same, as scikit-learn does
}

TEST_CASE("select_k_best takes a score function of your own", "[feature_selection]") {
  // |correlation| with the target, without p-values.
  constexpr mp::score_func abs_correlation{"abs_correlation", [](const mp::matrix_view& X, const mp::vector_view& y) {
    mp::univariate_scores out{mp::vector(X.cols()), mp::vector()};
    const mp::vector yc = y.array() - y.mean();
    for (mp::index j = 0; j < X.cols(); ++j) {
      const mp::vector xc = X.col(j).array() - X.col(j).mean();
      out.scores(j) = std::abs(xc.dot(yc)) / (xc.norm() * yc.norm());
    }
    return out;
  }};
  const auto& d = mp::test::load("diabetes.csv");
  const auto f = mp::select_k_best{.k = 3, .score = abs_correlation}.fit(d.X, d.y);
  // |r| ranks features as f_regression's F does.
  CHECK(f.support() == mp::select_k_best{.k = 3, .score = mp::f_regression}.fit(d.X, d.y).support());
  CHECK(f.pvalues().size() == 0);
  CHECK(mp::format_value(mp::get_param(mp::select_k_best{.score = abs_correlation}, "score")) == "\"abs_correlation\"");

  constexpr mp::score_func too_few{"too_few", [](const mp::matrix_view&, const mp::vector_view&) {
    return mp::univariate_scores{mp::vector::Ones(2), mp::vector()};
  }};
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_k_best{.k = 1, .score = too_few}.fit(d.X, d.y); }) ==
        "select_k_best: score too_few returned 2 scores and 0 p-values for 10 features; expected one score per "
        "feature, and one p-value per feature or none");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::select_k_best{.k = 1, .score = {}}.fit(d.X, d.y); }) ==
        "select_k_best: score \"\" has no function; expected f_classif, f_regression or score_func{name, function}");
}

// ---- variance_threshold -------------------------------------------------------------------------------------------

TEST_CASE("variance_threshold matches scikit-learn's VarianceThreshold on breast_cancer", "[feature_selection]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  for (const json& c : reference()["variance_threshold_breast_cancer"]) {
    const double threshold = c["threshold"];
    CAPTURE(threshold);
    const auto f = mp::variance_threshold{.threshold = threshold}.fit(b.X);
    // numpy sums pairwise, mlpipe in two passes with a correction: the same variances to rounding.
    CHECK(max_relative_error(f.variances(), numbers(c["variances_"]), 1e-300) < 1e-12);
    CHECK(f.support() == to_indices(c["support"]));
    CHECK(f.transform(b.X) == b.X(Eigen::all, f.support()));
  }
}

TEST_CASE("variance_threshold gives support_mask, inverse_transform and the names of the features it keeps",
          "[feature_selection][names]") {
  mp::matrix X(4, 3);
  X << 1, 5, 0, 2, 5, 1, 3, 5, 0, 4, 5, 1;
  const auto f = mp::variance_threshold{}.fit(X);
  CHECK(f.support() == std::vector<mp::index>{0, 2});
  CHECK(f.support_mask() == std::vector<bool>{true, false, true});
  CHECK(f.n_features_out() == 2);
  CHECK(f.feature_names_out({"a", "constant", "c"}) == std::vector<std::string>{"a", "c"});
  CHECK(f.feature_names_out() == std::vector<std::string>{"x0", "x2"});
  mp::matrix back = X;
  back.col(1).setZero();
  CHECK(f.inverse_transform(f.transform(X)) == back);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.inverse_transform(X); }) ==
        "variance_threshold: inverse_transform got 3 columns; expected 2, the number of kept features");
}

TEST_CASE("variance_threshold ignores missing values as np.nanvar and passes them through",
          "[feature_selection]") {
  const auto& d = mp::test::load("diabetes.csv");
  const json& ref = reference()["variance_threshold_diabetes_missing"];
  mp::matrix X = d.X;
  for (const json& at : ref["missing"]) X(at[0].get<mp::index>(), at[1].get<mp::index>()) = not_a_number;
  for (const json& c : ref["cases"]) {
    const double threshold = c["threshold"];
    CAPTURE(threshold);
    const auto f = mp::variance_threshold{.threshold = threshold}.fit(X);
    CHECK(max_relative_error(f.variances(), numbers(c["variances_"]), 1e-300) < 1e-12);
    CHECK(f.support() == to_indices(c["support"]));
    CHECK(same(f.transform(X.topRows(5)), to_matrix(c["transform_first5_rows"])));
    check_rows_one_by_one(f, X);
  }
}

TEST_CASE("variance_threshold: constant columns, all-missing columns, ties and scikit-learn's range rule",
          "[feature_selection]") {
  // Columns: constant; constant with a missing value; all missing; [0, 10, 0, 10] (variance 25, range 10: with
  // threshold 0 scikit-learn reports the range); variance exactly 1 (dropped by threshold 1: the test is >); plain.
  const json& ref = reference()["variance_threshold_small"];
  const mp::matrix X = to_matrix(ref["X"]);
  for (const json& c : ref["cases"]) {
    const double threshold = c["threshold"];
    CAPTURE(threshold);
    const auto f = mp::variance_threshold{.threshold = threshold}.fit(X);
    CHECK(max_relative_error_nan(f.variances(), numbers(c["variances_"])) == 0.0);
    CHECK(f.support() == to_indices(c["support"]));
    CHECK(same(f.transform(X), to_matrix(c["transform"])));
    check_rows_one_by_one(f, X);
  }
  SECTION("a constant column is dropped exactly, also where np.var would leave a rounding residue") {
    mp::matrix Y(7, 2);
    Y.col(0).setConstant(0.1);
    Y(3, 0) = not_a_number;
    Y.col(1) << 1, 2, 3, 4, 5, 6, 7;
    const auto f = mp::variance_threshold{}.fit(Y);
    CHECK(f.variances()(0) == 0.0);
    CHECK(f.support() == std::vector<mp::index>{1});
  }
}

TEST_CASE("variance_threshold on huge values: the exact variances of the rescaled data, or an error naming the column",
          "[feature_selection][overflow]") {
  // Scaling by a power of two is exact, so the variances of X 2^510 are those of X times 2^1020, to the bit, though
  // their unscaled sums of squares would overflow (diabetes reaches 0.2: 6.7e152 scaled).
  const auto& d = mp::test::load("diabetes.csv");
  const json& ref = reference()["variance_threshold_diabetes_missing"];
  mp::matrix X = d.X;
  for (const json& at : ref["missing"]) X(at[0].get<mp::index>(), at[1].get<mp::index>()) = not_a_number;
  const double big = std::ldexp(1.0, 510);
  for (const double threshold : {0.0, 0.00227}) {
    CAPTURE(threshold);
    const auto f = mp::variance_threshold{.threshold = threshold}.fit(X);
    const auto g = mp::variance_threshold{.threshold = threshold * big * big}.fit(X * big);
    CHECK(g.variances() == f.variances() * (big * big));
    CHECK(g.support() == f.support());
  }
  const auto& b = mp::test::load("breast_cancer.csv");
  // Worst area reaches 1.4e154 scaled, variance 3.4e306. (Not with threshold 0: its min(variance, max - min) rule
  // is not invariant under scaling.)
  const double b_big = std::ldexp(1.0, 500);
  const auto f = mp::variance_threshold{.threshold = 0.01}.fit(b.X);
  const auto g = mp::variance_threshold{.threshold = 0.01 * b_big * b_big}.fit(b.X * b_big);
  CHECK(g.variances() == f.variances() * (b_big * b_big));
  CHECK(g.support() == f.support());

  // Near the largest double no spread fits: the variance cannot be represented. Not "missing", not inf.
  mp::matrix Y(4, 3);
  Y << 1, 1e307, 2e307,  //
      2, -1e307, 2e307,  //
      3, 5e306, 2e307,   //
      not_a_number, 0, 2e307;
  CHECK(error_message<mp::invalid_input>([&] { mp::variance_threshold{}.fit(Y); }) ==
        "variance_threshold: X column 1 has values too large in magnitude (up to 1e+307): its variance is beyond the "
        "largest double; expected a standard deviation below 1.3e154 (rescale the column first)");
  // A constant column is constant however large.
  const auto c = mp::variance_threshold{}.fit(Y(Eigen::all, std::vector<mp::index>{0, 2}));
  CHECK(c.variances()(1) == 0.0);
  CHECK(c.support() == std::vector<mp::index>{0});
}

// ---- parameters ---------------------------------------------------------------------------------------------------

TEST_CASE("k is a count or all, from a literal, a grid or a file", "[feature_selection][params]") {
  STATIC_REQUIRE(mp::select_k_best{.k = 10}.k == 10);
  STATIC_REQUIRE(mp::select_k_best{.k = mp::all}.k.is_all());
  STATIC_REQUIRE(mp::select_k_best{}.k == mp::feature_count(10));
  STATIC_REQUIRE(mp::feature_count(mp::all).resolve(30) == 30);
  STATIC_REQUIRE(mp::feature_count(std::size_t{5}).resolve(30) == 5);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<bool, mp::feature_count>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<double, mp::feature_count>);

  mp::select_k_best s;
  CHECK(mp::param_names(s) == std::vector<std::string>{"k", "score"});
  // A grid over k mixes counts and "all"; JSON files may hold 5 as 5.0.
  const std::vector<mp::param_value> grid{5, "all", 12.0, 1};
  const std::vector<std::string> saved{"5", "\"all\"", "12", "1"};
  for (std::size_t i = 0; i < grid.size(); ++i) {
    mp::set_param(s, "k", grid[i]);
    CHECK(mp::format_value(mp::get_param(s, "k")) == saved[i]);
  }
  CHECK(s.k == 1);
  mp::set_param(s, "k", "all");
  CHECK(s.k == mp::all);
  CHECK(std::get<std::string>(mp::get_param(s, "k")) == "all");
  mp::set_param(s, "score", "f_regression");
  CHECK(s.score == mp::f_regression);
  CHECK(std::get<std::string>(mp::get_param(s, "score")) == "f_regression");

  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(s, "k", "most"); }) ==
        "parameter 'k' of select_k_best expects an integer or \"all\", got \"most\" (a string)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(s, "k", 2.5); }) ==
        "parameter 'k' of select_k_best expects an integer or \"all\", got 2.5 (a real number)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(s, "k", true); }) ==
        "parameter 'k' of select_k_best expects an integer or \"all\", got true (a boolean)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(s, "score", "anova"); }) ==
        "parameter 'score' of select_k_best expects one of \"f_classif\", \"f_regression\", \"r_regression\", "
        "\"chi2\", \"mutual_info_classif\", \"mutual_info_regression\", with settings in parentheses where the "
        "function has some (mutual information: n_neighbors >= 1, seed from 0 to 4294967295, discrete_features auto, "
        "true, false or a mask such as [0,1,1]; f_regression and r_regression: force_finite true or false), e.g. "
        "\"mutual_info_classif(n_neighbors=5, seed=1)\", got \"anova\" (a string)");
  CHECK(s.k == mp::all);  // a rejected value leaves the parameter as it was

  mp::variance_threshold v;
  mp::set_param(v, "threshold", 2);
  CHECK(v.threshold == 2.0);
  CHECK(mp::param_names(v) == std::vector<std::string>{"threshold"});
}

// ---- errors -------------------------------------------------------------------------------------------------------

TEST_CASE("feature selection errors name the stage, the value and what was expected", "[feature_selection][errors]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  const mp::matrix& X = b.X;
  const mp::vector& y = b.y;
  mp::matrix with_nan = X.topRows(20);
  with_nan(4, 2) = not_a_number;

  SECTION("select_k_best's k") {
    CHECK(mp::select_k_best{.k = 0}.fit(X, y).n_features_out() == 0);  // scikit-learn keeps no feature for k = 0
    CHECK(error_message<mp::invalid_parameter>([&] { mp::select_k_best{.k = -3}.fit(X, y); }) ==
          "select_k_best: k = -3 is out of range; expected k >= 0 or \"all\"");
    CHECK(error_message<mp::invalid_parameter>([&] { mp::select_k_best{.k = 50}.fit(X, y); }) ==
          "select_k_best: k = 50 but the input has 30 features; expected k <= 30 or \"all\"");
    auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 50}) |
                mp::step<"model">(mp::ridge{});
    CHECK(error_message<mp::invalid_parameter>([&] { pipe.fit(X, y); }) ==
          "step 'select' (select_k_best): k = 50 but the input has 30 features; expected k <= 30 or \"all\"");
  }
  SECTION("the data f_classif and f_regression are given") {
    CHECK(error_message<mp::invalid_input>([&] { mp::f_classif(mp::matrix(0, 3), mp::vector(0)); }) ==
          "f_classif: X is empty (0 rows, 3 columns); expected at least one row and one column");
    CHECK(error_message<mp::invalid_input>([&] { mp::f_regression(with_nan, y.head(20)); }) ==
          "f_regression: X has nan at row 4, column 2; expected finite values (impute missing values first, e.g. "
          "with simple_imputer)");
    CHECK(error_message<mp::invalid_input>([&] { mp::f_classif(X, y.head(10)); }) ==
          "f_classif: y has 10 values but X has 569 rows; expected one target per row");
    mp::vector y_inf = y;
    y_inf(7) = -inf;
    CHECK(error_message<mp::invalid_input>([&] { mp::f_regression(X, y_inf); }) ==
          "f_regression: y has -inf at row 7; expected finite targets");
    CHECK(error_message<mp::invalid_input>([&] { mp::f_classif(X, mp::vector::Ones(569)); }) ==
          "f_classif: y has a single class (1); expected at least 2 classes to compare");
  }
  SECTION("the data select_k_best is given") {
    CHECK(error_message<mp::invalid_input>([&] { mp::select_k_best{}.fit(with_nan, y.head(20)); }) ==
          "select_k_best: X has nan at row 4, column 2; expected finite values (impute missing values first, e.g. "
          "with simple_imputer)");
    CHECK(error_message<mp::invalid_input>([&] { mp::select_k_best{}.fit(X, mp::vector()); }) ==
          "select_k_best: y has 0 values but X has 569 rows; expected one target per row");
    CHECK(error_message<mp::invalid_input>([&] { mp::select_k_best{}.fit(X, mp::vector::Zero(569)); }) ==
          "select_k_best: y has a single class (0); expected at least 2 classes to compare (score f_classif)");
    const auto f = mp::select_k_best{.k = 5}.fit(X, y);
    CHECK(error_message<mp::invalid_input>([&] { f.transform(X.leftCols(29)); }) ==
          "select_k_best: X has 29 columns but this step was fitted on 30; expected 30 columns");
    CHECK(error_message<mp::invalid_input>([&] { f.transform(with_nan); }) ==
          "select_k_best: X has nan at row 4, column 2; expected finite values (impute missing values first, e.g. "
          "with simple_imputer)");
    std::vector<double> row(29, 1.0);
    std::vector<double> out(5);
    CHECK(error_message<mp::invalid_input>([&] { f.transform_one(row, out); }) ==
          "select_k_best: the row has 29 values but this step was fitted on 30 features; expected 30 values");
  }
  SECTION("variance_threshold") {
    CHECK(error_message<mp::invalid_parameter>([&] { mp::variance_threshold{.threshold = -0.5}.fit(X); }) ==
          "variance_threshold: threshold = -0.5 is out of range; expected threshold >= 0");
    CHECK(error_message<mp::invalid_parameter>([&] { mp::variance_threshold{.threshold = not_a_number}.fit(X); }) ==
          "variance_threshold: threshold = nan is not a finite number; expected threshold >= 0");
    // The largest variance of breast_cancer is that of column 23 (worst area).
    const std::string largest = mp::format_double(mp::variance_threshold{.threshold = 1.0}.fit(X).variances()(23));
    CHECK(error_message<mp::invalid_input>([&] { mp::variance_threshold{.threshold = 1e6}.fit(X); }) ==
          "variance_threshold: no feature has a variance above threshold = 1e+06: the largest variance is " + largest +
              " (column 23); expected threshold < " + largest);
    CHECK(error_message<mp::invalid_input>([&] { mp::variance_threshold{}.fit(X.topRows(1)); }) ==
          "variance_threshold: no feature has a variance above threshold = 0: the largest variance is 0 (column 0; "
          "X has a single row); expected a feature that is not constant");
    const mp::matrix all_missing = mp::matrix::Constant(4, 2, not_a_number);
    CHECK(error_message<mp::invalid_input>([&] { mp::variance_threshold{}.fit(all_missing); }) ==
          "variance_threshold: no feature has a variance above threshold = 0: every feature is missing (NaN) in "
          "every row; expected observed values");
    mp::matrix with_inf = X.topRows(20);
    with_inf(3, 1) = inf;
    CHECK(error_message<mp::invalid_input>([&] { mp::variance_threshold{}.fit(with_inf); }) ==
          "variance_threshold: X has inf at row 3, column 1; expected finite values, or nan for a missing value");
    const auto f = mp::variance_threshold{}.fit(X);
    CHECK(error_message<mp::invalid_input>([&] { f.transform(with_inf); }) ==
          "variance_threshold: X has inf at row 3, column 1; expected finite values, or nan for a missing value");
    std::vector<double> row(30, 1.0);
    row[6] = -inf;
    std::vector<double> out(30);
    CHECK(error_message<mp::invalid_input>([&] { f.transform_one(row, out); }) ==
          "variance_threshold: the row has -inf at column 6; expected finite values, or nan for a missing value");
    row.pop_back();
    CHECK(error_message<mp::invalid_input>([&] { f.transform_one(row, out); }) ==
          "variance_threshold: the row has 29 values but this step was fitted on 30 features; expected 30 values");
  }
}

// ---- in a pipeline ------------------------------------------------------------------------------------------------

TEST_CASE("transform_one equals transform row by row", "[feature_selection]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  check_rows_one_by_one(mp::select_k_best{.k = 7}.fit(b.X, b.y), b.X);
  check_rows_one_by_one(mp::select_k_best{.k = mp::all}.fit(b.X, b.y), b.X);
  check_rows_one_by_one(mp::variance_threshold{.threshold = 0.01}.fit(b.X), b.X);
}

TEST_CASE("scaler | select_k_best | ridge matches scikit-learn's pipeline and predicts row by row",
          "[feature_selection][pipeline]") {
  const auto& b = mp::test::load("breast_cancer.csv");
  const json& ref = reference()["scaler_select_ridge_breast_cancer"];
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
              mp::step<"model">(mp::ridge{});
  STATIC_REQUIRE(mp::regressor<decltype(pipe)>);
  STATIC_REQUIRE(mp::detail::has_path<decltype(pipe), "select.k">());
  STATIC_REQUIRE(mp::detail::has_path<decltype(pipe), "select.score">());

  const auto check_against = [&](const json& r) {
    const auto f = pipe.fit(b.X, b.y);
    CHECK(f.get<"select">().support() == to_indices(r["support"]));
    CHECK(max_relative_error(f.get<"model">().coef(), numbers(r["coef_"])) < 1e-8);
    CHECK(f.get<"model">().intercept() == Approx(r["intercept_"].get<double>()).epsilon(1e-10));
    CHECK(max_relative_error(f.predict(b.X.topRows(5)), numbers(r["predict_first5"])) < 1e-8);
    const mp::vector batch = f.predict(b.X);
    std::vector<double> row(30);
    for (mp::index i = 0; i < b.X.rows(); ++i) {
      for (mp::index j = 0; j < 30; ++j) row[static_cast<std::size_t>(j)] = b.X(i, j);
      // predict uses a matrix-vector product, predict_one a dot product: the same sum in a different order
      // (predictions near 0 are sums of terms near 1, hence the margin).
      CHECK(f.predict_one(row) == Approx(batch(i)).epsilon(1e-13).margin(1e-13));
    }
    return f;
  };
  SECTION("k = 10") {
    const auto f = check_against(ref["10"]);
    CHECK(f.get<"select">().n_features_out() == 10);
  }
  SECTION("set_param(\"select.k\", \"all\")") {
    pipe.set_param("select.k", "all");
    CHECK(pipe.get<"select.k">() == mp::all);
    const auto f = check_against(ref["all"]);
    CHECK(f.get<"select">().n_features_out() == 30);
  }
  SECTION("a grid of k values, and f_regression by name") {
    pipe.set_param("select.score", "f_regression");
    for (const mp::param_value& k : std::vector<mp::param_value>{5, 10, "all"}) {
      pipe.set_param("select.k", k);
      const auto f = pipe.fit(b.X, b.y);
      const mp::index expected = std::holds_alternative<std::string>(k) ? 30 : std::get<std::int64_t>(k);
      CHECK(f.get<"select">().n_features_out() == expected);
      CHECK(f.get<"model">().coef().size() == expected);
    }
  }
}

TEST_CASE("variance_threshold works as a pipeline step", "[feature_selection][pipeline]") {
  const auto& d = mp::test::load("diabetes.csv");
  mp::matrix X(d.X.rows(), 12);
  X << d.X.leftCols(5), mp::vector::Constant(d.X.rows(), 3.0), d.X.rightCols(5), mp::vector::Zero(d.X.rows());
  auto pipe = mp::step<"drop">(mp::variance_threshold{}) | mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"model">(mp::ridge{});
  const auto f = pipe.fit(X, d.y);
  CHECK(f.get<"drop">().support() == std::vector<mp::index>{0, 1, 2, 3, 4, 6, 7, 8, 9, 10});
  // Dropping the constant columns changes nothing for ridge: the same model as on the original ten columns.
  const auto plain = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  CHECK(max_relative_error(f.predict(X), plain.predict(d.X)) < 1e-12);
  std::vector<double> row(12);
  for (mp::index j = 0; j < 12; ++j) row[static_cast<std::size_t>(j)] = X(0, j);
  CHECK(f.predict_one(row) == Approx(f.predict(X.topRows(1))(0)).epsilon(1e-13));
  // Every diabetes column has variance 1/442; scaled by 10, column 0 alone passes a threshold of 0.01.
  X.col(0) *= 10.0;
  pipe.set_param("drop.threshold", 0.01);
  CHECK(pipe.fit(X, d.y).get<"drop">().support() == std::vector<mp::index>{0});
}

}  // namespace test_feature_selection_tests
