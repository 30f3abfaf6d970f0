#pragma once

#include <cstddef>      // std::size_t
#include <string_view>

namespace mlpipe {

// fixed_string -- a string literal usable as a template argument: step<"scale">, set<"model.C">.
template <std::size_t N>
struct fixed_string {
  char value[N + 1]{};  // public so the type is structural (a valid template parameter)

  constexpr fixed_string() = default;
  constexpr fixed_string(const char (&text)[N + 1]) {  // NOLINT(google-explicit-constructor): literals convert
    for (std::size_t i = 0; i <= N; ++i) value[i] = text[i];
  }

  static constexpr std::size_t size() { return N; }
  constexpr std::string_view view() const { return {value, N}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
};

template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

namespace detail {

// A fixed_string holding text[Pos, Pos + Len) of S; with the helpers below, paths split at compile time.
template <fixed_string S, std::size_t Pos, std::size_t Len>
constexpr auto substring() {
  fixed_string<Len> out;
  for (std::size_t i = 0; i < Len; ++i) out.value[i] = S.value[Pos + i];
  return out;
}

template <fixed_string S>
constexpr std::size_t first_dot() {
  return S.view().find('.');
}

// "model.C" -> "model"; "C" -> "C".
template <fixed_string S>
constexpr auto path_head() {
  constexpr std::size_t dot = first_dot<S>();
  if constexpr (dot == std::string_view::npos) return S;
  else return substring<S, 0, dot>();
}

// "features.num.scale" -> "num.scale"; only called on paths that have a dot.
template <fixed_string S>
constexpr auto path_tail() {
  constexpr std::size_t dot = first_dot<S>();
  static_assert(dot != std::string_view::npos);
  return substring<S, dot + 1, S.size() - dot - 1>();
}

// A stage's kind (a string_view) as a fixed_string, the name a stage gets in a pipeline when it has none.
template <class Stage>
inline constexpr auto kind_name = [] {
  fixed_string<Stage::kind.size()> out;
  for (std::size_t i = 0; i < Stage::kind.size(); ++i) out.value[i] = Stage::kind[i];
  return out;
}();

}  // namespace detail
}  // namespace mlpipe
