#pragma once

#include <chrono>
#include <cmath>        // std::sqrt
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>  // std::is_same_v
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/splitters.hpp"

namespace mlpipe {

// scoring_list -- the scorers to compute, by name: "accuracy", or {"accuracy", "roc_auc"}. Empty: the model's
// default (accuracy for classifiers, r2 for regressors), as scikit-learn's estimator.score.
struct scoring_list {
  std::vector<std::string> names;

  scoring_list() = default;
  scoring_list(const char* name) : names{name} {}                             // NOLINT: "accuracy" converts
  scoring_list(std::string name) : names{std::move(name)} {}                  // NOLINT
  scoring_list(std::initializer_list<std::string> list) : names(list) {}      // NOLINT
  scoring_list(std::vector<std::string> list) : names(std::move(list)) {}     // NOLINT
};

// cv_options -- how cross_validate runs.
struct cv_options {
  scoring_list scoring{};           // the scorers, by name; empty: accuracy for classifiers, r2 for regressors
  row_ids groups{};                 // one group id per row, for the group splitters (group_kfold, ...); others ignore it
  int n_jobs = 1;                   // threads for the folds; -1: every core. Results are the same for any value
  bool return_train_score = false;  // also score each fold's model on its own training rows
  bool return_estimator = false;    // keep each fold's fitted model
};

namespace detail {

// The rows of one split, copied from the user's data when the split's work starts and freed when it ends (so a
// cross-validation holds the data once plus the splits in progress), with their numbers in the user's data (to
// name the user's row in an error).
struct fold_data {
  matrix X_train, X_test;
  vector y_train, y_test;
  std::vector<index> train_rows, test_rows;  // row i of X_train is row train_rows[i] of the user's X
};

// Column j of X at the given rows, into out's column j; returns whether those values are all finite (checked a
// chunk at a time while the chunk is in cache, so the check costs no pass over memory of its own).
inline bool gather_column(const matrix_view& X, index j, const std::vector<index>& rows, matrix& out) {
  constexpr std::size_t chunk = 1024;
  const double* in = X.col(j).data();
  double* o = out.col(j).data();
  double zero = 0.0;  // x * 0 is 0 for finite x, NaN for NaN or infinity (as all_finite)
  for (std::size_t start = 0; start < rows.size(); start += chunk) {
    const std::size_t end = std::min(rows.size(), start + chunk);
    for (std::size_t i = start; i < end; ++i) o[i] = in[rows[i]];
    zero += (Eigen::Map<const vector>(o + start, static_cast<index>(end - start)).array() * 0.0).sum();
  }
  return zero == 0.0;
}

// A split's training and test rows of X, both gathered from each column while it is in cache (X is read from
// memory once, not once per side); returns whether they are all finite.
inline bool gather_split_rows(const matrix_view& X, const split& s, matrix& train, matrix& test) {
  train = new_matrix(static_cast<index>(s.train.size()), X.cols());
  test = new_matrix(static_cast<index>(s.test.size()), X.cols());
  bool finite = true;
  for (index j = 0; j < X.cols(); ++j) {
    finite = gather_column(X, j, s.train, train) && finite;
    finite = gather_column(X, j, s.test, test) && finite;
  }
  return finite;
}

inline vector gather_rows(const vector_view& y, const std::vector<index>& rows) {
  vector out(static_cast<index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) out(static_cast<index>(i)) = y(rows[i]);
  return out;
}

// One split's rows; with_features = false leaves X_train and X_test empty (for work that gathers them later).
inline fold_data make_fold(const matrix_view& X, const vector_view& y, const split& s, bool with_features = true) {
  fold_data fold;
  if (with_features) {
    gather_split_rows(X, s, fold.X_train, fold.X_test);
  }
  fold.y_train = gather_rows(y, s.train);
  fold.y_test = gather_rows(y, s.test);
  fold.train_rows = s.train;
  fold.test_rows = s.test;
  return fold;
}

// Every split's rows at once: the data held again n_splits - 1 times. Prefer make_fold inside each split's task.
inline std::vector<fold_data> make_folds(const matrix_view& X, const vector_view& y, const std::vector<split>& splits) {
  std::vector<fold_data> folds;
  folds.reserve(splits.size());
  for (const auto& s : splits) folds.push_back(make_fold(X, y, s));
  return folds;
}

// Runs f() on some of the user's rows (row i of its input is the user's row rows[i]); an mlpipe::error leaving it
// that names a row names the user's row instead.
template <class F>
decltype(auto) on_rows(const std::vector<index>& rows, F&& f) {
  try {
    return f();
  } catch (error& e) {
    const auto row = e.row();
    if (row && *row >= 0 && static_cast<std::size_t>(*row) < rows.size()) e.set_row(rows[static_cast<std::size_t>(*row)]);
    throw;
  }
}

// The scorers named in scoring, or default_name's alone when it is empty (none for a stage without a default score).
inline std::vector<scorer> resolve_scoring(const scoring_list& scoring, std::string_view default_name,
                                           std::string_view kind) {
  std::vector<std::string> names = scoring.names;
  if (names.empty()) {
    if (default_name.empty()) {
      throw invalid_parameter("scoring is empty and a " + std::string(kind) +
                              " has no default score; name a scorer, e.g. .scoring = \"r2\"");
    }
    names = {std::string(default_name)};
  }
  std::vector<scorer> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j]) throw invalid_parameter("scoring names '" + names[i] + "' twice");
    out.push_back(get_scorer(names[i]));
  }
  return out;
}

// scikit-learn's estimator.score: accuracy for classifiers (models with classes()), r2 for regressors; every scorer
// must be one the model can serve.
template <class Spec>
std::vector<scorer> resolve_scoring(const scoring_list& scoring) {
  constexpr std::string_view default_name = classifier<Spec> ? "accuracy" : (regressor<Spec> ? "r2" : "");
  std::vector<scorer> scorers = resolve_scoring(scoring, default_name, Spec::kind);
  check_scorers_servable(scorers, capabilities_of<typename Spec::fitted>());  // before anything is fitted
  return scorers;
}

// The same from a spec: one whose role is known only at run time (any_pipeline) is asked for its roles().
template <class Spec>
std::vector<scorer> resolve_scoring(const Spec& spec, const scoring_list& scoring) {
  if constexpr (dynamic_roles<Spec>) {
    const stage_roles roles = spec.roles();
    const std::string_view default_name = roles.classifier ? "accuracy" : (roles.predictor ? "r2" : "");
    std::vector<scorer> scorers = resolve_scoring(scoring, default_name, spec.wrapped_kind());
    check_scorers_servable(scorers, capabilities_of(roles));
    return scorers;
  } else {
    return resolve_scoring<Spec>(scoring);
  }
}

inline std::vector<std::string> scorer_names_of(const std::vector<scorer>& scorers) {
  std::vector<std::string> names;
  for (const auto& s : scorers) names.push_back(s.name);
  return names;
}

inline void note_split(error& e, std::size_t split_index, std::size_t n_splits, index train_rows) {
  e.add_note("cross-validation split " + std::to_string(split_index) + " of " + std::to_string(n_splits) + ", " +
             std::to_string(train_rows) + " training rows");
}

template <class Fitted>
struct fold_outcome {
  Fitted model;
  std::vector<double> test_scores;
  std::vector<double> train_scores;
  double fit_time = 0.0;
  double score_time = 0.0;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fits spec on one fold's training rows and scores it; an error names the split it happened in.
template <class Spec>
fold_outcome<typename Spec::fitted> fit_and_score(const Spec& spec, const fold_data& fold,
                                                  const std::vector<scorer>& scorers, bool train_score,
                                                  std::size_t split_index, std::size_t n_splits) {
  try {
    const auto start = std::chrono::steady_clock::now();
    auto model = on_rows(fold.train_rows, [&] { return spec.fit(fold.X_train, fold.y_train); });
    const double fit_time = seconds_since(start);
    const auto scoring_start = std::chrono::steady_clock::now();
    std::vector<double> test =
        on_rows(fold.test_rows, [&] { return score_all(scorers, model, fold.X_test, fold.y_test); });
    const double score_time = seconds_since(scoring_start);
    std::vector<double> train;
    if (train_score) train = on_rows(fold.train_rows, [&] { return score_all(scorers, model, fold.X_train, fold.y_train); });
    return {std::move(model), std::move(test), std::move(train), fit_time, score_time};
  } catch (error& e) {
    note_split(e, split_index, n_splits, static_cast<index>(fold.train_rows.size()));
    throw;
  }
}

inline double mean_of(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;  // in order, as numpy does for short arrays: ties between candidates stay ties
  return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

inline double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double sum = 0.0;
  for (double x : v) sum += (x - m) * (x - m);
  return v.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(v.size()));  // population std, as numpy's
}

}  // namespace detail

// cv_scores -- the scores and times of a cross-validation, per split; cv_results adds the fitted models.
class cv_scores {
 public:
  cv_scores(std::vector<std::string> scorer_names, std::vector<split> splits)
      : scorer_names_(std::move(scorer_names)), splits_(std::move(splits)),
        test_(scorer_names_.size()), train_(scorer_names_.size()) {}

  std::size_t n_splits() const { return splits_.size(); }
  const std::vector<std::string>& scorer_names() const { return scorer_names_; }
  const std::vector<split>& splits() const { return splits_; }

  // One score per split, for the named scorer (the only one when the name is omitted).
  const std::vector<double>& test_scores(std::string_view scorer = {}) const { return test_[position(scorer)]; }
  const std::vector<double>& train_scores(std::string_view scorer = {}) const {
    const auto& scores = train_[position(scorer)];
    if (scores.empty()) throw invalid_parameter("train scores were not computed; set .return_train_score = true");
    return scores;
  }
  double mean_test_score(std::string_view scorer = {}) const { return detail::mean_of(test_scores(scorer)); }
  double std_test_score(std::string_view scorer = {}) const { return detail::std_of(test_scores(scorer)); }
  // Wall-clock seconds per split.
  const std::vector<double>& fit_times() const { return fit_times_; }
  const std::vector<double>& score_times() const { return score_times_; }

 protected:
  void add_scores(const std::vector<double>& test, const std::vector<double>& train, double fit_time,
                  double score_time) {
    for (std::size_t s = 0; s < scorer_names_.size(); ++s) {
      test_[s].push_back(test[s]);
      if (!train.empty()) train_[s].push_back(train[s]);
    }
    fit_times_.push_back(fit_time);
    score_times_.push_back(score_time);
  }

 private:
  std::size_t position(std::string_view scorer) const {
    if (scorer.empty()) {
      if (scorer_names_.size() == 1) return 0;
      throw invalid_parameter("several scorers were computed (" + detail::join(scorer_names_, 20) +
                              "); name the one you want");
    }
    for (std::size_t s = 0; s < scorer_names_.size(); ++s)
      if (scorer_names_[s] == scorer) return s;
    const std::string suggestion = detail::did_you_mean(scorer, scorer_names_);
    throw invalid_parameter("no scores for '" + std::string(scorer) + "'" + (suggestion.empty() ? "." : suggestion) +
                            " Computed: " + detail::join(scorer_names_, 20));
  }

  std::vector<std::string> scorer_names_;
  std::vector<split> splits_;
  std::vector<std::vector<double>> test_;
  std::vector<std::vector<double>> train_;
  std::vector<double> fit_times_;
  std::vector<double> score_times_;
};

// cv_results -- what cross_validate returns: per split, the scores of every scorer, fit and score times (cv_scores),
// and on request each split's fitted model.
template <class Fitted>
class cv_results : public cv_scores {
 public:
  using cv_scores::cv_scores;

  // Each split's fitted model, when asked for with .return_estimator = true.
  const std::vector<Fitted>& estimators() const { return estimators_; }

  void add(detail::fold_outcome<Fitted>&& outcome, bool keep_model) {
    add_scores(outcome.test_scores, outcome.train_scores, outcome.fit_time, outcome.score_time);
    if (keep_model) estimators_.push_back(std::move(outcome.model));
  }

 private:
  std::vector<Fitted> estimators_;
};

namespace detail {

// The splits of cv (given the groups), or when it is empty scikit-learn's cv=None: 5 folds, stratified for
// classifiers (which ignore the groups); whether spec is one, is_classifier says (its roles() at run time).
template <class Spec>
std::vector<split> splits_or_default(const Spec& spec, const any_splitter& cv, const matrix_view& X,
                                     const vector_view& y, const row_ids& groups = {}) {
  if (!cv.empty()) return cv.splits(X.rows(), y, groups);
  if (mlpipe::is_classifier(spec)) return stratified_kfold{}.splits(X.rows(), y);
  return kfold{}.splits(X.rows(), y);
}

}  // namespace detail

// cross_validate(spec, X, y, cv, {.scoring, .n_jobs, .return_train_score}) -- fits a fresh copy of spec on each
// split's training rows (so preprocessing never sees the test rows) and scores it on the test rows, the splits
// running in parallel. A tuner is a stage too, so cross_validate(search, X, y, outer_cv) is nested CV. An empty
// any_splitter means scikit-learn's cv=None: 5 folds, stratified for a classifier.
template <class Spec, class CV>
cv_results<typename Spec::fitted> cross_validate(const Spec& spec, const matrix_view& X, const vector_view& y,
                                                 const CV& cv, const cv_options& options = {}) {
  const std::vector<scorer> scorers = detail::resolve_scoring(spec, options.scoring);
  resolve_n_jobs(options.n_jobs);
  detail::check_target_rows("cross_validate", X, y);
  std::vector<split> splits;
  if constexpr (std::is_same_v<CV, any_splitter>) splits = detail::splits_or_default(spec, cv, X, y, options.groups);
  else splits = split_rows(cv, X.rows(), y, options.groups);
  std::vector<detail::fold_outcome<typename Spec::fitted>> outcomes(splits.size());
  parallel_for(splits.size(), options.n_jobs, [&](std::size_t i) {
    const detail::fold_data fold = detail::make_fold(X, y, splits[i]);  // held while this split runs
    outcomes[i] = detail::fit_and_score(spec, fold, scorers, options.return_train_score, i, splits.size());
  });
  cv_results<typename Spec::fitted> results(detail::scorer_names_of(scorers), std::move(splits));
  for (auto& outcome : outcomes) results.add(std::move(outcome), options.return_estimator);
  return results;
}

}  // namespace mlpipe
