#pragma once

#include <concepts>     // std::integral
#include <cstdint>      // std::int64_t
#include <optional>
#include <string>
#include <string_view>
#include <variant>      // std::get_if

#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// all_t -- the type of mlpipe::all: "every feature", where a count of features is expected.
struct all_t {
  explicit constexpr all_t() = default;
};

// all -- keep every feature: select_k_best{.k = mlpipe::all} (scikit-learn's k="all").
inline constexpr all_t all{};

// feature_count -- how many features a selector keeps: a count or `all`. Converts implicitly from both, so
// select_k_best{.k = 10} and select_k_best{.k = mlpipe::all} read as they would in scikit-learn. Any integer is
// held; the stage that uses it checks the range when fit starts (k >= 1, k <= the number of features).
class feature_count {
 public:
  constexpr feature_count(all_t) noexcept : all_(true) {}  // NOLINT(google-explicit-constructor): k = all
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  constexpr feature_count(T count) noexcept  // NOLINT(google-explicit-constructor): k = 10
      : count_(static_cast<std::int64_t>(count)) {}

  constexpr bool is_all() const noexcept { return all_; }
  // The count; 0 when is_all().
  constexpr std::int64_t count() const noexcept { return count_; }
  // The number of features kept out of n_features (n_features itself for `all`).
  constexpr index resolve(index n_features) const noexcept {
    return all_ ? n_features : static_cast<index>(count_);
  }

  friend constexpr bool operator==(const feature_count&, const feature_count&) = default;

 private:
  std::int64_t count_ = 0;
  bool all_ = false;
};

// Set from a grid, a file or a command line as an integer (5, or 5.0 from JSON) or the string "all"; saved the same
// way. A grid over k can mix both: {5, 10, "all"}.
template <>
struct param_traits<feature_count> {
  static constexpr std::string_view expected = "an integer or \"all\"";
  static std::optional<feature_count> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (*s == "all") return feature_count(all);
      return std::nullopt;
    }
    if (auto count = param_traits<std::int64_t>::from_value(v)) return feature_count(*count);
    return std::nullopt;
  }
  static param_value to_value(const feature_count& k) {
    if (k.is_all()) return std::string("all");
    return k.count();
  }
};

namespace detail {

// The valid range of a selector's feature count, for validate_params: at least one feature, or all of them.
// (The upper bound depends on the input and is checked by the stage at fit.)
struct one_or_more_or_all {
  constexpr bool contains(const feature_count& k) const { return k.is_all() || k.count() >= 1; }
  std::string describe(std::string_view name) const { return std::string(name) + " >= 1 or \"all\""; }
};

// The same with 0 allowed (select_k_best keeps no feature for k = 0, as scikit-learn).
struct zero_or_more_or_all {
  constexpr bool contains(const feature_count& k) const { return k.is_all() || k.count() >= 0; }
  std::string describe(std::string_view name) const { return std::string(name) + " >= 0 or \"all\""; }
};

}  // namespace detail
}  // namespace mlpipe
