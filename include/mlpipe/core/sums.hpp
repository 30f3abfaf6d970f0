#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "mlpipe/core/types.hpp"

// Sums whose bits depend only on the values summed and their order, never on where they lie in memory: the
// reductions of statistics that must agree for equal columns (univariate scores, a scaler's means and variances).
namespace mlpipe::detail {

// N sums over count terms: term(t) for t = 0, 1, ... gives one value per sum, added to lane t % 4 of each; the
// lanes are added up in a fixed order at the end. A sum then depends only on the values and their order: Eigen's
// vectorized sums start their packets at the first aligned element, so the same values at another column of X
// (another alignment) were added in another order, and two identical columns could score a rounding apart (which
// breaks scikit-learn's tie rule in select_k_best) or be scaled a rounding apart. Four independent chains also run
// about four times as fast as one, and a term can compute its values (a deviation and its square) from the data
// instead of reading them from a temporary array.
template <std::size_t N, class Term>
std::array<double, N> lane_sums(index count, const Term& term) {
  std::array<double, N> a{}, b{}, c{}, d{};  // the lanes, named so that they stay in registers
  const auto add = [](std::array<double, N>& lane, const std::array<double, N>& v) {
#pragma GCC unroll 8
    for (std::size_t s = 0; s < N; ++s) lane[s] += v[s];  // unrolled at -O2 too, so the lanes stay in registers
  };
  index t = 0;
  for (; t + 4 <= count; t += 4) {
    add(a, term(t));
    add(b, term(t + 1));
    add(c, term(t + 2));
    add(d, term(t + 3));
  }
  if (t < count) add(a, term(t));
  if (t + 1 < count) add(b, term(t + 1));
  if (t + 2 < count) add(c, term(t + 2));
  std::array<double, N> out;
  for (std::size_t s = 0; s < N; ++s) out[s] = (a[s] + b[s]) + (c[s] + d[s]);
  return out;
}

// The sum of count terms term(t) (one value each), as lane_sums adds them.
template <class Term>
double lane_sum(index count, const Term& term) {
  return lane_sums<1>(count, [&](index t) { return std::array<double, 1>{term(t)}; })[0];
}

// The sum of v's values in order, as lane_sum adds them.
inline double ordered_sum(const vector_view& v) {
  return lane_sum(v.size(), [&](index i) { return v(i); });
}

inline double ordered_sum(std::span<const double> v) {
  return lane_sum(static_cast<index>(v.size()), [&](index t) { return v[static_cast<std::size_t>(t)]; });
}

}  // namespace mlpipe::detail
