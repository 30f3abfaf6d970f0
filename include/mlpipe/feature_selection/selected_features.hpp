#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/types.hpp"

// What every fitted selector shares: the kept columns (support), transform, transform_one, inverse_transform,
// support_mask and feature_names_out.

namespace mlpipe {
namespace detail {

// scikit-learn's default feature names for an input without names: "x0", "x1", ...
inline std::vector<std::string> default_feature_names(index n) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (index j = 0; j < n; ++j) out.push_back("x" + std::to_string(j));
  return out;
}

// The names of the kept columns; input_names empty means x0, x1, ...
inline std::vector<std::string> selected_names(std::string_view kind, const std::vector<std::string>& input_names,
                                               const std::vector<index>& support, index n_features_in) {
  if (!input_names.empty() && static_cast<index>(input_names.size()) != n_features_in) {
    throw invalid_input("feature_names_out got " + std::to_string(input_names.size()) + " input names; expected " +
                            std::to_string(n_features_in) + ", one per input feature (or none)",
                        kind);
  }
  const std::vector<std::string> names = input_names.empty() ? default_feature_names(n_features_in) : input_names;
  std::vector<std::string> out;
  out.reserve(support.size());
  for (index j : support) out.push_back(names[static_cast<std::size_t>(j)]);
  return out;
}

// The operations on a selection: n_features_in input columns, of which `support` (ascending) are kept.

// One flag per input column: kept or not (scikit-learn's get_support()).
inline std::vector<bool> support_mask(index n_features_in, const std::vector<index>& support) {
  std::vector<bool> mask(static_cast<std::size_t>(n_features_in), false);
  for (index j : support) mask[static_cast<std::size_t>(j)] = true;
  return mask;
}

// The kept columns of X.
inline matrix select_columns(std::string_view kind, const matrix_view& X, index n_features_in,
                             const std::vector<index>& support) {
  check_predict_input(kind, X, n_features_in);
  matrix out = new_matrix(X.rows(), static_cast<index>(support.size()));
  for (std::size_t j = 0; j < support.size(); ++j) out.col(static_cast<index>(j)) = X.col(support[j]);
  return out;
}

// One row, no allocation: out[j] = in[support[j]].
inline void select_row(std::string_view kind, std::span<const double> in, std::span<double> out, index n_features_in,
                       const std::vector<index>& support) {
  check_row(kind, in, n_features_in);
  for (std::size_t j = 0; j < support.size(); ++j) out[j] = in[static_cast<std::size_t>(support[j])];
}

// Xt (the kept columns) back at their input positions, zeros elsewhere (scikit-learn's inverse_transform).
inline matrix restore_columns(std::string_view kind, const matrix_view& Xt, index n_features_in,
                              const std::vector<index>& support) {
  if (Xt.cols() != static_cast<index>(support.size())) {
    throw invalid_input("inverse_transform got " + std::to_string(Xt.cols()) + " columns; expected " +
                            std::to_string(support.size()) + ", the number of kept features",
                        kind);
  }
  check_finite(kind, Xt);
  matrix X = matrix::Zero(Xt.rows(), n_features_in);
  for (std::size_t j = 0; j < support.size(); ++j) X.col(support[j]) = Xt.col(static_cast<index>(j));
  return X;
}

// selected_features<Derived> -- the outputs every fitted selector shares, from its kind, support() (the kept input
// columns, ascending) and n_features_in(): a base class, so that each selector states only what it learns.
template <class Derived>
class selected_features {
 public:
  // One flag per input column: kept or not (scikit-learn's get_support()).
  std::vector<bool> support_mask() const { return detail::support_mask(self().n_features_in(), self().support()); }
  // The number of kept features.
  index n_features_out() const { return static_cast<index>(self().support().size()); }
  // The kept columns of X, in ascending order.
  matrix transform(const matrix_view& X) const {
    return select_columns(Derived::kind, X, self().n_features_in(), self().support());
  }
  // One row, no allocation: out[j] = in[support()[j]].
  void transform_one(std::span<const double> in, std::span<double> out) const {
    select_row(Derived::kind, in, out, self().n_features_in(), self().support());
  }
  // The kept columns back at their input positions, zeros elsewhere (scikit-learn's inverse_transform).
  matrix inverse_transform(const matrix_view& Xt) const {
    return restore_columns(Derived::kind, Xt, self().n_features_in(), self().support());
  }
  // The names of the kept features, from the input's (empty: x0, x1, ...) (scikit-learn's get_feature_names_out).
  std::vector<std::string> feature_names_out(const std::vector<std::string>& input_names = {}) const {
    return selected_names(Derived::kind, input_names, self().support(), self().n_features_in());
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace detail
}  // namespace mlpipe
