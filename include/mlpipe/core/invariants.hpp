#pragma once

#include <algorithm>    // std::sort
#include <cmath>        // std::isfinite, std::isnan
#include <cstdint>      // std::int64_t
#include <limits>
#include <string>
#include <string_view>
#include <utility>      // std::pair
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/params.hpp"       // validate_params
#include "mlpipe/core/types.hpp"

// The checks a fitted type's check_invariants() is made of. load() runs check_invariants() on every stage it reads
// (a model file is untrusted input), so that after a successful load no file can make predict read out of bounds
// or compute with a state fit could not have produced. Each check throws mlpipe::load_error with the stage's kind
// and a uniform message naming the field as the file does ("state.scale", a hyperparameter by its name), the value
// and what was expected:
//   state.support[2] = 99 is out of range; expected 0 <= index < n_features_in = 30

namespace mlpipe::detail {

[[noreturn]] inline void throw_invariant(std::string_view kind, std::string detail) {
  throw load_error(std::move(detail), kind);
}

// "1 row", "3 rows".
inline std::string count_of(index n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// The hyperparameters, by the validate_params that fit runs and then any further checks fit makes of them
// (`more...`, callables); their invalid_parameter becomes a load_error.
template <class Spec, class... More>
void check_params(const Spec& spec, More&&... more) {
  try {
    validate_params(spec);
    (more(), ...);
  } catch (const invalid_parameter& e) {
    throw_invariant(Spec::kind, e.detail());
  }
}

// A state field has `expected` elements: "state.scale has 9 values; expected 10 (one per input feature)".
inline void check_state_size(std::string_view kind, std::string_view name, index size, index expected,
                             std::string_view reason, std::string_view one = "value",
                             std::string_view many = "values") {
  if (size == expected) return;
  throw_invariant(kind, std::string(name) + " has " + count_of(size, one, many) + "; expected " +
                            std::to_string(expected) + " (" + std::string(reason) + ")");
}

// A state field that must not be empty: "state.mean is empty; expected at least one value (one per input feature)".
inline void check_state_not_empty(std::string_view kind, std::string_view name, index size, std::string_view reason) {
  if (size > 0) return;
  throw_invariant(kind, std::string(name) + " is empty; expected at least one value (" + std::string(reason) + ")");
}

// What the values of a state field may be, beyond finite.
enum class state_bound { any, non_negative, positive };

// Every value finite (or nan, where nan_means says what a nan stands for) and within the bound:
// "state.scale[2] = 0 is out of range; expected finite values > 0".
inline void check_state_values(std::string_view kind, std::string_view name, const vector& v,
                               state_bound bound = state_bound::any, std::string_view nan_means = {}) {
  const auto within = [bound](double x) {
    return bound == state_bound::any || (bound == state_bound::non_negative ? x >= 0.0 : x > 0.0);
  };
  for (index i = 0; i < v.size(); ++i) {
    const double x = v(i);
    if (std::isnan(x) && !nan_means.empty()) continue;
    if (std::isfinite(x) && within(x)) continue;
    std::string expected = "finite values";
    if (bound == state_bound::non_negative) expected += " >= 0";
    if (bound == state_bound::positive) expected += " > 0";
    if (!nan_means.empty()) expected += ", or nan " + std::string(nan_means);
    throw_invariant(kind, std::string(name) + "[" + std::to_string(i) + "] = " + format_double(x) +
                              (std::isfinite(x) ? " is out of range" : " is not finite") + "; expected " + expected);
  }
}

// Every coefficient of a state matrix finite: "state.coef(0, 3) = nan is not finite; expected finite values".
inline void check_state_values(std::string_view kind, std::string_view name, const matrix& m) {
  for (index j = 0; j < m.cols(); ++j) {
    for (index i = 0; i < m.rows(); ++i) {
      if (std::isfinite(m(i, j))) continue;
      throw_invariant(kind, std::string(name) + "(" + std::to_string(i) + ", " + std::to_string(j) +
                                ") = " + format_double(m(i, j)) + " is not finite; expected finite values");
    }
  }
}

// How the indices of a state field are ordered.
enum class index_order {
  increasing,  // strictly increasing (a selector's support, a remainder's columns)
  distinct     // any order, no index twice (the columns a stage sees, in the order it sees them)
};

// Indices into something of `bound` elements (named bound_name): each in [0, bound), ordered as asked.
//   state.support[2] = 99 is out of range; expected 0 <= index < n_features_in = 30
//   state.support[2] = 1 is not greater than state.support[1] = 1; expected strictly increasing indices
//   state.columns[3] = 0 repeats state.columns[1]; expected distinct indices
inline void check_state_indices(std::string_view kind, std::string_view name, const std::vector<index>& indices,
                                index bound, std::string_view bound_name, index_order order = index_order::increasing) {
  const auto at = [&](std::size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; };
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const index c = indices[i];
    if (c < 0 || c >= bound) {
      throw_invariant(kind, at(i) + " = " + std::to_string(c) + " is out of range; expected 0 <= index < " +
                                std::string(bound_name) + " = " + std::to_string(bound));
    }
    if (order == index_order::increasing && i > 0 && c <= indices[i - 1]) {
      throw_invariant(kind, at(i) + " = " + std::to_string(c) + " is not greater than " + at(i - 1) + " = " +
                                std::to_string(indices[i - 1]) + "; expected strictly increasing indices");
    }
  }
  if (order != index_order::distinct || indices.size() < 2) return;
  // Sorted (value, position) pairs put a repeated index next to its first occurrence; report the earliest repeat.
  std::vector<std::pair<index, std::size_t>> sorted(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) sorted[i] = {indices[i], i};
  std::sort(sorted.begin(), sorted.end());
  std::size_t repeat = indices.size();
  std::size_t first = 0;
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first == sorted[i - 1].first && sorted[i].second < repeat) {
      repeat = sorted[i].second;
      first = sorted[i - 1].second;
    }
  }
  if (repeat < indices.size()) {
    throw_invariant(kind, at(repeat) + " = " + std::to_string(indices[repeat]) + " repeats " + at(first) +
                              "; expected distinct indices");
  }
}

// A classifier's labels: at least two, finite, strictly ascending.
//   state.classes has 1 value; expected at least 2 classes
//   state.classes[1] = 0 is not greater than state.classes[0] = 1; expected distinct classes in ascending order
inline void check_state_classes(std::string_view kind, std::string_view name, const vector& classes) {
  if (classes.size() < 2) {
    throw_invariant(kind, std::string(name) + " has " + count_of(classes.size(), "value", "values") +
                              "; expected at least 2 classes");
  }
  check_state_values(kind, name, classes);
  for (index i = 1; i < classes.size(); ++i) {
    if (classes(i) > classes(i - 1)) continue;
    throw_invariant(kind, std::string(name) + "[" + std::to_string(i) + "] = " + format_double(classes(i)) +
                              " is not greater than " + std::string(name) + "[" + std::to_string(i - 1) + "] = " +
                              format_double(classes(i - 1)) + "; expected distinct classes in ascending order");
  }
}

// A counter within [lo, hi]; hi_name names the upper bound (empty: there is none).
//   state.n_iter = -1 is out of range; expected 0 <= state.n_iter <= max_iter = 100
//   state.n_samples_seen = 0 is out of range; expected state.n_samples_seen >= 1
inline void check_state_count(std::string_view kind, std::string_view name, std::int64_t value, std::int64_t lo,
                              std::int64_t hi = std::numeric_limits<std::int64_t>::max(),
                              std::string_view hi_name = {}) {
  if (value >= lo && value <= hi) return;
  const std::string n(name);
  throw_invariant(kind, n + " = " + std::to_string(value) + " is out of range; expected " +
                            (hi_name.empty() ? n + " >= " + std::to_string(lo)
                                             : std::to_string(lo) + " <= " + n + " <= " + std::string(hi_name) +
                                                   " = " + std::to_string(hi)));
}

// One stage's output width against the next one's input width, in a chain of steps:
//   step 'select' outputs 9 features but step 'model' was fitted on 10; expected each step's output to be the next
//   step's input
inline void check_chain_width(std::string_view kind, std::string_view from, index n_out, std::string_view to,
                              index n_in) {
  if (n_out == n_in) return;
  throw_invariant(kind, "step '" + std::string(from) + "' outputs " + count_of(n_out, "feature", "features") +
                            " but step '" + std::string(to) + "' was fitted on " + std::to_string(n_in) +
                            "; expected each step's output to be the next step's input");
}

// A fitted step's own check, when its type has one (a user's stage may not), the error naming the step as in_step
// does: step 'select' (select_k_best): state.support[2] = 99 is out of range; ...
template <class FittedStep>
void check_step_invariants(const FittedStep& s) {
  if constexpr (requires { s.fitted.check_invariants(); })
    in_step(FittedStep::name.view(), FittedStep::fitted_type::kind, [&] { s.fitted.check_invariants(); });
}

}  // namespace mlpipe::detail
