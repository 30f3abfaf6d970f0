#pragma once

#include <cmath>    // std::sqrt
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

// add_gram_lower -- G += alpha * A^T A on G's lower triangle (the strict upper triangle is neither read nor
// written): a symmetric rank-k update, half the work of the full product.
template <class Deferred = void>
void add_gram_lower(Eigen::Ref<matrix> G, const matrix_view& A, double alpha = 1.0) {
  G.selfadjointView<Eigen::Lower>().rankUpdate(A.transpose(), alpha);
}

}  // namespace mlpipe::detail
