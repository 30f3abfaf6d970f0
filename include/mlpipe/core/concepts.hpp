#pragma once

#include <concepts>
#include <span>
#include <string>
#include <string_view>
#include <tuple>        // std::tuple_element_t, std::tuple_size_v
#include <utility>      // std::move

#include "mlpipe/core/types.hpp"

namespace mlpipe {

// stage_roles -- what a stage or fitted model whose role is known only at run time can do (any_pipeline,
// any_model, which satisfy every concept below and say through roles() what the wrapped stage really is). The
// validation and tuning code asks roles() where it would ask a concept of a static type (see dynamic_roles).
struct stage_roles {
  bool transformer = false;        // has transform (and n_features_out)
  bool predictor = false;          // has predict
  bool classifier = false;         // knows its classes(): accuracy by default, stratified folds
  bool predict_proba = false;      // class probabilities
  bool decision_function = false;  // decision values
  bool row_calls = false;          // predict_one / transform_one work (every step has its row call)
  bool allows_nan = false;         // the stage accepts NaN in X (an imputer first): check_stage skips its NaN rules
  bool allocates_per_row = false;  // the stage's row calls may allocate (a transform_fn step)
  std::string step_path;           // the last (predicting) step's path inside the stage: "model", "" for a lone stage
  std::string step_kind;           // that step's kind: "ridge"

  // The predicting step as messages name it: "ridge", "step 'model' (ridge)".
  std::string step() const { return step_path.empty() ? step_kind : "step '" + step_path + "' (" + step_kind + ")"; }
};

namespace detail {

// The step of a static fitted type that predicts, into roles.step_path and step_kind: its path through nested
// pipelines (each one's last step; "" for a lone stage) and its kind. roles.step() names it in messages.
template <class F>
void predicting_step_of(stage_roles& roles, std::string path) {
  if constexpr (requires {
                  typename std::tuple_element_t<std::tuple_size_v<typename F::steps_type> - 1,
                                                typename F::steps_type>::fitted_type;
                }) {
    using steps = typename F::steps_type;
    using last = std::tuple_element_t<std::tuple_size_v<steps> - 1, steps>;
    if (!path.empty()) path += '.';
    path += last::name.view();
    predicting_step_of<typename last::fitted_type>(roles, std::move(path));
  } else {
    roles.step_path = std::move(path);
    roles.step_kind = std::string(F::kind);
  }
}

// Whether a stage accepts NaN in X (declares `static constexpr bool allows_nan = true`: an imputer, a scaler that
// passes NaN through); check_stage then skips its NaN rules. Composites derive theirs from their steps.
template <class S>
constexpr bool stage_allows_nan() {
  if constexpr (requires { S::allows_nan; }) return S::allows_nan;
  else return false;
}

// Whether a stage's row calls may allocate (declares `static constexpr bool allocates_per_row = true`, as
// transform_fn); check_stage then skips its allocation rule. Composites allocate when any step does.
template <class S>
constexpr bool stage_allocates_per_row() {
  if constexpr (requires { S::allocates_per_row; }) return S::allocates_per_row;
  else return false;
}

}  // namespace detail

// dynamic_roles -- a type that says its role at run time (any_pipeline, any_model).
template <class T>
concept dynamic_roles = requires(const T& t) {
  { t.roles() } -> std::same_as<stage_roles>;
};

// fitted_stage -- what fit returns: immutable learned state that knows its input width and its kind.
template <class F>
concept fitted_stage = std::copy_constructible<F> && requires(const F& f) {
  { F::kind } -> std::convertible_to<std::string_view>;
  { f.n_features_in() } -> std::convertible_to<index>;
};

// fitted_transformer -- a fitted stage that maps rows to new feature rows.
template <class F>
concept fitted_transformer = fitted_stage<F> && requires(const F& f, const matrix_view& X) {
  { f.transform(X) } -> std::convertible_to<matrix>;
  { f.n_features_out() } -> std::convertible_to<index>;
};

// fitted_predictor -- a fitted stage that predicts one number per row (a label or a value).
template <class F>
concept fitted_predictor = fitted_stage<F> && requires(const F& f, const matrix_view& X) {
  { f.predict(X) } -> std::convertible_to<vector>;
};

// fitted_classifier -- predicts class labels and lists them in `classes()` (ascending). Knowing its classes is what
// makes a model a classifier (accuracy by default, stratified folds), with or without probabilities.
template <class F>
concept fitted_classifier = fitted_predictor<F> && requires(const F& f) {
  { f.classes() } -> std::convertible_to<const vector&>;
};

// fitted_probabilistic_classifier -- a fitted classifier that also gives class probabilities: predict_proba(X) has
// one column per class, in classes() order (what neg_log_loss needs).
template <class F>
concept fitted_probabilistic_classifier = fitted_classifier<F> && requires(const F& f, const matrix_view& X) {
  { f.predict_proba(X) } -> std::convertible_to<matrix>;
};

// fitted_regressor -- predicts a real value per row.
template <class F>
concept fitted_regressor = fitted_predictor<F> && !fitted_classifier<F>;

// Row-wise prediction without heap allocation: predict_one(row) on a fitted pipeline needs every step to have these.
// fitted_row_transformer -- transform_one(in, out) writes n_features_out() values for one row of n_features_in().
template <class F>
concept fitted_row_transformer =
    fitted_transformer<F> && requires(const F& f, std::span<const double> in, std::span<double> out) {
      f.transform_one(in, out);
    };

// fitted_row_predictor -- predict_one(row) returns the prediction for one row.
template <class F>
concept fitted_row_predictor = fitted_predictor<F> && requires(const F& f, std::span<const double> in) {
  { f.predict_one(in) } -> std::convertible_to<double>;
};

// fitted_row_classifier -- predict_proba_one(row, out) writes one probability per class, in class order.
template <class F>
concept fitted_row_classifier =
    fitted_probabilistic_classifier<F> && fitted_row_predictor<F> &&
    requires(const F& f, std::span<const double> in, std::span<double> out) { f.predict_proba_one(in, out); };

// stage -- a spec: an aggregate of hyperparameters with a kind and a const fit that returns its fitted type.
// mlpipe's stages declare fit as `template <class Deferred = void> fitted fit(...) const`: a header-only library
// compiles the body of a non-template inline function in every program that includes it, so a plain fit would
// make every program pay for every stage's solver; as a template it is compiled only where it is called.
template <class S>
concept stage = std::copy_constructible<S> && requires(const S& s, const matrix_view& X, const vector_view& y) {
  { S::kind } -> std::convertible_to<std::string_view>;
  typename S::fitted;
  { s.fit(X, y) } -> std::same_as<typename S::fitted>;
} && fitted_stage<typename S::fitted>;

template <class S>
concept transformer = stage<S> && fitted_transformer<typename S::fitted>;

template <class S>
concept predictor = stage<S> && fitted_predictor<typename S::fitted>;

// classifier -- a stage whose fitted type knows its classes() (see fitted_classifier).
template <class S>
concept classifier = stage<S> && fitted_classifier<typename S::fitted>;

// probabilistic_classifier -- a classifier whose fitted type also has predict_proba.
template <class S>
concept probabilistic_classifier = stage<S> && fitted_probabilistic_classifier<typename S::fitted>;

template <class S>
concept regressor = stage<S> && fitted_regressor<typename S::fitted>;

// is_classifier(s) -- whether a stage is a classifier: what its roles() say for a run-time value (any_pipeline),
// the classifier concept otherwise. Generic code that picks defaults by role (stratified folds, accuracy) asks this.
template <class S>
bool is_classifier(const S& s) {
  if constexpr (dynamic_roles<S>) return s.roles().classifier;
  else return classifier<S>;
}

}  // namespace mlpipe
