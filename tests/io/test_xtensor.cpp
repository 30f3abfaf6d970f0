// The opt-in xtensor adapters (mlpipe/io/xtensor.hpp): views without a copy where the layout allows, one copy where
// it does not, and precise errors for arrays that cannot be viewed.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "mlpipe/io/xtensor.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

namespace test_xtensor_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using column_major_tensor = xt::xtensor<double, 2, xt::layout_type::column_major>;

// A 6 x 3 matrix of distinct values and a target.
mp::matrix sample_X() {
  mp::matrix X(6, 3);
  for (mp::index i = 0; i < 6; ++i)
    for (mp::index j = 0; j < 3; ++j)
      X(i, j) = 0.5 * static_cast<double>(i * i) - 1.25 * static_cast<double>(j) + 0.1 * static_cast<double>(i * j);
  return X;
}
mp::vector sample_y() {
  mp::vector y(6);
  y << 1.0, -2.0, 0.5, 3.0, 4.5, -1.0;
  return y;
}

template <class Array>
Array filled(const mp::matrix& X) {
  Array a = Array::from_shape({static_cast<std::size_t>(X.rows()), static_cast<std::size_t>(X.cols())});
  for (mp::index i = 0; i < X.rows(); ++i)
    for (mp::index j = 0; j < X.cols(); ++j) a(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) = X(i, j);
  return a;
}

TEST_CASE("column-major xtensor arrays are viewed as matrices without a copy", "[io][xtensor]") {
  const mp::matrix X = sample_X();
  const mp::vector y = sample_y();
  const auto tensor = filled<column_major_tensor>(X);
  const mp::matrix_view view = mp::as_matrix(tensor);
  CHECK(view.data() == tensor.data());  // bound to the array's memory
  CHECK(view == X);

  xt::xarray<double, xt::layout_type::dynamic> dynamic(std::vector<std::size_t>{6, 3}, xt::layout_type::column_major);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 3; ++j) dynamic(i, j) = X(static_cast<mp::index>(i), static_cast<mp::index>(j));
  const mp::matrix_view dynamic_view = mp::as_matrix(dynamic);
  CHECK(dynamic_view.data() == dynamic.data());
  CHECK(dynamic_view == X);

  // A block of whole columns of a column-major array is strided only between columns: still a view.
  auto columns = xt::view(tensor, xt::all(), xt::range(1, 3));
  const mp::matrix_view block = mp::as_matrix(columns);
  CHECK(block.data() == tensor.data() + 6);
  CHECK(block == X.rightCols(2));

  xt::xtensor<double, 1> target = xt::zeros<double>({6});
  for (std::size_t i = 0; i < 6; ++i) target(i) = y(static_cast<mp::index>(i));
  const mp::vector_view y_view = mp::as_vector(target);
  CHECK(y_view.data() == target.data());
  CHECK(y_view == y);

  // Stages take the views as they are: the same fit as on the copied matrix.
  CHECK(mp::ridge{.alpha = 0.5}.fit(mp::as_matrix(tensor), mp::as_vector(target)).coef() ==
        mp::ridge{.alpha = 0.5}.fit(X, y).coef());
  // A single row or column (xtensor gives its extent-1 dimension the stride 0) views as well.
  const column_major_tensor one_row = filled<column_major_tensor>(X.topRows(1));
  CHECK(mp::as_matrix(one_row) == X.topRows(1));
  const xt::xtensor<double, 2> one_column = filled<xt::xtensor<double, 2>>(X.leftCols(1));
  CHECK(mp::as_matrix(one_column) == X.leftCols(1));
}

TEST_CASE("row-major, strided and non-double arrays are copied once by to_matrix and to_dataset", "[io][xtensor]") {
  const mp::matrix X = sample_X();
  const mp::vector y = sample_y();
  const auto row_major = filled<xt::xtensor<double, 2>>(X);
  CHECK(mp::to_matrix(row_major) == X);
  CHECK(mp::to_matrix(xt::xarray<double>(row_major)) == X);
  CHECK(mp::to_matrix(xt::view(row_major, xt::range(0, 6, 2), xt::all())) == X(Eigen::seq(0, 5, 2), Eigen::all));
  const xt::xtensor<float, 2> as_float = xt::cast<float>(row_major);
  CHECK(mp::to_matrix(as_float) == X.cast<float>().cast<double>());
  const xt::xtensor<std::int64_t, 1> labels = {3, 7, 12};
  CHECK(mp::to_vector(labels) == mp::test::values({3, 7, 12}));

  xt::xtensor<double, 1> target = xt::zeros<double>({6});
  for (std::size_t i = 0; i < 6; ++i) target(i) = y(static_cast<mp::index>(i));
  const mp::dataset d = mp::to_dataset(row_major, target);
  CHECK(d.X == X);
  CHECK(d.y == y);
  CHECK(d.feature_names == std::vector<std::string>{"x0", "x1", "x2"});
  CHECK(d.target_name == "target");
  CHECK(mp::to_dataset(row_major, target, {"a", "b", "c"}, "y").feature_names ==
        std::vector<std::string>{"a", "b", "c"});
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::to_dataset(row_major, labels); }) ==
        "to_dataset: y has 3 values but X has 6 rows; expected one target per row");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::to_dataset(row_major, target, {"a"}); }) ==
        "to_dataset: 1 feature names for 3 columns; expected one name per column");
}

TEST_CASE("arrays that cannot be viewed are refused with what to do instead", "[io][xtensor]") {
  const mp::matrix X = sample_X();
  const auto row_major = filled<xt::xtensor<double, 2>>(X);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::as_matrix(row_major); }) ==
        "as_matrix: the array of shape (6, 3) has strides (3, 1) (row-major): mlpipe's matrices are column-major, so "
        "viewing it needs a copy; expected a column-major array "
        "(xt::xtensor<double, 2, xt::layout_type::column_major>), or copy it with mp::to_matrix(a)");
  const auto column_major = filled<column_major_tensor>(X);
  auto every_other_row = xt::view(column_major, xt::range(0, 6, 2), xt::all());
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::as_matrix(every_other_row); }) ==
        "as_matrix: the array of shape (3, 3) has strides (2, 6): mlpipe's matrices are column-major, so viewing it "
        "needs a copy; expected a column-major array (xt::xtensor<double, 2, xt::layout_type::column_major>), or copy "
        "it with mp::to_matrix(a)");
  const xt::xarray<double> cube = xt::zeros<double>({2, 3, 4});
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::as_matrix(cube); }) ==
        "as_matrix: the array has 3 dimensions (shape (2, 3, 4)); expected 2 (rows x features)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::as_vector(cube); }) ==
        "as_vector: the array has 3 dimensions (shape (2, 3, 4)); expected 1 (one value per row)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::to_matrix(cube); }) ==
        "to_matrix: the array has 3 dimensions (shape (2, 3, 4)); expected 2 (rows x features)");
  auto column = xt::view(row_major, xt::all(), 1);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::as_vector(column); }) ==
        "as_vector: the array of shape (6,) has stride 3: viewing it needs a copy; expected contiguous elements, or "
        "copy it with mp::to_vector(a)");
  CHECK(mp::to_vector(column) == X.col(1));
}

TEST_CASE("a view's NaN and infinities reach the stages' own input checks", "[io][xtensor]") {
  mp::matrix X = sample_X();
  X(2, 1) = std::numeric_limits<double>::quiet_NaN();
  X(4, 0) = std::numeric_limits<double>::infinity();
  const auto tensor = filled<column_major_tensor>(X);
  const std::string expected = error_message<mp::invalid_input>([&] { (void)mp::standard_scaler{}.fit(X); });
  CHECK(expected == "standard_scaler: X has inf at row 4, column 0; expected finite values (impute missing values "
                    "first, e.g. with simple_imputer)");  // the first in column order
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::standard_scaler{}.fit(mp::as_matrix(tensor)); }) == expected);
}

}  // namespace test_xtensor_tests
