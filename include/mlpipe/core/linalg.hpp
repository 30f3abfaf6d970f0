#pragma once

#include <algorithm>  // std::min
#include <cmath>      // std::sqrt
#include <cstddef>

#include "mlpipe/core/types.hpp"

// Small dense kernels that the solvers share. Eigen's LLT and LDLT pull in its blocked triangular machinery,
// about a second of compile time in every program that fits a model; the symmetric positive definite systems
// here (Newton steps, at most a few thousand unknowns) need only the textbook algorithm, which is as fast as
// Eigen's unblocked LDLT on them. Templates, so only programs that call them compile them.
namespace mlpipe::detail {

// cholesky_in_place -- overwrites the lower triangle of the symmetric matrix A with L, A = L L^T, and returns true;
// returns false (A then holds partial results) when a pivot is not positive and finite, i.e. A is not numerically
// positive definite. The strict upper triangle is neither read nor written.
template <class Deferred = void>
bool cholesky_in_place(matrix& A) {
  const index n = A.rows();
  double* a = A.data();
  for (index j = 0; j < n; ++j) {
    double* col_j = a + j * n;
    // Left-looking: subtract the contributions of the columns already factored, column by column (contiguous).
    for (index k = 0; k < j; ++k) {
      const double* col_k = a + k * n;
      const double l_jk = col_k[j];
      if (l_jk == 0.0) continue;
      for (index i = j; i < n; ++i) col_j[i] -= col_k[i] * l_jk;
    }
    const double pivot = col_j[j];
    if (!(pivot > 0.0) || !std::isfinite(pivot)) return false;
    const double l_jj = std::sqrt(pivot);
    col_j[j] = l_jj;
    for (index i = j + 1; i < n; ++i) col_j[i] /= l_jj;
  }
  return true;
}

// cholesky_solve_in_place -- replaces b by the solution x of L L^T x = b, with L from cholesky_in_place.
template <class Deferred = void>
void cholesky_solve_in_place(const matrix& L, vector& b) {
  const index n = L.rows();
  const double* l = L.data();
  double* x = b.data();
  for (index j = 0; j < n; ++j) {  // L y = b, column by column
    const double* col_j = l + j * n;
    x[j] /= col_j[j];
    for (index i = j + 1; i < n; ++i) x[i] -= col_j[i] * x[j];
  }
  for (index j = n; j-- > 0;) {  // L^T x = y, a dot product with each column
    const double* col_j = l + j * n;
    double sum = x[j];
    for (index i = j + 1; i < n; ++i) sum -= col_j[i] * x[i];
    x[j] = sum / col_j[j];
  }
}

// multiply -- C = alpha * A B, and multiply_transposed -- C = alpha * A^T B, with C sized by the caller. Every
// solver's products go through these two, on Eigen::Ref views, so a program compiles Eigen's matrix product for
// two expression types instead of one per call site.
template <class Deferred = void>
void multiply(Eigen::Ref<matrix> C, const matrix_view& A, const matrix_view& B, double alpha = 1.0) {
  C.noalias() = alpha * (A * B);
}

template <class Deferred = void>
void multiply_transposed(Eigen::Ref<matrix> C, const matrix_view& A, const matrix_view& B, double alpha = 1.0) {
  C.noalias() = alpha * (A.transpose() * B);
}

// prefetch_lines -- the cache lines of a block of columns (pointers to `rows` contiguous values each) that a kernel
// asks the memory for ahead of their use, one line per next(): a pass over a matrix larger than the caches otherwise
// waits on memory at the first read of each block, while the kernel's own arithmetic could have hidden the fetch.
class prefetch_lines {
 public:
  prefetch_lines() = default;
  prefetch_lines(const double* const* cols, index n_cols, index rows)
      : cols_(cols), per_column_((rows * static_cast<index>(sizeof(double)) + line - 1) / line),
        size_(per_column_ * n_cols) {}

  // The number of lines, and how many were asked for so far.
  index size() const { return size_; }
  index asked() const { return done_; }

  // Asks for the next line (nothing once all were asked for). Only a hint: the values read are unchanged.
  void next() {
    if (done_ == size_) return;
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(reinterpret_cast<const char*>(cols_[done_ / per_column_]) + line * (done_ % per_column_));
#endif
    ++done_;
  }

 private:
  static constexpr index line = 64;  // bytes of a cache line
  const double* const* cols_ = nullptr;
  index per_column_ = 0, size_ = 0, done_ = 0;
};

// weighted_gram_tile -- the NJ x NK dot products sum_i cols[j][i] w[i] cols[k][i] of columns j in [j0, j0 + NJ)
// and k in [k0, k0 + NK), added into G(j, k) where k <= j; a packet of rows at a time, each product in its own
// accumulator (NJ x NK registers). With Ahead, it also asks ahead for one line every `every` packets.
template <int NJ, int NK, bool Ahead>
void weighted_gram_tile(Eigen::Ref<matrix> G, const double* const* cols, const double* w, index rows, index j0,
                        index k0, prefetch_lines* ahead, index every) {
  namespace ei = Eigen::internal;
  using packet = ei::packet_traits<double>::type;
  constexpr index width = ei::packet_traits<double>::size;
  packet acc[NJ][NK];
  for (int a = 0; a < NJ; ++a)
    for (int b = 0; b < NK; ++b) acc[a][b] = ei::pset1<packet>(0.0);
  index i = 0;
  [[maybe_unused]] index countdown = every;
  for (; i + width <= rows; i += width) {
    if constexpr (Ahead) {
      if (--countdown == 0) {
        countdown = every;
        ahead->next();
      }
    }
    const packet wi = ei::ploadu<packet>(w + i);
    packet wk[NK];
    // Unrolled at every optimization level, so that acc and wk live in registers: at -O2, g++ 12 keeps such small
    // loops rolled and the accumulators in memory, which made the whole search half as fast again.
#pragma GCC unroll 4
    for (int b = 0; b < NK; ++b) wk[b] = ei::pmul(wi, ei::ploadu<packet>(cols[k0 + b] + i));
#pragma GCC unroll 4
    for (int a = 0; a < NJ; ++a) {
      const packet xj = ei::ploadu<packet>(cols[j0 + a] + i);
#pragma GCC unroll 4
      for (int b = 0; b < NK; ++b) acc[a][b] = ei::pmadd(xj, wk[b], acc[a][b]);
    }
  }
  for (int a = 0; a < NJ; ++a) {
    for (int b = 0; b < NK; ++b) {
      if (k0 + b > j0 + a) continue;  // the strict upper triangle
      double sum = ei::predux(acc[a][b]);
      for (index r = i; r < rows; ++r) sum += cols[j0 + a][r] * (w[r] * cols[k0 + b][r]);
      G(j0 + a, k0 + b) += sum;
    }
  }
}

// add_weighted_gram_lower's tiles: gram_tile_j x gram_tile_k columns at a time, over the lower triangle of p x p.
inline constexpr index gram_tile_j = 4;
inline constexpr index gram_tile_k = 2;

// How many tiles add_weighted_gram_tiles computes for p columns: ceil((j0 + nj) / gram_tile_k) per row of tiles.
inline index gram_tile_count(index p) {
  index tiles = 0;
  for (index j0 = 0; j0 < p; j0 += gram_tile_j)
    tiles += (j0 + std::min(gram_tile_j, p - j0) + gram_tile_k - 1) / gram_tile_k;
  return tiles;
}

// add_weighted_gram_lower's tiles (with Ahead, asking for a line every `every` packets).
template <bool Ahead>
void add_weighted_gram_tiles(Eigen::Ref<matrix> G, const double* const* cols, const double* w, index rows,
                             prefetch_lines* ahead, index every) {
  const index p = G.rows();
  for (index j0 = 0; j0 < p; j0 += gram_tile_j) {
    const index nj = std::min(gram_tile_j, p - j0);
    for (index k0 = 0; k0 < j0 + nj; k0 += gram_tile_k) {
      const bool pair = k0 + 1 < j0 + nj;  // a second column k0 + 1 within the lower triangle's reach
      switch (nj * 2 + (pair ? 1 : 0)) {
        case 2: weighted_gram_tile<1, 1, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 3: weighted_gram_tile<1, 2, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 4: weighted_gram_tile<2, 1, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 5: weighted_gram_tile<2, 2, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 6: weighted_gram_tile<3, 1, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 7: weighted_gram_tile<3, 2, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        case 8: weighted_gram_tile<4, 1, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
        default: weighted_gram_tile<4, 2, Ahead>(G, cols, w, rows, j0, k0, ahead, every); break;
      }
    }
  }
}

// add_weighted_gram_lower -- G += A^T diag(w) A on G's lower triangle (the strict upper triangle is neither read nor
// written), where A's columns are given as pointers to `rows` contiguous values each (a column of ones makes an
// intercept's row): the weighted products read where the columns lie, without the packed or scaled copies a
// general matrix product makes; for the small p x p Gram matrices of Newton's method on a block of rows. With ahead,
// it asks for ahead's lines too, spread evenly over its own loads, so that their fetching overlaps its arithmetic
// (the caller's next block of rows, on data larger than the caches).
template <class Deferred = void>
void add_weighted_gram_lower(Eigen::Ref<matrix> G, const double* const* cols, const double* w, index rows,
                             prefetch_lines* ahead = nullptr) {
  constexpr index width = Eigen::internal::packet_traits<double>::size;
  const index tiles = gram_tile_count(G.rows());
  const index packets = rows / width;
  const index per_tile = ahead == nullptr || tiles == 0 ? 0 : (ahead->size() + tiles - 1) / tiles;
  if (per_tile == 0 || packets == 0) {
    add_weighted_gram_tiles<false>(G, cols, w, rows, nullptr, 0);
  } else {
    const index every = std::max<index>(1, packets / per_tile);  // packets between two lines asked for
    add_weighted_gram_tiles<true>(G, cols, w, rows, ahead, every);
  }
  while (ahead != nullptr && ahead->asked() < ahead->size()) ahead->next();  // what the loads left (few rows)
}

}  // namespace mlpipe::detail
