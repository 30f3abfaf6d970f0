#pragma once

#include <cmath>        // std::isfinite, std::isnan, std::trunc
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"

// Input checks every stage runs at its fit and predict boundaries: one vectorized pass when all is well, a
// precise message (row, column, value) when it is not.

namespace mlpipe::detail {

// Matrices this thread knows to be finite: a search checks a split's transformed rows once and marks them while its
// tasks fit and score on them, so each fit and transform of each candidate need not scan them again.
struct finite_marks {
  static constexpr int capacity = 8;
  const double* data[capacity] = {};
  index rows[capacity] = {};
  index cols[capacity] = {};
  int count = 0;
};

inline finite_marks& thread_finite_marks() {
  thread_local finite_marks marks;
  return marks;
}

// Whether X is exactly (same memory, same shape) a matrix marked finite on this thread.
inline bool marked_finite(const matrix_view& X) {
  const finite_marks& marks = thread_finite_marks();
  for (int i = 0; i < marks.count; ++i) {
    if (marks.data[i] == X.data() && marks.rows[i] == X.rows() && marks.cols[i] == X.cols() &&
        X.outerStride() == X.rows())
      return true;
  }
  return false;
}

// known_finite_scope -- while it lives, this thread treats the given matrices (which the caller has checked, and
// which must outlive the scope unchanged) as finite. Scopes nest; past the capacity, matrices are simply not marked.
class known_finite_scope {
 public:
  known_finite_scope() = default;  // marks nothing
  known_finite_scope(std::initializer_list<const matrix*> matrices) {
    finite_marks& marks = thread_finite_marks();
    for (const matrix* m : matrices) {
      if (marks.count == finite_marks::capacity) break;
      marks.data[marks.count] = m->data();
      marks.rows[marks.count] = m->rows();
      marks.cols[marks.count] = m->cols();
      ++marks.count;
      ++added_;
    }
  }
  known_finite_scope(const known_finite_scope&) = delete;
  known_finite_scope& operator=(const known_finite_scope&) = delete;
  ~known_finite_scope() { thread_finite_marks().count -= added_; }

 private:
  int added_ = 0;
};

// Whether every value is finite, in one branch-free vectorized pass: x * 0 is 0 for finite x and NaN for NaN or
// infinity, so the sum is 0 exactly when all are finite (about 5x faster than Eigen's allFinite, which matters on
// predict paths that check every block). A matrix marked finite on this thread (known_finite_scope) is not scanned.
inline bool all_finite(const matrix_view& X) {
  if (marked_finite(X)) return true;
  double zero = 0.0;
  for (index j = 0; j < X.cols(); ++j) zero += (X.col(j).array() * 0.0).sum();
  return zero == 0.0;
}

inline bool all_finite(const vector_view& v) { return (v.array() * 0.0).sum() == 0.0; }
inline bool all_finite(const matrix& X) { return all_finite(matrix_view(X)); }  // a matrix binds to both views

inline void check_not_empty(std::string_view kind, const matrix_view& X) {
  if (X.rows() == 0 || X.cols() == 0) {
    throw invalid_input("X is empty (" + std::to_string(X.rows()) + " rows, " + std::to_string(X.cols()) +
                            " columns); expected at least one row and one column",
                        kind);
  }
}

inline void check_finite(std::string_view kind, const matrix_view& X) {
  if (all_finite(X)) return;
  for (index j = 0; j < X.cols(); ++j) {
    for (index i = 0; i < X.rows(); ++i) {
      if (!std::isfinite(X(i, j))) {
        throw invalid_input("X has " + format_double(X(i, j)) + " at row ", i,
                            ", column " + std::to_string(j) +
                                "; expected finite values (impute missing values first, e.g. with simple_imputer)",
                            kind);
      }
    }
  }
}

// One target per row of X; kind names the stage or function in the error (empty: none).
inline void check_target_rows(std::string_view kind, const matrix_view& X, const vector_view& y) {
  if (y.size() != X.rows()) {
    throw invalid_input("y has " + std::to_string(y.size()) + " values but X has " + std::to_string(X.rows()) +
                            " rows; expected one target per row",
                        kind);
  }
}

inline void check_target(std::string_view kind, const matrix_view& X, const vector_view& y) {
  check_target_rows(kind, X, y);
  if (all_finite(y)) return;
  for (index i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y(i))) {
      throw invalid_input("y has " + format_double(y(i)) + " at row ", i, "; expected finite targets", kind);
    }
  }
}

// What a classifier needs of y: class labels, i.e. integer values (as doubles), as scikit-learn's type_of_target
// tells a classification target from a continuous one. Names the first value with a fractional part; run after
// check_target, which rejects non-finite targets.
inline void check_class_labels(std::string_view kind, const vector_view& y) {
  for (index i = 0; i < y.size(); ++i) {
    if (std::trunc(y(i)) != y(i)) {
      throw invalid_input("y has " + format_double(y(i)) + " at row ", i,
                          ", which is not a class label; expected integer class labels (y looks continuous: "
                          "fit a regressor such as ridge to real-valued targets)",
                          kind);
    }
  }
}

// Columns whose largest magnitude is above this are summed in scaled units (x times a power of two, which is exact)
// by the fits that square them: below it n x^2 cannot overflow for any realistic n, so ordinary data keeps the
// plain arithmetic and its bits.
inline constexpr double large_magnitude = 1e150;

// The error for a column whose statistic (what: a variance, a range) does not fit in a double, in the fit of kind.
[[noreturn]] inline void throw_too_large(std::string_view kind, index column, double largest, std::string_view what,
                                         std::string_view expected) {
  throw invalid_input("X column " + std::to_string(column) + " has values too large in magnitude (up to " +
                          format_double(largest) + "): its " + std::string(what) +
                          " is beyond the largest double; expected " + std::string(expected) +
                          " (rescale the column first)",
                      kind);
}

// Rejects infinities in X, naming the first one; NaN (a missing value) passes. For stages that read NaN as missing.
inline void check_no_infinity(std::string_view kind, const matrix_view& X) {
  if (!X.array().isInf().any()) return;
  for (index j = 0; j < X.cols(); ++j) {
    for (index i = 0; i < X.rows(); ++i) {
      if (std::isinf(X(i, j))) {
        throw invalid_input("X has " + format_double(X(i, j)) + " at row ", i,
                            ", column " + std::to_string(j) + "; expected finite values, or nan for a missing value",
                            kind);
      }
    }
  }
}

// What X must be for fit: non-empty, and finite, or, for stages that handle missing values (allow_nan), free of
// infinities.
inline void check_fit_input(std::string_view kind, const matrix_view& X, bool allow_nan = false) {
  check_not_empty(kind, X);
  if (allow_nan) check_no_infinity(kind, X);
  else check_finite(kind, X);
}

// What a supervised stage needs at fit: a valid X and one finite target per row.
inline void check_fit_input(std::string_view kind, const matrix_view& X, const vector_view& y) {
  check_fit_input(kind, X);
  check_target(kind, X, y);
}

// What X must be at transform or predict: as many columns as at fit, at least one row, finite (or, with allow_nan,
// free of infinities).
inline void check_predict_input(std::string_view kind, const matrix_view& X, index n_features_in,
                                bool allow_nan = false) {
  if (X.cols() != n_features_in) {
    throw invalid_input("X has " + std::to_string(X.cols()) + " columns but this step was fitted on " +
                            std::to_string(n_features_in) + "; expected " + std::to_string(n_features_in) +
                            " columns",
                        kind);
  }
  check_not_empty(kind, X);
  if (allow_nan) check_no_infinity(kind, X);
  else check_finite(kind, X);
}

// A row with as many values as features at fit (a composite's transform_one, whose steps check the values).
inline void check_row_width(std::string_view kind, std::span<const double> row, index n_features_in) {
  if (static_cast<index>(row.size()) != n_features_in) {
    throw invalid_input("the row has " + std::to_string(row.size()) + " values but this step was fitted on " +
                            std::to_string(n_features_in) + " features; expected " + std::to_string(n_features_in) +
                            " values",
                        kind);
  }
}

// What one row must be for transform_one / predict_one: as many values as features at fit, all finite (NaN allowed,
// as a missing value, for stages that handle it).
inline void check_row(std::string_view kind, std::span<const double> row, index n_features_in, bool allow_nan = false) {
  check_row_width(kind, row, n_features_in);
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (allow_nan ? std::isinf(row[j]) : !std::isfinite(row[j])) {
      throw invalid_input("the row has " + format_double(row[j]) + " at column " + std::to_string(j) +
                              (allow_nan ? "; expected finite values, or nan for a missing value"
                                         : "; expected finite values (impute missing values first, e.g. with "
                                           "simple_imputer)"),
                          kind);
    }
  }
}

}  // namespace mlpipe::detail
