#pragma once

#include <utility>      // std::pair, std::move

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// fit_transform(stage, X, y) -- fits a transformer and transforms its own training data, in one pass where the
// stage offers one (a member fit_transform), else as fit followed by transform.
template <transformer S>
std::pair<typename S::fitted, matrix> fit_transform(const S& stage, const matrix_view& X,
                                                    const vector_view& y = vector()) {
  if constexpr (requires { { stage.fit_transform(X, y) } -> std::same_as<std::pair<typename S::fitted, matrix>>; }) {
    return stage.fit_transform(X, y);
  } else {
    auto fitted = stage.fit(X, y);
    matrix Xt = fitted.transform(X);
    return {std::move(fitted), std::move(Xt)};
  }
}

}  // namespace mlpipe
