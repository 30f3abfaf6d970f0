#pragma once

#include <concepts>
#include <string_view>

#include "mlpipe/core/types.hpp"

// Optional hooks through which a stage lets a search avoid repeated work. Stages without them are simply fitted.

namespace mlpipe {

// precomputing_stage -- fit splits into a part that depends on only some hyperparameters (precompute_params) and
// a cheap rest: select_k_best's univariate scores do not depend on k, so a search sweeping k scores each split once.
template <class S>
concept precomputing_stage = requires(const S& s, const matrix_view& X, const vector_view& y) {
  S::precompute_params;
  s.precompute(X, y);
  { s.fit_precomputed(s.precompute(X, y), X, y) } -> std::same_as<typename S::fitted>;
};

// warm_startable_stage -- fit can start from a solution for a neighbouring value of warm_start_param (logistic
// regression along C): a search fits such candidates in ascending order of that parameter, each from the last.
template <class S>
concept warm_startable_stage =
    requires(const S& s, const matrix_view& X, const vector_view& y, const typename S::fitted& previous) {
      { S::warm_start_param } -> std::convertible_to<std::string_view>;
      { s.fit_warm(X, y, previous) } -> std::same_as<typename S::fitted>;
    };

// in_place_transformer -- a fitted transformer that can overwrite its input with its output (as many columns out as
// in), with the same arithmetic as transform: a search transforms a split's rows that nothing else will read in
// place, instead of holding them twice.
template <class F>
concept in_place_transformer = requires(const F& f, matrix& X) { f.transform_in_place(X); };

}  // namespace mlpipe
