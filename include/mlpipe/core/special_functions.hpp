#pragma once

#include <cmath>        // lgamma_r, std::lgamma, std::log, std::exp, std::abs, std::isnan, std::isinf
#include <limits>

// Special functions for the statistics mlpipe reports: the regularized incomplete beta function and the survival
// functions of the F and Student t distributions built on it (the p-values of f_classif and f_regression).
// Both tails are computed directly where they are small, so a p-value of 1e-120 keeps its ~13 significant digits
// instead of being rounded to 0 as 1 - cdf would be.

namespace mlpipe::special {
namespace detail {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();
inline constexpr double half_log_2pi = 0.918938533204672741780329736406;  // log(2 pi) / 2

// log |Gamma(z)|, safe to call from several threads at once: std::lgamma also stores the sign of Gamma(z) in the
// global signgam (C99 and POSIX allow it, glibc does it), a data race when searches score features in parallel;
// glibc's lgamma_r returns the sign through its argument instead. Elsewhere lgamma has no such side effect (MSVC)
// or is the only choice.
inline double log_gamma(double z) {
#if defined(__GLIBC__) && defined(__USE_MISC)
  int sign = 0;
  return ::lgamma_r(z, &sign);
#else
  return std::lgamma(z);
#endif
}

// Stirling's error: lgamma(z) - [(z - 1/2) log z - z + log(2 pi) / 2]. From the asymptotic series for z >= 10
// (eight terms: below 1e-17 there), from lgamma below, where the terms are small enough not to cancel.
inline double stirling_error(double z) {
  if (z < 10.0) return log_gamma(z) - ((z - 0.5) * std::log(z) - z + half_log_2pi);
  const double r = 1.0 / z;
  const double r2 = r * r;
  // B_2k / (2k (2k - 1) z^(2k - 1)) for k = 1..8.
  constexpr double coefficients[] = {1.0 / 12,   -1.0 / 360,        1.0 / 1260, -1.0 / 1680,
                                     1.0 / 1188, -691.0 / 360360, 1.0 / 156,  -3617.0 / 122400};
  double sum = 0.0;
  for (int k = 7; k >= 0; --k) sum = sum * r2 + coefficients[k];  // Horner in 1 / z^2
  return r * sum;
}

// x log(x / m) + m - x (>= 0), without the cancellation of the direct formula when x is close to m (Loader 2000).
inline double deviance(double x, double m) {
  if (std::abs(x - m) < 0.1 * (x + m)) {
    // With v = (x - m) / (x + m): v (x - m) + 2 x (v^3 / 3 + v^5 / 5 + ...), |v| < 0.1.
    const double v = (x - m) / (x + m);
    const double v2 = v * v;
    double sum = (x - m) * v;
    double term = 2.0 * x * v;
    for (int j = 1; j < 100; ++j) {
      term *= v2;
      const double next = sum + term / (2 * j + 1);
      if (next == sum) break;
      sum = next;
    }
    return sum;
  }
  return x * std::log(x / m) + m - x;
}

// log(x^a y^b / B(a, b)) for x + y = 1. Written with Stirling's formula as
//   -deviance(a, x c) - deviance(b, y c) + log(a b / c) / 2 - log(2 pi) / 2 - d(a) - d(b) + d(c),  c = a + b,
// which is exact for all a, b > 0 and, unlike a log x + b log y - lbeta(a, b), adds no huge terms that cancel
// when a and b are large (lgamma(1e8) is 1.7e9: its rounding alone would cost seven digits).
inline double log_beta_power_terms(double a, double b, double x, double y) {
  const double c = a + b;
  return -deviance(a, x * c) - deviance(b, y * c) + 0.5 * (std::log(a) + std::log(b) - std::log(c)) -
         half_log_2pi - stirling_error(a) - stirling_error(b) + stirling_error(c);
}

// I_x(a, b) / (x^a y^b / B(a, b)) as a continued fraction, evaluated by the modified Lentz method. The fraction is
// the one of Numerical Recipes' betacf with its terms paired and rescaled as in Didonato & Morris's bfrac (ACM TOMS
// 708): every term is written with lambda = a - (a + b) x, which the caller computes from whichever of x and y is
// accurate, so nothing cancels when x is close to 1 and a is large (betacf's 1 - (a + b) x / (a + 1) loses up to
// a * eps there: seven digits at a = 1e9). Converges quickly for x < (a + 1) / (a + b + 2): a few dozen terms for
// moderate a and b, about 0.1 ms at a = 1e12, b = 1e10. NaN if it has not converged after max_terms.
inline double beta_continued_fraction(double a, double b, double x, double y, double lambda) {
  constexpr double tiny = 1e-300;  // keeps the Lentz quotients away from 0
  constexpr double eps = std::numeric_limits<double>::epsilon();
  constexpr int max_terms = 1'000'000;
  const auto guard = [](double v) { return std::abs(v) < tiny ? tiny : v; };
  const double c = lambda + 1.0;
  const double c0 = b / a;
  const double c1 = 1.0 / a + 1.0;
  double p = 1.0;
  double s = a + 1.0;
  double f = c / c1;  // the fraction is 1 / (c / c1 + alpha_1 / (beta_1 + alpha_2 / (beta_2 + ...)))
  double lentz_c = f;
  double lentz_d = 0.0;
  for (int n = 1; n <= max_terms; ++n) {
    const double t = n / a;
    const double w = n * (b - n) * x;
    const double e = a / s;
    const double alpha = p * (p + c0) * e * e * (w * x);
    const double beta = n + w / s + (t + 1.0) / (c1 + t + t) * (c + n * (y + 1.0));
    p = t + 1.0;
    s += 2.0;
    lentz_d = 1.0 / guard(beta + alpha * lentz_d);
    lentz_c = guard(beta + alpha / lentz_c);
    const double step = lentz_c * lentz_d;
    f *= step;
    if (std::abs(step - 1.0) <= eps) return 1.0 / f;
  }
  return nan;
}

// I_x(a, b) from the continued fraction, for x below the switch point (x + y = 1).
inline double beta_lower_tail(double a, double b, double x, double y) {
  const double lambda = a > b ? (a + b) * y - b : a - (a + b) * x;  // the form without cancellation
  return std::exp(log_beta_power_terms(a, b, x, y)) * beta_continued_fraction(a, b, x, y, lambda);
}

// I_x(a, b) and 1 - I_x(a, b).
struct beta_tails {
  double lower;
  double upper;
};

// Both tails of the regularized incomplete beta function at x, with y = 1 - x passed separately so that callers
// who know it exactly (x = d2 / (d2 + d1 F), y = d1 F / (d2 + d1 F)) do not lose it to rounding. The tail on the
// near side of the switch point x = (a + 1) / (a + b + 2) is computed directly (it is the smaller one, or both
// are near 1/2); only the other is 1 minus it.
inline beta_tails incomplete_beta_tails(double a, double b, double x, double y) {
  if (std::isnan(a) || std::isnan(b) || std::isnan(x) || std::isnan(y) || !(a > 0.0) || !(b > 0.0) ||
      std::isinf(a) || std::isinf(b) || x < 0.0 || y < 0.0)
    return {nan, nan};
  if (x == 0.0) return {0.0, 1.0};
  if (y == 0.0) return {1.0, 0.0};
  if (x > (a + 1.0) / (a + b + 2.0)) {
    const double upper = beta_lower_tail(b, a, y, x);  // 1 - I_x(a, b) = I_y(b, a)
    return {1.0 - upper, upper};
  }
  const double lower = beta_lower_tail(a, b, x, y);
  return {lower, 1.0 - lower};
}

}  // namespace detail

// betainc(a, b, x) -- the regularized incomplete beta function I_x(a, b) (scipy.special.betainc): the probability
// that a Beta(a, b) variable is at most x. a, b > 0 and 0 <= x <= 1, else NaN. Relative error below 3e-13 against
// 50-digit values for a, b from 0.5 to 1e8 and results down to 1e-300 (tests/reference/feature_selection.py);
// 5e-12 at a = 1e12, b = 1e10, where rounding x to a double moves the result that much already.
inline double betainc(double a, double b, double x) {
  return detail::incomplete_beta_tails(a, b, x, 1.0 - x).lower;
}

// betaincc(a, b, x) -- 1 - I_x(a, b), computed directly where it is small (scipy.special.betaincc).
inline double betaincc(double a, double b, double x) {
  return detail::incomplete_beta_tails(a, b, x, 1.0 - x).upper;
}

// f_sf(F, d1, d2) -- the survival function P(X > F) of the F distribution with d1 and d2 degrees of freedom
// (scipy.stats.f.sf, scipy.special.fdtrc): the p-value of an F statistic. I_{d2 / (d2 + d1 F)}(d2 / 2, d1 / 2).
// 1 for F <= 0, 0 for F = inf; NaN for NaN F or degrees of freedom that are not positive and finite.
inline double f_sf(double F, double d1, double d2) {
  if (std::isnan(F) || !(d1 > 0.0) || !(d2 > 0.0) || std::isinf(d1) || std::isinf(d2)) return detail::nan;
  if (F <= 0.0) return 1.0;
  if (std::isinf(F)) return 0.0;
  const double u = d1 * F;
  const double s = d2 + u;
  if (std::isinf(s)) {  // F near the largest double: x is far below the smallest relevant value
    const double x = d2 / d1 / F;
    return detail::incomplete_beta_tails(0.5 * d2, 0.5 * d1, x, 1.0 - x).lower;
  }
  return detail::incomplete_beta_tails(0.5 * d2, 0.5 * d1, d2 / s, u / s).lower;
}

// t_sf(t, df) -- the survival function P(T > t) of Student's t distribution with df degrees of freedom
// (scipy.stats.t.sf): 1/2 I_{df / (df + t^2)}(df / 2, 1/2) for t >= 0. NaN for NaN t or df not positive and finite.
inline double t_sf(double t, double df) {
  if (std::isnan(t) || !(df > 0.0) || std::isinf(df)) return detail::nan;
  if (std::isinf(t)) return t > 0.0 ? 0.0 : 1.0;
  const double t2 = t * t;
  const double s = df + t2;
  const detail::beta_tails tails =
      std::isinf(s) ? detail::incomplete_beta_tails(0.5 * df, 0.5, df / std::abs(t) / std::abs(t), 1.0)
                    : detail::incomplete_beta_tails(0.5 * df, 0.5, df / s, t2 / s);
  // P(|T| > |t|) = tails.lower; the sign picks one half of it or the rest.
  return t >= 0.0 ? 0.5 * tails.lower : 0.5 + 0.5 * tails.upper;
}

// The regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a) (scipy.special.gammaincc), by
// the series of P(a, x) below x = a + 1 and the continued fraction of Q (modified Lentz) above, as in Numerical
// Recipes' gammp/gammq; each converges to rounding level. a > 0, x >= 0.
inline double gamma_q(double a, double x) {
  if (!(a > 0.0) || !(x >= 0.0)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  const double log_prefactor = a * std::log(x) - x - detail::log_gamma(a);
  constexpr double eps = std::numeric_limits<double>::epsilon();
  if (x < a + 1.0) {
    double term = 1.0 / a;
    double sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * eps) break;
    }
    return 1.0 - sum * std::exp(log_prefactor);
  }
  constexpr double tiny = 1e-300;
  double b = x + 1.0 - a;
  double c = 1.0 / tiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::abs(step - 1.0) < eps) break;
  }
  return std::exp(log_prefactor) * h;
}

// P(X > x) for a chi-squared X with df degrees of freedom (scipy.stats.chi2.sf).
inline double chi2_sf(double x, double df) {
  if (x <= 0.0) return 1.0;
  if (df == 1.0) return std::erfc(std::sqrt(0.5 * x));  // exact for one degree of freedom
  return gamma_q(0.5 * df, 0.5 * x);
}

}  // namespace mlpipe::special
