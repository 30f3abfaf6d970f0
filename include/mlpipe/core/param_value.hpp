#pragma once

#include <array>
#include <charconv>     // std::to_chars
#include <cmath>        // std::isfinite, std::trunc
#include <cstdint>      // std::int64_t
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>      // std::pair
#include <variant>
#include <vector>

#include "mlpipe/core/text.hpp"

namespace mlpipe {

// param_value -- a hyperparameter's value when it comes from a grid, a file or a command line.
using param_value = std::variant<bool, std::int64_t, double, std::string, std::vector<double>>;

// enum_names<E> -- specialize with `static constexpr std::array values{std::pair{E::a, "a"}, ...}` to let
// an enum hyperparameter be set from, and saved as, its name.
template <class E>
struct enum_names;

// The shortest text that reads back as the same double ("0.1", "1e-08", "nan").
inline std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

// A value as it would be written in a grid or a message: true, 5, 0.1, "l2", [0, 1].
inline std::string format_value(const param_value& v) {
  struct {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return format_double(d); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(const std::vector<double>& list) const {
      std::string out = "[";
      out += detail::join_formatted(list, format_double);
      return out + "]";
    }
  } visitor;
  return std::visit(visitor, v);
}

// What kind of value it is, for messages: "a boolean", "an integer", ...
inline std::string_view value_kind(const param_value& v) {
  constexpr std::array<std::string_view, 5> names{"a boolean", "an integer", "a real number", "a string",
                                                  "a list of numbers"};
  return names[v.index()];
}

template <class E>
concept named_enum = std::is_enum_v<E> && requires { enum_names<E>::values; };

// param_traits<T> -- how a hyperparameter of type T converts to and from a param_value.
// from_value returns nothing when the value has the wrong type; `expected` says what it should be.
template <class T>
struct param_traits;

template <>
struct param_traits<bool> {
  static constexpr std::string_view expected = "a boolean";
  static std::optional<bool> from_value(const param_value& v) {
    if (const bool* b = std::get_if<bool>(&v)) return *b;
    return std::nullopt;
  }
  static param_value to_value(bool b) { return b; }
};

template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
struct param_traits<T> {
  static constexpr std::string_view expected =
      std::is_signed_v<T> ? "an integer" : "a non-negative integer";
  static std::optional<T> from_value(const param_value& v) {
    std::int64_t i = 0;
    if (const auto* p = std::get_if<std::int64_t>(&v)) {
      i = *p;
    } else if (const auto* d = std::get_if<double>(&v)) {  // 5.0 from a file is the integer 5
      if (!std::isfinite(*d) || std::trunc(*d) != *d || std::abs(*d) > 9.0e15) return std::nullopt;
      i = static_cast<std::int64_t>(*d);
    } else {
      return std::nullopt;
    }
    if constexpr (std::is_signed_v<T>) {
      if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min())) return std::nullopt;
    } else {
      if (i < 0) return std::nullopt;
    }
    if (static_cast<std::uint64_t>(i > 0 ? i : 0) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
      return std::nullopt;
    return static_cast<T>(i);
  }
  static param_value to_value(T t) { return static_cast<std::int64_t>(t); }
};

template <class T>
  requires std::is_floating_point_v<T>
struct param_traits<T> {
  static constexpr std::string_view expected = "a real number";
  static std::optional<T> from_value(const param_value& v) {
    if (const auto* d = std::get_if<double>(&v)) return static_cast<T>(*d);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<T>(*i);
    return std::nullopt;
  }
  static param_value to_value(T t) { return static_cast<double>(t); }
};

template <>
struct param_traits<std::string> {
  static constexpr std::string_view expected = "a string";
  static std::optional<std::string> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return std::nullopt;
  }
  static param_value to_value(const std::string& s) { return s; }
};

template <>
struct param_traits<std::pair<double, double>> {
  static constexpr std::string_view expected = "a list of two numbers";
  static std::optional<std::pair<double, double>> from_value(const param_value& v) {
    const auto* list = std::get_if<std::vector<double>>(&v);
    if (list == nullptr || list->size() != 2) return std::nullopt;
    return std::pair{(*list)[0], (*list)[1]};
  }
  static param_value to_value(const std::pair<double, double>& p) { return std::vector<double>{p.first, p.second}; }
};

template <named_enum E>
struct param_traits<E> {
  static inline const std::string expected = [] {
    std::string out = "one of";
    for (std::size_t i = 0; i < enum_names<E>::values.size(); ++i)
      out += (i ? ", \"" : " \"") + std::string(enum_names<E>::values[i].second) + "\"";
    return out;
  }();
  static std::optional<E> from_value(const param_value& v) {
    const auto* s = std::get_if<std::string>(&v);
    if (s == nullptr) return std::nullopt;
    for (const auto& [value, name] : enum_names<E>::values)
      if (name == *s) return value;
    return std::nullopt;
  }
  static param_value to_value(E e) {
    for (const auto& [value, name] : enum_names<E>::values)
      if (value == e) return std::string(name);
    return std::string("?");
  }
};

// A hyperparameter type mlpipe can set from a grid or a file and save.
template <class T>
concept parameter_type = requires(const T& t, const param_value& v) {
  { param_traits<T>::from_value(v) } -> std::same_as<std::optional<T>>;
  { param_traits<T>::to_value(t) } -> std::same_as<param_value>;
  param_traits<T>::expected;
};

}  // namespace mlpipe
