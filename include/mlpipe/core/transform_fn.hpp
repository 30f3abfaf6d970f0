#pragma once

#include <concepts>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::move, std::pair

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// function_transformer -- a stateless transformer from a function of the input matrix; made by transform_fn.
// The output width is learned at fit (by one call) and checked at every transform.
template <class F>
struct function_transformer {
  static_assert(std::is_invocable_v<const F&, const matrix_view&> &&
                    std::is_convertible_v<std::invoke_result_t<const F&, const matrix_view&>, matrix>,
                "mlpipe: transform_fn needs a function taking the input (const mlpipe::matrix& or "
                "mlpipe::matrix_view) and returning a matrix or an Eigen expression");
  static constexpr std::string_view kind = "transform_fn";
  static constexpr bool allows_nan = true;         // NaN goes to the function, which decides what it means
  static constexpr bool allocates_per_row = true;  // transform_one calls the function on a 1-row matrix
  static constexpr auto params = std::tuple<>{};

  F fn;

  class fitted {
   public:
    static constexpr std::string_view kind = function_transformer::kind;
    static constexpr int schema_version = 1;

    // An empty shell for load() to fill: the function itself is not saved, so it must be default-constructible
    // (a lambda without captures, or a function object).
    fitted()
      requires std::default_initializable<F>
    = default;
    fitted(F fn, index n_in, index n_out) : fn_(std::move(fn)), n_in_(n_in), n_out_(n_out) {}
    index n_features_in() const { return n_in_; }
    index n_features_out() const { return n_out_; }
    matrix transform(const matrix_view& X) const {
      detail::check_predict_input(kind, X, n_in_, true);
      matrix out = fn_(X);
      check_output(X, out, n_out_);
      return out;
    }

    // One row through the function (as a 1 x n matrix); this allocates, unlike the built-in stages' transform_one.
    void transform_one(std::span<const double> in, std::span<double> out) const {
      const Eigen::Map<const matrix> row(in.data(), 1, static_cast<index>(in.size()));
      const matrix result = transform(row);
      for (index j = 0; j < n_out_; ++j) out[static_cast<std::size_t>(j)] = result(0, j);
    }

    // Throws mlpipe::load_error naming the first broken invariant: at least one input feature, no negative width.
    // (The function itself is code, not state; transform checks its output's width.) load() runs it.
    void check_invariants() const {
      detail::check_state_count(kind, "state.n_features_in", n_in_, 1);
      detail::check_state_count(kind, "state.n_features_out", n_out_, 0);
    }

    template <class Archive>
    void serialize(Archive& ar) {
      ar("n_features_in", n_in_);
      ar("n_features_out", n_out_);
    }

   private:
    F fn_{};
    index n_in_ = 0;
    index n_out_ = 0;
  };

  fitted fit(const matrix_view& X, const vector_view& y = vector()) const { return fit_transform(X, y).first; }

  std::pair<fitted, matrix> fit_transform(const matrix_view& X, const vector_view& = vector()) const {
    detail::check_not_empty(kind, X);
    detail::check_no_infinity(kind, X);  // as transform does
    matrix out = fn(X);
    check_output(X, out, -1);
    return {fitted(fn, X.cols(), out.cols()), std::move(out)};
  }

 private:
  // n_out < 0: any width (at fit, where the width is being learned).
  static void check_output(const matrix_view& X, const matrix& out, index n_out) {
    if (out.rows() != X.rows() || (n_out >= 0 && out.cols() != n_out)) {
      throw invalid_input("the function returned " + std::to_string(out.rows()) + " x " +
                              std::to_string(out.cols()) + " for an input of " + std::to_string(X.rows()) +
                              " rows; expected " + std::to_string(X.rows()) + " rows" +
                               (n_out >= 0 ? " and " + std::to_string(n_out) + " columns" : std::string()),
                          kind);
    }
  }
};

// transform_fn(f) -- a lambda as a stage: transform_fn([](const mlpipe::matrix& X) { return X.array().log1p().matrix(); })
template <class F>
function_transformer<F> transform_fn(F fn) {
  return function_transformer<F>{std::move(fn)};
}

}  // namespace mlpipe
