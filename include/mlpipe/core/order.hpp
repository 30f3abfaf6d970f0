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
// value is looked up in the short sorted list found so far, without copying or sorting all n values; past 64
// distinct values it sorts a copy instead.
inline std::vector<double> sorted_distinct(const Eigen::Ref<const vector>& values) {
  constexpr std::size_t few = 64;
  std::vector<double> out;
  for (index i = 0; i < values.size(); ++i) {
    const double x = values(i);
    const auto at = std::lower_bound(out.begin(), out.end(), x);
    if (at != out.end() && *at == x) continue;
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

}  // namespace mlpipe::detail
