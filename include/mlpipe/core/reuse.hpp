#pragma once

#include <any>
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

// warm_chain_scope -- while it lives, this thread's fits form a chain along warm_start_param on the same rows (a
// search's candidates of one group on one split, in ascending order): a fit may leave in state what the next fit of
// the chain can start from beyond the previous solution (logistic regression leaves its solver's last Hessian, from
// which the next C's first Newton step needs no pass over the rows). A fit that reads state checks that it is its
// own previous fit's (same rows, same solution), so a stale or foreign state only goes unused. Scopes nest (an inner
// search's chains, then the outer one's again).
class warm_chain_scope {
 public:
  warm_chain_scope() : previous_(active()) { active() = this; }
  ~warm_chain_scope() { active() = previous_; }
  warm_chain_scope(const warm_chain_scope&) = delete;
  warm_chain_scope& operator=(const warm_chain_scope&) = delete;

  // The innermost chain on this thread, or nullptr.
  static warm_chain_scope* current() { return active(); }

  std::any state;  // what the chain's last fit left for the next (empty at first)

 private:
  static warm_chain_scope*& active() {
    thread_local warm_chain_scope* scope = nullptr;
    return scope;
  }
  warm_chain_scope* previous_;
};

// in_place_transformer -- a fitted transformer that can overwrite its input with its output (as many columns out as
// in), with the same arithmetic as transform: a search transforms a split's rows that nothing else will read in
// place, instead of holding them twice.
template <class F>
concept in_place_transformer = requires(const F& f, matrix& X) { f.transform_in_place(X); };

}  // namespace mlpipe
