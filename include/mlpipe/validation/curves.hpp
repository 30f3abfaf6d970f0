#pragma once

#include <algorithm>    // std::sort, std::unique, std::clamp, std::min
#include <cmath>        // std::isfinite
#include <cstdint>      // std::int64_t, std::uint32_t
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/predict.hpp"

// Learning and validation curves (scikit-learn's learning_curve and validation_curve): train and test scores per
// split as the training set grows, or as one hyperparameter moves.

namespace mlpipe {

// train_size_list -- the training-set sizes of a learning curve: fractions of the largest training set
// ({0.1, 0.55, 1.0}: each in (0, 1]) or row counts ({10, 50, 100}: each between 1 and the largest training set).
class train_size_list {
 public:
  // Fractions, scikit-learn's default np.linspace(0.1, 1.0, 5).
  train_size_list() : fractions_{0.1, 0.325, 0.55, 0.775, 1.0} {}
  train_size_list(std::initializer_list<double> fractions) : fractions_(fractions) {}  // NOLINT: {0.1, 1.0}
  train_size_list(std::vector<double> fractions) : fractions_(std::move(fractions)) {}  // NOLINT
  train_size_list(std::initializer_list<int> counts) : counts_(counts.begin(), counts.end()), are_counts_(true) {}  // NOLINT
  train_size_list(std::vector<index> counts) : counts_(std::move(counts)), are_counts_(true) {}  // NOLINT

  bool are_counts() const { return are_counts_; }
  const std::vector<double>& fractions() const { return fractions_; }
  const std::vector<index>& counts() const { return counts_; }

  // scikit-learn's _translate_train_sizes: the row counts, ascending and distinct, for a largest training set of
  // n_max rows (fractions are truncated, then clipped to [1, n_max]).
  std::vector<index> absolute(index n_max) const {
    std::vector<index> out;
    if (are_counts_) {
      if (counts_.empty()) throw invalid_parameter("train_sizes is empty; expected at least one size", "learning_curve");
      for (const index c : counts_) {
        if (c <= 0 || c > n_max)
          throw invalid_parameter("train_sizes has the count " + std::to_string(c) +
                                      "; expected counts between 1 and " + std::to_string(n_max) +
                                      ", the number of rows of the smallest training set of the splits",
                                  "learning_curve");
        out.push_back(c);
      }
    } else {
      if (fractions_.empty())
        throw invalid_parameter("train_sizes is empty; expected at least one size", "learning_curve");
      for (const double f : fractions_) {
        if (!(f > 0.0 && f <= 1.0))
          throw invalid_parameter("train_sizes has the fraction " + format_double(f) +
                                      "; expected fractions in (0, 1] of the largest training set (or whole-number "
                                      "counts, e.g. {10, 50, 100})",
                                  "learning_curve");
        out.push_back(std::clamp(static_cast<index>(f * static_cast<double>(n_max)), index{1}, n_max));
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::vector<double> fractions_;
  std::vector<index> counts_;
  bool are_counts_ = false;
};

// learning_curve_options -- how learning_curve runs.
struct learning_curve_options {
  train_size_list train_sizes{};  // the training-set sizes: fractions in (0, 1] or row counts
  any_splitter cv{};              // the splits; empty: 5 folds, stratified for classifiers
  std::string scoring{};          // one scorer by name; empty: accuracy for classifiers, r2 for regressors
  int n_jobs = 1;                 // threads for the (size, split) fits; -1: every core. Same result for any value
  bool shuffle = false;           // permute each split's training rows before taking the first n of them
  std::int64_t seed = 0;          // numpy RandomState seed (scikit-learn's random_state) when shuffle; 0 <= seed < 2^32
  row_ids groups{};               // one group id per row, for the group splitters (group_kfold, ...); others ignore it
};

// validation_curve_options -- how validation_curve runs.
struct validation_curve_options {
  any_splitter cv{};      // the splits; empty: 5 folds, stratified for classifiers
  std::string scoring{};  // one scorer by name; empty: accuracy for classifiers, r2 for regressors
  int n_jobs = 1;         // threads for the (value, split) fits; -1: every core. Same result for any value
  row_ids groups{};       // one group id per row, for the group splitters (group_kfold, ...); others ignore it
};

// curve_scores -- train and test scores of a learning or validation curve: row i is point i of the curve (a
// training size or a parameter value), column j split j, as scikit-learn's train_scores and test_scores.
struct curve_scores {
  matrix train_scores;  // points x splits
  matrix test_scores;   // points x splits
  matrix fit_times;     // points x splits, wall-clock seconds
  matrix score_times;   // points x splits, wall-clock seconds

  // The mean test score of each point over the splits.
  vector mean_test_scores() const { return test_scores.rowwise().mean(); }
  // The mean train score of each point over the splits.
  vector mean_train_scores() const { return train_scores.rowwise().mean(); }
};

// learning_curve_result -- what learning_curve returns: the training sizes as row counts and their scores.
struct learning_curve_result : curve_scores {
  std::vector<index> train_sizes_abs;  // the distinct training-set sizes, ascending (scikit-learn's train_sizes_abs)
};

namespace detail {

inline void check_seed(std::string_view function, std::int64_t seed) {
  if (seed < 0 || seed > 4294967295LL)
    throw invalid_parameter("seed = " + std::to_string(seed) + " is out of range; expected 0 <= seed < 2^32",
                            function);
}

// Fits spec on every (point, split) pair of rows and fills a curve: train_rows(point, split) are the rows to fit on.
template <class Spec, class SpecOf, class RowsOf>
curve_scores run_curve(std::string_view function, std::size_t n_points, const std::vector<split>& splits,
                       const matrix_view& X, const vector_view& y, const std::string& scoring, int n_jobs,
                       SpecOf&& spec_of, RowsOf&& train_rows_of) {
  const std::vector<scorer> scorers =
      resolve_scoring(spec_of(0), scoring.empty() ? scoring_list{} : scoring_list{scoring});
  resolve_n_jobs(n_jobs);
  const std::size_t n_splits = splits.size();
  curve_scores out;
  out.train_scores.resize(static_cast<index>(n_points), static_cast<index>(n_splits));
  out.test_scores.resizeLike(out.train_scores);
  out.fit_times.resizeLike(out.train_scores);
  out.score_times.resizeLike(out.train_scores);
  parallel_for(n_points * n_splits, n_jobs, [&](std::size_t task) {
    const std::size_t s = task / n_points;  // scikit-learn's order: each split, then each point
    const std::size_t p = task % n_points;
    const fold_data fold = make_fold(X, y, split{train_rows_of(p, s), splits[s].test});
    try {
      auto outcome = fit_and_score(spec_of(p), fold, scorers, true, s, n_splits);
      const auto i = static_cast<index>(p);
      const auto j = static_cast<index>(s);
      out.test_scores(i, j) = outcome.test_scores[0];
      out.train_scores(i, j) = outcome.train_scores[0];
      out.fit_times(i, j) = outcome.fit_time;
      out.score_times(i, j) = outcome.score_time;
    } catch (error& e) {
      e.add_note(std::string(function) + " point " + std::to_string(p));
      throw;
    }
  });
  return out;
}

}  // namespace detail

// learning_curve(spec, X, y, {.train_sizes, .cv, .groups}) -- scikit-learn's learning_curve: for each split and each
// training size n, fits spec on the first n training rows of the split (after a seeded permutation of them when
// .shuffle) and scores it on the split's training subset and test rows. Sizes are relative to the first split's
// training rows; a split with fewer (group folds differ in size) trains on all of its own, as scikit-learn does.
template <predictor Spec>
learning_curve_result learning_curve(const Spec& spec, const matrix_view& X, const vector_view& y,
                                     const learning_curve_options& options = {}) {
  detail::check_seed("learning_curve", options.seed);
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows("learning_curve", X, y);
  detail::check_groups_length("learning_curve", options.groups, X.rows());
  const std::vector<split> splits = detail::splits_or_default(spec, options.cv, X, y, options.groups);
  if (splits.empty()) throw invalid_parameter("the splitter gave no splits; expected at least one", "learning_curve");
  const auto n_max = static_cast<index>(splits[0].train.size());  // scikit-learn takes the first split's size
  const std::vector<index> sizes = options.train_sizes.absolute(n_max);
  std::vector<std::vector<index>> train(splits.size());
  numpy_random_state rng(static_cast<std::uint32_t>(options.seed));
  for (std::size_t s = 0; s < splits.size(); ++s) {
    train[s] = splits[s].train;
    if (train[s].empty())
      throw invalid_parameter("split " + std::to_string(s) + " has no training rows; expected at least one",
                              "learning_curve");
    if (options.shuffle) rng.shuffle(std::span<index>(train[s]));  // rng.permutation(train), one stream
  }
  learning_curve_result out;
  static_cast<curve_scores&>(out) = detail::run_curve<Spec>(
      "learning_curve", sizes.size(), splits, X, y, options.scoring, options.n_jobs,
      [&](std::size_t) -> const Spec& { return spec; },
      [&](std::size_t p, std::size_t s) {  // train[:size]: a split with fewer rows (group folds) trains on all
        const auto n = std::min(sizes[p], static_cast<index>(train[s].size()));
        return std::vector<index>(train[s].begin(), train[s].begin() + n);
      });
  out.train_sizes_abs = sizes;
  return out;
}

// validation_curve(spec, X, y, "model.C", {0.01, 0.1, 1.0}, {.cv, .groups}) -- scikit-learn's validation_curve: for each value
// of the parameter at path and each split, fits spec with that value and scores it on the split's training and
// test rows. Every value is checked (path, type, range) before anything is fitted.
template <predictor Spec>
curve_scores validation_curve(const Spec& spec, const matrix_view& X, const vector_view& y, std::string_view path,
                              const std::vector<param_value>& values, const validation_curve_options& options = {}) {
  if (values.empty())
    throw invalid_parameter("the parameter '" + std::string(path) + "' has no values; expected at least one",
                            "validation_curve");
  std::vector<Spec> specs;
  for (std::size_t v = 0; v < values.size(); ++v) {
    Spec candidate = spec;
    try {
      set_param(candidate, path, values[v]);
      validate_all(candidate);
    } catch (error& e) {
      e.add_note("validation_curve value " + std::to_string(v) + ", " + std::string(path) + " = " +
                 format_value(values[v]));
      throw;
    }
    specs.push_back(std::move(candidate));
  }
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows("validation_curve", X, y);
  detail::check_groups_length("validation_curve", options.groups, X.rows());
  const std::vector<split> splits = detail::splits_or_default(spec, options.cv, X, y, options.groups);
  return detail::run_curve<Spec>(
      "validation_curve", values.size(), splits, X, y, options.scoring, options.n_jobs,
      [&](std::size_t p) -> const Spec& { return specs[p]; },
      [&](std::size_t, std::size_t s) { return splits[s].train; });
}

}  // namespace mlpipe
