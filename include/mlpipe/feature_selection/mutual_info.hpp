#pragma once

#include <algorithm>    // std::sort, std::partition_point, std::nth_element, std::max, std::unique
#include <cmath>        // std::log, std::sqrt, std::nextafter, std::abs
#include <cstddef>
#include <cstdint>      // std::uint32_t
#include <limits>
#include <string>
#include <string_view>
#include <utility>      // std::pair
#include <vector>

#include <nanoflann.hpp>  // a k-d tree for the joint (x, y) nearest neighbours

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/score_func.hpp"

// Mutual information between each feature and the target, estimated as scikit-learn 1.2 does: Kraskov et al.'s
// nearest-neighbour estimator for two continuous variables, Ross's for a continuous and a discrete one, and the
// contingency table for two discrete ones. Continuous values are scaled to unit standard deviation and get the same
// small noise scikit-learn adds (1e-10 * max(1, mean |x|) * a standard normal draw from numpy's legacy RandomState
// seeded by `seed`), so with the same seed the estimates are scikit-learn's with random_state = seed.

namespace mlpipe {
namespace detail {

// numpy's legacy standard_normal (RandomState.standard_normal, the polar Box-Muller method): pairs of uniforms,
// the second value of a pair kept for the next draw.
class legacy_normal_stream {
 public:
  explicit legacy_normal_stream(std::uint32_t seed) : rng_(seed) {}
  double next() {
    if (has_saved_) {
      has_saved_ = false;
      return saved_;
    }
    double x1 = 0.0;
    double x2 = 0.0;
    double r2 = 0.0;
    do {
      x1 = 2.0 * rng_.uniform() - 1.0;
      x2 = 2.0 * rng_.uniform() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    saved_ = f * x1;
    has_saved_ = true;
    return f * x2;
  }

 private:
  numpy_random_state rng_;
  double saved_ = 0.0;
  bool has_saved_ = false;
};

// The digamma function psi(x) for x > 0 (the estimators call it on counts): the recurrence up to 10, then the
// asymptotic series to B_14 (its next term is below 5e-17 there).
inline double digamma(double x) {
  double result = 0.0;
  while (x < 10.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double series =
      f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 -
                                                                                             f * (1.0 / 12)))))));
  return result + std::log(x) - 0.5 / x - series;
}

// The number of sorted values v with |v - at| <= radius, the difference rounded as scikit-learn's trees compute it.
inline index count_within(const std::vector<double>& sorted, double at, double radius) {
  const auto lo = std::partition_point(sorted.begin(), sorted.end(), [&](double v) { return at - v > radius; });
  const auto hi = std::partition_point(lo, sorted.end(), [&](double v) { return v - at <= radius; });
  return static_cast<index>(hi - lo);
}

// For each value of `values` (sorted ascending), the distance to its k-th nearest other value (1 <= k < size).
inline std::vector<double> kth_neighbour_1d(const std::vector<double>& sorted, index k) {
  const auto n = static_cast<index>(sorted.size());
  std::vector<double> out(sorted.size());
  for (index p = 0; p < n; ++p) {
    const double v = sorted[static_cast<std::size_t>(p)];
    index left = p - 1;
    index right = p + 1;
    double d = 0.0;
    for (index taken = 0; taken < k; ++taken) {
      const double dl = left >= 0 ? v - sorted[static_cast<std::size_t>(left)] : std::numeric_limits<double>::infinity();
      const double dr = right < n ? sorted[static_cast<std::size_t>(right)] - v : std::numeric_limits<double>::infinity();
      if (dl <= dr) {
        d = dl;
        --left;
      } else {
        d = dr;
        ++right;
      }
    }
    out[static_cast<std::size_t>(p)] = d;
  }
  return out;
}

// Points (x_i, y_i) for nanoflann.
struct joint_points {
  const std::vector<double>* x = nullptr;
  const std::vector<double>* y = nullptr;
  std::size_t kdtree_get_point_count() const { return x->size(); }
  double kdtree_get_pt(std::size_t i, std::size_t d) const { return d == 0 ? (*x)[i] : (*y)[i]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

// Kraskov et al.'s estimate of I(x; y) for continuous x and y (scikit-learn's _compute_mi_cc): the Chebyshev
// distance to the k-th neighbour in (x, y), found exactly with a Euclidean k-d tree (the k + 1 Euclidean nearest
// bound it, a radius search within sqrt(2) times that bound finds it), then neighbour counts in x and in y alone.
inline double mutual_info_cc(const std::vector<double>& x, const std::vector<double>& y, index k) {
  const auto n = static_cast<index>(x.size());
  const joint_points points{&x, &y};
  using tree_type =
      nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, joint_points>, joint_points, 2,
                                          std::size_t>;
  const tree_type tree(2, points, nanoflann::KDTreeSingleIndexAdaptorParams(10));
  const auto chebyshev = [&](std::size_t i, std::size_t j) {
    return std::max(std::abs(x[i] - x[j]), std::abs(y[i] - y[j]));
  };
  std::vector<double> sorted_x = x;
  std::vector<double> sorted_y = y;
  std::sort(sorted_x.begin(), sorted_x.end());
  std::sort(sorted_y.begin(), sorted_y.end());
  const auto wanted = static_cast<std::size_t>(k + 1);
  std::vector<std::size_t> nearest(wanted);
  std::vector<double> squared(wanted);
  std::vector<std::pair<std::size_t, double>> found;
  std::vector<double> distances;
  double sum_x = 0.0;
  double sum_y = 0.0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const double query[2] = {x[i], y[i]};
    const std::size_t got = tree.knnSearch(query, wanted, nearest.data(), squared.data());
    double bound = 0.0;
    for (std::size_t m = 0; m < got; ++m)
      if (nearest[m] != i) bound = std::max(bound, chebyshev(i, nearest[m]));
    double radius = 0.0;
    if (bound > 0.0) {
      found.clear();
      tree.radiusSearch(query, 2.0 * bound * bound * (1.0 + 1e-9), found, nanoflann::SearchParams(32, 0.0F, false));
      distances.clear();
      for (const auto& [j, ignored] : found)
        if (j != i) distances.push_back(chebyshev(i, j));
      std::nth_element(distances.begin(), distances.begin() + (k - 1), distances.end());
      radius = std::nextafter(distances[static_cast<std::size_t>(k - 1)], 0.0);
    }
    sum_x += digamma(static_cast<double>(count_within(sorted_x, x[i], radius)));  // nx + 1: itself included
    sum_y += digamma(static_cast<double>(count_within(sorted_y, y[i], radius)));
  }
  const auto nd = static_cast<double>(n);
  const double mi = digamma(nd) + digamma(static_cast<double>(k)) - sum_x / nd - sum_y / nd;
  return std::max(0.0, mi);
}

// The classes of a discrete variable: label[i] in 0..n_labels-1.
struct discrete_labels {
  std::vector<std::size_t> label;
  std::vector<index> count;
};

inline discrete_labels label_values(const std::vector<double>& d) {
  std::vector<double> unique = d;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  discrete_labels out{std::vector<std::size_t>(d.size()), std::vector<index>(unique.size(), 0)};
  for (std::size_t i = 0; i < d.size(); ++i) {
    out.label[i] = static_cast<std::size_t>(std::lower_bound(unique.begin(), unique.end(), d[i]) - unique.begin());
    ++out.count[out.label[i]];
  }
  return out;
}

// Ross's estimate of I(c; d) for continuous c and discrete d (scikit-learn's _compute_mi_cd): the distance to the
// k-th neighbour within the same class, then the count of all points within it; points alone in their class are
// left out.
inline double mutual_info_cd(const std::vector<double>& c, const discrete_labels& d, index n_neighbors) {
  const std::size_t n_labels = d.count.size();
  std::vector<std::vector<double>> by_label(n_labels);
  for (std::size_t i = 0; i < c.size(); ++i) by_label[d.label[i]].push_back(c[i]);
  std::vector<double> kept;  // the values of points whose class has more than one point
  double sum_k = 0.0;
  double sum_count = 0.0;
  std::vector<double> radii;  // in the order of kept
  for (std::size_t l = 0; l < n_labels; ++l) {
    std::vector<double>& values = by_label[l];
    const auto count = static_cast<index>(values.size());
    if (count <= 1) continue;
    const index k = std::min(n_neighbors, count - 1);
    std::sort(values.begin(), values.end());
    const std::vector<double> kth = kth_neighbour_1d(values, k);
    for (std::size_t m = 0; m < values.size(); ++m) {
      kept.push_back(values[m]);
      radii.push_back(std::nextafter(kth[m], 0.0));
      sum_k += digamma(static_cast<double>(k));
      sum_count += digamma(static_cast<double>(count));
    }
  }
  if (kept.empty()) return 0.0;
  std::vector<double> sorted = kept;
  std::sort(sorted.begin(), sorted.end());
  double sum_m = 0.0;
  for (std::size_t m = 0; m < kept.size(); ++m)
    sum_m += digamma(static_cast<double>(count_within(sorted, kept[m], radii[m])));
  const auto nd = static_cast<double>(kept.size());
  const double mi = digamma(nd) + sum_k / nd - sum_count / nd - sum_m / nd;
  return std::max(0.0, mi);
}

// I(a; b) of two discrete variables from their contingency table, in nats (scikit-learn's mutual_info_score).
inline double mutual_info_dd(const discrete_labels& a, const discrete_labels& b) {
  if (a.count.size() == 1 || b.count.size() == 1) return 0.0;
  std::vector<index> table(a.count.size() * b.count.size(), 0);
  for (std::size_t i = 0; i < a.label.size(); ++i) ++table[a.label[i] * b.count.size() + b.label[i]];
  const auto n = static_cast<double>(a.label.size());
  const double log_n = std::log(n);
  double mi = 0.0;
  for (std::size_t i = 0; i < a.count.size(); ++i) {
    for (std::size_t j = 0; j < b.count.size(); ++j) {
      const auto cell = static_cast<double>(table[i * b.count.size() + j]);
      if (cell == 0.0) continue;
      const double p = cell / n;
      const double outer = static_cast<double>(a.count[i]) * static_cast<double>(b.count[j]);
      double term = p * (std::log(cell) - log_n) + p * (-std::log(outer) + log_n + log_n);
      if (std::abs(term) < std::numeric_limits<double>::epsilon()) term = 0.0;
      mi += term;
    }
  }
  return std::max(0.0, mi);
}

// x / std(x) (population standard deviation; a standard deviation below 10 eps counts as 1), as sklearn's
// scale(x, with_mean=False).
inline void scale_to_unit_std(std::vector<double>& x) {
  const auto n = static_cast<double>(x.size());
  double sum = 0.0;
  for (double v : x) sum += v;
  const double mean = sum / n;
  double squares = 0.0;
  for (double v : x) squares += (v - mean) * (v - mean);
  double sd = std::sqrt(squares / n);
  if (sd < 10.0 * std::numeric_limits<double>::epsilon()) sd = 1.0;
  for (double& v : x) v /= sd;
}

inline double noise_scale(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x) sum += std::abs(v);
  return 1e-10 * std::max(1.0, sum / static_cast<double>(x.size()));
}

// scikit-learn's _estimate_mi: the mutual information of each column of X with y.
inline univariate_scores estimate_mutual_info(const matrix_view& X, const vector_view& y, const score_settings& s,
                                              bool discrete_target, std::string_view kind) {
  if (s.n_neighbors < 1) {
    throw invalid_parameter("n_neighbors = " + std::to_string(s.n_neighbors) + " is out of range; expected n_neighbors >= 1",
                            kind);
  }
  check_fit_input(kind, X, y);
  const index n = X.rows();
  const index p = X.cols();
  if (s.discrete.is_mask() && static_cast<index>(s.discrete.mask().size()) != p) {
    throw invalid_parameter("discrete_features has " + std::to_string(s.discrete.mask().size()) +
                                " entries but X has " + std::to_string(p) +
                                " features; expected one entry per feature",
                            kind);
  }
  if (n <= s.n_neighbors) {
    throw invalid_input("X has " + std::to_string(n) + " rows; n_neighbors = " + std::to_string(s.n_neighbors) +
                            " needs at least " + std::to_string(s.n_neighbors + 1),
                        kind);
  }
  const auto rows = static_cast<std::size_t>(n);
  // Continuous columns: scaled, then the noise, drawn row by row across the continuous columns (numpy's C order).
  std::vector<std::vector<double>> columns(static_cast<std::size_t>(p));
  std::vector<index> continuous;
  std::vector<double> amplitude;
  for (index j = 0; j < p; ++j) {
    auto& column = columns[static_cast<std::size_t>(j)];
    column.resize(rows);
    for (index i = 0; i < n; ++i) column[static_cast<std::size_t>(i)] = X(i, j);
    if (s.discrete.is_discrete(j)) continue;
    scale_to_unit_std(column);
    continuous.push_back(j);
    amplitude.push_back(noise_scale(column));
  }
  legacy_normal_stream normal(s.seed);
  if (!continuous.empty()) {
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t c = 0; c < continuous.size(); ++c)
        columns[static_cast<std::size_t>(continuous[c])][i] += amplitude[c] * normal.next();
  }
  std::vector<double> target(rows);
  for (index i = 0; i < n; ++i) target[static_cast<std::size_t>(i)] = y(i);
  discrete_labels target_labels;
  if (discrete_target) {
    target_labels = label_values(target);
  } else {
    scale_to_unit_std(target);
    const double a = noise_scale(target);
    for (double& v : target) v += a * normal.next();
  }
  univariate_scores out{vector(p), vector()};
  for (index j = 0; j < p; ++j) {
    const auto& x = columns[static_cast<std::size_t>(j)];
    const bool discrete_x = s.discrete.is_discrete(j);
    double mi = 0.0;
    if (discrete_x && discrete_target) mi = mutual_info_dd(label_values(x), target_labels);
    else if (discrete_x) mi = mutual_info_cd(target, label_values(x), s.n_neighbors);
    else if (discrete_target) mi = mutual_info_cd(x, target_labels, s.n_neighbors);
    else mi = mutual_info_cc(x, target, s.n_neighbors);
    out.scores(j) = mi;
  }
  return out;
}

inline univariate_scores mutual_info_classif_scores(const matrix_view& X, const vector_view& y,
                                                    const score_settings& s) {
  return estimate_mutual_info(X, y, s, true, "mutual_info_classif");
}

inline univariate_scores mutual_info_regression_scores(const matrix_view& X, const vector_view& y,
                                                       const score_settings& s) {
  return estimate_mutual_info(X, y, s, false, "mutual_info_regression");
}

}  // namespace detail

// mutual_info_classif -- the mutual information (in nats) between each feature and class labels, scikit-learn's
// mutual_info_classif with random_state = seed; no p-values. Use it as a selector's score:
// `.score = mutual_info_classif{.n_neighbors = 3, .seed = 0}`, or call it: `mutual_info_classif{}(X, y)`.
struct mutual_info_classif {
  discrete_columns discrete_features{};  // which features are discrete: auto (none), true, false or a mask
  int n_neighbors = 3;                    // neighbours used by the estimators; >= 1 and below the number of rows
  std::uint32_t seed = 0;                 // seeds the small noise added to continuous features

  operator score_func() const {  // NOLINT(google-explicit-constructor): .score = mutual_info_classif{...}
    return score_func{"mutual_info_classif", nullptr, &detail::mutual_info_classif_scores,
                      score_settings{.discrete = discrete_features, .n_neighbors = n_neighbors, .seed = seed}};
  }
  univariate_scores operator()(const matrix_view& X, const vector_view& y) const {
    return static_cast<score_func>(*this)(X, y);
  }
};

// mutual_info_regression -- the mutual information (in nats) between each feature and a real target,
// scikit-learn's mutual_info_regression with random_state = seed; no p-values.
struct mutual_info_regression {
  discrete_columns discrete_features{};  // which features are discrete: auto (none), true, false or a mask
  int n_neighbors = 3;                    // neighbours used by the estimators; >= 1 and below the number of rows
  std::uint32_t seed = 0;                 // seeds the small noise added to continuous features and the target

  operator score_func() const {  // NOLINT(google-explicit-constructor): .score = mutual_info_regression{...}
    return score_func{"mutual_info_regression", nullptr, &detail::mutual_info_regression_scores,
                      score_settings{.discrete = discrete_features, .n_neighbors = n_neighbors, .seed = seed}};
  }
  univariate_scores operator()(const matrix_view& X, const vector_view& y) const {
    return static_cast<score_func>(*this)(X, y);
  }
};

}  // namespace mlpipe
