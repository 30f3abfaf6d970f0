#pragma once

#include <algorithm>    // std::sort
#include <array>
#include <cmath>        // std::isnan, std::floor
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"
#include "mlpipe/feature_selection/univariate.hpp"

// The univariate selectors beyond select_k_best, as scikit-learn's: select_percentile, select_fpr, select_fdr,
// select_fwe and generic_univariate_select. Each scores every feature once (the precompute hook: a search sweeping
// percentile or alpha scores each split once) and keeps features by that score or its p-value.

namespace mlpipe {
namespace detail {

// The kept features as scikit-learn's SelectPercentile picks them: NaN scores as the lowest double, the threshold
// np.percentile(scores, 100 - percentile) (linear interpolation, numpy's lerp), features above it, then the first
// tied ones up to int(n * percentile / 100) (a Python slice, negative ends included).
inline std::vector<index> top_percentile(const vector& raw, double percentile) {
  const index n = raw.size();
  std::vector<index> kept;
  if (percentile == 100.0) {
    for (index j = 0; j < n; ++j) kept.push_back(j);
    return kept;
  }
  if (percentile == 0.0) return kept;
  std::vector<double> scores(static_cast<std::size_t>(n));
  for (index j = 0; j < n; ++j)
    scores[static_cast<std::size_t>(j)] = std::isnan(raw(j)) ? std::numeric_limits<double>::lowest() : raw(j);
  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  const double q = (100.0 - percentile) / 100.0;
  const double virtual_index = static_cast<double>(n - 1) * q;
  double threshold = 0.0;
  if (virtual_index >= static_cast<double>(n - 1)) {
    threshold = sorted.back();
  } else {
    const double previous = std::floor(virtual_index);
    const double t = virtual_index - previous;
    const double a = sorted[static_cast<std::size_t>(previous)];
    const double b = sorted[static_cast<std::size_t>(previous) + 1];
    const double diff = b - a;
    threshold = t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
  }
  std::vector<bool> mask(static_cast<std::size_t>(n));
  std::vector<index> ties;
  index above = 0;
  for (index j = 0; j < n; ++j) {
    const double s = scores[static_cast<std::size_t>(j)];
    mask[static_cast<std::size_t>(j)] = s > threshold;
    above += s > threshold ? 1 : 0;
    if (s == threshold) ties.push_back(j);
  }
  const auto max_features = static_cast<index>(static_cast<double>(n) * percentile / 100.0);
  const auto n_ties = static_cast<index>(ties.size());
  index end = max_features - above;  // ties[:end]
  if (end < 0) end = std::max<index>(0, n_ties + end);
  end = std::min(end, n_ties);
  for (index t = 0; t < end; ++t) mask[static_cast<std::size_t>(ties[static_cast<std::size_t>(t)])] = true;
  for (index j = 0; j < n; ++j)
    if (mask[static_cast<std::size_t>(j)]) kept.push_back(j);
  return kept;
}

// Features whose p-value is below `bound` (select_fpr: alpha; select_fwe: alpha / n).
inline std::vector<index> pvalue_below(const vector& pvalues, double bound) {
  std::vector<index> kept;
  for (index j = 0; j < pvalues.size(); ++j)
    if (pvalues(j) < bound) kept.push_back(j);
  return kept;
}

// Benjamini-Hochberg, as scikit-learn's SelectFdr: the largest sorted p-value p_(i) <= alpha / n * i, and every
// feature with a p-value at most that.
inline std::vector<index> benjamini_hochberg(const vector& pvalues, double alpha) {
  const index n = pvalues.size();
  std::vector<double> sorted(pvalues.data(), pvalues.data() + n);
  std::sort(sorted.begin(), sorted.end(), [](double a, double b) { return a < b || (!std::isnan(a) && std::isnan(b)); });
  const double step = alpha / static_cast<double>(n);
  double largest = -1.0;
  for (index i = 0; i < n; ++i) {
    const double p = sorted[static_cast<std::size_t>(i)];
    if (p <= step * static_cast<double>(i + 1)) largest = std::max(largest, p);
  }
  std::vector<index> kept;
  if (largest < 0.0) return kept;
  for (index j = 0; j < n; ++j)
    if (pvalues(j) <= largest) kept.push_back(j);
  return kept;
}

// The scores of a univariate selector, computed by its precompute step.
template <class Spec>
univariate_scores univariate_precompute(const Spec& spec, const matrix_view& X, const vector_view& y) {
  validate_params(spec);
  if (spec.score.empty()) {
    throw invalid_parameter("score \"" + std::string(spec.score.name) +
                                "\" has no function; expected a score such as f_classif, chi2 or mutual_info_classif",
                            Spec::kind);
  }
  check_fit_input(Spec::kind, X, y);
  return score_features(spec.score, Spec::kind, X, y);
}

// A selector that keeps features by p-value needs a score that has them.
inline void require_pvalues(std::string_view kind, const score_func& score, const univariate_scores& scores,
                            std::string_view what) {
  if (scores.pvalues.size() != 0) return;
  throw invalid_parameter("score " + std::string(score.name) + " gives no p-values, which " + std::string(what) +
                              " needs; expected a score with p-values (f_classif, f_regression, chi2)",
                          kind);
}

// The fitted state every univariate selector shares: its spec, the scores and p-values of the input features and
// the kept ones.
template <class Spec>
class univariate_selection : public selected_features<univariate_selection<Spec>> {
 public:
  static constexpr std::string_view kind = Spec::kind;
  static constexpr int schema_version = 1;

  univariate_selection() = default;  // an empty shell for load() to fill
  univariate_selection(Spec spec, univariate_scores scores, std::vector<index> support)
      : spec_(std::move(spec)), scores_(std::move(scores.scores)), pvalues_(std::move(scores.pvalues)),
        support_(std::move(support)) {}

  const Spec& spec() const { return spec_; }
  // Every input feature's score (scikit-learn's scores_) and p-value (pvalues_; empty if the score has none).
  const vector& scores() const { return scores_; }
  const vector& pvalues() const { return pvalues_; }
  // The kept input columns, ascending (get_support(indices=True)), and as one flag per input column (get_support()).
  const std::vector<index>& support() const { return support_; }
  index n_features_in() const { return scores_.size(); }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, one score per input feature,
  // one p-value per feature or none (none only for a selector that does not need them), and the support exactly the
  // features the hyperparameters select from these scores. load() runs it.
  void check_invariants() const {
    check_state_not_empty(kind, "state.scores", scores_.size(), "one per input feature");
    const index n = n_features_in();
    check_params(spec_, [&] {
      if constexpr (requires { spec_.check_param(n); }) spec_.check_param(n);
    });
    check_score_mask(kind, spec_.score, n);
    if (pvalues_.size() != 0)
      check_state_size(kind, "state.pvalues", pvalues_.size(), n, "one per input feature, or none");
    else if (spec_.needs_pvalues())
      throw_invariant(kind, "state.pvalues is empty; expected one per input feature (the selection uses them)");
    check_state_indices(kind, "state.support", support(), n, "n_features_in");
    if (spec_.kept(univariate_scores{scores_, pvalues_}) != support())
      throw_invariant(kind, "state.support is not what " + spec_.describe() +
                                " keeps of state.scores and state.pvalues; expected the features it selects");
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("scores", scores_);
    ar("pvalues", pvalues_);
    ar("support", support_);
  }

 private:
  Spec spec_;
  vector scores_;
  vector pvalues_;
  std::vector<index> support_;
};

// fit_precomputed of a univariate selector: the scores checked for p-values where needed, then the kept features.
template <class Spec>
univariate_selection<Spec> univariate_fit(const Spec& spec, const univariate_scores& scores) {
  validate_params(spec);
  if (spec.needs_pvalues()) require_pvalues(Spec::kind, spec.score, scores, spec.describe());
  return univariate_selection<Spec>(spec, scores, spec.kept(scores));
}

}  // namespace detail

// select_percentile -- keeps the given percentage of features with the highest univariate score, as
// scikit-learn's SelectPercentile (its threshold, NaN and tie rules).
struct select_percentile {
  static constexpr std::string_view kind = "select_percentile";

  double percentile = 10.0;      // the percentage of features to keep: 0 <= percentile <= 100
  score_func score = f_classif;  // what ranks the features (f_classif, chi2, mutual_info_classif, f_regression, ...)

  static constexpr auto params = std::tuple{param<"percentile">(&select_percentile::percentile, between(0.0, 100.0)),
                                            param<"score">(&select_percentile::score)};

  using fitted = detail::univariate_selection<select_percentile>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return fit_precomputed(precompute(X, y), X, y);
  }
  // A search sweeping percentile scores each split once (mlpipe/core/reuse.hpp).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const {
    return detail::univariate_precompute(*this, X, y);
  }
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view&, const vector_view&) const {
    return detail::univariate_fit(*this, scores);
  }

  // The kept features for these scores.
  std::vector<index> kept(const univariate_scores& s) const { return detail::top_percentile(s.scores, percentile); }
  bool needs_pvalues() const { return false; }
  std::string describe() const { return "percentile = " + format_double(percentile); }
};

// select_fpr -- keeps the features whose p-value is below alpha (scikit-learn's SelectFpr: a false positive rate
// test per feature). Needs a score with p-values.
struct select_fpr {
  static constexpr std::string_view kind = "select_fpr";

  double alpha = 0.05;           // the largest p-value kept (exclusive): 0 < alpha <= 1
  score_func score = f_classif;  // a score with p-values: f_classif, f_regression or chi2

  static constexpr auto params =
      std::tuple{param<"alpha">(&select_fpr::alpha, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
                 param<"score">(&select_fpr::score)};

  using fitted = detail::univariate_selection<select_fpr>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return fit_precomputed(precompute(X, y), X, y);
  }
  // A search sweeping alpha scores each split once (mlpipe/core/reuse.hpp).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const {
    return detail::univariate_precompute(*this, X, y);
  }
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view&, const vector_view&) const {
    return detail::univariate_fit(*this, scores);
  }

  std::vector<index> kept(const univariate_scores& s) const { return detail::pvalue_below(s.pvalues, alpha); }
  bool needs_pvalues() const { return true; }
  std::string describe() const { return "select_fpr with alpha = " + format_double(alpha); }
};

// select_fdr -- keeps features by the Benjamini-Hochberg procedure for a false discovery rate alpha
// (scikit-learn's SelectFdr). Needs a score with p-values.
struct select_fdr {
  static constexpr std::string_view kind = "select_fdr";

  double alpha = 0.05;           // the false discovery rate: 0 < alpha <= 1
  score_func score = f_classif;  // a score with p-values: f_classif, f_regression or chi2

  static constexpr auto params =
      std::tuple{param<"alpha">(&select_fdr::alpha, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
                 param<"score">(&select_fdr::score)};

  using fitted = detail::univariate_selection<select_fdr>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return fit_precomputed(precompute(X, y), X, y);
  }
  // A search sweeping alpha scores each split once (mlpipe/core/reuse.hpp).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const {
    return detail::univariate_precompute(*this, X, y);
  }
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view&, const vector_view&) const {
    return detail::univariate_fit(*this, scores);
  }

  std::vector<index> kept(const univariate_scores& s) const { return detail::benjamini_hochberg(s.pvalues, alpha); }
  bool needs_pvalues() const { return true; }
  std::string describe() const { return "select_fdr with alpha = " + format_double(alpha); }
};

// select_fwe -- keeps the features whose p-value is below alpha / n_features (Bonferroni, scikit-learn's
// SelectFwe: a family-wise error rate alpha). Needs a score with p-values.
struct select_fwe {
  static constexpr std::string_view kind = "select_fwe";

  double alpha = 0.05;           // the family-wise error rate: 0 < alpha <= 1
  score_func score = f_classif;  // a score with p-values: f_classif, f_regression or chi2

  static constexpr auto params =
      std::tuple{param<"alpha">(&select_fwe::alpha, interval{.lo = 0.0, .hi = 1.0, .lo_open = true}),
                 param<"score">(&select_fwe::score)};

  using fitted = detail::univariate_selection<select_fwe>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return fit_precomputed(precompute(X, y), X, y);
  }
  // A search sweeping alpha scores each split once (mlpipe/core/reuse.hpp).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const {
    return detail::univariate_precompute(*this, X, y);
  }
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view&, const vector_view&) const {
    return detail::univariate_fit(*this, scores);
  }

  std::vector<index> kept(const univariate_scores& s) const {
    return detail::pvalue_below(s.pvalues, alpha / static_cast<double>(s.pvalues.size()));
  }
  bool needs_pvalues() const { return true; }
  std::string describe() const { return "select_fwe with alpha = " + format_double(alpha); }
};

// selection_mode -- how generic_univariate_select reads its param (scikit-learn's mode).
enum class selection_mode {
  percentile,  // param is a percentage of features (select_percentile)
  k_best,      // param is a count of features (select_k_best)
  fpr,         // param is alpha of select_fpr
  fdr,         // param is alpha of select_fdr
  fwe          // param is alpha of select_fwe
};

template <>
struct enum_names<selection_mode> {
  static constexpr std::array values{std::pair{selection_mode::percentile, std::string_view("percentile")},
                                     std::pair{selection_mode::k_best, std::string_view("k_best")},
                                     std::pair{selection_mode::fpr, std::string_view("fpr")},
                                     std::pair{selection_mode::fdr, std::string_view("fdr")},
                                     std::pair{selection_mode::fwe, std::string_view("fwe")}};
};

// generic_univariate_select -- one univariate selector whose strategy is a hyperparameter (scikit-learn's
// GenericUnivariateSelect): a search can tune mode and param together.
struct generic_univariate_select {
  static constexpr std::string_view kind = "generic_univariate_select";

  score_func score = f_classif;                    // what ranks the features
  selection_mode mode = selection_mode::percentile;  // how param is read
  double param = 1e-5;  // percentile: 0..100; k_best: a whole count 0..n_features; fpr, fdr, fwe: 0 < alpha <= 1

  static constexpr auto params = std::tuple{mlpipe::param<"score">(&generic_univariate_select::score),
                                            mlpipe::param<"mode">(&generic_univariate_select::mode),
                                            mlpipe::param<"param">(&generic_univariate_select::param)};

  using fitted = detail::univariate_selection<generic_univariate_select>;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const {
    return fit_precomputed(precompute(X, y), X, y);
  }
  // A search sweeping mode and param scores each split once (mlpipe/core/reuse.hpp).
  static constexpr std::array precompute_params{std::string_view("score")};
  template <class Deferred = void>
  univariate_scores precompute(const matrix_view& X, const vector_view& y) const {
    check_param(-1);
    return detail::univariate_precompute(*this, X, y);
  }
  template <class Deferred = void>
  fitted fit_precomputed(const univariate_scores& scores, const matrix_view& X, const vector_view&) const {
    check_param(X.cols());
    return detail::univariate_fit(*this, scores);
  }

  std::vector<index> kept(const univariate_scores& s) const {
    switch (mode) {
      case selection_mode::percentile: return detail::top_percentile(s.scores, param);
      case selection_mode::k_best: return detail::top_k(s.scores, static_cast<index>(param));
      case selection_mode::fpr: return detail::pvalue_below(s.pvalues, param);
      case selection_mode::fdr: return detail::benjamini_hochberg(s.pvalues, param);
      case selection_mode::fwe: break;
    }
    return detail::pvalue_below(s.pvalues, param / static_cast<double>(s.pvalues.size()));
  }
  bool needs_pvalues() const {
    return mode == selection_mode::fpr || mode == selection_mode::fdr || mode == selection_mode::fwe;
  }
  std::string describe() const {
    return "mode = \"" + std::get<std::string>(param_traits<selection_mode>::to_value(mode)) +
           "\" with param = " + format_double(param);
  }
  // param's range depends on mode (n_features < 0: not known yet).
  void check_param(index n_features) const {
    const auto fail = [&](const std::string& expected) {
      throw invalid_parameter("param = " + format_double(param) + " is out of range for mode = \"" +
                                  std::get<std::string>(param_traits<selection_mode>::to_value(mode)) +
                                  "\"; expected " + expected,
                              kind);
    };
    if (!std::isfinite(param)) fail("a finite number");
    switch (mode) {
      case selection_mode::percentile:
        if (param < 0.0 || param > 100.0) fail("0 <= param <= 100");
        break;
      case selection_mode::k_best:
        if (param < 0.0 || std::floor(param) != param) fail("a whole number of features >= 0");
        if (n_features >= 0 && param > static_cast<double>(n_features))
          fail("param <= " + std::to_string(n_features) + ", the number of input features");
        break;
      default:
        if (!(param > 0.0) || param > 1.0) fail("0 < param <= 1");
    }
  }
};

}  // namespace mlpipe
