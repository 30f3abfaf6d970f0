#pragma once

#include <array>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/columns.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/union.hpp"

namespace mlpipe {

// remainder -- what column_transformer does with the input columns no branch names.
enum class remainder {
  drop,         // leave them out of the output (scikit-learn's default)
  passthrough,  // append them, unchanged and in input order, after the branches' outputs
};

template <>
struct enum_names<remainder> {
  static constexpr std::array values{std::pair{remainder::drop, std::string_view("drop")},
                                     std::pair{remainder::passthrough, std::string_view("passthrough")}};
};

namespace detail {
template <class T>
struct is_column_subset : std::false_type {};
template <class Stage>
struct is_column_subset<column_subset<Stage>> : std::true_type {};
}  // namespace detail

// column_transformer -- routes column subsets to their own transformers and puts the outputs side by side, as
// scikit-learn's ColumnTransformer:
//   column_transformer(step<"num">(columns({0, 1}, standard_scaler{})), step<"cat">(columns({2}, ...)))
//   column_transformer(remainder::passthrough, step<"num">(...))
template <class... Steps>
struct column_transformer : detail::path_access<column_transformer<Steps...>> {
  static_assert(sizeof...(Steps) >= 1, "mlpipe: column_transformer needs at least one branch");
  static_assert(detail::unique_step_names<Steps...>(),
                "mlpipe: two branches are named the same; give one of them another name with step<\"...\">(stage)");
  static_assert((detail::is_column_subset<typename Steps::stage_type>::value && ...),
                "mlpipe: each branch of column_transformer must be columns({...}, stage), optionally named with "
                "step<\"...\">");
  static_assert(detail::all_transform<Steps...>(),
                "mlpipe: every branch of column_transformer must wrap a transformer");

  static constexpr std::string_view kind = "column_transformer";
  // NaN across a row reaches every branch: it gets through only when every branch accepts NaN.
  static constexpr bool allows_nan = (detail::stage_allows_nan<typename Steps::stage_type>() && ...);
  static constexpr bool allocates_per_row = (detail::stage_allocates_per_row<typename Steps::stage_type>() || ...);
  using steps_type = std::tuple<Steps...>;
  using fitted =
      detail::fitted_concat<"column_transformer", fitted_step<Steps::name, typename Steps::stage_type::fitted>...>;

  mlpipe::remainder remainder = mlpipe::remainder::drop;  // what happens to columns no branch names
  steps_type steps;

  static constexpr auto params = std::tuple{param<"remainder">(&column_transformer::remainder)};

  template <class... Branches>
    requires(sizeof...(Branches) == sizeof...(Steps) &&
             (!std::is_same_v<std::remove_cvref_t<Branches>, column_transformer> && ...) &&
             (std::is_same_v<detail::as_step_t<Branches>, Steps> && ...))
  constexpr explicit column_transformer(Branches&&... branches)
      : steps{detail::to_step(std::forward<Branches>(branches))...} {}

  template <class... Branches>
    requires(sizeof...(Branches) == sizeof...(Steps) &&
             (!std::is_same_v<std::remove_cvref_t<Branches>, column_transformer> && ...) &&
             (std::is_same_v<detail::as_step_t<Branches>, Steps> && ...))
  constexpr column_transformer(mlpipe::remainder policy, Branches&&... branches)
      : remainder(policy), steps{detail::to_step(std::forward<Branches>(branches))...} {}

  fitted fit(const matrix_view& X, const vector_view& y = vector()) const {
    detail::check_not_empty(kind, X);
    return detail::fit_concat<fitted>(steps, X, y, remainder_columns(X.cols()), false).first;
  }

  std::pair<fitted, matrix> fit_transform(const matrix_view& X, const vector_view& y = vector()) const {
    detail::check_not_empty(kind, X);
    return detail::fit_concat<fitted>(steps, X, y, remainder_columns(X.cols()), true);
  }

 private:
  std::vector<index> remainder_columns(index n_features) const {
    if (remainder == mlpipe::remainder::drop) return {};
    std::vector<bool> used(static_cast<std::size_t>(n_features), false);
    std::apply(
        [&](const auto&... s) {
          (([&] {
             for (index c : s.stage.columns)
               if (c >= 0 && c < n_features) used[static_cast<std::size_t>(c)] = true;
           }()),
           ...);
        },
        steps);
    std::vector<index> out;
    for (index c = 0; c < n_features; ++c)
      if (!used[static_cast<std::size_t>(c)]) out.push_back(c);
    return out;
  }
};

template <class... Branches>
  requires(step_like<Branches> && ...)
column_transformer(Branches&&...) -> column_transformer<detail::as_step_t<Branches>...>;
template <class... Branches>
  requires(step_like<Branches> && ...)
column_transformer(remainder, Branches&&...) -> column_transformer<detail::as_step_t<Branches>...>;

}  // namespace mlpipe
