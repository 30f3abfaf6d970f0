#pragma once

#include <concepts>     // std::convertible_to
#include <functional>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/splitters.hpp"

namespace mlpipe {

// any_splitter -- holds any splitter (kfold, group_kfold, time_series_split, ..., or your own type with
// `splits(n_rows, y)` or `splits(n_rows, y, groups)`), so that options can take `.cv = stratified_kfold{...}`.
// Empty means "the default": 5-fold, stratified for classifiers, as scikit-learn's cv=None. A splitter without a
// groups parameter ignores the groups, as scikit-learn's do.
class any_splitter {
 public:
  any_splitter() = default;

  template <class Splitter>
    requires requires(const Splitter& s, index n, const vector_view& y) {
      { s.splits(n, y) } -> std::convertible_to<std::vector<split>>;
    } || requires(const Splitter& s, index n, const vector_view& y, const row_ids& groups) {
      { s.splits(n, y, groups) } -> std::convertible_to<std::vector<split>>;
    }
  any_splitter(Splitter splitter)  // NOLINT(google-explicit-constructor): `.cv = kfold{}` converts
      : splits_([s = std::move(splitter)](index n, const vector_view& y, const row_ids& groups) -> std::vector<split> {
          if constexpr (requires { s.splits(n, y, groups); }) {
            return s.splits(n, y, groups);
          } else {
            return s.splits(n, y);
          }
        }) {
    if constexpr (requires { std::string_view(Splitter::kind); }) {
      kind_ = Splitter::kind;
    } else {
      kind_ = "custom";
    }
  }

  // Whether no splitter is held (the default splits are meant).
  bool empty() const { return !splits_; }
  // The held splitter's splits of n_rows rows with targets y and (for group splitters) one group id per row.
  std::vector<split> splits(index n_rows, const vector_view& y, const row_ids& groups = {}) const {
    return splits_(n_rows, y, groups);
  }
  // The held splitter's kind ("group_kfold"), "custom" for a type without one, empty when none is held.
  std::string_view kind() const { return kind_; }

 private:
  std::function<std::vector<split>(index, const vector_view&, const row_ids&)> splits_;
  std::string_view kind_;
};

}  // namespace mlpipe
