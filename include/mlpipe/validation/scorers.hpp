#pragma once

#include <array>
#include <concepts>     // std::convertible_to
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

// Scorers: a metric together with the model output it reads, so that cross-validation and tuning can score a fitted
// model by name ("accuracy", "neg_log_loss", ...) and get several scores from one predict.

namespace mlpipe {

// scorer_input -- which method of a fitted model a scorer reads.
enum class scorer_input {
  predict,            // predicted labels (classifiers) or values (regressors): one column
  predict_proba,      // class probabilities: one column per class, in classes() order
  decision_function,  // decision values: one column (binary) or one per class
  proba_or_decision,  // class probabilities, or for a model without predict_proba its decision values (roc_auc reads
                      // either, as scikit-learn's threshold scorers do); decision values serve two classes only
};

// scorer -- a metric bound to the model output it needs, as scikit-learn's scorers. score() is always "greater is
// better": a metric where smaller is better is negated (neg_mean_squared_error returns -MSE).
struct scorer {
  // metric(y_true, output, classes): the metric of the model's output for `input` (one row per value of y_true)
  // given the model's classes() (empty for a regressor).
  using metric_fn = double (*)(const vector_view& y_true, const matrix_view& output, const vector_view& classes);

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

inline double accuracy_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("accuracy", out);
  return accuracy(y, out.col(0));
}

// Binary: the AUC of the positive (larger) class's probability column, or of the one column of decision values;
// more classes: one-vs-rest macro average of the probabilities.
inline double roc_auc_metric(const vector_view& y, const matrix_view& scores, const vector_view& classes) {
  if (classes.size() != 2) return roc_auc_ovr(y, scores, classes);
  if (scores.cols() == 1) return roc_auc(y, scores.col(0));  // decision values: larger means the positive class
  check_proba_input("roc_auc", y, scores, classes);
  return roc_auc(y, scores.col(1));
}

inline double log_loss_metric(const vector_view& y, const matrix_view& proba, const vector_view& classes) {
  return log_loss(y, proba, classes);
}

// scikit-learn's "f1" scorer: positive label 1.
inline double f1_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("f1", out);
  return f1(y, out.col(0), 1.0);
}

inline double f1_macro_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("f1_macro", out);
  return f1_macro(y, out.col(0));
}

inline double r2_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("r2", out);
  return r2(y, out.col(0));
}

inline double mean_squared_error_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("mean_squared_error", out);
  return mean_squared_error(y, out.col(0));
}

inline double mean_absolute_error_metric(const vector_view& y, const matrix_view& out, const vector_view&) {
  check_one_column("mean_absolute_error", out);
  return mean_absolute_error(y, out.col(0));
}

inline const std::vector<scorer>& builtin_scorers() {
  static const std::vector<scorer> all{
      {"accuracy", scorer_input::predict, true, accuracy_metric},
      {"roc_auc", scorer_input::proba_or_decision, true, roc_auc_metric},
      {"neg_log_loss", scorer_input::predict_proba, false, log_loss_metric},
      {"f1", scorer_input::predict, true, f1_metric},
      {"f1_macro", scorer_input::predict, true, f1_macro_metric},
      {"r2", scorer_input::predict, true, r2_metric},
      {"neg_mean_squared_error", scorer_input::predict, false, mean_squared_error_metric},
      {"neg_mean_absolute_error", scorer_input::predict, false, mean_absolute_error_metric},
  };
  return all;
}

template <class F>
concept has_decision_function = requires(const F& f, const matrix_view& X) {
  { f.decision_function(X) } -> std::convertible_to<matrix>;
};

}  // namespace detail

// scorer_names() -- the names get_scorer accepts, in a fixed order.
inline std::vector<std::string> scorer_names() {
  std::vector<std::string> names;
  for (const auto& s : detail::builtin_scorers()) names.push_back(s.name);
  return names;
}

// get_scorer("accuracy") -- a built-in scorer by its scikit-learn name: accuracy, roc_auc (binary: the positive
// class's probability; more classes: one-vs-rest macro average), neg_log_loss, f1 (positive label 1), f1_macro,
// r2, neg_mean_squared_error, neg_mean_absolute_error.
inline scorer get_scorer(std::string_view name) {
  for (const auto& s : detail::builtin_scorers())
    if (s.name == name) return s;
  const std::vector<std::string> valid = scorer_names();
  const std::string suggestion = detail::did_you_mean(name, valid);
  throw invalid_parameter("unknown scorer '" + std::string(name) + "'" + (suggestion.empty() ? "." : suggestion) +
                          " Valid scorers: " + detail::join(valid, valid.size()));
}

namespace detail {

// The step of a fitted model that predicts, for messages: "step 'model' (nearest_centroid)" for a pipeline (its last
// step, inside nested pipelines too), the model's kind ("ridge") otherwise.
template <class Fitted>
std::string predicting_step(std::string path = {}) {
  if constexpr (requires {  // a fitted pipeline: its steps are fitted_steps with a name
                  typename std::tuple_element_t<std::tuple_size_v<typename Fitted::steps_type> - 1,
                                                typename Fitted::steps_type>::fitted_type;
                }) {
    using steps = typename Fitted::steps_type;
    using last = std::tuple_element_t<std::tuple_size_v<steps> - 1, steps>;
    if (!path.empty()) path += '.';
    path += last::name.view();
    return predicting_step<typename last::fitted_type>(std::move(path));
  } else if (path.empty()) {
    return std::string(Fitted::kind);
  } else {
    return "step '" + path + "' (" + std::string(Fitted::kind) + ")";
  }
}

// Which outputs a fitted model has, and the step that would give them (predicting_step), for checking scorers.
struct model_capabilities {
  std::string step;
  bool predict_proba = false;
  bool decision_function = false;
  bool classifier = false;
};

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
    if (s.input == scorer_input::proba_or_decision)
      which = static_cast<std::size_t>(model.predict_proba ? scorer_input::predict_proba
                                                           : scorer_input::decision_function);
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
