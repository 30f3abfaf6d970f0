#pragma once

#include <algorithm>    // std::reverse, std::rotate, std::sort, std::unique
#include <cmath>        // std::isfinite, std::nextafter, std::floor, std::ceil
#include <cstdint>
#include <cstring>      // std::memcmp
#include <exception>
#include <limits>
#include <memory>       // std::shared_ptr
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>      // std::pair, std::move
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/text.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/io/binary_formats.hpp"  // CBOR and MessagePack for the round-trip rule
#include "mlpipe/io/serialize.hpp"

// mp::testing::check_stage(spec, X, y) -- the conformance suite, as scikit-learn's check_estimator: it fits the
// stage on (X, y) and checks every rule a stage must keep, reporting each broken rule by name with a message.
// Opt-in: not part of <mlpipe/mlpipe.hpp>. It does not depend on a test framework:
//   const auto report = mp::testing::check_stage(my_stage{}, X, y);
//   if (!report.ok()) std::cerr << report;            // or report.throw_if_broken();
// With Catch2: INFO(report); CHECK(report.ok());
//
// The rules (their names are stable; report.broken() lists the names of the broken ones):
//   fit_succeeds                      fit(X, y) on the given data returns a fitted object
//   params_round_trip                 get_param / set_param of every name in param_names give back the same value
//   params_out_of_range_rejected      for each parameter with an interval range, a value just outside it is rejected
//                                     by validate_params (validate_all) and by fit, as invalid_parameter
//   fit_leaves_spec_untouched         every parameter of the spec is the same after fit (fit is const)
//   fit_is_deterministic              two fits save the same state, bit for bit (fields named *_time or *_times,
//                                     wall-clock measurements, excepted)
//   fit_rejects_nan                   NaN in X: invalid_input naming the stage (skipped: the spec declares
//                                     `static constexpr bool allows_nan = true;`)
//   fit_rejects_infinity              +-inf in X: invalid_input naming the stage
//   fit_rejects_empty                 X with no rows: invalid_input naming the stage
//   fit_rejects_zero_columns          X with no columns: invalid_input naming the stage
//   fit_rejects_wrong_length_y        a y one value short: invalid_input (stages that use y)
//   predict_rejects_wrong_column_count  one column more or fewer at transform / predict: invalid_input
//   predict_rejects_bad_input         NaN (unless allows_nan), infinity, no rows at transform / predict: invalid_input
//   row_calls_match_batch             transform_one / predict_one / predict_proba_one agree with the batch calls
//                                     within 1e-12 (relative above 1)
//   row_calls_do_not_allocate         they make no heap allocation after a thread's first call (needs
//                                     check_options::count_allocations; skipped without it, or when the spec
//                                     declares `static constexpr bool allocates_per_row = true;`)
//   save_load_round_trip              JSON, CBOR and MessagePack give back the same state and the same outputs
//   corrupt_state_fails_cleanly       every field of the saved model shrunk, set to NaN, -1 or 2^62, or shuffled:
//                                     load (and check_invariants) throws load_error, or the model it gives has finite
//                                     outputs or throws an mlpipe::error (never another exception type); not run
//                                     for a fitted type without check_invariants (fitted_type_contract breaks)
//   concurrent_predictions_agree      two threads predicting with one fitted object get the single-threaded results
//   classes_sorted                    classifiers: classes() is y's distinct labels, ascending
//   probabilities_valid               classifiers with predict_proba: one column per class, in [0, 1], rows sum to 1
//   arbitrary_labels                  classifiers: labels {3, 7, 12, ...} in place of y's give the same model,
//                                     relabeled
//   single_class_rejected             classifiers: a y with one class is invalid_input
//   continuous_target_rejected        classifiers: a real-valued y is invalid_input
//   n_features_consistent             n_features_in() is X's width; n_features_out() is transform's; one prediction
//                                     (and one probability per class) per row
//   fitted_type_contract              the fitted type declares schema_version and check_invariants(), which passes

namespace mlpipe::testing {

// rule_status -- what became of one rule.
enum class rule_status { passed, broken, skipped };

// rule_result -- one rule's name, status and, when broken or skipped, why.
struct rule_result {
  std::string name;
  rule_status status = rule_status::passed;
  std::string message;
};

// conformance_error -- thrown by report::throw_if_broken; the message lists every broken rule.
class conformance_error : public error {
 public:
  using error::error;
};

// report -- every rule check_stage ran on one stage, in order.
class report {
 public:
  std::string kind;                // the stage's kind
  std::vector<rule_result> rules;  // one entry per rule

  // Whether no rule is broken (skipped rules do not count).
  bool ok() const {
    return std::none_of(rules.begin(), rules.end(),
                        [](const rule_result& r) { return r.status == rule_status::broken; });
  }
  // The names of the broken rules, in order.
  std::vector<std::string> broken() const { return names(rule_status::broken); }
  // The names of the skipped rules, in order.
  std::vector<std::string> skipped() const { return names(rule_status::skipped); }
  // The names of the passed rules, in order.
  std::vector<std::string> passed() const { return names(rule_status::passed); }
  // The result of the rule named name, or nullptr.
  const rule_result* find(std::string_view name) const {
    for (const auto& r : rules)
      if (r.name == name) return &r;
    return nullptr;
  }

  // One line per rule: "  broken   fit_rejects_nan: fit accepted ...".
  std::string to_string() const {
    std::string out = "conformance of " + kind + ": " + (ok() ? "every rule holds" : "rules broken") + "\n";
    for (const auto& r : rules) {
      out += r.status == rule_status::passed   ? "  passed   "
             : r.status == rule_status::broken ? "  BROKEN   "
                                               : "  skipped  ";
      out += r.name;
      if (!r.message.empty()) out += ": " + r.message;
      out += "\n";
    }
    return out;
  }

  // Throws conformance_error naming every broken rule and why; does nothing when ok().
  void throw_if_broken() const {
    if (ok()) return;
    std::string text = "broken conformance rules:";
    for (const auto& r : rules)
      if (r.status == rule_status::broken) text += "\n  " + r.name + ": " + r.message;
    throw conformance_error(text, kind);
  }

  void add(std::string name, rule_status status, std::string message = {}) {
    rules.push_back({std::move(name), status, std::move(message)});
  }

 private:
  std::vector<std::string> names(rule_status status) const {
    std::vector<std::string> out;
    for (const auto& r : rules)
      if (r.status == status) out.push_back(r.name);
    return out;
  }
};

inline std::ostream& operator<<(std::ostream& out, const report& r) { return out << r.to_string(); }

// allocation_counter -- returns how many heap allocations the calling thread has made so far (a counting operator
// new, as tests/counting_new.hpp). mlpipe cannot count them itself: only a program may replace operator new.
using allocation_counter = long (*)();

// check_options -- what check_stage may use besides the data.
struct check_options {
  allocation_counter count_allocations = nullptr;  // enables row_calls_do_not_allocate
  int max_mutations = 300;                         // at most this many corrupted copies of the saved model; >= 1
  double row_tolerance = 1e-12;                    // row calls against batch calls, relative above magnitude 1
};

namespace detail {

using json = nlohmann::json;
using mlpipe::detail::binary_codec;
using mlpipe::file_format;
using mlpipe::detail::join_formatted;
using mlpipe::detail::json_writer;
using mlpipe::detail::registered_binary_codec;
using mlpipe::detail::visit_param;

// A saved state without its wall-clock measurements: fields named "*_time" or "*_times" (a search's fit and score
// times) differ from run to run by nature, so fit_is_deterministic compares everything else.
inline void without_timings(json& node) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end();) {
      const std::string& key = it.key();
      if (key.ends_with("_time") || key.ends_with("_times")) {
        it = node.erase(it);
      } else {
        without_timings(*it);
        ++it;
      }
    }
  } else if (node.is_array()) {
    for (json& item : node) without_timings(item);
  }
}

// ---- a fitted object behind function pointers: the rules are plain functions, compiled once ------------------------

// What the rules do with a fitted object of one type; `has_*` say which calls the type has.
struct fitted_ops {
  index (*n_features_in)(const void*);
  bool has_transform;
  index (*n_features_out)(const void*);
  matrix (*transform)(const void*, const matrix_view&);
  bool has_predict;
  vector (*predict)(const void*, const matrix_view&);
  bool has_classes;
  vector (*classes)(const void*);
  bool has_proba;
  matrix (*predict_proba)(const void*, const matrix_view&);
  bool has_transform_one;
  void (*transform_one)(const void*, std::span<const double>, std::span<double>);
  bool has_predict_one;
  double (*predict_one)(const void*, std::span<const double>);
  bool has_proba_one;
  void (*predict_proba_one)(const void*, std::span<const double>, std::span<double>);
  bool has_schema_version;
  bool has_invariants;
  void (*check_invariants)(const void*);
  bool serializable;
  json (*save)(const void*);                                  // the save envelope
  std::shared_ptr<const void> (*load)(const json& envelope);  // from_json
};

struct model {
  std::shared_ptr<const void> object;
  const fitted_ops* ops = nullptr;
};

// What the rules do with a spec.
struct stage_ops {
  std::string_view kind;
  bool allows_nan;
  bool allocates_per_row;
  std::shared_ptr<void> (*clone)(const void*);
  model (*fit)(const void*, const matrix_view&, const vector_view&);
  std::vector<std::string> (*param_names)(const void*);
  param_value (*get_param)(const void*, std::string_view);
  void (*set_param)(void*, std::string_view, const param_value&);
  void (*validate_all)(const void*);
  std::vector<std::pair<std::string, param_value>> (*outside_values)(const void*);
};

template <class F>
concept has_classes_call = requires(const F& f) {
  { f.classes() } -> std::convertible_to<const vector&>;
};
template <class F>
concept has_proba_call = requires(const F& f, const matrix_view& X) {
  { f.predict_proba(X) } -> std::convertible_to<matrix>;
};
template <class F>
concept has_transform_one_call = fitted_transformer<F> &&
    requires(const F& f, std::span<const double> in, std::span<double> out) { f.transform_one(in, out); };
template <class F>
concept has_predict_one_call = fitted_predictor<F> && requires(const F& f, std::span<const double> in) {
  { f.predict_one(in) } -> std::convertible_to<double>;
};
template <class F>
concept has_proba_one_call = requires(const F& f, std::span<const double> in, std::span<double> out) {
  f.predict_proba_one(in, out);
};
template <class F>
concept has_schema_version = requires { F::schema_version; };
template <class F>
concept has_check_invariants = requires(const F& f) { f.check_invariants(); };
template <class F>
concept saveable = has_schema_version<F> &&
                   (requires(F& f, json_writer& w) { f.serialize(w); } || mlpipe::detail::dynamic_fitted<F>) &&
                   std::is_default_constructible_v<F>;

template <class F>
const F& as(const void* p) {
  return *static_cast<const F*>(p);
}

template <class F>
constexpr fitted_ops make_fitted_ops() {
  fitted_ops ops{};
  ops.n_features_in = [](const void* p) -> index { return as<F>(p).n_features_in(); };
  if constexpr (fitted_transformer<F>) {
    ops.has_transform = true;
    ops.n_features_out = [](const void* p) -> index { return as<F>(p).n_features_out(); };
    ops.transform = [](const void* p, const matrix_view& X) -> matrix { return as<F>(p).transform(X); };
  }
  if constexpr (fitted_predictor<F>) {
    ops.has_predict = true;
    ops.predict = [](const void* p, const matrix_view& X) -> vector { return as<F>(p).predict(X); };
  }
  if constexpr (has_classes_call<F>) {
    ops.has_classes = true;
    ops.classes = [](const void* p) -> vector { return as<F>(p).classes(); };
  }
  if constexpr (has_proba_call<F>) {
    ops.has_proba = true;
    ops.predict_proba = [](const void* p, const matrix_view& X) -> matrix { return as<F>(p).predict_proba(X); };
  }
  if constexpr (has_transform_one_call<F>) {
    ops.has_transform_one = true;
    ops.transform_one = [](const void* p, std::span<const double> in, std::span<double> out) {
      as<F>(p).transform_one(in, out);
    };
  }
  if constexpr (has_predict_one_call<F>) {
    ops.has_predict_one = true;
    ops.predict_one = [](const void* p, std::span<const double> in) -> double { return as<F>(p).predict_one(in); };
  }
  if constexpr (has_proba_one_call<F>) {
    ops.has_proba_one = true;
    ops.predict_proba_one = [](const void* p, std::span<const double> in, std::span<double> out) {
      as<F>(p).predict_proba_one(in, out);
    };
  }
  ops.has_schema_version = has_schema_version<F>;
  if constexpr (has_check_invariants<F>) {
    ops.has_invariants = true;
    ops.check_invariants = [](const void* p) { as<F>(p).check_invariants(); };
  }
  if constexpr (saveable<F>) {
    ops.serializable = true;
    ops.save = [](const void* p) -> json { return to_json(as<F>(p)); };
    ops.load = [](const json& envelope) -> std::shared_ptr<const void> {
      return std::make_shared<const F>(from_json<F>(envelope, "<check_stage>"));
    };
  }
  return ops;
}

template <class F>
inline constexpr fitted_ops fitted_ops_for = make_fitted_ops<F>();

// The ops of a fitted model whose calls are known only at run time (any_model): those of its type, less what its
// roles() say the wrapped model lacks; one table per combination of roles.
template <class F>
const fitted_ops* dynamic_fitted_ops(const F& f) {
  static const std::array<fitted_ops, 64> tables = [] {
    std::array<fitted_ops, 64> out{};
    for (std::size_t bits = 0; bits < out.size(); ++bits) {
      fitted_ops ops = fitted_ops_for<F>;
      const bool transformer = bits & 1, predictor = bits & 2, classifier = bits & 4, proba = bits & 8,
                 row_calls = bits & 16;
      ops.has_transform = transformer;
      ops.has_predict = predictor;
      ops.has_classes = classifier;
      ops.has_proba = proba;
      ops.has_transform_one = transformer && row_calls;
      ops.has_predict_one = predictor && row_calls;
      ops.has_proba_one = proba && row_calls;
      out[bits] = ops;
    }
    return out;
  }();
  const stage_roles roles = f.roles();
  const std::size_t bits = (roles.transformer ? 1 : 0) | (roles.predictor ? 2 : 0) | (roles.classifier ? 4 : 0) |
                           (roles.predict_proba ? 8 : 0) | (roles.row_calls ? 16 : 0);
  return &tables[bits];
}

// For each parameter with an interval range: the values just below and just above it that its type can hold.
template <class S>
std::vector<std::pair<std::string, param_value>> outside_values(const S& spec) {
  std::vector<std::pair<std::string, param_value>> out;
  S copy = spec;
  for (const std::string& path : mlpipe::param_names(spec)) {
    visit_param(copy, path, [&](auto& ref, const auto& desc, std::string_view) {
      using M = std::remove_cvref_t<decltype(ref)>;
      using R = std::remove_cvref_t<decltype(desc.range)>;
      if constexpr (std::is_same_v<R, interval> && std::is_arithmetic_v<M> && !std::is_same_v<M, bool>) {
        constexpr double inf = std::numeric_limits<double>::infinity();
        const interval& range = desc.range;
        std::vector<double> candidates;
        if constexpr (std::is_integral_v<M>) {
          if (range.lo != -inf) candidates.push_back(range.lo_open ? std::floor(range.lo) : std::ceil(range.lo) - 1);
          if (range.hi != inf) candidates.push_back(range.hi_open ? std::ceil(range.hi) : std::floor(range.hi) + 1);
        } else {
          if (range.lo != -inf) candidates.push_back(range.lo_open ? range.lo : std::nextafter(range.lo, -inf));
          if (range.hi != inf) candidates.push_back(range.hi_open ? range.hi : std::nextafter(range.hi, inf));
        }
        for (const double v : candidates) {
          if (v < static_cast<double>(std::numeric_limits<M>::lowest()) ||
              v > static_cast<double>(std::numeric_limits<M>::max()))
            continue;
          const auto value = static_cast<M>(v);
          if (!range.contains(value)) out.emplace_back(path, param_traits<M>::to_value(value));
        }
      }
    });
  }
  return out;
}

template <class S>
constexpr stage_ops make_stage_ops() {
  stage_ops ops{};
  ops.kind = S::kind;
  ops.allows_nan = mlpipe::detail::stage_allows_nan<S>();
  ops.allocates_per_row = mlpipe::detail::stage_allocates_per_row<S>();
  ops.clone = [](const void* p) -> std::shared_ptr<void> { return std::make_shared<S>(as<S>(p)); };
  ops.fit = [](const void* p, const matrix_view& X, const vector_view& y) -> model {
    auto fitted = std::make_shared<const typename S::fitted>(as<S>(p).fit(X, y));
    if constexpr (dynamic_roles<typename S::fitted>) return {fitted, dynamic_fitted_ops(*fitted)};
    else return {std::move(fitted), &fitted_ops_for<typename S::fitted>};
  };
  ops.param_names = [](const void* p) { return mlpipe::param_names(as<S>(p)); };
  ops.get_param = [](const void* p, std::string_view path) { return mlpipe::get_param(as<S>(p), path); };
  ops.set_param = [](void* p, std::string_view path, const param_value& v) {
    mlpipe::set_param(*static_cast<S*>(p), path, v);
  };
  ops.validate_all = [](const void* p) { mlpipe::validate_all(as<S>(p)); };
  ops.outside_values = [](const void* p) { return outside_values(as<S>(p)); };
  return ops;
}

template <class S>
inline constexpr stage_ops stage_ops_for = make_stage_ops<S>();

// ---- plain helpers --------------------------------------------------------------------------------------------------

inline bool same_bits(const matrix& a, const matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0);
}

inline bool same_value(const param_value& a, const param_value& b) {
  return a.index() == b.index() && format_value(a) == format_value(b);
}

// "name = value" for every parameter: what fit must leave as it was.
inline std::vector<std::string> param_snapshot(const stage_ops& ops, const void* spec) {
  std::vector<std::string> out;
  for (const auto& name : ops.param_names(spec)) out.push_back(name + " = " + format_value(ops.get_param(spec, name)));
  return out;
}

// Runs f, which must throw Expected naming a stage (error::kind() not empty); returns what went wrong, or "".
template <class Expected, class F>
std::string expect_error(std::string_view expected_name, std::string_view doing, F&& f) {
  try {
    f();
  } catch (const Expected& e) {
    if (e.kind().empty())
      return std::string(doing) + " threw " + std::string(expected_name) + " without naming the stage: " + e.what();
    return {};
  } catch (const error& e) {
    return std::string(doing) + " threw another mlpipe::error than " + std::string(expected_name) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string(doing) + " threw an exception that is not an mlpipe::error: " + e.what();
  }
  return std::string(doing) + " gave no error; expected " + std::string(expected_name);
}

// Every output of a fitted object on X, as matrices: transform, predict (one column), predict_proba.
inline std::vector<matrix> batch_outputs(const model& m, const matrix_view& X) {
  std::vector<matrix> out;
  if (m.ops->has_transform) out.push_back(m.ops->transform(m.object.get(), X));
  if (m.ops->has_predict) out.emplace_back(m.ops->predict(m.object.get(), X));
  if (m.ops->has_proba) out.push_back(m.ops->predict_proba(m.object.get(), X));
  return out;
}

// The row calls on the first rows of X, stacked: transform_one, predict_one, predict_proba_one.
inline std::vector<matrix> row_outputs(const model& m, const matrix_view& X, index rows) {
  std::vector<matrix> out;
  const void* p = m.object.get();
  vector row(X.cols());
  const auto in = std::span<const double>(row.data(), static_cast<std::size_t>(row.size()));
  // One row call that writes `width` values per row, stacked into a matrix.
  const auto stacked = [&](index width, auto call) {
    matrix t(rows, width);
    vector buffer(width);
    for (index i = 0; i < rows; ++i) {
      row = X.row(i).transpose();
      call(std::span<double>(buffer.data(), static_cast<std::size_t>(buffer.size())));
      t.row(i) = buffer.transpose();
    }
    out.push_back(std::move(t));
  };
  if (m.ops->has_transform_one)
    stacked(m.ops->n_features_out(p), [&](std::span<double> b) { m.ops->transform_one(p, in, b); });
  if (m.ops->has_predict_one) stacked(1, [&](std::span<double> b) { b[0] = m.ops->predict_one(p, in); });
  if (m.ops->has_proba_one && m.ops->has_classes)
    stacked(m.ops->classes(p).size(), [&](std::span<double> b) { m.ops->predict_proba_one(p, in, b); });
  return out;
}

inline std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

// Whether y has a value that is not an integer (a real-valued target).
inline std::vector<double> distinct_sorted(const vector_view& y) {
  std::vector<double> v(y.data(), y.data() + y.size());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// ---- the corruption walk ------------------------------------------------------------------------------------------

enum class mutation_kind { shrink, nan, minus_one, huge, shuffle };

struct mutation {
  json::json_pointer at;
  mutation_kind what;
};

inline std::string describe(const mutation& m) {
  static constexpr std::string_view names[] = {"shrunk by one element", "set to NaN", "set to -1", "set to 2^62",
                                               "shuffled"};
  return m.at.to_string() + " " + std::string(names[static_cast<int>(m.what)]);
}

// Every mutation of the saved document under `node`: arrays are shrunk (and shuffled when they hold integers),
// numbers set to NaN, -1 and 2^62; of a long list of numbers only the first and last are changed.
inline void collect_mutations(const json& node, const json::json_pointer& at, std::vector<mutation>& out) {
  if (node.is_number()) {
    for (auto what : {mutation_kind::nan, mutation_kind::minus_one, mutation_kind::huge}) out.push_back({at, what});
  } else if (node.is_array()) {
    if (!node.empty()) out.push_back({at, mutation_kind::shrink});
    const bool integers =
        node.size() >= 2 && std::all_of(node.begin(), node.end(), [](const json& x) { return x.is_number_integer(); });
    if (integers) out.push_back({at, mutation_kind::shuffle});
    for (std::size_t i = 0; i < node.size(); ++i)
      if (node[i].is_structured() || i == 0 || i + 1 == node.size()) collect_mutations(node[i], at / i, out);
  } else if (node.is_object()) {
    for (const auto& item : node.items()) collect_mutations(item.value(), at / item.key(), out);
  }
}

// Applies m to doc; false when it changes nothing (shuffling equal elements).
inline bool apply_mutation(json& doc, const mutation& m) {
  json& target = doc[m.at];
  switch (m.what) {
    case mutation_kind::shrink:
      target.erase(target.size() - 1);
      return true;
    case mutation_kind::nan:
      target = "nan";
      return true;
    case mutation_kind::minus_one:
      target = -1;
      return true;
    case mutation_kind::huge:
      target = std::int64_t(1) << 62;
      return true;
    case mutation_kind::shuffle: {
      const json before = target;
      std::reverse(target.begin(), target.end());
      if (target == before) std::rotate(target.begin(), target.begin() + 1, target.end());
      return target != before;
    }
  }
  return false;
}

// What is wrong with a model loaded from a corrupted document, or "" when it fails cleanly or still works.
inline std::string run_corrupted(const fitted_ops& ops, const json& doc, const matrix_view& X) {
  model m;
  try {
    m = {ops.load(doc), &ops};
    if (ops.has_invariants) ops.check_invariants(m.object.get());  // what load does once every type declares it
  } catch (const load_error&) {
    return {};
  } catch (const error& e) {
    return std::string("load threw another mlpipe::error than load_error: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("load threw an exception that is not an mlpipe::error: ") + e.what();
  }
  try {
    std::vector<matrix> outputs = batch_outputs(m, X);
    // Row calls write n_features_out() values; where that disagrees with transform, n_features_consistent speaks.
    if (!ops.has_transform || outputs[0].cols() == ops.n_features_out(m.object.get()))
      for (matrix& rows : row_outputs(m, X, std::min<index>(X.rows(), 3))) outputs.push_back(std::move(rows));
    for (const matrix& out : outputs)
      if (!out.allFinite()) return "the loaded model gives outputs that are not finite";
  } catch (const error&) {
    return {};
  } catch (const std::exception& e) {
    return std::string("predicting with the loaded model threw an exception that is not an mlpipe::error: ") +
           e.what();
  }
  return {};
}

// ---- the rules ------------------------------------------------------------------------------------------------------

inline void check_params(report& out, const stage_ops& ops, const void* spec, const matrix_view& X,
                         const vector_view& y) {
  std::string broken;
  try {
    const std::vector<std::string> before = param_snapshot(ops, spec);
    for (const auto& name : ops.param_names(spec)) {
      const param_value value = ops.get_param(spec, name);
      const std::shared_ptr<void> copy = ops.clone(spec);
      ops.set_param(copy.get(), name, value);
      const param_value again = ops.get_param(copy.get(), name);
      if (!same_value(value, again)) {
        broken = "set_param(\"" + name + "\", " + format_value(value) + ") then get_param gives " + format_value(again);
        break;
      }
      if (param_snapshot(ops, copy.get()) != before) {
        broken = "set_param(\"" + name + "\", its own value) changed another parameter";
        break;
      }
    }
  } catch (const std::exception& e) {
    broken = std::string("get_param / set_param threw: ") + e.what();
  }
  out.add("params_round_trip", broken.empty() ? rule_status::passed : rule_status::broken, broken);

  broken.clear();
  for (const auto& [path, value] : ops.outside_values(spec)) {
    const std::shared_ptr<void> copy = ops.clone(spec);
    const std::string doing = path + " = " + format_value(value);
    try {
      ops.set_param(copy.get(), path, value);
    } catch (const std::exception& e) {
      broken = "set_param(\"" + path + "\", " + format_value(value) + ") threw: " + e.what();
      break;
    }
    broken = expect_error<invalid_parameter>("invalid_parameter", "validate_all with " + doing,
                                             [&] { ops.validate_all(copy.get()); });
    if (broken.empty())
      broken = expect_error<invalid_parameter>("invalid_parameter", "fit with " + doing,
                                               [&] { (void)ops.fit(copy.get(), X, y); });
    if (!broken.empty()) break;
  }
  out.add("params_out_of_range_rejected", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline void check_fit_inputs(report& out, const stage_ops& ops, const void* spec, const matrix_view& X,
                             const vector_view& y, bool supervised) {
  const auto add = [&](const char* name, const std::string& broken) {
    out.add(name, broken.empty() ? rule_status::passed : rule_status::broken, broken);
  };
  const auto fit_with = [&](const matrix_view& Xb, const vector_view& yb, std::string_view doing) {
    return expect_error<invalid_input>("invalid_input", doing, [&] { (void)ops.fit(spec, Xb, yb); });
  };
  matrix bad = X;
  if (ops.allows_nan) {
    out.add("fit_rejects_nan", rule_status::skipped, "the stage declares allows_nan");
  } else {
    bad.row(0).setConstant(std::numeric_limits<double>::quiet_NaN());
    add("fit_rejects_nan", fit_with(bad, y, "fit with NaN in X"));
  }
  bad = X;
  bad.row(0).setConstant(std::numeric_limits<double>::infinity());
  std::string broken = fit_with(bad, y, "fit with inf in X");
  if (broken.empty()) {
    bad.row(0).setConstant(-std::numeric_limits<double>::infinity());
    broken = fit_with(bad, y, "fit with -inf in X");
  }
  add("fit_rejects_infinity", broken);
  add("fit_rejects_empty", fit_with(matrix(0, X.cols()), vector(0), "fit with 0 rows"));
  add("fit_rejects_zero_columns", fit_with(matrix(X.rows(), 0), y, "fit with 0 columns"));
  if (supervised && y.size() > 0)
    add("fit_rejects_wrong_length_y", fit_with(X, y.head(y.size() - 1), "fit with a y one value short"));
  else
    out.add("fit_rejects_wrong_length_y", rule_status::skipped, "the stage does not use y");
}

// Calls every batch and row call of m on Xb; each must throw invalid_input naming a stage.
inline std::string expect_predict_error(const model& m, const matrix_view& Xb, std::string_view doing) {
  const void* p = m.object.get();
  const std::string with = std::string(" with ") + std::string(doing);
  std::string broken;
  if (m.ops->has_transform)
    broken = expect_error<invalid_input>("invalid_input", "transform" + with, [&] { (void)m.ops->transform(p, Xb); });
  if (broken.empty() && m.ops->has_predict)
    broken = expect_error<invalid_input>("invalid_input", "predict" + with, [&] { (void)m.ops->predict(p, Xb); });
  if (broken.empty() && m.ops->has_proba)
    broken = expect_error<invalid_input>("invalid_input", "predict_proba" + with,
                                         [&] { (void)m.ops->predict_proba(p, Xb); });
  if (broken.empty() && Xb.rows() > 0) {
    const vector first = Xb.row(0).transpose();
    const std::span<const double> in(first.data(), static_cast<std::size_t>(first.size()));
    vector buffer(std::max<index>({m.ops->has_transform ? m.ops->n_features_out(p) : 0,
                                   m.ops->has_classes ? m.ops->classes(p).size() : 0, index(1)}));
    const std::span<double> sink(buffer.data(), static_cast<std::size_t>(buffer.size()));
    if (m.ops->has_transform_one)
      broken = expect_error<invalid_input>("invalid_input", "transform_one" + with,
                                           [&] { m.ops->transform_one(p, in, sink.first(static_cast<std::size_t>(
                                                                                m.ops->n_features_out(p)))); });
    if (broken.empty() && m.ops->has_predict_one)
      broken = expect_error<invalid_input>("invalid_input", "predict_one" + with,
                                           [&] { (void)m.ops->predict_one(p, in); });
    if (broken.empty() && m.ops->has_proba_one && m.ops->has_classes)
      broken = expect_error<invalid_input>("invalid_input", "predict_proba_one" + with, [&] {
        m.ops->predict_proba_one(p, in, sink.first(static_cast<std::size_t>(m.ops->classes(p).size())));
      });
  }
  return broken;
}

inline void check_predict_inputs(report& out, const stage_ops& ops, const model& m, const matrix_view& X) {
  std::string broken = expect_predict_error(m, matrix::Zero(3, X.cols() + 1), "one column more than at fit");
  if (broken.empty() && X.cols() > 1)
    broken = expect_predict_error(m, matrix::Zero(3, X.cols() - 1), "one column fewer than at fit");
  out.add("predict_rejects_wrong_column_count", broken.empty() ? rule_status::passed : rule_status::broken, broken);

  matrix bad = X.topRows(std::min<index>(X.rows(), 5));
  broken.clear();
  if (!ops.allows_nan) {
    bad.row(0).setConstant(std::numeric_limits<double>::quiet_NaN());
    broken = expect_predict_error(m, bad, "NaN in X");
  }
  if (broken.empty()) {
    bad.row(0).setConstant(std::numeric_limits<double>::infinity());
    broken = expect_predict_error(m, bad, "inf in X");
  }
  if (broken.empty()) broken = expect_predict_error(m, matrix(0, X.cols()), "0 rows");
  out.add("predict_rejects_bad_input", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline std::string compare_rows(const matrix& batch, const matrix& rows, std::string_view what, double tolerance) {
  if (batch.cols() != rows.cols() || batch.rows() < rows.rows()) {
    return std::string(what) + " gives " + std::to_string(rows.cols()) + " values per row where the batch call gives " +
           std::to_string(batch.cols());
  }
  for (index i = 0; i < rows.rows(); ++i) {
    for (index j = 0; j < rows.cols(); ++j) {
      const double a = rows(i, j);
      const double b = batch(i, j);
      if (!(std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b)))) {
        return std::string(what) + " gives " + format_double(a) + " at row " + std::to_string(i) + ", column " +
               std::to_string(j) + " where the batch call gives " + format_double(b);
      }
    }
  }
  return {};
}

inline void check_row_calls(report& out, const stage_ops& ops, const model& m, const matrix_view& X,
                            const check_options& options) {
  const void* p = m.object.get();
  const bool any = m.ops->has_transform_one || m.ops->has_predict_one || m.ops->has_proba_one;
  if (!any) {
    out.add("row_calls_match_batch", rule_status::skipped, "the fitted type has no transform_one or predict_one");
    out.add("row_calls_do_not_allocate", rule_status::skipped, "the fitted type has no transform_one or predict_one");
    return;
  }
  const index n = std::min<index>(X.rows(), 20);
  std::string broken;
  try {
    const std::vector<matrix> rows = row_outputs(m, X, n);
    std::size_t k = 0;
    if (m.ops->has_transform_one)
      broken = compare_rows(m.ops->transform(p, X), rows[k++], "transform_one", options.row_tolerance);
    if (broken.empty() && m.ops->has_predict_one)
      broken = compare_rows(matrix(m.ops->predict(p, X)), rows[k++], "predict_one", options.row_tolerance);
    if (broken.empty() && m.ops->has_proba_one && m.ops->has_classes && m.ops->has_proba)
      broken = compare_rows(m.ops->predict_proba(p, X), rows[k++], "predict_proba_one", options.row_tolerance);
  } catch (const std::exception& e) {
    broken = std::string("a row call threw: ") + e.what();
  }
  out.add("row_calls_match_batch", broken.empty() ? rule_status::passed : rule_status::broken, broken);

  if (ops.allocates_per_row) {
    out.add("row_calls_do_not_allocate", rule_status::skipped, "the stage declares allocates_per_row");
    return;
  }
  if (options.count_allocations == nullptr) {
    out.add("row_calls_do_not_allocate", rule_status::skipped,
            "no allocation counter (check_options::count_allocations)");
    return;
  }
  broken.clear();
  vector row = X.row(0).transpose();
  const std::span<const double> in(row.data(), static_cast<std::size_t>(row.size()));
  vector buffer(std::max<index>({m.ops->has_transform_one ? m.ops->n_features_out(p) : 0,
                                 m.ops->has_classes ? m.ops->classes(p).size() : 0, index(1)}));
  const auto measure = [&](std::string_view name, auto&& call) {
    if (!broken.empty()) return;
    try {
      call();  // a thread's first call may size its scratch memory
      const long before = options.count_allocations();
#ifdef EIGEN_RUNTIME_NO_MALLOC
      Eigen::internal::set_is_malloc_allowed(false);  // an Eigen allocation stops the program on Eigen's assertion
#endif
      for (int i = 0; i < 10; ++i) call();
#ifdef EIGEN_RUNTIME_NO_MALLOC
      Eigen::internal::set_is_malloc_allowed(true);
#endif
      const long made = options.count_allocations() - before;
      if (made != 0) broken = std::string(name) + " made " + std::to_string(made) + " heap allocations in 10 calls";
    } catch (const std::exception& e) {
#ifdef EIGEN_RUNTIME_NO_MALLOC
      Eigen::internal::set_is_malloc_allowed(true);
#endif
      broken = std::string(name) + " threw: " + e.what();
    }
  };
  if (m.ops->has_transform_one) {
    const std::span<double> sink(buffer.data(), static_cast<std::size_t>(m.ops->n_features_out(p)));
    measure("transform_one", [&] { m.ops->transform_one(p, in, sink); });
  }
  if (m.ops->has_predict_one) {
    double sink = 0.0;
    measure("predict_one", [&] { sink += m.ops->predict_one(p, in); });
  }
  if (m.ops->has_proba_one && m.ops->has_classes) {
    const std::span<double> sink(buffer.data(), static_cast<std::size_t>(m.ops->classes(p).size()));
    measure("predict_proba_one", [&] { m.ops->predict_proba_one(p, in, sink); });
  }
  out.add("row_calls_do_not_allocate", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline void check_save_load(report& out, const model& m, const matrix_view& X, const check_options& options) {
  if (!m.ops->serializable) {
    const std::string why = "the fitted type cannot be saved (it needs schema_version, serialize(ar) and a default "
                            "constructor)";
    out.add("save_load_round_trip", rule_status::broken, why);
    out.add("corrupt_state_fails_cleanly", rule_status::broken, why);
    return;
  }
  std::string broken;
  json envelope;
  try {
    envelope = m.ops->save(m.object.get());
    const std::string saved = envelope["model"].dump();
    const std::vector<matrix> expected = batch_outputs(m, X);
    const binary_codec* codec = registered_binary_codec();
    for (const auto format : {file_format::json, file_format::cbor, file_format::msgpack}) {
      const char* name = format == file_format::json ? "JSON" : format == file_format::cbor ? "CBOR" : "MessagePack";
      json read;
      if (format == file_format::json) {
        read = json::parse(envelope.dump(1));
      } else {
        const std::vector<std::uint8_t> bytes = codec->encode(envelope, format);
        const auto* first = reinterpret_cast<const char*>(bytes.data());
        read = codec->decode(first, first + bytes.size(), format);
      }
      const model loaded{m.ops->load(read), m.ops};
      if (m.ops->save(loaded.object.get())["model"].dump() != saved) {
        broken = std::string("saved as ") + name + " and loaded, the model saves a different state";
        break;
      }
      const std::vector<matrix> outputs = batch_outputs(loaded, X);
      for (std::size_t k = 0; k < outputs.size() && broken.empty(); ++k)
        if (!same_bits(outputs[k], expected[k]))
          broken = std::string("saved as ") + name + " and loaded, the model gives other outputs";
      if (!broken.empty()) break;
    }
  } catch (const std::exception& e) {
    broken = std::string("saving and loading threw: ") + e.what();
  }
  out.add("save_load_round_trip", broken.empty() ? rule_status::passed : rule_status::broken, broken);
  if (!broken.empty()) {
    out.add("corrupt_state_fails_cleanly", rule_status::skipped, "the model does not round-trip");
    return;
  }

  if (!m.ops->has_invariants) {
    // Without an invariant check nothing stops a corrupted index from being read: running the walk could crash.
    out.add("corrupt_state_fails_cleanly", rule_status::skipped,
            "not run: the fitted type declares no check_invariants() (see fitted_type_contract)");
    return;
  }
  std::vector<mutation> all;
  collect_mutations(envelope["model"], json::json_pointer("/model"), all);
  std::vector<mutation> chosen;
  const std::size_t cap = static_cast<std::size_t>(std::max(1, options.max_mutations));
  if (all.size() <= cap) chosen = std::move(all);
  else
    for (std::size_t i = 0; i < cap; ++i) chosen.push_back(all[i * all.size() / cap]);
  std::size_t failures = 0;
  std::string first;
  for (const mutation& mu : chosen) {
    json doc = envelope;
    if (!apply_mutation(doc, mu)) continue;
    const std::string what = run_corrupted(*m.ops, doc, X);
    if (what.empty()) continue;
    if (failures++ == 0) first = describe(mu) + ": " + what;
  }
  if (failures == 0) {
    out.add("corrupt_state_fails_cleanly", rule_status::passed);
  } else {
    out.add("corrupt_state_fails_cleanly", rule_status::broken,
            std::to_string(failures) + " of " + std::to_string(chosen.size()) + " corrupted copies misbehave; first: " +
                first);
  }
}

inline void check_threads(report& out, const model& m, const matrix_view& X) {
  std::string broken;
  try {
    const index n = std::min<index>(X.rows(), 20);
    std::vector<matrix> expected = batch_outputs(m, X);
    for (matrix& r : row_outputs(m, X, n)) expected.push_back(std::move(r));
    std::vector<matrix> got[2];
    std::exception_ptr failed[2];
    const auto work = [&](int t) {
      try {
        for (int repeat = 0; repeat < 3; ++repeat) {
          got[t] = batch_outputs(m, X);
          for (matrix& r : row_outputs(m, X, n)) got[t].push_back(std::move(r));
        }
      } catch (...) {
        failed[t] = std::current_exception();
      }
    };
    std::thread a(work, 0);
    std::thread b(work, 1);
    a.join();
    b.join();
    for (int t = 0; t < 2 && broken.empty(); ++t) {
      if (failed[t]) {
        broken = "predicting on a second thread threw: " + what_of(failed[t]);
      } else {
        for (std::size_t k = 0; k < expected.size() && broken.empty(); ++k)
          if (!same_bits(got[t][k], expected[k]))
            broken = "two threads predicting with one fitted object got results other than a single thread's";
      }
    }
  } catch (const std::exception& e) {
    broken = std::string("predicting threw: ") + e.what();
  }
  out.add("concurrent_predictions_agree", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline void check_classifier(report& out, const stage_ops& ops, const void* spec, const model& m,
                             const matrix_view& X, const vector_view& y) {
  const char* names[] = {"classes_sorted", "probabilities_valid", "arbitrary_labels", "single_class_rejected",
                         "continuous_target_rejected"};
  if (!m.ops->has_classes || y.size() == 0) {
    for (const char* name : names) out.add(name, rule_status::skipped, "not a classifier (no classes())");
    return;
  }
  const void* p = m.object.get();
  const vector classes = m.ops->classes(p);
  const std::vector<double> labels = distinct_sorted(y);
  std::string broken;
  if (classes.size() != static_cast<index>(labels.size()) ||
      !std::equal(labels.begin(), labels.end(), classes.data())) {
    broken = "classes() is [" + join_formatted(std::span(classes.data(), static_cast<std::size_t>(classes.size())),
                                               format_double) +
             "]; expected y's distinct labels ascending, [" + join_formatted(labels, format_double) + "]";
  }
  out.add(names[0], broken.empty() ? rule_status::passed : rule_status::broken, broken);

  broken.clear();
  if (!m.ops->has_proba) {
    out.add(names[1], rule_status::skipped, "the classifier has no predict_proba");
  } else {
    try {
      const matrix proba = m.ops->predict_proba(p, X);
      if (proba.rows() != X.rows() || proba.cols() != classes.size()) {
        broken = "predict_proba gives " + std::to_string(proba.rows()) + " x " + std::to_string(proba.cols()) +
                 "; expected " + std::to_string(X.rows()) + " x " + std::to_string(classes.size());
      }
      for (index i = 0; i < proba.rows() && broken.empty(); ++i) {
        for (index j = 0; j < proba.cols() && broken.empty(); ++j)
          if (!(proba(i, j) >= 0.0 && proba(i, j) <= 1.0))
            broken = "predict_proba gives " + format_double(proba(i, j)) + " at row " + std::to_string(i);
        const double sum = proba.row(i).sum();
        if (broken.empty() && !(std::abs(sum - 1.0) <= 1e-9))
          broken = "predict_proba's row " + std::to_string(i) + " sums to " + format_double(sum) + "; expected 1";
      }
    } catch (const std::exception& e) {
      broken = std::string("predict_proba threw: ") + e.what();
    }
    out.add(names[1], broken.empty() ? rule_status::passed : rule_status::broken, broken);
  }

  broken.clear();
  try {
    // The k-th label becomes 3 + k (k + 7) / 2: 3, 7, 12, 18, ...
    const auto relabel = [&](double label) {
      const auto k = static_cast<double>(std::lower_bound(labels.begin(), labels.end(), label) - labels.begin());
      return 3.0 + k * (k + 7.0) / 2.0;
    };
    const vector y2 = y.unaryExpr(relabel);
    const model m2 = ops.fit(spec, X, y2);
    const vector classes2 = m2.ops->classes(m2.object.get());
    const vector expected_classes = classes.unaryExpr(relabel);
    if (!same_bits(classes2, expected_classes)) {
      broken = "with labels 3, 7, 12, ... classes() is [" +
               join_formatted(std::span(classes2.data(), static_cast<std::size_t>(classes2.size())), format_double) +
               "]";
    } else if (m.ops->has_predict &&
               !same_bits(m2.ops->predict(m2.object.get(), X), m.ops->predict(p, X).unaryExpr(relabel))) {
      broken = "with labels 3, 7, 12, ... the predictions are not the relabeled predictions";
    } else if (m.ops->has_proba) {
      const matrix proba = m.ops->predict_proba(p, X);
      const matrix proba2 = m2.ops->predict_proba(m2.object.get(), X);
      if (proba.rows() != proba2.rows() || proba.cols() != proba2.cols() ||
          !compare_rows(proba, proba2, "predict_proba", 1e-12).empty())
        broken = "with labels 3, 7, 12, ... the probabilities differ";
    }
  } catch (const std::exception& e) {
    broken = std::string("fit with labels 3, 7, 12, ... threw: ") + e.what();
  }
  out.add(names[2], broken.empty() ? rule_status::passed : rule_status::broken, broken);

  broken = expect_error<invalid_input>("invalid_input", "fit with a single class",
                                       [&] { (void)ops.fit(spec, X, vector::Constant(y.size(), y(0))); });
  out.add(names[3], broken.empty() ? rule_status::passed : rule_status::broken, broken);
  vector continuous(y.size());  // 0.063, 0.163, 0.263, ...: no value is an integer
  for (index i = 0; i < y.size(); ++i) continuous(i) = 0.063 + 0.1 * static_cast<double>(i);
  broken = expect_error<invalid_input>("invalid_input", "fit with a real-valued y",
                                       [&] { (void)ops.fit(spec, X, continuous); });
  out.add(names[4], broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline void check_shapes(report& out, const model& m, const matrix_view& X) {
  const void* p = m.object.get();
  std::string broken;
  try {
    if (m.ops->n_features_in(p) != X.cols()) {
      broken = "n_features_in() is " + std::to_string(m.ops->n_features_in(p)) + " after a fit on " +
               std::to_string(X.cols()) + " columns";
    } else if (m.ops->has_transform) {
      const matrix t = m.ops->transform(p, X);
      if (t.cols() != m.ops->n_features_out(p) || t.rows() != X.rows())
        broken = "transform gives " + std::to_string(t.rows()) + " x " + std::to_string(t.cols()) + " for " +
                 std::to_string(X.rows()) + " rows, but n_features_out() is " +
                 std::to_string(m.ops->n_features_out(p));
    }
    if (broken.empty() && m.ops->has_predict && m.ops->predict(p, X).size() != X.rows())
      broken = "predict gives " + std::to_string(m.ops->predict(p, X).size()) + " values for " +
               std::to_string(X.rows()) + " rows";
  } catch (const std::exception& e) {
    broken = std::string("predicting on the training data threw: ") + e.what();
  }
  out.add("n_features_consistent", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

inline void check_contract(report& out, const model& m) {
  std::string broken;
  if (!m.ops->has_schema_version) {
    broken = "the fitted type declares no schema_version";
  } else if (!m.ops->has_invariants) {
    broken = "the fitted type declares no check_invariants()";
  } else {
    try {
      m.ops->check_invariants(m.object.get());
    } catch (const std::exception& e) {
      broken = std::string("check_invariants() fails on a freshly fitted model: ") + e.what();
    }
  }
  out.add("fitted_type_contract", broken.empty() ? rule_status::passed : rule_status::broken, broken);
}

// Every rule, on a spec seen through its operations.
inline report run_checks(const stage_ops& ops, const void* spec, const matrix_view& X, const vector_view& y,
                         const check_options& options) {
  report out;
  out.kind = std::string(ops.kind);
  const std::vector<std::string> before = param_snapshot(ops, spec);
  model m;
  try {
    m = ops.fit(spec, X, y);
  } catch (const std::exception& e) {
    out.add("fit_succeeds", rule_status::broken, std::string("fit on the given data threw: ") + e.what());
    return out;
  }
  out.add("fit_succeeds", rule_status::passed);
  check_params(out, ops, spec, X, y);

  std::string broken;
  if (param_snapshot(ops, spec) != before) broken = "fit changed a parameter of the spec";
  out.add("fit_leaves_spec_untouched", broken.empty() ? rule_status::passed : rule_status::broken, broken);

  broken.clear();
  try {
    const model again = ops.fit(spec, X, y);
    if (m.ops->serializable) {
      json first = m.ops->save(m.object.get())["model"];
      json second = m.ops->save(again.object.get())["model"];
      without_timings(first);
      without_timings(second);
      if (first.dump() != second.dump()) broken = "two fits on the same data save different states";
    } else {
      const std::vector<matrix> a = batch_outputs(m, X);
      const std::vector<matrix> b = batch_outputs(again, X);
      for (std::size_t k = 0; k < a.size() && broken.empty(); ++k)
        if (!same_bits(a[k], b[k])) broken = "two fits on the same data give different outputs";
    }
  } catch (const std::exception& e) {
    broken = std::string("a second fit or save threw: ") + e.what();
  }
  out.add("fit_is_deterministic", broken.empty() ? rule_status::passed : rule_status::broken, broken);

  bool supervised = m.ops->has_predict;
  if (!supervised) {
    try {
      (void)ops.fit(spec, X, vector());
    } catch (const std::exception&) {
      supervised = true;  // it needs y
    }
  }
  check_fit_inputs(out, ops, spec, X, y, supervised);
  check_predict_inputs(out, ops, m, X);
  check_row_calls(out, ops, m, X, options);
  check_save_load(out, m, X, options);
  check_threads(out, m, X);
  check_classifier(out, ops, spec, m, X, y);
  check_shapes(out, m, X);
  check_contract(out, m);
  return out;
}

}  // namespace detail

// check_stage(spec, X, y) -- fits spec on (X, y) and checks every conformance rule (listed at the top of this
// header); returns the report. X needs at least 2 rows, y one value per row (a regression or class target) and,
// for classifiers, two or more classes. Give
// options.count_allocations to check that row calls do not allocate.
template <class Spec>
report check_stage(const Spec& spec, const matrix_view& X, const vector_view& y, const check_options& options = {}) {
  static_assert(stage<Spec>, "mlpipe: check_stage needs a stage: a spec with kind, fitted and a const fit");
  if constexpr (dynamic_roles<Spec>) {  // any_pipeline: what it wraps says whether it accepts NaN
    const stage_roles roles = spec.roles();
    detail::stage_ops ops = detail::stage_ops_for<Spec>;
    ops.allows_nan = roles.allows_nan;
    ops.allocates_per_row = roles.allocates_per_row;
    return detail::run_checks(ops, &spec, X, y, options);
  } else {
    return detail::run_checks(detail::stage_ops_for<Spec>, &spec, X, y, options);
  }
}

// require_conformance(spec, X, y) -- check_stage, throwing conformance_error that lists every broken rule.
template <class Spec>
void require_conformance(const Spec& spec, const matrix_view& X, const vector_view& y,
                         const check_options& options = {}) {
  check_stage(spec, X, y, options).throw_if_broken();
}

}  // namespace mlpipe::testing
