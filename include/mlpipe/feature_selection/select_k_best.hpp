#pragma once

#include <algorithm>    // std::sort
#include <array>
#include <cmath>        // std::isnan
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/feature_count.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"
#include "mlpipe/feature_selection/univariate.hpp"

namespace mlpipe {

// select_k_best -- keeps the k features with the highest univariate score, as scikit-learn's SelectKBest: ties and
// NaN scores are broken exactly as it does (NaN counts as the lowest score; among equal scores the later columns
// are kept), so the same data selects the same columns.
struct select_k_best {
  static constexpr std::string_view kind = "select_k_best";

  feature_count k = 10;         // how many features to keep: 0 <= k <= the number of input features, or `all`
  score_func score = f_classif;  // what ranks the features: f_classif (class labels) or f_regression (real targets)

  static constexpr auto params = std::tuple{param<"k">(&select_k_best::k, detail::zero_or_more_or_all{}),
                                            param<"score">(&select_k_best::score)};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit one compile its body
  fitted fit(const matrix_view& X, const vector_view& y) const;

  // What fit computes that does not depend on k: the univariate scores. A search sweeping k computes them once
  // per split (see mlpipe/core/reuse.hpp); fit(X, y) is fit_precomputed(precompute(X, y), X, y).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const;
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view& X, const vector_view& y) const;
};

class select_k_best::fitted : public detail::selected_features<select_k_best::fitted> {
 public:
  static constexpr std::string_view kind = select_k_best::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(select_k_best spec, univariate_scores scores, std::vector<index> support)
      : spec_(spec), scores_(std::move(scores.scores)), pvalues_(std::move(scores.pvalues)),
        support_(std::move(support)) {}

  const select_k_best& spec() const { return spec_; }
  // The kept input columns, ascending (scikit-learn's get_support(indices=True)).
  const std::vector<index>& support() const { return support_; }
  // Every input feature's score (scikit-learn's scores_) and p-value (pvalues_; empty if the score has none).
  const vector& scores() const { return scores_; }
  const vector& pvalues() const { return pvalues_; }
  index n_features_in() const { return scores_.size(); }
  // Throws mlpipe::load_error naming the first broken invariant of the learned state: k <= n_features_in (one score
  // per input feature), a p-value per feature or none, and support the ascending indices of k features (scores may
  // be nan or infinite, as a score function returns them). load() runs it.
  void check_invariants() const {
    detail::check_params(spec_);
    detail::check_state_not_empty(kind, "state.scores", scores_.size(), "one per input feature");
    const index n = n_features_in();
    if (!spec_.k.is_all() && spec_.k.count() > n) {
      detail::throw_invariant(kind, "k = " + std::to_string(spec_.k.count()) + " is more than n_features_in = " +
                                        std::to_string(n) + "; expected k <= " + std::to_string(n) + " or \"all\"");
    }
    detail::check_score_mask(kind, spec_.score, n);
    if (pvalues_.size() != 0)
      detail::check_state_size(kind, "state.pvalues", pvalues_.size(), n, "one per input feature, or none");
    const index k = spec_.k.resolve(n);
    detail::check_state_size(kind, "state.support", n_features_out(), k,
                             spec_.k.is_all() ? std::string("k = \"all\"") : "k = " + std::to_string(k), "index",
                             "indices");
    detail::check_state_indices(kind, "state.support", support_, n, "n_features_in");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("scores", scores_);
    ar("pvalues", pvalues_);
    ar("support", support_);
  }

 private:
  select_k_best spec_;
  vector scores_;
  vector pvalues_;
  std::vector<index> support_;
};

namespace detail {

// Calls a selector's score function and checks what it returns. Errors it raises about the data are reported as
// the selector's, naming the score function.
inline univariate_scores score_features(const score_func& score, std::string_view kind, const matrix_view& X,
                                        const vector_view& y) {
  univariate_scores out;
  try {
    out = score(X, y);
  } catch (const invalid_input& e) {
    throw invalid_input(e.detail() + " (score " + std::string(score.name) + ")", kind);
  } catch (const invalid_parameter& e) {
    throw invalid_parameter(e.detail() + " (score " + std::string(score.name) + ")", kind);
  }
  const auto count = [](const vector& v) { return std::to_string(v.size()); };
  if (out.scores.size() != X.cols() || (out.pvalues.size() != 0 && out.pvalues.size() != X.cols())) {
    throw invalid_parameter("score " + std::string(score.name) + " returned " + count(out.scores) + " scores and " +
                                count(out.pvalues) + " p-values for " + std::to_string(X.cols()) +
                                " features; expected one score per feature, and one p-value per feature or none",
                            kind);
  }
  return out;
}

// The k columns with the highest scores, ascending, exactly as scikit-learn's SelectKBest picks them: NaN scores
// replaced by the lowest double, a stable ascending sort (np.argsort(kind="mergesort")), the last k positions.
inline std::vector<index> top_k(const vector& scores, index k) {
  std::vector<double> key(static_cast<std::size_t>(scores.size()));
  for (index j = 0; j < scores.size(); ++j)
    key[static_cast<std::size_t>(j)] = std::isnan(scores(j)) ? std::numeric_limits<double>::lowest() : scores(j);
  const std::vector<index> order = sorted_order(key);
  std::vector<index> kept(order.end() - k, order.end());
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace detail

template <class Deferred>
univariate_scores select_k_best::precompute(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  if (score.empty()) {
    throw invalid_parameter("score \"" + std::string(score.name) +
                                "\" has no function; expected f_classif, f_regression or score_func{name, function}",
                            kind);
  }
  detail::check_fit_input(kind, X, y);
  return detail::score_features(score, kind, X, y);
}

template <class Deferred>
select_k_best::fitted select_k_best::fit_precomputed(const univariate_scores& scores, const matrix_view& X,
                                                     const vector_view&) const {
  validate_params(*this);
  if (!k.is_all() && k.count() > X.cols()) {
    throw invalid_parameter("k = " + std::to_string(k.count()) + " but the input has " + std::to_string(X.cols()) +
                                " features; expected k <= " + std::to_string(X.cols()) + " or \"all\"",
                            kind);
  }
  std::vector<index> support = detail::top_k(scores.scores, k.resolve(X.cols()));
  return fitted(*this, scores, std::move(support));
}

template <class Deferred>
select_k_best::fitted select_k_best::fit(const matrix_view& X, const vector_view& y) const {
  return fit_precomputed(precompute(X, y), X, y);
}

}  // namespace mlpipe
