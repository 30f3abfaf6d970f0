#pragma once

#include <algorithm>    // std::sort
#include <numeric>      // std::iota
#include <span>
#include <vector>

#include "mlpipe/core/types.hpp"

namespace mlpipe::detail {

// sorted_order(key) -- the positions 0..n-1 ordered by key ascending, equal keys by position: a stable sort's
// order. Every "indices sorted by a score" in mlpipe goes through this one function (select_k_best's ranking, the
// ROC AUC's ordering, a search's warm-start order), so the sort is compiled once.
inline std::vector<index> sorted_order(std::span<const double> key) {
  std::vector<index> order(key.size());
  std::iota(order.begin(), order.end(), index{0});
  std::sort(order.begin(), order.end(), [key](index a, index b) {
    const double ka = key[static_cast<std::size_t>(a)];
    const double kb = key[static_cast<std::size_t>(b)];
    return ka < kb || (!(kb < ka) && a < b);
  });
  return order;
}

}  // namespace mlpipe::detail
