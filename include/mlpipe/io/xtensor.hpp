#pragma once

// xtensor adapters (opt-in, not included by mlpipe.hpp: xtensor's headers are heavy). mlpipe's matrices are
// column-major (rows are samples, columns features), so:
//  - as_matrix(a) / as_vector(a) view an array of doubles without a copy when its memory already has that layout
//    (xt::xtensor<double, 2, xt::layout_type::column_major>, a column-major xt::xarray<double>, a 1-D array);
//    the result binds to matrix_view / vector_view, so every stage's fit and predict take it as it is;
//  - to_matrix(e) / to_vector(e) / to_dataset(X, y) copy any array or expression once (row-major, strided, float,
//    integer), converting its values to double.
// Neither checks the values: NaN and infinities reach the stages, whose fit and predict refuse them as they refuse
// them in any matrix.

#include <cstddef>      // std::ptrdiff_t, std::size_t
#include <string>
#include <type_traits>
#include <utility>      // std::move
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xlayout.hpp>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// xt_matrix_map -- as_matrix's result: a column-major matrix over an array's memory (binds to matrix_view, no copy).
using xt_matrix_map = Eigen::Map<const matrix, 0, Eigen::OuterStride<>>;
// xt_vector_map -- as_vector's result: a vector over a 1-D array's memory (binds to vector_view, no copy).
using xt_vector_map = Eigen::Map<const vector>;

namespace detail {

// An xtensor array or view whose elements sit in memory at strides (containers, adaptors, strided views).
template <class E>
concept xt_strided = requires(const E& a) {
  a.data();
  a.data_offset();
  a.strides();
  a.shape();
};

// The number of dimensions known at compile time (xt::xtensor), or -1 (xt::xarray and other dynamic ranks).
template <class E>
constexpr int xt_static_rank() {
  using shape_type = std::decay_t<decltype(std::declval<const E&>().shape())>;
  if constexpr (requires { std::tuple_size<shape_type>::value; })
    return static_cast<int>(std::tuple_size<shape_type>::value);
  else
    return -1;
}

// "(3, 4)" -- a shape or strides as xtensor and numpy print them.
template <class Sequence>
std::string xt_tuple_text(const Sequence& values) {
  std::string out = "(";
  std::size_t i = 0;
  for (const auto v : values) out += (i++ > 0 ? ", " : "") + std::to_string(v);
  return out + (i == 1 ? ",)" : ")");
}

template <class E>
void xt_check_rank(const E& a, std::size_t rank, const char* who) {
  if (a.shape().size() != rank) {
    throw invalid_input("the array has " + std::to_string(a.shape().size()) + " dimensions (shape " +
                            xt_tuple_text(a.shape()) + "); expected " + std::to_string(rank) +
                            (rank == 2 ? " (rows x features)" : " (one value per row)"),
                        who);
  }
}

}  // namespace detail

// as_matrix(a) -- a 2-D array of doubles (rows x features) as a matrix view over its memory, no copy. The array must
// be column-major (each column contiguous, columns at any stride of at least the row count); a row-major or strided
// array needs a copy: to_matrix(a) makes it. The array must outlive the view.
template <class E>
  requires detail::xt_strided<E>
xt_matrix_map as_matrix(const E& a) {
  static_assert(std::is_same_v<std::remove_cv_t<typename E::value_type>, double>,
                "mlpipe: as_matrix views arrays of double only; copy and convert others with mp::to_matrix(a)");
  static_assert(detail::xt_static_rank<E>() == -1 || detail::xt_static_rank<E>() == 2,
                "mlpipe: as_matrix takes a 2-D array (rows x features)");
  detail::xt_check_rank(a, 2, "as_matrix");
  const auto rows = static_cast<index>(a.shape()[0]);
  const auto cols = static_cast<index>(a.shape()[1]);
  const auto row_stride = static_cast<std::ptrdiff_t>(a.strides()[0]);
  const auto col_stride = static_cast<std::ptrdiff_t>(a.strides()[1]);
  // xtensor gives a dimension of extent 1 the stride 0: its stride never matters.
  const bool rows_contiguous = rows <= 1 || row_stride == 1;
  const bool columns_apart = cols <= 1 || col_stride >= rows;
  if (!rows_contiguous || !columns_apart) {
    const bool row_major = (cols <= 1 || col_stride == 1) && (rows <= 1 || row_stride == cols);
    throw invalid_input(
        std::string("the array of shape ") + detail::xt_tuple_text(a.shape()) + " has strides " +
            detail::xt_tuple_text(a.strides()) + (row_major ? " (row-major)" : "") +
            ": mlpipe's matrices are column-major, so viewing it needs a copy; expected a column-major array "
            "(xt::xtensor<double, 2, xt::layout_type::column_major>), or copy it with mp::to_matrix(a)",
        "as_matrix");
  }
  const index outer = cols <= 1 ? rows : static_cast<index>(col_stride);
  return xt_matrix_map(a.data() + a.data_offset(), rows, cols, Eigen::OuterStride<>(outer));
}

// as_vector(a) -- a 1-D array of doubles (a target, one value per row) as a vector view over its memory, no copy.
// The elements must be contiguous; a strided array needs a copy: to_vector(a) makes it.
template <class E>
  requires detail::xt_strided<E>
xt_vector_map as_vector(const E& a) {
  static_assert(std::is_same_v<std::remove_cv_t<typename E::value_type>, double>,
                "mlpipe: as_vector views arrays of double only; copy and convert others with mp::to_vector(a)");
  static_assert(detail::xt_static_rank<E>() == -1 || detail::xt_static_rank<E>() == 1,
                "mlpipe: as_vector takes a 1-D array (one value per row)");
  detail::xt_check_rank(a, 1, "as_vector");
  const auto n = static_cast<index>(a.shape()[0]);
  if (n > 1 && a.strides()[0] != 1) {
    throw invalid_input("the array of shape " + detail::xt_tuple_text(a.shape()) + " has stride " +
                            std::to_string(a.strides()[0]) +
                            ": viewing it needs a copy; expected contiguous elements, or copy it with mp::to_vector(a)",
                        "as_vector");
  }
  return xt_vector_map(a.data() + a.data_offset(), n);
}

// to_matrix(e) -- a copy of any 2-D array or expression (any layout, strides or arithmetic value type) as a matrix.
template <class E>
matrix to_matrix(const xt::xexpression<E>& expression) {
  const E& a = expression.derived_cast();
  static_assert(std::is_arithmetic_v<std::remove_cv_t<typename E::value_type>>,
                "mlpipe: to_matrix converts arrays of numbers only");
  detail::xt_check_rank(a, 2, "to_matrix");
  matrix out(static_cast<index>(a.shape()[0]), static_cast<index>(a.shape()[1]));
  for (index j = 0; j < out.cols(); ++j)
    for (index i = 0; i < out.rows(); ++i)
      out(i, j) = static_cast<double>(a(static_cast<std::size_t>(i), static_cast<std::size_t>(j)));
  return out;
}

// to_vector(e) -- a copy of any 1-D array or expression (a target) as a vector.
template <class E>
vector to_vector(const xt::xexpression<E>& expression) {
  const E& a = expression.derived_cast();
  static_assert(std::is_arithmetic_v<std::remove_cv_t<typename E::value_type>>,
                "mlpipe: to_vector converts arrays of numbers only");
  detail::xt_check_rank(a, 1, "to_vector");
  vector out(static_cast<index>(a.shape()[0]));
  for (index i = 0; i < out.size(); ++i) out(i) = static_cast<double>(a(static_cast<std::size_t>(i)));
  return out;
}

// to_dataset(X, y, names) -- a dataset (one copy of each array) from xtensor features and target; features are named
// x0, x1, ... unless names are given (one per column).
template <class EX, class EY>
dataset to_dataset(const xt::xexpression<EX>& X, const xt::xexpression<EY>& y,
                   std::vector<std::string> feature_names = {}, std::string target_name = "target") {
  dataset out{to_matrix(X), to_vector(y), std::move(feature_names), std::move(target_name)};
  if (out.y.size() != out.X.rows()) {
    throw invalid_input("y has " + std::to_string(out.y.size()) + " values but X has " +
                            std::to_string(out.X.rows()) + " rows; expected one target per row",
                        "to_dataset");
  }
  if (out.feature_names.empty()) {
    for (index j = 0; j < out.X.cols(); ++j) out.feature_names.push_back("x" + std::to_string(j));
  } else if (static_cast<index>(out.feature_names.size()) != out.X.cols()) {
    throw invalid_input(std::to_string(out.feature_names.size()) + " feature names for " +
                            std::to_string(out.X.cols()) + " columns; expected one name per column",
                        "to_dataset");
  }
  return out;
}

}  // namespace mlpipe
