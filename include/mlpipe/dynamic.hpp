#pragma once

#include <filesystem>
#include <memory>       // std::shared_ptr
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>      // std::pair
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"

// Pipelines as run-time values: any_pipeline (unfitted) and any_model (fitted) hold any stage or pipeline behind
// one interface, so that a harness keeps different pipelines in one container, a serving program loads any model
// file (load_any) and a researcher builds pipelines from JSON specs (any_pipeline::from_json).
//
// This header is light: it declares, and compiles in about the time Eigen's core takes. What makes the values is
// compiled once per program, in the one source file that includes <mlpipe/dynamic_registry.hpp> (every stage of
// the library registered; like <mlpipe/io/binary_formats.hpp> registers codecs). Wrapping a static pipeline
// (any_pipeline(p), any_model(p.fit(X, y))) and register_stage<S>() need <mlpipe/dynamic/wrap.hpp> where they are
// called (the registry header and <mlpipe/mlpipe.hpp> include it).

namespace mlpipe {

class any_model;
class any_pipeline;
enum class file_format;  // json, cbor, msgpack: <mlpipe/io/serialize.hpp>

namespace detail {

class dynamic_model;
class dynamic_stage;

// The fitted side of a run-time value: a fitted stage or pipeline behind virtual calls. Immutable once made.
class dynamic_model {
 public:
  virtual ~dynamic_model() = default;
  // The wrapped fitted stage's kind ("pipeline", "ridge").
  virtual std::string_view kind() const = 0;
  virtual const stage_roles& roles() const = 0;
  virtual index n_features_in() const = 0;
  virtual index n_features_out() const = 0;
  virtual vector predict(const matrix_view& X) const = 0;
  virtual matrix predict_proba(const matrix_view& X) const = 0;
  virtual matrix decision_function(const matrix_view& X) const = 0;
  virtual matrix transform(const matrix_view& X) const = 0;
  virtual double predict_one(std::span<const double> row) const = 0;
  virtual void predict_proba_one(std::span<const double> row, std::span<double> out) const = 0;
  virtual void transform_one(std::span<const double> row, std::span<double> out) const = 0;
  virtual const vector& classes() const = 0;
  // mlpipe::feature_importance of the wrapped model (how: an importance_transform), for selectors' estimators.
  virtual vector feature_importance(int how, double norm_order) const = 0;
  // The saved signature: "pipeline(scale:standard_scaler,model:ridge)".
  virtual std::string signature() const = 0;
  // Writes the fitted node save() writes for this stage (kind, schema_version, params, state, steps).
  virtual void encode(nlohmann::json& node) const = 0;
  virtual void check_invariants() const = 0;
};

// The unfitted side: a stage or pipeline spec behind virtual calls. Copied on write by any_pipeline.
class dynamic_stage {
 public:
  virtual ~dynamic_stage() = default;
  virtual std::string_view kind() const = 0;
  virtual const stage_roles& roles() const = 0;
  virtual std::shared_ptr<dynamic_stage> clone() const = 0;
  virtual std::shared_ptr<const dynamic_model> fit(const matrix_view& X, const vector_view& y) const = 0;
  // Fits a transformer and writes its transformed training data to out.
  virtual std::shared_ptr<const dynamic_model> fit_transform(const matrix_view& X, const vector_view& y,
                                                             matrix& out) const = 0;
  // Appends every parameter path, each prefixed by prefix.
  virtual void param_names(const std::string& prefix, std::vector<std::string>& out) const = 0;
  // Sets the parameter at path (relative to this stage; full_path is the user's, for messages); false when there
  // is none.
  virtual bool set_param(std::string_view path, const param_value& value, std::string_view full_path) = 0;
  virtual bool get_param(std::string_view path, param_value& out) const = 0;
  virtual void validate_all() const = 0;
  // Sets the inner stage named name (a selector's "estimator") when it is an any_pipeline; false otherwise.
  virtual bool set_inner(std::string_view, std::shared_ptr<dynamic_stage>) { return false; }
  // Writes the spec: {"kind": ..., "params": {...}} for a stage, {"kind": "pipeline", "steps": [...]} for a chain.
  virtual void spec(nlohmann::json& out) const = 0;
};

// Defined by <mlpipe/dynamic/wrap.hpp>: wraps a static stage (make_stage), a fitted stage (make_model) and
// registers a stage kind (add). Declared only here, so that using them without that header is a compile error that
// names this type.
template <class T>
struct static_wrapper;

}  // namespace detail

// any_model -- a fitted stage or pipeline as a run-time value: what any_pipeline::fit and load_any return. Copies
// share the same immutable fitted state; safe to use from many threads. Calling what the wrapped model lacks
// (predict_proba on a regressor, transform on a model) throws mlpipe::invalid_input naming it.
class any_model {
 public:
  static constexpr std::string_view kind = "any_model";
  static constexpr int schema_version = 1;

  // An empty model; every call but empty() throws until one is assigned.
  any_model() = default;
  explicit any_model(std::shared_ptr<const detail::dynamic_model> impl) : impl_(std::move(impl)) {}
  // Wraps a static fitted stage or pipeline (what fit returns); needs <mlpipe/dynamic/wrap.hpp>.
  template <class Fitted>
    requires(!std::is_same_v<Fitted, any_model> && fitted_stage<Fitted>)
  explicit any_model(Fitted fitted) : any_model(detail::static_wrapper<Fitted>::make_model(std::move(fitted))) {}

  bool empty() const { return impl_ == nullptr; }
  // The wrapped model's kind: "pipeline", "ridge", ...
  std::string_view wrapped_kind() const { return model().kind(); }
  // What the wrapped model can do: transform, predict, classes, predict_proba, decision_function.
  stage_roles roles() const { return model().roles(); }
  bool is_classifier() const { return model().roles().classifier; }

  index n_features_in() const { return model().n_features_in(); }
  index n_features_out() const { return model().n_features_out(); }
  vector predict(const matrix_view& X) const { return model().predict(X); }
  matrix predict_proba(const matrix_view& X) const { return model().predict_proba(X); }
  matrix decision_function(const matrix_view& X) const { return model().decision_function(X); }
  matrix transform(const matrix_view& X) const { return model().transform(X); }
  const vector& classes() const { return model().classes(); }
  // What select_from_model, rfe and rfecv rank features by (mlpipe::feature_importance of the wrapped model).
  vector feature_importance(int how, double norm_order) const { return model().feature_importance(how, norm_order); }
  // One row in, one prediction out: one indirect call, no heap allocation (after a thread's first call).
  double predict_one(std::span<const double> row) const { return model().predict_one(row); }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const {
    model().predict_proba_one(row, out);
  }
  void transform_one(std::span<const double> row, std::span<double> out) const { model().transform_one(row, out); }

  // The saved signature of the wrapped model ("pipeline(scale:standard_scaler,model:ridge)").
  std::string signature() const { return model().signature(); }
  // The spec the model was fitted from, to refit it: any_pipeline::from_json(m.spec_json()) fits the same model.
  any_pipeline spec() const;
  std::string spec_json() const;
  void check_invariants() const { model().check_invariants(); }
  // The fitted node save() writes, and reading one back (what save and load do for a static pipeline that holds an
  // any_model as a step or an inner estimator).
  void encode(nlohmann::json& node) const { model().encode(node); }
  void decode_node(const nlohmann::json& node, const std::string& where);
  // The model in a save envelope, checked as load_any checks a file (what load<any_model> and from_json call).
  static any_model from_envelope(const nlohmann::json& envelope, const std::string& source);

  const detail::dynamic_model& model() const;
  const std::shared_ptr<const detail::dynamic_model>& impl() const { return impl_; }

 private:
  std::shared_ptr<const detail::dynamic_model> impl_;
};

// any_pipeline -- an unfitted stage or pipeline as a run-time value: a static pipeline wrapped, or one built from
// a JSON spec. Copies are independent (copy on write); fit returns an any_model. It is a stage itself: use it in
// cross_validate, the searches, the benchmark harness, and as the estimator of a selector.
class any_pipeline {
 public:
  static constexpr std::string_view kind = "any_pipeline";
  using fitted = any_model;

  // An empty pipeline; every call but empty() throws until one is assigned.
  any_pipeline() = default;
  explicit any_pipeline(std::shared_ptr<detail::dynamic_stage> impl) : impl_(std::move(impl)) {}
  // Wraps a static stage or pipeline; needs <mlpipe/dynamic/wrap.hpp>.
  template <class Stage>
    requires(!std::is_same_v<Stage, any_pipeline> && stage<Stage>)
  explicit any_pipeline(Stage s) : any_pipeline(detail::static_wrapper<Stage>::make_stage(std::move(s))) {}

  // Builds a pipeline from a JSON spec: {"steps": [{"name": "scale", "kind": "standard_scaler", "params": {...}},
  // ...]}, a single stage {"kind": "ridge", "params": {...}}, unions, column_transformer and nested pipelines in the
  // shape a saved model stores them (a saved model's "model" node is a spec). Unknown kinds and parameters get
  // did-you-mean errors. Needs the registry (<mlpipe/dynamic_registry.hpp> in one source file).
  static any_pipeline from_json(std::string_view spec);

  bool empty() const { return impl_ == nullptr; }
  std::string_view wrapped_kind() const { return stage().kind(); }
  stage_roles roles() const { return stage().roles(); }
  bool is_classifier() const { return stage().roles().classifier; }

  any_model fit(const matrix_view& X, const vector_view& y = vector()) const;
  std::pair<any_model, matrix> fit_transform(const matrix_view& X, const vector_view& y = vector()) const;

  // Run-time parameter paths, with the same checks and did-you-mean errors as mlpipe::set_param on static stages.
  any_pipeline& set_param(std::string_view path, const param_value& value);
  param_value get_param(std::string_view path) const;
  // get_param without the error: false when no parameter has this path.
  bool try_get_param(std::string_view path, param_value& out) const { return stage().get_param(path, out); }
  std::vector<std::string> param_names() const;
  // Checks every hyperparameter against its range without fitting (what a search does with a grid's values).
  void validate_all() const;

  // The spec as JSON text, which from_json reads back.
  std::string spec_json() const;

  const detail::dynamic_stage& stage() const;
  const std::shared_ptr<detail::dynamic_stage>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::dynamic_stage> impl_;
};

// load_any("model.json") -- loads a model file saved by any mlpipe program, static or dynamic, without knowing its
// type: every stage kind in it must be registered (the library's are, by <mlpipe/dynamic_registry.hpp>). Checks
// what load<T> checks and throws mlpipe::load_error naming the file and what is wrong.
any_model load_any(const std::filesystem::path& path);
// load_any_from_bytes(bytes, file_format::json) -- load_any from memory, with the same checks; source names the bytes
// in error messages. CBOR and MessagePack need <mlpipe/io/binary_formats.hpp> in one source file, as load does.
any_model load_any_from_bytes(std::span<const std::byte> bytes, file_format format,
                              const std::string& source = "<bytes>");

// save(model, "model.json") -- writes an any_model in the same envelope save() writes for the static model it
// holds (the same bytes but the time stamp).
void save(const any_model& model, const std::filesystem::path& path);

// The registered stage kinds, sorted.
std::vector<std::string> registered_kinds();

// register_stage<my_stage>() -- adds a stage type to the registry: from_json builds it by its kind and load_any
// loads its fitted files. Needs <mlpipe/dynamic/wrap.hpp>; registering a kind twice keeps the first.
template <class Stage>
void register_stage() {
  detail::static_wrapper<Stage>::register_kind();
}

}  // namespace mlpipe
