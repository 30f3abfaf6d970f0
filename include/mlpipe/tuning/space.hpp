#pragma once

#include <algorithm>    // std::min
#include <cmath>        // std::pow, std::floor, std::isfinite, std::nextafter
#include <concepts>
#include <cstddef>
#include <cstdint>      // std::int64_t, std::uint32_t
#include <initializer_list>
#include <span>
#include <string_view>
#include <string>
#include <type_traits>
#include <utility>      // std::move, std::swap
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/tuning/grid.hpp"

// Search spaces: a distribution for each parameter path, from which random searches, successive halving, Hyperband
// and the samplers draw candidates. Draws from a space follow scikit-learn's ParameterSampler with numpy's legacy
// RandomState (numpy_random_state) draw for draw:
// - a space whose axes are all lists: the candidates are sklearn.utils.random.sample_without_replacement(grid size,
//   n, rng) indices into the grid in ParameterGrid order (permutation, tracking selection or reservoir sampling, as
//   scikit-learn picks them), the same candidates in the same order for the same seed;
// - otherwise each draw picks a sub-space (rng.choice, no draw for a single space), then, paths sorted: a list's
//   value by rng.randint(len), uniform(low, high) as scipy.stats.uniform(low, high - low).rvs (u * scale + low),
//   loguniform(low, high) as scipy.stats.loguniform(low, high).rvs (low * (high / low)^u), int_uniform(low, high) as
//   scipy.stats.randint(low, high + 1).rvs; int_loguniform has no scipy counterpart (floor of a log-uniform draw on
//   [low, high + 1), at most high).

namespace mlpipe {

// distribution -- how a search draws one parameter's value: a list of values (chosen uniformly) or a numeric range.
class distribution {
 public:
  enum class shape { list, uniform, log_uniform, int_uniform, int_log_uniform };

  shape type() const { return type_; }
  double low() const { return low_; }
  double high() const { return high_; }
  // A list's values (empty for a numeric range).
  const std::vector<param_value>& values() const { return values_; }
  bool is_list() const { return type_ == shape::list; }
  bool is_integer() const { return type_ == shape::int_uniform || type_ == shape::int_log_uniform; }
  bool is_log() const { return type_ == shape::log_uniform || type_ == shape::int_log_uniform; }

  // As written: loguniform(0.001, 1000), int_uniform(2, 30), [0.1, 1, "l2"].
  std::string describe() const {
    if (is_list()) return "[" + detail::join_formatted(values_, format_value) + "]";
    static constexpr const char* names[] = {"", "uniform", "loguniform", "int_uniform", "int_loguniform"};
    return std::string(names[static_cast<int>(type_)]) + "(" + format_double(low_) + ", " + format_double(high_) + ")";
  }

  // One draw, as scikit-learn's ParameterSampler draws this distribution (see the top of this header).
  param_value draw(numpy_random_state& rng) const {
    switch (type_) {
      case shape::list:
        return values_[static_cast<std::size_t>(rng.random_interval(values_.size() - 1))];
      case shape::uniform:
        return rng.uniform() * (high_ - low_) + low_;
      case shape::log_uniform:
        return low_ * std::pow(high_ / low_, rng.uniform());
      case shape::int_uniform:
        return static_cast<std::int64_t>(low_) +
               static_cast<std::int64_t>(rng.random_interval(static_cast<std::uint64_t>(high_ - low_)));
      case shape::int_log_uniform: {
        const double x = std::floor(low_ * std::pow((high_ + 1.0) / low_, rng.uniform()));
        return static_cast<std::int64_t>(x < high_ ? x : high_);
      }
    }
    return param_value{};
  }

  // The distribution of n values (the factories below build them).
  static distribution make_list(std::vector<param_value> values) {
    distribution d;
    d.type_ = shape::list;
    d.values_ = std::move(values);
    return d;
  }
  static distribution make_range(shape type, double low, double high) {
    distribution d;
    d.type_ = type;
    d.low_ = low;
    d.high_ = high;
    return d;
  }

 private:
  distribution() = default;
  shape type_ = shape::list;
  double low_ = 0.0;
  double high_ = 0.0;
  std::vector<param_value> values_;
};

// uniform(low, high) -- a real value drawn uniformly from [low, high).
inline distribution uniform(double low, double high) {
  return distribution::make_range(distribution::shape::uniform, low, high);
}
// loguniform(low, high) -- a real value whose logarithm is uniform: as likely in [0.001, 0.01) as in [1, 10). 0 < low.
inline distribution loguniform(double low, double high) {
  return distribution::make_range(distribution::shape::log_uniform, low, high);
}
// int_uniform(low, high) -- an integer drawn uniformly from low..high, both included.
inline distribution int_uniform(std::int64_t low, std::int64_t high) {
  return distribution::make_range(distribution::shape::int_uniform, static_cast<double>(low),
                                  static_cast<double>(high));
}
// int_loguniform(low, high) -- an integer from low..high (both included) on a log scale: small values more often.
inline distribution int_loguniform(std::int64_t low, std::int64_t high) {
  return distribution::make_range(distribution::shape::int_log_uniform, static_cast<double>(low),
                                  static_cast<double>(high));
}
// choice({"l1", "l2"}) -- one of the values, each as likely (a categorical parameter; the same as a plain list).
inline distribution choice(std::initializer_list<param_value> values) { return distribution::make_list(values); }
inline distribution choice(std::vector<param_value> values) { return distribution::make_list(std::move(values)); }

// space_axis -- one parameter path and its distribution: {"model.C", loguniform(1e-3, 1e3)}, or a plain list of
// values as in a grid: {"select.k", {5, 10, 20}}.
struct space_axis {
  space_axis(std::string path, distribution dist) : path(std::move(path)), dist(std::move(dist)) {}
  space_axis(std::string path, std::initializer_list<param_value> values)
      : path(std::move(path)), dist(distribution::make_list(values)) {}
  space_axis(std::string path, std::vector<param_value> values)
      : path(std::move(path)), dist(distribution::make_list(std::move(values))) {}

  std::string path;
  distribution dist;
};

// space -- a distribution per parameter path, checked as it is built (each path once, at least one axis, 0 < low <
// high on a log scale, low < high for real ranges and low <= high for integer ones, finite bounds, non-empty lists).
// Its axes are kept sorted by path, as scikit-learn sorts a dictionary's keys before drawing.
class space {
 public:
  space(std::initializer_list<space_axis> axes) : axes_(axes) { check(); }
  explicit space(std::vector<space_axis> axes) : axes_(std::move(axes)) { check(); }
  // A grid's axes as lists: a random search over a grid samples its candidates without replacement.
  explicit space(const grid& g) {
    for (const auto& axis : g.axes()) axes_.emplace_back(axis.path, axis.values);
    check();
  }

  const std::vector<space_axis>& axes() const { return axes_; }
  // Every axis is a list: the space is a grid (how many candidates: grid_size()).
  bool all_lists() const {
    for (const auto& axis : axes_)
      if (!axis.dist.is_list()) return false;
    return true;
  }
  // The number of combinations of the lists' values (only meaningful when all_lists()).
  std::size_t grid_size() const {
    std::size_t n = 1;
    for (const auto& axis : axes_) n *= axis.dist.is_list() ? axis.dist.values().size() : 0;
    return n;
  }
  // The index-th combination in scikit-learn's ParameterGrid order (the last path varying fastest).
  param_set grid_candidate(std::size_t index) const {
    param_set out(axes_.size());
    for (std::size_t a = axes_.size(); a-- > 0;) {
      const auto& values = axes_[a].dist.values();
      out[a] = {axes_[a].path, values[index % values.size()]};
      index /= values.size();
    }
    return out;
  }
  // One draw of every axis, paths in order.
  param_set draw(numpy_random_state& rng) const {
    param_set out;
    out.reserve(axes_.size());
    for (const auto& axis : axes_) out.emplace_back(axis.path, axis.dist.draw(rng));
    return out;
  }

 private:
  void check() {
    if (axes_.empty()) throw invalid_parameter("space: no parameters; expected at least one {path, distribution}");
    for (std::size_t a = 1; a < axes_.size(); ++a)
      for (std::size_t b = a; b > 0 && axes_[b].path < axes_[b - 1].path; --b) std::swap(axes_[b], axes_[b - 1]);
    for (std::size_t a = 0; a < axes_.size(); ++a) {
      const auto& axis = axes_[a];
      if (a > 0 && axis.path == axes_[a - 1].path)
        throw invalid_parameter("space: the path '" + axis.path + "' appears twice; expected each path once");
      check_axis(axis);
    }
  }

  static void check_axis(const space_axis& axis) {
    const distribution& d = axis.dist;
    const std::string at = "space: '" + axis.path + "' = " + d.describe() + ": ";
    if (d.is_list()) {
      if (d.values().empty()) throw invalid_parameter(at + "no values; expected at least one");
      return;
    }
    if (!std::isfinite(d.low()) || !std::isfinite(d.high()))
      throw invalid_parameter(at + "the bounds are not finite; expected finite low and high");
    if (d.is_log() && d.low() <= 0.0)
      throw invalid_parameter(at + "low = " + format_double(d.low()) +
                              " is not positive; expected 0 < low on a log scale");
    if (d.is_integer() ? d.low() > d.high() : d.low() >= d.high())
      throw invalid_parameter(at + "low = " + format_double(d.low()) + (d.is_integer() ? " > " : " >= ") +
                              "high = " + format_double(d.high()) + "; expected low " +
                              (d.is_integer() ? "<=" : "<") + " high");
  }

  std::vector<space_axis> axes_;
};

namespace detail {

// sklearn.utils.random.sample_without_replacement(n_population, n_samples, random_state=rng) with method "auto":
// a permutation's first n_samples when 0.01 < n_samples / n_population < 0.99, else tracking selection (ratio
// < 0.2) or reservoir sampling; the same integers in the same order for the same numpy legacy stream.
inline std::vector<std::size_t> sample_without_replacement(std::size_t n_population, std::size_t n_samples,
                                                           numpy_random_state& rng) {
  const double ratio = n_population != 0 ? static_cast<double>(n_samples) / static_cast<double>(n_population) : 1.0;
  std::vector<std::size_t> out;
  if (ratio > 0.01 && ratio < 0.99) {
    std::vector<std::size_t> all(n_population);
    for (std::size_t i = 0; i < n_population; ++i) all[i] = i;
    rng.shuffle(std::span<std::size_t>(all));
    all.resize(n_samples);
    return all;
  }
  if (ratio < 0.2) {  // tracking selection: rng.randint(n_population) until unseen
    std::vector<bool> seen(n_population, false);
    for (std::size_t i = 0; i < n_samples; ++i) {
      std::size_t j = 0;
      do j = static_cast<std::size_t>(rng.random_interval(n_population - 1));
      while (seen[j]);
      seen[j] = true;
      out.push_back(j);
    }
    return out;
  }
  out.resize(n_samples);  // reservoir sampling: j = rng.randint(0, i + 1) replaces out[j] when j < n_samples
  for (std::size_t i = 0; i < n_samples; ++i) out[i] = i;
  for (std::size_t i = n_samples; i < n_population; ++i) {
    const auto j = static_cast<std::size_t>(rng.random_interval(i));
    if (j < n_samples) out[j] = i;
  }
  return out;
}

}  // namespace detail

// space_list -- several spaces, as scikit-learn's list of parameter dictionaries: each draw first picks one of them
// (rng.choice), and an all-lists search samples their grids, concatenated, without replacement.
class space_list {
 public:
  space_list(std::initializer_list<space> spaces) : spaces_(spaces) { check(); }
  explicit space_list(std::vector<space> spaces) : spaces_(std::move(spaces)) { check(); }
  space_list(space s) : spaces_{std::move(s)} {}  // NOLINT: one space is a list of one

  const std::vector<space>& spaces() const { return spaces_; }

  bool all_lists() const {
    for (const auto& s : spaces_)
      if (!s.all_lists()) return false;
    return true;
  }
  std::size_t grid_size() const {
    std::size_t n = 0;
    for (const auto& s : spaces_) n += s.grid_size();
    return n;
  }
  // The index-th candidate of the concatenated grids (scikit-learn's ParameterGrid over a list of dictionaries).
  param_set grid_candidate(std::size_t index) const {
    for (const auto& s : spaces_) {
      if (index < s.grid_size()) return s.grid_candidate(index);
      index -= s.grid_size();
    }
    return {};
  }

  // One candidate drawn as ParameterSampler draws it when some axis is not a list: a space by rng.choice, then its
  // axes in path order.
  param_set draw(numpy_random_state& rng) const {
    const auto which = static_cast<std::size_t>(rng.random_interval(spaces_.size() - 1));
    return spaces_[which].draw(rng);
  }

  // The candidates of ParameterSampler(spaces, n, random_state=rng), in its order: without replacement from the
  // grid when every axis is a list (at most grid_size() of them), else n independent draws.
  std::vector<param_set> sample(std::size_t n, numpy_random_state& rng) const {
    std::vector<param_set> out;
    if (all_lists()) {
      for (const std::size_t i : detail::sample_without_replacement(grid_size(), std::min(n, grid_size()), rng))
        out.push_back(grid_candidate(i));
      return out;
    }
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(draw(rng));
    return out;
  }

 private:
  void check() const {
    if (spaces_.empty()) throw invalid_parameter("space_list: no spaces; expected at least one");
  }
  std::vector<space> spaces_;
};

// trial_params -- a trial's parameter set; also callable, so that both trial.params and trial.params() read it.
struct trial_params : param_set {
  trial_params() = default;
  trial_params(param_set p) : param_set(std::move(p)) {}  // NOLINT: a param_set is a trial's parameters
  const param_set& operator()() const { return *this; }
};

// trial -- one proposal of a sampler: its number (0, 1, ... in the order asked) and the parameters to evaluate.
struct trial {
  int number = 0;
  trial_params params;
};

// sampler -- proposes parameter sets and learns from their values: ask() a trial, evaluate it, tell(trial, value)
// with the value to MAXIMIZE (a search tells the mean test score of its first scorer).
template <class S>
concept sampler = requires(S& s, const trial& t, double value) {
  { s.ask() } -> std::same_as<trial>;
  s.tell(t, value);
};

namespace detail {

// Checks one axis against a spec before anything is fitted: the path exists (else the did-you-mean error of
// set_param), a real range is not drawn for an integer parameter, and the values a draw can give (a list's every
// value; a range's two ends, the upper one excluded for real ranges) have the parameter's type and range
// (validate_all). Errors name the axis.
template <class Spec>
void check_axis_against(const Spec& spec, const space_axis& axis, std::string_view kind) {
  try {
    const distribution& d = axis.dist;
    std::vector<param_value> probes;
    if (d.is_list()) {
      probes = d.values();
    } else {
      bool integral = false;
      const bool found = visit_param(spec, axis.path, [&](const auto& ref, const auto&, std::string_view) {
        using M = std::remove_cvref_t<decltype(ref)>;
        integral = std::is_integral_v<M> && !std::is_same_v<M, bool>;
      });
      if (!found) throw unknown_path_error(axis.path, mlpipe::param_names(spec));
      if (integral && !d.is_integer())
        throw invalid_parameter("parameter '" + axis.path + "' is an integer; expected int_uniform or "
                                "int_loguniform, or a list, instead of " + d.describe());
      if (d.is_integer()) {
        probes = {static_cast<std::int64_t>(d.low()), static_cast<std::int64_t>(d.high())};
      } else {
        probes = {d.low(), std::nextafter(d.high(), d.low())};
      }
    }
    for (const auto& value : probes) {
      Spec probe = spec;
      mlpipe::set_param(probe, axis.path, value);
      validate_all(probe);
    }
  } catch (error& e) {
    e.add_note("space axis '" + axis.path + "' = " + axis.dist.describe());
    e.add_kind(kind);
    throw;
  }
}

}  // namespace detail

// check_space(spec, spaces) -- every axis of every space checked against the spec (paths with did-you-mean, value
// types, ranges), before a search fits anything; the error names the search kind and the axis.
template <class Spec>
void check_space(const Spec& spec, const space_list& spaces, std::string_view kind = "search") {
  for (const auto& s : spaces.spaces())
    for (const auto& axis : s.axes()) detail::check_axis_against(spec, axis, kind);
}

}  // namespace mlpipe
