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

// scoped_current<T> -- the innermost live T on this thread, for scopes that derive from it: a scope becomes current
// when it is made and hands back to the one it hid when it ends, so scopes nest (an inner search's, then the outer
// one's again).
template <class T>
class scoped_current {
 public:
  scoped_current(const scoped_current&) = delete;
  scoped_current& operator=(const scoped_current&) = delete;

  // The innermost T on this thread, or nullptr.
  static T* current() { return active(); }

 protected:
  scoped_current() : previous_(active()) { active() = static_cast<T*>(this); }
  ~scoped_current() { active() = previous_; }

 private:
  static T*& active() {
    thread_local T* scope = nullptr;
    return scope;
  }
  T* previous_;
};

// warm_chain_scope -- while it lives, this thread's fits form a chain along warm_start_param on the same rows (a
// search's candidates of one group on one split, in ascending order): a fit may leave in state what the next fit of
// the chain can start from beyond the previous solution (logistic regression leaves its solver's last Hessian, from
// which the next C's first Newton step needs no pass over the rows). A fit that reads state checks that it is its
// own previous fit's (same rows, same solution), so a stale or foreign state only goes unused.
class warm_chain_scope : public scoped_current<warm_chain_scope> {
 public:
  std::any state;  // what the chain's last fit left for the next (empty at first)
};

// split_targets_scope -- while it lives, this thread fits candidates on the targets y (a search's split: y must
// outlive the scope unchanged), and what a fit derives from y alone may be kept in memo for the next fit on the
// same targets: classifiers check and encode their labels once per split instead of once per fit. A fit uses memo
// only when its targets are these (holds(y): same address and length).
class split_targets_scope : public scoped_current<split_targets_scope> {
 public:
  explicit split_targets_scope(const vector& y) : y_(y.data()), size_(y.size()) {}

  // Whether y is this scope's targets.
  bool holds(const vector_view& y) const { return y.data() == y_ && y.size() == size_; }

  std::any memo;  // what a fit derived from the targets (empty at first)

 private:
  const double* y_;
  index size_;
};

// in_place_transformer -- a fitted transformer that can overwrite its input with its output (as many columns out as
// in), with the same arithmetic as transform: a search transforms a split's rows that nothing else will read in
// place, instead of holding them twice.
template <class F>
concept in_place_transformer = requires(const F& f, matrix& X) { f.transform_in_place(X); };

}  // namespace mlpipe
