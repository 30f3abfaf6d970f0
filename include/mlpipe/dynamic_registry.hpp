#pragma once

// Include this header in exactly ONE source file of a program that uses <mlpipe/dynamic.hpp>: it compiles the
// run-time values (any_pipeline, any_model, load_any, from_json) and registers every stage of the library, each
// instantiated once, here. Other files include only <mlpipe/dynamic.hpp> and compile fast. (Like
// <mlpipe/io/binary_formats.hpp>, it is kept out of <mlpipe/mlpipe.hpp>; unlike it, it defines non-inline functions,
// so a second including file is a link error: "multiple definition of mlpipe::load_any".)

#include <algorithm>    // std::sort
#include <functional>   // std::function
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/compiled.hpp"  // first: its extern declarations precede the instantiations below
#include "mlpipe/dynamic/experiment.hpp"  // the searches' settings, read as an experiment spec reads them
#include "mlpipe/dynamic/graph.hpp"
#include "mlpipe/dynamic/wrap.hpp"
#include "mlpipe/dynamic/registry_kinds.hpp"
#include "mlpipe/io/serialize.hpp"

namespace mlpipe {
namespace detail {

// ---- the registry -----------------------------------------------------------------------------------------------

struct stage_registry {
  std::mutex mutex;
  std::map<std::string, stage_kind_entry, std::less<>> kinds;
};

stage_registry& the_stage_registry() {
  static stage_registry* registry = [] {
    auto* r = new stage_registry;  // never destroyed: static destructors of other files may still load models
    register_library_stages([&](std::string_view kind, stage_kind_entry entry) {
      r->kinds.emplace(std::string(kind), entry);
    });
    return r;
  }();
  return *registry;
}

void add_stage_kind(std::string_view kind, stage_kind_entry entry) {
  stage_registry& r = the_stage_registry();
  const std::lock_guard lock(r.mutex);
  r.kinds.emplace(std::string(kind), entry);
}

// The entry of a kind, or an error naming the kind, the closest registered kinds and all of them.
template <class Error>
stage_kind_entry find_stage_kind(std::string_view kind, const std::string& where) {
  stage_registry& r = the_stage_registry();
  const std::lock_guard lock(r.mutex);
  if (const auto it = r.kinds.find(kind); it != r.kinds.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [name, entry] : r.kinds) names.push_back(name);
  for (std::string_view composite : {"pipeline", "feature_union", "column_transformer", "columns", "one_of"})
    names.emplace_back(composite);
  std::sort(names.begin(), names.end());
  const std::string suggestion = did_you_mean(kind, names);
  throw Error(where + ": stage kind '" + clipped(kind) + "' is not registered" +
              (suggestion.empty() ? "." : suggestion) + " Registered kinds: " + join(names, 100) +
              ". Register your own stage with mlpipe::register_stage<S>()");
}

// ---- specs ------------------------------------------------------------------------------------------------------

stage_ptr build_stage(const nlohmann::json& node, const std::string& where);

[[noreturn]] inline void throw_spec_error(const std::string& where, const std::string& what) {
  throw invalid_parameter(where + ": " + what);
}

inline const nlohmann::json* find_member(const nlohmann::json& node, std::string_view name) {
  const auto it = node.find(name);
  return it == node.end() ? nullptr : &*it;
}

// The named steps of a composite's spec: a non-empty list of objects with a unique "name" each.
inline std::vector<dynamic_step> build_steps(const nlohmann::json& node, std::string_view kind,
                                             const std::string& where) {
  const nlohmann::json* list = find_member(node, "steps");
  if (list == nullptr || !list->is_array() || list->empty())
    throw_spec_error(where, "a " + std::string(kind) + " needs \"steps\": a non-empty list of steps, found " +
                                (list == nullptr ? std::string("none") : excerpt(*list)));
  std::vector<dynamic_step> steps;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& step = (*list)[i];
    const std::string here = where + " steps[" + std::to_string(i) + "]";
    if (!step.is_object()) throw_spec_error(here, "expected a step object, found " + excerpt(step));
    const nlohmann::json* name = find_member(step, "name");
    std::string step_name;
    if (name == nullptr) {
      const nlohmann::json* k = find_member(step, "kind");
      if (k == nullptr || !k->is_string()) throw_spec_error(here, "the step has no \"name\" (and no \"kind\")");
      step_name = k->get<std::string>();  // a step is named by its kind, as in a static pipeline
    } else if (!name->is_string() || name->get_ref<const std::string&>().empty() ||
               name->get_ref<const std::string&>().find('.') != std::string::npos) {
      throw_spec_error(here, "a step name must be a non-empty string without '.', found " + excerpt(*name));
    } else {
      step_name = name->get<std::string>();
    }
    for (const auto& s : steps)
      if (s.name == step_name)
        throw_spec_error(here, "two steps are named '" + step_name + "'; give one of them another name");
    steps.push_back({step_name, build_stage(step, here + " '" + step_name + "'")});
  }
  return steps;
}

inline const std::vector<std::pair<std::string, std::string>>& search_kinds();
inline std::string join_kinds(const std::vector<std::pair<std::string, std::string>>& kinds) {
  std::string out;
  for (const auto& [kind, strategy] : kinds) out += (out.empty() ? "" : ", ") + kind;
  return out;
}

// A registered stage from its kind and its "params" object: each parameter set as set_param would (type checks,
// did-you-mean for unknown names), the error naming the step.
inline stage_ptr build_registered(const nlohmann::json& node, const std::string& kind, const std::string& where) {
  const stage_kind_entry entry = find_stage_kind<invalid_parameter>(kind, where);
  if (entry.make == nullptr)
    throw_spec_error(where, "stage kind '" + kind + "' loads from files but is not built from a spec; expected a "
                            "stage, a pipeline or one of the searches " + join_kinds(search_kinds()));
  stage_ptr stage = entry.make();
  if (const nlohmann::json* params = find_member(node, "params")) {
    if (!params->is_object()) throw_spec_error(where, "\"params\" must be an object, found " + excerpt(*params));
    for (auto it = params->begin(); it != params->end(); ++it) {
      param_value value;
      try {
        value = decode_param(it.value(), where + " params." + it.key());
      } catch (const load_error& e) {
        throw invalid_parameter(e.detail());
      }
      bool found = false;
      try {
        found = stage->set_param(it.key(), value, it.key());
      } catch (const error& e) {
        throw invalid_parameter(where + ": " + std::string(e.what()));
      }
      if (!found) {
        std::vector<std::string> names;
        stage->param_names("", names);
        invalid_parameter e = unknown_path_error(it.key(), names);
        e.add_kind(kind);
        throw invalid_parameter(where + ": " + std::string(e.what()));
      }
    }
  }
  // Inner stages (a selector's "estimator"): in the spec, or in a saved node's state (rfecv's inside its rfe).
  for (const char* name : {"estimator"}) {
    const nlohmann::json* inner = find_member(node, name);
    for (const nlohmann::json* state = find_member(node, "state");
         inner == nullptr && state != nullptr && state->is_object();) {
      inner = find_member(*state, name);
      const nlohmann::json* rfe = find_member(*state, "rfe");
      state = rfe != nullptr && rfe->is_object() ? find_member(*rfe, "state") : nullptr;
    }
    if (inner == nullptr) continue;
    if (!stage->set_inner(name, build_stage(*inner, where + " " + name)))
      throw_spec_error(where, "a " + kind + " has no inner stage \"" + std::string(name) + "\"");
  }
  return stage;
}

// A columns stage: {"kind": "columns", "params": {"columns": [0, 2]}, "inner": {...}} (or a saved node's state).
inline stage_ptr build_columns(const nlohmann::json& node, const std::string& where) {
  const nlohmann::json* params = find_member(node, "params");
  const nlohmann::json* state = find_member(node, "state");
  const nlohmann::json* columns = params != nullptr && params->is_object() ? find_member(*params, "columns") : nullptr;
  if (columns == nullptr && state != nullptr && state->is_object()) columns = find_member(*state, "columns");
  const nlohmann::json* inner = find_member(node, "inner");
  if (inner == nullptr && state != nullptr && state->is_object()) inner = find_member(*state, "inner");
  if (columns == nullptr || !columns->is_array())
    throw_spec_error(where, "a columns stage needs \"params\": {\"columns\": [...]}, a list of column indices");
  std::vector<index> list;
  for (const auto& c : *columns) {
    const auto i = c.is_number_integer() ? int64_value(c) : std::nullopt;
    if (!i) throw_spec_error(where, "columns must be integers, found " + excerpt(c));
    list.push_back(*i);
  }
  if (inner == nullptr) throw_spec_error(where, "a columns stage needs \"inner\": the stage it runs on them");
  return std::make_shared<dynamic_columns>(std::move(list), build_stage(*inner, where + " inner"));
}

inline stage_ptr build_concat(const nlohmann::json& node, const std::string& kind, const std::string& where) {
  mlpipe::remainder policy = mlpipe::remainder::drop;
  if (const nlohmann::json* params = find_member(node, "params")) {
    if (!params->is_object()) throw_spec_error(where, "\"params\" must be an object, found " + excerpt(*params));
    for (auto it = params->begin(); it != params->end(); ++it) {
      if (kind == "column_transformer" && it.key() == "remainder") {
        const auto value = decode_param(it.value(), where);
        const auto converted = param_traits<mlpipe::remainder>::from_value(value);
        if (!converted) throw_wrong_type("remainder", kind, param_traits<mlpipe::remainder>::expected, value);
        policy = *converted;
      } else {
        const std::vector<std::string> names =
            kind == "column_transformer" ? std::vector<std::string>{"remainder"} : std::vector<std::string>{};
        invalid_parameter e = unknown_path_error(it.key(), names);
        e.add_kind(kind);
        throw invalid_parameter(where + ": " + std::string(e.what()));
      }
    }
  }
  // A saved column_transformer keeps its remainder as the columns it passed through.
  if (const nlohmann::json* state = find_member(node, "state"); state != nullptr && state->is_object())
    if (const nlohmann::json* p = find_member(*state, "passthrough"); p != nullptr && p->is_array() && !p->empty())
      policy = mlpipe::remainder::passthrough;
  std::vector<dynamic_step> steps = build_steps(node, kind, where);
  try {
    return std::make_shared<dynamic_concat>(kind, std::move(steps), policy);
  } catch (const invalid_parameter& e) {
    throw invalid_parameter(where + ": " + std::string(e.what()));
  }
}

// A one_of: {"kind": "one_of", "params": {"": "min_max_scaler"}, "steps": [alternatives]}, as write_spec writes a
// static one; a saved node (its state's alternative and model) is a one_of of that one alternative.
inline stage_ptr build_one_of(const nlohmann::json& node, const std::string& where) {
  std::vector<dynamic_step> steps;
  const nlohmann::json* state = find_member(node, "state");
  if (find_member(node, "steps") == nullptr && state != nullptr && state->is_object() &&
      find_member(*state, "model") != nullptr) {
    const nlohmann::json* name = find_member(*state, "alternative");
    if (name == nullptr || !name->is_string() || name->get_ref<const std::string&>().empty())
      throw_spec_error(where, "a saved one_of needs \"state\": {\"alternative\": its name, ...}");
    const std::string alternative = name->get<std::string>();
    steps.push_back({alternative, build_stage(*find_member(*state, "model"), where + " '" + alternative + "'")});
  } else {
    steps = build_steps(node, "one_of", where);
  }
  stage_ptr stage;
  try {
    stage = std::make_shared<dynamic_one_of>(std::move(steps));
  } catch (const invalid_parameter& e) {
    throw invalid_parameter(where + ": " + std::string(e.what()));
  }
  if (const nlohmann::json* params = find_member(node, "params")) {
    if (!params->is_object()) throw_spec_error(where, "\"params\" must be an object, found " + excerpt(*params));
    for (auto it = params->begin(); it != params->end(); ++it) {
      if (!it.key().empty())
        throw_spec_error(where, "one_of: unknown parameter '" + it.key() + "'; expected \"\", the choice (an "
                                "alternative's name or index); the alternatives' parameters are in their steps");
      param_value value;
      try {
        value = decode_param(it.value(), where + " params");
        stage->set_param("", value, "");
      } catch (const error& e) {
        throw invalid_parameter(where + ": " + std::string(e.what()));
      }
    }
  }
  return stage;
}

// The search kinds a spec may name, each with the strategy an experiment spec calls it by.
inline const std::vector<std::pair<std::string, std::string>>& search_kinds() {
  static const std::vector<std::pair<std::string, std::string>> kinds = {
      {"grid_search", "grid"},
      {"random_search", "random"},
      {"tpe_search", "tpe"},
      {"halving_grid_search", "halving_grid"},
      {"halving_random_search", "halving_random"},
      {"hyperband", "hyperband"}};
  return kinds;
}

// A search over an inner spec: {"kind": "grid_search", "params": {"estimator": {...}, "space": {"model.C": [0.1, 1]},
// "cv": {"kind": "kfold", "params": {...}}, "scoring": "accuracy", "seed": 0, "n_jobs": 1, ...}}: the keys and checks
// of an experiment spec's "search" (mlpipe/dynamic/experiment.hpp), the estimator any spec.
inline stage_ptr build_search(const nlohmann::json& node, const std::string& kind, const std::string& strategy,
                              const std::string& where) {
  const nlohmann::json* params = find_member(node, "params");
  if (params == nullptr || !params->is_object())
    throw_spec_error(where, "a " + kind + " needs \"params\": {\"estimator\": a spec, \"space\": {...}, ...}, found " +
                                (params == nullptr ? std::string("none") : excerpt(*params)));
  const nlohmann::json* estimator = find_member(*params, "estimator");
  if (estimator == nullptr)
    throw_spec_error(where, "a " + kind + " needs \"params\": {\"estimator\": ...}, the stage or pipeline it tunes");
  const any_pipeline inner(build_stage(*estimator, where + " params.estimator"));
  nlohmann::json settings = *params;
  settings.erase("estimator");
  if (settings.contains("strategy"))
    throw_spec_error(where + " params", "\"strategy\" is the search's kind here (" + kind + "); remove it");
  settings["strategy"] = strategy;
  const experiment::detail::reader r(where);
  const any_pipeline search = experiment::detail::read_search(r, settings, inner, std::nullopt, {}, "params");
  nlohmann::json spec = nlohmann::json::object();
  spec["kind"] = kind;
  spec["params"] = *params;
  inner.stage().spec(spec["params"]["estimator"]);
  return std::make_shared<dynamic_spec_stage>(search.impl(), std::move(spec));
}

stage_ptr build_stage(const nlohmann::json& node, const std::string& where) {
  if (!node.is_object()) throw_spec_error(where, "expected a stage object, found " + excerpt(node));
  const nlohmann::json* kind = find_member(node, "kind");
  if (kind != nullptr && !kind->is_string())
    throw_spec_error(where, "\"kind\" must be a string, found " + excerpt(*kind));
  const std::string k = kind == nullptr ? (find_member(node, "steps") ? "pipeline" : "") : kind->get<std::string>();
  if (k.empty()) throw_spec_error(where, "the stage has no \"kind\" (and no \"steps\")");
  if (k == "columns") return build_columns(node, where);
  if (k == "feature_union" || k == "column_transformer") return build_concat(node, k, where);
  if (k == "one_of") return build_one_of(node, where);
  for (const auto& [search, strategy] : search_kinds())
    if (k == search) return build_search(node, k, strategy, where);
  if (k != "pipeline") return build_registered(node, k, where);
  std::vector<dynamic_step> steps = build_steps(node, k, where);
  try {
    return std::make_shared<dynamic_chain>(std::move(steps));
  } catch (const invalid_parameter& e) {
    throw invalid_parameter(where + ": " + std::string(e.what()));
  }
}

// ---- loading ----------------------------------------------------------------------------------------------------

model_ptr load_model(const nlohmann::json& node, const std::string& where);

// A fitted composite's own check, with the wording decode_fitted gives a static one.
inline void check_loaded(const dynamic_model& model, const std::string& where) {
  try {
    model.check_invariants();
  } catch (const error& e) {
    throw_broken_invariant(where, model.kind(), e);
  }
}

// The steps of a fitted composite's node, each loaded by its kind.
inline std::vector<dynamic_fitted_step> load_steps(const nlohmann::json& node, const std::string& where) {
  const nlohmann::json& list = member(node, "steps", where);
  if (!list.is_array() || list.empty())
    throw_load_error(where, "expected a non-empty list of steps, found " +
                                (list.is_array() ? std::string("none") : std::string(list.type_name())));
  std::vector<dynamic_fitted_step> steps;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& step = list[i];
    const std::string here = where + " steps[" + std::to_string(i) + "]";
    const nlohmann::json& name = member(step, "name", here);
    if (!name.is_string()) throw_load_error(here, "the step name is " + excerpt(name) + "; expected a string");
    steps.push_back({name.get<std::string>(), load_model(step, here + " '" + name.get<std::string>() + "'")});
  }
  return steps;
}

inline model_ptr load_chain(const nlohmann::json& node, const std::string& where) {
  check_fitted_node(node, "pipeline", 1, where);
  auto chain = std::make_shared<const dynamic_chain_model>(load_steps(node, where));
  check_loaded(*chain, where);
  return chain;
}

// The state member `name` of a node, as json_reader reads it.
inline const nlohmann::json& state_member(const nlohmann::json& node, std::string_view name, const std::string& where) {
  const nlohmann::json& state = member(node, "state", where);
  return member(state, name, where + " state");
}

inline model_ptr load_columns(const nlohmann::json& node, const std::string& where) {
  check_fitted_node(node, "columns", 1, where);
  std::vector<index> columns;
  decode_value(state_member(node, "columns", where), columns, where + " state.columns");
  const index n = decode_integer(state_member(node, "n_features_in", where), std::numeric_limits<index>::min(),
                                 std::numeric_limits<index>::max(), where + " state.n_features_in");
  model_ptr inner = load_model(state_member(node, "inner", where), where + " state.inner");
  auto model = std::make_shared<const dynamic_columns_model>(std::move(columns), n, std::move(inner));
  check_loaded(*model, where);
  return model;
}

inline model_ptr load_concat(const nlohmann::json& node, const std::string& kind, const std::string& where) {
  check_fitted_node(node, kind, 1, where);
  const index n = decode_integer(state_member(node, "n_features_in", where), std::numeric_limits<index>::min(),
                                 std::numeric_limits<index>::max(), where + " state.n_features_in");
  std::vector<index> passthrough;
  decode_value(state_member(node, "passthrough", where), passthrough, where + " state.passthrough");
  std::vector<dynamic_fitted_step> steps = load_steps(node, where);
  stage_roles roles;
  roles.transformer = true;
  roles.row_calls = true;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    if (kind == "column_transformer" && s.fitted->kind() != "columns")
      throw_load_error(where + " steps[" + std::to_string(i) + "] '" + s.name + "'",
                       "the file holds a " + std::string(s.fitted->kind()) + " where a column_transformer's branch "
                       "must be a columns");
    if (!s.fitted->roles().transformer)
      throw_load_error(where + " steps[" + std::to_string(i) + "] '" + s.name + "'",
                       "the file holds a " + std::string(s.fitted->kind()) + " where a " + kind +
                           "'s branch must be a transformer");
    roles.row_calls = roles.row_calls && s.fitted->roles().row_calls;
  }
  const stage_roles& last = steps.back().fitted->roles();
  roles.step_path = steps.back().name + (last.step_path.empty() ? "" : "." + last.step_path);
  roles.step_kind = last.step_kind;
  auto model = std::make_shared<const dynamic_concat_model>(kind, std::move(steps), n, std::move(passthrough), roles);
  check_loaded(*model, where);
  return model;
}

inline model_ptr load_one_of(const nlohmann::json& node, const std::string& where) {
  check_fitted_node(node, "one_of", 1, where);
  const nlohmann::json& name = state_member(node, "alternative", where);
  if (!name.is_string() || name.get_ref<const std::string&>().empty())
    throw_load_error(where + " state.alternative", "found " + excerpt(name) + "; expected an alternative's name");
  const std::string alternative = name.get<std::string>();
  model_ptr inner = load_model(state_member(node, "model", where), where + " state.model");
  auto model = std::make_shared<const dynamic_one_of_model>(alternative, std::move(inner));
  check_loaded(*model, where);
  return model;
}

model_ptr load_model(const nlohmann::json& node, const std::string& where) {
  if (!node.is_object()) throw_load_error(where, "expected an object, found " + std::string(node.type_name()));
  const auto kind = node.find("kind");
  if (kind == node.end() || !kind->is_string()) throw_load_error(where, "'kind' is missing");
  const std::string& k = kind->get_ref<const std::string&>();
  if (k == "pipeline") return load_chain(node, where);
  if (k == "columns") return load_columns(node, where);
  if (k == "one_of") return load_one_of(node, where);
  if (k == "feature_union" || k == "column_transformer") return load_concat(node, k, where);
  return find_stage_kind<load_error>(k, where).load(node, where);
}

inline any_model load_envelope(const nlohmann::json& envelope, const std::string& source) {
  // The signature in the file is what the model must match: open_envelope checks the format and version.
  const auto signature = envelope.is_object() ? envelope.find("signature") : envelope.end();
  const std::string expected =
      signature != envelope.end() && signature->is_string() ? signature->get<std::string>() : std::string();
  const nlohmann::json& node = open_envelope(envelope, expected, source);
  model_ptr model = load_model(node, source + ": model");
  // A file whose signature names any_model (a static pipeline with a run-time step, saved before the step said what
  // it holds) matches the model it holds at that place.
  if (model->signature() != expected && !signature_matches(expected, model->signature())) {
    throw_load_error(source, "the signature " + clipped(expected) + " does not match the model in the file, " +
                                 clipped(model->signature()));
  }
  check_metadata(envelope, model->n_features_in(), source);
  return any_model(std::move(model));
}

}  // namespace detail

// ---- any_model ----------------------------------------------------------------------------------------------------

const detail::dynamic_model& any_model::model() const {
  if (impl_ == nullptr) throw error("the model is empty; assign one from fit, load_any or a fitted stage", kind);
  return *impl_;
}

namespace detail {

// A column of a saved search's table (state's column_names and columns), or null where the table has none of that
// name.
inline const nlohmann::json* saved_column(const nlohmann::json& state, std::string_view name) {
  const auto names = state.find("column_names");
  const auto columns = state.find("columns");
  if (names == state.end() || columns == state.end()) return nullptr;
  const auto column = std::find(names->begin(), names->end(), name);
  if (column == names->end()) return nullptr;
  return &(*columns)[static_cast<std::size_t>(column - names->begin())];
}

// A saved hyperband's or halving search's resource, as its spec's keys: the parameter whose value is every
// candidate's n_resources (else "n_samples"), taken out of the space, and the least and most resource given
// (hyperband's min_resource and max_resource; a halving search's min_resources and max_resources, for a parameter
// only: on rows its defaults plan from the data). The file does not keep the factor.
inline void search_resource_spec(const std::string& kind, const nlohmann::json& state, nlohmann::json& params,
                                 nlohmann::json& space) {
  const nlohmann::json* column = saved_column(state, "n_resources");
  if (column == nullptr) return;
  const auto& resources = *column;
  const auto& candidates = state["params"];
  if (resources.empty() || resources.size() != candidates.size()) return;
  std::string resource = "n_samples";
  for (auto it = space.begin(); it != space.end(); ++it) {
    const std::string path = it.key();
    bool every = true;
    for (std::size_t c = 0; c < candidates.size() && every; ++c) {
      const auto& candidate = candidates[c];
      const auto pair = std::find_if(candidate.begin(), candidate.end(), [&](const auto& kv) { return kv[0] == path; });
      every = pair != candidate.end() && (*pair)[1].is_number() && (*pair)[1].template get<double>() == resources[c];
    }
    if (every) resource = path;
  }
  if (resource != "n_samples") space.erase(resource);
  const bool halving = kind != "hyperband";
  if (halving && resource == "n_samples") return;
  params["resource"] = resource;
  const auto [least, most] = std::minmax_element(resources.begin(), resources.end());
  params[halving ? "max_resources" : "max_resource"] = static_cast<std::int64_t>(most->get<double>());
  params[halving ? "min_resources" : "min_resource"] = static_cast<std::int64_t>(least->get<double>());
}

// The candidates a saved search drew: its table's rows, or a halving search's first iteration (the later ones
// repeat the best of them).
inline std::int64_t first_round_candidates(const nlohmann::json& state) {
  const auto rows = static_cast<std::int64_t>(state["params"].size());
  const nlohmann::json* iter = saved_column(state, "iter");
  if (iter == nullptr) return rows;
  const auto first = static_cast<std::int64_t>(std::count_if(
      iter->begin(), iter->end(), [](const auto& v) { return v.is_number() && v.template get<double>() == 0.0; }));
  return first > 0 ? first : rows;
}

}  // namespace detail

std::string any_model::spec_json() const {
  nlohmann::json node;
  model().encode(node);
  // The fitted node minus what fitting learned is the spec.
  std::function<void(nlohmann::json&)> strip = [&](nlohmann::json& n) {
    if (!n.is_object()) return;
    n.erase("schema_version");
    if (auto state = n.find("state"); state != n.end() && n["kind"] == "one_of" && state->contains("model")) {
      // The chosen alternative is the one_of's only one.
      nlohmann::json alternative = (*state)["model"];
      alternative["name"] = (*state)["alternative"];
      n["params"][""] = (*state)["alternative"];
      n["steps"] = nlohmann::json::array({std::move(alternative)});
      n.erase("state");
    }
    if (auto state = n.find("state"); state != n.end() && state->contains("best_model") &&
                                      state->contains("scorer_names") && state->contains("params")) {
      // A search: its best model's spec as the estimator, the candidates it tried as lists (the file keeps
      // neither the space's distributions nor the splitter: the refit searches these values with the default cv;
      // nor a halving search's or hyperband's factor, whose refit takes the default 3).
      nlohmann::json params = nlohmann::json::object();
      params["estimator"] = (*state)["best_model"];
      nlohmann::json space = nlohmann::json::object();
      for (const auto& candidate : (*state)["params"])
        for (const auto& pair : candidate) {
          nlohmann::json& values = space[pair[0].get<std::string>()];
          if (values.is_null()) values = nlohmann::json::array();
          if (std::find(values.begin(), values.end(), pair[1]) == values.end()) values.push_back(pair[1]);
        }
      const std::string kind = n["kind"].get<std::string>();
      if (kind == "hyperband" || kind == "halving_grid_search" || kind == "halving_random_search")
        detail::search_resource_spec(kind, *state, params, space);
      params["space"] = std::move(space);
      if (!(*state)["scorer_names"].empty()) params["scoring"] = (*state)["scorer_names"][0];
      const auto n_candidates = detail::first_round_candidates(*state);
      if (n["kind"] == "random_search" || n["kind"] == "halving_random_search") params["n_iter"] = n_candidates;
      if (n["kind"] == "tpe_search") params["n_trials"] = n_candidates;
      n.erase("state");
      n["params"] = std::move(params);
      strip(n["params"]["estimator"]);
    }
    if (auto state = n.find("state"); state != n.end()) {
      nlohmann::json keep = nlohmann::json::object();
      for (const char* nested : {"estimator", "inner"})
        if (state->contains(nested)) keep[nested] = (*state)[nested];
      if (const auto rfe = state->find("rfe"); rfe != state->end() && rfe->contains("state") &&
                                                 (*rfe)["state"].contains("estimator"))
        keep["estimator"] = (*rfe)["state"]["estimator"];
      if (n["kind"] == "columns" && state->contains("columns")) n["params"]["columns"] = (*state)["columns"];
      if (n["kind"] == "column_transformer" && state->contains("passthrough"))
        n["params"]["remainder"] = (*state)["passthrough"].empty() ? "drop" : "passthrough";
      n.erase("state");
      for (auto& [key, value] : keep.items()) n[key] = value;
    }
    for (const char* nested : {"estimator", "inner"})
      if (auto it = n.find(nested); it != n.end()) strip(*it);
    if (auto steps = n.find("steps"); steps != n.end())
      for (auto& s : *steps) strip(s);
  };
  strip(node);
  return node.dump();
}

any_model any_model::from_envelope(const nlohmann::json& envelope, const std::string& source) {
  return detail::load_envelope(envelope, source);
}

void any_model::decode_node(const nlohmann::json& node, const std::string& where) {
  impl_ = detail::load_model(node, where);
}

any_pipeline any_model::spec() const { return any_pipeline::from_json(spec_json()); }

// ---- any_pipeline -------------------------------------------------------------------------------------------------

const detail::dynamic_stage& any_pipeline::stage() const {
  if (impl_ == nullptr) throw error("the pipeline is empty; assign one from from_json or a static stage", kind);
  return *impl_;
}

any_pipeline any_pipeline::from_json(std::string_view spec) {
  nlohmann::json node;
  try {
    node = nlohmann::json::parse(spec.begin(), spec.end());
  } catch (const nlohmann::json::exception& e) {
    throw invalid_parameter("spec: malformed JSON (" + detail::clipped(e.what()) + ")");
  }
  return any_pipeline(detail::build_stage(node, "spec"));
}

any_model any_pipeline::fit(const matrix_view& X, const vector_view& y) const { return any_model(stage().fit(X, y)); }

std::pair<any_model, matrix> any_pipeline::fit_transform(const matrix_view& X, const vector_view& y) const {
  matrix out;
  auto model = stage().fit_transform(X, y, out);
  return {any_model(std::move(model)), std::move(out)};
}

any_pipeline& any_pipeline::set_param(std::string_view path, const param_value& value) {
  stage();
  if (!detail::writable(impl_).set_param(path, value, path)) throw detail::unknown_path_error(path, param_names());
  return *this;
}

param_value any_pipeline::get_param(std::string_view path) const {
  param_value out;
  if (!stage().get_param(path, out)) throw detail::unknown_path_error(path, param_names());
  return out;
}

std::vector<std::string> any_pipeline::param_names() const {
  std::vector<std::string> out;
  stage().param_names("", out);
  return out;
}

void any_pipeline::validate_all() const { stage().validate_all(); }

std::string any_pipeline::spec_json() const {
  nlohmann::json node;
  stage().spec(node);
  return node.dump();
}

// ---- files --------------------------------------------------------------------------------------------------------

any_model load_any(const std::filesystem::path& path) {
  return detail::load_envelope(detail::read_envelope(path), path.string());
}

any_model load_any_from_bytes(std::span<const std::byte> bytes, file_format format, const std::string& source) {
  return detail::load_envelope(detail::parse_envelope(bytes, format, source), source);
}

void save(const any_model& model, const std::filesystem::path& path) {
  nlohmann::json node;
  model.model().encode(node);
  detail::write_envelope(detail::make_envelope(model.signature(), model.n_features_in(), std::move(node)), path);
}

std::vector<std::string> registered_kinds() {
  detail::stage_registry& r = detail::the_stage_registry();
  const std::lock_guard lock(r.mutex);
  std::vector<std::string> out;
  for (const auto& [name, entry] : r.kinds) out.push_back(name);
  return out;
}

}  // namespace mlpipe

// ---- cross_validate and the searches over any_pipeline, compiled here once (declared by dynamic/compiled.hpp) ---

namespace mlpipe {

template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const any_splitter&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const kfold&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const stratified_kfold&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const repeated_kfold&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const repeated_stratified_kfold&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const shuffle_split&, const cv_options&);
template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                              const stratified_shuffle_split&, const cv_options&);
template struct grid_search<any_pipeline>;
template struct random_search<any_pipeline>;
template struct halving_grid_search<any_pipeline>;
template struct halving_random_search<any_pipeline>;
template struct sampler_search<any_pipeline, tpe_sampler, "tpe_search">;
template struct hyperband<any_pipeline>;

}  // namespace mlpipe
