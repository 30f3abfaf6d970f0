#pragma once

#include <functional>
#include <memory>       // std::shared_ptr
#include <string>
#include <vector>

#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/splitters.hpp"

namespace mlpipe {

// any_splitter -- holds any splitter (kfold, stratified_kfold, predefined_split, or your own type with
// `splits(n_rows, y)`), so that search options can take `.cv = stratified_kfold{...}`. Empty means "the default":
// 5-fold, stratified for classifiers, as scikit-learn's cv=None.
class any_splitter {
 public:
  any_splitter() = default;

  template <class Splitter>
    requires requires(const Splitter& s, index n, const vector_view& y) {
      { s.splits(n, y) } -> std::convertible_to<std::vector<split>>;
    }
  any_splitter(Splitter splitter)  // NOLINT(google-explicit-constructor): `.cv = kfold{}` converts
      : splits_([s = std::move(splitter)](index n, const vector_view& y) { return s.splits(n, y); }) {}

  bool empty() const { return !splits_; }
  std::vector<split> splits(index n_rows, const vector_view& y) const { return splits_(n_rows, y); }

 private:
  std::function<std::vector<split>(index, const vector_view&)> splits_;
};

}  // namespace mlpipe
