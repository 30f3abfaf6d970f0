#pragma once

#include <cstdint>      // std::int64_t, std::uint32_t
#include <numeric>      // std::iota
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/paths.hpp"  // detail::did_you_mean, detail::join
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/curves.hpp"  // detail::check_seed
#include "mlpipe/validation/predict.hpp"
#include "mlpipe/validation/scorers.hpp"

// Permutation tests (scikit-learn's permutation_test_score) and permutation feature importances (scikit-learn's
// permutation_importance), drawing their permutations from numpy's RandomState stream so that the numbers are
// scikit-learn's for the same seed.

namespace mlpipe {

// permutation_test_options -- how permutation_test_score runs.
struct permutation_test_options {
  index n_permutations = 100;  // how many times y is permuted; >= 1
  std::int64_t seed = 0;       // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32
  any_splitter cv{};           // the splits; empty: 5 folds, stratified for classifiers
  std::string scoring{};       // one scorer by name; empty: accuracy for classifiers, r2 for regressors
  int n_jobs = 1;              // threads for the (permutation, split) fits; -1: every core. Same result for any value
  row_ids groups{};            // one group id per row: y is permuted within each group, and the group splitters read
                               // them (scikit-learn's groups); empty: y is permuted as a whole
};

// permutation_test_result -- the cross-validated score on the true targets, the scores on permuted targets, and
// the p-value (C + 1) / (n_permutations + 1), C the number of permuted scores >= the true one (scikit-learn's).
struct permutation_test_result {
  double score = 0.0;                    // the mean test score over the splits, on the true y
  std::vector<double> permutation_scores;  // the same on each permuted y, in draw order
  double p_value = 1.0;                  // the chance of a score this good when y carries no information
};

namespace detail {

// scikit-learn's _shuffle(y, groups, random_state): the order that permutes y, drawn from rng as a whole
// (rng.permutation(n)), or, with groups, within each group in ascending group id (rng.permutation of the group's
// rows, ascending), so that a row's new target comes from its own group.
inline std::vector<index> permutation_within_groups(numpy_random_state& rng, index n, const row_ids& groups) {
  std::vector<index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index{0});
  if (groups.empty()) {
    rng.shuffle(std::span<index>(order));
    return order;
  }
  const auto g = encode_groups(groups);
  std::vector<std::vector<index>> rows_of(g.distinct.size());
  for (std::size_t r = 0; r < g.code.size(); ++r) rows_of[static_cast<std::size_t>(g.code[r])].push_back(static_cast<index>(r));
  for (const auto& rows : rows_of) {
    std::vector<index> shuffled = rows;
    rng.shuffle(std::span<index>(shuffled));
    for (std::size_t i = 0; i < rows.size(); ++i) order[static_cast<std::size_t>(rows[i])] = shuffled[i];
  }
  return order;
}

}  // namespace detail

// permutation_test_score(spec, X, y, {.n_permutations, .seed, .cv, .groups}) -- scikit-learn's permutation_test_score:
// the cross-validated score of spec, compared with its scores after permuting y (within groups when .groups is given;
// the splits are made anew for each permuted y, as scikit-learn's cv.split(X, permuted y, groups) does).
template <predictor Spec>
permutation_test_result permutation_test_score(const Spec& spec, const matrix_view& X, const vector_view& y,
                                               const permutation_test_options& options = {}) {
  constexpr std::string_view function = "permutation_test_score";
  if (options.n_permutations < 1)
    throw invalid_parameter("n_permutations = " + std::to_string(options.n_permutations) +
                                " is out of range; expected n_permutations >= 1",
                            function);
  detail::check_seed(function, options.seed);
  const std::vector<scorer> scorers = detail::resolve_scoring(spec,
      options.scoring.empty() ? scoring_list{} : scoring_list{options.scoring});
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows(function, X, y);
  detail::check_groups_length(function, options.groups, X.rows());

  // Target 0 is y; target p > 0 is y permuted by the p-th draw of one RandomState stream (within groups).
  const auto n_targets = static_cast<std::size_t>(options.n_permutations) + 1;
  std::vector<vector> targets(n_targets);
  targets[0] = y;
  numpy_random_state rng(static_cast<std::uint32_t>(options.seed));
  for (std::size_t p = 1; p < n_targets; ++p) targets[p] = y(detail::permutation_within_groups(rng, y.size(), options.groups));
  std::vector<std::vector<split>> splits(n_targets);
  for (std::size_t p = 0; p < n_targets; ++p)
    splits[p] = detail::splits_or_default(spec, options.cv, X, targets[p], options.groups);
  const std::size_t n_splits = splits[0].size();
  for (std::size_t p = 1; p < n_targets; ++p)
    if (splits[p].size() != n_splits)
      throw invalid_parameter("the splitter gave " + std::to_string(splits[p].size()) + " splits for permutation " +
                                  std::to_string(p) + " but " + std::to_string(n_splits) +
                                  " for the true targets; expected the same number of splits",
                              function);
  if (n_splits == 0) throw invalid_parameter("the splitter gave no splits; expected at least one", function);

  std::vector<double> scores(n_targets * n_splits);
  parallel_for(scores.size(), options.n_jobs, [&](std::size_t task) {
    const std::size_t p = task / n_splits;
    const std::size_t s = task % n_splits;
    const detail::fold_data fold = detail::make_fold(X, targets[p], splits[p][s]);
    try {
      scores[task] = detail::fit_and_score(spec, fold, scorers, false, s, n_splits).test_scores[0];
    } catch (error& e) {
      if (p > 0) e.add_note("permutation " + std::to_string(p) + " of y");
      throw;
    }
  });
  permutation_test_result out;
  const auto mean_of_target = [&](std::size_t p) {
    return detail::mean_of(std::vector<double>(scores.begin() + static_cast<std::ptrdiff_t>(p * n_splits),
                                               scores.begin() + static_cast<std::ptrdiff_t>((p + 1) * n_splits)));
  };
  out.score = mean_of_target(0);
  double at_least = 0.0;
  for (std::size_t p = 1; p < n_targets; ++p) {
    out.permutation_scores.push_back(mean_of_target(p));
    if (out.permutation_scores.back() >= out.score) at_least += 1.0;
  }
  out.p_value = (at_least + 1.0) / (static_cast<double>(options.n_permutations) + 1.0);
  return out;
}

// permutation_importance_options -- how permutation_importance runs.
struct permutation_importance_options {
  index n_repeats = 5;    // how many times each column is permuted; >= 1
  std::int64_t seed = 0;  // numpy RandomState seed (scikit-learn's random_state); 0 <= seed < 2^32
  scoring_list scoring{};  // the scorers, by name; empty: accuracy for classifiers, r2 for regressors
  int n_jobs = 1;         // threads for the columns; -1: every core. Same result for any value
};

// permutation_importances -- what permutation_importance returns, per scorer: the score on the intact data and,
// per feature, how much permuting that feature's column lowers it (scikit-learn's importances, importances_mean,
// importances_std).
class permutation_importances {
 public:
  permutation_importances(std::vector<std::string> scorer_names, std::vector<double> baseline,
                          std::vector<matrix> importances)
      : names_(std::move(scorer_names)), baseline_(std::move(baseline)), importances_(std::move(importances)) {}

  const std::vector<std::string>& scorer_names() const { return names_; }
  // The score of the model on the data as given.
  double baseline_score(std::string_view scorer = {}) const { return baseline_[position(scorer)]; }
  // baseline - score with the column permuted: one row per feature, one column per repeat.
  const matrix& importances(std::string_view scorer = {}) const { return importances_[position(scorer)]; }
  // The mean importance of each feature over the repeats.
  vector importances_mean(std::string_view scorer = {}) const { return importances(scorer).rowwise().mean(); }
  // The population standard deviation (numpy's np.std) of each feature's importance over the repeats.
  vector importances_std(std::string_view scorer = {}) const {
    const matrix& m = importances(scorer);
    const vector mean = m.rowwise().mean();
    return ((m.colwise() - mean).array().square().rowwise().sum() / static_cast<double>(m.cols())).sqrt();
  }

 private:
  std::size_t position(std::string_view scorer) const {
    if (scorer.empty()) {
      if (names_.size() == 1) return 0;
      throw invalid_parameter("several scorers were computed (" + detail::join(names_, 20) +
                              "); name the one you want");
    }
    for (std::size_t s = 0; s < names_.size(); ++s)
      if (names_[s] == scorer) return s;
    const std::string suggestion = detail::did_you_mean(scorer, names_);
    throw invalid_parameter("no importances for '" + std::string(scorer) + "'" +
                            (suggestion.empty() ? "." : suggestion) + " Computed: " + detail::join(names_, 20));
  }

  std::vector<std::string> names_;
  std::vector<double> baseline_;
  std::vector<matrix> importances_;
};

// permutation_importance(fitted, X, y, {.n_repeats, .seed, .scoring}) -- scikit-learn's permutation_importance of
// a fitted model: for each feature, the drop of each score when that column of X is permuted, n_repeats times.
template <fitted_predictor Fitted>
permutation_importances permutation_importance(const Fitted& model, const matrix_view& X, const vector_view& y,
                                               const permutation_importance_options& options = {}) {
  constexpr std::string_view function = "permutation_importance";
  if (options.n_repeats < 1)
    throw invalid_parameter("n_repeats = " + std::to_string(options.n_repeats) +
                                " is out of range; expected n_repeats >= 1",
                            function);
  detail::check_seed(function, options.seed);
  detail::model_capabilities capabilities = detail::capabilities_of<Fitted>();
  if constexpr (dynamic_roles<Fitted>) capabilities = detail::capabilities_of(model.roles());  // any_model
  const std::string_view default_name = capabilities.classifier ? "accuracy" : "r2";
  const std::vector<scorer> scorers = detail::resolve_scoring(options.scoring, default_name, Fitted::kind);
  detail::check_scorers_servable(scorers, capabilities);
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows(function, X, y);
  if (X.rows() == 0) throw invalid_input("X has no rows; expected at least one row to permute", function);

  // scikit-learn draws one seed for every column: random_state.randint(np.iinfo(np.int32).max + 1).
  const auto column_seed =
      static_cast<std::uint32_t>(numpy_random_state(static_cast<std::uint32_t>(options.seed)).random_interval(2147483647));
  const std::vector<double> baseline = score_all(scorers, model, X, y);
  const auto n_repeats = static_cast<std::size_t>(options.n_repeats);
  std::vector<matrix> importances(scorers.size(), matrix(X.cols(), options.n_repeats));
  parallel_for(static_cast<std::size_t>(X.cols()), options.n_jobs, [&](std::size_t c) {
    const auto col = static_cast<index>(c);
    matrix X_permuted = X;
    numpy_random_state rng(column_seed);
    std::vector<index> shuffling(static_cast<std::size_t>(X.rows()));
    std::iota(shuffling.begin(), shuffling.end(), index{0});
    for (std::size_t r = 0; r < n_repeats; ++r) {
      rng.shuffle(std::span<index>(shuffling));
      // X_permuted[:, col] = X_permuted[shuffling, col]: the permutations compose, as in scikit-learn.
      const vector permuted = X_permuted(shuffling, col);
      X_permuted.col(col) = permuted;
      std::vector<double> scores;
      try {
        scores = score_all(scorers, model, X_permuted, y);
      } catch (error& e) {
        e.add_note(std::string(function) + ", feature " + std::to_string(c) + " permuted");
        throw;
      }
      for (std::size_t s = 0; s < scorers.size(); ++s)
        importances[s](col, static_cast<index>(r)) = baseline[s] - scores[s];
    }
  });
  return permutation_importances(detail::scorer_names_of(scorers), baseline, std::move(importances));
}

}  // namespace mlpipe
