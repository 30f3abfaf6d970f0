#pragma once

#include <cmath>        // std::isfinite
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::index_sequence

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/param_value.hpp"

namespace mlpipe {

// unconstrained -- any value of the parameter's type is valid (booleans, enums, strings).
struct unconstrained {
  template <class T>
  constexpr bool contains(const T&) const { return true; }
  std::string describe(std::string_view) const { return {}; }
};

// interval -- the valid range of a numeric hyperparameter, checked when fit starts and named in the message.
struct interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  template <class T>
  constexpr bool contains(const T& t) const {
    const auto x = static_cast<double>(t);
    const bool above = lo_open ? x > lo : x >= lo;
    const bool below = hi_open ? x < hi : x <= hi;
    return above && below;
  }

  // "alpha >= 0", "0 < l1_ratio <= 1".
  std::string describe(std::string_view name) const {
    const bool has_lo = lo != -std::numeric_limits<double>::infinity();
    const bool has_hi = hi != std::numeric_limits<double>::infinity();
    std::string out;
    if (has_lo && has_hi) {
      out = format_double(lo) + (lo_open ? " < " : " <= ") + std::string(name) + (hi_open ? " < " : " <= ") +
            format_double(hi);
    } else if (has_lo) {
      out = std::string(name) + (lo_open ? " > " : " >= ") + format_double(lo);
    } else if (has_hi) {
      out = std::string(name) + (hi_open ? " < " : " <= ") + format_double(hi);
    } else {
      out = std::string(name) + " finite";
    }
    return out;
  }
};

constexpr interval greater_than(double lo) { return {.lo = lo, .lo_open = true}; }
constexpr interval at_least(double lo) { return {.lo = lo}; }
constexpr interval at_most(double hi) { return {.hi = hi}; }
constexpr interval between(double lo, double hi) { return {.lo = lo, .hi = hi}; }  // both ends included

// param_desc -- one hyperparameter of stage S: its compile-time name, where it lives, and its valid range.
template <fixed_string Name, class S, class M, class Range>
struct param_desc {
  static constexpr auto name = Name;
  using owner_type = S;
  using value_type = M;
  M S::*member;
  Range range;
};

// param<"alpha">(&ridge::alpha, at_least(0)) -- lists a hyperparameter in a stage's `params` tuple.
template <fixed_string Name, class S, class M, class Range = unconstrained>
constexpr auto param(M S::*member, Range range = {}) {
  static_assert(parameter_type<M>,
                "mlpipe: this hyperparameter's type cannot be set from a grid or saved; specialize "
                "mlpipe::param_traits (or mlpipe::enum_names for an enum) for it");
  return param_desc<Name, S, M, Range>{member, range};
}

namespace detail {

template <class S>
concept has_params = requires { S::params; };

// Calls f(desc) for each entry of S::params; stops early when f returns true and says whether it did.
template <class S, class F>
constexpr bool find_param(F&& f) {
  if constexpr (has_params<S>) {
    return std::apply([&](const auto&... desc) { return (f(desc) || ...); }, S::params);
  } else {
    return false;
  }
}

template <class S, fixed_string Name>
constexpr bool has_own_param() {
  if constexpr (has_params<S>) {
    return std::apply([](const auto&... desc) { return ((desc.name.view() == Name.view()) || ...); }, S::params);
  } else {
    return false;
  }
}

// The index in S::params of the parameter named Name.
template <class S, fixed_string Name>
constexpr std::size_t own_param_index() {
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(S::params)>>;
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t found = n;
    ((std::get<I>(S::params).name.view() == Name.view() && found == n ? (found = I) : 0), ...);
    return found;
  }(std::make_index_sequence<n>{});
}

// The errors of validate_params, built out of line: the check itself stays a comparison per parameter.
[[noreturn]] inline void throw_not_finite(std::string_view name, double value, const std::string& expected,
                                          std::string_view kind) {
  throw invalid_parameter(std::string(name) + " = " + format_double(value) + " is not a finite number" +
                              (expected.empty() ? std::string() : "; expected " + expected),
                          kind);
}

[[noreturn]] inline void throw_out_of_range(std::string_view name, const param_value& value,
                                            const std::string& expected, std::string_view kind) {
  throw invalid_parameter(std::string(name) + " = " + format_value(value) + " is out of range; expected " + expected,
                          kind);
}

}  // namespace detail

// validate_params(spec) -- checks every hyperparameter of a stage against its declared range and finiteness.
// Stages call it as fit starts; the error names the parameter, the value and the valid range.
template <class S>
void validate_params(const S& spec) {
  detail::find_param<S>([&](const auto& desc) {
    const auto& value = spec.*(desc.member);
    using M = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_floating_point_v<M>) {
      if (!std::isfinite(value))
        detail::throw_not_finite(desc.name.view(), value, desc.range.describe(desc.name.view()), S::kind);
    }
    if (!desc.range.contains(value)) {
      detail::throw_out_of_range(desc.name.view(), param_traits<M>::to_value(value),
                                 desc.range.describe(desc.name.view()), S::kind);
    }
    return false;
  });
}

}  // namespace mlpipe
