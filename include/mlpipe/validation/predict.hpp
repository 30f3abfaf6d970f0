#pragma once

#include <algorithm>    // std::lower_bound, std::sort, std::unique
#include <limits>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/splitters.hpp"

// Out-of-fold predictions (scikit-learn's cross_val_predict): every row predicted by the model of the one split
// that did not train on it.

namespace mlpipe {

// predict_options -- how cross_val_predict runs.
struct predict_options {
  int n_jobs = 1;    // threads for the splits; -1: every core. Results are the same for any value
  row_ids groups{};  // one group id per row, for the group splitters (group_kfold, ...); others ignore it
};

namespace detail {

// Groups: none, or one id per row of X (scikit-learn's indexable(X, y, groups)), whatever the splitter.
inline void check_groups_length(std::string_view function, const row_ids& groups, index n_rows) {
  if (!groups.empty() && static_cast<index>(groups.size()) != n_rows)
    throw invalid_input("groups has " + std::to_string(groups.size()) + " ids but X has " + std::to_string(n_rows) +
                            " rows; expected one group id per row",
                        function);
}

// scikit-learn's _check_is_permutation: the test sets together hold every row exactly once.
inline void check_partition(std::string_view function, const std::vector<split>& splits, index n_rows) {
  std::vector<int> times(static_cast<std::size_t>(n_rows), 0);
  for (std::size_t s = 0; s < splits.size(); ++s) {
    for (const index r : splits[s].test) {
      if (r < 0 || r >= n_rows)
        throw invalid_parameter("split " + std::to_string(s) + " tests row " + std::to_string(r) + " but there are " +
                                    std::to_string(n_rows) + " rows; expected row numbers below " +
                                    std::to_string(n_rows),
                                function);
      if (++times[static_cast<std::size_t>(r)] == 2)
        throw invalid_parameter("row " + std::to_string(r) + " is in the test rows of more than one split; " +
                                    std::string(function) +
                                    " only works for splitters whose test sets are a partition of the rows (each row "
                                    "tested exactly once), as kfold and stratified_kfold; not repeated or shuffle "
                                    "splits",
                                function);
    }
  }
  for (std::size_t r = 0; r < times.size(); ++r)
    if (times[r] == 0)
      throw invalid_parameter("row " + std::to_string(r) + " is in no split's test rows; " + std::string(function) +
                                  " only works for splitters whose test sets are a partition of the rows (each row "
                                  "tested exactly once)",
                              function);
}

// The distinct values of y, ascending (np.unique).
inline vector unique_values(const vector_view& y) {
  std::vector<double> values(y.begin(), y.end());
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  vector out(static_cast<index>(values.size()));
  for (index i = 0; i < out.size(); ++i) out(i) = values[static_cast<std::size_t>(i)];
  return out;
}

enum class oof_method { predict, predict_proba, decision_function };

// One split's predictions for its test rows, as columns of the whole data's classes where the method gives one
// column per class (scikit-learn's _enforce_prediction_order: a class absent from the split's training rows gets
// probability 0 and decision value -DBL_MAX).
template <oof_method Method, class Fitted>
matrix fold_predictions(const Fitted& model, const matrix_view& X_test, const vector& all_classes) {
  if constexpr (Method == oof_method::predict) {
    vector p = model.predict(X_test);
    return matrix(Eigen::Map<const matrix>(p.data(), p.size(), 1));
  } else {
    matrix out = Method == oof_method::predict_proba ? matrix(model.predict_proba(X_test))
                                                     : matrix(model.decision_function(X_test));
    const vector& fold_classes = model.classes();
    if (fold_classes.size() == all_classes.size()) return out;
    const auto n_all = all_classes.size();
    if (Method == oof_method::decision_function && (out.cols() == 1 || n_all == 2))
      throw invalid_input("only " + std::to_string(fold_classes.size()) + " classes in a split's training rows, but " +
                              std::to_string(n_all) +
                              " in the whole data; expected every class in every training set, as decision values "
                              "of a split with other classes cannot be aligned",
                          "cross_val_decision_function");
    const double missing =
        Method == oof_method::predict_proba ? 0.0 : std::numeric_limits<double>::lowest();
    matrix aligned = matrix::Constant(out.rows(), n_all, missing);
    for (index k = 0; k < fold_classes.size(); ++k) {
      const auto* at = std::lower_bound(all_classes.data(), all_classes.data() + n_all, fold_classes(k));
      aligned.col(at - all_classes.data()) = out.col(k);
    }
    return aligned;
  }
}

template <oof_method Method, class Spec>
matrix cross_val_outputs(std::string_view function, const Spec& spec, const matrix_view& X, const vector_view& y,
                         const any_splitter& cv, const predict_options& options) {
  resolve_n_jobs(options.n_jobs);
  check_target_rows(function, X, y);
  check_groups_length(function, options.groups, X.rows());
  const std::vector<split> splits = splits_or_default(spec, cv, X, y, options.groups);
  check_partition(function, splits, X.rows());
  vector all_classes;
  if constexpr (Method != oof_method::predict) all_classes = unique_values(y);
  std::vector<matrix> outputs(splits.size());
  parallel_for(splits.size(), options.n_jobs, [&](std::size_t s) {
    const fold_data fold = make_fold(X, y, splits[s]);  // held while this split runs
    try {
      const auto model = on_rows(fold.train_rows, [&] { return spec.fit(fold.X_train, fold.y_train); });
      outputs[s] = on_rows(fold.test_rows, [&] { return fold_predictions<Method>(model, fold.X_test, all_classes); });
    } catch (error& e) {
      note_split(e, s, splits.size(), fold.X_train.rows());
      throw;
    }
  });
  matrix out(X.rows(), outputs.empty() ? 0 : outputs[0].cols());
  for (std::size_t s = 0; s < splits.size(); ++s) {
    if (outputs[s].cols() != out.cols())
      throw invalid_input("split " + std::to_string(s) + " predicted " + std::to_string(outputs[s].cols()) +
                              " columns but split 0 predicted " + std::to_string(out.cols()) +
                              "; expected the same number of columns from every split",
                          function);
    for (std::size_t i = 0; i < splits[s].test.size(); ++i)
      out.row(splits[s].test[i]) = outputs[s].row(static_cast<index>(i));
  }
  return out;
}

}  // namespace detail

// cross_val_predict(spec, X, y, cv, {.n_jobs, .groups}) -- each row's prediction by the model fitted on the split
// that tested it (scikit-learn's cross_val_predict). The test sets of cv must be a partition of the rows (kfold,
// stratified_kfold, group_kfold, leave_one_group_out, predefined_split without -1 rows); an empty cv is 5 folds,
// stratified for classifiers.
template <predictor Spec>
vector cross_val_predict(const Spec& spec, const matrix_view& X, const vector_view& y, const any_splitter& cv = {},
                         const predict_options& options = {}) {
  const matrix out = detail::cross_val_outputs<detail::oof_method::predict>("cross_val_predict", spec, X, y, cv,
                                                                            options);
  return out.col(0);
}

// cross_val_predict_proba(spec, X, y, cv) -- out-of-fold class probabilities, one column per class of y (ascending);
// a class missing from a split's training rows has probability 0 in that split's rows.
template <probabilistic_classifier Spec>
matrix cross_val_predict_proba(const Spec& spec, const matrix_view& X, const vector_view& y,
                               const any_splitter& cv = {}, const predict_options& options = {}) {
  return detail::cross_val_outputs<detail::oof_method::predict_proba>("cross_val_predict_proba", spec, X, y, cv,
                                                                      options);
}

// cross_val_decision_function(spec, X, y, cv) -- out-of-fold decision values: one column for two classes, one per
// class of y otherwise.
template <classifier Spec>
  requires detail::has_decision_function<typename Spec::fitted>
matrix cross_val_decision_function(const Spec& spec, const matrix_view& X, const vector_view& y,
                                   const any_splitter& cv = {}, const predict_options& options = {}) {
  return detail::cross_val_outputs<detail::oof_method::decision_function>("cross_val_decision_function", spec, X, y,
                                                                          cv, options);
}

}  // namespace mlpipe
