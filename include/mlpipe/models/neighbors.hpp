#pragma once

#include <algorithm>    // std::max
#include <array>
#include <cmath>        // std::abs, std::pow, std::sqrt, std::isfinite, std::nextafter
#include <cstddef>
#include <cstdint>      // std::uint32_t
#include <limits>
#include <memory>       // std::shared_ptr, std::unique_ptr
#include <mutex>        // std::call_once, std::once_flag
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move, std::pair
#include <vector>

#include <nanoflann.hpp>  // Debian's libnanoflann-dev: the k-d tree

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double, enum_names
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/scratch.hpp"      // scratch_frame
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"  // detail::encode_class_labels

// k-nearest neighbours, as scikit-learn's KNeighborsClassifier and KNeighborsRegressor: the fitted model keeps the
// training rows and answers each query from its n_neighbors closest ones under the Minkowski distance of order p.
// Neighbours are ordered by distance, equal distances by training row (the earlier row first), so the neighbour set
// is the same with brute force and with the k-d tree (nanoflann). predict_one always searches by brute force, which
// needs no allocation; the batch calls use the algorithm asked for.

namespace mlpipe {

// neighbor_weights -- how the neighbours' votes or values are weighted.
enum class neighbor_weights {
  uniform,  // every neighbour counts the same
  distance  // by 1 / distance (a neighbour at distance 0 takes all the weight, shared with its equals)
};

template <>
struct enum_names<neighbor_weights> {
  static constexpr std::array values{std::pair{neighbor_weights::uniform, std::string_view("uniform")},
                                     std::pair{neighbor_weights::distance, std::string_view("distance")}};
};

// neighbor_algorithm -- how the batch calls search for neighbours (the results are the same).
enum class neighbor_algorithm {
  automatic,  // the k-d tree up to 15 features, brute force above
  brute,      // every training row's distance
  kd_tree     // nanoflann's k-d tree, built once per fitted model on first use
};

template <>
struct enum_names<neighbor_algorithm> {
  static constexpr std::array values{std::pair{neighbor_algorithm::automatic, std::string_view("auto")},
                                     std::pair{neighbor_algorithm::brute, std::string_view("brute")},
                                     std::pair{neighbor_algorithm::kd_tree, std::string_view("kd_tree")}};
};

namespace detail {

// The Minkowski distance is computed without its final root (sum |a - b|^p; for p = 2 the squared distance), summed
// in feature order, by the brute force and the k-d tree's metric alike, so that their ties agree; this adds the root.
inline double reduced_to_distance(double r, double p) {
  if (p == 2.0) return std::sqrt(r);
  if (p == 1.0) return r;
  return std::pow(r, 1.0 / p);
}

// The k best (reduced distance, row) pairs seen so far, ascending in (distance, row): an insertion into two arrays of
// k that the caller owns (no allocation). Also nanoflann's result-set interface.
class nearest_set {
 public:
  nearest_set(std::span<double> dist, std::span<index> rows) : dist_(dist), rows_(rows) {}

  std::size_t size() const { return count_; }
  bool full() const { return count_ == dist_.size(); }

  // nanoflann prunes what is not strictly below worstDist(): just above the k-th distance, so that rows tied with it
  // still reach addPoint, which keeps the earlier row.
  double worstDist() const {
    return full() ? std::nextafter(dist_[count_ - 1], std::numeric_limits<double>::infinity())
                  : std::numeric_limits<double>::infinity();
  }

  bool addPoint(double d, std::size_t row_index) {
    const auto row = static_cast<index>(row_index);
    std::size_t at = count_;
    if (full()) {
      if (!before(d, row, dist_[count_ - 1], rows_[count_ - 1])) return true;
      at = count_ - 1;
    } else {
      ++count_;
    }
    while (at > 0 && before(d, row, dist_[at - 1], rows_[at - 1])) {
      dist_[at] = dist_[at - 1];
      rows_[at] = rows_[at - 1];
      --at;
    }
    dist_[at] = d;
    rows_[at] = row;
    return true;
  }

 private:
  static bool before(double d, index r, double d2, index r2) { return d < d2 || (d == d2 && r < r2); }
  std::span<double> dist_;
  std::span<index> rows_;
  std::size_t count_ = 0;
};

// nanoflann's view of the training rows, and its Minkowski distance.
struct knn_dataset {
  const matrix* X = nullptr;
  double p = 2.0;
  std::size_t kdtree_get_point_count() const { return static_cast<std::size_t>(X->rows()); }
  double kdtree_get_pt(std::size_t row, std::size_t dim) const {
    return (*X)(static_cast<index>(row), static_cast<index>(dim));
  }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

struct minkowski_metric {
  using ElementType = double;
  using DistanceType = double;
  const knn_dataset& data;
  explicit minkowski_metric(const knn_dataset& d) : data(d) {}
  double evalMetric(const double* a, std::uint32_t row, std::size_t size, double = -1) const {
    // The training rows are stored column-major: copy row `row` in feature order through the dataset.
    double s = 0.0;
    const double p = data.p;
    for (std::size_t j = 0; j < size; ++j) {
      const double diff = a[j] - data.kdtree_get_pt(row, j);
      s += p == 2.0 ? diff * diff : (p == 1.0 ? std::abs(diff) : std::pow(std::abs(diff), p));
    }
    return s;
  }
  double accum_dist(double a, double b, std::size_t) const {
    const double d = std::abs(a - b);
    return data.p == 2.0 ? d * d : (data.p == 1.0 ? d : std::pow(d, data.p));
  }
};

using knn_tree = nanoflann::KDTreeSingleIndexAdaptor<minkowski_metric, knn_dataset, -1, std::uint32_t>;

// What a fitted k-NN model shares between its copies: the training rows and the k-d tree, built once on first use.
struct knn_memory {
  matrix X;  // n x p, as given
  knn_dataset dataset;
  std::once_flag built;
  std::unique_ptr<knn_tree> tree;

  const knn_tree& kd_tree(double p) {
    std::call_once(built, [&] {
      dataset.X = &X;
      dataset.p = p;
      tree = std::make_unique<knn_tree>(static_cast<int>(X.cols()), dataset,
                                        nanoflann::KDTreeSingleIndexAdaptorParams(30));
    });
    return *tree;
  }
};

// The k nearest training rows of `query` by brute force, into the caller's arrays (reduced distances).
inline void brute_neighbors(const knn_memory& m, const double* query, double p, nearest_set& set) {
  const index n = m.X.rows();
  const index d = m.X.cols();
  const double* data = m.X.data();
  for (index i = 0; i < n; ++i) {
    // Row i of the column-major X (stride n), in feature order: the same sum as minkowski_metric::evalMetric.
    double s = 0.0;
    for (index j = 0; j < d; ++j) {
      const double diff = query[j] - data[j * n + i];
      s += p == 2.0 ? diff * diff : (p == 1.0 ? std::abs(diff) : std::pow(std::abs(diff), p));
    }
    set.addPoint(s, static_cast<std::size_t>(i));
  }
}

// The shared part of the two fitted k-NN types: hyperparameters, training rows, searches and weights.
template <class Spec>
class knn_base {
 public:
  const Spec& spec() const { return spec_; }
  // The training rows the model answers from (n_samples_fit x n_features).
  const matrix& fit_X() const { return memory_->X; }
  index n_features_in() const { return memory_->X.cols(); }

  // The n_neighbors nearest training rows of each row of X: distances and row indices, nearest first (equal
  // distances: the earlier training row first), as scikit-learn's kneighbors.
  std::pair<matrix, Eigen::Matrix<index, Eigen::Dynamic, Eigen::Dynamic>> kneighbors(const matrix_view& X) const {
    check_predict_input(Spec::kind, X, n_features_in());
    const index k = spec_.n_neighbors;
    matrix dist(X.rows(), k);
    Eigen::Matrix<index, Eigen::Dynamic, Eigen::Dynamic> ind(X.rows(), k);
    std::vector<double> d(static_cast<std::size_t>(k));
    std::vector<index> r(static_cast<std::size_t>(k));
    std::vector<double> query(static_cast<std::size_t>(X.cols()));
    const bool tree = use_tree();
    for (index i = 0; i < X.rows(); ++i) {
      for (index j = 0; j < X.cols(); ++j) query[static_cast<std::size_t>(j)] = X(i, j);
      nearest_set set(d, r);
      if (tree) memory_->kd_tree(spec_.p).findNeighbors(set, query.data(), nanoflann::SearchParams());
      else brute_neighbors(*memory_, query.data(), spec_.p, set);
      for (index c = 0; c < k; ++c) {
        dist(i, c) = reduced_to_distance(d[static_cast<std::size_t>(c)], spec_.p);
        ind(i, c) = r[static_cast<std::size_t>(c)];
      }
    }
    return {std::move(dist), std::move(ind)};
  }

 protected:
  knn_base() : memory_(std::make_shared<knn_memory>()) {}
  knn_base(Spec spec, matrix X) : spec_(spec), memory_(std::make_shared<knn_memory>()) {
    memory_->X = std::move(X);
  }

  bool use_tree() const {
    return spec_.algorithm == neighbor_algorithm::kd_tree ||
           (spec_.algorithm == neighbor_algorithm::automatic && n_features_in() <= 15);
  }

  // The weights of k neighbours at distances dist (in place): 1 for uniform; 1 / distance, or, when some distances
  // are 0, 1 for those and 0 for the others (scikit-learn's rule).
  void weigh(std::span<const double> dist, std::span<double> w) const {
    if (spec_.weights == neighbor_weights::uniform) {
      for (double& v : w) v = 1.0;
      return;
    }
    bool zero = false;
    for (const double v : dist) zero |= v == 0.0;
    for (std::size_t c = 0; c < dist.size(); ++c) w[c] = zero ? (dist[c] == 0.0 ? 1.0 : 0.0) : 1.0 / dist[c];
  }

  // Brute-force neighbours of one row into scratch memory: distances (rooted) in d, rows in r.
  void one_row_neighbors(std::span<const double> row, std::span<double> d, std::span<index> r) const {
    nearest_set set(d, r);
    brute_neighbors(*memory_, row.data(), spec_.p, set);
    for (double& v : d) v = reduced_to_distance(v, spec_.p);
  }

  // The neighbour query both batch predictions make: for each row i of X, f(i, w, neighbour) with w the weights of
  // its k nearest training rows (weigh) and neighbour(c) the training row of the c-th of them.
  template <class F>
  void for_each_neighbourhood(const matrix_view& X, F f) const {
    const auto found = kneighbors(X);  // not a structured binding: clang 14 cannot capture one in a lambda
    const matrix& dist = found.first;
    const auto& ind = found.second;
    const index k = spec_.n_neighbors;
    std::vector<double> w(static_cast<std::size_t>(k));
    std::vector<double> d(static_cast<std::size_t>(k));
    for (index i = 0; i < X.rows(); ++i) {
      for (index c = 0; c < k; ++c) d[static_cast<std::size_t>(c)] = dist(i, c);
      weigh(d, w);
      f(i, std::span<const double>(w), [&](index c) { return ind(i, c); });
    }
  }

  // The neighbour query both one-row predictions make, without allocation: f(w, neighbour) for the row's k nearest
  // training rows, as for_each_neighbourhood; returns what f returns.
  template <class F>
  auto with_row_neighbourhood(std::span<const double> row, F f) const {
    const auto k = static_cast<std::size_t>(spec_.n_neighbors);
    detail::scratch_frame frame;
    const std::span<double> d = frame.take(k);
    const std::span<double> w = frame.take(k);
    const std::span<double> r_raw = frame.take(k);
    const std::span<index> r(reinterpret_cast<index*>(r_raw.data()), k);
    one_row_neighbors(row, d, r);
    weigh(d, w);
    return f(std::span<const double>(w), [&](index c) { return r[static_cast<std::size_t>(c)]; });
  }

  // The hyperparameters and the training rows; the state checks shared by both types.
  void check_common() const {
    check_params(spec_);
    check_state_not_empty(Spec::kind, "state.X", memory_->X.rows(), "the training rows");
    check_state_not_empty(Spec::kind, "state.X", memory_->X.cols(), "a column per input feature");
    check_state_values(Spec::kind, "state.X", memory_->X);
    if (spec_.n_neighbors > memory_->X.rows()) {
      throw_invariant(Spec::kind, "n_neighbors = " + std::to_string(spec_.n_neighbors) + " but state.X has " +
                                      count_of(memory_->X.rows(), "row", "rows") +
                                      "; expected n_neighbors <= the number of training rows");
    }
  }

  template <class Archive>
  void serialize_common(Archive& ar) {
    ar.params(spec_);
    ar("X", memory_->X);  // loading: into the fresh memory of a default-constructed model
  }

  Spec spec_;
  std::shared_ptr<knn_memory> memory_;

 public:
  // Checks that n_neighbors does not exceed the training rows (at fit).
  static void check_neighbors(const Spec& spec, const matrix_view& X) {
    if (spec.n_neighbors > X.rows()) {
      throw invalid_parameter("n_neighbors = " + std::to_string(spec.n_neighbors) + " but X has " +
                                  count_of(X.rows(), "row", "rows") +
                                  "; expected n_neighbors <= the number of training rows",
                              Spec::kind);
    }
  }
};

}  // namespace detail

// k_neighbors_classifier -- the majority class (or distance-weighted vote) of the n_neighbors nearest training rows,
// as scikit-learn's KNeighborsClassifier.
struct k_neighbors_classifier {
  static constexpr std::string_view kind = "k_neighbors_classifier";

  index n_neighbors = 5;                               // neighbours per query; 1 <= n_neighbors <= training rows
  neighbor_weights weights = neighbor_weights::uniform;  // uniform votes, or weighted by 1 / distance
  neighbor_algorithm algorithm = neighbor_algorithm::automatic;  // how batch calls search (same results)
  double p = 2.0;                                      // Minkowski order: 1 Manhattan, 2 Euclidean; >= 1

  static constexpr auto params =
      std::tuple{param<"n_neighbors">(&k_neighbors_classifier::n_neighbors, at_least(1.0)),
                 param<"weights">(&k_neighbors_classifier::weights),
                 param<"algorithm">(&k_neighbors_classifier::algorithm),
                 param<"p">(&k_neighbors_classifier::p, at_least(1.0))};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
};

class k_neighbors_classifier::fitted : public detail::knn_base<k_neighbors_classifier> {
 public:
  static constexpr std::string_view kind = k_neighbors_classifier::kind;
  static constexpr int schema_version = 1;

  fitted() = default;
  fitted(k_neighbors_classifier spec, matrix X, vector classes, std::vector<index> codes)
      : knn_base(spec, std::move(X)), classes_(std::move(classes)), codes_(std::move(codes)) {}

  // The labels seen in y at fit, ascending.
  const vector& classes() const { return classes_; }
  // Each training row's class, as an index into classes().
  const std::vector<index>& codes() const { return codes_; }

  // Class probabilities: each class's share of the (weighted) votes, one column per class.
  matrix predict_proba(const matrix_view& X) const {
    matrix proba = matrix::Zero(X.rows(), classes_.size());
    for_each_neighbourhood(X, [&](index i, std::span<const double> w, auto neighbour) {
      double total = 0.0;
      for (std::size_t c = 0; c < w.size(); ++c) {
        proba(i, codes_[static_cast<std::size_t>(neighbour(static_cast<index>(c)))]) += w[c];
        total += w[c];
      }
      proba.row(i) /= total;
    });
    return proba;
  }

  // The class with the most (weighted) votes per row; the smallest such class on a tie.
  vector predict(const matrix_view& X) const {
    const matrix proba = predict_proba(X);
    vector out(X.rows());
    for (index i = 0; i < X.rows(); ++i) {
      index best = 0;
      proba.row(i).maxCoeff(&best);
      out(i) = classes_(best);
    }
    return out;
  }

  // One row, no allocation after a thread's first call (brute force in scratch memory).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const {
    detail::check_row(kind, row, n_features_in());
    if (static_cast<index>(out.size()) != classes_.size()) {
      throw invalid_input("out has " + std::to_string(out.size()) + " values but the model has " +
                              std::to_string(classes_.size()) + " classes; expected " +
                              std::to_string(classes_.size()) + " values",
                          kind);
    }
    votes(row, out);
  }

  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    detail::scratch_frame frame;
    const std::span<double> proba = frame.take(static_cast<std::size_t>(classes_.size()));
    votes(row, proba);
    std::size_t best = 0;
    for (std::size_t c = 1; c < proba.size(); ++c)
      if (proba[c] > proba[best]) best = c;
    return classes_(static_cast<index>(best));
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, finite training rows at
  // least n_neighbors of them, at least two sorted classes, one class index per row within range.
  void check_invariants() const {
    check_common();
    detail::check_state_classes(kind, "state.classes", classes_);
    detail::check_state_size(kind, "state.codes", static_cast<index>(codes_.size()), memory_->X.rows(),
                             "one per training row");
    for (std::size_t i = 0; i < codes_.size(); ++i) {
      if (codes_[i] < 0 || codes_[i] >= classes_.size())
        detail::throw_invariant(kind, "state.codes[" + std::to_string(i) + "] = " + std::to_string(codes_[i]) +
                                          " is out of range; expected 0 <= code < the number of classes = " +
                                          std::to_string(classes_.size()));
    }
  }

  template <class Archive>
  void serialize(Archive& ar) {
    serialize_common(ar);
    ar("classes", classes_);
    ar("codes", codes_);
  }

 private:
  void votes(std::span<const double> row, std::span<double> proba) const {
    with_row_neighbourhood(row, [&](std::span<const double> w, auto neighbour) {
      for (double& v : proba) v = 0.0;
      double total = 0.0;
      for (std::size_t c = 0; c < w.size(); ++c) {
        proba[static_cast<std::size_t>(codes_[static_cast<std::size_t>(neighbour(static_cast<index>(c)))])] += w[c];
        total += w[c];
      }
      for (double& v : proba) v /= total;
      return 0;
    });
  }

  vector classes_;
  std::vector<index> codes_;
};

template <class Deferred>
k_neighbors_classifier::fitted k_neighbors_classifier::fit(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  fitted::check_neighbors(*this, X);
  const auto labels = detail::shared_class_labels(kind, y);  // once per split in a search
  return fitted(*this, matrix(X), labels->classes, labels->codes);
}

// k_neighbors_regressor -- the mean (or 1 / distance weighted mean) target of the n_neighbors nearest training
// rows, as scikit-learn's KNeighborsRegressor.
struct k_neighbors_regressor {
  static constexpr std::string_view kind = "k_neighbors_regressor";

  index n_neighbors = 5;                               // neighbours per query; 1 <= n_neighbors <= training rows
  neighbor_weights weights = neighbor_weights::uniform;  // uniform mean, or weighted by 1 / distance
  neighbor_algorithm algorithm = neighbor_algorithm::automatic;  // how batch calls search (same results)
  double p = 2.0;                                      // Minkowski order: 1 Manhattan, 2 Euclidean; >= 1

  static constexpr auto params =
      std::tuple{param<"n_neighbors">(&k_neighbors_regressor::n_neighbors, at_least(1.0)),
                 param<"weights">(&k_neighbors_regressor::weights),
                 param<"algorithm">(&k_neighbors_regressor::algorithm),
                 param<"p">(&k_neighbors_regressor::p, at_least(1.0))};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
};

class k_neighbors_regressor::fitted : public detail::knn_base<k_neighbors_regressor> {
 public:
  static constexpr std::string_view kind = k_neighbors_regressor::kind;
  static constexpr int schema_version = 1;

  fitted() = default;
  fitted(k_neighbors_regressor spec, matrix X, vector y) : knn_base(spec, std::move(X)), y_(std::move(y)) {}

  // The training targets.
  const vector& fit_y() const { return y_; }

  vector predict(const matrix_view& X) const {
    vector out(X.rows());
    for_each_neighbourhood(X, [&](index i, std::span<const double> w, auto neighbour) {
      out(i) = combine(w, [&](index c) { return y_(neighbour(c)); });
    });
    return out;
  }

  // One row, no allocation after a thread's first call (brute force in scratch memory).
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return with_row_neighbourhood(row, [&](std::span<const double> w, auto neighbour) {
      return combine(w, [&](index c) { return y_(neighbour(c)); });
    });
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, finite training rows at
  // least n_neighbors of them, one finite target per row.
  void check_invariants() const {
    check_common();
    detail::check_state_size(kind, "state.y", y_.size(), memory_->X.rows(), "one per training row");
    detail::check_state_values(kind, "state.y", y_);
  }

  template <class Archive>
  void serialize(Archive& ar) {
    serialize_common(ar);
    ar("y", y_);
  }

 private:
  // sum_c w_c y_c / sum_c w_c, as scikit-learn (uniform: the plain mean).
  template <class Target>
  double combine(std::span<const double> w, Target target) const {
    double num = 0.0;
    double den = 0.0;
    for (std::size_t c = 0; c < w.size(); ++c) {
      if (spec_.weights == neighbor_weights::uniform) {
        num += target(static_cast<index>(c));
      } else {
        num += w[c] * target(static_cast<index>(c));
        den += w[c];
      }
    }
    return spec_.weights == neighbor_weights::uniform ? num / static_cast<double>(w.size()) : num / den;
  }

  vector y_;
};

template <class Deferred>
k_neighbors_regressor::fitted k_neighbors_regressor::fit(const matrix_view& X, const vector_view& y) const {
  validate_params(*this);
  detail::check_fit_input(kind, X, y);
  fitted::check_neighbors(*this, X);
  return fitted(*this, matrix(X), vector(y));
}

}  // namespace mlpipe
