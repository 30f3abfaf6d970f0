#pragma once

#include <cstdint>      // std::uint32_t
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// univariate_scores -- what a univariate score function returns: one score per feature (higher means more related
// to the target) and, where the score is a test statistic, its p-value (else `pvalues` is empty).
struct univariate_scores {
  vector scores;
  vector pvalues;
};

// discrete_columns -- which features mutual information treats as discrete, as scikit-learn's discrete_features:
// `discrete_columns::automatic()` ("auto": none, for a dense X), `true` (all), `false` (none) or a mask with one
// entry per feature.
class discrete_columns {
 public:
  // "auto": every feature of a dense matrix is continuous, as in scikit-learn.
  constexpr discrete_columns() = default;
  // true: every feature is discrete; false: none is.
  constexpr discrete_columns(bool all) : mode_(all ? mode::all : mode::none) {}  // NOLINT(google-explicit-constructor)
  // A mask: mask[j] says whether feature j is discrete; it must have one entry per feature.
  discrete_columns(std::vector<bool> mask)  // NOLINT(google-explicit-constructor)
      : mode_(mode::mask), mask_(std::move(mask)) {}

  static discrete_columns automatic() { return {}; }

  bool is_mask() const { return mode_ == mode::mask; }
  const std::vector<bool>& mask() const { return mask_; }
  // Whether feature j of n_features is discrete (a mask's length is checked by the score function).
  bool is_discrete(index j) const {
    if (mode_ == mode::mask) return mask_[static_cast<std::size_t>(j)];
    return mode_ == mode::all;
  }
  // "auto", "true", "false" or "mask".
  std::string describe() const {
    switch (mode_) {
      case mode::automatic: return "auto";
      case mode::all: return "true";
      case mode::none: return "false";
      case mode::mask: break;
    }
    return "mask";
  }

  friend bool operator==(const discrete_columns&, const discrete_columns&) = default;

 private:
  enum class mode { automatic, all, none, mask };
  mode mode_ = mode::automatic;
  std::vector<bool> mask_;
};

// score_settings -- the options of a score function that has some (mutual information, f_regression's
// force_finite). Functions without options ignore them.
struct score_settings {
  discrete_columns discrete{};// mutual information: which features are discrete (auto: none)
  int n_neighbors = 3;          // mutual information: neighbours of the nearest-neighbour estimators; >= 1
  std::uint32_t seed = 0;       // mutual information: seeds the small noise added to continuous values
  bool force_finite = true;     // f_regression, r_regression: replace NaN and infinite statistics by finite ones

  friend bool operator==(const score_settings&, const score_settings&) = default;
};

// score_func -- a univariate score function with its name, as the univariate selectors take it:
// `.score = f_regression`. Callable (`mlpipe::f_classif(X, y)`); the name is how it is set from a grid and saved.
// Your own is `score_func{"my_score", &my_function}`; it receives X and y already checked (non-empty, finite, one
// target per row) when a selector calls it. Built-in functions with options (mutual information, f_regression's
// force_finite) carry them in `settings`.
struct score_func {
  using function_type = univariate_scores (*)(const matrix_view& X, const vector_view& y);
  using configured_function_type = univariate_scores (*)(const matrix_view& X, const vector_view& y,
                                                         const score_settings& settings);

  std::string_view name;
  function_type function = nullptr;
  configured_function_type configured = nullptr;  // a function that reads `settings` (used instead of `function`)
  score_settings settings{};

  univariate_scores operator()(const matrix_view& X, const vector_view& y) const {
    return configured != nullptr ? configured(X, y, settings) : function(X, y);
  }
  // The same function with other options: `f_regression.with({.force_finite = false})`.
  score_func with(score_settings options) const {
    score_func out = *this;
    out.settings = std::move(options);
    return out;
  }
  // True when there is no function to call.
  bool empty() const { return function == nullptr && configured == nullptr; }

  friend bool operator==(const score_func&, const score_func&) = default;
};

namespace detail {

// Which settings a built-in score function reads: mutual information its estimator's, f_regression and r_regression
// force_finite; the others none.
inline bool reads_mutual_info_settings(std::string_view name) {
  return name == "mutual_info_classif" || name == "mutual_info_regression";
}
inline bool reads_force_finite(std::string_view name) { return name == "f_regression" || name == "r_regression"; }

// A selector's saved score settings fit its input: a discrete_features mask has one entry per input feature.
inline void check_score_mask(std::string_view kind, const score_func& score, index n_features_in) {
  const auto& d = score.settings.discrete;
  if (reads_mutual_info_settings(score.name) && d.is_mask() && static_cast<index>(d.mask().size()) != n_features_in)
    throw_invariant(kind, "params.score has a discrete_features mask of " + std::to_string(d.mask().size()) +
                              (d.mask().size() == 1 ? " entry" : " entries") + " but n_features_in = " + std::to_string(n_features_in) +
                              "; expected one entry per input feature");
}

}  // namespace detail

}  // namespace mlpipe
