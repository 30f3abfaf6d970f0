#pragma once

#include <algorithm>    // std::min
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move, std::pair
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/columns.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/one_of.hpp"  // the alternatives' messages
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/scratch.hpp"
#include "mlpipe/core/union.hpp"  // concatenate_branches
#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/wrap.hpp"

// The run-time graph: chains (pipeline), side-by-side branches (feature_union, column_transformer), column
// subsets (columns) and choices (one_of) of run-time stages. Each mirrors its static template step for step (the
// same checks in the same order, the same arithmetic, the same saved nodes and signatures), so that a pipeline
// built from a spec computes and saves what the static one does. Compiled in the registry's translation unit.

namespace mlpipe::detail {

using stage_ptr = std::shared_ptr<dynamic_stage>;
using model_ptr = std::shared_ptr<const dynamic_model>;

// A named step of a run-time composite.
struct dynamic_step {
  std::string name;
  stage_ptr stage;
};

struct dynamic_fitted_step {
  std::string name;
  model_ptr fitted;
};

// Copy on write: a shared stage is cloned before it is changed.
inline dynamic_stage& writable(stage_ptr& s) {
  if (s.use_count() > 1) s = s->clone();
  return *s;
}

inline std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  const std::size_t dot = path.find('.');
  if (dot == std::string_view::npos) return {path, std::string_view()};
  return {path.substr(0, dot), path.substr(dot + 1)};
}

// Parameter paths through named steps, as detail::visit_param walks a static composite's steps.
inline bool set_step_param(std::vector<dynamic_step>& steps, std::string_view path, const param_value& value,
                           std::string_view full_path) {
  if (path.empty() || path.back() == '.') return false;
  const auto [head, tail] = split_path(path);
  for (auto& s : steps)
    if (s.name == head) return writable(s.stage).set_param(tail, value, full_path);
  return false;
}

inline bool get_step_param(const std::vector<dynamic_step>& steps, std::string_view path, param_value& out) {
  if (path.empty() || path.back() == '.') return false;
  const auto [head, tail] = split_path(path);
  for (const auto& s : steps)
    if (s.name == head) return s.stage->get_param(tail, out);
  return false;
}

inline void step_param_names(const std::vector<dynamic_step>& steps, const std::string& prefix,
                             std::vector<std::string>& out) {
  for (const auto& s : steps) s.stage->param_names(prefix + s.name + ".", out);
}

inline void write_steps_spec(const std::vector<dynamic_step>& steps, nlohmann::json& out) {
  nlohmann::json& list = out["steps"] = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json node;
    s.stage->spec(node);
    node["name"] = s.name;
    list.push_back(std::move(node));
  }
}

inline void encode_steps(const std::vector<dynamic_fitted_step>& steps, nlohmann::json& node) {
  nlohmann::json& list = node["steps"] = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json step;
    s.fitted->encode(step);
    step["name"] = s.name;
    list.push_back(std::move(step));
  }
}

inline std::string steps_signature(std::string_view kind, const std::vector<dynamic_fitted_step>& steps) {
  std::string out(kind);
  out += "(";
  for (std::size_t i = 0; i < steps.size(); ++i)
    out += (i ? "," : "") + steps[i].name + ":" + steps[i].fitted->signature();
  return out + ")";
}

// ---- pipeline --------------------------------------------------------------------------------------------------

class dynamic_chain_model final : public dynamic_model {
  template <class F>
  decltype(auto) at_step(std::size_t i, F&& f) const {
    return in_step(steps_[i].name, steps_[i].fitted->kind(), [&]() -> decltype(auto) { return f(*steps_[i].fitted); });
  }
  template <class F>
  decltype(auto) at_last(F&& f) const {
    return at_step(steps_.size() - 1, std::forward<F>(f));
  }

 public:
  explicit dynamic_chain_model(std::vector<dynamic_fitted_step> steps) : steps_(std::move(steps)) {
    const stage_roles& last = steps_.back().fitted->roles();
    roles_ = last;
    roles_.step_path = steps_.back().name + (last.step_path.empty() ? "" : "." + last.step_path);
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i)
      roles_.row_calls = roles_.row_calls && steps_[i].fitted->roles().row_calls;
  }

  std::string_view kind() const override { return "pipeline"; }
  const stage_roles& roles() const override { return roles_; }
  index n_features_in() const override { return steps_.front().fitted->n_features_in(); }
  index n_features_out() const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    return steps_.back().fitted->n_features_out();
  }
  vector predict(const matrix_view& X) const override {
    if (!roles_.predictor) throw_no_predict(roles_);
    return through_all<vector>(X, [](const dynamic_model& f, const matrix_view& Xt) { return f.predict(Xt); });
  }
  matrix predict_proba(const matrix_view& X) const override {
    if (!roles_.predict_proba) throw_no_proba(roles_);
    return through_all<matrix>(X, [](const dynamic_model& f, const matrix_view& Xt) { return f.predict_proba(Xt); });
  }
  matrix decision_function(const matrix_view& X) const override {
    if (!roles_.decision_function) throw_no_decision(roles_);
    return through_all<matrix>(X,
                               [](const dynamic_model& f, const matrix_view& Xt) { return f.decision_function(Xt); });
  }
  matrix transform(const matrix_view& X) const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    return through_all<matrix>(X, [](const dynamic_model& f, const matrix_view& Xt) { return f.transform(Xt); });
  }
  double predict_one(std::span<const double> row) const override {
    if (!roles_.predictor) throw_no_predict(roles_);
    if (!roles_.row_calls) throw_no_row_call(roles_, "predict_one");
    return through_one(row, [&](std::span<const double> r) {
      return at_last([&](const dynamic_model& f) { return f.predict_one(r); });
    });
  }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const override {
    if (!roles_.predict_proba) throw_no_proba(roles_);
    if (!roles_.row_calls) throw_no_row_call(roles_, "predict_proba_one");
    through_one(row, [&](std::span<const double> r) {
      at_last([&](const dynamic_model& f) { f.predict_proba_one(r, out); });
      return 0.0;
    });
  }
  void transform_one(std::span<const double> row, std::span<double> out) const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    if (!roles_.row_calls) throw_no_row_call(roles_, "transform_one");
    through_one(row, [&](std::span<const double> r) {
      at_last([&](const dynamic_model& f) { f.transform_one(r, out); });
      return 0.0;
    });
  }
  const vector& classes() const override {
    if (!roles_.classifier) throw_no_classes(roles_);
    return steps_.back().fitted->classes();
  }
  vector feature_importance(int, double) const override { throw_no_importance(roles_); }
  std::string signature() const override { return steps_signature("pipeline", steps_); }
  void encode(nlohmann::json& node) const override {
    node = nlohmann::json::object();
    node["kind"] = "pipeline";
    node["schema_version"] = 1;
    encode_steps(steps_, node);
  }
  // As fitted_pipeline::check_invariants: each step's own (naming the step), then each link's widths.
  void check_invariants() const override {
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const auto& s = steps_[i];
      in_step(s.name, s.fitted->kind(), [&] { s.fitted->check_invariants(); });
      if (i + 1 < steps_.size())
        check_chain_width("pipeline", s.name, s.fitted->n_features_out(), steps_[i + 1].name,
                          steps_[i + 1].fitted->n_features_in());
    }
  }

 private:
  // As fitted_pipeline::by_blocks: large inputs go through the chain a block of rows at a time; on an error the
  // whole input goes through unblocked, which reports it as usual.
  static constexpr index block_rows = 2048;

  template <class Result, class Call>
  Result through_all(const matrix_view& X, Call call) const {
    const auto run = [&](const matrix_view& Xb) -> Result {
      if (steps_.size() == 1) return at_last([&](const dynamic_model& f) -> Result { return call(f, Xb); });
      matrix Xt = at_step(0, [&](const dynamic_model& f) { return f.transform(Xb); });
      for (std::size_t i = 1; i + 1 < steps_.size(); ++i)
        Xt = at_step(i, [&](const dynamic_model& f) { return f.transform(Xt); });
      return at_last([&](const dynamic_model& f) -> Result { return call(f, Xt); });
    };
    if (steps_.size() == 1 || X.rows() <= 2 * block_rows) return run(X);
    try {
      Result first = run(X.topRows(block_rows));
      Result out;
      if constexpr (Result::ColsAtCompileTime == 1) out.resize(X.rows());
      else out.resize(X.rows(), first.cols());
      out.topRows(block_rows) = first;
      for (index start = block_rows; start < X.rows(); start += block_rows) {
        const index n = std::min(block_rows, X.rows() - start);
        out.middleRows(start, n) = run(X.middleRows(start, n));
      }
      return out;
    } catch (const error&) {
      return run(X);
    }
  }

  template <class F>
  double through_one(std::span<const double> row, F&& f) const {
    scratch_frame frame;
    std::span<const double> current = row;
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i) {
      current = at_step(i, [&](const dynamic_model& s) {
        const std::span<double> out = frame.take(static_cast<std::size_t>(s.n_features_out()));
        s.transform_one(current, out);
        return std::span<const double>(out);
      });
    }
    return f(current);
  }

  std::vector<dynamic_fitted_step> steps_;
  stage_roles roles_;
};

// The run-time form of pipeline's static_assert: every step but the last must be a transformer.
inline void check_chain_roles(const std::vector<dynamic_step>& steps) {
  for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
    if (!steps[i].stage->roles().transformer) {
      throw invalid_parameter("only the last step of a pipeline may be a model; every earlier step must be a "
                              "transformer (its fitted type has transform(X)); move the model to the end of the "
                              "pipeline (step '" + steps[i].name + "' (" + std::string(steps[i].stage->kind()) +
                                  ") is step " + std::to_string(i + 1) + " of " + std::to_string(steps.size()) + ")",
                              "pipeline");
    }
  }
}

class dynamic_chain final : public dynamic_stage {
 public:
  explicit dynamic_chain(std::vector<dynamic_step> steps) : steps_(std::move(steps)) {
    if (steps_.empty()) throw invalid_parameter("a pipeline needs at least one step", "pipeline");
    check_chain_roles(steps_);
    const stage_roles& last = steps_.back().stage->roles();
    roles_ = last;
    roles_.step_path = steps_.back().name + (last.step_path.empty() ? "" : "." + last.step_path);
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i) {  // the last step's roles are roles_ already
      const stage_roles& step = steps_[i].stage->roles();
      roles_.row_calls = roles_.row_calls && step.row_calls;
      roles_.allocates_per_row = roles_.allocates_per_row || step.allocates_per_row;
    }
    roles_.allows_nan = steps_.front().stage->roles().allows_nan;  // as pipeline: NaN goes to the first step
  }

  std::string_view kind() const override { return "pipeline"; }
  const stage_roles& roles() const override { return roles_; }
  std::shared_ptr<dynamic_stage> clone() const override { return std::make_shared<dynamic_chain>(*this); }

  // As pipeline::fit: y's rows, then each step on the output of the one before.
  model_ptr fit(const matrix_view& X, const vector_view& y) const override {
    if (y.size() != 0) check_target_rows("pipeline", X, y);
    return fit_steps(X, y, nullptr);
  }
  model_ptr fit_transform(const matrix_view& X, const vector_view& y, matrix& out) const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    if (y.size() != 0) check_target_rows("pipeline", X, y);
    return fit_steps(X, y, &out);
  }
  void param_names(const std::string& prefix, std::vector<std::string>& out) const override {
    step_param_names(steps_, prefix, out);
  }
  bool set_param(std::string_view path, const param_value& value, std::string_view full_path) override {
    return set_step_param(steps_, path, value, full_path);
  }
  bool get_param(std::string_view path, param_value& out) const override { return get_step_param(steps_, path, out); }
  void validate_all() const override {
    for (const auto& s : steps_) in_step(s.name, s.stage->kind(), [&] { s.stage->validate_all(); });
  }
  void spec(nlohmann::json& out) const override {
    out = nlohmann::json::object();
    out["kind"] = "pipeline";
    write_steps_spec(steps_, out);
  }

 private:
  model_ptr fit_steps(const matrix_view& X, const vector_view& y, matrix* want) const {
    std::vector<dynamic_fitted_step> fitted;
    fitted.reserve(steps_.size());
    matrix Xt;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const auto& s = steps_[i];
      const matrix_view input = i == 0 ? X : matrix_view(Xt);
      if (i + 1 == steps_.size() && want == nullptr) {
        fitted.push_back({s.name, in_step(s.name, s.stage->kind(), [&] { return s.stage->fit(input, y); })});
      } else {
        matrix out;
        fitted.push_back(
            {s.name, in_step(s.name, s.stage->kind(), [&] { return s.stage->fit_transform(input, y, out); })});
        Xt = std::move(out);
      }
    }
    if (want != nullptr) *want = std::move(Xt);
    return std::make_shared<const dynamic_chain_model>(std::move(fitted));
  }

  std::vector<dynamic_step> steps_;
  stage_roles roles_;
};

// ---- columns ----------------------------------------------------------------------------------------------------

// As fitted_column_subset: a fitted stage that first picks its columns out of the full input.
class dynamic_columns_model final : public dynamic_model {
 public:
  dynamic_columns_model(std::vector<index> columns, index n_features_in, model_ptr inner)
      : columns_(std::move(columns)), n_features_in_(n_features_in), inner_(std::move(inner)) {}

  const std::vector<index>& columns() const { return columns_; }

  std::string_view kind() const override { return "columns"; }
  const stage_roles& roles() const override { return inner_->roles(); }
  index n_features_in() const override { return n_features_in_; }
  index n_features_out() const override { return inner_->n_features_out(); }
  vector predict(const matrix_view& X) const override {
    return apply<vector>(X, [&](const matrix_view& Xs) { return inner_->predict(Xs); });
  }
  matrix predict_proba(const matrix_view& X) const override {
    return apply<matrix>(X, [&](const matrix_view& Xs) { return inner_->predict_proba(Xs); });
  }
  matrix decision_function(const matrix_view& X) const override {
    return apply<matrix>(X, [&](const matrix_view& Xs) { return inner_->decision_function(Xs); });
  }
  matrix transform(const matrix_view& X) const override {
    return apply<matrix>(X, [&](const matrix_view& Xs) { return inner_->transform(Xs); });
  }
  double predict_one(std::span<const double> in) const override {
    return apply_one(in, [&](std::span<const double> picked) { return inner_->predict_one(picked); });
  }
  void predict_proba_one(std::span<const double> in, std::span<double> out) const override {
    apply_one(in, [&](std::span<const double> picked) {
      inner_->predict_proba_one(picked, out);
      return 0.0;
    });
  }
  void transform_one(std::span<const double> in, std::span<double> out) const override {
    apply_one(in, [&](std::span<const double> picked) {
      inner_->transform_one(picked, out);
      return 0.0;
    });
  }
  const vector& classes() const override { return inner_->classes(); }
  vector feature_importance(int, double) const override { throw_no_importance(roles()); }
  std::string signature() const override { return "columns(" + inner_->signature() + ")"; }
  void encode(nlohmann::json& node) const override {
    node = nlohmann::json::object();
    node["kind"] = "columns";
    node["schema_version"] = 1;
    node["state"]["columns"] = nlohmann::json(columns_);
    node["state"]["n_features_in"] = n_features_in_;
    inner_->encode(node["state"]["inner"]);
  }
  void check_invariants() const override {
    constexpr std::string_view kind = "columns";
    inner_->check_invariants();
    check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    check_state_not_empty(kind, "state.columns", static_cast<index>(columns_.size()),
                          "the input columns the wrapped stage sees");
    check_state_indices(kind, "state.columns", columns_, n_features_in_, "n_features_in", index_order::distinct);
    check_state_size(kind, "state.columns", static_cast<index>(columns_.size()), inner_->n_features_in(),
                     "one per input feature of the wrapped " + std::string(inner_->kind()));
  }

 private:
  template <class F>
  double apply_one(std::span<const double> in, F&& f) const {
    check_row_width("columns", in, n_features_in_);
    scratch_frame frame;
    const std::span<double> picked = frame.take(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) picked[i] = in[static_cast<std::size_t>(columns_[i])];
    try {
      return f(std::span<const double>(picked));
    } catch (error& e) {
      e.add_note("the step sees input columns " + format_columns(columns_));
      throw;
    }
  }

  template <class R, class F>
  R apply(const matrix_view& X, F&& f) const {
    if (X.cols() != n_features_in_) {
      throw invalid_input("X has " + std::to_string(X.cols()) + " columns but this step was fitted on " +
                              std::to_string(n_features_in_) + "; expected " + std::to_string(n_features_in_) +
                              " columns",
                          "columns");
    }
    try {
      return with_columns(X, columns_, [&](const matrix_view& Xs) -> R { return f(Xs); });
    } catch (error& e) {
      e.add_note("the step sees input columns " + format_columns(columns_));
      throw;
    }
  }

  std::vector<index> columns_;
  index n_features_in_ = 0;
  model_ptr inner_;
};

// A run-time stage around one inner stage whose parameter paths are the inner stage's (columns, a stage with its
// spec): the path calls go through.
class dynamic_forwarding_stage : public dynamic_stage {
 public:
  explicit dynamic_forwarding_stage(stage_ptr inner) : inner_(std::move(inner)) {}

  const stage_roles& roles() const override { return inner_->roles(); }
  void param_names(const std::string& prefix, std::vector<std::string>& out) const override {
    inner_->param_names(prefix, out);
  }
  bool set_param(std::string_view path, const param_value& value, std::string_view full_path) override {
    return writable(inner_).set_param(path, value, full_path);
  }
  bool get_param(std::string_view path, param_value& out) const override { return inner_->get_param(path, out); }
  void validate_all() const override { inner_->validate_all(); }

 protected:
  stage_ptr inner_;
};

// As column_subset: a stage run on some columns of its input; its parameter paths are the wrapped stage's.
class dynamic_columns final : public dynamic_forwarding_stage {
 public:
  dynamic_columns(std::vector<index> columns, stage_ptr inner)
      : dynamic_forwarding_stage(std::move(inner)), columns_(std::move(columns)) {}

  const std::vector<index>& columns() const { return columns_; }

  std::string_view kind() const override { return "columns"; }
  stage_ptr clone() const override { return std::make_shared<dynamic_columns>(*this); }
  model_ptr fit(const matrix_view& X, const vector_view& y) const override {
    check_not_empty("columns", X);
    check_columns("columns", columns_, X.cols());
    auto inner = guarded([&] {
      return with_columns(X, columns_, [&](const matrix_view& Xs) { return inner_->fit(Xs, y); });
    });
    return std::make_shared<const dynamic_columns_model>(columns_, X.cols(), std::move(inner));
  }
  model_ptr fit_transform(const matrix_view& X, const vector_view& y, matrix& out) const override {
    if (!inner_->roles().transformer) throw_no_transform(inner_->roles());
    check_not_empty("columns", X);
    check_columns("columns", columns_, X.cols());
    auto inner = guarded([&] {
      return with_columns(X, columns_, [&](const matrix_view& Xs) { return inner_->fit_transform(Xs, y, out); });
    });
    return std::make_shared<const dynamic_columns_model>(columns_, X.cols(), std::move(inner));
  }
  void spec(nlohmann::json& out) const override {
    out = nlohmann::json::object();
    out["kind"] = "columns";
    out["params"]["columns"] = nlohmann::json(columns_);
    inner_->spec(out["inner"]);
  }

 private:
  template <class F>
  model_ptr guarded(F&& f) const {
    try {
      return f();
    } catch (error& e) {
      e.add_note("the step sees input columns " + format_columns(columns_));
      throw;
    }
  }

  std::vector<index> columns_;
};

// ---- feature_union and column_transformer --------------------------------------------------------------------

inline stage_roles concat_roles(const std::vector<dynamic_step>& steps) {
  stage_roles roles;
  roles.transformer = true;
  roles.row_calls = true;
  roles.allows_nan = true;  // as feature_union and column_transformer: a row of NaN reaches every branch
  for (const auto& s : steps) {
    roles.row_calls = roles.row_calls && s.stage->roles().row_calls;
    roles.allows_nan = roles.allows_nan && s.stage->roles().allows_nan;
    roles.allocates_per_row = roles.allocates_per_row || s.stage->roles().allocates_per_row;
  }
  const stage_roles& last = steps.back().stage->roles();
  roles.step_path = steps.back().name + (last.step_path.empty() ? "" : "." + last.step_path);
  roles.step_kind = last.step_kind;
  return roles;
}

// As fitted_concat: the outputs of the branches side by side, then the passed-through columns.
class dynamic_concat_model final : public dynamic_model {
 public:
  dynamic_concat_model(std::string kind, std::vector<dynamic_fitted_step> steps, index n_features_in,
                       std::vector<index> passthrough, stage_roles roles)
      : kind_(std::move(kind)), steps_(std::move(steps)), n_features_in_(n_features_in),
        passthrough_(std::move(passthrough)), roles_(std::move(roles)) {}

  std::string_view kind() const override { return kind_; }
  const stage_roles& roles() const override { return roles_; }
  index n_features_in() const override { return n_features_in_; }
  index n_features_out() const override {
    index n = static_cast<index>(passthrough_.size());
    for (const auto& s : steps_) n += s.fitted->n_features_out();
    return n;
  }
  vector predict(const matrix_view&) const override { throw_no_predict(roles_); }
  matrix predict_proba(const matrix_view&) const override { throw_no_proba(roles_); }
  matrix decision_function(const matrix_view&) const override { throw_no_decision(roles_); }
  double predict_one(std::span<const double>) const override { throw_no_predict(roles_); }
  void predict_proba_one(std::span<const double>, std::span<double>) const override { throw_no_proba(roles_); }
  const vector& classes() const override { throw_no_classes(roles_); }
  vector feature_importance(int, double) const override { throw_no_importance(roles_); }

  matrix transform(const matrix_view& X) const override {
    check_predict_input(kind_, X, n_features_in_, true);
    std::vector<matrix> parts(steps_.size());
    for (std::size_t i = 0; i < steps_.size(); ++i)
      parts[i] = in_step(steps_[i].name, steps_[i].fitted->kind(), [&] { return steps_[i].fitted->transform(X); });
    return concatenate(kind_, X, parts, passthrough_);
  }
  void transform_one(std::span<const double> in, std::span<double> out) const override {
    if (!roles_.row_calls) throw_no_row_call(roles_, "transform_one");
    check_row_width(kind_, in, n_features_in_);
    std::size_t at = 0;
    for (const auto& s : steps_) {
      const auto width = static_cast<std::size_t>(s.fitted->n_features_out());
      in_step(s.name, s.fitted->kind(), [&] { s.fitted->transform_one(in, out.subspan(at, width)); });
      at += width;
    }
    for (index c : passthrough_) out[at++] = in[static_cast<std::size_t>(c)];
  }
  std::string signature() const override { return steps_signature(kind_, steps_); }
  void encode(nlohmann::json& node) const override {
    node = nlohmann::json::object();
    node["kind"] = kind_;
    node["schema_version"] = 1;
    node["state"]["n_features_in"] = n_features_in_;
    node["state"]["passthrough"] = nlohmann::json(passthrough_);
    encode_steps(steps_, node);
  }
  // As fitted_concat::check_invariants.
  void check_invariants() const override {
    check_state_count(kind_, "state.n_features_in", n_features_in_, 1);
    for (const auto& s : steps_) {
      in_step(s.name, s.fitted->kind(), [&] { s.fitted->check_invariants(); });
      if (s.fitted->n_features_in() != n_features_in_) {
        throw_invariant(kind_, "branch '" + s.name + "' was fitted on " + std::to_string(s.fitted->n_features_in()) +
                                   " features but state.n_features_in = " + std::to_string(n_features_in_) +
                                   "; expected every branch to take the whole input");
      }
    }
    check_state_indices(kind_, "state.passthrough", passthrough_, n_features_in_, "n_features_in");
    if (kind_ == "column_transformer") {
      std::vector<index> used;
      for (const auto& s : steps_) {
        const auto& c = static_cast<const dynamic_columns_model&>(*s.fitted).columns();  // checked when loaded
        used.insert(used.end(), c.begin(), c.end());
      }
      check_remainder(kind_, passthrough_, std::move(used), n_features_in_);
    } else {
      check_state_size(kind_, "state.passthrough", static_cast<index>(passthrough_.size()), 0,
                       "only a column_transformer passes columns through");
    }
  }

  static matrix concatenate(std::string_view kind, const matrix_view& X, const std::vector<matrix>& parts,
                            const std::vector<index>& passthrough) {
    return concatenate_branches(kind, X, std::span<const matrix>(parts), passthrough);
  }

 private:
  std::string kind_;
  std::vector<dynamic_fitted_step> steps_;
  index n_features_in_ = 0;
  std::vector<index> passthrough_;
  stage_roles roles_;
};

// As feature_union and column_transformer (whose branches are columns stages, with a remainder).
class dynamic_concat final : public dynamic_stage {
 public:
  dynamic_concat(std::string kind, std::vector<dynamic_step> steps, mlpipe::remainder policy = mlpipe::remainder::drop)
      : kind_(std::move(kind)), steps_(std::move(steps)), remainder_(policy) {
    const bool routing = kind_ == "column_transformer";
    if (steps_.empty())
      throw invalid_parameter(routing ? "column_transformer needs at least one branch"
                                      : "union_of needs at least one branch",
                              kind_);
    for (const auto& s : steps_) {
      if (routing && s.stage->kind() != "columns") {
        throw invalid_parameter("each branch of column_transformer must be columns({...}, stage), optionally named "
                                "with step<\"...\"> (branch '" + s.name + "' is a " + std::string(s.stage->kind()) +
                                    ")",
                                kind_);
      }
      if (!s.stage->roles().transformer) {
        throw invalid_parameter(std::string(routing ? "every branch of column_transformer must wrap a transformer"
                                                    : "every branch of union_of must be a transformer (its fitted "
                                                      "type has transform(X))") +
                                    " (branch '" + s.name + "' (" + std::string(s.stage->kind()) + ") is not)",
                                kind_);
      }
    }
    roles_ = concat_roles(steps_);
  }

  std::string_view kind() const override { return kind_; }
  const stage_roles& roles() const override { return roles_; }
  stage_ptr clone() const override { return std::make_shared<dynamic_concat>(*this); }
  model_ptr fit(const matrix_view& X, const vector_view& y) const override {
    matrix unused;
    return fit_branches(X, y, false, unused);
  }
  model_ptr fit_transform(const matrix_view& X, const vector_view& y, matrix& out) const override {
    return fit_branches(X, y, true, out);
  }
  void param_names(const std::string& prefix, std::vector<std::string>& out) const override {
    if (kind_ == "column_transformer") out.push_back(prefix + "remainder");
    step_param_names(steps_, prefix, out);
  }
  bool set_param(std::string_view path, const param_value& value, std::string_view full_path) override {
    if (kind_ == "column_transformer" && path == "remainder") {
      const auto converted = param_traits<mlpipe::remainder>::from_value(value);
      if (!converted) throw_wrong_type(full_path, kind_, param_traits<mlpipe::remainder>::expected, value);
      remainder_ = *converted;
      return true;
    }
    return set_step_param(steps_, path, value, full_path);
  }
  bool get_param(std::string_view path, param_value& out) const override {
    if (kind_ == "column_transformer" && path == "remainder") {
      out = param_traits<mlpipe::remainder>::to_value(remainder_);
      return true;
    }
    return get_step_param(steps_, path, out);
  }
  void validate_all() const override {
    for (const auto& s : steps_) in_step(s.name, s.stage->kind(), [&] { s.stage->validate_all(); });
  }
  void spec(nlohmann::json& out) const override {
    out = nlohmann::json::object();
    out["kind"] = kind_;
    if (kind_ == "column_transformer")
      out["params"]["remainder"] = std::string(remainder_ == mlpipe::remainder::drop ? "drop" : "passthrough");
    write_steps_spec(steps_, out);
  }

 private:
  // As fit_concat: each branch fitted (and its output computed once) in order, then the outputs side by side.
  model_ptr fit_branches(const matrix_view& X, const vector_view& y, bool want_output, matrix& out) const {
    check_not_empty(kind_, X);
    std::vector<index> passthrough = remainder_columns(X.cols());
    std::vector<matrix> parts(steps_.size());
    std::vector<dynamic_fitted_step> fitted;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const auto& s = steps_[i];
      fitted.push_back(
          {s.name, in_step(s.name, s.stage->kind(), [&] { return s.stage->fit_transform(X, y, parts[i]); })});
    }
    if (want_output) out = dynamic_concat_model::concatenate(kind_, X, parts, passthrough);
    return std::make_shared<const dynamic_concat_model>(kind_, std::move(fitted), X.cols(), std::move(passthrough),
                                                        roles_);
  }

  std::vector<index> remainder_columns(index n_features) const {
    if (kind_ != "column_transformer" || remainder_ == mlpipe::remainder::drop) return {};
    std::vector<bool> used(static_cast<std::size_t>(n_features), false);
    for (const auto& s : steps_)
      for (index c : static_cast<const dynamic_columns&>(*s.stage).columns())
        if (c >= 0 && c < n_features) used[static_cast<std::size_t>(c)] = true;
    std::vector<index> out;
    for (index c = 0; c < n_features; ++c)
      if (!used[static_cast<std::size_t>(c)]) out.push_back(c);
    return out;
  }

  std::string kind_;
  std::vector<dynamic_step> steps_;
  mlpipe::remainder remainder_ = mlpipe::remainder::drop;
  stage_roles roles_;
};

// ---- one_of -----------------------------------------------------------------------------------------------------

// As fitted_one_of: the chosen alternative, fitted; every call goes to it. Saved with the alternative's name.
class dynamic_one_of_model final : public dynamic_model {
 public:
  dynamic_one_of_model(std::string alternative, model_ptr model)
      : alternative_(std::move(alternative)), model_(std::move(model)) {
    roles_ = model_->roles();
    roles_.step_path.clear();  // as the static fitted_one_of: a lone stage of kind one_of
    roles_.step_kind = "one_of";
  }

  const std::string& alternative() const { return alternative_; }

  std::string_view kind() const override { return "one_of"; }
  const stage_roles& roles() const override { return roles_; }
  index n_features_in() const override { return model_->n_features_in(); }
  index n_features_out() const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    return model_->n_features_out();
  }
  vector predict(const matrix_view& X) const override {
    if (!roles_.predictor) throw_no_predict(roles_);
    return model_->predict(X);
  }
  matrix predict_proba(const matrix_view& X) const override {
    if (!roles_.predict_proba) throw_no_proba(roles_);
    return model_->predict_proba(X);
  }
  matrix decision_function(const matrix_view& X) const override {
    if (!roles_.decision_function) throw_no_decision(roles_);
    return model_->decision_function(X);
  }
  matrix transform(const matrix_view& X) const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    return model_->transform(X);
  }
  double predict_one(std::span<const double> row) const override { return model_->predict_one(row); }
  void predict_proba_one(std::span<const double> row, std::span<double> out) const override {
    model_->predict_proba_one(row, out);
  }
  void transform_one(std::span<const double> row, std::span<double> out) const override {
    model_->transform_one(row, out);
  }
  const vector& classes() const override {
    if (!roles_.classifier) throw_no_classes(roles_);
    return model_->classes();
  }
  // fitted_one_of has neither coef() nor feature_importances(): as the static one, no importances.
  vector feature_importance(int, double) const override { throw_no_importance(roles_); }
  std::string signature() const override { return "one_of"; }
  void encode(nlohmann::json& node) const override {
    node = nlohmann::json::object();
    node["kind"] = "one_of";
    node["schema_version"] = 1;
    node["state"]["alternative"] = alternative_;
    model_->encode(node["state"]["model"]);
  }
  void check_invariants() const override {
    in_step(alternative_, model_->kind(), [&] { model_->check_invariants(); });
  }

 private:
  std::string alternative_;
  model_ptr model_;
  stage_roles roles_;
};

// As one_of_stage: fits the alternative `choice` names. Paths: "" (a step's own path) is the choice, "NAME.param"
// an alternative's parameter. The alternatives must share a role, as one_of's static_assert demands.
class dynamic_one_of final : public dynamic_stage {
 public:
  explicit dynamic_one_of(std::vector<dynamic_step> alternatives) : alternatives_(std::move(alternatives)) {
    if (alternatives_.empty()) throw invalid_parameter("one_of needs at least one alternative", "one_of");
    const auto all = [&](auto role) {
      for (const auto& a : alternatives_)
        if (!role(a.stage->roles())) return false;
      return true;
    };
    if (!all([](const stage_roles& r) { return r.transformer; }) &&
        !all([](const stage_roles& r) { return r.classifier; }) &&
        !all([](const stage_roles& r) { return r.predictor && !r.classifier; })) {
      std::string kinds;
      for (const auto& a : alternatives_)
        kinds += (kinds.empty() ? "" : ", ") + a.name + " (" + std::string(a.stage->kind()) + ")";
      throw invalid_parameter("the alternatives of one_of must share a role: all transformers, all classifiers or "
                              "all regressors; found " + kinds,
                              "one_of");
    }
    update_roles();
  }

  std::string_view kind() const override { return "one_of"; }
  const stage_roles& roles() const override { return roles_; }
  stage_ptr clone() const override { return std::make_shared<dynamic_one_of>(*this); }
  // As one_of_stage::fit: every alternative checked, then the chosen one fitted, errors naming it as a step.
  model_ptr fit(const matrix_view& X, const vector_view& y) const override {
    validate_all();
    const auto& s = alternatives_[choice_];
    return std::make_shared<const dynamic_one_of_model>(
        s.name, in_step(s.name, s.stage->kind(), [&] { return s.stage->fit(X, y); }));
  }
  // As mlpipe::fit_transform of a one_of (it has no fit_transform of its own): fit, then transform.
  model_ptr fit_transform(const matrix_view& X, const vector_view& y, matrix& out) const override {
    if (!roles_.transformer) throw_no_transform(roles_);
    model_ptr model = fit(X, y);
    out = model->transform(X);
    return model;
  }
  void param_names(const std::string& prefix, std::vector<std::string>& out) const override {
    out.push_back(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1));
    step_param_names(alternatives_, prefix, out);
  }
  bool set_param(std::string_view path, const param_value& value, std::string_view full_path) override {
    if (!path.empty()) return set_step_param(alternatives_, path, value, full_path);
    const std::vector<std::string_view> names = alternative_names();
    if (const auto* s = std::get_if<std::string>(&value)) {
      const std::size_t i = alternative_position(names, *s);
      if (i == names.size()) throw_unknown_alternative(names, *s);
      choice_ = i;
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      if (*i < 0 || *i >= static_cast<std::int64_t>(names.size())) throw_alternative_index(names, *i);
      choice_ = static_cast<std::size_t>(*i);
    } else {
      throw_wrong_type(full_path, "one_of", "the name or index of an alternative (" + list_alternatives(names) + ")",
                       value);
    }
    update_roles();
    return true;
  }
  bool get_param(std::string_view path, param_value& out) const override {
    if (!path.empty()) return get_step_param(alternatives_, path, out);
    out = alternatives_[choice_].name;
    return true;
  }
  void validate_all() const override {
    for (const auto& s : alternatives_) in_step(s.name, s.stage->kind(), [&] { s.stage->validate_all(); });
  }
  void spec(nlohmann::json& out) const override {
    out = nlohmann::json::object();
    out["kind"] = "one_of";
    out["params"][""] = alternatives_[choice_].name;
    write_steps_spec(alternatives_, out);
  }

 private:
  std::vector<std::string_view> alternative_names() const {
    std::vector<std::string_view> names;
    for (const auto& a : alternatives_) names.push_back(a.name);
    return names;
  }
  void update_roles() {
    roles_ = alternatives_[choice_].stage->roles();
    roles_.step_path.clear();
    roles_.step_kind = "one_of";
  }

  std::vector<dynamic_step> alternatives_;
  std::size_t choice_ = 0;
  stage_roles roles_;
};

// ---- a stage with its spec ----------------------------------------------------------------------------------------

// A run-time stage that keeps the spec it was built from (a search: the static search keeps its space and options,
// not their JSON), so that spec() gives back what from_json read. Everything else goes to the stage.
class dynamic_spec_stage final : public dynamic_forwarding_stage {
 public:
  dynamic_spec_stage(stage_ptr inner, nlohmann::json spec)
      : dynamic_forwarding_stage(std::move(inner)), spec_(std::move(spec)) {}

  std::string_view kind() const override { return inner_->kind(); }
  stage_ptr clone() const override { return std::make_shared<dynamic_spec_stage>(*this); }
  model_ptr fit(const matrix_view& X, const vector_view& y) const override { return inner_->fit(X, y); }
  model_ptr fit_transform(const matrix_view& X, const vector_view& y, matrix& out) const override {
    return inner_->fit_transform(X, y, out);
  }
  void spec(nlohmann::json& out) const override { out = spec_; }

 private:
  nlohmann::json spec_;
};

}  // namespace mlpipe::detail
