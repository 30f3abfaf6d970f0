#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>      // std::move

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/fixed_string.hpp"

namespace mlpipe {

// named_step -- a stage with the name it has in a pipeline, union or column transformer.
template <fixed_string Name, class Stage>
struct named_step {
  static constexpr auto name = Name;
  using stage_type = Stage;
  Stage stage;
};

namespace detail {

template <fixed_string Name>
constexpr bool valid_step_name() {
  return Name.size() > 0 && Name.view().find('.') == std::string_view::npos;
}

template <class T>
struct is_named_step : std::false_type {};
template <fixed_string Name, class Stage>
struct is_named_step<named_step<Name, Stage>> : std::true_type {};

}  // namespace detail

// step<"scale">(standard_scaler{}) -- names a stage; the name starts its parameters' paths ("scale.with_mean").
template <fixed_string Name, class Stage>
constexpr auto step(Stage stage) {
  static_assert(detail::valid_step_name<Name>(),
                "mlpipe: a step name must be non-empty and must not contain '.'; dots separate the parts of a "
                "parameter path");
  static_assert(mlpipe::stage<Stage>,
                "mlpipe: step<\"...\">(x) needs a stage: a type with `kind`, a nested `fitted` type and a const "
                "`fit(X, y)` that returns it");
  return named_step<Name, Stage>{std::move(stage)};
}

// A named_step, or a stage that takes its kind as its name (as scikit-learn's make_pipeline names steps).
template <class T>
concept step_like = detail::is_named_step<std::remove_cvref_t<T>>::value || stage<std::remove_cvref_t<T>>;

namespace detail {

// Only stages and named steps have a step type, so that as_step_t<int> is a substitution failure, not an error.
template <class T>
struct as_step {};
template <class T>
  requires stage<T>
struct as_step<T> {
  using type = named_step<kind_name<T>, T>;
};
template <fixed_string Name, class Stage>
struct as_step<named_step<Name, Stage>> {
  using type = named_step<Name, Stage>;
};
template <class T>
using as_step_t = typename as_step<std::remove_cvref_t<T>>::type;

template <class T>
constexpr auto to_step(T&& t) {
  if constexpr (is_named_step<std::remove_cvref_t<T>>::value) return std::forward<T>(t);
  else return as_step_t<T>{std::forward<T>(t)};
}

// True when the names of Steps... are pairwise distinct.
template <class... Steps>
constexpr bool unique_step_names() {
  constexpr std::string_view names[] = {Steps::name.view()..., ""};
  constexpr std::size_t n = sizeof...(Steps);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (names[i] == names[j]) return false;
  return true;
}

// The position of the step named Name among Steps..., or sizeof...(Steps).
template <fixed_string Name, class... Steps>
constexpr std::size_t step_index() {
  constexpr std::string_view names[] = {Steps::name.view()..., ""};
  for (std::size_t i = 0; i < sizeof...(Steps); ++i)
    if (names[i] == Name.view()) return i;
  return sizeof...(Steps);
}

}  // namespace detail

// fitted_step -- a fitted stage with its step name, as a fitted pipeline stores it.
template <fixed_string Name, class Fitted>
struct fitted_step {
  static constexpr auto name = Name;
  using fitted_type = Fitted;
  Fitted fitted;
};

namespace detail {

// Fitted composites expose steps(); get<"a.b">() walks them by name.
template <fixed_string Path, class Composite>
constexpr const auto& fitted_get(const Composite& c) {
  using steps_type = std::remove_cvref_t<decltype(c.steps())>;
  constexpr std::size_t i = []<std::size_t... I>(std::index_sequence<I...>) {
    return step_index<path_head<Path>(), std::tuple_element_t<I, steps_type>...>();
  }(std::make_index_sequence<std::tuple_size_v<steps_type>>{});
  static_assert(i < std::tuple_size_v<steps_type>,
                "mlpipe: get<\"...\">(): no step has this name; the name is shown in this template's arguments");
  if constexpr (i >= std::tuple_size_v<steps_type>) {
    return c;
  } else if constexpr (first_dot<Path>() == std::string_view::npos) {
    return std::get<i>(c.steps()).fitted;
  } else {
    return std::get<i>(c.steps()).fitted.template get<path_tail<Path>()>();
  }
}

}  // namespace detail
}  // namespace mlpipe
