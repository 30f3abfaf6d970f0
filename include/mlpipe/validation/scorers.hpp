#pragma once

#include <array>
#include <concepts>     // std::convertible_to
#include <functional>   // std::function
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>        // std::tuple_element_t, std::tuple_size_v
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/paths.hpp"  // detail::did_you_mean, detail::join
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "mlpipe/validation/metrics_classification.hpp"
#include "mlpipe/validation/metrics_ranking.hpp"
#include "mlpipe/validation/metrics_regression.hpp"

// Scorers: a metric together with the model output it reads, so that cross-validation and tuning can score a fitted
// model by name ("accuracy", "neg_log_loss", ...) and get several scores from one predict.

namespace mlpipe {

// scorer_input -- which method of a fitted model a scorer reads.
enum class scorer_input {
  predict,            // predicted labels (classifiers) or values (regressors): one column
  predict_proba,      // class probabilities: one column per class, in classes() order
  decision_function,  // decision values: one column (binary) or one per class
  proba_or_decision,  // a binary classifier's decision values when it has them (scikit-learn's threshold scorers,
                      // roc_auc among them, call decision_function first), otherwise class probabilities; decision
                      // values serve two classes only
};

// scorer -- a metric bound to the model output it needs, as scikit-learn's scorers. score() is always "greater is
// better": a metric where smaller is better is negated (neg_mean_squared_error returns -MSE).
struct scorer {
  // metric(y_true, output, classes): the metric of the model's output for `input` (one row per value of y_true)
  // given the model's classes() (empty for a regressor). Any callable: a function, a lambda with captures.
  using metric_fn = std::function<double(const vector_view& y_true, const matrix_view& output, const vector_view& classes)>;

  std::string name;                           // the name get_scorer knows it by: "accuracy", "neg_log_loss", ...
  scorer_input input = scorer_input::predict;  // the model output the metric reads
  bool greater_is_better = true;              // whether the metric grows with quality; if not, score() negates it
  metric_fn metric = nullptr;                 // the metric itself

  // The score of output against y_true: metric(...), negated when !greater_is_better.
  double score(const vector_view& y_true, const matrix_view& output, const vector_view& classes) const {
    if (metric == nullptr) throw invalid_parameter("scorer '" + name + "' has no metric; expected a function to call");
    const double value = metric(y_true, output, classes);
    return greater_is_better ? value : -value;
  }
};

namespace detail {

// Metrics of predict's output read its single column.
inline void check_one_column(std::string_view metric, const matrix_view& output) {
  if (output.cols() != 1)
    throw invalid_input("the predictions have " + std::to_string(output.cols()) +
                            " columns; expected one column of predictions",
                        metric);
}

// Binary: the AUC of the positive (larger) class's probability column, or of the one column of decision values;
// more classes: one-vs-rest macro average of the probabilities.
inline double roc_auc_metric(const vector_view& y, const matrix_view& scores, const vector_view& classes) {
  if (classes.size() != 2) return roc_auc_ovr(y, scores, classes);
  if (scores.cols() == 1) return roc_auc(y, scores.col(0));  // decision values: larger means the positive class
  check_proba_input("roc_auc", y, scores, classes);
  return roc_auc(y, scores.col(1));
}

// The positive class's scores of a binary scorer: the probability column of classes(1), or the decision values.
inline vector positive_scores(std::string_view name, const vector_view& y, const matrix_view& scores,
                              const vector_view& classes) {
  if (classes.size() != 2)
    throw invalid_input("the target has " + std::to_string(classes.size()) +
                            " classes; expected 2, as this scorer is defined for a binary target",
                        name);
  if (scores.cols() == 1) return scores.col(0);
  check_proba_input(name, y, scores, classes);
  return scores.col(1);
}

// A label metric scorer (precision, recall, f1, jaccard) with scikit-learn's settings for its name.
template <double (*Metric)(const vector_view&, const vector_view&, const label_metric_options&), averaging Average>
double label_scorer(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("scorer", out);
  return Metric(y, out.col(0), {.average = Average});
}

inline double f1_of(const vector_view& y, const vector_view& p, const label_metric_options& o) { return f1(y, p, o); }

// A regression metric with optional weights, scored on predict's column.
template <double (*Metric)(const vector_view&, const vector_view&, const vector_view&)>
double regression_scorer(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("scorer", out);
  return Metric(y, out.col(0), vector());
}

inline double roc_auc_multiclass(const vector_view& y, const matrix_view& proba, const vector_view& classes,
                                 multiclass_roc multi_class, averaging average) {
  if (classes.size() == 2) {
    check_proba_input("roc_auc", y, proba, classes);
    return roc_auc(y, proba.col(1));
  }
  return roc_auc(y, proba, classes, {.multi_class = multi_class, .average = average});
}

inline const std::vector<scorer>& builtin_scorers() {
  using in = scorer_input;
  constexpr auto micro = averaging::micro;
  constexpr auto macro = averaging::macro;
  constexpr auto weighted = averaging::weighted;
  constexpr auto binary = averaging::binary;
  static const std::vector<scorer> all{
      {"accuracy", in::predict, true,
       [](const vector_view& y, const matrix_view& out, const vector_view&) {
         check_one_column("accuracy", out);
         return accuracy(y, out.col(0));
       }},
      {"balanced_accuracy", in::predict, true,
       [](const vector_view& y, const matrix_view& out, const vector_view&) {
         check_one_column("balanced_accuracy", out);
         return balanced_accuracy(y, out.col(0));
       }},
      {"matthews_corrcoef", in::predict, true,
       [](const vector_view& y, const matrix_view& out, const vector_view&) {
         check_one_column("matthews_corrcoef", out);
         return matthews_corrcoef(y, out.col(0));
       }},
      {"f1", in::predict, true, label_scorer<f1_of, binary>},
      {"f1_micro", in::predict, true, label_scorer<f1_of, micro>},
      {"f1_macro", in::predict, true, label_scorer<f1_of, macro>},
      {"f1_weighted", in::predict, true, label_scorer<f1_of, weighted>},
      {"precision", in::predict, true, label_scorer<precision, binary>},
      {"precision_micro", in::predict, true, label_scorer<precision, micro>},
      {"precision_macro", in::predict, true, label_scorer<precision, macro>},
      {"precision_weighted", in::predict, true, label_scorer<precision, weighted>},
      {"recall", in::predict, true, label_scorer<recall, binary>},
      {"recall_micro", in::predict, true, label_scorer<recall, micro>},
      {"recall_macro", in::predict, true, label_scorer<recall, macro>},
      {"recall_weighted", in::predict, true, label_scorer<recall, weighted>},
      {"jaccard", in::predict, true, label_scorer<jaccard, binary>},
      {"jaccard_micro", in::predict, true, label_scorer<jaccard, micro>},
      {"jaccard_macro", in::predict, true, label_scorer<jaccard, macro>},
      {"jaccard_weighted", in::predict, true, label_scorer<jaccard, weighted>},
      {"roc_auc", in::proba_or_decision, true, roc_auc_metric},
      {"roc_auc_ovr", in::predict_proba, true,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) {
         return roc_auc_multiclass(y, p, c, multiclass_roc::ovr, averaging::macro);
       }},
      {"roc_auc_ovr_weighted", in::predict_proba, true,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) {
         return roc_auc_multiclass(y, p, c, multiclass_roc::ovr, averaging::weighted);
       }},
      {"roc_auc_ovo", in::predict_proba, true,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) {
         return roc_auc_multiclass(y, p, c, multiclass_roc::ovo, averaging::macro);
       }},
      {"roc_auc_ovo_weighted", in::predict_proba, true,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) {
         return roc_auc_multiclass(y, p, c, multiclass_roc::ovo, averaging::weighted);
       }},
      {"average_precision", in::proba_or_decision, true,
       [](const vector_view& y, const matrix_view& s, const vector_view& c) {
         return average_precision(y, positive_scores("average_precision", y, s, c), {.pos_label = c(1)});
       }},
      {"top_k_accuracy", in::proba_or_decision, true,
       [](const vector_view& y, const matrix_view& s, const vector_view& c) { return top_k_accuracy(y, s, c); }},
      {"neg_log_loss", in::predict_proba, false,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) { return log_loss(y, p, c); }},
      {"neg_brier_score", in::predict_proba, false,
       [](const vector_view& y, const matrix_view& p, const vector_view& c) {
         return brier_score(y, positive_scores("brier_score", y, p, c), {.pos_label = c(1)});
       }},
      {"r2", in::predict, true, regression_scorer<r2>},
      {"explained_variance", in::predict, true, regression_scorer<explained_variance>},
      {"max_error", in::predict, false,
       [](const vector_view& y, const matrix_view& out, const vector_view&) {
         check_one_column("max_error", out);
         return max_error(y, out.col(0));
       }},
      {"neg_mean_absolute_error", in::predict, false, regression_scorer<mean_absolute_error>},
      {"neg_mean_squared_error", in::predict, false, regression_scorer<mean_squared_error>},
      {"neg_root_mean_squared_error", in::predict, false, regression_scorer<root_mean_squared_error>},
      {"neg_mean_squared_log_error", in::predict, false, regression_scorer<mean_squared_log_error>},
      {"neg_median_absolute_error", in::predict, false, regression_scorer<median_absolute_error>},
      {"neg_mean_absolute_percentage_error", in::predict, false, regression_scorer<mean_absolute_percentage_error>},
      {"neg_mean_poisson_deviance", in::predict, false, regression_scorer<mean_poisson_deviance>},
      {"neg_mean_gamma_deviance", in::predict, false, regression_scorer<mean_gamma_deviance>},
  };
  return all;
}

// Scorers added with register_scorer, after the built-in ones.
struct scorer_registry {
  std::mutex mutex;
  std::vector<scorer> scorers;
};

inline scorer_registry& user_scorers() {
  static scorer_registry registry;
  return registry;
}

template <class F>
concept has_decision_function = requires(const F& f, const matrix_view& X) {
  { f.decision_function(X) } -> std::convertible_to<matrix>;
};

}  // namespace detail

// scorer_names() -- the names get_scorer accepts, in a fixed order: the built-in ones, then the registered ones.
inline std::vector<std::string> scorer_names() {
  std::vector<std::string> names;
  for (const auto& s : detail::builtin_scorers()) names.push_back(s.name);
  auto& registry = detail::user_scorers();
  const std::lock_guard lock(registry.mutex);
  for (const auto& s : registry.scorers) names.push_back(s.name);
  return names;
}

// make_scorer(name, metric, {.input, .greater_is_better}) -- a scorer from any metric of (y_true, output, classes),
// as scikit-learn's make_scorer: greater_is_better = false negates it (a loss), input says which output it reads.
struct scorer_settings {
  scorer_input input = scorer_input::predict;  // the model output the metric reads
  bool greater_is_better = true;               // false for a loss: the score is its negation
};

inline scorer make_scorer(std::string name, scorer::metric_fn metric, const scorer_settings& settings = {}) {
  if (name.empty()) throw invalid_parameter("make_scorer: the name is empty; expected a name to find the scorer by");
  if (!metric) throw invalid_parameter("make_scorer: scorer '" + name + "' has no metric; expected a function to call");
  return {std::move(name), settings.input, settings.greater_is_better, std::move(metric)};
}

// register_scorer(s) -- makes get_scorer (and so .scoring = "name") find s by its name, in every thread. A name that
// is already taken, built-in or registered, is an error.
inline void register_scorer(scorer s) {
  if (s.name.empty() || !s.metric)
    throw invalid_parameter("register_scorer: expected a scorer with a name and a metric (use make_scorer)");
  for (const auto& b : detail::builtin_scorers())
    if (b.name == s.name)
      throw invalid_parameter("register_scorer: '" + s.name + "' is a built-in scorer; expected a new name");
  auto& registry = detail::user_scorers();
  const std::lock_guard lock(registry.mutex);
  for (const auto& r : registry.scorers)
    if (r.name == s.name)
      throw invalid_parameter("register_scorer: '" + s.name + "' is registered already; expected a new name");
  registry.scorers.push_back(std::move(s));
}

// get_scorer("accuracy") -- a scorer by its scikit-learn 1.2 name (classification: accuracy, balanced_accuracy,
// matthews_corrcoef, f1 / precision / recall / jaccard with _micro, _macro, _weighted (plain: binary, positive
// label 1), roc_auc, roc_auc_ovr(_weighted), roc_auc_ovo(_weighted), average_precision, top_k_accuracy (k = 2),
// neg_log_loss, neg_brier_score; regression: r2, explained_variance, max_error (negated), neg_mean_absolute_error,
// neg_mean_squared_error, neg_root_mean_squared_error, neg_mean_squared_log_error, neg_median_absolute_error,
// neg_mean_absolute_percentage_error, neg_mean_poisson_deviance, neg_mean_gamma_deviance) or one registered with
// register_scorer.
inline scorer get_scorer(std::string_view name) {
  for (const auto& s : detail::builtin_scorers())
    if (s.name == name) return s;
  {
    auto& registry = detail::user_scorers();
    const std::lock_guard lock(registry.mutex);
    for (const auto& s : registry.scorers)
      if (s.name == name) return s;
  }
  const std::vector<std::string> valid = scorer_names();
  const std::string suggestion = detail::did_you_mean(name, valid);
  throw invalid_parameter("unknown scorer '" + std::string(name) + "'" + (suggestion.empty() ? "." : suggestion) +
                          " Valid scorers: " + detail::join(valid, valid.size()));
}

namespace detail {

// The step of a fitted model that predicts, for messages: "step 'model' (nearest_centroid)" for a pipeline (its last
// step, inside nested pipelines too), the model's kind ("ridge") otherwise.
template <class Fitted>
std::string predicting_step() {
  stage_roles roles;
  predicting_step_of<Fitted>(roles, {});
  return roles.step();
}

// Which outputs a fitted model has, and the step that would give them (predicting_step), for checking scorers.
struct model_capabilities {
  std::string step;
  bool predict_proba = false;
  bool decision_function = false;
  bool classifier = false;
};

// The capabilities of a stage or model whose role is known only at run time (any_pipeline, any_model).
inline model_capabilities capabilities_of(const stage_roles& roles) {
  return {roles.step(), roles.predict_proba, roles.decision_function, roles.classifier};
}

template <class Fitted>
model_capabilities capabilities_of() {
  return {predicting_step<Fitted>(), fitted_probabilistic_classifier<Fitted>, has_decision_function<Fitted>,
          fitted_classifier<Fitted>};
}

// Throws invalid_parameter, naming the scorer and the step, for the first scorer that needs an output the model does
// not have. Cross-validation and searches call it before fitting anything; score_all before predicting.
inline void check_scorers_servable(const std::vector<scorer>& scorers, const model_capabilities& model) {
  for (const auto& s : scorers) {
    if (s.metric == nullptr)
      throw invalid_parameter("scorer '" + s.name + "' has no metric; expected a function to call");
    if (s.input == scorer_input::predict_proba && !model.predict_proba)
      throw invalid_parameter("scorer '" + s.name + "' needs predict_proba, which " + model.step +
                              " does not have; expected a " + (model.classifier ? "classifier with class probabilities"
                                                                                  : "classifier"));
    if (s.input == scorer_input::decision_function && !model.decision_function)
      throw invalid_parameter("scorer '" + s.name + "' needs decision_function, which " + model.step +
                              " does not have; expected a model with decision values");
    if (s.input == scorer_input::proba_or_decision && !model.predict_proba && !model.decision_function)
      throw invalid_parameter("scorer '" + s.name + "' needs predict_proba or decision_function, which " + model.step +
                              " does not have; expected a " +
                              (model.classifier ? "classifier with class probabilities or decision values"
                                                : "classifier"));
  }
}

// A fitted model's outputs, reached through plain function pointers, so that the scoring loop below is compiled
// once rather than once per model type.
struct model_outputs {
  using producer = matrix (*)(const void* model, const matrix_view& X);
  model_capabilities capabilities;
  const void* model = nullptr;
  producer predict = nullptr;
  producer predict_proba = nullptr;      // null: no class probabilities
  producer decision_function = nullptr;  // null: no decision values
  vector classes;                        // empty for a regressor
};

inline std::vector<double> score_outputs(const std::vector<scorer>& scorers, const model_outputs& model,
                                         const matrix_view& X, const vector_view& y) {
  check_scorers_servable(scorers, model.capabilities);
  for (const auto& s : scorers) {
    if (s.input == scorer_input::proba_or_decision && !model.predict_proba && model.capabilities.classifier &&
        model.classes.size() != 2)
      throw invalid_parameter("scorer '" + s.name + "' needs predict_proba for " +
                              std::to_string(model.classes.size()) + " classes, which " + model.capabilities.step +
                              " does not have; expected class probabilities, as decision values serve two classes "
                              "only");
  }
  check_target_rows({}, X, y);

  // By scorer_input: predict, predict_proba, decision_function; each computed once, when first needed.
  const std::array<model_outputs::producer, 3> producers{model.predict, model.predict_proba, model.decision_function};
  std::array<std::optional<matrix>, 3> outputs;
  std::vector<double> scores;
  scores.reserve(scorers.size());
  for (const auto& s : scorers) {
    auto which = static_cast<std::size_t>(s.input);
    if (s.input == scorer_input::proba_or_decision) {
      const bool decision = model.decision_function && (model.classes.size() == 2 || !model.predict_proba);
      which = static_cast<std::size_t>(decision ? scorer_input::decision_function : scorer_input::predict_proba);
    }
    if (which >= producers.size())
      throw invalid_parameter("scorer '" + s.name + "' asks for an unknown model output; expected predict, "
                              "predict_proba, decision_function or proba_or_decision");
    if (!outputs[which]) outputs[which].emplace(producers[which](model.model, X));
    scores.push_back(s.score(y, *outputs[which], model.classes));
  }
  return scores;
}

}  // namespace detail

// score_all(scorers, model, X, y) -- every scorer's score of a fitted model on (X, y), in order. Calls predict,
// predict_proba and decision_function at most once each, and only those some scorer needs; a scorer that needs an
// output the model does not have is an invalid_parameter, raised before anything is predicted.
template <fitted_predictor Fitted>
std::vector<double> score_all(const std::vector<scorer>& scorers, const Fitted& model, const matrix_view& X,
                              const vector_view& y) {
  detail::model_outputs outputs;
  outputs.capabilities = detail::capabilities_of<Fitted>();
  outputs.model = &model;
  outputs.predict = [](const void* m, const matrix_view& rows) -> matrix {
    return static_cast<const Fitted*>(m)->predict(rows);
  };
  if constexpr (dynamic_roles<Fitted>) {  // any_model: what the wrapped model has, known at run time
    const stage_roles roles = model.roles();
    outputs.capabilities = detail::capabilities_of(roles);
    if (!roles.predict_proba) outputs.predict_proba = nullptr;
    if (!roles.decision_function) outputs.decision_function = nullptr;
    if (roles.classifier) outputs.classes = model.classes();
    if (roles.predict_proba)
      outputs.predict_proba = [](const void* m, const matrix_view& rows) -> matrix {
        return static_cast<const Fitted*>(m)->predict_proba(rows);
      };
    if (roles.decision_function)
      outputs.decision_function = [](const void* m, const matrix_view& rows) -> matrix {
        return static_cast<const Fitted*>(m)->decision_function(rows);
      };
    return detail::score_outputs(scorers, outputs, X, y);
  }
  if constexpr (fitted_probabilistic_classifier<Fitted>) {
    outputs.predict_proba = [](const void* m, const matrix_view& rows) -> matrix {
      return static_cast<const Fitted*>(m)->predict_proba(rows);
    };
  }
  if constexpr (fitted_classifier<Fitted>) outputs.classes = model.classes();
  if constexpr (detail::has_decision_function<Fitted>) {
    outputs.decision_function = [](const void* m, const matrix_view& rows) -> matrix {
      return static_cast<const Fitted*>(m)->decision_function(rows);
    };
  }
  return detail::score_outputs(scorers, outputs, X, y);
}

}  // namespace mlpipe
