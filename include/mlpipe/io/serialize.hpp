#pragma once

#include <algorithm>    // std::min, std::max
#include <cerrno>
#include <chrono>
#include <cmath>        // std::isnan, std::isinf
#include <cstddef>      // std::byte
#include <limits>
#include <cstdint>
#include <ctime>        // std::gmtime, std::strftime
#include <filesystem>
#include <fstream>
#include <iterator>     // std::istreambuf_iterator
#include <optional>
#include <random>       // std::random_device (temp-file names)
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::index_sequence, std::pair
#include <vector>

#include <dirent.h>     // opendir, readdir (abandoned temporary files)
#include <fcntl.h>      // open, openat
#include <sys/file.h>   // flock
#include <sys/stat.h>   // fstat, fstatat
#include <unistd.h>     // write, fsync, close, unlinkat

#include <nlohmann/json.hpp>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/text.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/version.hpp"

// save(fitted, path) and load<Fitted>(path): one versioned envelope for every fitted stage or pipeline,
//   { "format": "mlpipe", "format_version": 1, "library_version": "0.1.0",
//     "signature": "pipeline(scale:standard_scaler,model:ridge)",
//     "metadata": { "n_features_in": 10, "saved_at": "2026-11-26T10:00:00Z" },
//     "model": { "kind": "pipeline", "schema_version": 1,
//                "steps": [ { "name": "scale", "kind": "standard_scaler", "schema_version": 1,
//                             "params": {...}, "state": {...} }, ... ] } }
// as JSON (.json), CBOR (.cbor) or MessagePack (.msgpack). Doubles round-trip exactly in all three (JSON writes
// the shortest decimal that reads back as the same double; NaN and infinities are written as "nan", "inf",
// "-inf"). Loading checks the format, the signature, every stage's kind and schema version and then its learned
// state (the stage's check_invariants: shapes, index ranges, classes, finite numbers, hyperparameters), and names
// the first thing that differs.
//
// A model file is untrusted input. Loading bounds what a file can make it do: arrays and objects nest at most
// max_nesting_depth (128) levels in every format, every integer is range-checked before it is converted, a matrix's
// rows x cols is checked for overflow and against its data before anything is allocated (so nothing is allocated
// beyond what the file's own size justifies), and an error message quotes at most a few hundred characters of the
// file (detail::excerpt). load_from_bytes does the same from memory.
//
// save is crash-safe: the bytes go to a temporary file next to the target, which is fsynced, renamed over the
// target, and the folder fsynced; a save killed at any moment leaves the old or the new complete file, and the next
// save to the same path removes the temporary file a killed save left behind (never one a live save is writing).
//
// The two binary formats are compiled only into programs that include <mlpipe/io/binary_formats.hpp> (in any one
// source file): nlohmann/json's binary reader brings CBOR, MessagePack, UBJSON, BJData and BSON together, about a
// second of compile time in every file that saves or loads. Without it, save and load of .cbor/.msgpack throw an
// error that names the header.

namespace mlpipe {

// file_format -- how a model's bytes are written: JSON (.json), CBOR (.cbor) or MessagePack (.msgpack, .mpk).
enum class file_format { json, cbor, msgpack };

namespace detail {

using json = nlohmann::json;

template <class T>
concept has_steps_type = requires { typename T::steps_type; };
template <class T>
concept has_inner_type = requires { typename T::inner_type; };
template <class T>
concept serializable_fitted = requires { T::kind; T::schema_version; };
template <class T>
concept spec_with_params = requires { T::kind; T::params; };
// A fitted type whose graph is known only at run time (any_model, <mlpipe/dynamic.hpp>): it writes its own node and
// signature, and reads itself back with decode_node.
template <class T>
concept dynamic_fitted = requires(const T& t, T& u, json& node, const json& in, const std::string& where) {
  t.encode(node);
  { t.signature() } -> std::convertible_to<std::string>;
  u.decode_node(in, where);
};

// The graph's shape as text, from the fitted type alone: kinds, and step names where there are steps.
template <class F>
std::string signature() {
  std::string out(F::kind);
  if constexpr (has_steps_type<F>) {
    out += "(";
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((out += std::string(I ? "," : "") + std::string(std::tuple_element_t<I, typename F::steps_type>::name.view()) +
               ":" + signature<typename std::tuple_element_t<I, typename F::steps_type>::fitted_type>()),
       ...);
    }(std::make_index_sequence<std::tuple_size_v<typename F::steps_type>>{});
    out += ")";
  } else if constexpr (has_inner_type<F>) {
    out += "(" + signature<typename F::inner_type>() + ")";
  }
  return out;
}

// The signature of a fitted node, read from the node: its kind, then its steps ("pipeline(a:standard_scaler,b:ridge)")
// or its one inner fitted node ("rfe(logistic_regression)"); a one_of names none of its alternatives. Where a fitted
// type holds an any_model (its type signature says "any_model"), the node says what the model really is.
inline std::string signature_of_node(const json& node) {
  std::string out = node.at("kind").get<std::string>();
  if (const auto steps = node.find("steps"); steps != node.end() && steps->is_array()) {
    out += "(";
    for (std::size_t i = 0; i < steps->size(); ++i)
      out += (i ? "," : "") + (*steps)[i].at("name").get<std::string>() + ":" + signature_of_node((*steps)[i]);
    return out + ")";
  }
  if (out == "one_of") return out;  // fitted_one_of's signature names no alternative: any of them loads
  if (const auto state = node.find("state"); state != node.end() && state->is_object()) {
    for (const auto& member : *state)
      if (member.is_object() && member.contains("kind") && member.contains("schema_version"))
        return out + "(" + signature_of_node(member) + ")";
  }
  return out;
}

// Whether a file's signature is the one a type expects, where each "any_model" of the type's signature (a run-time
// model inside a static pipeline) stands for any one signature: "pipeline(scale:standard_scaler,model:any_model)"
// matches "pipeline(scale:standard_scaler,model:ridge)".
inline bool signature_matches(std::string_view expected, std::string_view file) {
  constexpr std::string_view wildcard = "any_model";
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < expected.size()) {
    const std::size_t after = i + wildcard.size();
    const bool starts_token = i == 0 || expected[i - 1] == ':' || expected[i - 1] == '(';
    const bool is_wildcard = expected.substr(i, wildcard.size()) == wildcard;  // then after <= expected.size()
    if (starts_token && is_wildcard &&
        (after == expected.size() || expected[after] == ',' || expected[after] == ')')) {
      const std::size_t start = j;
      for (int depth = 0; j < file.size() && (depth > 0 || (file[j] != ',' && file[j] != ')')); ++j) {
        if (file[j] == '(') ++depth;
        if (file[j] == ')') --depth;
      }
      if (j == start) return false;
      i = after;
      continue;
    }
    if (j >= file.size() || expected[i] != file[j]) return false;
    ++i;
    ++j;
  }
  return j == file.size();
}

inline json encode_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

// A parameter set: a path and a value for each parameter, in order (tuning/grid.hpp's param_set).
using param_list = std::vector<std::pair<std::string, param_value>>;

inline json encode_param(const param_value& v) {
  struct {
    json operator()(bool b) const { return b; }
    json operator()(std::int64_t i) const { return i; }
    json operator()(double d) const { return encode_double(d); }
    json operator()(const std::string& s) const { return s; }
    json operator()(const std::vector<double>& list) const {
      json out = json::array();
      for (double d : list) out.push_back(encode_double(d));
      return out;
    }
  } visitor;
  return std::visit(visitor, v);
}

// Lists of numbers, one after another: [[1, 2], [3]].
inline json encode_lists(const std::vector<std::vector<double>>& lists) {
  json out = json::array();
  for (const auto& list : lists) {
    json& numbers = out.emplace_back(json::array());
    for (double x : list) numbers.push_back(encode_double(x));
  }
  return out;
}

// Parameter sets as lists of [path, value] pairs, which keep the paths' order: [[["model.C", 0.1]], ...].
inline json encode_param_lists(const std::vector<param_list>& sets) {
  json out = json::array();
  for (const auto& set : sets) {
    json& pairs = out.emplace_back(json::array());
    for (const auto& [path, value] : set) pairs.push_back(json::array({path, encode_param(value)}));
  }
  return out;
}

template <class F>
json encode_fitted(const F& fitted);

class json_writer {
 public:
  explicit json_writer(json& node) : node_(node) {}

  template <class Spec>
  void params(const Spec& spec) {
    json& out = node_["params"] = json::object();
    find_param<Spec>([&](const auto& desc) {
      using M = typename std::remove_cvref_t<decltype(desc)>::value_type;
      out[std::string(desc.name.view())] = encode_param(param_traits<M>::to_value(spec.*(desc.member)));
      return false;
    });
  }

  template <class T>
  void operator()(std::string_view name, const T& value) {
    node_["state"][std::string(name)] = encode(value);
  }
  // A state field that schema version `since` added (see json_reader): written as any other.
  template <class T>
  void operator()(std::string_view name, const T& value, int /*since*/) {
    (*this)(name, value);
  }

  template <class... Steps>
  void steps(const std::tuple<Steps...>& steps) {
    json& out = node_["steps"] = json::array();
    std::apply(
        [&](const auto&... s) {
          (([&] {
             json step = encode_fitted(s.fitted);
             step["name"] = std::string(s.name.view());
             out.push_back(std::move(step));
           }()),
           ...);
        },
        steps);
  }

 private:
  template <class T>
  static json encode(const T& value) {
    if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T> || std::is_same_v<T, std::string>) {
      return value;
    } else if constexpr (std::is_floating_point_v<T>) {
      return encode_double(static_cast<double>(value));
    } else if constexpr (named_enum<T>) {
      return encode_param(param_traits<T>::to_value(value));
    } else if constexpr (std::is_same_v<T, vector> || std::is_same_v<T, std::vector<double>>) {
      json out = json::array();
      for (auto x : value) out.push_back(encode_double(x));
      return out;
    } else if constexpr (std::is_same_v<T, matrix>) {
      json data = json::array();
      for (index j = 0; j < value.cols(); ++j)
        for (index i = 0; i < value.rows(); ++i) data.push_back(encode_double(value(i, j)));
      return json{{"rows", value.rows()}, {"cols", value.cols()}, {"data", std::move(data)}};
    } else if constexpr (std::is_same_v<T, std::vector<index>> || std::is_same_v<T, std::vector<std::string>>) {
      return json(value);
    } else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) {
      return encode_lists(value);
    } else if constexpr (std::is_same_v<T, std::vector<param_list>>) {
      return encode_param_lists(value);
    } else if constexpr (serializable_fitted<T>) {
      return encode_fitted(value);
    } else if constexpr (parameter_type<T>) {
      return encode_param(param_traits<T>::to_value(value));
    } else {
      static_assert(sizeof(T) == 0, "mlpipe: serialize(ar): this member's type cannot be saved");
    }
  }

  json& node_;
};

template <class F>
json encode_fitted(const F& fitted) {
  if constexpr (dynamic_fitted<F>) {
    json node;
    fitted.encode(node);
    return node;
  } else {
    json node = json::object();
    node["kind"] = std::string(F::kind);
    node["schema_version"] = F::schema_version;
    json_writer writer(node);
    const_cast<F&>(fitted).serialize(writer);  // serialize only reads through a writer
    return node;
  }
}

// ---- reading -------------------------------------------------------------------------------------------------------
// What does not depend on a stage's type is written once, in plain functions, so that a program with many fitted
// types compiles one copy of it; error messages are built only on the way out.

class json_reader;

template <class F>
void decode_fitted(const json& node, F& fitted, const std::string& where);

[[noreturn]] inline void throw_load_error(const std::string& where, const std::string& what) {
  throw load_error(where + ": " + what);
}

// ---- file content in messages --------------------------------------------------------------------------------------
// A message quotes at most about excerpt_limit characters of a file: a value can be megabytes long or nested deep.

inline constexpr std::size_t excerpt_limit = 200;

// Text from a file as a message shows it: cut after excerpt_limit characters, saying how long it was.
inline std::string clipped(std::string_view text) { return clipped(text, excerpt_limit); }

// Appends a string as JSON text, its content cut to the room left before `end` (at least 20 characters).
inline void append_excerpt(std::string& out, const std::string& text, std::size_t end) {
  const std::size_t room = std::max<std::size_t>(end > out.size() ? end - out.size() : 0, 20);
  if (text.size() <= room) {
    out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  std::string cut = json(text.substr(0, room)).dump(-1, ' ', false, json::error_handler_t::replace);
  cut.insert(cut.size() - 1, "...");
  out += cut;
}

// Appends a value as JSON text until `end` characters are written; the rest of an array or object becomes "...".
inline void append_excerpt(std::string& out, const json& j, std::size_t end, int depth) {
  constexpr int shown_depth = 4;  // deeper values are "[...]" or "{...}": the quote never recurses far
  switch (j.type()) {
    case json::value_t::string:
      append_excerpt(out, j.get_ref<const std::string&>(), end);
      return;
    case json::value_t::binary:
      out += "<" + std::to_string(j.get_binary().size()) + " bytes of binary data>";
      return;
    case json::value_t::number_float:  // "1.0" (a real number, not an integer), and "nan" rather than JSON's null
      out += std::isfinite(j.get<double>()) ? j.dump() : format_double(j.get<double>());
      return;
    case json::value_t::array:
    case json::value_t::object: {
      const bool object = j.is_object();
      out += object ? '{' : '[';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ", ";
        if (out.size() >= end || depth >= shown_depth) {
          out += "...";
          break;
        }
        first = false;
        if (object) {
          append_excerpt(out, it.key(), end);
          out += ": ";
        }
        append_excerpt(out, *it, end, depth + 1);
      }
      out += object ? '}' : ']';
      return;
    }
    default:
      out += j.dump();  // a number, a boolean or null
  }
}

// A value from a file as a message quotes it: JSON text of at most a few hundred characters ("[1, 2, 3, ...]").
inline std::string excerpt(const json& j) {
  std::string out;
  append_excerpt(out, j, excerpt_limit, 0);
  return out;
}

// ---- integers -------------------------------------------------------------------------------------------------------
// A file can hold any integer from -2^63 to 2^64 - 1 (signed and unsigned are distinct in all three formats); each
// is checked against the range of what it is read into before it is converted.

// The integer j holds when it is one that fits in an int64_t.
inline std::optional<std::int64_t> int64_value(const json& j) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  return std::nullopt;
}

[[noreturn]] inline void throw_out_of_range(const json& j, const std::string& min, const std::string& max,
                                            const std::string& where) {
  throw_load_error(where, excerpt(j) + " is out of range; expected an integer from " + min + " to " + max);
}

// An integer from min to max: anything else (a real number, a string, an integer out of range whatever its sign or
// size) is an error naming the value and the range.
inline std::int64_t decode_integer(const json& j, std::int64_t min, std::int64_t max, const std::string& where) {
  if (!j.is_number_integer()) throw_load_error(where, "expected an integer, found " + excerpt(j));
  const auto i = int64_value(j);
  if (!i || *i < min || *i > max) throw_out_of_range(j, std::to_string(min), std::to_string(max), where);
  return *i;
}

// An integer from 0 to max, for unsigned members whose range goes beyond int64_t's.
inline std::uint64_t decode_unsigned(const json& j, std::uint64_t max, const std::string& where) {
  if (!j.is_number_integer()) throw_load_error(where, "expected a non-negative integer, found " + excerpt(j));
  if (j.is_number_unsigned() && j.get<std::uint64_t>() <= max) return j.get<std::uint64_t>();
  // A signed integer >= 0 (what a json built in memory holds for 6) is as good as an unsigned one.
  if (const auto i = int64_value(j); i && *i >= 0 && static_cast<std::uint64_t>(*i) <= max)
    return static_cast<std::uint64_t>(*i);
  throw_out_of_range(j, "0", std::to_string(max), where);
}

inline const json& member(const json& node, std::string_view name, const std::string& where) {
  if (!node.is_object()) throw_load_error(where, "expected an object, found " + std::string(node.type_name()));
  const auto it = node.find(name);
  if (it == node.end()) throw_load_error(where, "'" + std::string(name) + "' is missing");
  return *it;
}

// A number, or one of the strings "nan", "inf", "-inf" that encode_double writes.
inline double decode_double(const json& j, const std::string& where) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  throw_load_error(where, "expected a number, found " + excerpt(j));
}

inline param_value decode_param(const json& j, const std::string& where) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) {
    if (const auto i = int64_value(j)) return *i;
    return j.get<double>();  // beyond int64_t: a real number, which an integer parameter refuses by its range
  }
  if (j.is_number_float()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan" || s == "inf" || s == "-inf") return decode_double(j, where);
    return s;
  }
  if (j.is_array()) {
    std::vector<double> list;
    for (const json& x : j) list.push_back(decode_double(x, where));
    return list;
  }
  throw_load_error(where, "expected a parameter value, found " + excerpt(j));
}

// A decoded parameter value as the member's type M, or an error naming what M expects.
template <class M>
M converted_param(const param_value& value, const std::string& where) {
  auto converted = param_traits<M>::from_value(value);
  if (!converted)
    throw_load_error(where, "expected " + std::string(param_traits<M>::expected) + ", found " +
                                clipped(format_value(value)));
  return std::move(*converted);
}

inline void check_array(const json& j, std::string_view expected, const std::string& where) {
  if (!j.is_array())
    throw_load_error(where, "expected " + std::string(expected) + ", found " + std::string(j.type_name()));
}

inline std::string element_where(const std::string& where, std::size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

// The elements of a list of numbers, through `out(i, x)`; positions are named only when one is not a number.
template <class Out>
void decode_numbers(const json& list, const std::string& where, bool name_positions, Out&& out) {
  std::size_t i = 0;
  for (const json& x : list) {
    out(i, x.is_number() ? x.get<double>() : decode_double(x, name_positions ? element_where(where, i) : where));
    ++i;
  }
}

inline void decode_value(const json& j, bool& value, const std::string& where) {
  if (!j.is_boolean()) throw_load_error(where, "expected true or false, found " + excerpt(j));
  value = j.get<bool>();
}

inline void decode_value(const json& j, std::string& value, const std::string& where) {
  if (!j.is_string()) throw_load_error(where, "expected a string, found " + excerpt(j));
  value = j.get<std::string>();
}

inline void decode_value(const json& j, vector& value, const std::string& where) {
  check_array(j, "a list of numbers", where);
  value.resize(static_cast<index>(j.size()));
  decode_numbers(j, where, true, [&](std::size_t i, double x) { value[static_cast<index>(i)] = x; });
}

inline void decode_value(const json& j, std::vector<double>& value, const std::string& where) {
  check_array(j, "a list of numbers", where);
  value.resize(j.size());
  decode_numbers(j, where, true, [&](std::size_t i, double x) { value[i] = x; });
}

inline void decode_value(const json& j, std::vector<index>& value, const std::string& where) {
  check_array(j, "a list of integers", where);
  value.resize(j.size());
  constexpr index min = std::numeric_limits<index>::min();
  constexpr index max = std::numeric_limits<index>::max();
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& x = j[i];
    const auto fast = x.is_number_integer() ? int64_value(x) : std::nullopt;  // positions named only on errors
    value[i] = fast ? *fast : decode_integer(x, min, max, element_where(where, i));
  }
}

inline void decode_value(const json& j, matrix& value, const std::string& where) {
  if (!j.is_object() || !j.contains("rows") || !j.contains("cols") || !j.contains("data"))
    throw_load_error(where, "expected a matrix {rows, cols, data}, found " + std::string(j.type_name()));
  // rows x cols is checked for overflow and against the data's length before anything is allocated.
  constexpr index max = std::numeric_limits<index>::max();
  const index rows = decode_integer(j["rows"], 0, max, where + ".rows");
  const index cols = decode_integer(j["cols"], 0, max, where + ".cols");
  const json& data = j["data"];
  const std::string found = data.is_array() ? std::to_string(data.size()) : std::string(data.type_name());
  const std::string shape = "a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix needs ";
  if (cols != 0 && rows > max / cols)
    throw_load_error(where, shape + "more than " + std::to_string(max) + " values, found " + found);
  if (!data.is_array() || data.size() != static_cast<std::size_t>(rows * cols))
    throw_load_error(where, shape + std::to_string(rows * cols) + " values, found " + found);
  value.resize(rows, cols);
  decode_numbers(data, where + ".data", false, [&](std::size_t k, double x) { value.data()[k] = x; });
}

inline void decode_value(const json& j, std::vector<std::string>& value, const std::string& where) {
  check_array(j, "a list of strings", where);
  value.resize(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) decode_value(j[i], value[i], element_where(where, i));
}

inline void decode_value(const json& j, std::vector<std::vector<double>>& value, const std::string& where) {
  check_array(j, "a list of lists of numbers", where);
  value.resize(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) decode_value(j[i], value[i], element_where(where, i));
}

// Parameter sets as encode_param_lists writes them: each a list of [path, value] pairs.
inline void decode_value(const json& j, std::vector<param_list>& value, const std::string& where) {
  check_array(j, "a list of parameter sets", where);
  value.assign(j.size(), {});
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string set_where = element_where(where, i);
    check_array(j[i], "a list of [path, value] pairs", set_where);
    value[i].reserve(j[i].size());
    for (std::size_t k = 0; k < j[i].size(); ++k) {
      const json& pair = j[i][k];
      const std::string here = element_where(set_where, k);
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string())
        throw_load_error(here, "expected a [path, value] pair, found " + excerpt(pair));
      value[i].emplace_back(pair[0].get<std::string>(), decode_param(pair[1], here));
    }
  }
}

// Opens the node of one fitted stage: checks its kind, and its schema version against the versions the type reads
// (oldest to schema_version); returns the file's version.
inline int check_fitted_node(const json& node, std::string_view kind, int schema_version, const std::string& where,
                             int oldest = -1) {
  if (!node.is_object()) throw_load_error(where, "expected an object, found " + std::string(node.type_name()));
  const auto found = node.find("kind");
  if (found == node.end() || !found->is_string()) throw_load_error(where, "'kind' is missing");
  if (found->get_ref<const std::string&>() != kind) {
    throw_load_error(where, "the file holds a " + clipped(found->get_ref<const std::string&>()) +
                                " where the type expects a " + std::string(kind));
  }
  if (oldest < 0) oldest = schema_version;
  const auto version = node.find("schema_version");
  const std::optional<std::int64_t> parsed = version == node.end() ? std::nullopt : int64_value(*version);
  const std::int64_t v = parsed ? *parsed : -1;
  if (v < oldest || v > schema_version) {
    throw load_error(where + " (" + std::string(kind) + "): schema version " +
                     (version == node.end() ? std::string("missing") : excerpt(*version)) + " in the file; this " +
                     "build reads version" +
                     (oldest == schema_version ? " " + std::to_string(schema_version)
                                               : "s " + std::to_string(oldest) + " to " + std::to_string(schema_version)));
  }
  return static_cast<int>(v);
}

// The oldest schema version a fitted type reads: its oldest_schema_version when it declares one, else its
// schema_version. A type whose later versions only added hyperparameters declares oldest_schema_version and
// `static constexpr int param_since(std::string_view name)`, the version that added each parameter: those missing
// from an older file take their defaults.
template <class F>
constexpr int oldest_schema_version() {
  if constexpr (requires { F::oldest_schema_version; }) return F::oldest_schema_version;
  else return F::schema_version;
}

class json_reader {
 public:
  // version: the node's schema version; since(name): the schema version that added the parameter name (a fitted
  // type's param_since). A parameter added after the node's version and missing from it keeps the value of the spec
  // being filled: a default-constructed shell's, the default, which is what the older version did.
  json_reader(const json& node, std::string where, int version = 0, int (*since)(std::string_view) = nullptr)
      : node_(node), where_(std::move(where)), version_(version), since_(since) {}

  [[noreturn]] void fail(const std::string& what) const { throw_load_error(where_, what); }

  template <class Spec>
  void params(Spec& spec) {
    const json& params = member(node_, "params", where_);
    param_value value;  // one value and one location, reused by every parameter
    std::string here;
    find_param<Spec>([&](const auto& desc) {
      using M = typename std::remove_cvref_t<decltype(desc)>::value_type;
      if (since_ != nullptr && since_(desc.name.view()) > version_ && params.is_object() &&
          !params.contains(desc.name.view()))
        return false;
      read_param(params, desc.name.view(), value, here);
      spec.*(desc.member) = converted_param<M>(value, here);
      return false;
    });
  }

  template <class T>
  void operator()(std::string_view name, T& value) {
    const json& state = member(node_, "state", where_);
    decode(member(state, name, where_ + " state"), value, where_ + " state." + std::string(name));
  }
  // A state field that schema version `since` added: a file of an older version may lack it, and then the field
  // keeps the shell's value (its default, which is what the older version meant); from `since` on it is required.
  template <class T>
  void operator()(std::string_view name, T& value, int since) {
    const json& state = member(node_, "state", where_);
    if (version_ < since && state.is_object() && !state.contains(name)) return;
    (*this)(name, value);
  }

  template <class... Steps>
  void steps(std::tuple<Steps...>& steps) {
    const json& list = step_list(sizeof...(Steps));
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((decode_fitted(step_node(list, I, std::get<I>(steps).name.view()), std::get<I>(steps).fitted,
                      step_where(I, std::get<I>(steps).name.view()))),
       ...);
    }(std::make_index_sequence<sizeof...(Steps)>{});
  }

 private:
  const json& step_list(std::size_t n) const {
    const json& list = member(node_, "steps", where_);
    if (!list.is_array() || list.size() != n) {
      fail("expected a list of " + std::to_string(n) + " steps, found " +
           (list.is_array() ? std::to_string(list.size()) + " steps" : std::string(list.type_name())));
    }
    return list;
  }

  void read_param(const json& params, std::string_view name, param_value& value, std::string& here) const {
    here = where_ + " params." + std::string(name);
    value = decode_param(member(params, name, where_ + " params"), here);
  }

  std::string step_where(std::size_t i, std::string_view name) const {
    return where_ + " steps[" + std::to_string(i) + "] '" + std::string(name) + "'";
  }

  // The i-th step's node, whose name must be the pipeline type's.
  const json& step_node(const json& list, std::size_t i, std::string_view name) const {
    const json& node = list[i];
    const std::string here = where_ + " steps[" + std::to_string(i) + "]";
    const json& found = member(node, "name", here);
    if (!found.is_string() || found.get_ref<const std::string&>() != name) {
      throw_load_error(here, "the step is named " + excerpt(found) + " in the file but '" + std::string(name) +
                                 "' in the pipeline type");
    }
    return node;
  }

  template <class T>
  static void decode(const json& j, T& value, const std::string& where) {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> || std::is_same_v<T, vector> ||
                  std::is_same_v<T, std::vector<double>> || std::is_same_v<T, std::vector<index>> ||
                  std::is_same_v<T, matrix> || std::is_same_v<T, std::vector<std::string>> ||
                  std::is_same_v<T, std::vector<std::vector<double>>> || std::is_same_v<T, std::vector<param_list>>) {
      decode_value(j, value, where);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      value = static_cast<T>(decode_integer(j, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), where));
    } else if constexpr (std::is_integral_v<T>) {
      value = static_cast<T>(decode_unsigned(j, std::numeric_limits<T>::max(), where));
    } else if constexpr (std::is_floating_point_v<T>) {
      value = static_cast<T>(decode_double(j, where));
    } else if constexpr (serializable_fitted<T>) {
      decode_fitted(j, value, where);
    } else if constexpr (parameter_type<T>) {
      value = converted_param<T>(decode_param(j, where), where);
    } else {
      static_assert(sizeof(T) == 0, "mlpipe: serialize(ar): this member's type cannot be loaded");
    }
  }

  const json& node_;
  std::string where_;
  int version_ = 0;
  int (*since_)(std::string_view) = nullptr;
};

// The load_error for a stage whose state, just read, breaks an invariant: where, the kind, and what its
// check_invariants said (with the step's path when a composite's check found it in one of its steps).
[[noreturn]] inline void throw_broken_invariant(const std::string& where, std::string_view kind, const error& e) {
  throw load_error(where + " (" + std::string(kind) + "): " + (e.step_path().empty() ? e.detail() : e.what()));
}

template <class F>
void decode_fitted(const json& node, F& fitted, const std::string& where) {
  if constexpr (dynamic_fitted<F>) {
    fitted.decode_node(node, where);
  } else {
    const int version = check_fitted_node(node, F::kind, F::schema_version, where, oldest_schema_version<F>());
    int (*since)(std::string_view) = nullptr;
    if constexpr (requires { F::param_since(std::string_view()); }) since = &F::param_since;
    json_reader reader(node, where, version, since);
    fitted.serialize(reader);
    // A user's fitted type may not check itself yet (mp::testing::check_stage reports that).
    if constexpr (requires { fitted.check_invariants(); }) {
      try {
        fitted.check_invariants();
      } catch (const error& e) {
        throw_broken_invariant(where, F::kind, e);
      }
    }
  }
}

inline file_format format_of(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".cbor") return file_format::cbor;
  if (ext == ".msgpack" || ext == ".mpk") return file_format::msgpack;
  return file_format::json;
}

// The binary formats' encoder and decoder; <mlpipe/io/binary_formats.hpp> sets them when the program starts. decode
// stops at max_nesting_depth levels (throwing nesting_too_deep) before nlohmann's recursive readers go deeper.
struct binary_codec {
  std::vector<std::uint8_t> (*encode)(const json& envelope, file_format format);
  json (*decode)(const char* first, const char* last, file_format format);
};

inline const binary_codec*& registered_binary_codec() noexcept {
  static const binary_codec* codec = nullptr;
  return codec;
}

template <class Error>
const binary_codec& binary_codec_for(file_format format, const std::string& where) {
  const binary_codec* codec = registered_binary_codec();
  if (codec == nullptr) {
    throw Error(where + ": the " +
                (format == file_format::cbor ? "CBOR" : "MessagePack") +
                " format is compiled only into programs that include <mlpipe/io/binary_formats.hpp>; include it "
                "in one source file, or use .json");
  }
  return *codec;
}

inline std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Arrays and objects in a model file nest at most this deep (a pipeline's envelope needs about 8 levels, and 4 more
// per nested pipeline); deeper files are refused while they are read, before anything recurses through them.
inline constexpr int max_nesting_depth = 128;

// What a reader throws when a file nests deeper than max_nesting_depth; the loader adds the file's name.
[[noreturn]] inline void throw_nesting_too_deep() {
  throw load_error("arrays and objects are nested more than " + std::to_string(max_nesting_depth) + " levels deep");
}

}  // namespace detail

inline constexpr int format_version = 1;

namespace detail {

inline json make_envelope(std::string signature, index n_features_in, json model) {
  json envelope = json::object();
  envelope["format"] = "mlpipe";
  envelope["format_version"] = format_version;
  envelope["library_version"] = version_string;
  envelope["signature"] = std::move(signature);
  envelope["metadata"] = {{"n_features_in", n_features_in}, {"saved_at", utc_now()}};
  envelope["model"] = std::move(model);
  return envelope;
}

// The envelope's model node, once its format, version and signature are the expected ones.
inline const json& open_envelope(const json& envelope, const std::string& expected_signature,
                                 const std::string& source) {
  const auto format = envelope.find("format");  // end() for anything but an object
  if (format == envelope.end() || *format != "mlpipe")
    throw_load_error(source, "not an mlpipe model file (no \"format\": \"mlpipe\")");
  const auto version = envelope.find("format_version");
  const auto number = version == envelope.end() ? std::nullopt : int64_value(*version);
  if (!number || *number > format_version || *number < 1) {
    throw_load_error(source, "format version " +
                                 (version == envelope.end() ? std::string("missing") : excerpt(*version)) +
                                 "; this build reads versions 1 to " + std::to_string(format_version));
  }
  const auto signature = envelope.find("signature");
  if (signature == envelope.end() || !signature->is_string()) throw_load_error(source, "the signature is missing");
  if (signature->get_ref<const std::string&>() != expected_signature) {
    throw_load_error(source, "the file holds a model of another pipeline type: " +
                                 clipped(signature->get_ref<const std::string&>()) + "; the type it is loaded as is " +
                                 expected_signature);
  }
  const auto model = envelope.find("model");
  if (model == envelope.end()) throw_load_error(source, "the model is missing");
  return *model;
}

// The envelope's metadata must be an object whose n_features_in is the model's.
inline void check_metadata(const json& envelope, index n_features_in, const std::string& source) {
  const json& metadata = member(envelope, "metadata", source);
  const std::string where = source + ": metadata";
  const index said = decode_integer(member(metadata, "n_features_in", where), 0, std::numeric_limits<index>::max(),
                                    where + ".n_features_in");
  if (said != n_features_in) {
    throw_load_error(source, "metadata says " + std::to_string(said) + " input features but the model has " +
                                 std::to_string(n_features_in));
  }
}

// The envelope in the bytes of a model file. Every format stops at max_nesting_depth levels: JSON through the
// parser's callback (nlohmann's JSON parser does not recurse; what walks the result afterwards would), CBOR and
// MessagePack in the codec, before their recursive readers go deeper.
inline json parse_envelope(std::span<const std::byte> bytes, file_format format, const std::string& source) {
  // Pointer ranges: nlohmann/json's _json literal already compiles its parser for const char*, so this shares it.
  const char* const first = reinterpret_cast<const char*>(bytes.data());
  const char* const last = first + bytes.size();
  const binary_codec* binary =
      format == file_format::json ? nullptr : &binary_codec_for<load_error>(format, source);
  try {
    if (binary) return binary->decode(first, last, format);
    return json::parse(first, last, [](int depth, json::parse_event_t event, json&) {
      // depth counts the arrays and objects around the one starting
      if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
          depth >= max_nesting_depth)
        throw_nesting_too_deep();
      return true;
    });
  } catch (const json::exception& e) {
    throw_load_error(source, "the file is truncated or corrupt (" + clipped(e.what()) + ")");
  } catch (const load_error& e) {
    throw_load_error(source, e.detail());
  }
}

inline json read_envelope(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_load_error(path.string(), std::string("cannot open the file: ") + errno_text(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_envelope(std::as_bytes(std::span(bytes)), format_of(path), path.string());
}

// ---- crash-safe writes ----------------------------------------------------------------------------------------------
// save writes "<name>.tmp-<16 hex digits>" next to the target and holds an flock on it from before it is written
// until after it is renamed over the target. A save killed on the way leaves that file unlocked (the kernel drops a
// dead process's locks), and the next save to the same path removes every such unlocked file; a live save's file is
// locked and left alone, so concurrent saves to one path all succeed (the last rename wins).

inline constexpr std::size_t temp_suffix_digits = 16;

// Whether a folder entry is one of the temporary files that a save of `prefix` ("model.json.tmp-") makes.
inline bool is_temp_name(std::string_view name, std::string_view prefix) {
  if (name.size() != prefix.size() + temp_suffix_digits || !name.starts_with(prefix)) return false;
  for (const char c : name.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Removes the temporary files of saves to the same path that were killed: those no live save holds locked.
inline void remove_abandoned_temps(const std::filesystem::path& folder, const std::string& prefix) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;  // the save's own create reports what is wrong with the folder
  const int dir_fd = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (!is_temp_name(entry->d_name, prefix)) continue;
    const int fd = ::openat(dir_fd, entry->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat opened {};
    struct stat named {};
    // Locked: the name is still the file that was locked (not renamed into place since), and its writer is gone.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &opened) == 0 &&
        ::fstatat(dir_fd, entry->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 && opened.st_dev == named.st_dev &&
        opened.st_ino == named.st_ino)
      ::unlinkat(dir_fd, entry->d_name, 0);
    ::close(fd);
  }
  ::closedir(dir);
}

struct temp_file {
  int fd = -1;
  std::string name;
};

// A new temporary file next to path, locked. A file that another save removed as abandoned between its creation and
// the lock (its link count is then 0) is given up for a new name.
inline temp_file create_locked_temp(const std::filesystem::path& path) {
  std::random_device random;
  constexpr char digits[] = "0123456789abcdef";
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_file temp;
    temp.name = path.string() + ".tmp-";
    for (std::size_t i = 0; i < temp_suffix_digits; ++i) temp.name += digits[random() % 16];
    temp.fd = ::open(temp.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (temp.fd < 0) {
      if (errno == EEXIST) continue;
      throw error("save: cannot create '" + temp.name + "': " + errno_text(errno));
    }
    while (::flock(temp.fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    struct stat status {};
    if (::fstat(temp.fd, &status) == 0 && status.st_nlink > 0) return temp;
    ::close(temp.fd);
  }
  throw error("save: cannot create a temporary file next to '" + path.string() + "'");
}

inline bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ::ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The bytes save writes for an envelope in a format.
template <class Write>
void with_encoded(const json& envelope, file_format format, const std::string& where, Write&& write) {
  if (format == file_format::json) {
    write(std::string_view(envelope.dump(1) + "\n"));
  } else {
    const std::vector<std::uint8_t> binary = binary_codec_for<error>(format, where).encode(envelope, format);
    write(std::string_view(reinterpret_cast<const char*>(binary.data()), binary.size()));
  }
}

// Writes the bytes of an envelope crash-safely: a locked temporary file in the same folder, fsync, rename, fsync of
// the folder (so that after a power loss too the path holds one complete version).
inline void write_envelope(const json& envelope, const std::filesystem::path& path) {
  with_encoded(envelope, format_of(path), "save: '" + path.string() + "'", [&](std::string_view bytes) {
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    remove_abandoned_temps(folder, path.filename().string() + ".tmp-");
    const temp_file temp = create_locked_temp(path);
    const auto fail = [&](const std::string& what) {
      const int code = errno;
      ::unlink(temp.name.c_str());
      ::close(temp.fd);
      throw error(what + ": " + errno_text(code));
    };
    if (!write_all(temp.fd, bytes)) fail("save: writing '" + temp.name + "' failed");
    if (::fsync(temp.fd) != 0) fail("save: flushing '" + temp.name + "' to disk failed");
    if (::rename(temp.name.c_str(), path.c_str()) != 0)
      fail("save: cannot move the model into '" + path.string() + "'");
    ::close(temp.fd);  // the lock goes only now that the temporary name is gone
    if (const int dir_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
      ::fsync(dir_fd);  // some file systems refuse to fsync a folder; the model is in place all the same
      ::close(dir_fd);
    }
  });
}

}  // namespace detail

// to_json(fitted) -- the save envelope as a JSON value (what save writes).
template <class Fitted>
nlohmann::json to_json(const Fitted& fitted) {
  static_assert(detail::serializable_fitted<Fitted>,
                "mlpipe: save() needs a fitted stage or pipeline (what fit returns)");
  if constexpr (detail::dynamic_fitted<Fitted>)
    return detail::make_envelope(fitted.signature(), fitted.n_features_in(), detail::encode_fitted(fitted));
  else {
    nlohmann::json node = detail::encode_fitted(fitted);
    std::string signature = detail::signature<Fitted>();
    // A run-time model inside (any_model as a step): the file names what it holds, so that load_any reads it.
    if (signature.find("any_model") != std::string::npos) signature = detail::signature_of_node(node);
    return detail::make_envelope(std::move(signature), fitted.n_features_in(), std::move(node));
  }
}

// from_json<Fitted>(envelope, source) -- checks the envelope and rebuilds the fitted object; `source` names the
// file in error messages.
template <class Fitted>
Fitted from_json(const nlohmann::json& envelope, const std::string& source = "<json>") {
  if constexpr (requires { Fitted::from_envelope(envelope, source); }) {  // any_model: whatever the file holds
    return Fitted::from_envelope(envelope, source);
  } else {
  static_assert(std::is_default_constructible_v<Fitted>,
                "mlpipe: load() needs a default-constructible fitted type (a transform_fn must be a lambda without "
                "captures or a named function object)");
  std::string expected = detail::signature<Fitted>();
  if (expected.find("any_model") != std::string::npos) {  // an any_model inside loads whatever model the file holds
    const auto file = envelope.is_object() ? envelope.find("signature") : envelope.end();
    if (file != envelope.end() && file->is_string() && detail::signature_matches(expected, file->get<std::string>()))
      expected = file->get<std::string>();
  }
  const nlohmann::json& model = detail::open_envelope(envelope, expected, source);
  Fitted fitted;
  detail::decode_fitted(model, fitted, source + ": model");
  detail::check_metadata(envelope, fitted.n_features_in(), source);
  return fitted;
  }
}

// save(fitted, "model.json") -- writes a fitted stage or pipeline crash-safely (a locked temporary file in the same
// folder, fsync, rename, fsync of the folder): a crash or kill -9 at any moment leaves the old or the new complete
// model, and the next save to the path removes a killed save's temporary file. The extension picks the format:
// .json, .cbor or .msgpack (the binary two need <mlpipe/io/binary_formats.hpp>; anything else is JSON).
template <class Fitted>
void save(const Fitted& fitted, const std::filesystem::path& path) {
  detail::write_envelope(to_json(fitted), path);
}

// load<Fitted>("model.json") -- reads what save wrote, checking everything; a missing, truncated, corrupt, too deeply
// nested or mismatched file throws mlpipe::load_error naming the file and what differed.
template <class Fitted>
Fitted load(const std::filesystem::path& path) {
  return from_json<Fitted>(detail::read_envelope(path), path.string());
}

// load_from_bytes<Fitted>(bytes, file_format::cbor) -- load() from memory: a model kept in a database or received in
// a message, read with the same checks and without the file system; `source` names the bytes in error messages.
// From a std::string: load_from_bytes<Fitted>(std::as_bytes(std::span(text)), file_format::json).
template <class Fitted>
Fitted load_from_bytes(std::span<const std::byte> bytes, file_format format, const std::string& source = "<bytes>") {
  return from_json<Fitted>(detail::parse_envelope(bytes, format, source), source);
}

}  // namespace mlpipe
