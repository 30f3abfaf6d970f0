#pragma once

#include <algorithm>    // std::sort, std::upper_bound, std::clamp, std::min, std::max
#include <cmath>        // std::erfc, std::log, std::exp, std::sqrt, std::pow, std::nearbyint
#include <cstddef>
#include <cstdint>      // std::uint32_t
#include <limits>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/tuning/sampler.hpp"
#include "mlpipe/tuning/space.hpp"

// tpe_sampler -- the Tree-structured Parzen Estimator (Bergstra et al. 2011) with Optuna's TPESampler defaults:
// - the first n_startup_trials trials (10) are random draws, as random_sampler draws them;
// - then the told trials are split by value: the best gamma(n) = min(ceil(n / 10), 25) are "below" (good), the rest
//   "above"; pending trials (asked, not told) join the above ones (the constant liar), so trials asked before the
//   earlier ones are told differ from each other, and a search that asks and tells in a fixed order gets the same
//   trials for any number of threads;
// - each parameter gets two Parzen estimators, l(x) from the good trials and g(x) from the others: a truncated
//   normal kernel per observation (weights 1, the older ones ramped down past 25 observations: Optuna's
//   default_weights) plus a prior kernel (weight prior_weight = 1, centred, as wide as the range); bandwidths are the
//   larger distance to a neighbour (the prior's centre counted, consider_endpoints = false), clipped to
//   [range / min(100, 1 + n_kernels), range] (the magic clip); log domains are modelled in log space, integers with
//   kernels integrated over [x - 1/2, x + 1/2]; categories with a kernel per observation that puts weight 1 on its
//   category and prior_weight / n_kernels on each;
// - n_ei_candidates = 24 draws from l(x); the one with the highest log l(x) - log g(x) is proposed.
// Univariate by default (each parameter on its own); multivariate models the parameters that are always drawn
// jointly (Optuna's multivariate=True: product kernels with bandwidth 0.2 n^(-1/(d+4)) range). Conditional parameters
// (sampler.hpp) are modelled from the trials that drew them. Seeded (numpy's MT19937 stream), deterministic.
// Each ask costs O(n log n) for the split and O(n) per candidate and parameter, with no allocation once the buffers
// have grown.

namespace mlpipe {

// tpe_options -- the settings of a tpe_sampler (Optuna's defaults).
struct tpe_options {
  std::uint32_t seed = 0;           // the seed of every draw; the same seed and the same tells give the same trials
  int n_startup_trials = 10;        // the first trials are random draws (>= 0)
  int n_ei_candidates = 24;         // draws from l(x) per parameter, of which the best l(x) / g(x) is proposed (>= 1)
  double prior_weight = 1.0;        // the weight of the prior kernel (> 0)
  bool consider_magic_clip = true;  // bandwidths at least range / min(100, 1 + number of kernels)
  bool consider_endpoints = false;  // the first and last kernels' bandwidths may reach the range's ends
  bool multivariate = false;        // model the parameters that are always drawn jointly
  bool constant_liar = true;        // pending trials count as bad ones (Optuna's default is false)
};

namespace detail {

inline constexpr double sqrt1_2 = 0.707106781186547524400844362105;  // 1 / sqrt(2)

// Phi(z), the standard normal distribution function.
inline double normal_cdf(double z) { return 0.5 * std::erfc(-z * sqrt1_2); }

// log Phi(z), also far in the left tail (the asymptotic series where erfc underflows).
inline double log_normal_cdf(double z) {
  if (z > -37.0) return std::log(normal_cdf(z));
  const double r = 1.0 / (z * z);
  return -0.5 * z * z - std::log(-z) - special::detail::half_log_2pi + std::log(1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r)));
}

// log(Phi(b) - Phi(a)) for a <= b, without cancellation in either tail.
inline double log_normal_mass(double a, double b) {
  if (b <= 0.0) {
    const double la = log_normal_cdf(a);
    const double lb = log_normal_cdf(b);
    return lb + std::log1p(-std::exp(la - lb));
  }
  if (a > 0.0) return log_normal_mass(-b, -a);
  return std::log1p(-normal_cdf(a) - normal_cdf(-b));
}

// Phi^-1(p) for 0 <= p <= 1/2 (-inf at 0): Acklam's rational approximation and one Halley step on erfc.
inline double normal_quantile_lower(double p) {
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  double x = 0.0;
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q -
           2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00) /
        ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q +
          3.754408661907416e+00) * q + 1.0);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
           1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q /
        (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
           6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
  }
  const double e = normal_cdf(x) - p;
  const double u = e * 2.506628274631000502415765284811 * std::exp(0.5 * x * x);  // e / phi(x)
  return x - u / (1.0 + 0.5 * x * u);
}

// A standard normal draw truncated to [a, b] by the inverse of its distribution function at u in [0, 1), computed on
// the side of the median where it is accurate.
inline double truncated_normal_draw(double a, double b, double u) {
  if (a > 0.0) return -truncated_normal_draw(-b, -a, u);
  const double pa = normal_cdf(a);
  double x = 0.0;
  if (b <= 0.0) {
    x = normal_quantile_lower(pa + u * (normal_cdf(b) - pa));
  } else {
    const double qb = normal_cdf(-b);
    const double mass = 1.0 - pa - qb;
    const double p = pa + u * mass;
    x = p <= 0.5 ? normal_quantile_lower(p) : -normal_quantile_lower(qb + (1.0 - u) * mass);
  }
  return std::clamp(x, a, b);
}

// log(sum exp(v)) of n values.
inline double log_sum_exp(const double* v, std::size_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, v[i]);
  if (m == -std::numeric_limits<double>::infinity()) return m;
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += std::exp(v[i] - m);
  return m + std::log(s);
}

// Optuna's default_gamma: how many of n told trials are the good ones.
inline std::size_t tpe_gamma(std::size_t n) { return std::min<std::size_t>((n + 9) / 10, 25); }

// Optuna's default_weights for n observations in trial order, then the prior's weight, normalized; and their running
// sums for drawing a kernel.
inline void tpe_kernel_weights(std::size_t n, double prior_weight, std::vector<double>& weights,
                               std::vector<double>& cumulative) {
  weights.assign(n + 1, 1.0);
  if (n >= 25) {
    const std::size_t ramp = n - 25;  // numpy.linspace(1 / n, 1, n - 25), then 25 ones
    const double first = 1.0 / static_cast<double>(n);
    for (std::size_t i = 0; i < ramp; ++i)
      weights[i] = ramp == 1 ? first
                             : (i + 1 == ramp ? 1.0
                                              : first + static_cast<double>(i) * (1.0 - first) /
                                                            static_cast<double>(ramp - 1));
  }
  weights[n] = n == 0 ? 1.0 : prior_weight;
  double total = 0.0;
  for (double w : weights) total += w;
  cumulative.resize(n + 1);
  double running = 0.0;
  for (std::size_t k = 0; k <= n; ++k) {
    weights[k] /= total;
    running += weights[k];
    cumulative[k] = running;
  }
}

// A kernel drawn by its weight.
inline std::size_t draw_kernel(const std::vector<double>& cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u * cumulative.back());
  return std::min(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// The kernels of one numeric parameter (observations and prior) in its modelling space: log for log domains; an
// integer's interval widened by 1/2 at each end.
class numeric_kernels {
 public:
  // Kernels at the n observations (in trial order) and the prior. dims = 0: univariate bandwidths; else the
  // multivariate bandwidth for dims jointly modelled parameters.
  void build(const distribution& d, const double* observations, std::size_t n, const tpe_options& o,
             std::size_t dims) {
    low_ = d.low();
    high_ = d.high();
    log_ = d.is_log();
    integer_ = d.is_integer();
    lo_ = to_model(integer_ ? low_ - 0.5 : low_);
    hi_ = to_model(integer_ ? high_ + 0.5 : high_);
    const double range = hi_ - lo_;
    mu_.resize(n + 1);
    sigma_.resize(n + 1);
    for (std::size_t i = 0; i < n; ++i) mu_[i] = to_model(observations[i]);
    mu_[n] = 0.5 * (lo_ + hi_);
    if (dims > 0) {
      const double s = 0.2 * std::pow(static_cast<double>(std::max<std::size_t>(n, 1)),
                                      -1.0 / static_cast<double>(dims + 4)) * range;
      for (std::size_t i = 0; i < n; ++i) sigma_[i] = s;
    } else {
      // The larger gap to a neighbour, the prior's centre and the range's ends included.
      order_.resize(n + 1);
      for (std::size_t i = 0; i <= n; ++i) order_[i] = i;
      std::sort(order_.begin(), order_.end(),
                [&](std::size_t a, std::size_t b) { return mu_[a] < mu_[b] || (mu_[a] == mu_[b] && a < b); });
      const std::size_t m = n + 1;
      const auto at = [&](std::size_t j) { return j == 0 ? lo_ : (j == m + 1 ? hi_ : mu_[order_[j - 1]]); };
      for (std::size_t j = 0; j < m; ++j) {
        double s = std::max(at(j + 1) - at(j), at(j + 2) - at(j + 1));
        if (!o.consider_endpoints && m >= 2) {
          if (j == 0) s = at(2) - at(1);
          if (j == m - 1) s = at(m) - at(m - 1);
        }
        if (order_[j] < n) sigma_[order_[j]] = s;
      }
    }
    const double min_sigma =
        o.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(n + 1)) : 1e-12;
    for (std::size_t i = 0; i < n; ++i) sigma_[i] = std::clamp(sigma_[i], min_sigma, range);
    sigma_[n] = range;
    // Per kernel: log of its normalization over the interval (and of its density's constant, for real values).
    log_norm_.resize(n + 1);
    for (std::size_t k = 0; k <= n; ++k) {
      const double mass = log_normal_mass((lo_ - mu_[k]) / sigma_[k], (hi_ - mu_[k]) / sigma_[k]);
      log_norm_[k] = integer_ ? -mass : -mass - std::log(sigma_[k]) - special::detail::half_log_2pi;
    }
  }

  std::size_t size() const { return mu_.size(); }

  // A value drawn from kernel k, in the parameter's own units (an integer rounded to the grid, within bounds).
  double draw(std::size_t k, numpy_random_state& rng) const {
    const double z = truncated_normal_draw((lo_ - mu_[k]) / sigma_[k], (hi_ - mu_[k]) / sigma_[k], rng.uniform());
    const double x = from_model(mu_[k] + sigma_[k] * z);
    if (integer_) return std::clamp(std::nearbyint(x - low_) + low_, low_, high_);
    return std::clamp(x, low_, high_);
  }

  // Adds each kernel's log density (an integer's: log probability) at x to out[k].
  void add_log_densities(double x, double* out) const {
    const std::size_t n = mu_.size();
    if (integer_) {
      const double lower = to_model(x - 0.5);
      const double upper = to_model(x + 0.5);
      for (std::size_t k = 0; k < n; ++k) {
        const double inv = 1.0 / sigma_[k];
        out[k] += log_norm_[k] + log_normal_mass((lower - mu_[k]) * inv, (upper - mu_[k]) * inv);
      }
    } else {
      const double t = to_model(x);
      for (std::size_t k = 0; k < n; ++k) {
        const double z = (t - mu_[k]) / sigma_[k];
        out[k] += log_norm_[k] - 0.5 * z * z;
      }
    }
  }

 private:
  double to_model(double x) const { return log_ ? std::log(x) : x; }
  double from_model(double t) const { return log_ ? std::exp(t) : t; }

  double low_ = 0.0, high_ = 0.0;  // the parameter's bounds
  double lo_ = 0.0, hi_ = 0.0;     // the kernels' interval, in the modelling space
  bool log_ = false;
  bool integer_ = false;
  std::vector<double> mu_, sigma_, log_norm_;
  std::vector<std::size_t> order_;
};

// The kernels of one categorical parameter: kernel k < n puts weight 1 + prior_weight / (n + 1) on its observed
// category and prior_weight / (n + 1) on each other one (normalized); the prior kernel is uniform.
class categorical_kernels {
 public:
  void build(std::size_t n_choices, const double* observations, std::size_t n, const tpe_options& o) {
    n_choices_ = n_choices;
    observed_.resize(n);
    for (std::size_t i = 0; i < n; ++i) observed_[i] = static_cast<std::size_t>(observations[i]);
    base_ = o.prior_weight / static_cast<double>(n + 1);
    const double row = base_ * static_cast<double>(n_choices) + 1.0;
    log_other_ = std::log(base_ / row);
    log_hit_ = std::log((base_ + 1.0) / row);
    log_uniform_ = -std::log(static_cast<double>(n_choices));
  }

  std::size_t size() const { return observed_.size() + 1; }

  double draw(std::size_t k, numpy_random_state& rng) const {
    const double u = rng.uniform();
    if (k == observed_.size()) return std::min(std::floor(u * static_cast<double>(n_choices_)),
                                               static_cast<double>(n_choices_ - 1));
    // The observed category takes (base + 1) of the row's base * n_choices + 1, the others base each, in order.
    double at = u * (base_ * static_cast<double>(n_choices_) + 1.0);
    for (std::size_t c = 0; c < n_choices_; ++c) {
      at -= base_ + (c == observed_[k] ? 1.0 : 0.0);
      if (at < 0.0) return static_cast<double>(c);
    }
    return static_cast<double>(n_choices_ - 1);
  }

  void add_log_densities(double x, double* out) const {
    const auto c = static_cast<std::size_t>(x);
    const std::size_t n = observed_.size();
    for (std::size_t k = 0; k < n; ++k) out[k] += observed_[k] == c ? log_hit_ : log_other_;
    out[n] += log_uniform_;
  }

 private:
  std::size_t n_choices_ = 0;
  std::vector<std::size_t> observed_;
  double base_ = 0.0, log_other_ = 0.0, log_hit_ = 0.0, log_uniform_ = 0.0;
};

// One parameter's kernels, numeric or categorical.
struct parameter_kernels {
  bool categorical = false;
  numeric_kernels numeric;
  categorical_kernels categories;

  void build(const flat_space& flat, std::size_t i, const double* observations, std::size_t n, const tpe_options& o,
             std::size_t dims) {
    const flat_param& p = flat[i];
    categorical = p.n_choices > 0;
    if (categorical) categories.build(p.n_choices, observations, n, o);
    else numeric.build(flat.dist(p), observations, n, o, dims);
  }
  double draw(std::size_t k, numpy_random_state& rng) const {
    return categorical ? categories.draw(k, rng) : numeric.draw(k, rng);
  }
  void add_log_densities(double x, double* out) const {
    if (categorical) categories.add_log_densities(x, out);
    else numeric.add_log_densities(x, out);
  }
};

}  // namespace detail

// tpe_sampler -- proposes trials with the Tree-structured Parzen Estimator (see the top of this header); the value
// told is maximized. mp::tpe_sampler{space, {.seed = 0}}; t = s.ask(); s.tell(t, value).
class tpe_sampler {
 public:
  static constexpr std::string_view kind = "tpe_sampler";

  tpe_sampler(space_list spaces, tpe_options options = {})
      : flat_(std::move(spaces)), log_(kind, flat_.size()), options_(options), rng_(options.seed) {
    check_options();
    // The parameters modelled jointly when multivariate: those drawn in every trial.
    for (std::size_t i = 0; i < flat_.size(); ++i)
      if (flat_[i].parent < 0) joint_.push_back(i);
    if (!options_.multivariate || joint_.size() < 2) joint_.clear();
    below_.resize(flat_.size());
    above_.resize(flat_.size());
  }

  // The next trial: a random draw for the first n_startup_trials, then the TPE proposal.
  trial ask() {
    log_.add();
    const std::size_t number = log_.size() - 1;
    double* values = log_.values(number);
    if (number < static_cast<std::size_t>(options_.n_startup_trials)) flat_.draw(rng_, values);
    else propose(number, values);
    return trial{static_cast<int>(number), flat_.to_params(values)};
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
  const tpe_options& options() const { return options_; }

 private:
  void check_options() const {
    const auto out_of_range = [](const std::string& what, const std::string& expected) {
      throw invalid_parameter(what + " is out of range; expected " + expected, kind);
    };
    if (options_.n_startup_trials < 0)
      out_of_range("n_startup_trials = " + std::to_string(options_.n_startup_trials), "n_startup_trials >= 0");
    if (options_.n_ei_candidates < 1)
      out_of_range("n_ei_candidates = " + std::to_string(options_.n_ei_candidates), "n_ei_candidates >= 1");
    if (!(options_.prior_weight > 0.0) || !std::isfinite(options_.prior_weight))
      out_of_range("prior_weight = " + format_double(options_.prior_weight), "a finite prior_weight > 0");
  }

  // Splits the trials before `number` into good (0), bad (1) and unused (2: pending without the constant liar).
  void split(std::size_t number) {
    ranked_.clear();
    for (std::size_t t = 0; t < number; ++t)
      if (log_.complete(t)) ranked_.push_back(t);
    std::sort(ranked_.begin(), ranked_.end(), [&](std::size_t a, std::size_t b) {
      const double va = log_.value(a), vb = log_.value(b);
      return va > vb || (va == vb && a < b);
    });
    const std::size_t n_below = std::min(detail::tpe_gamma(ranked_.size()), ranked_.size());
    group_.assign(number, options_.constant_liar ? 1 : 2);
    for (std::size_t r = 0; r < ranked_.size(); ++r) group_[ranked_[r]] = r < n_below ? 0 : 1;
  }

  // The values of parameter i in the trials of group g that drew it, in trial order.
  void observations(std::size_t i, unsigned char g, std::vector<double>& out) const {
    out.clear();
    for (std::size_t t = 0; t < group_.size(); ++t) {
      if (group_[t] != g) continue;
      const double v = log_.values(t)[i];
      if (!std::isnan(v)) out.push_back(v);
    }
  }

  // The joint observations of the parameters in joint_, trial by trial (those that drew them all).
  std::size_t joint_observations(unsigned char g, std::vector<std::vector<double>>& out) const {
    out.resize(joint_.size());
    for (auto& column : out) column.clear();
    for (std::size_t t = 0; t < group_.size(); ++t) {
      if (group_[t] != g) continue;
      const double* v = log_.values(t);
      bool all = true;
      for (std::size_t i : joint_) all = all && !std::isnan(v[i]);
      if (!all) continue;
      for (std::size_t j = 0; j < joint_.size(); ++j) out[j].push_back(v[joint_[j]]);
    }
    return out.empty() ? 0 : out[0].size();
  }

  void propose(std::size_t number, double* values) {
    split(number);
    const auto n_candidates = static_cast<std::size_t>(options_.n_ei_candidates);
    if (!joint_.empty()) propose_joint(values, n_candidates);
    for (std::size_t i = 0; i < flat_.size(); ++i) {
      if (!joint_.empty() && flat_[i].parent < 0) continue;  // proposed jointly above
      if (!flat_.active(i, values)) {
        values[i] = detail::inactive;
        continue;
      }
      observations(i, 0, good_);
      observations(i, 1, bad_);
      below_[0].build(flat_, i, good_.data(), good_.size(), options_, 0);
      above_[0].build(flat_, i, bad_.data(), bad_.size(), options_, 0);
      kernel_weights(good_.size(), bad_.size());
      double best = -std::numeric_limits<double>::infinity();
      drawn_.clear();
      scores_.clear();
      for (std::size_t c = 0; c < n_candidates; ++c) {
        const std::size_t k = detail::draw_kernel(cumulative_below_, rng_.uniform());
        const double x = below_[0].draw(k, rng_);
        // Integers and categories repeat among the candidates: each distinct value is scored once.
        std::size_t seen = 0;
        while (seen < drawn_.size() && drawn_[seen] != x) ++seen;
        if (seen == drawn_.size()) {
          drawn_.push_back(x);
          scores_.push_back(log_density(below_[0], log_weights_below_, x) -
                            log_density(above_[0], log_weights_above_, x));
        }
        const double score = scores_[seen];
        if (c == 0 || score > best) {
          best = score;
          values[i] = x;
        }
      }
    }
  }

  // The kernels' weights for n_good and n_bad observations, their running sums and their logarithms.
  void kernel_weights(std::size_t n_good, std::size_t n_bad) {
    detail::tpe_kernel_weights(n_good, options_.prior_weight, weights_below_, cumulative_below_);
    detail::tpe_kernel_weights(n_bad, options_.prior_weight, weights_above_, cumulative_above_);
    log_weights_below_.resize(weights_below_.size());
    for (std::size_t k = 0; k < weights_below_.size(); ++k) log_weights_below_[k] = std::log(weights_below_[k]);
    log_weights_above_.resize(weights_above_.size());
    for (std::size_t k = 0; k < weights_above_.size(); ++k) log_weights_above_[k] = std::log(weights_above_[k]);
  }

  // log of the mixture density at x: log sum_k w_k p_k(x).
  double log_density(const detail::parameter_kernels& kernels, const std::vector<double>& log_weights, double x) {
    scratch_.assign(log_weights.begin(), log_weights.end());
    kernels.add_log_densities(x, scratch_.data());
    return detail::log_sum_exp(scratch_.data(), scratch_.size());
  }

  // Multivariate: the always-drawn parameters from product kernels, one kernel drawn for all of them.
  void propose_joint(double* values, std::size_t n_candidates) {
    const std::size_t d = joint_.size();
    const std::size_t n_good = joint_observations(0, joint_good_);
    for (std::size_t j = 0; j < d; ++j)
      below_[joint_[j]].build(flat_, joint_[j], joint_good_[j].data(), n_good, options_, d);
    const std::size_t n_bad = joint_observations(1, joint_bad_);
    for (std::size_t j = 0; j < d; ++j)
      above_[joint_[j]].build(flat_, joint_[j], joint_bad_[j].data(), n_bad, options_, d);
    kernel_weights(n_good, n_bad);
    candidate_.resize(d);
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < n_candidates; ++c) {
      const std::size_t k = detail::draw_kernel(cumulative_below_, rng_.uniform());
      for (std::size_t j = 0; j < d; ++j) candidate_[j] = below_[joint_[j]].draw(k, rng_);
      const double score =
          joint_log_density(below_, log_weights_below_) - joint_log_density(above_, log_weights_above_);
      if (c == 0 || score > best) {
        best = score;
        for (std::size_t j = 0; j < d; ++j) values[joint_[j]] = candidate_[j];
      }
    }
  }

  double joint_log_density(const std::vector<detail::parameter_kernels>& kernels,
                           const std::vector<double>& log_weights) {
    scratch_.assign(log_weights.begin(), log_weights.end());
    for (std::size_t j = 0; j < joint_.size(); ++j) kernels[joint_[j]].add_log_densities(candidate_[j], scratch_.data());
    return detail::log_sum_exp(scratch_.data(), scratch_.size());
  }

  detail::flat_space flat_;
  detail::trial_log log_;
  tpe_options options_;
  numpy_random_state rng_;
  std::vector<std::size_t> joint_;  // the parameters modelled jointly (multivariate), or none
  // Buffers reused by every ask.
  std::vector<std::size_t> ranked_;
  std::vector<unsigned char> group_;
  std::vector<double> good_, bad_, weights_below_, cumulative_below_, weights_above_, cumulative_above_,
      log_weights_below_, log_weights_above_, scratch_, candidate_, drawn_, scores_;
  std::vector<std::vector<double>> joint_good_, joint_bad_;
  std::vector<detail::parameter_kernels> below_, above_;
};

}  // namespace mlpipe
