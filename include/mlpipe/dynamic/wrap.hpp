#pragma once

#include <concepts>     // std::convertible_to
#include <memory>       // std::make_shared
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::move
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/dynamic.hpp"
#include "mlpipe/feature_selection/importance.hpp"
#include "mlpipe/io/serialize.hpp"

// Wrapping static stages and fitted models as run-time values (any_pipeline(s), any_model(f)) and register_stage<S>.
// Each wrapped type costs one adapter class: its virtual calls forward to the static code, so the static and the
// dynamic form of a pipeline compute the same bits and save the same bytes.

namespace mlpipe::detail {

// ---- the registry's interface (defined in <mlpipe/dynamic_registry.hpp>) -----------------------------------------

// One registered stage kind: how to make its default spec, and how to load its fitted node.
struct stage_kind_entry {
  std::shared_ptr<dynamic_stage> (*make)() = nullptr;
  std::shared_ptr<const dynamic_model> (*load)(const nlohmann::json& node, const std::string& where) = nullptr;
};

// Adds a kind to the registry; a kind registered already keeps its first entry.
void add_stage_kind(std::string_view kind, stage_kind_entry entry);

// ---- roles -------------------------------------------------------------------------------------------------------

template <class F>
concept fitted_with_proba = requires(const F& f, const matrix_view& X) {
  { f.predict_proba(X) } -> std::convertible_to<matrix>;
};

template <class F>
concept fitted_with_decision = requires(const F& f, const matrix_view& X) {
  { f.decision_function(X) } -> std::convertible_to<matrix>;
};

template <class F>
concept fitted_chain = requires {
  typename std::tuple_element_t<std::tuple_size_v<typename F::steps_type> - 1, typename F::steps_type>::fitted_type;
} && requires(const F& f) { f.predict(std::declval<const matrix_view&>()); };

template <class F>
stage_roles fitted_roles() {
  stage_roles roles;
  if constexpr (dynamic_roles<F>) {
    roles.step_kind = std::string(F::kind);
  } else {
    roles.transformer = fitted_transformer<F>;
    roles.predictor = fitted_predictor<F>;
    roles.classifier = fitted_classifier<F>;
    roles.predict_proba = fitted_with_proba<F>;
    roles.decision_function = fitted_with_decision<F>;
    roles.row_calls = fitted_row_predictor<F> || fitted_row_transformer<F>;
    predicting_step_of<F>(roles, {});
  }
  return roles;
}

// A search's fitted type (fitted_search<any_model, ...>): it predicts through its best model, whose role only the
// run-time value knows.
template <class F>
concept fitted_dynamic_search = requires(const F& f) {
  { f.best_model() } -> std::same_as<const any_model&>;
};

// The roles of a fitted model: a search over an any_pipeline asks its best model (when it kept one), any other
// model its type.
template <class F>
stage_roles fitted_roles_of(const F& fitted) {
  if constexpr (fitted_dynamic_search<F>) {
    try {
      return fitted.best_model().roles();
    } catch (const invalid_parameter&) {  // refit = false: no model to ask
    }
  }
  return fitted_roles<F>();
}

// The roles of a stage: a search over an any_pipeline asks its estimator, any other stage its fitted type; whether
// it accepts NaN and allocates in row calls, the stage's type says (as check_stage reads it of a static stage).
template <class S>
stage_roles stage_roles_of(const S& s) {
  stage_roles roles = [&] {
    if constexpr (fitted_dynamic_search<typename S::fitted> && requires { s.estimator.roles(); }) {
      if (!s.estimator.empty()) return s.estimator.roles();
    }
    return fitted_roles<typename S::fitted>();
  }();
  roles.allows_nan = stage_allows_nan<S>();
  roles.allocates_per_row = stage_allocates_per_row<S>();
  return roles;
}

// The error for a call the wrapped model does not have: "any_model: predict_proba is not available: step 'model'
// (ridge) has no class probabilities; expected a classifier with predict_proba".
[[noreturn]] inline void throw_not_available(const stage_roles& roles, std::string_view call, std::string_view lacks,
                                             std::string_view expected) {
  throw invalid_input(std::string(call) + " is not available: " + roles.step() + " " + std::string(lacks) +
                          "; expected " + std::string(expected),
                      "any_model");
}

[[noreturn]] inline void throw_no_predict(const stage_roles& r) {
  throw_not_available(r, "predict", "is a transformer", "a model (a predictor as the last step)");
}
[[noreturn]] inline void throw_no_proba(const stage_roles& r) {
  throw_not_available(r, "predict_proba", "has no class probabilities", "a classifier with predict_proba");
}
[[noreturn]] inline void throw_no_decision(const stage_roles& r) {
  throw_not_available(r, "decision_function", "has no decision values", "a model with decision_function");
}
[[noreturn]] inline void throw_no_transform(const stage_roles& r) {
  throw_not_available(r, "transform", "is a model, not a transformer", "a transformer (transform as the last step)");
}
[[noreturn]] inline void throw_no_classes(const stage_roles& r) {
  throw_not_available(r, "classes", "is not a classifier", "a classifier");
}
[[noreturn]] inline void throw_no_importance(const stage_roles& r) {
  throw_not_available(r, "feature_importance", "has neither coef() nor feature_importances()",
                      "a model with coefficients or feature importances (a selector's estimator)");
}
[[noreturn]] inline void throw_no_row_call(const stage_roles& r, std::string_view call) {
  throw_not_available(r, call, "has no row call", "every step to have transform_one and the last its row call");
}

// ---- the spec of a static stage, as from_json reads it ----------------------------------------------------------

template <class S>
void write_spec(const S& s, nlohmann::json& out) {
  if constexpr (dynamic_roles<S>) {
    s.stage().spec(out);
  } else {
    out = nlohmann::json::object();
    out["kind"] = std::string(S::kind);
    if constexpr (has_params<S>) {
      if constexpr (std::tuple_size_v<std::remove_cvref_t<decltype(S::params)>> > 0) json_writer(out).params(s);
    }
    if constexpr (wrapper_stage<S>) {
      out["params"]["columns"] = nlohmann::json(s.columns);
      write_spec(s.stage, out["inner"]);
    } else if constexpr (composite_stage<S>) {
      nlohmann::json& steps = out["steps"] = nlohmann::json::array();
      std::apply(
          [&](const auto&... step) {
            (([&] {
               nlohmann::json node;
               write_spec(step.stage, node);
               node["name"] = std::string(step.name.view());
               steps.push_back(std::move(node));
             }()),
             ...);
          },
          s.steps);
    } else if constexpr (nesting_stage<S>) {
      std::apply([&](const auto&... n) { (write_spec(s.*(n.member), out[std::string(n.name.view())]), ...); },
                 S::nested);
    }
  }
}

// ---- adapters ----------------------------------------------------------------------------------------------------

// A static fitted stage or pipeline behind dynamic_model.
template <class F>
class model_adapter final : public dynamic_model {
 public:
  explicit model_adapter(F fitted) : fitted_(std::move(fitted)) {
    if constexpr (fitted_dynamic_search<F>) search_roles_ = fitted_roles_of(fitted_);
  }

  std::string_view kind() const override { return F::kind; }
  const stage_roles& roles() const override { return roles_of(); }
  index n_features_in() const override { return fitted_.n_features_in(); }
  index n_features_out() const override {
    if constexpr (fitted_transformer<F>) return fitted_.n_features_out();
    else throw_no_transform(roles_of());
  }
  vector predict(const matrix_view& X) const override {
    if constexpr (fitted_predictor<F>) return fitted_.predict(X);
    else throw_no_predict(roles_of());
  }
  matrix predict_proba(const matrix_view& X) const override {
    if constexpr (fitted_with_proba<F>) return fitted_.predict_proba(X);
    else throw_no_proba(roles_of());
  }
  matrix decision_function(const matrix_view& X) const override {
    if constexpr (fitted_with_decision<F>) return fitted_.decision_function(X);
    else throw_no_decision(roles_of());
  }
  matrix transform(const matrix_view& X) const override {
    if constexpr (fitted_transformer<F>) return fitted_.transform(X);
    else throw_no_transform(roles_of());
  }
  double predict_one(std::span<const double> row) const override {
    if constexpr (fitted_row_predictor<F>) return fitted_.predict_one(row);
    else if constexpr (fitted_predictor<F>) throw_no_row_call(roles_of(), "predict_one");
    else throw_no_predict(roles_of());
  }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const override {
    if constexpr (fitted_row_classifier<F>) fitted_.predict_proba_one(row, out);
    else if constexpr (fitted_with_proba<F>) throw_no_row_call(roles_of(), "predict_proba_one");
    else throw_no_proba(roles_of());
  }
  void transform_one(std::span<const double> row, std::span<double> out) const override {
    if constexpr (fitted_row_transformer<F>) fitted_.transform_one(row, out);
    else if constexpr (fitted_transformer<F>) throw_no_row_call(roles_of(), "transform_one");
    else throw_no_transform(roles_of());
  }
  const vector& classes() const override {
    if constexpr (fitted_classifier<F>) return fitted_.classes();
    else throw_no_classes(roles_of());
  }
  vector feature_importance(int how, double norm_order) const override {
    if constexpr (fitted_with_importance<F>)
      return mlpipe::feature_importance(fitted_, static_cast<importance_transform>(how), norm_order);
    else
      throw_no_importance(roles_of());
  }
  std::string signature() const override {
    static const std::string type_signature = detail::signature<F>();
    if (type_signature.find("any_model") == std::string::npos) return type_signature;
    nlohmann::json node;  // an inner any_model: its type says nothing, its node says what it holds
    encode(node);
    return signature_of_node(node);
  }
  void encode(nlohmann::json& node) const override { node = encode_fitted(fitted_); }
  void check_invariants() const override {
    if constexpr (requires { fitted_.check_invariants(); }) fitted_.check_invariants();
  }

  const F& fitted() const { return fitted_; }

 private:
  const stage_roles& roles_of() const {
    if constexpr (fitted_dynamic_search<F>) {
      return search_roles_;
    } else {
      static const stage_roles roles = fitted_roles<F>();
      return roles;
    }
  }

  F fitted_;
  stage_roles search_roles_;  // a search's: its best model's roles
};

// A static stage or pipeline behind dynamic_stage.
template <class S>
class stage_adapter : public dynamic_stage {
 public:
  explicit stage_adapter(S s) : stage_(std::move(s)), roles_(stage_roles_of(stage_)) {}

  std::string_view kind() const override { return S::kind; }
  const stage_roles& roles() const override { return roles_; }
  std::shared_ptr<dynamic_stage> clone() const override { return std::make_shared<stage_adapter>(stage_); }
  std::shared_ptr<const dynamic_model> fit(const matrix_view& X, const vector_view& y) const override {
    return std::make_shared<const model_adapter<typename S::fitted>>(stage_.fit(X, y));
  }
  std::shared_ptr<const dynamic_model> fit_transform(const matrix_view& X, const vector_view& y,
                                                     matrix& out) const override {
    if constexpr (transformer<S>) {
      auto [f, Xt] = mlpipe::fit_transform(stage_, X, y);
      out = std::move(Xt);
      return std::make_shared<const model_adapter<typename S::fitted>>(std::move(f));
    } else {
      throw_no_transform(roles());
    }
  }
  void param_names(const std::string& prefix, std::vector<std::string>& out) const override {
    collect_param_names(stage_, prefix, out);
  }
  bool set_inner(std::string_view name, std::shared_ptr<dynamic_stage> inner) override {
    if constexpr (nesting_stage<S>) {
      return std::apply(
          [&](const auto&... n) {
            return ([&] {
              if constexpr (std::is_same_v<std::remove_cvref_t<decltype(stage_.*(n.member))>, any_pipeline>) {
                if (n.name.view() != name) return false;
                stage_.*(n.member) = any_pipeline(inner);
                roles_ = stage_roles_of(stage_);
                return true;
              } else {
                return false;
              }
            }() || ...);
          },
          S::nested);
    } else {
      return false;
    }
  }
  bool set_param(std::string_view path, const param_value& value, std::string_view full_path) override {
    return visit_param(stage_, path, [&](auto& ref, const auto&, std::string_view kind) {
      using M = std::remove_cvref_t<decltype(ref)>;
      auto converted = param_traits<M>::from_value(value);
      if (!converted) throw_wrong_type(full_path, kind, param_traits<M>::expected, value);
      ref = std::move(*converted);
    });
  }
  bool get_param(std::string_view path, param_value& out) const override {
    return visit_param(stage_, path, [&](const auto& ref, const auto&, std::string_view) {
      out = param_traits<std::remove_cvref_t<decltype(ref)>>::to_value(ref);
    });
  }
  void validate_all() const override { mlpipe::validate_all(stage_); }
  void spec(nlohmann::json& out) const override { write_spec(stage_, out); }

  const S& static_stage() const { return stage_; }

 protected:
  S stage_;
  stage_roles roles_;  // fixed by the stage's type, but a search's by its estimator
};

template <class F>
std::shared_ptr<const dynamic_model> load_fitted(const nlohmann::json& node, const std::string& where) {
  static_assert(std::is_default_constructible_v<F>,
                "mlpipe: register_stage<S>() needs a default-constructible fitted type (load fills an empty shell)");
  F fitted;
  decode_fitted(node, fitted, where);
  return std::make_shared<const model_adapter<F>>(std::move(fitted));
}

template <class T>
struct static_wrapper {
  static std::shared_ptr<dynamic_stage> make_stage(T s) { return std::make_shared<stage_adapter<T>>(std::move(s)); }
  static std::shared_ptr<const dynamic_model> make_model(T fitted) {
    return std::make_shared<const model_adapter<T>>(std::move(fitted));
  }
  static void register_kind() {
    static_assert(stage<T>, "mlpipe: register_stage<S>() needs a stage (a type with kind, fitted and fit)");
    static_assert(std::is_default_constructible_v<T>,
                  "mlpipe: register_stage<S>() needs a default-constructible stage: from_json starts from the "
                  "defaults and sets the spec's parameters");
    add_stage_kind(T::kind, {[]() -> std::shared_ptr<dynamic_stage> { return std::make_shared<stage_adapter<T>>(T{}); },
                             &load_fitted<typename T::fitted>});
  }
};

}  // namespace mlpipe::detail
