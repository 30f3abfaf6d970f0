#pragma once

#include <algorithm>    // std::find
#include <cmath>        // std::isfinite
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>      // std::holds_alternative
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/paths.hpp"   // detail::did_you_mean, detail::join
#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/wrap.hpp"  // any_pipeline(search): the searches wrapped as stages
#include "mlpipe/io/csv.hpp"
#include "mlpipe/io/npy.hpp"
#include "mlpipe/io/serialize.hpp"  // detail::decode_param, detail::excerpt
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/space.hpp"
#include "mlpipe/tuning/tpe_search.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/benchmark.hpp"
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/splitters.hpp"

// Experiments as JSON: datasets, pipelines (any_pipeline specs, optionally tuned by a search in nested
// cross-validation), a splitter, metrics and outputs, read from a spec file and run by the benchmark harness, so a
// researcher compares pipelines without writing C++ (examples/run_experiment.cpp). Every error in a spec is an
// mlpipe::invalid_parameter naming the spec, the JSON location, the value found and what was expected.
// from_json builds pipelines, so a program using this header needs the registry (<mlpipe/dynamic_registry.hpp> in
// one of its source files).

namespace mlpipe::experiment {

// output_spec -- where an experiment writes its tables, and which ones.
struct output_spec {
  std::filesystem::path folder = "results";  // the folder written to (created); relative to the working directory
  // Any of "csv" (results.csv), "json" (results.json), "markdown" (summary.md), "latex" (summary_METRIC.tex).
  std::vector<std::string> formats = {"csv", "json", "markdown", "latex"};
};

// spec -- an experiment read from JSON: its datasets loaded, its pipelines built (a tuned one is its search wrapped
// as a stage), its splitter and metrics; run() runs it.
struct spec {
  std::string source = "experiment spec";              // the spec's name in error messages (its file name)
  std::vector<named_item<dataset>> datasets;           // in the spec's order
  std::vector<row_ids> groups;                         // per dataset: its "groups" column's ids, empty without one
  std::vector<named_item<any_pipeline>> pipelines;     // in the spec's order
  any_splitter cv{};                                   // the outer splits; empty: 5 folds, stratified for classifiers
  std::string cv_json = "null";                        // the splitter as the spec gave it, for the summary
  std::vector<std::string> metrics;                    // scorer names; empty: accuracy or r2 by the pipelines' role
  int n_jobs = 1;                                      // threads of the harness (same results for any value)
  double alpha = 0.05;                                 // significance level of the summaries' markers
  output_spec output{};                                // where the tables go
};

namespace detail {

using json = nlohmann::json;
using mlpipe::detail::did_you_mean;
using mlpipe::detail::excerpt;
using mlpipe::detail::join;

// A JSON location: pipelines[2].search.space["model.C"].
inline std::string member_at(const std::string& where, std::string_view key) {
  const bool plain = !key.empty() && key.find_first_of(".[]\" ") == std::string_view::npos;
  const std::string k = plain ? std::string(key) : "[" + json(std::string(key)).dump() + "]";
  if (where.empty()) return k;
  return plain ? where + "." + k : where + k;
}
inline std::string element_at(const std::string& where, std::size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

// Reads one spec: every error names the spec (source) and the location.
class reader {
 public:
  explicit reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw invalid_parameter(source_ + ": " + (where.empty() ? std::string() : where + ": ") + what);
  }

  // "found 5 (a number)"
  static std::string found(const json& j) { return excerpt(j) + " (" + std::string(j.type_name()) + ")"; }

  // Every key of object j is one of allowed; else an error with did-you-mean and the allowed keys.
  void check_keys(const json& j, const std::vector<std::string>& allowed, const std::string& where) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
      const std::string suggestion = did_you_mean(it.key(), allowed);
      fail(member_at(where, it.key()), "unknown key '" + it.key() + "'" + (suggestion.empty() ? "." : suggestion) +
                                           " Expected keys: " + join(allowed, allowed.size()));
    }
  }

  const json& object(const json& j, const std::string& where) const {
    if (!j.is_object()) fail(where, "expected an object, found " + found(j));
    return j;
  }
  const json* member(const json& obj, std::string_view key) const {
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  const json& required(const json& obj, std::string_view key, const std::string& where,
                       std::string_view expected) const {
    const json* m = member(obj, key);
    if (m == nullptr) fail(where, "missing key '" + std::string(key) + "'; expected " + std::string(expected));
    return *m;
  }
  std::string string(const json& j, const std::string& where) const {
    if (!j.is_string() || j.get_ref<const std::string&>().empty())
      fail(where, "expected a non-empty string, found " + found(j));
    return j.get<std::string>();
  }
  std::int64_t integer(const json& j, const std::string& where, std::int64_t at_least) const {
    const auto i = j.is_number_integer() ? mlpipe::detail::int64_value(j) : std::nullopt;
    if (!i || *i < at_least)
      fail(where, "expected an integer >= " + std::to_string(at_least) + ", found " + found(j));
    return *i;
  }
  double number(const json& j, const std::string& where) const {
    if (!j.is_number()) fail(where, "expected a number, found " + found(j));
    return j.get<double>();
  }
  const json& array(const json& j, const std::string& where, std::string_view expected) const {
    if (!j.is_array() || j.empty())
      fail(where, "expected " + std::string(expected) + " (a non-empty list), found " + found(j));
    return j;
  }
  // A parameter value: a number, a string, a boolean or a list of numbers.
  param_value value(const json& j, const std::string& where) const {
    try {
      return mlpipe::detail::decode_param(j, where);
    } catch (const load_error&) {
      fail(where, "expected a parameter value (a number, a string, a boolean or a list of numbers), found " +
                      found(j));
    }
  }
  // Runs f, an error it throws prefixed with the spec and the location.
  template <class F>
  decltype(auto) at(const std::string& where, F&& f) const {
    try {
      return f();
    } catch (const error& e) {
      fail(where, e.what());
    }
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// A splitter of type S from {"kind": ..., "params": {...}}: each parameter set as set_param sets it (did-you-mean,
// types), then checked (validate_all); a top-level seed is the default of a splitter with a seed.
template <class S>
any_splitter make_splitter(const reader& r, const json* params, std::optional<std::int64_t> seed,
                           const std::string& where) {
  S s{};
  const std::vector<std::string> names = mlpipe::param_names(s);
  if (seed && std::find(names.begin(), names.end(), "seed") != names.end()) mlpipe::set_param(s, "seed", *seed);
  if (params != nullptr) {
    r.object(*params, member_at(where, "params"));
    for (auto it = params->begin(); it != params->end(); ++it) {
      const std::string here = member_at(member_at(where, "params"), it.key());
      const param_value v = r.value(it.value(), here);
      r.at(here, [&] {
        mlpipe::set_param(s, it.key(), v);
        return 0;
      });
    }
  }
  r.at(where, [&] {
    mlpipe::validate_all(s);
    return 0;
  });
  return any_splitter(std::move(s));
}

// The splitter kinds a spec may name (those that need no groups).
inline const std::vector<std::string>& splitter_kinds() {
  static const std::vector<std::string> kinds = {"kfold", "stratified_kfold", "repeated_kfold",
                                                 "repeated_stratified_kfold", "shuffle_split",
                                                 "stratified_shuffle_split", "leave_one_out", "leave_p_out",
                                                 "time_series_split"};
  return kinds;
}

// The group splitters: the experiment's splitter may be one when every dataset names its "groups" column.
inline const std::vector<std::string>& group_splitter_kinds() {
  static const std::vector<std::string> kinds = {"group_kfold", "stratified_group_kfold", "group_shuffle_split",
                                                 "leave_one_group_out", "leave_p_groups_out"};
  return kinds;
}

// with_groups: the splitter is the experiment's own and every dataset has groups, so a group splitter may be named.
inline any_splitter read_splitter(const reader& r, const json& j, std::optional<std::int64_t> seed,
                                  const std::string& where, bool with_groups = false) {
  r.object(j, where);
  r.check_keys(j, {"kind", "params"}, where);
  const std::string kind = r.string(r.required(j, "kind", where, "the splitter's kind"), member_at(where, "kind"));
  const json* params = r.member(j, "params");
  if (kind == "kfold") return make_splitter<kfold>(r, params, seed, where);
  if (kind == "stratified_kfold") return make_splitter<stratified_kfold>(r, params, seed, where);
  if (kind == "repeated_kfold") return make_splitter<repeated_kfold>(r, params, seed, where);
  if (kind == "repeated_stratified_kfold") return make_splitter<repeated_stratified_kfold>(r, params, seed, where);
  if (kind == "shuffle_split") return make_splitter<shuffle_split>(r, params, seed, where);
  if (kind == "stratified_shuffle_split") return make_splitter<stratified_shuffle_split>(r, params, seed, where);
  if (kind == "leave_one_out") return make_splitter<leave_one_out>(r, params, seed, where);
  if (kind == "leave_p_out") return make_splitter<leave_p_out>(r, params, seed, where);
  if (kind == "time_series_split") return make_splitter<time_series_split>(r, params, seed, where);
  if (with_groups) {
    if (kind == "group_kfold") return make_splitter<group_kfold>(r, params, seed, where);
    if (kind == "stratified_group_kfold") return make_splitter<stratified_group_kfold>(r, params, seed, where);
    if (kind == "group_shuffle_split") return make_splitter<group_shuffle_split>(r, params, seed, where);
    if (kind == "leave_one_group_out") return make_splitter<leave_one_group_out>(r, params, seed, where);
    if (kind == "leave_p_groups_out") return make_splitter<leave_p_groups_out>(r, params, seed, where);
  }
  std::vector<std::string> known = splitter_kinds();
  if (with_groups) known.insert(known.end(), group_splitter_kinds().begin(), group_splitter_kinds().end());
  const bool group_kind = std::find(group_splitter_kinds().begin(), group_splitter_kinds().end(), kind) !=
                          group_splitter_kinds().end();
  if (group_kind || kind == "predefined_split") {
    std::string needs = "groups, which a search inside the outer splits does not get";
    if (where == "splitter") needs = "groups: name each dataset's group column in its \"groups\"";
    if (kind == "predefined_split") needs = "fold ids per row, which a spec does not give";
    r.fail(member_at(where, "kind"),
           "splitter '" + kind + "' needs " + needs + "; expected one of: " + join(known, 20));
  }
  const std::string suggestion = did_you_mean(kind, known);
  r.fail(member_at(where, "kind"), "unknown splitter '" + kind + "'" + (suggestion.empty() ? "." : suggestion) +
                                       " Expected one of: " + join(known, 20));
}

// One axis of a space: a list of values, or {"uniform" | "loguniform" | "int_uniform" | "int_loguniform": [low,
// high]}, or {"choice": [values]}.
inline distribution read_distribution(const reader& r, const json& j, bool lists_only, const std::string& where) {
  if (j.is_array()) {
    r.array(j, where, "values");
    std::vector<param_value> values;
    for (std::size_t i = 0; i < j.size(); ++i) values.push_back(r.value(j[i], element_at(where, i)));
    return distribution::make_list(std::move(values));
  }
  static const std::vector<std::string> shapes = {"choice", "uniform", "loguniform", "int_uniform", "int_loguniform"};
  if (!j.is_object() || j.size() != 1)
    r.fail(where, "expected a list of values or one distribution {\"loguniform\": [low, high]} (" +
                      join(shapes, shapes.size()) + "), found " + reader::found(j));
  const std::string name = j.begin().key();
  const json& args = j.begin().value();
  const std::string here = member_at(where, name);
  if (name == "choice") return read_distribution(r, args, lists_only, here);
  if (std::find(shapes.begin(), shapes.end(), name) == shapes.end()) r.check_keys(j, shapes, where);
  if (lists_only)
    r.fail(here, "a grid search takes lists of values; expected a list instead of a distribution (use strategy "
                 "\"random\" or \"tpe\" to draw from it)");
  if (!args.is_array() || args.size() != 2 || !args[0].is_number() || !args[1].is_number())
    r.fail(here, "expected [low, high], two numbers, found " + reader::found(args));
  const bool integral = name == "int_uniform" || name == "int_loguniform";
  if (integral && (!args[0].is_number_integer() || !args[1].is_number_integer()))
    r.fail(here, "expected [low, high], two integers, found " + reader::found(args));
  return r.at(here, [&] {
    if (name == "uniform") return uniform(args[0].get<double>(), args[1].get<double>());
    if (name == "loguniform") return loguniform(args[0].get<double>(), args[1].get<double>());
    if (name == "int_uniform") return int_uniform(args[0].get<std::int64_t>(), args[1].get<std::int64_t>());
    return int_loguniform(args[0].get<std::int64_t>(), args[1].get<std::int64_t>());
  });
}

// A halving search's amount of resource: an integer >= 1 or one of the named rules.
inline resource_amount read_amount(const reader& r, const json& j, std::initializer_list<std::string_view> rules,
                                   const std::string& where) {
  std::vector<std::string> quoted;
  for (const auto rule : rules) {
    if (j.is_string() && j.get_ref<const std::string&>() == rule) return std::string(rule);
    quoted.push_back("\"" + std::string(rule) + "\"");
  }
  if (!j.is_number_integer())
    r.fail(where, "expected an integer >= 1 or " + join(quoted, quoted.size()) + ", found " + reader::found(j));
  return r.integer(j, where, 1);
}

// A search's settings as the spec gives them.
struct search_settings {
  std::string strategy;
  std::vector<space_axis> axes;
  int n_iter = 10;       // random, halving_random (its first iteration's candidates)
  bool exhaust = false;  // halving_random: n_iter "exhaust" (as many candidates as the last iteration can use; the
                         // default, as halving_random_search's)
  int n_trials = 20;     // tpe
  std::int64_t seed = 0;
  any_splitter cv{};
  scoring_list scoring{};
  int n_jobs = 1;
  double factor = 3.0;   // halving, hyperband
  double max_time = 0.0;  // random, tpe, halving, hyperband: seconds; past them no task starts (a partial table)
  std::string resource = "n_samples";  // halving, hyperband: rows, or an integer parameter's path ("model.max_iter")
  std::int64_t max_resource = 0;       // hyperband: the most resource a candidate gets; 0: the number of rows
  std::int64_t min_resource = 1;       // hyperband: the least resource a candidate gets
  std::optional<resource_amount> min_resources{};       // halving: a number, "exhaust" or "smallest"
  resource_amount max_resources = std::string("auto");  // halving: a number, or "auto" (the number of rows)
  bool aggressive_elimination = false;                  // halving
};

inline const std::vector<std::string>& strategies() {
  static const std::vector<std::string> names = {"grid", "random", "tpe", "halving_grid", "halving_random",
                                                  "hyperband"};
  return names;
}

// The keys a search of a strategy accepts.
inline std::vector<std::string> search_keys(const std::string& strategy) {
  std::vector<std::string> keys = {"strategy", "space", "cv", "scoring", "seed", "n_jobs"};
  if (strategy == "random") keys.push_back("n_iter");
  if (strategy == "tpe") keys.push_back("n_trials");
  if (strategy == "halving_grid" || strategy == "halving_random" || strategy == "hyperband") keys.push_back("factor");
  if (strategy == "halving_random") keys.push_back("n_iter");
  if (strategy == "halving_grid" || strategy == "halving_random")
    keys.insert(keys.end(), {"resource", "min_resources", "max_resources", "aggressive_elimination"});
  if (strategy == "hyperband") keys.insert(keys.end(), {"resource", "max_resource", "min_resource"});
  if (strategy != "grid") keys.push_back("max_time");
  return keys;
}

// The pipeline wrapped in its search: nested cross-validation, the search refitted on each outer training set.
inline any_pipeline tuned(const any_pipeline& p, const search_settings& s) {
  if (s.strategy == "grid") {
    std::vector<grid_axis> axes;
    for (const auto& a : s.axes) axes.push_back({a.path, a.dist.values()});
    return any_pipeline(grid_search<any_pipeline>(
        p, grid(std::move(axes)), search_options{.cv = s.cv, .scoring = s.scoring, .n_jobs = s.n_jobs}));
  }
  const space_list spaces(space(s.axes));
  if (s.strategy == "random")
    return any_pipeline(random_search<any_pipeline>(
        p, spaces,
        random_search_options{.n_iter = s.n_iter,
                              .seed = s.seed,
                              .cv = s.cv,
                              .scoring = s.scoring,
                              .n_jobs = s.n_jobs,
                              .max_time = s.max_time}));
  if (s.strategy == "tpe")
    return any_pipeline(tpe_search<any_pipeline>(
        p, spaces,
        sampler_search_options{.n_trials = s.n_trials,
                               .seed = s.seed,
                               .cv = s.cv,
                               .scoring = s.scoring,
                               .n_jobs = s.n_jobs,
                               .max_time = s.max_time}));
  if (s.strategy == "hyperband")
    return any_pipeline(hyperband<any_pipeline>(p, spaces,
                                                hyperband_options{.resource = s.resource,
                                                                  .max_resource = s.max_resource,
                                                                  .min_resource = s.min_resource,
                                                                  .factor = s.factor,
                                                                  .seed = s.seed,
                                                                  .cv = s.cv,
                                                                  .scoring = s.scoring,
                                                                  .n_jobs = s.n_jobs,
                                                                  .max_time = s.max_time}));
  halving_options h{.factor = s.factor,
                    .resource = s.resource,
                    .min_resources = s.min_resources,
                    .max_resources = s.max_resources,
                    .aggressive_elimination = s.aggressive_elimination,
                    .seed = s.seed,
                    .cv = s.cv,
                    .scoring = s.scoring,
                    .n_jobs = s.n_jobs,
                    .max_time = s.max_time};
  if (s.strategy == "halving_grid") {
    std::vector<grid_axis> axes;
    for (const auto& a : s.axes) axes.push_back({a.path, a.dist.values()});
    return any_pipeline(halving_grid_search<any_pipeline>(p, grid(std::move(axes)), std::move(h)));
  }
  h.n_candidates = s.exhaust ? resource_amount(std::string("exhaust")) : resource_amount(std::int64_t{s.n_iter});
  return any_pipeline(halving_random_search<any_pipeline>(p, spaces, std::move(h)));
}

inline any_pipeline read_search(const reader& r, const json& j, const any_pipeline& p,
                                std::optional<std::int64_t> seed, const std::vector<std::string>& metrics,
                                const std::string& where) {
  r.object(j, where);
  search_settings s;
  s.strategy = r.string(r.required(j, "strategy", where, "one of " + join(strategies(), 20)),
                        member_at(where, "strategy"));
  if (std::find(strategies().begin(), strategies().end(), s.strategy) == strategies().end()) {
    const std::string suggestion = did_you_mean(s.strategy, strategies());
    r.fail(member_at(where, "strategy"), "unknown strategy '" + s.strategy + "'" +
                                              (suggestion.empty() ? "." : suggestion) +
                                              " Expected one of: " + join(strategies(), 20));
  }
  // A key of another strategy: say whose it is.
  const std::vector<std::string> keys = search_keys(s.strategy);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) != keys.end()) continue;
    std::vector<std::string> owners;
    for (const auto& other : strategies()) {
      const std::vector<std::string> theirs = search_keys(other);
      if (std::find(theirs.begin(), theirs.end(), it.key()) != theirs.end()) owners.push_back(other);
    }
    if (!owners.empty())
      r.fail(member_at(where, it.key()), "'" + it.key() + "' is an option of strategy " + join(owners, 5) +
                                             ", not of '" + s.strategy + "'. Expected keys: " + join(keys, 20));
  }
  r.check_keys(j, keys, where);
  const bool lists_only = s.strategy == "grid" || s.strategy == "halving_grid";
  const std::string space_where = member_at(where, "space");
  const json& space_json = r.required(j, "space", where, "the space: parameter paths and their values");
  if (!space_json.is_object() || space_json.empty())
    r.fail(space_where, "expected an object of parameter paths and their values or distributions, found " +
                            reader::found(space_json));
  for (auto it = space_json.begin(); it != space_json.end(); ++it)
    s.axes.emplace_back(it.key(), read_distribution(r, it.value(), lists_only, member_at(space_where, it.key())));
  // The paths, types and ranges checked against the pipeline now, before anything is fitted.
  for (const auto& axis : s.axes)
    r.at(member_at(space_where, axis.path), [&] {
      const space one{axis};  // the distribution's own checks (0 < low < high on a log scale, ...)
      mlpipe::detail::check_axis_against(p, axis, "search");
      return 0;
    });
  if (seed) s.seed = *seed;
  if (const json* v = r.member(j, "seed")) s.seed = r.integer(*v, member_at(where, "seed"), 0);
  s.exhaust = s.strategy == "halving_random";  // halving_random_search's default n_candidates: "exhaust"
  if (const json* v = r.member(j, "n_iter")) {
    const resource_amount n_iter = s.strategy == "halving_random"
                                       ? read_amount(r, *v, {"exhaust"}, member_at(where, "n_iter"))
                                       : resource_amount(r.integer(*v, member_at(where, "n_iter"), 1));
    s.exhaust = std::holds_alternative<std::string>(n_iter);
    if (!s.exhaust) s.n_iter = static_cast<int>(std::get<std::int64_t>(n_iter));
  }
  if (const json* v = r.member(j, "n_trials"))
    s.n_trials = static_cast<int>(r.integer(*v, member_at(where, "n_trials"), 1));
  if (const json* v = r.member(j, "n_jobs")) s.n_jobs = static_cast<int>(r.integer(*v, member_at(where, "n_jobs"), -1));
  if (const json* v = r.member(j, "max_time")) {
    s.max_time = r.number(*v, member_at(where, "max_time"));
    if (!(s.max_time >= 0.0) || !std::isfinite(s.max_time))
      r.fail(member_at(where, "max_time"), "expected a number of seconds >= 0 (0: no limit), found " +
                                               reader::found(*v));
  }
  if (const json* v = r.member(j, "factor")) {
    s.factor = r.number(*v, member_at(where, "factor"));
    if (!(s.factor > 1.0)) r.fail(member_at(where, "factor"), "expected a number > 1, found " + reader::found(*v));
  }
  if (const json* v = r.member(j, "resource")) s.resource = r.string(*v, member_at(where, "resource"));
  if (const json* v = r.member(j, "max_resource")) s.max_resource = r.integer(*v, member_at(where, "max_resource"), 0);
  if (const json* v = r.member(j, "min_resource")) s.min_resource = r.integer(*v, member_at(where, "min_resource"), 1);
  if (const json* v = r.member(j, "min_resources"))
    s.min_resources = read_amount(r, *v, {"exhaust", "smallest"}, member_at(where, "min_resources"));
  if (const json* v = r.member(j, "max_resources"))
    s.max_resources = read_amount(r, *v, {"auto"}, member_at(where, "max_resources"));
  if (const json* v = r.member(j, "aggressive_elimination")) {
    if (!v->is_boolean())
      r.fail(member_at(where, "aggressive_elimination"), "expected true or false, found " + reader::found(*v));
    s.aggressive_elimination = v->get<bool>();
  }
  if (s.resource != "n_samples") {
    // The resource is an integer parameter the space does not set, checked before anything is fitted; its amounts
    // must be numbers ("auto" means rows).
    const std::string here = member_at(where, "resource");
    r.at(here, [&] {
      mlpipe::detail::check_resource(p, s.resource, space_list(space(s.axes)), "search");
      return 0;
    });
    if (s.strategy == "hyperband" && s.max_resource == 0)
      r.fail(here, "resource '" + s.resource + "' needs \"max_resource\", the most a candidate gets (0 means the "
                   "number of rows, for resource \"n_samples\" only)");
    if (s.strategy != "hyperband" && std::holds_alternative<std::string>(s.max_resources))
      r.fail(here, "resource '" + s.resource + "' needs \"max_resources\", a number (\"auto\" means the number "
                   "of rows, for resource \"n_samples\" only)");
  }
  if (const json* v = r.member(j, "cv")) s.cv = read_splitter(r, *v, seed, member_at(where, "cv"));
  if (const json* v = r.member(j, "scoring")) {
    const std::string name = r.string(*v, member_at(where, "scoring"));
    r.at(member_at(where, "scoring"), [&] { return get_scorer(name); });
    s.scoring = name;
  } else if (!metrics.empty()) {
    s.scoring = metrics.front();  // tuned for the experiment's first metric
  }
  return r.at(where, [&] { return tuned(p, s); });
}

// The dataset's column `column` as group ids (whole numbers), taken out of its features.
inline row_ids take_groups(const reader& r, dataset& data, const std::string& column, const std::string& where) {
  const auto it = std::find(data.feature_names.begin(), data.feature_names.end(), column);
  if (it == data.feature_names.end()) {
    const std::string suggestion = did_you_mean(column, data.feature_names);
    r.fail(where, "no column '" + column + "'" + (suggestion.empty() ? "." : suggestion) +
                      " Expected one of the file's feature columns: " + join(data.feature_names, 20));
  }
  const auto j = static_cast<index>(it - data.feature_names.begin());
  std::vector<index> ids;
  for (index i = 0; i < data.X.rows(); ++i) {
    const double v = data.X(i, j);
    if (!std::isfinite(v) || v != std::floor(v) || std::abs(v) > 9.0e15)
      r.fail(where, "column '" + column + "' row " + std::to_string(i + 1) + " holds " + format_double(v) +
                        "; expected whole-number group ids");
    ids.push_back(static_cast<index>(v));
  }
  matrix X(data.X.rows(), data.X.cols() - 1);
  X << data.X.leftCols(j), data.X.rightCols(data.X.cols() - j - 1);
  data.X = std::move(X);
  data.feature_names.erase(it);
  return row_ids(ids);
}

// A group splitter bound to one dataset's groups (the harness asks a splitter for its splits without groups).
struct grouped_splitter {
  any_splitter inner;
  row_ids groups;
  std::vector<split> splits(index n_rows, const vector_view& y) const { return inner.splits(n_rows, y, groups); }
};

inline std::string read_text(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw invalid_parameter("cannot read " + what + " '" + path.string() + "'; expected a readable file");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A data file's path: relative to the spec's folder if the file is there, else to the working directory.
inline std::filesystem::path find_data_file(const reader& r, const std::string& file,
                                            const std::filesystem::path& base, const std::string& where) {
  const std::filesystem::path p(file);
  if (p.is_absolute()) {
    if (std::filesystem::is_regular_file(p)) return p;
    r.fail(where, "no file '" + file + "'; expected a readable file");
  }
  if (!base.empty() && std::filesystem::is_regular_file(base / p)) return base / p;
  if (std::filesystem::is_regular_file(p)) return p;
  r.fail(where, "no file '" + file + "' (looked in '" + (base.empty() ? std::string(".") : base.string()) +
                    "' and the working directory); expected a readable file");
}

inline void check_name(const reader& r, const std::string& name, const std::vector<std::string>& earlier,
                       std::string_view what, const std::string& where) {
  if (std::find(earlier.begin(), earlier.end(), name) != earlier.end())
    r.fail(where, "two " + std::string(what) + "s are named '" + name + "'; expected distinct names");
}

// The metrics every pipeline of s is scored by (its "metrics", else each pipeline's default), checked against what
// each pipeline can predict before anything is fitted, as the harness checks them; errors name the metrics.
inline std::vector<std::string> scorers_of(const spec& s) {
  std::vector<std::string> metrics;
  for (std::size_t p = 0; p < s.pipelines.size(); ++p) {
    std::vector<std::string> names;
    try {
      names = mlpipe::detail::scorer_names_of(mlpipe::detail::resolve_scoring(s.pipelines[p].value, s.metrics));
    } catch (const error& e) {
      throw invalid_parameter(s.source + ": metrics: " + e.what() + " (pipelines[" + std::to_string(p) + "] '" +
                              s.pipelines[p].name + "')");
    }
    if (p == 0) metrics = names;
    if (names != metrics)
      throw invalid_parameter(s.source + ": metrics: pipeline '" + s.pipelines[p].name + "' is scored by " +
                              join(names, 20) + " but pipeline '" + s.pipelines[0].name + "' by " +
                              join(metrics, 20) + "; expected the same scorers for all: name them in \"metrics\"");
  }
  return metrics;
}

}  // namespace detail

// experiment::from_json(text, base, source) -- reads an experiment spec: loads its datasets (CSV paths relative to
// base, the spec file's folder, else to the working directory), builds its pipelines and searches, checks its
// splitter, metrics and outputs. source names the spec in error messages.
inline spec from_json(std::string_view text, const std::filesystem::path& base = {},
                      std::string source = "experiment spec") {
  using detail::json;
  using detail::member_at;
  using detail::element_at;
  const detail::reader r(source);
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    r.fail("", "malformed JSON (" + mlpipe::detail::clipped(e.what()) + ")");
  }
  r.object(root, "the spec");
  r.check_keys(root, {"description", "datasets", "pipelines", "splitter", "metrics", "n_jobs", "seed", "alpha",
                      "output"},
               "");
  spec out;
  out.source = source;
  std::optional<std::int64_t> seed;
  if (const json* v = r.member(root, "seed")) seed = r.integer(*v, "seed", 0);
  if (const json* v = r.member(root, "description"); v != nullptr && !v->is_string())
    r.fail("description", "expected a string, found " + detail::reader::found(*v));

  // metrics first: a search is tuned for the first one.
  if (const json* v = r.member(root, "metrics")) {
    const json& list = v->is_string() ? *v : r.array(*v, "metrics", "scorer names");
    const std::vector<json> items =
        v->is_string() ? std::vector<json>{*v} : std::vector<json>(list.begin(), list.end());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string where = v->is_string() ? std::string("metrics") : element_at("metrics", i);
      const std::string name = r.string(items[i], where);
      r.at(where, [&] { return get_scorer(name); });
      detail::check_name(r, name, out.metrics, "metric", where);
      out.metrics.push_back(name);
    }
  }

  const json& datasets = r.array(r.required(root, "datasets", "", "a list of datasets"), "datasets", "datasets");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    const std::string where = element_at("datasets", i);
    const json& d = r.object(datasets[i], where);
    r.check_keys(d, {"name", "csv", "npy", "target", "groups"}, where);
    const std::string name = r.string(r.required(d, "name", where, "the dataset's name"), member_at(where, "name"));
    detail::check_name(r, name, names, "dataset", member_at(where, "name"));
    names.push_back(name);
    const json* csv = r.member(d, "csv");
    const json* npy = r.member(d, "npy");
    if ((csv == nullptr) == (npy == nullptr))
      r.fail(where, "expected one of \"csv\" (a CSV file with a header row) and \"npy\" (a 2-D .npy file), found " +
                        std::string(csv == nullptr ? "neither" : "both"));
    const std::string format = csv != nullptr ? "csv" : "npy";
    const std::string file = r.string(csv != nullptr ? *csv : *npy, member_at(where, format));
    const auto path = detail::find_data_file(r, file, base, member_at(where, format));
    const json& target = r.required(d, "target", where,
                                    csv != nullptr ? "the target column's name"
                                                   : "the target: a column number of the array or a .npy file");
    dataset data;
    if (csv != nullptr) {
      const std::string column = r.string(target, member_at(where, "target"));
      data = r.at(member_at(where, "csv"), [&] { return read_csv(path, {.target = column}); });
    } else {
      npy_target t;
      if (target.is_number_integer()) {
        t = npy_target(static_cast<index>(r.integer(target, member_at(where, "target"), 0)));
      } else if (target.is_string()) {
        const std::string y_file = r.string(target, member_at(where, "target"));
        t = npy_target(detail::find_data_file(r, y_file, base, member_at(where, "target")));
      } else {
        r.fail(member_at(where, "target"), "expected a column number (an integer >= 0) or a .npy file's path, found " +
                                               detail::reader::found(target));
      }
      data = r.at(member_at(where, "npy"), [&] { return read_npy(path, {.target = t}); });
    }
    row_ids groups;
    if (const json* g = r.member(d, "groups")) {
      const std::string here = member_at(where, "groups");
      if (csv == nullptr)
        r.fail(here, "a groups column needs a CSV dataset (\"csv\"); a .npy file has no column names");
      groups = detail::take_groups(r, data, r.string(*g, here), here);
    }
    out.datasets.push_back(named(name, std::move(data)));
    out.groups.push_back(std::move(groups));
  }

  const bool all_grouped =
      std::all_of(out.groups.begin(), out.groups.end(), [](const row_ids& g) { return !g.empty(); });
  if (const json* v = r.member(root, "splitter")) {
    out.cv = detail::read_splitter(r, *v, seed, "splitter", all_grouped);
    out.cv_json = v->dump();
  }

  const json& pipelines = r.array(r.required(root, "pipelines", "", "a list of pipelines"), "pipelines", "pipelines");
  names.clear();
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    const std::string where = element_at("pipelines", i);
    const json& p = r.object(pipelines[i], where);
    r.check_keys(p, {"name", "spec", "search"}, where);
    const std::string name = r.string(r.required(p, "name", where, "the pipeline's name"), member_at(where, "name"));
    detail::check_name(r, name, names, "pipeline", member_at(where, "name"));
    names.push_back(name);
    const json& s = r.required(p, "spec", where, "the pipeline's spec, as any_pipeline::from_json reads it");
    r.object(s, member_at(where, "spec"));
    any_pipeline pipe = r.at(member_at(where, "spec"), [&] { return any_pipeline::from_json(s.dump()); });
    if (const json* search = r.member(p, "search"))
      pipe = detail::read_search(r, *search, pipe, seed, out.metrics, member_at(where, "search"));
    out.pipelines.push_back(named(name, std::move(pipe)));
  }

  if (const json* v = r.member(root, "n_jobs")) out.n_jobs = static_cast<int>(r.integer(*v, "n_jobs", -1));
  if (out.n_jobs == 0) r.fail("n_jobs", "expected an integer >= 1, or -1 for every core, found 0 (number)");
  if (const json* v = r.member(root, "alpha")) {
    out.alpha = r.number(*v, "alpha");
    if (!(out.alpha > 0.0 && out.alpha < 1.0))
      r.fail("alpha", "expected a number with 0 < alpha < 1, found " + detail::reader::found(*v));
  }
  if (const json* v = r.member(root, "output")) {
    r.object(*v, "output");
    r.check_keys(*v, {"folder", "formats"}, "output");
    if (const json* f = r.member(*v, "folder")) out.output.folder = r.string(*f, "output.folder");
    if (const json* f = r.member(*v, "formats")) {
      static const std::vector<std::string> known = {"csv", "json", "markdown", "latex"};
      r.array(*f, "output.formats", "formats");
      out.output.formats.clear();
      for (std::size_t i = 0; i < f->size(); ++i) {
        const std::string where = element_at("output.formats", i);
        const std::string name = r.string((*f)[i], where);
        if (std::find(known.begin(), known.end(), name) == known.end()) {
          const std::string suggestion = mlpipe::detail::did_you_mean(name, known);
          r.fail(where, "unknown format '" + name + "'" + (suggestion.empty() ? "." : suggestion) +
                            " Expected one of: " + mlpipe::detail::join(known, 4));
        }
        out.output.formats.push_back(name);
      }
    }
  }
  detail::scorers_of(out);
  return out;
}

// experiment::read("experiment.json") -- from_json of a spec file; data paths relative to its folder.
inline spec read(const std::filesystem::path& path) {
  const std::string text = detail::read_text(path, "the experiment spec");
  return from_json(text, path.parent_path(), path.filename().string());
}

// experiment::run(spec) -- the benchmark harness over the spec's pipelines x datasets x splits x metrics: the same
// scores as benchmark(named(...), ...).on(...).run({.cv, .scoring, .n_jobs, .alpha}) built in C++.
inline benchmark_result run(const spec& s) {
  std::vector<mlpipe::detail::benchmark_dataset> data;
  std::vector<std::string> dataset_names;
  for (const auto& d : s.datasets) {
    data.push_back({d.name, d.value.X, d.value.y});
    dataset_names.push_back(d.name);
  }
  const benchmark_options options{.cv = s.cv, .scoring = s.metrics, .n_jobs = s.n_jobs, .alpha = s.alpha};
  const std::vector<std::string> metrics = detail::scorers_of(s);
  // One plan per pipeline (a plan holds a fixed number of them); each pipeline's scores do not depend on the others.
  // With groups, one plan per pipeline and dataset: the splitter gets that dataset's groups.
  const bool grouped = std::any_of(s.groups.begin(), s.groups.end(), [](const row_ids& g) { return !g.empty(); });
  std::vector<std::string> pipeline_names;
  std::vector<result_row> rows;
  for (const auto& p : s.pipelines) {
    pipeline_names.push_back(p.name);
    const auto run_on = [&](const std::vector<mlpipe::detail::benchmark_dataset>& on, const benchmark_options& o) {
      const benchmark_plan<any_pipeline> plan(std::tuple<named_item<any_pipeline>>{p}, on);
      const benchmark_result one = plan.run(o);
      rows.insert(rows.end(), one.results().rows().begin(), one.results().rows().end());
    };
    if (!grouped) {
      run_on(data, options);
      continue;
    }
    for (std::size_t d = 0; d < data.size(); ++d) {
      benchmark_options o = options;
      if (!s.cv.empty() && !s.groups[d].empty()) o.cv = detail::grouped_splitter{s.cv, s.groups[d]};
      run_on({data[d]}, o);
    }
  }
  return benchmark_result(std::move(pipeline_names), std::move(dataset_names), std::move(metrics), std::move(rows),
                          s.alpha);
}

// experiment::summary_markdown(result) -- every metric's summary table, and the Friedman / Nemenyi comparison
// across datasets when there are at least 2 pipelines and 2 datasets.
inline std::string summary_markdown(const benchmark_result& result) {
  std::string out;
  for (const auto& m : result.metrics()) {
    out += "## " + mlpipe::detail::markdown_escape(m) + "\n\n" + result.summary(m).to_markdown();
    if (result.pipelines().size() >= 2 && result.datasets().size() >= 2)
      out += "\n### " + mlpipe::detail::markdown_escape(m) + ": comparison across datasets\n\n" +
             result.critical_difference(m).to_markdown();
    out += "\n";
  }
  return out;
}

// experiment::write(result, output) -- writes the tables the output asks for into its folder (created): results.csv,
// results.json, summary.md, summary_METRIC.tex; returns the files written.
inline std::vector<std::filesystem::path> write(const benchmark_result& result, const output_spec& output) {
  std::error_code ec;
  std::filesystem::create_directories(output.folder, ec);
  if (ec)
    throw invalid_input("cannot create the output folder '" + output.folder.string() + "' (" + ec.message() +
                        "); expected a writable path");
  std::vector<std::filesystem::path> files;
  const auto has = [&](std::string_view f) {
    return std::find(output.formats.begin(), output.formats.end(), f) != output.formats.end();
  };
  if (has("csv")) {
    files.push_back(output.folder / "results.csv");
    result.results().to_csv(files.back().string());
  }
  if (has("json")) {
    files.push_back(output.folder / "results.json");
    result.results().to_json(files.back().string());
  }
  if (has("markdown")) {
    files.push_back(output.folder / "summary.md");
    mlpipe::detail::write_file(files.back().string(), summary_markdown(result), "the summary");
  }
  if (has("latex"))
    for (const auto& m : result.metrics()) {
      files.push_back(output.folder / ("summary_" + m + ".tex"));
      mlpipe::detail::write_file(files.back().string(), result.summary(m).to_latex(), "the summary");
    }
  return files;
}

}  // namespace mlpipe::experiment

namespace mlpipe {

// run_experiment("experiment.json") -- reads the spec, runs it and writes its tables to its output folder (or
// out_dir when given); returns the harness's result.
inline benchmark_result run_experiment(const std::filesystem::path& spec_path,
                                       const std::filesystem::path& out_dir = {}) {
  experiment::spec s = experiment::read(spec_path);
  if (!out_dir.empty()) s.output.folder = out_dir;
  benchmark_result result = experiment::run(s);
  experiment::write(result, s.output);
  return result;
}

}  // namespace mlpipe
