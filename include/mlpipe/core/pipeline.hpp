#pragma once

#include <algorithm>    // std::min
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::index_sequence, std::move, std::pair
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/scratch.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

template <class... FittedSteps>
class fitted_pipeline;

namespace detail {

template <class... Steps>
constexpr bool all_but_last_transform() {
  constexpr bool is_transformer[] = {transformer<typename Steps::stage_type>...};
  for (std::size_t i = 0; i + 1 < sizeof...(Steps); ++i)
    if (!is_transformer[i]) return false;
  return true;
}

template <class Tuple>
using last_t = std::tuple_element_t<std::tuple_size_v<Tuple> - 1, Tuple>;

}  // namespace detail

// pipeline -- a chain of named steps: every step but the last transforms, the last decides what the pipeline is
// (a transformer, classifier or regressor). Built with `|`; a pipeline is itself a stage and nests.
template <class... Steps>
struct pipeline : detail::path_access<pipeline<Steps...>> {
  static_assert(sizeof...(Steps) >= 1, "mlpipe: a pipeline needs at least one step");
  static_assert(detail::unique_step_names<Steps...>(),
                "mlpipe: two steps are named the same; give one of them another name with step<\"...\">(stage)");
  static_assert(detail::all_but_last_transform<Steps...>(),
                "mlpipe: only the last step of a pipeline may be a model; every earlier step must be a transformer "
                "(its fitted type has transform(X)); move the model to the end of the pipeline");

  static constexpr std::string_view kind = "pipeline";
  // NaN in X goes to the first step: the pipeline accepts it when that step does (an imputer first).
  static constexpr bool allows_nan = detail::stage_allows_nan<
      typename std::tuple_element_t<0, std::tuple<Steps...>>::stage_type>();
  static constexpr bool allocates_per_row = (detail::stage_allocates_per_row<typename Steps::stage_type>() || ...);
  static constexpr auto params = std::tuple<>{};
  using steps_type = std::tuple<Steps...>;
  using fitted = fitted_pipeline<fitted_step<Steps::name, typename Steps::stage_type::fitted>...>;

  steps_type steps;

  // Fits every step in order on the output of the one before; y goes to every step.
  fitted fit(const matrix_view& X, const vector_view& y = vector()) const {
    check_y(X, y);
    return fitted(fit_from<0, false>(X, y, nullptr));
  }

  // Fits and returns the transformed training data too, without transforming it twice.
  std::pair<fitted, matrix> fit_transform(const matrix_view& X, const vector_view& y = vector()) const
    requires transformer<typename detail::last_t<steps_type>::stage_type>
  {
    check_y(X, y);
    matrix out;
    fitted f(fit_from<0, true>(X, y, &out));
    return {std::move(f), std::move(out)};
  }

  // Fits steps I.. on X, the output of the steps before I, as fit does (fit is fit_steps<0> after checking y), and
  // returns their fitted steps: a search's refit continues here from the steps it fitted beforehand.
  template <std::size_t I>
  auto fit_steps(const matrix_view& X, const vector_view& y) const {
    return fit_from<I, false>(X, y, nullptr);
  }

 private:
  static constexpr std::size_t n_steps = sizeof...(Steps);

  static void check_y(const matrix_view& X, const vector_view& y) {
    if (y.size() != 0) detail::check_target_rows(kind, X, y);
  }

  template <std::size_t I, bool WantOutput>
  auto fit_from(const matrix_view& X, const vector_view& y, matrix* out) const {
    using step_type = std::tuple_element_t<I, steps_type>;
    using stage_type = typename step_type::stage_type;
    using result_step = fitted_step<step_type::name, typename stage_type::fitted>;
    const stage_type& s = std::get<I>(steps).stage;
    const auto name = step_type::name.view();
    if constexpr (I + 1 == n_steps) {
      if constexpr (WantOutput) {
        auto [f, Xt] = detail::in_step(name, stage_type::kind, [&] { return mlpipe::fit_transform(s, X, y); });
        *out = std::move(Xt);
        return std::tuple<result_step>{result_step{std::move(f)}};
      } else {
        return std::tuple<result_step>{result_step{detail::in_step(name, stage_type::kind, [&] { return s.fit(X, y); })}};
      }
    } else {
      auto [f, Xt] = detail::in_step(name, stage_type::kind, [&] { return mlpipe::fit_transform(s, X, y); });
      auto rest = fit_from<I + 1, WantOutput>(Xt, y, out);
      return std::tuple_cat(std::tuple<result_step>{result_step{std::move(f)}}, std::move(rest));
    }
  }
};

// fitted_pipeline -- what pipeline::fit returns. transform, predict, predict_proba, decision_function and
// classes exist exactly when the last step has them. Immutable: safe to share between threads.
template <class... FittedSteps>
class fitted_pipeline {
 public:
  using steps_type = std::tuple<FittedSteps...>;

 private:
  using last_type = typename detail::last_t<steps_type>::fitted_type;
  static constexpr std::size_t n_steps = sizeof...(FittedSteps);
  // Every step but the last has transform_one: rows can flow through without allocation.
  static constexpr bool row_chain = []<std::size_t... I>(std::index_sequence<I...>) {
    return (fitted_row_transformer<typename std::tuple_element_t<I, steps_type>::fitted_type> && ...);
  }(std::make_index_sequence<n_steps - 1>{});

 public:
  static constexpr std::string_view kind = "pipeline";
  static constexpr int schema_version = 1;

  fitted_pipeline() = default;  // an empty shell for load() to fill
  explicit fitted_pipeline(steps_type steps) : steps_(std::move(steps)) {}

  index n_features_in() const { return std::get<0>(steps_).fitted.n_features_in(); }

  index n_features_out() const
    requires fitted_transformer<last_type>
  {
    return last().n_features_out();
  }

  matrix transform(const matrix_view& X) const
    requires fitted_transformer<last_type>
  {
    return through_all(X, [](const auto& f, const matrix_view& Xt) -> matrix { return f.transform(Xt); });
  }

  vector predict(const matrix_view& X) const
    requires fitted_predictor<last_type>
  {
    return through_all(X, [](const auto& f, const matrix_view& Xt) -> vector { return f.predict(Xt); });
  }

  matrix predict_proba(const matrix_view& X) const
    requires requires(const last_type& f) { { f.predict_proba(X) } -> std::convertible_to<matrix>; }
  {
    return through_all(X, [](const auto& f, const matrix_view& Xt) -> matrix { return f.predict_proba(Xt); });
  }

  auto decision_function(const matrix_view& X) const
    requires requires(const last_type& f) { f.decision_function(X); }
  {
    return through_all(X, [](const auto& f, const matrix_view& Xt) { return f.decision_function(Xt); });
  }

  const vector& classes() const
    requires fitted_classifier<last_type>
  {
    return last().classes();
  }

  // predict_one(row) -- one row in, one prediction out, without heap allocation (after a thread's first call).
  double predict_one(std::span<const double> row) const
    requires(row_chain && fitted_row_predictor<last_type>)
  {
    return through_one(row, [&](std::span<const double> r) {
      return at_last([&](const auto& f) -> double { return f.predict_one(r); });
    });
  }

  // predict_proba_one(row, out) -- one probability per class into out (size classes().size()), without allocation.
  void predict_proba_one(std::span<const double> row, std::span<double> out) const
    requires(row_chain && fitted_row_classifier<last_type>)
  {
    through_one(row, [&](std::span<const double> r) {
      at_last([&](const auto& f) { f.predict_proba_one(r, out); });
    });
  }

  // transform_one(row, out) -- a transformer pipeline applied to one row; out has n_features_out() values.
  void transform_one(std::span<const double> row, std::span<double> out) const
    requires(row_chain && fitted_row_transformer<last_type>)
  {
    through_one(row, [&](std::span<const double> r) {
      at_last([&](const auto& f) { f.transform_one(r, out); });
    });
  }

  // Throws mlpipe::load_error naming the first broken invariant: a step's own (naming the step), or a step whose
  // output width is not the next step's input width. load() runs it.
  void check_invariants() const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((detail::check_step_invariants(std::get<I>(steps_)), check_link<I>()), ...);
    }(std::make_index_sequence<n_steps>{});
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.steps(steps_);
  }

  // get<"model">() is the fitted step named "model"; get<"features.num">() walks into nested fitted composites.
  template <fixed_string Path>
  const auto& get() const {
    return detail::fitted_get<Path>(*this);
  }

  const steps_type& steps() const { return steps_; }

  // feature_names_out(names) -- the names of the features the pipeline outputs, or that its model receives: each
  // step with feature_names_out maps them (selectors keep the surviving names), a transformer that keeps the width
  // keeps them, another transformer names its outputs kind0, kind1, ... Empty names stand for x0, x1, ...
  std::vector<std::string> feature_names_out(std::vector<std::string> names = {}) const {
    if (names.empty()) {
      for (index j = 0; j < n_features_in(); ++j) names.push_back("x" + std::to_string(j));
    } else if (static_cast<index>(names.size()) != n_features_in()) {
      throw invalid_input("feature_names_out got " + std::to_string(names.size()) + " input names; expected " +
                              std::to_string(n_features_in()) + ", one per input feature (or none)",
                          kind);
    }
    std::apply([&](const auto&... s) { ((names = step_names(s.fitted, std::move(names))), ...); }, steps_);
    return names;
  }

 private:
  template <class F>
  static std::vector<std::string> step_names(const F& f, std::vector<std::string> names) {
    if constexpr (requires { f.feature_names_out(names); }) {
      return f.feature_names_out(names);
    } else if constexpr (fitted_transformer<F>) {
      if (f.n_features_out() == f.n_features_in()) return names;
      std::vector<std::string> out;
      for (index j = 0; j < f.n_features_out(); ++j) out.push_back(std::string(F::kind) + std::to_string(j));
      return out;
    } else {
      return names;  // a model: the names it receives
    }
  }

  const last_type& last() const { return std::get<n_steps - 1>(steps_).fitted; }

  // Step I's output width against step I + 1's input width (nothing for the last step).
  template <std::size_t I>
  void check_link() const {
    if constexpr (I + 1 < n_steps) {
      detail::check_chain_width(kind, std::tuple_element_t<I, steps_type>::name.view(),
                                std::get<I>(steps_).fitted.n_features_out(),
                                std::tuple_element_t<I + 1, steps_type>::name.view(),
                                std::get<I + 1>(steps_).fitted.n_features_in());
    }
  }

  template <std::size_t I, class F>
  decltype(auto) at_step(F&& f) const {
    using step_type = std::tuple_element_t<I, steps_type>;
    return detail::in_step(step_type::name.view(), step_type::fitted_type::kind,
                           [&]() -> decltype(auto) { return f(std::get<I>(steps_).fitted); });
  }

  template <class F>
  decltype(auto) at_last(F&& f) const {
    return at_step<n_steps - 1>(std::forward<F>(f));
  }

  // X through every step but the last, then call(last step's fitted, its input), in row blocks (see by_blocks).
  template <class Call>
  auto through_all(const matrix_view& X, Call call) const {
    return by_blocks(X, [&](const matrix_view& Xb) {
      return through<n_steps - 1>(Xb, [&](const matrix_view& Xt) {
        return at_last([&](const auto& f) { return call(f, Xt); });
      });
    });
  }

  // Large inputs go through the chain a block of rows at a time, so each step's output stays in cache instead of
  // making a full-size intermediate matrix per step. Errors must not depend on the blocking (a row number inside a
  // block would mislead), so on any error the whole input goes through unblocked, which reports it as usual.
  static constexpr index block_rows = 2048;

  template <class F>
  auto by_blocks(const matrix_view& X, F&& f) const {
    if (n_steps == 1 || X.rows() <= 2 * block_rows) return f(X);
    using result_type = decltype(f(X.topRows(1)));
    try {
      result_type first = f(X.topRows(block_rows));
      result_type out;
      if constexpr (result_type::ColsAtCompileTime == 1) out.resize(X.rows());
      else out.resize(X.rows(), first.cols());
      out.topRows(block_rows) = first;
      for (index start = block_rows; start < X.rows(); start += block_rows) {
        const index n = std::min(block_rows, X.rows() - start);
        out.middleRows(start, n) = f(X.middleRows(start, n));
      }
      return out;
    } catch (const error&) {
      return f(X);
    }
  }

  // Transforms X through steps [0, End) and hands the result to f (X itself when End is 0: no copy).
  template <std::size_t End, class F>
  decltype(auto) through(const matrix_view& X, F&& f) const {
    if constexpr (End == 0) {
      return f(X);
    } else {
      matrix Xt = at_step<0>([&](const auto& s) -> matrix { return s.transform(X); });
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((Xt = at_step<I + 1>([&](const auto& s) -> matrix { return s.transform(Xt); })), ...);
      }(std::make_index_sequence<End - 1>{});
      return f(Xt);
    }
  }

  // Passes one row through steps [0, n_steps - 1) in this thread's scratch memory and hands the result to f.
  template <class F>
  decltype(auto) through_one(std::span<const double> row, F&& f) const {
    detail::scratch_frame frame;
    std::span<const double> current = row;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((current = at_step<I>([&](const auto& s) {
          const std::span<double> out = frame.take(static_cast<std::size_t>(s.n_features_out()));
          s.transform_one(current, out);
          return std::span<const double>(out);
        })),
       ...);
    }(std::make_index_sequence<n_steps - 1>{});
    return f(current);
  }

  steps_type steps_;
};

namespace detail {

template <class T>
struct is_pipeline : std::false_type {};
template <class... Steps>
struct is_pipeline<pipeline<Steps...>> : std::true_type {};

template <class T>
concept pipeline_part = is_pipeline<std::remove_cvref_t<T>>::value || step_like<T>;

template <class T>
constexpr auto steps_of(T&& t) {
  if constexpr (is_pipeline<std::remove_cvref_t<T>>::value) return std::forward<T>(t).steps;
  else return std::tuple{to_step(std::forward<T>(t))};
}

template <class... Steps>
constexpr pipeline<Steps...> make_pipeline(std::tuple<Steps...> steps) {
  return pipeline<Steps...>{{}, std::move(steps)};
}

}  // namespace detail

// a | b -- starts a pipeline from two stages, appends a stage to a pipeline, or concatenates two pipelines.
// An unnamed stage is named by its kind; name it with step<"...">(stage) to use it twice.
template <class A, class B>
  requires(detail::pipeline_part<A> && detail::pipeline_part<B>)
constexpr auto operator|(A&& a, B&& b) {
  return detail::make_pipeline(std::tuple_cat(detail::steps_of(std::forward<A>(a)), detail::steps_of(std::forward<B>(b))));
}

// pipeable<A, B> -- whether `a | b` builds a pipeline.
template <class A, class B>
concept pipeable = requires(A a, B b) { std::move(a) | std::move(b); };

// make_pipeline(a, b, ...) -- the same as a | b | ..., and a one-step pipeline from a single stage.
template <class... Parts>
  requires(detail::pipeline_part<Parts> && ...)
constexpr auto make_pipeline(Parts&&... parts) {
  return detail::make_pipeline(std::tuple_cat(detail::steps_of(std::forward<Parts>(parts))...));
}

}  // namespace mlpipe
