#pragma once

#include <cmath>        // std::isnan
#include <cstddef>
#include <cstdint>      // std::int64_t, std::uint32_t
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <variant>
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/space.hpp"

// Samplers with ask/tell, for searches and for users who tune their own objective:
//   auto sampler = mp::random_sampler{space, {.seed = 0}};
//   for (int i = 0; i < 50; ++i) { auto t = sampler.ask(); sampler.tell(t, objective(t.params())); }
// The value told is MAXIMIZED. Spaces may be conditional: an axis whose path continues a list axis's path with one of
// its values ("scale.min_max_scaler.clip" after "scale" = ["standard_scaler", "min_max_scaler"]) is drawn only when
// that value is chosen, and a space_list draws only the axes of the space it picks. A trial's params hold the active
// paths only, sorted.

namespace mlpipe {
namespace detail {

inline constexpr double inactive = std::numeric_limits<double>::quiet_NaN();

// One parameter of a space list, flattened: its distribution and the condition under which it is drawn.
struct flat_param {
  std::string path;                  // empty for the hidden choice of a space in a list of several
  bool hidden = false;               // the hidden choice of a space
  std::size_t space = 0;             // where its distribution is: spaces()[space].axes()[axis].dist
  std::size_t axis = 0;
  std::size_t n_choices = 0;         // a list's values (or the spaces of the hidden choice); 0 for ranges
  std::ptrdiff_t parent = -1;        // the parameter this one depends on, or -1
  std::size_t parent_value = 0;      // drawn only when the parent's value (its index) is this
};

// A space list as flat parameters, parents before their children; the hidden choice of a space first when there
// are several spaces. Values are kept as doubles: a list's index, a number, or `inactive`.
class flat_space {
 public:
  explicit flat_space(space_list spaces) : spaces_(std::move(spaces)) {
    const std::size_t n_spaces = spaces_.spaces().size();
    if (n_spaces > 1) params_.push_back({.path = {}, .hidden = true, .n_choices = n_spaces});
    for (std::size_t s = 0; s < n_spaces; ++s) {
      const auto& axes = spaces_.spaces()[s].axes();
      const std::size_t first = params_.size();
      for (std::size_t a = 0; a < axes.size(); ++a) {
        const auto& axis = axes[a];
        flat_param p{.path = axis.path, .space = s, .axis = a,
                     .n_choices = axis.dist.is_list() ? axis.dist.values().size() : 0};
        if (n_spaces > 1) p.parent = 0, p.parent_value = s;
        // The nearest list axis of the same space whose path and one of its string values prefix this path.
        std::size_t best_length = 0;
        for (std::size_t q = first; q < params_.size(); ++q) {
          const flat_param& other = params_[q];
          if (other.n_choices == 0 || other.path.size() <= best_length) continue;
          const auto& values = dist(other).values();
          for (std::size_t v = 0; v < values.size(); ++v) {
            const auto* name = std::get_if<std::string>(&values[v]);
            if (name == nullptr) continue;
            const std::string prefix = other.path + "." + *name + ".";
            if (axis.path.starts_with(prefix)) {
              p.parent = static_cast<std::ptrdiff_t>(q);
              p.parent_value = v;
              best_length = other.path.size();
            }
          }
        }
        params_.push_back(std::move(p));
      }
    }
  }

  const space_list& spaces() const { return spaces_; }
  std::size_t size() const { return params_.size(); }
  const flat_param& operator[](std::size_t i) const { return params_[i]; }
  // A parameter's distribution (not for the hidden choice).
  const distribution& dist(const flat_param& p) const { return spaces_.spaces()[p.space].axes()[p.axis].dist; }

  // Whether parameter i is drawn, given the values of the parameters before it.
  bool active(std::size_t i, const double* values) const {
    const flat_param& p = params_[i];
    if (p.parent < 0) return true;
    const double parent = values[p.parent];
    return !std::isnan(parent) && static_cast<std::size_t>(parent) == p.parent_value;
  }

  // A draw as scikit-learn's ParameterSampler draws from the list (a space by rng.choice when there are several,
  // then every axis of it in path order, with the same calls on rng), the inactive parameters set to `inactive`.
  void draw(numpy_random_state& rng, double* values) const {
    const std::size_t n_spaces = spaces_.spaces().size();
    const std::size_t chosen = n_spaces > 1 ? static_cast<std::size_t>(rng.random_interval(n_spaces - 1)) : 0;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const flat_param& p = params_[i];
      if (p.hidden) {
        values[i] = static_cast<double>(chosen);
        continue;
      }
      if (p.space != chosen) {
        values[i] = inactive;
        continue;
      }
      if (p.n_choices > 0) {
        values[i] = static_cast<double>(rng.random_interval(p.n_choices - 1));
      } else {
        const param_value v = dist(p).draw(rng);
        values[i] = std::holds_alternative<std::int64_t>(v) ? static_cast<double>(std::get<std::int64_t>(v))
                                                             : std::get<double>(v);
      }
    }
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (!active(i, values)) values[i] = inactive;
  }

  // The active parameters as a parameter set, in path order.
  param_set to_params(const double* values) const {
    param_set out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const flat_param& p = params_[i];
      if (p.hidden || std::isnan(values[i])) continue;
      if (p.n_choices > 0) out.emplace_back(p.path, dist(p).values()[static_cast<std::size_t>(values[i])]);
      else if (dist(p).is_integer()) out.emplace_back(p.path, static_cast<std::int64_t>(values[i]));
      else out.emplace_back(p.path, values[i]);
    }
    // Paths sorted (a space list's spaces are sorted each, and only one of them is active).
    for (std::size_t a = 1; a < out.size(); ++a)
      for (std::size_t b = a; b > 0 && out[b].first < out[b - 1].first; --b) std::swap(out[b], out[b - 1]);
    return out;
  }

 private:
  space_list spaces_;
  std::vector<flat_param> params_;
};

// The trials a sampler has proposed: their flat values, and the value told for each (NaN while pending).
class trial_log {
 public:
  trial_log(std::string_view kind, std::size_t n_params) : kind_(kind), n_params_(n_params) {}

  std::size_t size() const { return told_.size(); }
  std::size_t n_params() const { return n_params_; }
  std::size_t n_complete() const { return n_complete_; }
  bool complete(std::size_t t) const { return told_[t]; }
  double value(std::size_t t) const { return value_[t]; }
  const double* values(std::size_t t) const { return values_.data() + t * n_params_; }
  double* values(std::size_t t) { return values_.data() + t * n_params_; }

  // Room for a new trial's values, which the caller fills.
  double* add() {
    values_.resize(values_.size() + n_params_, inactive);
    told_.push_back(false);
    value_.push_back(inactive);
    return values_.data() + (told_.size() - 1) * n_params_;
  }

  // Records the value of trial `number`: an error for a trial never asked, told twice, or a NaN value.
  void tell(int number, double value) {
    const std::string at = "tell(trial " + std::to_string(number) + ")";
    if (number < 0 || static_cast<std::size_t>(number) >= told_.size()) {
      throw invalid_parameter(at + ": no such trial was asked; expected a trial from ask() (" +
                                  (told_.empty() ? std::string("none asked yet")
                                                 : "numbers 0 to " + std::to_string(told_.size() - 1)) +
                                  ")",
                              kind_);
    }
    const auto t = static_cast<std::size_t>(number);
    if (told_[t]) {
      throw invalid_parameter(at + ": the trial was already told (value " + format_double(value_[t]) +
                                  "); expected each trial told once",
                              kind_);
    }
    if (std::isnan(value)) {
      throw invalid_parameter(at + ": value = nan; expected a number to maximize (-inf for a failed evaluation)",
                              kind_);
    }
    told_[t] = true;
    value_[t] = value;
    ++n_complete_;
    if (!best_ || value > value_[*best_]) best_ = t;
  }

  // The first trial with the highest value told; an error when none was told.
  std::size_t best() const {
    if (!best_) throw invalid_parameter("no trial has been told yet; expected tell(trial, value) first", kind_);
    return *best_;
  }

 private:
  std::string_view kind_;
  std::size_t n_params_;
  std::vector<double> values_;  // n_params_ per trial
  std::vector<bool> told_;
  std::vector<double> value_;
  std::size_t n_complete_ = 0;
  std::optional<std::size_t> best_;
};

}  // namespace detail

// random_sampler_options -- how a random_sampler draws.
struct random_sampler_options {
  std::uint32_t seed = 0;  // the numpy RandomState seed; the same seed draws the same trials
};

// random_sampler -- proposes independent draws from a space (or a list of spaces), as scikit-learn's
// ParameterSampler draws them for the same seed when some axis is not a list (lists are drawn with replacement
// here: an ask/tell sampler does not know how many trials there will be). tell records values (best_trial) and
// does not change the draws.
class random_sampler {
 public:
  static constexpr std::string_view kind = "random_sampler";

  random_sampler(space_list spaces, random_sampler_options options = {})
      : flat_(std::move(spaces)), log_(kind, flat_.size()), rng_(options.seed) {}

  // The next trial: number 0, 1, ... and a draw of the active parameters.
  trial ask() {
    double* values = log_.add();
    flat_.draw(rng_, values);
    trial t{static_cast<int>(log_.size() - 1), flat_.to_params(values)};
    return t;
  }

  // Records the value (to maximize) of a trial from ask(); an error for an unknown or already told trial or NaN.
  void tell(const trial& t, double value) { log_.tell(t.number, value); }

  // How many trials were asked, and told.
  std::size_t n_trials() const { return log_.size(); }
  std::size_t n_complete() const { return log_.n_complete(); }
  // The first trial with the highest value told, and that value; an error before any tell.
  trial best_trial() const {
    const std::size_t b = log_.best();
    return trial{static_cast<int>(b), flat_.to_params(log_.values(b))};
  }
  double best_value() const { return log_.value(log_.best()); }

 private:
  detail::flat_space flat_;
  detail::trial_log log_;
  numpy_random_state rng_;
};

}  // namespace mlpipe
