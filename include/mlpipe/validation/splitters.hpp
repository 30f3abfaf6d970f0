#pragma once

#include <algorithm>    // std::sort, std::unique, std::lower_bound, std::max, std::count_if
#include <cmath>        // std::isfinite, std::trunc, std::floor, std::ceil, std::sqrt, std::abs
#include <concepts>     // std::same_as, std::convertible_to
#include <cstddef>
#include <cstdint>      // std::int64_t, std::uint32_t
#include <initializer_list>
#include <iterator>     // std::begin, std::end
#include <limits>
#include <map>
#include <numeric>      // std::iota
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>  // std::remove_cvref_t, std::is_unsigned_v
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/types.hpp"

// Cross-validation splitters: seeded, deterministic, and split for split the same as scikit-learn 1.2's (KFold,
// StratifiedKFold, PredefinedSplit, RepeatedKFold, RepeatedStratifiedKFold, ShuffleSplit, StratifiedShuffleSplit,
// GroupKFold, StratifiedGroupKFold, GroupShuffleSplit, LeaveOneOut, LeavePOut, LeaveOneGroupOut, LeavePGroupsOut,
// TimeSeriesSplit), random ones included through numpy_random_state. Every splitter has
// splits(n_rows, y, groups); y and groups may be empty where the splitter does not read them.

namespace mlpipe {

// split -- one cross-validation split: the rows to fit on and the rows to score on, each in ascending order except
// for shuffle_split and stratified_shuffle_split, which keep scikit-learn's random order.
struct split {
  std::vector<index> train;  // rows to fit on
  std::vector<index> test;   // rows to score on

  friend bool operator==(const split&, const split&) = default;
};

// row_ids -- one whole-number id per row (a fold id, a group id), taken from whatever integer vector the user has:
// std::vector<int>, std::vector<long>, Eigen::VectorXi, a braced list {0, 1, 1}, ...
class row_ids {
 public:
  row_ids() = default;
  row_ids(std::initializer_list<index> ids) : ids_(ids) {}  // NOLINT(google-explicit-constructor): {0, 1, 1}

  // From any container of integers (not bool) with begin() and end().
  template <class Ints>
    requires(!std::derived_from<Ints, Eigen::EigenBase<Ints>> && requires(const Ints& v) {
      std::end(v);
      requires std::integral<std::remove_cvref_t<decltype(*std::begin(v))>>;
      requires !std::same_as<std::remove_cvref_t<decltype(*std::begin(v))>, bool>;
    })
  row_ids(const Ints& ids) {  // NOLINT(google-explicit-constructor): `.test_fold = ids` converts
    for (const auto id : ids) push_back(id);
  }

  // From an Eigen vector of integers (Eigen::VectorXi, Eigen::Matrix<long, Eigen::Dynamic, 1>, a row vector, ...).
  template <class Derived>
    requires(bool(Derived::IsVectorAtCompileTime) && std::integral<typename Derived::Scalar> &&
             !std::same_as<typename Derived::Scalar, bool>)
  row_ids(const Eigen::DenseBase<Derived>& ids) {  // NOLINT(google-explicit-constructor)
    ids_.reserve(static_cast<std::size_t>(ids.size()));
    for (index i = 0; i < ids.size(); ++i) push_back(ids(i));
  }

  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  index operator[](std::size_t row) const { return ids_[row]; }
  auto begin() const { return ids_.begin(); }
  auto end() const { return ids_.end(); }
  // The ids as mlpipe's index type.
  const std::vector<index>& values() const { return ids_; }

  // From doubles that hold whole numbers, e.g. a group column read with read_csv: row_ids::from_values(d.X.col(0)).
  static row_ids from_values(const vector_view& values) {
    row_ids out;
    out.ids_.reserve(static_cast<std::size_t>(values.size()));
    for (index r = 0; r < values.size(); ++r) {
      const double v = values(r);
      if (!(std::trunc(v) == v && std::abs(v) < 9.2e18))
        throw invalid_input("the id at row " + std::to_string(r) + " is " + format_double(v) +
                            "; expected a whole number (an integer id)");
      out.ids_.push_back(static_cast<index>(v));
    }
    return out;
  }

  friend bool operator==(const row_ids&, const row_ids&) = default;

 private:
  template <class Int>
  void push_back(Int id) {
    static_assert(sizeof(Int) <= sizeof(long long), "mlpipe: row ids wider than 64 bits are not supported");
    if constexpr (std::is_unsigned_v<Int> && sizeof(Int) >= sizeof(index)) {
      if (id > static_cast<Int>(std::numeric_limits<index>::max()))
        throw invalid_parameter("the id at row " + std::to_string(ids_.size()) + " is " +
                                std::to_string(static_cast<unsigned long long>(id)) +
                                "; expected an id below 2^63, as a signed 64-bit integer holds");
    }
    ids_.push_back(static_cast<index>(id));
  }

  std::vector<index> ids_;
};

// splitter -- a hyperparameter aggregate that cuts n_rows rows (with their targets y and, for the group splitters,
// their group ids) into splits.
template <class C>
concept splitter = requires(const C& cv, index n_rows, const vector_view& y, const row_ids& groups) {
  { C::kind } -> std::convertible_to<std::string_view>;
  { cv.splits(n_rows, y, groups) } -> std::same_as<std::vector<split>>;
  { cv.get_n_splits(n_rows, y, groups) } -> std::convertible_to<index>;
};

// split_rows(cv, n_rows, y, groups) -- cv's splits, passing the groups to a splitter that takes them and leaving
// them out for one that only has splits(n_rows, y) (your own, say), which ignores them as scikit-learn's do.
template <class CV>
std::vector<split> split_rows(const CV& cv, index n_rows, const vector_view& y, const row_ids& groups) {
  if constexpr (requires { cv.splits(n_rows, y, groups); }) {
    return cv.splits(n_rows, y, groups);
  } else {
    return cv.splits(n_rows, y);
  }
}

// kfold -- consecutive folds of (optionally shuffled) rows, as scikit-learn's KFold: the first n_rows % n_splits
// folds have one row more than the others. y and groups are ignored (they may be empty).
struct kfold {
  static constexpr std::string_view kind = "kfold";

  index n_splits = 5;     // number of folds; 2 <= n_splits <= the number of rows
  bool shuffle = false;   // shuffle the rows before cutting them into folds (each fold's rows stay ascending)
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state) when shuffle; 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&kfold::n_splits, at_least(2)),
                                            param<"shuffle">(&kfold::shuffle),
                                            param<"seed">(&kfold::seed, between(0, 4294967295.0))};

  // The n_splits splits of rows 0 .. n_rows - 1, in scikit-learn's order.
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // The number of splits that splits() returns (scikit-learn's get_n_splits).
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// stratified_kfold -- folds that keep each class's share of the rows, as scikit-learn's StratifiedKFold: classes
// are numbered by first appearance in y, each class's rows are dealt to the folds in blocks (shuffled per class
// when shuffle), and fold sizes differ by at most one row. groups are ignored.
struct stratified_kfold {
  static constexpr std::string_view kind = "stratified_kfold";

  index n_splits = 5;     // number of folds; 2 <= n_splits <= the number of rows and the size of the largest class
  bool shuffle = false;   // shuffle each class's fold assignment (each fold's rows stay ascending)
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state) when shuffle; 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&stratified_kfold::n_splits, at_least(2)),
                                            param<"shuffle">(&stratified_kfold::shuffle),
                                            param<"seed">(&stratified_kfold::seed, between(0, 4294967295.0))};

  // The n_splits splits of rows 0 .. n_rows - 1, in scikit-learn's order; y holds one class label (a whole number)
  // per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups = {}) const;
  // The number of splits that splits() returns (scikit-learn's get_n_splits).
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// predefined_split -- the folds a user already has, as scikit-learn's PredefinedSplit: split i tests the rows
// whose fold id is the i-th smallest id and trains on all other rows; rows with id -1 are never tested. One fold
// plus some -1 rows is a train/validation holdout. y and groups are ignored (they may be empty).
struct predefined_split {
  static constexpr std::string_view kind = "predefined_split";

  row_ids test_fold;  // the test fold of each row: an id >= 0, or -1 for a row that is only trained on (any integer vector)

  // test_fold is data (one id per row), not a hyperparameter to tune, so it is not listed.
  static constexpr auto params = std::tuple{};

  // One split per distinct fold id, in ascending id order; n_rows must be test_fold's length.
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // The number of distinct fold ids other than -1.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const;
};

// repeated_kfold -- kfold with shuffling, n_repeats times, as scikit-learn's RepeatedKFold: one random stream from
// seed runs through all repeats, so repeat r differs from repeat r + 1. n_splits * n_repeats splits, repeat by
// repeat. y and groups are ignored.
struct repeated_kfold {
  static constexpr std::string_view kind = "repeated_kfold";

  index n_splits = 5;     // folds per repeat; 2 <= n_splits <= the number of rows
  index n_repeats = 10;   // how many times the rows are reshuffled and cut again; >= 1
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&repeated_kfold::n_splits, at_least(2)),
                                            param<"n_repeats">(&repeated_kfold::n_repeats, at_least(1)),
                                            param<"seed">(&repeated_kfold::seed, between(0, 4294967295.0))};

  // n_splits * n_repeats splits: the folds of repeat 0, then of repeat 1, ...
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // n_splits * n_repeats.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const {
    return n_splits * n_repeats;
  }
};

// repeated_stratified_kfold -- stratified_kfold with shuffling, n_repeats times, as scikit-learn's
// RepeatedStratifiedKFold (one random stream from seed through all repeats). groups are ignored.
struct repeated_stratified_kfold {
  static constexpr std::string_view kind = "repeated_stratified_kfold";

  index n_splits = 5;     // folds per repeat; 2 <= n_splits <= the number of rows and the size of the largest class
  index n_repeats = 10;   // how many times the class assignments are reshuffled; >= 1
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32

  static constexpr auto params =
      std::tuple{param<"n_splits">(&repeated_stratified_kfold::n_splits, at_least(2)),
                 param<"n_repeats">(&repeated_stratified_kfold::n_repeats, at_least(1)),
                 param<"seed">(&repeated_stratified_kfold::seed, between(0, 4294967295.0))};

  // n_splits * n_repeats splits, repeat by repeat; y holds one class label per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups = {}) const;
  // n_splits * n_repeats.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const {
    return n_splits * n_repeats;
  }
};

// shuffle_split -- n_splits independent random train/test splits, as scikit-learn's ShuffleSplit: each split is a
// fresh permutation of the rows, its first n_test rows tested and the next n_train trained on (in that random
// order). Rows may be in neither set when train_size + test_size < 1. y and groups are ignored.
struct shuffle_split {
  static constexpr std::string_view kind = "shuffle_split";

  index n_splits = 10;      // number of random splits; >= 1
  double test_size = 0.0;   // a fraction in (0, 1) of the rows, or a whole number of rows; 0: the rest after
                            // train_size, or 0.1 when train_size is 0 too
  double train_size = 0.0;  // a fraction in (0, 1) of the rows, or a whole number of rows; 0: the rest after test_size
  std::int64_t seed = 0;    // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&shuffle_split::n_splits, at_least(1)),
                                            param<"test_size">(&shuffle_split::test_size, at_least(0)),
                                            param<"train_size">(&shuffle_split::train_size, at_least(0)),
                                            param<"seed">(&shuffle_split::seed, between(0, 4294967295.0))};

  // n_splits random splits, in scikit-learn's order (rows in random order within each set).
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// stratified_shuffle_split -- random train/test splits that keep each class's share, as scikit-learn's
// StratifiedShuffleSplit: per split, the train and test counts per class are the approximate mode of the
// multivariate hypergeometric (ties broken at random), each class's rows are permuted, and both sets are permuted
// once more. Every class needs at least 2 rows. groups are ignored.
struct stratified_shuffle_split {
  static constexpr std::string_view kind = "stratified_shuffle_split";

  index n_splits = 10;      // number of random splits; >= 1
  double test_size = 0.0;   // a fraction in (0, 1) of the rows, or a whole number of rows (at least one per class);
                            // 0: the rest after train_size, or 0.1 when train_size is 0 too
  double train_size = 0.0;  // a fraction in (0, 1) of the rows, or a whole number of rows (at least one per class);
                            // 0: the rest after test_size
  std::int64_t seed = 0;    // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32

  static constexpr auto params =
      std::tuple{param<"n_splits">(&stratified_shuffle_split::n_splits, at_least(1)),
                 param<"test_size">(&stratified_shuffle_split::test_size, at_least(0)),
                 param<"train_size">(&stratified_shuffle_split::train_size, at_least(0)),
                 param<"seed">(&stratified_shuffle_split::seed, between(0, 4294967295.0))};

  // n_splits random stratified splits; y holds one class label per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups = {}) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// group_kfold -- folds that never split a group, as scikit-learn's GroupKFold: groups go, largest first, to the
// fold with the fewest rows so far. Needs groups (one id per row) and at least n_splits distinct groups; y is
// ignored. Not random.
struct group_kfold {
  static constexpr std::string_view kind = "group_kfold";

  index n_splits = 5;  // number of folds; 2 <= n_splits <= the number of distinct groups

  static constexpr auto params = std::tuple{param<"n_splits">(&group_kfold::n_splits, at_least(2))};

  // The n_splits splits; groups holds one group id per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// stratified_group_kfold -- folds that never split a group and keep class shares as well as they can, as
// scikit-learn's StratifiedGroupKFold: groups, most unevenly spread over the classes first, go to the fold that
// keeps the per-class spread across folds smallest (ties: the fold with fewer rows). shuffle shuffles the groups'
// class counts first, as scikit-learn 1.2 does. Needs y (class labels) and groups.
struct stratified_group_kfold {
  static constexpr std::string_view kind = "stratified_group_kfold";

  index n_splits = 5;     // number of folds; 2 <= n_splits <= the number of distinct groups and the largest class
  bool shuffle = false;   // shuffle the groups before assigning them
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state) when shuffle; 0 <= seed < 2^32

  static constexpr auto params =
      std::tuple{param<"n_splits">(&stratified_group_kfold::n_splits, at_least(2)),
                 param<"shuffle">(&stratified_group_kfold::shuffle),
                 param<"seed">(&stratified_group_kfold::seed, between(0, 4294967295.0))};

  // The n_splits splits; y holds one class label per row, groups one group id per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// group_shuffle_split -- random splits of whole groups, as scikit-learn's GroupShuffleSplit: shuffle_split over
// the distinct groups (sizes count groups, not rows), each set holding its groups' rows in ascending order. Needs
// groups; y is ignored.
struct group_shuffle_split {
  static constexpr std::string_view kind = "group_shuffle_split";

  index n_splits = 5;       // number of random splits; >= 1
  double test_size = 0.0;   // a fraction in (0, 1) of the groups, or a whole number of groups; 0: the rest after
                            // train_size, or 0.2 when train_size is 0 too
  double train_size = 0.0;  // a fraction in (0, 1) of the groups, or a whole number of groups; 0: the rest
  std::int64_t seed = 0;    // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&group_shuffle_split::n_splits, at_least(1)),
                                            param<"test_size">(&group_shuffle_split::test_size, at_least(0)),
                                            param<"train_size">(&group_shuffle_split::train_size, at_least(0)),
                                            param<"seed">(&group_shuffle_split::seed, between(0, 4294967295.0))};

  // n_splits random splits; groups holds one group id per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

// leave_one_out -- n_rows splits, each testing one row, as scikit-learn's LeaveOneOut. y and groups are ignored.
struct leave_one_out {
  static constexpr std::string_view kind = "leave_one_out";

  static constexpr auto params = std::tuple{};

  // Split i tests row i.
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // n_rows.
  index get_n_splits(index n_rows, const vector_view& = vector(), const row_ids& = {}) const { return n_rows; }
};

// leave_p_out -- one split per set of p rows, tested together, as scikit-learn's LeavePOut: C(n_rows, p) splits in
// lexicographic order. At most 1,000,000 splits (they are all returned at once). y and groups are ignored.
struct leave_p_out {
  static constexpr std::string_view kind = "leave_p_out";

  index p = 2;  // rows per test set; 1 <= p < the number of rows

  static constexpr auto params = std::tuple{param<"p">(&leave_p_out::p, at_least(1))};

  // The C(n_rows, p) splits, lexicographic in the test rows.
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // C(n_rows, p).
  index get_n_splits(index n_rows, const vector_view& = vector(), const row_ids& = {}) const;
};

// leave_one_group_out -- one split per distinct group, testing that group's rows, as scikit-learn's
// LeaveOneGroupOut (groups in ascending id order). Needs groups with at least 2 distinct ids; y is ignored.
struct leave_one_group_out {
  static constexpr std::string_view kind = "leave_one_group_out";

  static constexpr auto params = std::tuple{};

  // One split per distinct group id, ascending.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups) const;
  // The number of distinct group ids.
  index get_n_splits(index n_rows, const vector_view& y, const row_ids& groups) const;
};

// leave_p_groups_out -- one split per set of n_groups distinct groups, tested together, as scikit-learn's
// LeavePGroupsOut (lexicographic in the ascending group ids). Needs more than n_groups distinct groups; at most
// 1,000,000 splits. y is ignored.
struct leave_p_groups_out {
  static constexpr std::string_view kind = "leave_p_groups_out";

  index n_groups = 2;  // groups per test set; 1 <= n_groups < the number of distinct groups

  static constexpr auto params = std::tuple{param<"n_groups">(&leave_p_groups_out::n_groups, at_least(1))};

  // The C(distinct groups, n_groups) splits.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups) const;
  // C(distinct groups, n_groups).
  index get_n_splits(index n_rows, const vector_view& y, const row_ids& groups) const;
};

// time_series_split -- expanding-window splits of rows in time order, as scikit-learn's TimeSeriesSplit: the last
// n_splits * test_size rows are cut into n_splits consecutive test sets, each trained on the rows before it (minus
// gap rows, at most max_train_size of them). y and groups are ignored.
struct time_series_split {
  static constexpr std::string_view kind = "time_series_split";

  index n_splits = 5;        // number of splits; >= 2, and n_splits + 1 <= the number of rows
  index gap = 0;             // rows left out between each training set and its test set; >= 0
  index max_train_size = 0;  // the most rows to train on (the latest ones); 0: no limit
  index test_size = 0;       // rows per test set; 0: n_rows / (n_splits + 1)

  static constexpr auto params = std::tuple{param<"n_splits">(&time_series_split::n_splits, at_least(2)),
                                            param<"gap">(&time_series_split::gap, at_least(0)),
                                            param<"max_train_size">(&time_series_split::max_train_size, at_least(0)),
                                            param<"test_size">(&time_series_split::test_size, at_least(0))};

  // The n_splits splits, earliest test set first.
  std::vector<split> splits(index n_rows, const vector_view& y = vector(), const row_ids& groups = {}) const;
  // n_splits.
  index get_n_splits(index = 0, const vector_view& = vector(), const row_ids& = {}) const { return n_splits; }
};

namespace detail {

// A split of rows 0 .. n_rows - 1 from a test flag per row (is_test(r)), of which exactly n_test are set: the tested
// rows and the others, both ascending. Each row is written to both sides and only the side it belongs to moves on,
// so there is no branch to mispredict on shuffled folds (each side has one slot of slack for the other's rows).
template <class IsTest>
split split_by_flag(std::size_t n_rows, std::size_t n_test, IsTest&& is_test) {
  split out;
  out.test.resize(n_test + 1);
  out.train.resize(n_rows - n_test + 1);
  index* test = out.test.data();
  index* train = out.train.data();
  for (std::size_t r = 0; r < n_rows; ++r) {
    const bool tested = is_test(r);
    *test = static_cast<index>(r);
    *train = static_cast<index>(r);
    test += tested;
    train += !tested;
  }
  out.test.pop_back();
  out.train.pop_back();
  return out;
}

// Splits from a fold number per row: split i < n_folds tests the rows of fold i and trains on all the others;
// rows with a number >= n_folds are never tested.
inline std::vector<split> splits_from_folds(const std::vector<index>& fold_of, index n_folds) {
  std::vector<std::size_t> size(static_cast<std::size_t>(n_folds), 0);
  for (const index f : fold_of)
    if (f < n_folds) ++size[static_cast<std::size_t>(f)];
  std::vector<split> out(static_cast<std::size_t>(n_folds));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = split_by_flag(fold_of.size(), size[i],
                           [&](std::size_t r) { return fold_of[r] == static_cast<index>(i); });
  return out;
}

// A split from its test mask: the tested rows and the others, both ascending.
inline split split_from_mask(const std::vector<char>& tested) {
  const auto n_test =
      static_cast<std::size_t>(std::count_if(tested.begin(), tested.end(), [](char t) { return t != 0; }));
  return split_by_flag(tested.size(), n_test, [&](std::size_t r) { return tested[r] != 0; });
}

inline std::string plural(index n, std::string_view thing) {
  return std::to_string(n) + " " + std::string(thing) + (n == 1 ? "" : "s");
}

// n_rows must be a count of at least one row.
inline void check_n_rows(std::string_view kind, index n_rows, std::string_view at_least) {
  if (n_rows < 0)
    throw invalid_input("n_rows = " + std::to_string(n_rows) + " is negative; expected the number of rows to split",
                        kind);
  if (n_rows == 0)
    throw invalid_input("there are no rows to split; expected at least " + std::string(at_least) + " rows", kind);
}

// n_rows must be a count, and there must be at least one row per fold (scikit-learn's check in _BaseKFold.split).
inline void check_fold_count(std::string_view kind, index n_rows, index n_splits) {
  check_n_rows(kind, n_rows, "n_splits = " + std::to_string(n_splits));
  if (n_splits > n_rows)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) + " is greater than the number of rows, " +
                                std::to_string(n_rows) + "; expected n_splits <= " + std::to_string(n_rows),
                            kind);
}

// Splitters that ignore y accept none (an empty vector) or one value per row.
inline void check_optional_y(std::string_view kind, index n_rows, const vector_view& y) {
  if (y.size() != 0 && y.size() != n_rows)
    throw invalid_input("y has " + plural(y.size(), "value") + " but there are " + std::to_string(n_rows) +
                            " rows; expected one target per row (or none)",
                        kind);
}

// Splitters that ignore groups accept none or one id per row (scikit-learn's indexable(X, y, groups)).
inline void check_optional_groups(std::string_view kind, index n_rows, const row_ids& groups) {
  if (!groups.empty() && static_cast<index>(groups.size()) != n_rows)
    throw invalid_input("groups has " + plural(static_cast<index>(groups.size()), "value") + " but there are " +
                            std::to_string(n_rows) + " rows; expected one group id per row (or none)",
                        kind);
}

// The group splitters need one group id per row.
inline void check_groups(std::string_view kind, index n_rows, const row_ids& groups) {
  if (groups.empty())
    throw invalid_input(std::string(kind) + " needs groups; pass .groups = ... (one group id per row) to "
                        "cross_validate or the search, or call splits(n_rows, y, groups)",
                        kind);
  if (static_cast<index>(groups.size()) != n_rows)
    throw invalid_input("groups has " + plural(static_cast<index>(groups.size()), "value") + " but there are " +
                            std::to_string(n_rows) + " rows; expected one group id per row",
                        kind);
}

// y must hold one class label (a finite whole number) per row, as stratification needs a binary or multiclass target.
inline void check_class_labels(std::string_view kind, index n_rows, const vector_view& y) {
  if (y.size() != n_rows)
    throw invalid_input("y has " + plural(y.size(), "value") + " but there are " + std::to_string(n_rows) +
                            " rows; expected one class label per row",
                        kind);
  for (index r = 0; r < n_rows; ++r) {
    if (!std::isfinite(y(r)))
      throw invalid_input("y has " + format_double(y(r)) + " at row " + std::to_string(r) +
                              "; expected finite class labels",
                          kind);
    if (std::trunc(y(r)) != y(r))
      throw invalid_input("y has " + format_double(y(r)) + " at row " + std::to_string(r) +
                              "; expected class labels (whole numbers), as stratification needs a binary or "
                              "multiclass target",
                          kind);
  }
}

// np.unique(values, return_inverse=True): the distinct values ascending, and each position's index among them.
template <class T>
struct encoded {
  std::vector<T> distinct;
  std::vector<index> code;
  std::vector<index> count;  // rows per distinct value
};

template <class Values>
auto encode_sorted(const Values& values, std::size_t n) {
  using T = std::remove_cvref_t<decltype(values[0])>;
  encoded<T> out;
  out.distinct.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.distinct.push_back(values[i]);
  std::sort(out.distinct.begin(), out.distinct.end());  // std::sort and ==, like np.unique, take -0 as 0
  out.distinct.erase(std::unique(out.distinct.begin(), out.distinct.end()), out.distinct.end());
  out.code.resize(n);
  out.count.assign(out.distinct.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    out.code[i] = std::lower_bound(out.distinct.begin(), out.distinct.end(), values[i]) - out.distinct.begin();
    ++out.count[static_cast<std::size_t>(out.code[i])];
  }
  return out;
}

inline encoded<index> encode_groups(const row_ids& groups) { return encode_sorted(groups.values(), groups.size()); }
inline encoded<double> encode_labels(const vector_view& y) {
  return encode_sorted(y, static_cast<std::size_t>(y.size()));
}

// What the group splitters read: y (none or one value per row, or for stratification one class label per row) and
// one group id per row, checked, with the groups encoded (np.unique(groups, return_inverse=True)).
enum class group_targets { optional, class_labels };

inline encoded<index> group_codes(std::string_view kind, index n_rows, const vector_view& y, const row_ids& groups,
                                  group_targets targets = group_targets::optional) {
  if (targets == group_targets::class_labels) check_class_labels(kind, n_rows, y);
  else check_optional_y(kind, n_rows, y);
  check_groups(kind, n_rows, groups);
  return encode_groups(groups);
}

// A fold splitter needs at least n_splits distinct groups.
inline void check_groups_for_folds(std::string_view kind, index n_splits, const encoded<index>& g,
                                   std::string_view note = {}) {
  const auto n_groups = static_cast<index>(g.distinct.size());
  if (n_splits > n_groups)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) + " is greater than the number of groups, " +
                                std::to_string(n_groups) + "; expected n_splits <= " + std::to_string(n_groups) +
                                std::string(note),
                            kind);
}

// A splitter that trains on some groups and tests others needs two distinct groups at least.
inline void check_two_groups(std::string_view kind, const encoded<index>& g, std::string_view why) {
  if (g.distinct.size() < 2)
    throw invalid_input("groups has only 1 distinct id (" + std::to_string(g.distinct.front()) +
                            "); expected at least 2 groups, " + std::string(why),
                        kind);
}

// numpy's np.argsort(v) (kind="quicksort", numpy 1.24's introsort for 64-bit integers), position for position:
// median-of-3 quicksort down to 16 elements, then insertion sort; heapsort past a depth of 2 log2(n). Ties come
// out in this algorithm's order, which is what scikit-learn's GroupKFold sees for groups of equal size.
inline std::vector<index> numpy_argsort(const std::vector<index>& v) {
  const auto n = static_cast<index>(v.size());
  std::vector<index> order(v.size());
  std::iota(order.begin(), order.end(), index{0});
  if (n < 2) return order;
  index* const base = order.data();
  const auto less = [&](index a, index b) { return v[static_cast<std::size_t>(a)] < v[static_cast<std::size_t>(b)]; };
  const auto heapsort = [&](index* first, index count) {
    index* a = first - 1;  // one-based
    for (index l = count >> 1; l > 0; --l) {
      const index tmp = a[l];
      index i = l;
      for (index j = l << 1; j <= count;) {
        if (j < count && less(a[j], a[j + 1])) j += 1;
        if (less(tmp, a[j])) {
          a[i] = a[j];
          i = j;
          j += j;
        } else {
          break;
        }
      }
      a[i] = tmp;
    }
    for (; count > 1;) {
      const index tmp = a[count];
      a[count] = a[1];
      count -= 1;
      index i = 1;
      for (index j = 2; j <= count;) {
        if (j < count && less(a[j], a[j + 1])) j++;
        if (less(tmp, a[j])) {
          a[i] = a[j];
          i = j;
          j += j;
        } else {
          break;
        }
      }
      a[i] = tmp;
    }
  };
  int msb = 0;
  for (index m = n; m > 1; m >>= 1) ++msb;
  int cdepth = msb * 2;
  std::vector<index*> stack;
  std::vector<int> depths;
  index* pl = base;
  index* pr = base + n - 1;
  for (;;) {
    if (cdepth < 0) {
      heapsort(pl, pr - pl + 1);
    } else {
      while ((pr - pl) > 16) {
        index* pm = pl + ((pr - pl) >> 1);
        if (less(*pm, *pl)) std::swap(*pm, *pl);
        if (less(*pr, *pm)) std::swap(*pr, *pm);
        if (less(*pm, *pl)) std::swap(*pm, *pl);
        const index vp = *pm;
        index* pi = pl;
        index* pj = pr - 1;
        std::swap(*pm, *pj);
        for (;;) {
          do ++pi;
          while (less(*pi, vp));
          do --pj;
          while (less(vp, *pj));
          if (pi >= pj) break;
          std::swap(*pi, *pj);
        }
        index* pk = pr - 1;
        std::swap(*pi, *pk);
        if (pi - pl < pr - pi) {  // push the larger partition
          stack.push_back(pi + 1);
          stack.push_back(pr);
          pr = pi - 1;
        } else {
          stack.push_back(pl);
          stack.push_back(pi - 1);
          pl = pi + 1;
        }
        depths.push_back(--cdepth);
      }
      for (index* pi = pl + 1; pi <= pr; ++pi) {  // insertion sort
        const index vi = *pi;
        index* pj = pi;
        index* pk = pi - 1;
        while (pj > pl && less(vi, *pk)) *pj-- = *pk--;
        *pj = vi;
      }
    }
    if (stack.empty()) break;
    pr = stack.back();
    stack.pop_back();
    pl = stack.back();
    stack.pop_back();
    cdepth = depths.back();
    depths.pop_back();
  }
  return order;
}

// numpy's pairwise summation of n contiguous doubles (np.sum along a contiguous axis), bit for bit.
inline double numpy_pairwise_sum(const double* a, std::size_t n, std::size_t stride = 1) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i * stride];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j * stride];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[(i + j) * stride];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i * stride];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2, stride) + numpy_pairwise_sum(a + n2 * stride, n - n2, stride);
}

// np.std of n contiguous doubles (population), bit for bit.
inline double numpy_std(const double* a, std::size_t n) {
  const double mean = numpy_pairwise_sum(a, n) / static_cast<double>(n);
  std::vector<double> squares(n);
  for (std::size_t i = 0; i < n; ++i) squares[i] = (a[i] - mean) * (a[i] - mean);
  return std::sqrt(numpy_pairwise_sum(squares.data(), n) / static_cast<double>(n));
}

// Fold numbers of kfold's rows: fold i is the next n_rows / n_splits (+ 1 for the first n_rows % n_splits folds)
// rows of the (shuffled, when rng is given) order.
inline std::vector<index> kfold_folds(index n_rows, index n_splits, numpy_random_state* rng) {
  std::vector<index> order(static_cast<std::size_t>(n_rows));
  std::iota(order.begin(), order.end(), index{0});
  if (rng != nullptr) rng->shuffle(std::span<index>(order));
  std::vector<index> fold_of(order.size());
  std::size_t position = 0;
  for (index i = 0; i < n_splits; ++i) {
    const index size = n_rows / n_splits + (i < n_rows % n_splits ? 1 : 0);
    for (index k = 0; k < size; ++k) fold_of[static_cast<std::size_t>(order[position++])] = i;
  }
  return fold_of;
}

// Each class's rows (ascending), classes numbered by first appearance in y (scikit-learn's y_encoded in
// StratifiedKFold); checks that some class has n_splits rows.
inline std::vector<std::vector<index>> rows_by_first_appearance(std::string_view kind, const vector_view& y,
                                                                index n_splits) {
  std::map<double, std::size_t> code_of;  // std::map, like np.unique, takes -0 as 0
  std::vector<std::size_t> code(static_cast<std::size_t>(y.size()));
  std::vector<std::size_t> count;
  double last = 0.0;  // the previous row's label and its code: a row with the same label skips the map
  std::size_t last_code = 0;
  for (index r = 0; r < y.size(); ++r) {
    if (r == 0 || y(r) != last) {
      last = y(r);
      const auto [it, inserted] = code_of.try_emplace(last, count.size());
      if (inserted) count.push_back(0);
      last_code = it->second;
    }
    code[static_cast<std::size_t>(r)] = last_code;
    ++count[last_code];
  }
  std::vector<std::vector<index>> rows_of(count.size());
  for (std::size_t k = 0; k < count.size(); ++k) rows_of[k].reserve(count[k]);
  for (std::size_t r = 0; r < code.size(); ++r) rows_of[code[r]].push_back(static_cast<index>(r));
  std::size_t largest = 0;
  for (const auto& rows : rows_of) largest = std::max(largest, rows.size());
  // scikit-learn: "n_splits=4 cannot be greater than the number of members in each class."; a smaller class only
  // warns there, and is allowed here.
  if (static_cast<std::size_t>(n_splits) > largest)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) +
                                " is greater than the number of members in every class (the largest has " +
                                std::to_string(largest) + "); expected n_splits <= " + std::to_string(largest),
                            kind);
  return rows_of;
}

// Fold numbers of stratified_kfold's rows: the class-sorted rows dealt to the folds round robin (scikit-learn's
// allocation, np.bincount(y_order[i::n_splits])); class k's fold numbers are those of its positions in that order,
// sorted into blocks (0, 0, 1, 1, 2, ...), shuffled per class from one stream when rng is given, and given to the
// class's rows in ascending order.
inline std::vector<index> stratified_folds(const std::vector<std::vector<index>>& rows_of, index n_rows,
                                           index n_splits, numpy_random_state* rng) {
  const auto folds = static_cast<std::size_t>(n_splits);
  std::vector<index> fold_of(static_cast<std::size_t>(n_rows));
  std::vector<index> folds_for_class;
  std::size_t position = 0;
  for (const auto& rows : rows_of) {
    // the class's positions position .. position + size - 1 dealt round robin, sorted: a block per fold number
    folds_for_class.clear();
    for (std::size_t f = 0; f < folds; ++f) {
      const std::size_t first = (f + folds - position % folds) % folds;  // the class's first position in fold f
      const std::size_t dealt = rows.size() > first ? (rows.size() - first + folds - 1) / folds : 0;
      folds_for_class.insert(folds_for_class.end(), dealt, static_cast<index>(f));
    }
    position += rows.size();
    if (rng != nullptr) rng->shuffle(std::span<index>(folds_for_class));
    for (std::size_t m = 0; m < rows.size(); ++m) fold_of[static_cast<std::size_t>(rows[m])] = folds_for_class[m];
  }
  return fold_of;
}

// The distinct fold ids of a predefined split, ascending, without -1; ids below -1 are an error.
inline std::vector<index> predefined_fold_ids(const row_ids& test_fold) {
  std::vector<index> ids;
  for (std::size_t r = 0; r < test_fold.size(); ++r) {
    if (test_fold[r] < -1)
      throw invalid_parameter("test_fold has " + std::to_string(test_fold[r]) + " at row " + std::to_string(r) +
                                  "; expected a fold id >= 0, or -1 for a row that is never tested",
                              predefined_split::kind);
    if (test_fold[r] >= 0) ids.push_back(test_fold[r]);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// numpy's RandomState.permutation(n): 0 .. n-1 shuffled.
inline std::vector<index> permutation(numpy_random_state& rng, index n) {
  std::vector<index> out(static_cast<std::size_t>(n));
  std::iota(out.begin(), out.end(), index{0});
  rng.shuffle(std::span<index>(out));
  return out;
}

// One test_size or train_size as scikit-learn reads it: 0 is unset, a value in (0, 1) a fraction, a whole number
// 1 <= v < n a count; anything else is an error naming the unit (rows or groups).
inline void check_size(std::string_view kind, std::string_view name, double v, index n, std::string_view unit) {
  if (v == 0.0 || (v > 0.0 && v < 1.0)) return;
  if (v >= 1.0 && std::trunc(v) == v && v < static_cast<double>(n)) return;
  throw invalid_parameter(std::string(name) + " = " + format_double(v) + " is neither a fraction in (0, 1) nor a " +
                              "whole number of " + std::string(unit) + " less than the " + std::to_string(n) + " " +
                              std::string(unit) + "; expected 0 < " + std::string(name) + " < 1 or 1 <= " +
                              std::string(name) + " <= " + std::to_string(n - 1),
                          kind);
}

// scikit-learn's _validate_shuffle_split: (n_train, n_test) for n rows (or groups).
inline std::pair<index, index> shuffle_split_sizes(std::string_view kind, index n, double test_size,
                                                   double train_size, double default_test_size,
                                                   std::string_view unit) {
  check_size(kind, "test_size", test_size, n, unit);
  check_size(kind, "train_size", train_size, n, unit);
  if (test_size == 0.0 && train_size == 0.0) test_size = default_test_size;
  const bool test_fraction = test_size > 0.0 && test_size < 1.0;
  const bool train_fraction = train_size > 0.0 && train_size < 1.0;
  if (test_fraction && train_fraction && train_size + test_size > 1.0)
    throw invalid_parameter("test_size + train_size = " + format_double(train_size + test_size) +
                                " is more than 1; expected fractions that sum to at most 1",
                            kind);
  const auto count = [&](double size, bool fraction, bool ceiling) -> double {
    if (!fraction) return size;
    const double scaled = size * static_cast<double>(n);
    return ceiling ? std::ceil(scaled) : std::floor(scaled);
  };
  double n_test = count(test_size, test_fraction, true);
  double n_train = count(train_size, train_fraction, false);
  if (train_size == 0.0) n_train = static_cast<double>(n) - n_test;
  else if (test_size == 0.0) n_test = static_cast<double>(n) - n_train;
  if (n_train + n_test > static_cast<double>(n))
    throw invalid_parameter("train_size and test_size make " + format_double(n_train) + " + " +
                                format_double(n_test) + " = " + format_double(n_train + n_test) + " " +
                                std::string(unit) + " but there are " + std::to_string(n) +
                                "; expected at most " + std::to_string(n) + " together",
                            kind);
  if (n_train == 0.0)
    throw invalid_parameter("with " + std::to_string(n) + " " + std::string(unit) + ", test_size = " +
                                format_double(test_size) + " and train_size = " + format_double(train_size) +
                                " leave no " + std::string(unit) +
                                " to train on; expected a larger train_size or a smaller test_size",
                            kind);
  return {static_cast<index>(n_train), static_cast<index>(n_test)};
}

// C(n, k), or limit + 1 when it is larger than limit.
inline index combinations_count(index n, index k, index limit) {
  if (k > n) return 0;
  k = std::min(k, n - k);
  long double c = 1.0L;
  for (index i = 0; i < k; ++i) {
    c = c * static_cast<long double>(n - i) / static_cast<long double>(i + 1);
    if (c > static_cast<long double>(limit)) return limit + 1;
  }
  return static_cast<index>(c + 0.5L);
}

inline constexpr index max_combination_splits = 1000000;

// Calls f(chosen) for each k-subset of 0 .. n-1, lexicographically (itertools.combinations).
template <class F>
void for_each_combination(index n, index k, F&& f) {
  std::vector<index> chosen(static_cast<std::size_t>(k));
  std::iota(chosen.begin(), chosen.end(), index{0});
  for (;;) {
    f(chosen);
    index i = k - 1;
    while (i >= 0 && chosen[static_cast<std::size_t>(i)] == n - k + i) --i;
    if (i < 0) return;
    ++chosen[static_cast<std::size_t>(i)];
    for (index j = i + 1; j < k; ++j)
      chosen[static_cast<std::size_t>(j)] = chosen[static_cast<std::size_t>(j - 1)] + 1;
  }
}

// scikit-learn's _approximate_mode(class_counts, n_draws, rng): the counts per class of n_draws draws, floored
// shares first, the rest to the largest remainders, ties among them broken by rng.choice (a permutation).
inline std::vector<index> approximate_mode(const std::vector<index>& class_counts, index n_draws,
                                           numpy_random_state& rng) {
  double total = 0.0;
  for (const index c : class_counts) total += static_cast<double>(c);
  const std::size_t k = class_counts.size();
  std::vector<double> continuous(k);
  std::vector<double> floored(k);
  double floored_sum = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    continuous[i] = static_cast<double>(class_counts[i]) / total * static_cast<double>(n_draws);
    floored[i] = std::floor(continuous[i]);
    floored_sum += floored[i];
  }
  auto need_to_add = static_cast<index>(static_cast<double>(n_draws) - floored_sum);
  if (need_to_add > 0) {
    std::vector<double> remainder(k);
    for (std::size_t i = 0; i < k; ++i) remainder[i] = continuous[i] - floored[i];
    std::vector<double> values = remainder;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (auto v = values.rbegin(); v != values.rend(); ++v) {
      std::vector<std::size_t> inds;
      for (std::size_t i = 0; i < k; ++i)
        if (remainder[i] == *v) inds.push_back(i);
      const index add_now = std::min(static_cast<index>(inds.size()), need_to_add);
      const std::vector<index> picked = permutation(rng, static_cast<index>(inds.size()));
      for (index j = 0; j < add_now; ++j) floored[inds[static_cast<std::size_t>(picked[static_cast<std::size_t>(j)])]] += 1.0;
      need_to_add -= add_now;
      if (need_to_add == 0) break;
    }
  }
  std::vector<index> out(k);
  for (std::size_t i = 0; i < k; ++i) out[i] = static_cast<index>(floored[i]);
  return out;
}

}  // namespace detail

inline std::vector<split> kfold::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  return detail::splits_from_folds(detail::kfold_folds(n_rows, n_splits, shuffle ? &rng : nullptr), n_splits);
}

inline std::vector<split> stratified_kfold::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  detail::check_class_labels(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const auto rows_of = detail::rows_by_first_appearance(kind, y, n_splits);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  return detail::splits_from_folds(detail::stratified_folds(rows_of, n_rows, n_splits, shuffle ? &rng : nullptr),
                                   n_splits);
}

inline std::vector<split> predefined_split::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  if (n_rows < 0)
    throw invalid_input("n_rows = " + std::to_string(n_rows) + " is negative; expected the number of rows to split",
                        kind);
  if (static_cast<index>(test_fold.size()) != n_rows)
    throw invalid_parameter("test_fold has " + std::to_string(test_fold.size()) +
                                (test_fold.size() == 1 ? " value" : " values") + " but there are " +
                                std::to_string(n_rows) + " rows; expected one fold id per row",
                            kind);
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const std::vector<index> ids = detail::predefined_fold_ids(test_fold);
  if (ids.empty())
    throw invalid_parameter("test_fold has no fold id other than -1; expected at least one test fold", kind);
  const bool some_never_tested = std::find(test_fold.begin(), test_fold.end(), index{-1}) != test_fold.end();
  if (ids.size() == 1 && !some_never_tested)
    throw invalid_parameter("test_fold puts every row in fold " + std::to_string(ids.front()) +
                                ", which leaves no rows to train on; expected at least 2 folds, or -1 for the rows "
                                "to train on",
                            kind);
  // Fold numbers in ascending id order; rows with -1 get a number no split tests.
  const auto never = static_cast<index>(ids.size());
  std::vector<index> fold_of(test_fold.size());
  for (std::size_t r = 0; r < test_fold.size(); ++r)
    fold_of[r] = test_fold[r] < 0 ? never
                                  : static_cast<index>(std::lower_bound(ids.begin(), ids.end(), test_fold[r]) -
                                                       ids.begin());
  return detail::splits_from_folds(fold_of, never);
}

inline index predefined_split::get_n_splits(index, const vector_view&, const row_ids&) const {
  return static_cast<index>(detail::predefined_fold_ids(test_fold).size());
}

inline std::vector<split> repeated_kfold::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));  // one stream through all repeats, as scikit-learn
  std::vector<split> out;
  out.reserve(static_cast<std::size_t>(n_splits * n_repeats));
  for (index r = 0; r < n_repeats; ++r)
    for (auto& s : detail::splits_from_folds(detail::kfold_folds(n_rows, n_splits, &rng), n_splits))
      out.push_back(std::move(s));
  return out;
}

inline std::vector<split> repeated_stratified_kfold::splits(index n_rows, const vector_view& y,
                                                            const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  detail::check_class_labels(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const auto rows_of = detail::rows_by_first_appearance(kind, y, n_splits);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  std::vector<split> out;
  out.reserve(static_cast<std::size_t>(n_splits * n_repeats));
  for (index r = 0; r < n_repeats; ++r)
    for (auto& s : detail::splits_from_folds(detail::stratified_folds(rows_of, n_rows, n_splits, &rng), n_splits))
      out.push_back(std::move(s));
  return out;
}

inline std::vector<split> shuffle_split::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const auto [n_train, n_test] = detail::shuffle_split_sizes(kind, n_rows, test_size, train_size, 0.1, "rows");
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  std::vector<split> out(static_cast<std::size_t>(n_splits));
  for (auto& s : out) {
    const std::vector<index> p = detail::permutation(rng, n_rows);
    s.test.assign(p.begin(), p.begin() + n_test);
    s.train.assign(p.begin() + n_test, p.begin() + n_test + n_train);
  }
  return out;
}

inline std::vector<split> stratified_shuffle_split::splits(index n_rows, const vector_view& y,
                                                           const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  detail::check_class_labels(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const auto [n_train, n_test] = detail::shuffle_split_sizes(kind, n_rows, test_size, train_size, 0.1, "rows");
  const auto classes = detail::encode_labels(y);
  const auto n_classes = static_cast<index>(classes.distinct.size());
  for (std::size_t k = 0; k < classes.count.size(); ++k)
    if (classes.count[k] < 2)
      throw invalid_input("class " + format_double(classes.distinct[k]) +
                              " has only 1 row; expected at least 2 rows per class, one to train on and one to test",
                          kind);
  if (n_train < n_classes)
    throw invalid_parameter("train_size gives " + detail::plural(n_train, "training row") + " but there are " +
                                std::to_string(n_classes) + " classes; expected at least one training row per class",
                            kind);
  if (n_test < n_classes)
    throw invalid_parameter("test_size gives " + detail::plural(n_test, "test row") + " but there are " +
                                std::to_string(n_classes) + " classes; expected at least one test row per class",
                            kind);
  // Each class's rows, ascending (np.argsort(y_indices, kind="mergesort") cut by class).
  std::vector<std::vector<index>> rows_of(classes.distinct.size());
  for (index r = 0; r < n_rows; ++r) rows_of[static_cast<std::size_t>(classes.code[static_cast<std::size_t>(r)])].push_back(r);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  std::vector<split> out(static_cast<std::size_t>(n_splits));
  for (auto& s : out) {
    const std::vector<index> n_i = detail::approximate_mode(classes.count, n_train, rng);
    std::vector<index> remaining(classes.count.size());
    for (std::size_t k = 0; k < remaining.size(); ++k) remaining[k] = classes.count[k] - n_i[k];
    const std::vector<index> t_i = detail::approximate_mode(remaining, n_test, rng);
    for (std::size_t k = 0; k < rows_of.size(); ++k) {
      const std::vector<index> p = detail::permutation(rng, classes.count[k]);
      for (index j = 0; j < n_i[k]; ++j) s.train.push_back(rows_of[k][static_cast<std::size_t>(p[static_cast<std::size_t>(j)])]);
      for (index j = n_i[k]; j < n_i[k] + t_i[k]; ++j)
        s.test.push_back(rows_of[k][static_cast<std::size_t>(p[static_cast<std::size_t>(j)])]);
    }
    rng.shuffle(std::span<index>(s.train));
    rng.shuffle(std::span<index>(s.test));
  }
  return out;
}

inline std::vector<split> group_kfold::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  const auto g = detail::group_codes(kind, n_rows, y, groups);
  detail::check_groups_for_folds(kind, n_splits, g);
  // Largest groups first (numpy's argsort of the sizes, reversed), each to the lightest fold (the first, on ties).
  std::vector<index> order = detail::numpy_argsort(g.count);
  std::reverse(order.begin(), order.end());
  std::vector<double> fold_rows(static_cast<std::size_t>(n_splits), 0.0);
  std::vector<index> fold_of_group(g.distinct.size());
  for (const index group : order) {
    const auto lightest =
        static_cast<std::size_t>(std::min_element(fold_rows.begin(), fold_rows.end()) - fold_rows.begin());
    fold_rows[lightest] += static_cast<double>(g.count[static_cast<std::size_t>(group)]);
    fold_of_group[static_cast<std::size_t>(group)] = static_cast<index>(lightest);
  }
  std::vector<index> fold_of(static_cast<std::size_t>(n_rows));
  for (std::size_t r = 0; r < fold_of.size(); ++r) fold_of[r] = fold_of_group[static_cast<std::size_t>(g.code[r])];
  return detail::splits_from_folds(fold_of, n_splits);
}

inline std::vector<split> stratified_group_kfold::splits(index n_rows, const vector_view& y,
                                                         const row_ids& groups) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  const auto g = detail::group_codes(kind, n_rows, y, groups, detail::group_targets::class_labels);
  const auto classes = detail::encode_labels(y);
  const auto largest = *std::max_element(classes.count.begin(), classes.count.end());
  if (n_splits > largest)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) +
                                " is greater than the number of members in every class (the largest has " +
                                std::to_string(largest) + "); expected n_splits <= " + std::to_string(largest),
                            kind);
  detail::check_groups_for_folds(kind, n_splits, g, " (scikit-learn would return empty test folds)");
  const std::size_t n_classes = classes.distinct.size();
  const auto folds = static_cast<std::size_t>(n_splits);
  // Row-major tables, as numpy's: counts per (group, class) and per (fold, class).
  std::vector<double> per_group(g.distinct.size() * n_classes, 0.0);
  for (std::size_t r = 0; r < g.code.size(); ++r)
    per_group[static_cast<std::size_t>(g.code[r]) * n_classes + static_cast<std::size_t>(classes.code[r])] += 1.0;
  if (shuffle) {
    // scikit-learn 1.2 shuffles the rows of the count table but keeps each group's index: the counts move to other
    // groups' positions. Reproduced as is, so that the folds match.
    numpy_random_state rng(static_cast<std::uint32_t>(seed));
    for (std::size_t i = g.distinct.size(); i-- > 1;) {
      const auto j = static_cast<std::size_t>(rng.random_interval(i));
      for (std::size_t c = 0; c < n_classes; ++c) std::swap(per_group[i * n_classes + c], per_group[j * n_classes + c]);
    }
  }
  // Groups by the spread of their class counts, largest first, stably.
  std::vector<double> spread(g.distinct.size());
  for (std::size_t i = 0; i < spread.size(); ++i) spread[i] = -detail::numpy_std(&per_group[i * n_classes], n_classes);
  std::vector<index> order(spread.size());
  std::iota(order.begin(), order.end(), index{0});
  std::stable_sort(order.begin(), order.end(), [&](index a, index b) {
    return spread[static_cast<std::size_t>(a)] < spread[static_cast<std::size_t>(b)];
  });
  std::vector<double> per_fold(folds * n_classes, 0.0);
  std::vector<index> fold_of_group(g.distinct.size(), 0);
  std::vector<double> share(folds * n_classes);
  std::vector<double> std_per_class(n_classes);
  for (const index group : order) {
    const double* counts = &per_group[static_cast<std::size_t>(group) * n_classes];
    std::size_t best = 0;
    double min_eval = std::numeric_limits<double>::infinity();
    double min_samples = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < folds; ++i) {
      for (std::size_t c = 0; c < n_classes; ++c) per_fold[i * n_classes + c] += counts[c];
      for (std::size_t e = 0; e < share.size(); ++e)
        share[e] = per_fold[e] / static_cast<double>(classes.count[e % n_classes]);
      // np.std(share, axis=0): sums over folds accumulate fold by fold (pairwise when there is one class, as numpy
      // then reduces along a single axis).
      for (std::size_t c = 0; c < n_classes; ++c) {
        if (n_classes == 1) {
          std_per_class[c] = detail::numpy_std(share.data(), folds);
          continue;
        }
        double sum = 0.0;
        for (std::size_t f = 0; f < folds; ++f) sum += share[f * n_classes + c];
        const double mean = sum / static_cast<double>(folds);
        double squares = 0.0;
        for (std::size_t f = 0; f < folds; ++f) {
          const double d = share[f * n_classes + c] - mean;
          squares += d * d;
        }
        std_per_class[c] = std::sqrt(squares / static_cast<double>(folds));
      }
      for (std::size_t c = 0; c < n_classes; ++c) per_fold[i * n_classes + c] -= counts[c];
      const double fold_eval = detail::numpy_pairwise_sum(std_per_class.data(), n_classes) /
                               static_cast<double>(n_classes);
      const double samples = detail::numpy_pairwise_sum(&per_fold[i * n_classes], n_classes);
      const bool close = std::abs(fold_eval - min_eval) <= 1e-8 + 1e-5 * std::abs(min_eval);  // np.isclose
      if (fold_eval < min_eval || (close && samples < min_samples)) {
        min_eval = fold_eval;
        min_samples = samples;
        best = i;
      }
    }
    for (std::size_t c = 0; c < n_classes; ++c) per_fold[best * n_classes + c] += counts[c];
    fold_of_group[static_cast<std::size_t>(group)] = static_cast<index>(best);
  }
  std::vector<index> fold_of(static_cast<std::size_t>(n_rows));
  for (std::size_t r = 0; r < fold_of.size(); ++r) fold_of[r] = fold_of_group[static_cast<std::size_t>(g.code[r])];
  return detail::splits_from_folds(fold_of, n_splits);
}

inline std::vector<split> group_shuffle_split::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  const auto g = detail::group_codes(kind, n_rows, y, groups);
  detail::check_two_groups(kind, g, "one to train on and one to test");
  const auto n_groups = static_cast<index>(g.distinct.size());
  const auto [n_train, n_test] = detail::shuffle_split_sizes(kind, n_groups, test_size, train_size, 0.2, "groups");
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  std::vector<split> out(static_cast<std::size_t>(n_splits));
  std::vector<char> role(g.distinct.size());  // 1: test, 2: train, 0: neither
  for (auto& s : out) {
    const std::vector<index> p = detail::permutation(rng, n_groups);
    std::fill(role.begin(), role.end(), char{0});
    for (index j = 0; j < n_test; ++j) role[static_cast<std::size_t>(p[static_cast<std::size_t>(j)])] = 1;
    for (index j = n_test; j < n_test + n_train; ++j) role[static_cast<std::size_t>(p[static_cast<std::size_t>(j)])] = 2;
    for (index r = 0; r < n_rows; ++r) {
      const char which = role[static_cast<std::size_t>(g.code[static_cast<std::size_t>(r)])];
      if (which == 1) s.test.push_back(r);
      if (which == 2) s.train.push_back(r);
    }
  }
  return out;
}

inline std::vector<split> leave_one_out::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  if (n_rows < 2)
    throw invalid_input("there is 1 row; expected at least 2, as leaving one out must leave rows to train on",
                        kind);
  std::vector<char> tested(static_cast<std::size_t>(n_rows), 0);
  std::vector<split> out;
  out.reserve(tested.size());
  for (std::size_t r = 0; r < tested.size(); ++r) {
    tested[r] = 1;
    out.push_back(detail::split_from_mask(tested));
    tested[r] = 0;
  }
  return out;
}

inline index leave_p_out::get_n_splits(index n_rows, const vector_view&, const row_ids&) const {
  return detail::combinations_count(n_rows, p, std::numeric_limits<index>::max() / 2);
}

inline std::vector<split> leave_p_out::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "p + 1");
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  if (p >= n_rows)
    throw invalid_parameter("p = " + std::to_string(p) + " is not less than the number of rows, " +
                                std::to_string(n_rows) + "; expected p <= " + std::to_string(n_rows - 1),
                            kind);
  const index count = detail::combinations_count(n_rows, p, detail::max_combination_splits);
  if (count > detail::max_combination_splits)
    throw invalid_parameter("p = " + std::to_string(p) + " with " + std::to_string(n_rows) +
                                " rows makes more than 1000000 splits; expected a smaller p or fewer rows, as every "
                                "split is built at once (use shuffle_split to sample test sets instead)",
                            kind);
  std::vector<split> out;
  out.reserve(static_cast<std::size_t>(count));
  std::vector<char> tested(static_cast<std::size_t>(n_rows), 0);
  detail::for_each_combination(n_rows, p, [&](const std::vector<index>& rows) {
    for (const index r : rows) tested[static_cast<std::size_t>(r)] = 1;
    out.push_back(detail::split_from_mask(tested));
    for (const index r : rows) tested[static_cast<std::size_t>(r)] = 0;
  });
  return out;
}

inline index leave_one_group_out::get_n_splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  return static_cast<index>(detail::group_codes(kind, n_rows, y, groups).distinct.size());
}

inline std::vector<split> leave_one_group_out::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  const auto g = detail::group_codes(kind, n_rows, y, groups);
  detail::check_two_groups(kind, g, "as leaving one out must leave a group to train on");
  std::vector<index> fold_of(g.code.begin(), g.code.end());
  return detail::splits_from_folds(fold_of, static_cast<index>(g.distinct.size()));
}

inline index leave_p_groups_out::get_n_splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  return detail::combinations_count(static_cast<index>(detail::group_codes(kind, n_rows, y, groups).distinct.size()),
                                    n_groups,
                                    std::numeric_limits<index>::max() / 2);
}

inline std::vector<split> leave_p_groups_out::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "2");
  const auto g = detail::group_codes(kind, n_rows, y, groups);
  const auto distinct = static_cast<index>(g.distinct.size());
  if (n_groups >= distinct)
    throw invalid_parameter("n_groups = " + std::to_string(n_groups) + " is not less than the number of groups, " +
                                std::to_string(distinct) + "; expected n_groups <= " + std::to_string(distinct - 1) +
                                ", so that some group is left to train on",
                            kind);
  const index count = detail::combinations_count(distinct, n_groups, detail::max_combination_splits);
  if (count > detail::max_combination_splits)
    throw invalid_parameter("n_groups = " + std::to_string(n_groups) + " with " + std::to_string(distinct) +
                                " groups makes more than 1000000 splits; expected a smaller n_groups or fewer groups, "
                                "as every split is built at once (use group_shuffle_split to sample instead)",
                            kind);
  std::vector<split> out;
  out.reserve(static_cast<std::size_t>(count));
  std::vector<char> chosen(g.distinct.size(), 0);
  std::vector<char> tested(static_cast<std::size_t>(n_rows), 0);
  detail::for_each_combination(distinct, n_groups, [&](const std::vector<index>& which) {
    std::fill(chosen.begin(), chosen.end(), char{0});
    for (const index k : which) chosen[static_cast<std::size_t>(k)] = 1;
    for (std::size_t r = 0; r < tested.size(); ++r) tested[r] = chosen[static_cast<std::size_t>(g.code[r])];
    out.push_back(detail::split_from_mask(tested));
  });
  return out;
}

inline std::vector<split> time_series_split::splits(index n_rows, const vector_view& y, const row_ids& groups) const {
  validate_params(*this);
  detail::check_n_rows(kind, n_rows, "n_splits + 1 = " + std::to_string(n_splits + 1));
  detail::check_optional_y(kind, n_rows, y);
  detail::check_optional_groups(kind, n_rows, groups);
  const index n_folds = n_splits + 1;
  if (n_folds > n_rows)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) + " needs n_splits + 1 = " +
                                std::to_string(n_folds) + " rows at least, but there are " + std::to_string(n_rows) +
                                "; expected n_splits <= " + std::to_string(n_rows - 1),
                            kind);
  const index size = test_size > 0 ? test_size : n_rows / n_folds;
  if (n_rows - gap - size * n_splits <= 0)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) + " test sets of " +
                                detail::plural(size, "row") + " after a gap of " + std::to_string(gap) +
                                " leave no rows to train on, as there are " + std::to_string(n_rows) +
                                "; expected n_splits * test_size + gap < " + std::to_string(n_rows),
                            kind);
  std::vector<split> out;
  for (index test_start = n_rows - n_splits * size; test_start < n_rows; test_start += size) {
    split s;
    const index train_end = test_start - gap;
    const index train_start = max_train_size > 0 && max_train_size < train_end ? train_end - max_train_size : 0;
    for (index r = train_start; r < train_end; ++r) s.train.push_back(r);
    for (index r = test_start; r < std::min(test_start + size, n_rows); ++r) s.test.push_back(r);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace mlpipe
