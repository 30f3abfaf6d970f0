#include <catch2/catch.hpp>

#include <algorithm>    // std::find, std::is_sorted, std::all_of
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>      // std::iota
#include <span>
#include <string>
#include <type_traits>  // std::is_convertible_v
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_validation_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::to_vector;
using mp::test::to_indices;
using mp::test::to_matrix;
using mp::test::values;
using json = nlohmann::json;

namespace {

const json& reference() { return mp::test::test_reference("validation"); }

// The rows of 0..n-1 that are not in test (ascending), i.e. the train set that goes with it.
std::vector<mp::index> complement(const std::vector<mp::index>& test, mp::index n) {
  std::vector<mp::index> out;
  for (mp::index r = 0; r < n; ++r)
    if (std::find(test.begin(), test.end(), r) == test.end()) out.push_back(r);
  return out;
}

// For each row, the split that tests it (-1 if none): scikit-learn's "fold ids".
std::vector<mp::index> fold_ids(const std::vector<mp::split>& splits, mp::index n) {
  std::vector<mp::index> out(static_cast<std::size_t>(n), -1);
  for (std::size_t i = 0; i < splits.size(); ++i)
    for (const mp::index r : splits[i].test) out[static_cast<std::size_t>(r)] = static_cast<mp::index>(i);
  return out;
}

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

}  // namespace

// ---- numpy_random_state ------------------------------------------------------------------------------------------

TEST_CASE("numpy_random_state draws numpy's legacy RandomState stream bit for bit", "[validation][random]") {
  for (const auto& c : reference()["numpy_random_state"]) {
    const auto seed = c["seed"].get<std::uint32_t>();
    CAPTURE(seed);
    {
      mp::numpy_random_state rs(seed);
      for (const auto& v : c["raw_first10"]) CHECK(rs.next_uint32() == v.get<std::uint32_t>());
    }
    {
      mp::numpy_random_state rs(seed);
      std::uint32_t last = 0;
      for (int i = 0; i < 1000; ++i) last = rs.next_uint32();
      CHECK(last == c["raw_1000th"].get<std::uint32_t>());
    }
    {
      mp::numpy_random_state rs(seed);
      for (const auto& v : c["uniform_first5"]) CHECK(rs.uniform() == v.get<double>());  // exact: same bits
    }
    for (const auto& interval : c["interval"]) {
      const auto max = interval["max"].get<std::uint64_t>();
      CAPTURE(max);
      mp::numpy_random_state rs(seed);
      for (const auto& v : interval["draws"]) CHECK(rs.random_interval(max) == v.get<std::uint64_t>());
    }
    for (const auto& s : c["shuffle"]) {
      std::vector<mp::index> a(s["n"].get<std::size_t>());
      std::iota(a.begin(), a.end(), mp::index{0});
      mp::numpy_random_state rs(seed);
      rs.shuffle(std::span<mp::index>(a));
      CHECK(a == to_indices(s["result"]));
    }
    {
      mp::numpy_random_state rs(seed);
      std::vector<mp::index> a(5), b(8);
      std::iota(a.begin(), a.end(), mp::index{0});
      std::iota(b.begin(), b.end(), mp::index{0});
      rs.shuffle(std::span<mp::index>(a));
      rs.shuffle(std::span<mp::index>(b));
      CHECK(a == to_indices(c["two_shuffles_5_then_8"][0]));
      CHECK(b == to_indices(c["two_shuffles_5_then_8"][1]));
      CHECK(rs.uniform() == c["then_uniform"].get<double>());
    }
  }
}

TEST_CASE("numpy_random_state shuffles any element type the same way", "[validation][random]") {
  std::vector<double> a{0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
  std::vector<mp::index> order(a.size());
  std::iota(order.begin(), order.end(), mp::index{0});
  mp::numpy_random_state(3).shuffle(std::span<double>(a));
  mp::numpy_random_state(3).shuffle(std::span<mp::index>(order));
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == static_cast<double>(order[i]) + 0.5);
  CHECK(mp::numpy_random_state(3).random_interval(0) == 0);  // and draws nothing:
  mp::numpy_random_state x(3), y(3);
  x.random_interval(0);
  CHECK(x.next_uint32() == y.next_uint32());
}

// ---- splitters ---------------------------------------------------------------------------------------------------

TEST_CASE("kfold, stratified_kfold and predefined_split give scikit-learn's folds exactly",
          "[validation][splitters]") {
  int checked = 0;
  for (const auto& c : reference()["splitters"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    const auto n = c["n_rows"].get<mp::index>();
    const mp::vector y = c["y"].is_null() ? mp::vector() : to_vector(c["y"]);
    const std::string kind = c["splitter"];
    std::vector<mp::split> got;
    mp::index n_splits = 0;
    if (kind == "kfold") {
      const mp::kfold cv{.n_splits = c["n_splits"].get<mp::index>(), .shuffle = c["shuffle"].get<bool>(),
                         .seed = c["seed"].get<std::int64_t>()};
      got = cv.splits(n, y);
      n_splits = cv.get_n_splits();
    } else if (kind == "stratified_kfold") {
      const mp::stratified_kfold cv{.n_splits = c["n_splits"].get<mp::index>(), .shuffle = c["shuffle"].get<bool>(),
                                    .seed = c["seed"].get<std::int64_t>()};
      got = cv.splits(n, y);
      n_splits = cv.get_n_splits();
    } else {
      const mp::predefined_split cv{.test_fold = to_indices(c["test_fold"])};
      got = cv.splits(n, y);
      n_splits = cv.get_n_splits();
    }
    REQUIRE(got.size() == c["test"].size());
    CHECK(n_splits == static_cast<mp::index>(got.size()));
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      const auto expected = to_indices(c["test"][i]);
      CHECK(got[i].test == expected);
      CHECK(got[i].train == complement(expected, n));
    }
    ++checked;
  }
  CHECK(checked == 28);
}

TEST_CASE("stratified_kfold reproduces the breast_cancer folds shipped with the datasets", "[validation][splitters]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& w1 = mp::test::sklearn_reference()["w1_breast_cancer_cv"];
  const mp::index n = d.X.rows();

  const auto shuffled = mp::stratified_kfold{.n_splits = 5, .shuffle = true, .seed = 0}.splits(n, d.y);
  const auto ids = fold_ids(shuffled, n);
  CHECK(ids == to_indices(w1["fold_ids_StratifiedKFold5_shuffle_rs0"]));
  const mp::dataset csv = mp::read_csv(mp::test::data_path("breast_cancer_folds_sklearn_skf5_shuffle_seed0.csv"),
                                       {.target = "fold"});
  REQUIRE(csv.y.size() == n);
  for (mp::index r = 0; r < n; ++r) {
    CHECK(csv.X(r, 0) == static_cast<double>(r));
    CHECK(ids[static_cast<std::size_t>(r)] == static_cast<mp::index>(csv.y(r)));
  }

  const auto plain = mp::stratified_kfold{.n_splits = 5}.splits(n, d.y);
  CHECK(fold_ids(plain, n) == to_indices(w1["fold_ids_StratifiedKFold5_noshuffle"]));

  // KFold(5) without shuffling: contiguous blocks of 114, 114, 114, 114 and 113 rows.
  const auto blocks = mp::kfold{.n_splits = 5}.splits(n, d.y);
  mp::index start = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const mp::index size = i < 4 ? 114 : 113;
    REQUIRE(blocks[i].test.size() == static_cast<std::size_t>(size));
    CHECK(blocks[i].test.front() == start);
    CHECK(blocks[i].test.back() == start + size - 1);
    start += size;
  }
}

TEST_CASE("splitters test every row once and keep class shares when stratified", "[validation][splitters]") {
  const auto& iris = mp::test::load("iris.csv");
  for (const bool shuffle : {false, true}) {
    CAPTURE(shuffle);
    const auto splits = mp::stratified_kfold{.n_splits = 5, .shuffle = shuffle, .seed = 17}.splits(150, iris.y);
    REQUIRE(splits.size() == 5);
    std::vector<int> tested(150, 0);
    for (const auto& s : splits) {
      CHECK(s.test.size() == 30);
      CHECK(s.train.size() == 120);
      CHECK(std::is_sorted(s.test.begin(), s.test.end()));
      CHECK(std::is_sorted(s.train.begin(), s.train.end()));
      int per_class[3] = {0, 0, 0};
      for (const mp::index r : s.test) {
        ++tested[static_cast<std::size_t>(r)];
        ++per_class[static_cast<int>(iris.y(r))];
      }
      CHECK(per_class[0] == 10);  // iris has 50 rows of each class: 10 of each in every fold
      CHECK(per_class[1] == 10);
      CHECK(per_class[2] == 10);
    }
    CHECK(std::all_of(tested.begin(), tested.end(), [](int t) { return t == 1; }));
  }
  // The seed only matters when shuffling, and different seeds give different folds.
  CHECK(mp::kfold{.n_splits = 3, .shuffle = false, .seed = 5}.splits(10) == mp::kfold{.n_splits = 3}.splits(10));
  CHECK(mp::kfold{.n_splits = 3, .shuffle = true, .seed = 5}.splits(10) !=
        mp::kfold{.n_splits = 3, .shuffle = true, .seed = 6}.splits(10));
  CHECK(mp::kfold{.n_splits = 3, .shuffle = true, .seed = 5}.splits(10) ==
        mp::kfold{.n_splits = 3, .shuffle = true, .seed = 5}.splits(10));
}

TEST_CASE("splitters are hyperparameter aggregates", "[validation][splitters]") {
  STATIC_REQUIRE(mp::splitter<mp::kfold>);
  STATIC_REQUIRE(mp::splitter<mp::stratified_kfold>);
  STATIC_REQUIRE(mp::splitter<mp::predefined_split>);
  CHECK(mp::param_names(mp::kfold{}) == std::vector<std::string>{"n_splits", "shuffle", "seed"});
  CHECK(mp::param_names(mp::stratified_kfold{}) == std::vector<std::string>{"n_splits", "shuffle", "seed"});
  CHECK(mp::param_names(mp::predefined_split{}).empty());
  mp::stratified_kfold cv;
  mp::set_param(cv, "n_splits", std::int64_t{3});
  mp::set_param(cv, "shuffle", true);
  mp::set_param(cv, "seed", std::int64_t{42});
  CHECK(cv.n_splits == 3);
  CHECK(cv.shuffle);
  CHECK(cv.seed == 42);
  CHECK(mp::get_param(cv, "seed") == mp::param_value(std::int64_t{42}));
}

TEST_CASE("splitters reject bad settings and bad targets with precise messages", "[validation][splitters]") {
  using mp::invalid_input;
  using mp::invalid_parameter;
  CHECK(error_message<invalid_parameter>([] { mp::kfold{.n_splits = 1}.splits(10); }) ==
        "kfold: n_splits = 1 is out of range; expected n_splits >= 2");
  CHECK(error_message<invalid_parameter>([] { mp::stratified_kfold{.n_splits = 0}.splits(4, values({0, 1, 0, 1})); }) ==
        "stratified_kfold: n_splits = 0 is out of range; expected n_splits >= 2");
  CHECK(error_message<invalid_parameter>([] { mp::kfold{.shuffle = true, .seed = -1}.splits(10); }) ==
        "kfold: seed = -1 is out of range; expected 0 <= seed <= 4294967295");
  CHECK(error_message<invalid_parameter>([] { mp::kfold{.shuffle = true, .seed = 4294967296}.splits(10); }) ==
        "kfold: seed = 4294967296 is out of range; expected 0 <= seed <= 4294967295");
  CHECK(error_message<invalid_parameter>([] { mp::kfold{}.splits(3); }) ==
        "kfold: n_splits = 5 is greater than the number of rows, 3; expected n_splits <= 3");
  CHECK(error_message<invalid_parameter>([] { mp::stratified_kfold{.n_splits = 3}.splits(2, values({0, 1})); }) ==
        "stratified_kfold: n_splits = 3 is greater than the number of rows, 2; expected n_splits <= 2");
  CHECK(error_message<invalid_input>([] { mp::kfold{}.splits(0); }) ==
        "kfold: there are no rows to split; expected at least n_splits = 5 rows");
  CHECK(error_message<invalid_input>([] { mp::kfold{}.splits(-2); }) ==
        "kfold: n_rows = -2 is negative; expected the number of rows to split");
  CHECK(error_message<invalid_input>([] { mp::kfold{.n_splits = 2}.splits(10, mp::vector::Zero(9)); }) ==
        "kfold: y has 9 values but there are 10 rows; expected one target per row (or none)");

  CHECK(error_message<invalid_input>([] { mp::stratified_kfold{.n_splits = 2}.splits(4, values({0, 1, 0})); }) ==
        "stratified_kfold: y has 3 values but there are 4 rows; expected one class label per row");
  CHECK(error_message<invalid_input>([] { mp::stratified_kfold{.n_splits = 2}.splits(4, mp::vector()); }) ==
        "stratified_kfold: y has 0 values but there are 4 rows; expected one class label per row");
  CHECK(error_message<invalid_input>([] {
          mp::stratified_kfold{.n_splits = 2}.splits(4, values({0, 1, nan_value, 1}));
        }) == "stratified_kfold: y has nan at row 2; expected finite class labels");
  CHECK(error_message<invalid_input>([] { mp::stratified_kfold{.n_splits = 2}.splits(4, values({0, 0.5, 1, 1})); }) ==
        "stratified_kfold: y has 0.5 at row 1; expected class labels (whole numbers), as stratification needs a "
        "binary or multiclass target");
  // scikit-learn: "n_splits=4 cannot be greater than the number of members in each class."
  CHECK(error_message<invalid_parameter>([] {
          mp::stratified_kfold{.n_splits = 4}.splits(6, values({0, 1, 0, 1, 0, 1}));
        }) ==
        "stratified_kfold: n_splits = 4 is greater than the number of members in every class (the largest has 3); "
        "expected n_splits <= 3");
  // A class smaller than n_splits is allowed while another class is large enough (scikit-learn only warns).
  CHECK(mp::stratified_kfold{.n_splits = 3}.splits(6, values({0, 0, 0, 0, 1, 1})).size() == 3);

  CHECK(error_message<invalid_parameter>([] { mp::predefined_split{.test_fold = {0, 1, 1}}.splits(4); }) ==
        "predefined_split: test_fold has 3 values but there are 4 rows; expected one fold id per row");
  CHECK(error_message<invalid_parameter>([] { mp::predefined_split{.test_fold = {0, -2, 1}}.splits(3); }) ==
        "predefined_split: test_fold has -2 at row 1; expected a fold id >= 0, or -1 for a row that is never tested");
  CHECK(error_message<invalid_parameter>([] { mp::predefined_split{.test_fold = {0, -2, 1}}.get_n_splits(); }) ==
        "predefined_split: test_fold has -2 at row 1; expected a fold id >= 0, or -1 for a row that is never tested");
  CHECK(error_message<invalid_parameter>([] { mp::predefined_split{.test_fold = {-1, -1}}.splits(2); }) ==
        "predefined_split: test_fold has no fold id other than -1; expected at least one test fold");
  CHECK(error_message<invalid_parameter>([] { mp::predefined_split{.test_fold = {3, 3, 3}}.splits(3); }) ==
        "predefined_split: test_fold puts every row in fold 3, which leaves no rows to train on; expected at least "
        "2 folds, or -1 for the rows to train on");
  CHECK(error_message<invalid_input>([] { mp::predefined_split{.test_fold = {0, 1}}.splits(2, values({1})); }) ==
        "predefined_split: y has 1 value but there are 2 rows; expected one target per row (or none)");
  CHECK(error_message<invalid_input>([] { mp::predefined_split{.test_fold = {0, 1}}.splits(-1); }) ==
        "predefined_split: n_rows = -1 is negative; expected the number of rows to split");
}

TEST_CASE("predefined_split takes its fold ids from any integer vector", "[validation][splitters]") {
  const std::vector<mp::split> expected = mp::predefined_split{.test_fold = {1, 0, -1, 1, 0}}.splits(5);
  REQUIRE(expected.size() == 2);
  CHECK(expected[0].test == std::vector<mp::index>{1, 4});
  const std::vector<int> ints{1, 0, -1, 1, 0};
  const std::vector<long> longs{1, 0, -1, 1, 0};
  const std::vector<unsigned short> shorts{1, 0, 9, 1, 0};  // unsigned: 9 stands for a third fold here
  Eigen::VectorXi eigen_ints(5);
  eigen_ints << 1, 0, -1, 1, 0;
  const Eigen::Matrix<long, 1, Eigen::Dynamic> eigen_row = eigen_ints.transpose().cast<long>();
  CHECK(mp::predefined_split{.test_fold = ints}.splits(5) == expected);
  CHECK(mp::predefined_split{.test_fold = longs}.splits(5) == expected);
  CHECK(mp::predefined_split{.test_fold = eigen_ints}.splits(5) == expected);
  CHECK(mp::predefined_split{.test_fold = eigen_row}.splits(5) == expected);
  CHECK(mp::predefined_split{.test_fold = shorts}.get_n_splits() == 3);
  mp::predefined_split assigned;
  assigned.test_fold = ints;
  CHECK(assigned.test_fold.values() == std::vector<mp::index>{1, 0, -1, 1, 0});
  CHECK(mp::any_splitter(mp::predefined_split{.test_fold = eigen_ints}).splits(5, mp::vector()) == expected);
  CHECK(error_message<mp::invalid_parameter>([] {
          (void)mp::predefined_split{.test_fold = std::vector<unsigned long long>{0, 1, 18446744073709551615ULL}};
        }) == "the id at row 2 is 18446744073709551615; expected an id below 2^63, as a signed 64-bit integer holds");
  STATIC_REQUIRE_FALSE(std::is_convertible_v<std::vector<double>, mp::row_ids>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<std::vector<bool>, mp::row_ids>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Eigen::VectorXd, mp::row_ids>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Eigen::MatrixXi, mp::row_ids>);
}

// ---- metrics -----------------------------------------------------------------------------------------------------

TEST_CASE("metrics match scikit-learn's on ties, multiclass, perfect and worst cases", "[validation][metrics]") {
  int checked = 0;
  for (const auto& c : reference()["metrics"]) {
    const std::string metric = c["metric"];
    const double expected = c["expected"];
    CAPTURE(metric, checked, expected);
    const mp::vector y_true = to_vector(c["y_true"]);
    double got = nan_value;
    // Tolerances: the label metrics and log_loss use scikit-learn's formulas, so only the order of a sum can
    // differ (a few ulps). roc_auc counts concordant pairs exactly where scikit-learn adds trapezoids in floating
    // point (~1e-16 per step over up to 569 steps). The regression sums run over up to 1000 values.
    double tolerance = 1e-14;
    if (metric == "accuracy") {
      got = mp::accuracy(y_true, to_vector(c["y_pred"]));
    } else if (metric == "f1") {
      got = mp::f1(y_true, to_vector(c["y_pred"]), c["pos_label"][0].get<double>());
    } else if (metric == "f1_macro") {
      got = mp::f1_macro(y_true, to_vector(c["y_pred"]));
    } else if (metric == "roc_auc") {
      got = mp::roc_auc(y_true, to_vector(c["scores"]));
      tolerance = 1e-13;
    } else if (metric == "roc_auc_ovr") {
      got = mp::roc_auc_ovr(y_true, to_matrix(c["proba"]), to_vector(c["classes"]));
      tolerance = 1e-13;
    } else if (metric == "log_loss") {
      got = mp::log_loss(y_true, to_matrix(c["proba"]), to_vector(c["classes"]));
    } else if (metric == "r2") {
      got = mp::r2(y_true, to_vector(c["y_pred"]));
      tolerance = 1e-13;
    } else if (metric == "mean_squared_error") {
      got = mp::mean_squared_error(y_true, to_vector(c["y_pred"]));
      tolerance = 1e-13;
    } else if (metric == "mean_absolute_error") {
      got = mp::mean_absolute_error(y_true, to_vector(c["y_pred"]));
      tolerance = 1e-13;
    } else {
      FAIL("unknown metric " << metric);
    }
    CHECK(std::abs(got - expected) <= tolerance * std::max(1.0, std::abs(expected)));
    ++checked;
  }
  CHECK(checked == 64);
}

TEST_CASE("metrics have the documented values at their edges", "[validation][metrics]") {
  const mp::vector y = values({0, 1, 1, 0, 1});
  const mp::vector s = values({0.1, 0.8, 0.4, 0.4, 0.9});
  // Ranking is all roc_auc sees: reversing the scores mirrors it, a monotone map keeps it.
  CHECK(mp::roc_auc(y, -s) == Approx(1.0 - mp::roc_auc(y, s)).margin(1e-15));
  CHECK(mp::roc_auc(y, (s.array() * 3.0 + 7.0).matrix()) == mp::roc_auc(y, s));
  CHECK(mp::roc_auc(y, s) == Approx(5.5 / 6.0).margin(1e-15));  // 5 of 6 pairs ordered, 1 tied
  // With two classes and rows summing to 1, roc_auc_ovr is roc_auc of the positive column.
  mp::matrix p(5, 2);
  p.col(1) = s;
  p.col(0) = 1.0 - s.array();
  CHECK(mp::roc_auc_ovr(y, p, values({0, 1})) == Approx(mp::roc_auc(y, s)).margin(1e-15));
  // log_loss: uniform probabilities cost log(k); certainty costs -log(1 - eps) when right, -log(eps) when wrong.
  const mp::matrix uniform = mp::matrix::Constant(4, 3, 1.0 / 3.0);
  CHECK(mp::log_loss(values({0, 1, 2, 1}), uniform, values({0, 1, 2})) == Approx(std::log(3.0)).epsilon(1e-15));
  const mp::matrix certain = (mp::matrix(2, 2) << 1, 0, 0, 1).finished();
  constexpr double eps = std::numeric_limits<double>::epsilon();
  CHECK(mp::log_loss(values({0, 1}), certain, values({0, 1})) == Approx(-std::log(1.0 - eps)).epsilon(1e-12));
  CHECK(mp::log_loss(values({1, 0}), certain, values({0, 1})) == Approx(-std::log(eps)).epsilon(1e-12));
  // Zero division, as scikit-learn's default: no positive row nor prediction gives F1 = 0, not NaN.
  CHECK(mp::f1(values({0, 0}), values({0, 0})) == 0.0);
  CHECK(mp::f1(values({0, 0}), values({0, 0}), 0.0) == 1.0);
  CHECK(mp::f1_macro(values({0, 0, 1}), values({0, 2, 1})) == Approx((2.0 / 3.0 + 1.0 + 0.0) / 3.0).epsilon(1e-15));
  // r2 of a constant target: 1 when predicted exactly, 0 otherwise (never -inf or NaN).
  CHECK(mp::r2(values({2, 2}), values({2, 2})) == 1.0);
  CHECK(mp::r2(values({2, 2}), values({2, 3})) == 0.0);
  CHECK(mp::mean_absolute_error(values({1, -1}), values({-1, 1})) == 2.0);
  CHECK(mp::mean_squared_error(values({1, -1}), values({-1, 1})) == 4.0);
}

TEST_CASE("metrics reject mismatched, empty and non-finite input with precise messages", "[validation][metrics]") {
  using mp::invalid_input;
  const mp::vector y3 = values({0, 1, 1});
  CHECK(error_message<invalid_input>([&] { mp::accuracy(y3, values({0, 1})); }) ==
        "accuracy: y_pred has 2 values but y_true has 3; expected one per true value");
  CHECK(error_message<invalid_input>([&] { mp::accuracy(y3, values({0})); }) ==
        "accuracy: y_pred has 1 value but y_true has 3; expected one per true value");
  CHECK(error_message<invalid_input>([&] { mp::accuracy(mp::vector(), mp::vector()); }) ==
        "accuracy: y_true is empty; expected at least one value");
  CHECK(error_message<invalid_input>([&] { mp::accuracy(values({0, nan_value, 1}), y3); }) ==
        "accuracy: y_true has nan at row 1; expected finite values");
  CHECK(error_message<invalid_input>([&] { mp::accuracy(y3, values({inf_value, 1, 1})); }) ==
        "accuracy: y_pred has inf at row 0; expected finite values");
  CHECK(error_message<invalid_input>([&] { mp::accuracy(y3, values({0, 1, 0.5})); }) ==
        "accuracy: y_pred has 0.5 at row 2; expected class labels (whole numbers)");
  CHECK(error_message<invalid_input>([&] { mp::f1_macro(values({0, 1, 2.25}), y3); }) ==
        "f1_macro: y_true has 2.25 at row 2; expected class labels (whole numbers)");

  CHECK(error_message<invalid_input>([&] { mp::roc_auc(y3, values({0.1, 0.2})); }) ==
        "roc_auc: scores has 2 values but y_true has 3; expected one per true value");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc(y3, values({0.1, nan_value, 0.3})); }) ==
        "roc_auc: scores has nan at row 1; expected finite values");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc(values({1, 1, 1}), values({0.1, 0.2, 0.3})); }) ==
        "roc_auc: y_true has only one class (1); expected both classes, as ROC AUC is not defined otherwise");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc(values({0, 1, 2}), values({0.1, 0.2, 0.3})); }) ==
        "roc_auc: y_true has 3 classes [0, 1, 2]; expected 2 (use roc_auc_ovr with probabilities for more "
        "classes)");

  const mp::vector classes = values({0, 1, 2});
  const mp::matrix p = (mp::matrix(3, 3) << 0.5, 0.25, 0.25, 0.25, 0.5, 0.25, 0.25, 0.25, 0.5).finished();
  const mp::vector y = values({0, 1, 2});
  CHECK(mp::roc_auc_ovr(y, p, classes) == 1.0);
  CHECK(error_message<invalid_input>([&] { mp::roc_auc_ovr(y, p.leftCols(1), values({0})); }) ==
        "roc_auc_ovr: classes has 1 value; expected at least 2 classes");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc_ovr(y, p, values({0, 2, 1})); }) ==
        "roc_auc_ovr: classes has 1 after 2 at position 2; expected strictly ascending classes, as a classifier's "
        "classes()");
  CHECK(error_message<invalid_input>([&] { mp::log_loss(y, p, values({nan_value, 1, 2})); }) ==
        "log_loss: classes has nan at position 0; expected finite class labels");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc_ovr(y, p.topRows(2), classes); }) ==
        "roc_auc_ovr: proba has 2 rows but y_true has 3 values; expected one row of probabilities per true value");
  CHECK(error_message<invalid_input>([&] { mp::log_loss(y, p.leftCols(2), classes); }) ==
        "log_loss: proba has 2 columns but there are 3 classes; expected one column per class");
  CHECK(error_message<invalid_input>([&] { mp::log_loss(mp::vector(), mp::matrix(0, 3), classes); }) ==
        "log_loss: y_true is empty; expected at least one value");
  mp::matrix bad = p;
  bad(1, 0) = nan_value;
  CHECK(error_message<invalid_input>([&] { mp::log_loss(y, bad, classes); }) ==
        "log_loss: proba has nan at row 1, column 0; expected finite probabilities");
  CHECK(error_message<invalid_input>([&] { mp::log_loss(values({0, 1, 7}), p, classes); }) ==
        "log_loss: y_true has 7 at row 2, which is not one of the classes [0, 1, 2]");
  CHECK(error_message<invalid_input>([&] { mp::roc_auc_ovr(values({0, 1, 1}), p, classes); }) ==
        "roc_auc_ovr: class 2 does not occur in y_true; expected every class, as its one-vs-rest ROC AUC is not "
        "defined otherwise");
  bad = p;
  bad(1, 0) = 0.5;  // the row sums to 1.25
  CHECK(error_message<invalid_input>([&] { mp::roc_auc_ovr(y, bad, classes); }) ==
        "roc_auc_ovr: proba's row 1 sums to 1.25; expected probabilities that sum to 1 over the classes");

  CHECK(error_message<invalid_input>([&] { mp::f1(values({0, 1, 2}), y3); }) ==
        "f1: y_true and y_pred have 3 labels [0, 1, 2]; expected at most 2 (use f1_macro for more classes)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::f1(y3, y3, 3.0); }) ==
        "f1: pos_label = 3 is not one of the labels [0, 1]; expected one of them");
  CHECK(error_message<invalid_input>([&] { mp::r2(values({1}), values({1})); }) ==
        "r2: y_true has 1 value; expected at least 2, as R^2 is not defined for a single value");
  CHECK(error_message<invalid_input>([&] { mp::r2(values({1, 2}), values({1, nan_value})); }) ==
        "r2: y_pred has nan at row 1; expected finite values");
  CHECK(error_message<invalid_input>([&] { mp::mean_squared_error(values({1, 2}), values({1, 2, 3})); }) ==
        "mean_squared_error: y_pred has 3 values but y_true has 2; expected one per true value");
  CHECK(error_message<invalid_input>([&] { mp::mean_absolute_error(values({-inf_value, 2}), values({1, 2})); }) ==
        "mean_absolute_error: y_true has -inf at row 0; expected finite values");
}

// ---- scorers -----------------------------------------------------------------------------------------------------

namespace {

struct call_counts {
  int predict = 0;
  int predict_proba = 0;
  int decision_function = 0;
};

// table_classifier -- a fitted classifier for scorer tests: column 0 of X holds a row id into stored probabilities;
// predict returns the class with the largest one (the first on ties, as numpy's argmax). Counts its calls.
class table_classifier {
 public:
  static constexpr std::string_view kind = "table_classifier";

  table_classifier(mp::matrix proba, mp::vector classes, call_counts* counts)
      : proba_(std::move(proba)), classes_(std::move(classes)), counts_(counts) {}

  mp::index n_features_in() const { return 1; }
  const mp::vector& classes() const { return classes_; }

  mp::matrix predict_proba(const mp::matrix_view& X) const {
    ++counts_->predict_proba;
    mp::matrix out(X.rows(), proba_.cols());
    for (mp::index i = 0; i < X.rows(); ++i) out.row(i) = proba_.row(static_cast<mp::index>(X(i, 0)));
    return out;
  }

  mp::vector predict(const mp::matrix_view& X) const {
    ++counts_->predict;
    mp::vector out(X.rows());
    for (mp::index i = 0; i < X.rows(); ++i) {
      mp::index best = 0;
      proba_.row(static_cast<mp::index>(X(i, 0))).maxCoeff(&best);
      out(i) = classes_(best);
    }
    return out;
  }

  // Binary only: p1 - p0, which orders rows as p1 does.
  mp::vector decision_function(const mp::matrix_view& X) const {
    ++counts_->decision_function;
    mp::vector out(X.rows());
    for (mp::index i = 0; i < X.rows(); ++i) {
      const auto r = static_cast<mp::index>(X(i, 0));
      out(i) = proba_(r, 1) - proba_(r, 0);
    }
    return out;
  }

 private:
  mp::matrix proba_;
  mp::vector classes_;
  call_counts* counts_ = nullptr;
};

mp::matrix row_ids(mp::index n) { return mp::vector::LinSpaced(n, 0.0, static_cast<double>(n - 1)); }

}  // namespace

TEST_CASE("get_scorer knows scikit-learn's scorer names and suggests close ones", "[validation][scorers]") {
  // tests/validation/test_metrics.cpp checks them against scikit-learn's list; user scorers come after these 39.
  REQUIRE(mp::scorer_names().size() >= 39);
  CHECK(mp::scorer_names()[38] == "neg_mean_gamma_deviance");
  for (const auto& name : mp::scorer_names()) CHECK(mp::get_scorer(name).name == name);
  CHECK(mp::get_scorer("roc_auc").input == mp::scorer_input::proba_or_decision);
  CHECK(mp::get_scorer("neg_log_loss").input == mp::scorer_input::predict_proba);
  CHECK(mp::get_scorer("f1").input == mp::scorer_input::predict);
  CHECK(mp::get_scorer("accuracy").greater_is_better);
  CHECK_FALSE(mp::get_scorer("neg_mean_squared_error").greater_is_better);
  CHECK_FALSE(mp::get_scorer("neg_mean_absolute_error").greater_is_better);
  CHECK_FALSE(mp::get_scorer("neg_log_loss").greater_is_better);
  CHECK(error_message<mp::invalid_parameter>([] { mp::get_scorer("acuracy"); })
            .starts_with("unknown scorer 'acuracy'; did you mean 'accuracy'? Valid scorers: accuracy, balanced_accuracy, "
                         "matthews_corrcoef, f1, f1_micro, f1_macro, "));
  CHECK(error_message<mp::invalid_parameter>([] { mp::get_scorer("mse"); })
            .starts_with("unknown scorer 'mse'. Valid scorers: accuracy, "));
}

TEST_CASE("classification scorers match scikit-learn's and predict at most once", "[validation][scorers]") {
  for (const auto& c : reference()["scorers_classification"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    call_counts counts;
    const table_classifier model(to_matrix(c["proba"]), to_vector(c["classes"]), &counts);
    const mp::vector y = to_vector(c["y"]);
    const mp::matrix X = row_ids(y.size());
    std::vector<mp::scorer> scorers;
    std::vector<double> expected;
    for (const auto& [scorer_name, value] : c["scores"].items()) {
      scorers.push_back(mp::get_scorer(scorer_name));
      expected.push_back(value.get<double>());
    }
    const std::vector<double> got = mp::score_all(scorers, model, X, y);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(scorers[i].name);
      // As for the metrics: the same formulas, sums in another order (roc_auc: exact pair counts).
      CHECK(got[i] == Approx(expected[i]).epsilon(1e-13));
    }
    CHECK(counts.predict == 1);
    CHECK(counts.predict_proba == 1);
    // roc_auc reads a binary classifier's decision values, as scikit-learn's threshold scorers call
    // decision_function first; with more classes it reads the probabilities.
    CHECK(counts.decision_function == (model.classes().size() == 2 ? 1 : 0));

    const call_counts before = counts;
    CHECK(mp::score_all({mp::get_scorer("neg_log_loss")}, model, X, y)[0] ==
          -mp::log_loss(y, model.predict_proba(X), model.classes()));
    CHECK(counts.predict == before.predict);  // nothing needed labels
    CHECK(mp::score_all({}, model, X, y).empty());
  }
}

TEST_CASE("a scorer may read decision values instead", "[validation][scorers]") {
  const auto& c = reference()["scorers_classification"][0];  // binary
  call_counts counts;
  const table_classifier model(to_matrix(c["proba"]), to_vector(c["classes"]), &counts);
  const mp::vector y = to_vector(c["y"]);
  const mp::scorer auc_of_decision{
      "auc_of_decision", mp::scorer_input::decision_function, true,
      [](const mp::vector_view& y_true, const mp::matrix_view& d, const mp::vector_view&) {
        return mp::roc_auc(y_true, d.col(0));
      }};
  const auto got = mp::score_all({auc_of_decision, auc_of_decision}, model, row_ids(y.size()), y);
  // p1 - p0 orders the rows exactly as p1, so the AUC is scikit-learn's roc_auc of the probabilities.
  CHECK(got[0] == Approx(c["scores"]["roc_auc"].get<double>()).epsilon(1e-13));
  CHECK(got[1] == got[0]);
  CHECK(counts.decision_function == 1);
  CHECK(counts.predict_proba == 0);
}

namespace {

// decision_only -- table_classifier's labels and decision values without its probabilities.
class decision_only {
 public:
  static constexpr std::string_view kind = "decision_only";
  explicit decision_only(const table_classifier& model) : model_(model) {}
  mp::index n_features_in() const { return 1; }
  const mp::vector& classes() const { return model_.classes(); }
  mp::vector predict(const mp::matrix_view& X) const { return model_.predict(X); }
  mp::vector decision_function(const mp::matrix_view& X) const { return model_.decision_function(X); }

 private:
  const table_classifier& model_;
};

}  // namespace

TEST_CASE("roc_auc reads decision values when a classifier has no predict_proba, for two classes",
          "[validation][scorers]") {
  STATIC_REQUIRE(mp::fitted_classifier<decision_only>);
  STATIC_REQUIRE_FALSE(mp::fitted_probabilistic_classifier<decision_only>);
  const auto& c = reference()["scorers_classification"][0];  // binary
  call_counts counts;
  const table_classifier model(to_matrix(c["proba"]), to_vector(c["classes"]), &counts);
  const mp::vector y = to_vector(c["y"]);
  const decision_only without_proba(model);
  const auto got = mp::score_all({mp::get_scorer("roc_auc"), mp::get_scorer("accuracy")}, without_proba,
                                 row_ids(y.size()), y);
  // p1 - p0 orders the rows exactly as p1, so the AUC is scikit-learn's roc_auc of the probabilities.
  CHECK(got[0] == Approx(c["scores"]["roc_auc"].get<double>()).epsilon(1e-13));
  CHECK(counts.decision_function == 1);
  CHECK(counts.predict_proba == 0);
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::score_all({mp::get_scorer("neg_log_loss")}, without_proba, row_ids(y.size()), y);
        }) == "scorer 'neg_log_loss' needs predict_proba, which decision_only does not have; expected a classifier "
              "with class probabilities");

  for (const auto& multi : reference()["scorers_classification"]) {
    if (multi["classes"].size() < 3) continue;
    const table_classifier three(to_matrix(multi["proba"]), to_vector(multi["classes"]), &counts);
    const decision_only three_without_proba(three);
    const mp::vector y3 = to_vector(multi["y"]);
    CHECK(error_message<mp::invalid_parameter>([&] {
            mp::score_all({mp::get_scorer("roc_auc")}, three_without_proba, row_ids(y3.size()), y3);
          }) == "scorer 'roc_auc' needs predict_proba for " + std::to_string(multi["classes"].size()) +
                    " classes, which decision_only does not have; expected class probabilities, as decision values "
                    "serve two classes only");
    return;
  }
  FAIL("the reference has no multiclass case");
}

TEST_CASE("regression scorers on ridge match scikit-learn's, negated where smaller is better",
          "[validation][scorers]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto& ref = reference()["scorers_ridge_diabetes"]["scores"];
  const auto model = mp::ridge{.alpha = 1.0}.fit(d.X.topRows(300), d.y.head(300));
  const mp::matrix X = d.X.bottomRows(142);
  const mp::vector y = d.y.tail(142);
  const auto got = mp::score_all({mp::get_scorer("r2"), mp::get_scorer("neg_mean_squared_error"),
                                  mp::get_scorer("neg_mean_absolute_error")},
                                 model, X, y);
  // Ridge's coefficients agree with scikit-learn's to ~1e-13 relative (closed forms, different order of
  // operations); the scores inherit that, with room to spare.
  CHECK(got[0] == Approx(ref["r2"].get<double>()).epsilon(1e-12));
  CHECK(got[1] == Approx(ref["neg_mean_squared_error"].get<double>()).epsilon(1e-12));
  CHECK(got[2] == Approx(ref["neg_mean_absolute_error"].get<double>()).epsilon(1e-12));
  CHECK(got[1] < 0);
  CHECK(got[1] == -mp::mean_squared_error(y, model.predict(X)));
}

TEST_CASE("score_all rejects scorers the model cannot serve, with precise messages", "[validation][scorers]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto model = mp::ridge{}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::score_all({mp::get_scorer("r2"), mp::get_scorer("roc_auc")}, model, d.X, d.y);
        }) == "scorer 'roc_auc' needs predict_proba or decision_function, which ridge does not have; expected a "
              "classifier");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::score_all({mp::get_scorer("neg_log_loss")}, model, d.X, d.y); }) ==
        "scorer 'neg_log_loss' needs predict_proba, which ridge does not have; expected a classifier");
  const mp::scorer by_decision{"auc_of_decision", mp::scorer_input::decision_function, true,
                               [](const mp::vector_view&, const mp::matrix_view&, const mp::vector_view&) {
                                 return 0.0;
                               }};
  CHECK(error_message<mp::invalid_parameter>([&] { mp::score_all({by_decision}, model, d.X, d.y); }) ==
        "scorer 'auc_of_decision' needs decision_function, which ridge does not have; expected a model with "
        "decision values");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::score_all({mp::scorer{.name = "nothing"}}, model, d.X, d.y);
        }) == "scorer 'nothing' has no metric; expected a function to call");
  CHECK(error_message<mp::invalid_input>([&] { mp::score_all({mp::get_scorer("r2")}, model, d.X, d.y.head(3)); }) ==
        "y has 3 values but X has 442 rows; expected one target per row");
  const double first = model.predict(d.X.topRows(1))(0);
  CHECK(error_message<mp::invalid_input>([&] { mp::score_all({mp::get_scorer("accuracy")}, model, d.X, d.y); }) ==
        "accuracy: y_pred has " + mp::format_double(first) + " at row 0; expected class labels (whole numbers)");
  CHECK(error_message<mp::invalid_input>([&] {
          mp::get_scorer("accuracy").score(d.y.head(2), mp::matrix::Zero(2, 2), mp::vector());
        }) == "accuracy: the predictions have 2 columns; expected one column of predictions");
}

}  // namespace test_validation_tests
