#pragma once

#include <array>
#include <cstddef>
#include <cstdint>      // std::int64_t
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::in_place_index, std::move
#include <variant>
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/types.hpp"

// one_of(a, b, ...) -- a choice between stages as a hyperparameter. The choice is the parameter at the step's own
// path ("scale" = "min_max_scaler", or an index), each alternative's parameters live under its name
// ("scale.min_max_scaler.clip"), and the fitted stage holds the chosen alternative's fitted type in a std::variant:
// row calls stay allocation-free, with no virtual call.

namespace mlpipe {
namespace detail {

// The alternatives' names, in order.
template <class... Steps>
inline constexpr std::array<std::string_view, sizeof...(Steps)> alternative_names{Steps::name.view()...};

inline std::string list_alternatives(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + std::string(names[i]);
  return out;
}

// The position of name among names, or names.size().
inline std::size_t alternative_position(std::span<const std::string_view> names, std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return names.size();
}

// The error for a choice that names no alternative: the closest names first, then all of them.
[[noreturn]] inline void throw_unknown_alternative(std::span<const std::string_view> names, const std::string& name) {
  const std::vector<std::string> candidates(names.begin(), names.end());
  const std::string suggestion = did_you_mean(name, candidates);
  throw invalid_parameter("unknown alternative \"" + name + "\"" + (suggestion.empty() ? "." : suggestion) +
                              " The alternatives are: " + list_alternatives(names) + " (or their index, 0 to " +
                              std::to_string(names.size() - 1) + ")",
                          "one_of");
}

[[noreturn]] inline void throw_alternative_index(std::span<const std::string_view> names, std::int64_t i) {
  throw invalid_parameter("alternative index " + std::to_string(i) + " is out of range; expected 0 to " +
                              std::to_string(names.size() - 1) + " (" + list_alternatives(names) + ")",
                          "one_of");
}

template <class F>
concept one_of_decision_function = requires(const F& f, const matrix_view& X) {
  { f.decision_function(X) } -> std::convertible_to<matrix>;
};

// All alternatives transformers, all classifiers, or all regressors.
template <class... Stages>
constexpr bool share_a_role() {
  return (transformer<Stages> && ...) || (classifier<Stages> && ...) || (regressor<Stages> && ...);
}

}  // namespace detail

// one_of_choice -- which alternative a one_of uses: set from its name ("min_max_scaler") or its index (1), saved as
// its name. An unknown name is an error that suggests the closest ones.
template <class... Steps>
struct one_of_choice {
  std::size_t index = 0;  // the chosen alternative, 0 to sizeof...(Steps) - 1
  friend constexpr bool operator==(const one_of_choice&, const one_of_choice&) = default;
};

template <class... Steps>
struct param_traits<one_of_choice<Steps...>> {
  static inline const std::string expected =
      "the name or index of an alternative (" +
      detail::list_alternatives(detail::alternative_names<Steps...>) + ")";
  static std::optional<one_of_choice<Steps...>> from_value(const param_value& v) {
    constexpr auto& names = detail::alternative_names<Steps...>;
    if (const auto* s = std::get_if<std::string>(&v)) {
      const std::size_t i = detail::alternative_position(names, *s);
      if (i == names.size()) detail::throw_unknown_alternative(names, *s);
      return one_of_choice<Steps...>{i};
    }
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
      if (*i < 0 || *i >= static_cast<std::int64_t>(names.size())) detail::throw_alternative_index(names, *i);
      return one_of_choice<Steps...>{static_cast<std::size_t>(*i)};
    }
    return std::nullopt;
  }
  static param_value to_value(const one_of_choice<Steps...>& c) {
    return std::string(detail::alternative_names<Steps...>[c.index]);
  }
};

template <class... FittedSteps>
class fitted_one_of;

// one_of_stage -- a stage that fits one of its alternatives, the one `choice` names. Made by one_of(a, b, ...);
// alternatives are named by step<"..."> or by their kind, and share a role (transformers, classifiers or regressors).
// Paths: "" (in a pipeline, the step's own path "scale") is the choice; "min_max_scaler.clip" an alternative's
// parameter. Unchosen alternatives keep their parameters and are not fitted.
template <class... Steps>
struct one_of_stage : detail::path_access<one_of_stage<Steps...>> {
  static_assert(sizeof...(Steps) >= 1, "mlpipe: one_of needs at least one alternative");
  static_assert(detail::unique_step_names<Steps...>(),
                "mlpipe: two alternatives of one_of are named the same; give one of them another name with "
                "step<\"...\">(stage)");
  static_assert(detail::share_a_role<typename Steps::stage_type...>(),
                "mlpipe: the alternatives of one_of must share a role: all transformers, all classifiers or all "
                "regressors");

  static constexpr std::string_view kind = "one_of";
  // NaN may reach the chosen alternative when any alternative accepts it (it then rejects NaN itself, if it must).
  static constexpr bool allows_nan = (detail::stage_allows_nan<typename Steps::stage_type>() || ...);
  static constexpr bool allocates_per_row = (detail::stage_allocates_per_row<typename Steps::stage_type>() || ...);
  using steps_type = std::tuple<Steps...>;
  using choice_type = one_of_choice<Steps...>;
  using fitted = fitted_one_of<fitted_step<Steps::name, typename Steps::stage_type::fitted>...>;

  steps_type steps;     // every alternative with its parameters
  choice_type choice{};  // the alternative fit uses: its name or index; default the first

  // The choice is the parameter with the empty name: its path is the step's own ("scale").
  static constexpr auto params = std::tuple{param<"">(&one_of_stage::choice)};

  // The chosen alternative's name.
  std::string_view alternative() const { return detail::alternative_names<Steps...>[choice.index]; }

  // Chooses an alternative by name (did-you-mean on an unknown one) or index.
  one_of_stage& choose(std::string_view name) {
    this->set_param("", param_value(std::string(name)));
    return *this;
  }
  one_of_stage& choose(std::size_t i) {
    this->set_param("", param_value(static_cast<std::int64_t>(i)));
    return *this;
  }

  // Checks every alternative's parameters (as a search does before any fit), then fits the chosen one only; errors
  // name the alternative as a step ("step 'min_max_scaler' (min_max_scaler): ...").
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const {
    validate_all(*this);
    return fit_at<0>(X, y);
  }

 private:
  template <std::size_t I>
  fitted fit_at(const matrix_view& X, const vector_view& y) const {
    if constexpr (I + 1 < sizeof...(Steps)) {
      if (choice.index != I) return fit_at<I + 1>(X, y);
    }
    const auto& s = std::get<I>(steps);
    return detail::in_step(s.name.view(), std::remove_cvref_t<decltype(s.stage)>::kind,
                           [&] { return fitted(std::in_place_index<I>, s.stage.fit(X, y)); });
  }
};

// one_of(a, b, ...) -- a choice between stages (or named steps) that share a role, tuned like any parameter:
// grid {"scale", {"standard_scaler", "min_max_scaler"}}, or set_param(pipe, "scale", "min_max_scaler").
template <class... Alternatives>
  requires(step_like<Alternatives> && ...)
constexpr auto one_of(Alternatives&&... alternatives) {
  return one_of_stage<detail::as_step_t<Alternatives>...>{
      {}, std::tuple{detail::to_step(std::forward<Alternatives>(alternatives))...}, {}};
}

// fitted_one_of -- the chosen alternative, fitted, in a std::variant; every call goes to it. Saved with the
// alternative's name, which load checks against the type's alternatives.
template <class... FittedSteps>
class fitted_one_of {
 public:
  static constexpr std::string_view kind = "one_of";
  static constexpr int schema_version = 1;  // bump when the saved state changes shape
  using variant_type = std::variant<typename FittedSteps::fitted_type...>;

  fitted_one_of() = default;  // an empty shell for load() to fill
  template <std::size_t I, class F>
  fitted_one_of(std::in_place_index_t<I> at, F&& model) : model_(at, std::forward<F>(model)) {}

  // The chosen alternative's position and name.
  std::size_t index() const { return model_.index(); }
  std::string_view alternative() const { return names_[model_.index()]; }
  // The fitted alternative (std::get<I>(model()) or std::visit on it).
  const variant_type& model() const { return model_; }

  mlpipe::index n_features_in() const {
    return std::visit([](const auto& m) { return static_cast<mlpipe::index>(m.n_features_in()); }, model_);
  }

  mlpipe::index n_features_out() const
    requires(fitted_transformer<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([](const auto& m) { return static_cast<mlpipe::index>(m.n_features_out()); }, model_);
  }
  matrix transform(const matrix_view& X) const
    requires(fitted_transformer<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([&](const auto& m) -> matrix { return m.transform(X); }, model_);
  }
  void transform_one(std::span<const double> in, std::span<double> out) const
    requires(fitted_row_transformer<typename FittedSteps::fitted_type> && ...)
  {
    std::visit([&](const auto& m) { m.transform_one(in, out); }, model_);
  }

  vector predict(const matrix_view& X) const
    requires(fitted_predictor<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([&](const auto& m) -> vector { return m.predict(X); }, model_);
  }
  double predict_one(std::span<const double> row) const
    requires(fitted_row_predictor<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([&](const auto& m) -> double { return m.predict_one(row); }, model_);
  }
  const vector& classes() const
    requires(fitted_classifier<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([](const auto& m) -> const vector& { return m.classes(); }, model_);
  }
  matrix predict_proba(const matrix_view& X) const
    requires(fitted_probabilistic_classifier<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([&](const auto& m) -> matrix { return m.predict_proba(X); }, model_);
  }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const
    requires(fitted_row_classifier<typename FittedSteps::fitted_type> && ...)
  {
    std::visit([&](const auto& m) { m.predict_proba_one(row, out); }, model_);
  }
  matrix decision_function(const matrix_view& X) const
    requires(detail::one_of_decision_function<typename FittedSteps::fitted_type> && ...)
  {
    return std::visit([&](const auto& m) -> matrix { return m.decision_function(X); }, model_);
  }

  // Throws mlpipe::load_error naming the first broken invariant of the chosen alternative (its own check, under its
  // name). load() runs it.
  void check_invariants() const {
    std::visit(
        [&](const auto& m) {
          if constexpr (requires { m.check_invariants(); }) {
            detail::in_step(alternative(), std::remove_cvref_t<decltype(m)>::kind, [&] { m.check_invariants(); });
          }
        },
        model_);
  }

  // The chosen alternative's name, then its fitted state. Loading a name the type does not have is a load_error.
  template <class Archive>
  void serialize(Archive& ar) {
    std::string name(alternative());
    ar("alternative", name);
    const std::size_t i = detail::alternative_position(names_, name);
    if (i == names_.size()) {
      throw load_error("state.alternative = \"" + name + "\" is not an alternative of this one_of; expected one of: " +
                           detail::list_alternatives(names_),
                       kind);
    }
    if (i != model_.index()) emplace_at<0>(i);  // loading another alternative than the shell holds
    std::visit([&](auto& m) { ar("model", m); }, model_);
  }

 private:
  template <std::size_t I>
  void emplace_at(std::size_t i) {
    if (i == I) model_.template emplace<I>();
    else if constexpr (I + 1 < sizeof...(FittedSteps)) emplace_at<I + 1>(i);
  }

  static constexpr std::array<std::string_view, sizeof...(FittedSteps)> names_{FittedSteps::name.view()...};
  variant_type model_;
};

}  // namespace mlpipe
