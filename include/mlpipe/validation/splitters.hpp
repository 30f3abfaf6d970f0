#pragma once

#include <algorithm>    // std::sort, std::unique, std::lower_bound, std::max
#include <cmath>        // std::isfinite, std::trunc
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

// Cross-validation splitters: seeded, deterministic, and fold for fold the same as scikit-learn 1.2's KFold,
// StratifiedKFold and PredefinedSplit (shuffled ones included, through numpy_random_state).

namespace mlpipe {

// split -- one cross-validation split: the rows to fit on and the rows to score on, each in ascending order.
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

// splitter -- a hyperparameter aggregate that cuts n_rows rows (with their targets y) into splits.
template <class C>
concept splitter = requires(const C& cv, index n_rows, const vector_view& y) {
  { C::kind } -> std::convertible_to<std::string_view>;
  { cv.splits(n_rows, y) } -> std::same_as<std::vector<split>>;
  { cv.get_n_splits() } -> std::convertible_to<index>;
};

// kfold -- consecutive folds of (optionally shuffled) rows, as scikit-learn's KFold: the first n_rows % n_splits
// folds have one row more than the others. y is ignored (it may be empty).
struct kfold {
  static constexpr std::string_view kind = "kfold";

  index n_splits = 5;     // number of folds; 2 <= n_splits <= the number of rows
  bool shuffle = false;   // shuffle the rows before cutting them into folds (each fold's rows stay ascending)
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state) when shuffle; 0 <= seed < 2^32

  static constexpr auto params = std::tuple{param<"n_splits">(&kfold::n_splits, at_least(2)),
                                            param<"shuffle">(&kfold::shuffle),
                                            param<"seed">(&kfold::seed, between(0, 4294967295.0))};

  // The n_splits splits of rows 0 .. n_rows - 1, in scikit-learn's order.
  std::vector<split> splits(index n_rows, const vector_view& y = vector()) const;
  // The number of splits that splits() returns (scikit-learn's get_n_splits).
  index get_n_splits() const { return n_splits; }
};

// stratified_kfold -- folds that keep each class's share of the rows, as scikit-learn's StratifiedKFold: classes
// are numbered by first appearance in y, each class's rows are dealt to the folds in blocks (shuffled per class
// when shuffle), and fold sizes differ by at most one row.
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
  std::vector<split> splits(index n_rows, const vector_view& y) const;
  // The number of splits that splits() returns (scikit-learn's get_n_splits).
  index get_n_splits() const { return n_splits; }
};

// predefined_split -- the folds a user already has, as scikit-learn's PredefinedSplit: split i tests the rows
// whose fold id is the i-th smallest id and trains on all other rows; rows with id -1 are never tested. One fold
// plus some -1 rows is a train/validation holdout. y is ignored (it may be empty).
struct predefined_split {
  static constexpr std::string_view kind = "predefined_split";

  row_ids test_fold;  // the test fold of each row: an id >= 0, or -1 for a row that is only trained on (any integer vector)

  // test_fold is data (one id per row), not a hyperparameter to tune, so it is not listed.
  static constexpr auto params = std::tuple{};

  // One split per distinct fold id, in ascending id order; n_rows must be test_fold's length.
  std::vector<split> splits(index n_rows, const vector_view& y = vector()) const;
  // The number of distinct fold ids other than -1.
  index get_n_splits() const;
};

namespace detail {

// Splits from a fold number per row: split i < n_folds tests the rows of fold i and trains on all the others;
// rows with a number >= n_folds are never tested.
inline std::vector<split> splits_from_folds(const std::vector<index>& fold_of, index n_folds) {
  std::vector<index> size(static_cast<std::size_t>(n_folds), 0);
  for (const index f : fold_of)
    if (f < n_folds) ++size[static_cast<std::size_t>(f)];
  std::vector<split> out(static_cast<std::size_t>(n_folds));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].test.reserve(static_cast<std::size_t>(size[i]));
    out[i].train.reserve(fold_of.size() - static_cast<std::size_t>(size[i]));
    for (std::size_t r = 0; r < fold_of.size(); ++r)
      (fold_of[r] == static_cast<index>(i) ? out[i].test : out[i].train).push_back(static_cast<index>(r));
  }
  return out;
}

// n_rows must be a count, and there must be at least one row per fold (scikit-learn's check in _BaseKFold.split).
inline void check_fold_count(std::string_view kind, index n_rows, index n_splits) {
  if (n_rows < 0)
    throw invalid_input("n_rows = " + std::to_string(n_rows) + " is negative; expected the number of rows to split",
                        kind);
  if (n_rows == 0)
    throw invalid_input("there are no rows to split; expected at least n_splits = " + std::to_string(n_splits) +
                            " rows",
                        kind);
  if (n_splits > n_rows)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) + " is greater than the number of rows, " +
                                std::to_string(n_rows) + "; expected n_splits <= " + std::to_string(n_rows),
                            kind);
}

// Splitters that ignore y accept none (an empty vector) or one value per row.
inline void check_optional_y(std::string_view kind, index n_rows, const vector_view& y) {
  if (y.size() != 0 && y.size() != n_rows)
    throw invalid_input("y has " + std::to_string(y.size()) + (y.size() == 1 ? " value" : " values") +
                            " but there are " + std::to_string(n_rows) + " rows; expected one target per row (or none)",
                        kind);
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

}  // namespace detail

inline std::vector<split> kfold::splits(index n_rows, const vector_view& y) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  detail::check_optional_y(kind, n_rows, y);
  std::vector<index> order(static_cast<std::size_t>(n_rows));
  std::iota(order.begin(), order.end(), index{0});
  if (shuffle) numpy_random_state(static_cast<std::uint32_t>(seed)).shuffle(std::span<index>(order));
  // Fold i is the next n_rows / n_splits (+ 1 for the first n_rows % n_splits folds) rows of the order.
  std::vector<index> fold_of(order.size());
  std::size_t position = 0;
  for (index i = 0; i < n_splits; ++i) {
    const index size = n_rows / n_splits + (i < n_rows % n_splits ? 1 : 0);
    for (index k = 0; k < size; ++k) fold_of[static_cast<std::size_t>(order[position++])] = i;
  }
  return detail::splits_from_folds(fold_of, n_splits);
}

inline std::vector<split> stratified_kfold::splits(index n_rows, const vector_view& y) const {
  validate_params(*this);
  detail::check_fold_count(kind, n_rows, n_splits);
  if (y.size() != n_rows)
    throw invalid_input("y has " + std::to_string(y.size()) + (y.size() == 1 ? " value" : " values") +
                            " but there are " + std::to_string(n_rows) + " rows; expected one class label per row",
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

  // Classes numbered by first appearance (scikit-learn's y_encoded); std::map, like np.unique, takes -0 as 0.
  std::map<double, std::size_t> code_of;
  std::vector<std::vector<index>> rows_of;  // each class's rows, ascending
  for (index r = 0; r < n_rows; ++r) {
    const auto [it, inserted] = code_of.try_emplace(y(r), rows_of.size());
    if (inserted) rows_of.emplace_back();
    rows_of[it->second].push_back(r);
  }
  std::size_t largest = 0;
  for (const auto& rows : rows_of) largest = std::max(largest, rows.size());
  if (static_cast<std::size_t>(n_splits) > largest)
    throw invalid_parameter("n_splits = " + std::to_string(n_splits) +
                                " is greater than the number of members in every class (the largest has " +
                                std::to_string(largest) + "); expected n_splits <= " + std::to_string(largest),
                            kind);

  // Deal the class-sorted rows to the folds round robin (scikit-learn's allocation, np.bincount(y_order[i::n_splits]));
  // class k's fold numbers are those of its positions in that order, sorted into blocks (0, 0, 1, 1, 2, ...), then
  // shuffled per class from one stream and given to the class's rows in ascending order.
  const auto folds = static_cast<std::size_t>(n_splits);
  numpy_random_state rng(static_cast<std::uint32_t>(seed));
  std::vector<index> fold_of(static_cast<std::size_t>(n_rows));
  std::vector<index> folds_for_class;
  std::size_t position = 0;
  for (const auto& rows : rows_of) {
    folds_for_class.clear();
    for (std::size_t m = 0; m < rows.size(); ++m) folds_for_class.push_back(static_cast<index>(position++ % folds));
    std::sort(folds_for_class.begin(), folds_for_class.end());
    if (shuffle) rng.shuffle(std::span<index>(folds_for_class));
    for (std::size_t m = 0; m < rows.size(); ++m) fold_of[static_cast<std::size_t>(rows[m])] = folds_for_class[m];
  }
  return detail::splits_from_folds(fold_of, n_splits);
}

inline std::vector<split> predefined_split::splits(index n_rows, const vector_view& y) const {
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

inline index predefined_split::get_n_splits() const {
  return static_cast<index>(detail::predefined_fold_ids(test_fold).size());
}

}  // namespace mlpipe
