#pragma once

#include <Eigen/Core>

namespace mlpipe {

// matrix -- rows are samples, columns are features; column-major so per-feature work is contiguous.
using matrix = Eigen::MatrixXd;
// vector -- a target, a column of scores or coefficients.
using vector = Eigen::VectorXd;
// matrix_view -- how stages take input: binds to a matrix, a block of one or a Map over user memory, without a copy.
using matrix_view = Eigen::Ref<const matrix>;
// vector_view -- how stages take targets: binds to a vector, a column or a Map, without a copy.
using vector_view = Eigen::Ref<const vector>;
// index -- Eigen's signed index type, used for rows, columns and counts.
using index = Eigen::Index;

}  // namespace mlpipe
