#include <catch2/catch.hpp>

#include <algorithm>    // std::sort, std::find
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "support.hpp"

namespace test_splitters_tests {

namespace mp = mlpipe;
using json = nlohmann::json;
using mp::test::error_message;
using mp::test::to_indices;
using mp::test::values;

const json& reference() { return mp::test::test_reference("splitters"); }

// Sets a splitter's hyperparameters from the reference's "params" by name, through the reflection a search uses.
template <class CV>
CV make_splitter(const json& params) {
  CV cv;
  for (const auto& [name, value] : params.items()) {
    if (value.is_boolean()) mp::set_param(cv, name, value.template get<bool>());
    else if (value.is_number_integer()) mp::set_param(cv, name, value.template get<std::int64_t>());
    else mp::set_param(cv, name, value.template get<double>());
  }
  return cv;
}

using all_splitters =
    std::tuple<mp::kfold, mp::stratified_kfold, mp::repeated_kfold, mp::repeated_stratified_kfold, mp::shuffle_split,
               mp::stratified_shuffle_split, mp::group_kfold, mp::stratified_group_kfold, mp::group_shuffle_split,
               mp::leave_one_out, mp::leave_p_out, mp::leave_one_group_out, mp::leave_p_groups_out,
               mp::time_series_split>;

// The splits of one reference case, by the splitter the case names (directly, and through any_splitter).
template <class CV>
bool run_case(const json& c, std::vector<mp::split>& got, mp::index& n_splits, std::vector<mp::split>& erased) {
  if (c["splitter"].get<std::string>() != CV::kind) return false;
  const CV cv = make_splitter<CV>(c["params"]);
  const auto n = c["n_rows"].get<mp::index>();
  const mp::vector y = c["y"].is_null() ? mp::vector() : mp::test::to_vector(c["y"]);
  const mp::row_ids groups = c["groups"].is_null() ? mp::row_ids() : mp::row_ids(to_indices(c["groups"]));
  got = cv.splits(n, y, groups);
  n_splits = cv.get_n_splits(n, y, groups);
  erased = mp::any_splitter(cv).splits(n, y, groups);
  return true;
}

TEST_CASE("every splitter gives scikit-learn's splits exactly, in scikit-learn's order", "[validation][splitters]") {
  int checked = 0;
  std::vector<std::string> kinds_seen;
  for (const auto& c : reference()["splitters"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    std::vector<mp::split> got;
    std::vector<mp::split> erased;
    mp::index n_splits = -1;
    const bool known = std::apply(
        [&](auto... cv) { return (run_case<decltype(cv)>(c, got, n_splits, erased) || ...); }, all_splitters{});
    REQUIRE(known);
    REQUIRE(got.size() == c["splits"].size());
    CHECK(n_splits == static_cast<mp::index>(got.size()));
    CHECK(erased == got);
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i].train == to_indices(c["splits"][i]["train"]));
      CHECK(got[i].test == to_indices(c["splits"][i]["test"]));
    }
    kinds_seen.push_back(c["splitter"]);
    ++checked;
  }
  CHECK(checked == 47);
  std::sort(kinds_seen.begin(), kinds_seen.end());
  kinds_seen.erase(std::unique(kinds_seen.begin(), kinds_seen.end()), kinds_seen.end());
  CHECK(kinds_seen.size() == std::tuple_size_v<all_splitters>);
}

TEST_CASE("numpy_argsort orders ties as numpy's quicksort does, past its insertion-sort size", "[validation][splitters]") {
  // GroupKFold's order of equal-sized groups is numpy's introsort's; the reference cases with 35 and 60 groups check
  // it against numpy itself, this checks that the result is a sort.
  std::vector<mp::index> v;
  for (int i = 0; i < 200; ++i) v.push_back((i * 37) % 11);
  const auto order = mp::detail::numpy_argsort(v);
  REQUIRE(order.size() == v.size());
  for (std::size_t i = 1; i < order.size(); ++i)
    CHECK(v[static_cast<std::size_t>(order[i - 1])] <= v[static_cast<std::size_t>(order[i])]);
  std::vector<mp::index> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == static_cast<mp::index>(i));
}

TEST_CASE("splitters are hyperparameter aggregates with scikit-learn's parameter names", "[validation][splitters]") {
  STATIC_REQUIRE(mp::splitter<mp::kfold>);
  STATIC_REQUIRE(mp::splitter<mp::predefined_split>);
  STATIC_REQUIRE(std::apply([](auto... cv) { return (mp::splitter<decltype(cv)> && ...); }, all_splitters{}));
  CHECK(mp::param_names(mp::repeated_stratified_kfold{}) == std::vector<std::string>{"n_splits", "n_repeats", "seed"});
  CHECK(mp::param_names(mp::shuffle_split{}) ==
        std::vector<std::string>{"n_splits", "test_size", "train_size", "seed"});
  CHECK(mp::param_names(mp::time_series_split{}) ==
        std::vector<std::string>{"n_splits", "gap", "max_train_size", "test_size"});
  CHECK(mp::param_names(mp::leave_p_groups_out{}) == std::vector<std::string>{"n_groups"});
  // The acceptance program's spelling.
  const auto cv = mp::repeated_stratified_kfold{.n_splits = 5, .n_repeats = 3, .seed = 0};
  CHECK(cv.get_n_splits() == 15);
  const auto ts = mp::time_series_split{.n_splits = 3, .gap = 1, .max_train_size = 4, .test_size = 2};
  CHECK(ts.splits(12).size() == 3);
  CHECK(mp::any_splitter(mp::group_kfold{.n_splits = 4}).kind() == "group_kfold");
  CHECK(mp::any_splitter().kind().empty());
  CHECK(mp::leave_p_out{.p = 2}.get_n_splits(30) == 435);
  CHECK(mp::leave_one_out{}.get_n_splits(7) == 7);
}

TEST_CASE("group ids come from any integer vector, or from doubles that hold whole numbers", "[validation][splitters]") {
  const std::vector<int> ints{4, 4, 1, 1, 9, 9, 2};
  const auto expected = mp::group_kfold{.n_splits = 2}.splits(7, mp::vector(), ints);
  Eigen::VectorXi eigen(7);
  eigen << 4, 4, 1, 1, 9, 9, 2;
  CHECK(mp::group_kfold{.n_splits = 2}.splits(7, mp::vector(), eigen) == expected);
  CHECK(mp::group_kfold{.n_splits = 2}.splits(7, mp::vector(), mp::row_ids::from_values(values({4, 4, 1, 1, 9, 9, 2}))) ==
        expected);
  CHECK(error_message<mp::invalid_input>([] { (void)mp::row_ids::from_values(values({1, 2.5})); }) ==
        "the id at row 1 is 2.5; expected a whole number (an integer id)");
  CHECK(error_message<mp::invalid_input>([] {
          (void)mp::row_ids::from_values(values({std::numeric_limits<double>::quiet_NaN()}));
        }) == "the id at row 0 is nan; expected a whole number (an integer id)");
}

// A splitter as a user might write one, with splits(n_rows, y) only: groups pass it by.
struct halves {
  static constexpr std::string_view kind = "halves";
  std::vector<mp::split> splits(mp::index n, const mp::vector_view&) const {
    mp::split a;
    mp::split b;
    for (mp::index r = 0; r < n; ++r) (r < n / 2 ? a.test : a.train).push_back(r);
    b.test = a.train;
    b.train = a.test;
    return {a, b};
  }
};

TEST_CASE("cross_validate and grid_search pass .groups to the splitter", "[validation][splitters][cv]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::index n = d.X.rows();
  std::vector<int> groups(static_cast<std::size_t>(n));
  for (mp::index r = 0; r < n; ++r) groups[static_cast<std::size_t>(r)] = static_cast<int>((r * 7) % 23);
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 1.0});
  const auto gcv = mp::group_kfold{.n_splits = 4};
  const auto r = mp::cross_validate(pipe, d.X, d.y, gcv, {.scoring = {"r2"}, .groups = groups, .return_estimator = true});
  CHECK(r.splits() == gcv.splits(n, d.y, groups));
  CHECK(r.estimators().size() == 4);
  for (const auto& s : r.splits())  // no group is on both sides
    for (const mp::index t : s.test)
      for (const mp::index u : s.train) CHECK(groups[static_cast<std::size_t>(t)] != groups[static_cast<std::size_t>(u)]);
  CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(pipe, d.X, d.y, gcv, {.scoring = {"r2"}}); }) ==
        "group_kfold: group_kfold needs groups; pass .groups = ... (one group id per row) to cross_validate or the "
        "search, or call splits(n_rows, y, groups)");
  // A splitter without groups ignores them.
  CHECK(mp::cross_validate(pipe, d.X, d.y, halves{}, {.groups = groups}).n_splits() == 2);
  CHECK(mp::any_splitter(halves{}).splits(4, mp::vector(), {0, 0, 1, 1}).size() == 2);
  CHECK(mp::any_splitter(halves{}).kind() == "halves");

  auto search = mp::grid_search{pipe, mp::grid{{"model.alpha", {0.1, 10.0}}},
                                {.cv = mp::leave_one_group_out{}, .groups = groups, .scoring = {"r2"}}};
  const auto fitted = search.fit(d.X, d.y);
  CHECK(fitted.results().n_splits() == 23);
  search.options.groups = {};
  CHECK(error_message<mp::invalid_input>([&] { (void)search.fit(d.X, d.y); }) ==
        "leave_one_group_out: leave_one_group_out needs groups; pass .groups = ... (one group id per row) to "
        "cross_validate or the search, or call splits(n_rows, y, groups)");
}

TEST_CASE("splitters reject bad groups, sizes and counts with precise messages", "[validation][splitters]") {
  using mp::invalid_input;
  using mp::invalid_parameter;
  const mp::vector none;
  const mp::vector y6 = values({0, 1, 0, 1, 0, 1});
  // Groups of the wrong length, and missing.
  CHECK(error_message<invalid_input>([&] { mp::kfold{.n_splits = 2}.splits(4, none, {0, 1, 2}); }) ==
        "kfold: groups has 3 values but there are 4 rows; expected one group id per row (or none)");
  CHECK(error_message<invalid_input>([&] { mp::group_kfold{.n_splits = 2}.splits(4, none, {0, 1, 2}); }) ==
        "group_kfold: groups has 3 values but there are 4 rows; expected one group id per row");
  CHECK(error_message<invalid_input>([&] { mp::group_kfold{.n_splits = 2}.splits(4, none, {}); }) ==
        "group_kfold: group_kfold needs groups; pass .groups = ... (one group id per row) to cross_validate or the "
        "search, or call splits(n_rows, y, groups)");
  CHECK(error_message<invalid_input>([&] { mp::stratified_group_kfold{.n_splits = 2}.splits(6, y6, {}); }) ==
        "stratified_group_kfold: stratified_group_kfold needs groups; pass .groups = ... (one group id per row) to "
        "cross_validate or the search, or call splits(n_rows, y, groups)");
  CHECK(error_message<invalid_input>([&] { mp::group_shuffle_split{}.splits(3, none, {}); }) ==
        "group_shuffle_split: group_shuffle_split needs groups; pass .groups = ... (one group id per row) to "
        "cross_validate or the search, or call splits(n_rows, y, groups)");
  CHECK(error_message<invalid_input>([&] { mp::leave_p_groups_out{}.get_n_splits(3, none, {}); }) ==
        "leave_p_groups_out: leave_p_groups_out needs groups; pass .groups = ... (one group id per row) to "
        "cross_validate or the search, or call splits(n_rows, y, groups)");
  // Fewer groups than folds.
  CHECK(error_message<invalid_parameter>([&] { mp::group_kfold{.n_splits = 3}.splits(6, none, {1, 1, 2, 2, 2, 1}); }) ==
        "group_kfold: n_splits = 3 is greater than the number of groups, 2; expected n_splits <= 2");
  CHECK(error_message<invalid_parameter>([&] {
          mp::stratified_group_kfold{.n_splits = 3}.splits(6, y6, {1, 1, 2, 2, 2, 1});
        }) == "stratified_group_kfold: n_splits = 3 is greater than the number of groups, 2; expected n_splits <= 2 "
              "(scikit-learn would return empty test folds)");
  CHECK(error_message<invalid_parameter>([&] {
          mp::stratified_group_kfold{.n_splits = 4}.splits(6, y6, {1, 2, 3, 4, 5, 6});
        }) == "stratified_group_kfold: n_splits = 4 is greater than the number of members in every class (the "
              "largest has 3); expected n_splits <= 3");
  CHECK(error_message<invalid_input>([&] { mp::leave_one_group_out{}.splits(3, none, {5, 5, 5}); }) ==
        "leave_one_group_out: groups has only 1 distinct id (5); expected at least 2 groups, as leaving one out must "
        "leave a group to train on");
  CHECK(error_message<invalid_parameter>([&] { mp::leave_p_groups_out{.n_groups = 2}.splits(3, none, {5, 6, 5}); }) ==
        "leave_p_groups_out: n_groups = 2 is not less than the number of groups, 2; expected n_groups <= 1, so that "
        "some group is left to train on");
  CHECK(error_message<invalid_input>([&] { mp::group_shuffle_split{}.splits(3, none, {5, 5, 5}); }) ==
        "group_shuffle_split: groups has only 1 distinct id (5); expected at least 2 groups, one to train on and one "
        "to test");
  // leave_p_out: p too large, too many splits.
  CHECK(error_message<invalid_parameter>([] { mp::leave_p_out{.p = 4}.splits(4); }) ==
        "leave_p_out: p = 4 is not less than the number of rows, 4; expected p <= 3");
  CHECK(error_message<invalid_parameter>([] { mp::leave_p_out{.p = 0}.splits(4); }) ==
        "leave_p_out: p = 0 is out of range; expected p >= 1");
  CHECK(error_message<invalid_parameter>([] { mp::leave_p_out{.p = 3}.splits(500); }) ==
        "leave_p_out: p = 3 with 500 rows makes more than 1000000 splits; expected a smaller p or fewer rows, as "
        "every split is built at once (use shuffle_split to sample test sets instead)");
  CHECK(error_message<invalid_input>([] { mp::leave_one_out{}.splits(1); }) ==
        "leave_one_out: there is 1 row; expected at least 2, as leaving one out must leave rows to train on");
  CHECK(error_message<invalid_input>([] { mp::leave_one_out{}.splits(0); }) ==
        "leave_one_out: there are no rows to split; expected at least 2 rows");
  // test_size / train_size out of range or summing past 1.
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.test_size = 1.5}.splits(10); }) ==
        "shuffle_split: test_size = 1.5 is neither a fraction in (0, 1) nor a whole number of rows less than the 10 "
        "rows; expected 0 < test_size < 1 or 1 <= test_size <= 9");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.train_size = 10}.splits(10); }) ==
        "shuffle_split: train_size = 10 is neither a fraction in (0, 1) nor a whole number of rows less than the 10 "
        "rows; expected 0 < train_size < 1 or 1 <= train_size <= 9");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.test_size = -0.1}.splits(10); }) ==
        "shuffle_split: test_size = -0.1 is out of range; expected test_size >= 0");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.test_size = 0.5, .train_size = 0.6}.splits(10); }) ==
        "shuffle_split: test_size + train_size = 1.1 is more than 1; expected fractions that sum to at most 1");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.test_size = 4, .train_size = 7}.splits(10); }) ==
        "shuffle_split: train_size and test_size make 7 + 4 = 11 rows but there are 10; expected at most 10 together");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.train_size = 0.05}.splits(10); }) ==
        "shuffle_split: with 10 rows, test_size = 0 and train_size = 0.05 leave no rows to train on; expected a "
        "larger train_size or a smaller test_size");
  CHECK(error_message<invalid_parameter>([] {
          mp::group_shuffle_split{.test_size = 3}.splits(4, mp::vector(), {0, 1, 2, 2});
        }) == "group_shuffle_split: test_size = 3 is neither a fraction in (0, 1) nor a whole number of groups less "
              "than the 3 groups; expected 0 < test_size < 1 or 1 <= test_size <= 2");
  CHECK(error_message<invalid_parameter>([] { mp::shuffle_split{.n_splits = 0}.splits(10); }) ==
        "shuffle_split: n_splits = 0 is out of range; expected n_splits >= 1");
  // Stratified shuffles: a class with one row; fewer train or test rows than classes.
  CHECK(error_message<invalid_input>([] { mp::stratified_shuffle_split{}.splits(6, values({3, 3, 7, 3, 7, 12})); }) ==
        "stratified_shuffle_split: class 12 has only 1 row; expected at least 2 rows per class, one to train on and "
        "one to test");
  CHECK(error_message<invalid_parameter>([] {
          mp::stratified_shuffle_split{.test_size = 2}.splits(9, values({0, 0, 0, 1, 1, 1, 2, 2, 2}));
        }) == "stratified_shuffle_split: test_size gives 2 test rows but there are 3 classes; expected at least one "
              "test row per class");
  CHECK(error_message<invalid_parameter>([] {
          mp::stratified_shuffle_split{.train_size = 2}.splits(9, values({0, 0, 0, 1, 1, 1, 2, 2, 2}));
        }) == "stratified_shuffle_split: train_size gives 2 training rows but there are 3 classes; expected at least "
              "one training row per class");
  CHECK(error_message<invalid_input>([] { mp::repeated_stratified_kfold{.n_splits = 2}.splits(4, values({0, 0.5, 1, 1})); }) ==
        "repeated_stratified_kfold: y has 0.5 at row 1; expected class labels (whole numbers), as stratification needs "
        "a binary or multiclass target");
  CHECK(error_message<invalid_parameter>([] { mp::repeated_kfold{.n_repeats = 0}.splits(10); }) ==
        "repeated_kfold: n_repeats = 0 is out of range; expected n_repeats >= 1");
  CHECK(error_message<invalid_parameter>([] { mp::repeated_kfold{.n_splits = 11}.splits(10); }) ==
        "repeated_kfold: n_splits = 11 is greater than the number of rows, 10; expected n_splits <= 10");
  // time_series_split: too many splits for the rows.
  CHECK(error_message<invalid_parameter>([] { mp::time_series_split{.n_splits = 5}.splits(5); }) ==
        "time_series_split: n_splits = 5 needs n_splits + 1 = 6 rows at least, but there are 5; expected n_splits <= 4");
  CHECK(error_message<invalid_parameter>([] { mp::time_series_split{.n_splits = 3, .gap = 4}.splits(10); }) ==
        "time_series_split: n_splits = 3 test sets of 2 rows after a gap of 4 leave no rows to train on, as there are "
        "10; expected n_splits * test_size + gap < 10");
  CHECK(error_message<invalid_parameter>([] { mp::time_series_split{.gap = -1}.splits(10); }) ==
        "time_series_split: gap = -1 is out of range; expected gap >= 0");
}

}  // namespace test_splitters_tests
