#pragma once

#include <algorithm>    // std::min, std::max
#include <cstddef>
#include <functional>   // std::identity
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/text.hpp"

// Parameter paths: "model.C", "features.num.scale.with_mean". A path walks through composite stages (those
// with a `steps` tuple of named steps: pipelines, unions, column transformers), through transparent wrappers
// (those with a `wrapped_type` and a `stage` member: columns(...)) and ends at a parameter listed in a
// stage's `params`. The same walk is done at compile time for literal paths and at run time for strings.
// A parameter with the empty name is reached by the path of its stage itself: one_of's choice is "scale".

namespace mlpipe {
namespace detail {

template <class S>
concept composite_stage = requires(S& s) {
  typename S::steps_type;
  s.steps;
};

template <class S>
concept wrapper_stage = requires(S& s) {
  typename S::wrapped_type;
  s.stage;
};

// A stage holding other stages as members (a selector's estimator) lists them in `nested`, a tuple of descriptors
// with a compile-time `name`, a `stage_type` and a pointer to the `member`: their paths are "estimator.C".
template <class S>
concept nesting_stage = requires { S::nested; };

template <class S, std::size_t I>
using nested_at = std::remove_cvref_t<std::tuple_element_t<I, std::remove_cvref_t<decltype(S::nested)>>>;

// The position in S::nested of the stage named Name, or the size of S::nested.
template <class S, fixed_string Name>
constexpr std::size_t nested_position() {
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(S::nested)>>;
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t found = n;
    ((nested_at<S, I>::name.view() == Name.view() && found == n ? (found = I) : 0), ...);
    return found;
  }(std::make_index_sequence<n>{});
}

template <class S, std::size_t I>
using step_at = std::tuple_element_t<I, typename S::steps_type>;

template <class S, fixed_string Name>
constexpr std::size_t step_position() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return step_index<Name, step_at<S, I>...>();
  }(std::make_index_sequence<std::tuple_size_v<typename S::steps_type>>{});
}

// ---- compile time ---------------------------------------------------------------------------------------------

template <class S, fixed_string Path>
constexpr bool has_path() {
  if constexpr (has_own_param<S, Path>()) {
    return true;
  } else if constexpr (wrapper_stage<S>) {
    return has_path<typename S::wrapped_type, Path>();
  } else if constexpr (composite_stage<S>) {
    if constexpr (first_dot<Path>() == std::string_view::npos) {
      constexpr std::size_t i = step_position<S, Path>();  // a step's own path: its parameter with the empty name
      if constexpr (Path.size() == 0 || i == std::tuple_size_v<typename S::steps_type>) return false;
      else return has_own_param<typename step_at<S, i>::stage_type, fixed_string<0>{}>();
    } else {
      constexpr std::size_t i = step_position<S, path_head<Path>()>();
      if constexpr (i == std::tuple_size_v<typename S::steps_type>) return false;
      else return has_path<typename step_at<S, i>::stage_type, path_tail<Path>()>();
    }
  } else if constexpr (nesting_stage<S>) {
    if constexpr (first_dot<Path>() == std::string_view::npos) {
      return false;
    } else {
      constexpr std::size_t i = nested_position<S, path_head<Path>()>();
      if constexpr (i == std::tuple_size_v<std::remove_cvref_t<decltype(S::nested)>>) return false;
      else return has_path<typename nested_at<S, i>::stage_type, path_tail<Path>()>();
    }
  } else {
    return false;
  }
}

// A reference to the parameter at Path (const when s is const); Path must satisfy has_path.
template <fixed_string Path, class S>
constexpr auto& param_ref(S& s) {
  using T = std::remove_const_t<S>;
  if constexpr (has_own_param<T, Path>()) {
    return s.*(std::get<own_param_index<T, Path>()>(T::params).member);
  } else if constexpr (wrapper_stage<T>) {
    return param_ref<Path>(s.stage);
  } else if constexpr (nesting_stage<T> && !composite_stage<T>) {
    constexpr std::size_t i = nested_position<T, path_head<Path>()>();
    return param_ref<path_tail<Path>()>(s.*(std::get<i>(T::nested).member));
  } else if constexpr (first_dot<Path>() == std::string_view::npos) {
    constexpr std::size_t i = step_position<T, Path>();
    return param_ref<fixed_string<0>{}>(std::get<i>(s.steps).stage);
  } else {
    constexpr std::size_t i = step_position<T, path_head<Path>()>();
    return param_ref<path_tail<Path>()>(std::get<i>(s.steps).stage);
  }
}

// ---- run time ---------------------------------------------------------------------------------------------------

// A stage whose parameters are known only at run time (any_pipeline): it has set_param, get_param, param_names
// and validate_all members, and try_get_param(path, out) saying whether the path exists; the functions below call
// them, so searches and curves take it as they take a static stage.
template <class S>
concept runtime_params = requires(S& s, const S& c, std::string_view path, const param_value& v, param_value& out) {
  s.set_param(path, v);
  { c.try_get_param(path, out) } -> std::same_as<bool>;
  { c.param_names() } -> std::same_as<std::vector<std::string>>;
  c.validate_all();
};

// Every parameter path of stage s, prefixed, in declaration order; it walks into the run-time stages s holds (an
// any_pipeline step or a selector's any_pipeline estimator), whose paths only the instance knows.
template <class S>
void collect_param_names(const S& s, const std::string& prefix, std::vector<std::string>& out) {
  if constexpr (runtime_params<S>) {
    if constexpr (requires { s.empty(); }) {
      if (s.empty()) return;  // an empty any_pipeline: no parameters yet
    }
    for (const auto& name : s.param_names()) out.push_back(prefix + name);
  } else {
    find_param<S>([&](const auto& desc) {
      if (desc.name.view().empty()) out.push_back(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1));
      else out.push_back(prefix + std::string(desc.name.view()));
      return false;
    });
    if constexpr (wrapper_stage<S>) {
      collect_param_names(s.stage, prefix, out);
    } else if constexpr (composite_stage<S>) {
      std::apply(
          [&](const auto&... step) {
            (collect_param_names(step.stage, prefix + std::string(step.name.view()) + ".", out), ...);
          },
          s.steps);
    } else if constexpr (nesting_stage<S>) {
      std::apply(
          [&](const auto&... n) {
            (collect_param_names(s.*(n.member), prefix + std::string(n.name.view()) + ".", out), ...);
          },
          S::nested);
    }
  }
}

// What visit_param passes as a run-time parameter's descriptor: its range is checked by the stage itself.
struct runtime_param_desc {
  unconstrained range;
};

// Calls f(value_ref, desc, kind) for the parameter at path inside s; returns false when there is none.
template <class S, class F>
bool visit_param(S& s, std::string_view path, F&& f) {
  using T = std::remove_const_t<S>;
  if constexpr (runtime_params<T>) {  // f sees a copy of the value, as its C++ type; a changed copy is set back
    param_value value;
    if (!s.try_get_param(path, value)) return false;
    std::visit(
        [&](auto v) {
          if constexpr (!std::is_same_v<decltype(v), std::vector<double>>) {
            f(v, runtime_param_desc{}, T::kind);
            if constexpr (!std::is_const_v<S>) s.set_param(path, param_value(v));
          }
        },
        value);
    return true;
  }
  const bool own = find_param<T>([&](const auto& desc) {
    if (desc.name.view() != path) return false;
    f(s.*(desc.member), desc, T::kind);
    return true;
  });
  if (own) return true;
  if constexpr (wrapper_stage<T>) {
    return visit_param(s.stage, path, f);
  } else if constexpr (composite_stage<T>) {
    const std::size_t dot = path.find('.');
    if (path.empty() || path.back() == '.') return false;
    // No dot: a step's own path, which reaches its parameter with the empty name (one_of's choice).
    const std::string_view head = path.substr(0, dot);
    const std::string_view tail = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    return std::apply(
        [&](auto&... steps) {
          return ((steps.name.view() == head && visit_param(steps.stage, tail, f)) || ...);
        },
        s.steps);
  } else if constexpr (nesting_stage<T>) {
    const std::size_t dot = path.find('.');
    if (dot == std::string_view::npos) return false;
    const std::string_view head = path.substr(0, dot);
    const std::string_view tail = path.substr(dot + 1);
    return std::apply([&](const auto&... n) { return ((n.name.view() == head && visit_param(s.*(n.member), tail, f)) || ...); },
                      T::nested);
  } else {
    return false;
  }
}

// Levenshtein distance, for "did you mean" suggestions.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

inline std::string join(const std::vector<std::string>& names, std::size_t at_most) {
  std::string out = join_formatted(std::span(names.data(), std::min(names.size(), at_most)), std::identity{});
  if (names.size() > at_most) out += ", ... (" + std::to_string(names.size() - at_most) + " more)";
  return out;
}

// "; did you mean 'model.C'?" when some candidates are close to name (by edit distance), else "".
inline std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  if (candidates.empty()) return {};
  std::size_t best = std::string::npos;
  for (const auto& c : candidates) best = std::min(best, edit_distance(name, c));
  if (best > std::max<std::size_t>(2, name.size() / 3)) return {};
  std::vector<std::string> close;
  for (const auto& c : candidates)
    if (edit_distance(name, c) == best && close.size() < 3) close.push_back("'" + c + "'");
  return "; did you mean " + join(close, 3) + "?";
}

// The error for a path that names nothing: the closest valid paths first, then all of them.
inline invalid_parameter unknown_path_error(std::string_view path, const std::vector<std::string>& valid) {
  if (valid.empty())
    return invalid_parameter("unknown parameter path '" + std::string(path) + "'; this stage has no parameters");
  std::vector<std::string> children;
  const std::string as_prefix = std::string(path) + ".";
  for (const auto& name : valid)
    if (name.starts_with(as_prefix)) children.push_back(name);
  if (!children.empty())
    return invalid_parameter("parameter path '" + std::string(path) + "' names a step, not a parameter; its " +
                             "parameters are: " + join(children, 20));
  const std::string suggestion = did_you_mean(path, valid);
  return invalid_parameter("unknown parameter path '" + std::string(path) + "'" +
                           (suggestion.empty() ? "." : suggestion) + " Valid paths: " + join(valid, 40));
}

[[noreturn]] inline void throw_wrong_type(std::string_view path, std::string_view kind, std::string_view expected,
                                          const param_value& value) {
  throw invalid_parameter("parameter '" + std::string(path) + "' of " + std::string(kind) + " expects " +
                          std::string(expected) + ", got " + format_value(value) + " (" + std::string(value_kind(value)) +
                          ")");
}

}  // namespace detail

// param_names(stage) -- every parameter path of a stage, in declaration order ("scale.with_mean", ...).
template <class S>
std::vector<std::string> param_names(const S& s) {
  if constexpr (detail::runtime_params<S>) return s.param_names();
  std::vector<std::string> out;
  detail::collect_param_names(s, "", out);
  return out;
}

// set_param(stage, "model.C", 0.5) -- sets a parameter named at run time, checking the path and the type.
template <class S>
void set_param(S& s, std::string_view path, const param_value& value) {
  if constexpr (detail::runtime_params<S>) {
    s.set_param(path, value);
    return;
  }
  const bool found = detail::visit_param(s, path, [&](auto& ref, const auto&, std::string_view kind) {
    using M = std::remove_cvref_t<decltype(ref)>;
    auto converted = param_traits<M>::from_value(value);
    if (!converted) detail::throw_wrong_type(path, kind, param_traits<M>::expected, value);
    ref = std::move(*converted);
  });
  if (!found) throw detail::unknown_path_error(path, param_names(s));
}

// get_param(stage, "model.C") -- a parameter's value, named at run time.
template <class S>
param_value get_param(const S& s, std::string_view path) {
  if constexpr (detail::runtime_params<S>) return s.get_param(path);
  param_value out;
  const bool found = detail::visit_param(s, path, [&](const auto& ref, const auto&, std::string_view) {
    out = param_traits<std::remove_cvref_t<decltype(ref)>>::to_value(ref);
  });
  if (!found) throw detail::unknown_path_error(path, param_names(s));
  return out;
}

// validate_all(stage) -- checks the hyperparameters of a stage and of every stage nested in it against their ranges,
// without fitting: how a search rejects a bad grid value before any fit runs. The error names the step path.
template <class S>
void validate_all(const S& s) {
  if constexpr (detail::runtime_params<S>) {
    s.validate_all();
    return;
  }
  validate_params(s);
  if constexpr (detail::wrapper_stage<S>) {
    validate_all(s.stage);
  } else if constexpr (detail::composite_stage<S>) {
    std::apply(
        [](const auto&... steps) {
          (detail::in_step(steps.name.view(), std::remove_cvref_t<decltype(steps.stage)>::kind,
                           [&] { validate_all(steps.stage); }),
           ...);
        },
        s.steps);
  } else if constexpr (detail::nesting_stage<S>) {
    std::apply(
        [&](const auto&... n) {
          (detail::in_step(n.name.view(), std::remove_cvref_t<decltype(s.*(n.member))>::kind,
                           [&] { validate_all(s.*(n.member)); }),
           ...);
        },
        S::nested);
  }
}

namespace detail {

// A literal path that names nothing stops the build here. The path is passed on as characters so that every
// compiler shows it readably: g++ prints fixed_string{"model.C"}, but clang 14 prints a fixed_string's array as
// character codes, while it prints a character pack as 'm', 'o', 'd', 'e', 'l', '.', 'C'.
template <class Stage, char... Path>
constexpr bool path_exists = has_path<Stage, fixed_string<sizeof...(Path)>({Path..., '\0'})>();

template <class Stage, char... Path>
constexpr void unknown_parameter_path() {
  static_assert(path_exists<Stage, Path...>,
                "mlpipe: unknown parameter path in get<\"...\">() or set<\"...\">(); the path is the call marked "
                "'required from here' (g++) or 'requested here' (clang) below, and is spelled out in this template's "
                "arguments; param_names() lists the valid paths");
}

template <class Stage, fixed_string Path>
constexpr void spell_out_path() {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    unknown_parameter_path<Stage, Path.value[I]...>();
  }(std::make_index_sequence<Path.size()>{});
}

// get<"model.C">() / set<"model.C">(v) / set_param / get_param / param_names as members of composite stages.
template <class Derived>
struct path_access {
  template <fixed_string Path>
  constexpr const auto& get() const {
    if constexpr (!has_path<Derived, Path>()) spell_out_path<Derived, Path>();
    if constexpr (has_path<Derived, Path>()) return param_ref<Path>(self());
    else return *this;
  }

  template <fixed_string Path, class V>
  constexpr Derived& set(V&& value) {
    if constexpr (!has_path<Derived, Path>()) spell_out_path<Derived, Path>();
    if constexpr (has_path<Derived, Path>()) {
      using M = std::remove_cvref_t<decltype(param_ref<Path>(self_mut()))>;
      static_assert(std::is_assignable_v<M&, V&&>,
                    "mlpipe: set<\"...\">(value): the value's type does not convert to the parameter's type");
      if constexpr (std::is_assignable_v<M&, V&&>) param_ref<Path>(self_mut()) = std::forward<V>(value);
    }
    return self_mut();
  }

  Derived& set_param(std::string_view path, const param_value& value) {
    mlpipe::set_param(self_mut(), path, value);
    return self_mut();
  }
  param_value get_param(std::string_view path) const { return mlpipe::get_param(self(), path); }
  std::vector<std::string> param_names() const { return mlpipe::param_names(self()); }

 private:
  constexpr const Derived& self() const { return static_cast<const Derived&>(*this); }
  constexpr Derived& self_mut() { return static_cast<Derived&>(*this); }
};

}  // namespace detail
}  // namespace mlpipe
