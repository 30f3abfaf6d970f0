#pragma once

#include <algorithm>    // std::sort, std::unique, std::binary_search
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::index_sequence, std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {
namespace detail {

// The branches' outputs side by side, then the passed-through columns of X: what a union or column_transformer
// returns (also the run-time graph's, mlpipe/dynamic/graph.hpp). Each branch must give one row per input row.
inline matrix concatenate_branches(std::string_view kind, const matrix_view& X, std::span<const matrix> parts,
                                   const std::vector<index>& passthrough) {
  index width = static_cast<index>(passthrough.size());
  for (const matrix& part : parts) {
    if (part.rows() != X.rows()) {
      throw invalid_input("a branch returned " + std::to_string(part.rows()) + " rows for an input of " +
                              std::to_string(X.rows()) + "; expected one output row per input row",
                          kind);
    }
    width += part.cols();
  }
  matrix out(X.rows(), width);
  index at = 0;
  for (const matrix& part : parts) {
    out.middleCols(at, part.cols()) = part;
    at += part.cols();
  }
  for (index c : passthrough) out.col(at++) = X.col(c);
  return out;
}

template <class... Steps>
constexpr bool all_transform() {
  return (transformer<typename Steps::stage_type> && ...);
}

// A column_transformer's remainder, passthrough (ascending, in range), against the columns its branches take
// (`used`): either nothing (remainder drop) or exactly the columns no branch takes.
inline void check_remainder(std::string_view kind, const std::vector<index>& passthrough, std::vector<index> used,
                            index n_features_in) {
  if (passthrough.empty()) return;
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  for (std::size_t i = 0; i < passthrough.size(); ++i) {
    if (std::binary_search(used.begin(), used.end(), passthrough[i])) {
      throw_invariant(kind, "state.passthrough[" + std::to_string(i) + "] = " + std::to_string(passthrough[i]) +
                                " is a column a branch takes; expected only the columns no branch takes");
    }
  }
  check_state_size(kind, "state.passthrough", static_cast<index>(passthrough.size()),
                   n_features_in - static_cast<index>(used.size()), "the columns no branch takes, or none");
}

// Side by side: the outputs of the branches in order, then the columns of X listed in `passthrough`.
template <fixed_string Kind, class... FittedSteps>
class fitted_concat {
 public:
  static constexpr std::string_view kind = Kind.view();

  static constexpr int schema_version = 1;
  using steps_type = std::tuple<FittedSteps...>;

  fitted_concat() = default;  // an empty shell for load() to fill
  fitted_concat(std::tuple<FittedSteps...> steps, index n_features_in, std::vector<index> passthrough)
      : steps_(std::move(steps)), n_features_in_(n_features_in), passthrough_(std::move(passthrough)) {}

  index n_features_in() const { return n_features_in_; }
  index n_features_out() const {
    index n = static_cast<index>(passthrough_.size());
    std::apply([&](const auto&... s) { ((n += s.fitted.n_features_out()), ...); }, steps_);
    return n;
  }
  const std::tuple<FittedSteps...>& steps() const { return steps_; }
  // The input columns appended unchanged after the branches' outputs (column_transformer's remainder).
  const std::vector<index>& passthrough() const { return passthrough_; }

  matrix transform(const matrix_view& X) const {
    check_predict_input(kind, X, n_features_in_, true);
    std::array<matrix, sizeof...(FittedSteps)> parts;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((parts[I] = in_step(std::tuple_element_t<I, std::tuple<FittedSteps...>>::name.view(),
                           std::tuple_element_t<I, std::tuple<FittedSteps...>>::fitted_type::kind,
                           [&]() -> matrix { return std::get<I>(steps_).fitted.transform(X); })),
       ...);
    }(std::make_index_sequence<sizeof...(FittedSteps)>{});
    return concatenate(X, parts, passthrough_);
  }

  // One row, no allocation when every branch has transform_one: each branch writes its own slice of out.
  void transform_one(std::span<const double> in, std::span<double> out) const
    requires(fitted_row_transformer<typename FittedSteps::fitted_type> && ...)
  {
    check_row_width(kind, in, n_features_in_);
    std::size_t at = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (([&] {
         using step_type = std::tuple_element_t<I, steps_type>;
         const auto& f = std::get<I>(steps_).fitted;
         const auto width = static_cast<std::size_t>(f.n_features_out());
         in_step(step_type::name.view(), step_type::fitted_type::kind,
                 [&] { f.transform_one(in, out.subspan(at, width)); });
         at += width;
       }()),
       ...);
    }(std::make_index_sequence<sizeof...(FittedSteps)>{});
    for (index c : passthrough_) out[at++] = in[static_cast<std::size_t>(c)];
  }

  template <fixed_string Path>
  const auto& get() const {
    return fitted_get<Path>(*this);
  }

  // Throws mlpipe::load_error naming the first broken invariant: a branch's own (naming the branch), a branch that
  // does not take the whole input of state.n_features_in columns, or a state.passthrough that is not the ascending
  // columns no branch takes (a feature_union passes none through). load() runs it.
  void check_invariants() const {
    check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((check_step_invariants(std::get<I>(steps_)), check_branch_width(std::get<I>(steps_))), ...);
    }(std::make_index_sequence<sizeof...(FittedSteps)>{});
    check_state_indices(kind, "state.passthrough", passthrough_, n_features_in_, "n_features_in");
    if constexpr (kind == "column_transformer") {  // whose branches are all columns({...}, stage)
      std::vector<index> used;
      std::apply(
          [&](const auto&... s) {
            (used.insert(used.end(), s.fitted.columns().begin(), s.fitted.columns().end()), ...);
          },
          steps_);
      check_remainder(kind, passthrough_, std::move(used), n_features_in_);
    } else {
      check_state_size(kind, "state.passthrough", static_cast<index>(passthrough_.size()), 0,
                       "only a column_transformer passes columns through");
    }
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar("n_features_in", n_features_in_);
    ar("passthrough", passthrough_);
    ar.steps(steps_);
  }

  template <std::size_t N>
  static matrix concatenate(const matrix_view& X, const std::array<matrix, N>& parts,
                            const std::vector<index>& passthrough) {
    return concatenate_branches(kind, X, std::span<const matrix>(parts), passthrough);
  }

 private:
  template <class FittedStep>
  void check_branch_width(const FittedStep& s) const {
    if (s.fitted.n_features_in() == n_features_in_) return;
    throw_invariant(kind, "branch '" + std::string(FittedStep::name.view()) + "' was fitted on " +
                              std::to_string(s.fitted.n_features_in()) + " features but state.n_features_in = " +
                              std::to_string(n_features_in_) + "; expected every branch to take the whole input");
  }

  std::tuple<FittedSteps...> steps_;
  index n_features_in_ = 0;
  std::vector<index> passthrough_;
};

// Fits every branch on X (fit_transform, so each output is computed once) and returns the fitted branches and,
// when asked, the concatenated output.
template <class Fitted, class... Steps>
std::pair<Fitted, matrix> fit_concat(const std::tuple<Steps...>& steps, const matrix_view& X, const vector_view& y,
                                     std::vector<index> passthrough, bool want_output) {
  std::array<matrix, sizeof...(Steps)> parts;
  auto fitted_steps = [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto fit_one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      using step_type = std::tuple_element_t<J, std::tuple<Steps...>>;
      using result_step = fitted_step<step_type::name, typename step_type::stage_type::fitted>;
      auto [f, Xt] = in_step(step_type::name.view(), step_type::stage_type::kind,
                             [&] { return mlpipe::fit_transform(std::get<J>(steps).stage, X, y); });
      parts[J] = std::move(Xt);
      return result_step{std::move(f)};
    };
    return std::tuple{fit_one(std::integral_constant<std::size_t, I>{})...};
  }(std::make_index_sequence<sizeof...(Steps)>{});
  matrix out;
  if (want_output) out = Fitted::concatenate(X, parts, passthrough);
  return {Fitted(std::move(fitted_steps), X.cols(), std::move(passthrough)), std::move(out)};
}

}  // namespace detail

// feature_union -- fits each branch on the same input and puts their outputs side by side, as scikit-learn's
// FeatureUnion. Made by union_of(a, b, ...); branches are named by step<"..."> or by their kind.
template <class... Steps>
struct feature_union : detail::path_access<feature_union<Steps...>> {
  static_assert(sizeof...(Steps) >= 1, "mlpipe: union_of needs at least one branch");
  static_assert(detail::unique_step_names<Steps...>(),
                "mlpipe: two branches are named the same; give one of them another name with step<\"...\">(stage)");
  static_assert(detail::all_transform<Steps...>(),
                "mlpipe: every branch of union_of must be a transformer (its fitted type has transform(X))");

  static constexpr std::string_view kind = "feature_union";
  // Every branch reads all of X: NaN gets through only when every branch accepts it.
  static constexpr bool allows_nan = (detail::stage_allows_nan<typename Steps::stage_type>() && ...);
  static constexpr bool allocates_per_row = (detail::stage_allocates_per_row<typename Steps::stage_type>() || ...);
  static constexpr auto params = std::tuple<>{};
  using steps_type = std::tuple<Steps...>;
  using fitted =
      detail::fitted_concat<"feature_union", fitted_step<Steps::name, typename Steps::stage_type::fitted>...>;

  steps_type steps;

  fitted fit(const matrix_view& X, const vector_view& y = vector()) const {
    detail::check_not_empty(kind, X);
    return detail::fit_concat<fitted>(steps, X, y, {}, false).first;
  }

  std::pair<fitted, matrix> fit_transform(const matrix_view& X, const vector_view& y = vector()) const {
    detail::check_not_empty(kind, X);
    return detail::fit_concat<fitted>(steps, X, y, {}, true);
  }
};

// union_of(a, b, ...) -- a feature_union of the given stages or named steps.
template <class... Branches>
  requires(step_like<Branches> && ...)
constexpr auto union_of(Branches&&... branches) {
  return feature_union<detail::as_step_t<Branches>...>{
      {}, std::tuple{detail::to_step(std::forward<Branches>(branches))...}};
}

}  // namespace mlpipe
