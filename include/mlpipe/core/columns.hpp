#pragma once

#include <algorithm>    // std::sort, std::adjacent_find
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/scratch.hpp"
#include "mlpipe/core/text.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {
namespace detail {

inline std::string format_columns(const std::vector<index>& columns) {
  std::string out = "[";
  out += join_formatted(columns, [](index c) { return std::to_string(c); });
  return out + "]";
}

// Calls f with the listed columns of X: a view when they are a contiguous ascending run, else a copy.
template <class F>
decltype(auto) with_columns(const matrix_view& X, const std::vector<index>& columns, F&& f) {
  bool contiguous = !columns.empty();
  for (std::size_t i = 1; i < columns.size() && contiguous; ++i) contiguous = columns[i] == columns[i - 1] + 1;
  if (contiguous) return f(matrix_view(X.middleCols(columns.front(), static_cast<index>(columns.size()))));
  const matrix subset = X(Eigen::all, columns);
  return f(matrix_view(subset));
}

inline void check_columns(std::string_view kind, const std::vector<index>& columns, index n_features) {
  if (columns.empty()) throw invalid_parameter("columns is empty; expected at least one column index", kind);
  for (index c : columns) {
    if (c < 0 || c >= n_features) {
      throw invalid_parameter("column " + std::to_string(c) + " is out of range; X has " + std::to_string(n_features) +
                                  " columns, so expected 0 <= column < " + std::to_string(n_features),
                              kind);
    }
  }
  std::vector<index> sorted = columns;
  std::sort(sorted.begin(), sorted.end());
  if (auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
    throw invalid_parameter("column " + std::to_string(*twice) + " is listed twice in " + format_columns(columns) +
                                "; expected distinct column indices",
                            kind);
}

}  // namespace detail

template <class Fitted>
class fitted_column_subset;

// column_subset -- runs a stage on some columns of its input only; made by columns({0, 3, 4}, stage).
// Its parameter paths are those of the stage it wraps ("num.scale.with_mean" reaches through it).
template <class Stage>
struct column_subset {
  static_assert(stage<Stage>, "mlpipe: columns({...}, x) needs a stage as x");
  static constexpr std::string_view kind = "columns";
  static constexpr bool allows_nan = detail::stage_allows_nan<Stage>();  // as the stage it wraps
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Stage>();
  using wrapped_type = Stage;
  using fitted = fitted_column_subset<typename Stage::fitted>;

  std::vector<index> columns;  // the input columns the stage sees, in this order; distinct, each < n_features
  Stage stage;

  fitted fit(const matrix_view& X, const vector_view& y = vector()) const {
    detail::check_not_empty(kind, X);  // an input without columns is the data's fault, not the column list's
    detail::check_columns(kind, columns, X.cols());
    return fitted(columns, X.cols(), guarded([&] {
                    return detail::with_columns(X, columns, [&](const matrix_view& Xs) { return stage.fit(Xs, y); });
                  }));
  }

  std::pair<fitted, matrix> fit_transform(const matrix_view& X, const vector_view& y = vector()) const
    requires transformer<Stage>
  {
    detail::check_not_empty(kind, X);
    detail::check_columns(kind, columns, X.cols());
    auto [f, Xt] = guarded([&] {
      return detail::with_columns(X, columns, [&](const matrix_view& Xs) { return mlpipe::fit_transform(stage, Xs, y); });
    });
    return {fitted(columns, X.cols(), std::move(f)), std::move(Xt)};
  }

 private:
  template <class F>
  decltype(auto) guarded(F&& f) const {
    try {
      return f();
    } catch (error& e) {
      e.add_note("the step sees input columns " + detail::format_columns(columns));
      throw;
    }
  }
};

// columns({0, 3, 4}, stage) -- the stage applied to those input columns; use it as a step or a branch.
template <class Stage>
column_subset<Stage> columns(std::vector<index> columns, Stage stage) {
  return column_subset<Stage>{std::move(columns), std::move(stage)};
}

// fitted_column_subset -- a fitted stage that first picks its columns out of the full input.
template <class Fitted>
class fitted_column_subset {
 public:
  static constexpr std::string_view kind = "columns";
  static constexpr int schema_version = 1;
  using inner_type = Fitted;

  fitted_column_subset() = default;  // an empty shell for load() to fill
  fitted_column_subset(std::vector<index> columns, index n_features_in, Fitted inner)
      : columns_(std::move(columns)), n_features_in_(n_features_in), inner_(std::move(inner)) {}

  const std::vector<index>& columns() const { return columns_; }
  const Fitted& inner() const { return inner_; }

  // Walks into the wrapped fitted stage: get<"scale">() when it is a fitted pipeline.
  template <fixed_string Path>
  const auto& get() const {
    return inner_.template get<Path>();
  }
  index n_features_in() const { return n_features_in_; }

  index n_features_out() const
    requires fitted_transformer<Fitted>
  {
    return inner_.n_features_out();
  }

  matrix transform(const matrix_view& X) const
    requires fitted_transformer<Fitted>
  {
    return apply(X, [&](const matrix_view& Xs) -> matrix { return inner_.transform(Xs); });
  }

  vector predict(const matrix_view& X) const
    requires fitted_predictor<Fitted>
  {
    return apply(X, [&](const matrix_view& Xs) -> vector { return inner_.predict(Xs); });
  }

  matrix predict_proba(const matrix_view& X) const
    requires fitted_probabilistic_classifier<Fitted>
  {
    return apply(X, [&](const matrix_view& Xs) -> matrix { return inner_.predict_proba(Xs); });
  }

  auto decision_function(const matrix_view& X) const
    requires requires(const Fitted& f) { f.decision_function(X); }
  {
    return apply(X, [&](const matrix_view& Xs) { return inner_.decision_function(Xs); });
  }

  const vector& classes() const
    requires fitted_classifier<Fitted>
  {
    return inner_.classes();
  }

  void transform_one(std::span<const double> in, std::span<double> out) const
    requires fitted_row_transformer<Fitted>
  {
    apply_one(in, [&](std::span<const double> picked) { inner_.transform_one(picked, out); });
  }

  double predict_one(std::span<const double> in) const
    requires fitted_row_predictor<Fitted>
  {
    return apply_one(in, [&](std::span<const double> picked) -> double { return inner_.predict_one(picked); });
  }

  void predict_proba_one(std::span<const double> in, std::span<double> out) const
    requires fitted_row_classifier<Fitted>
  {
    apply_one(in, [&](std::span<const double> picked) { inner_.predict_proba_one(picked, out); });
  }

  // Throws mlpipe::load_error naming the first broken invariant: the wrapped stage's own, distinct state.columns
  // below state.n_features_in, one per input feature of the wrapped stage. load() runs it.
  void check_invariants() const {
    if constexpr (requires { inner_.check_invariants(); }) inner_.check_invariants();
    detail::check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    detail::check_state_not_empty(kind, "state.columns", static_cast<index>(columns_.size()),
                                  "the input columns the wrapped stage sees");
    detail::check_state_indices(kind, "state.columns", columns_, n_features_in_, "n_features_in",
                                detail::index_order::distinct);
    detail::check_state_size(kind, "state.columns", static_cast<index>(columns_.size()), inner_.n_features_in(),
                             "one per input feature of the wrapped " + std::string(Fitted::kind));
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar("columns", columns_);
    ar("n_features_in", n_features_in_);
    ar("inner", inner_);
  }

 private:
  // Gathers this step's columns of one row into scratch memory and hands them to f.
  template <class F>
  decltype(auto) apply_one(std::span<const double> in, F&& f) const {
    detail::check_row_width(kind, in, n_features_in_);
    detail::scratch_frame frame;
    const std::span<double> picked = frame.take(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) picked[i] = in[static_cast<std::size_t>(columns_[i])];
    try {
      return f(std::span<const double>(picked));
    } catch (error& e) {
      e.add_note("the step sees input columns " + detail::format_columns(columns_));
      throw;
    }
  }

  template <class F>
  decltype(auto) apply(const matrix_view& X, F&& f) const {
    if (X.cols() != n_features_in_) {
      throw invalid_input("X has " + std::to_string(X.cols()) + " columns but this step was fitted on " +
                              std::to_string(n_features_in_) + "; expected " + std::to_string(n_features_in_) +
                              " columns",
                          kind);
    }
    try {
      return detail::with_columns(X, columns_, f);
    } catch (error& e) {
      e.add_note("the step sees input columns " + detail::format_columns(columns_));
      throw;
    }
  }

  std::vector<index> columns_;
  index n_features_in_ = 0;
  Fitted inner_;
};

}  // namespace mlpipe
