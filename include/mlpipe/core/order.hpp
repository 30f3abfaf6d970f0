#pragma once

#include <algorithm>    // std::sort, std::lower_bound, std::unique
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

// sorted_distinct(values) -- the distinct values, ascending (class labels from a target). Labels are few, so each
// value is compared with every value found so far (no branch that depends on the value: labels in random order
// would defeat a binary search's branch prediction), without copying or sorting all n values; past 64 distinct
// values it sorts a copy instead.
inline std::vector<double> sorted_distinct(const Eigen::Ref<const vector>& values) {
  constexpr std::size_t few = 64;
  std::vector<double> out;
  for (index i = 0; i < values.size(); ++i) {
    const double x = values(i);
    bool seen = false;
    for (const double v : out) seen |= v == x;
    if (seen) continue;
    const auto at = std::lower_bound(out.begin(), out.end(), x);
    if (out.size() == few) {
      out.assign(values.data(), values.data() + values.size());
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    }
    out.insert(at, x);
  }
  return out;
}

// position_in(sorted, x) -- the index of x in sorted distinct values (sorted_distinct's), where x is one of them:
// for a few values, the count of those below x (no branch on x, as above), else a binary search.
inline index position_in(const std::vector<double>& sorted, double x) {
  if (sorted.size() > 16) return std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  index below = 0;
  for (const double v : sorted) below += v < x ? 1 : 0;
  return below;
}

}  // namespace mlpipe::detail
