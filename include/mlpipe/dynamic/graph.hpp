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
#include "mlpipe/core/columns.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/scratch.hpp"
#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/wrap.hpp"

// The run-time graph: chains (pipeline), side-by-side branches (feature_union, column_transformer) and column
// subsets (columns) of run-time stages. Each mirrors its static template step for step (the same checks in the same
// order, the same arithmetic, the same saved nodes and signatures), so that a pipeline built from a spec computes
// and saves what the static one does. Compiled in the registry's translation unit.

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
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i)
      roles_.row_calls = roles_.row_calls && steps_[i].stage->roles().row_calls;
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

}  // namespace mlpipe::detail
