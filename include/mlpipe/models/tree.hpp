#pragma once

#include <algorithm>    // std::max, std::min
#include <array>
#include <bit>          // std::bit_cast
#include <cmath>        // std::sqrt, std::log, std::log2, std::isfinite, std::floor
#include <cstdint>      // std::int64_t, std::uint64_t
#include <limits>
#include <numeric>      // std::iota
#include <optional>
#include <random>       // std::mt19937_64
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>  // std::is_same_v
#include <utility>      // std::move, std::pair, std::swap
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double, enum_names, param_traits
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/models/class_weight.hpp"

// CART decision trees as scikit-learn 1.2 grows them (its BestSplitter / RandomSplitter, depth-first and best-first
// builders, minimal cost-complexity pruning), with mlpipe's own random stream: with every feature considered at
// each split and no two candidate splits tied, a tree has scikit-learn's structure, thresholds and predictions.
// Tie rule: at each node the features are visited in a seeded random order (scikit-learn's Fisher-Yates draw, with
// its bookkeeping of constant features) and the first candidate with the strictly largest improvement wins, so
// tied splits resolve as the seed says (like scikit-learn, but with another stream).

namespace mlpipe {

// classification_criterion -- the impurity a classification tree minimizes.
enum class classification_criterion {
  gini,     // Gini impurity 1 - sum_k p_k^2
  entropy,  // Shannon entropy -sum_k p_k log2 p_k
  log_loss  // the same as entropy (scikit-learn's newer name)
};

template <>
struct enum_names<classification_criterion> {
  static constexpr std::array values{std::pair{classification_criterion::gini, std::string_view("gini")},
                                     std::pair{classification_criterion::entropy, std::string_view("entropy")},
                                     std::pair{classification_criterion::log_loss, std::string_view("log_loss")}};
};

// regression_criterion -- the impurity a regression tree minimizes.
enum class regression_criterion {
  squared_error  // the variance of the targets in a node (mean squared error around their mean)
};

template <>
struct enum_names<regression_criterion> {
  static constexpr std::array values{
      std::pair{regression_criterion::squared_error, std::string_view("squared_error")}};
};

// max_features -- how many features a split considers: all, sqrt(n), log2(n), a fraction of n, or a count; as
// scikit-learn's max_features (None, "sqrt", "log2", a float, an int). `mp::max_features::sqrt`,
// `mp::max_features::fraction(0.5)`, `mp::max_features::count(3)`.
struct max_features {
  // Which rule gives the number.
  enum class rule { all, sqrt, log2, fraction, count };
  rule how = rule::all;  // the rule
  double value = 1.0;    // the fraction (0 < value <= 1) or the count (an integer >= 1); unused by the others

  static const max_features all;   // every feature (scikit-learn's None)
  static const max_features sqrt;  // max(1, floor(sqrt(n_features)))
  static const max_features log2;  // max(1, floor(log2(n_features)))
  // max(1, floor(f * n_features)) features, 0 < f <= 1.
  static constexpr max_features fraction(double f) { return {rule::fraction, f}; }
  // n features, 1 <= n <= n_features.
  static constexpr max_features count(std::int64_t n) { return {rule::count, static_cast<double>(n)}; }

  friend constexpr bool operator==(const max_features&, const max_features&) = default;

  // The number of features a split considers among n_features (at least 1), as scikit-learn resolves it.
  index resolve(index n_features) const {
    const auto n = static_cast<double>(n_features);
    switch (how) {
      case rule::sqrt: return std::max<index>(1, static_cast<index>(std::sqrt(n)));
      case rule::log2: return std::max<index>(1, static_cast<index>(std::log2(n)));
      case rule::fraction: return std::max<index>(1, static_cast<index>(value * n));
      case rule::count: return static_cast<index>(value);
      case rule::all: break;
    }
    return n_features;
  }
};

inline constexpr max_features max_features::all{max_features::rule::all, 1.0};
inline constexpr max_features max_features::sqrt{max_features::rule::sqrt, 1.0};
inline constexpr max_features max_features::log2{max_features::rule::log2, 1.0};

// A max_features from a grid or a file: "all", "sqrt", "log2", a real number (a fraction) or an integer (a count).
template <>
struct param_traits<max_features> {
  static constexpr std::string_view expected =
      "\"all\", \"sqrt\", \"log2\", a fraction (a real number) or a count (an integer)";
  static std::optional<max_features> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (*s == "all") return max_features::all;
      if (*s == "sqrt") return max_features::sqrt;
      if (*s == "log2") return max_features::log2;
      return std::nullopt;
    }
    if (const auto* d = std::get_if<double>(&v)) return max_features::fraction(*d);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return max_features{max_features::rule::count, static_cast<double>(*i)};
    return std::nullopt;
  }
  static param_value to_value(const max_features& m) {
    switch (m.how) {
      case max_features::rule::sqrt: return std::string("sqrt");
      case max_features::rule::log2: return std::string("log2");
      case max_features::rule::fraction: return m.value;
      case max_features::rule::count: return static_cast<std::int64_t>(m.value);
      case max_features::rule::all: break;
    }
    return std::string("all");
  }
};

// max_features_range -- the valid values of a max_features hyperparameter: a fraction in (0, 1] or a count >= 1.
struct max_features_range {
  constexpr bool contains(const max_features& m) const {
    if (m.how == max_features::rule::fraction) return m.value > 0.0 && m.value <= 1.0;
    if (m.how == max_features::rule::count) return m.value >= 1.0 && m.value <= 9.0e15;
    return true;
  }
  std::string describe(std::string_view name) const {
    const std::string n(name);
    return "0 < " + n + " <= 1 (a fraction), " + n + " >= 1 (a count), \"sqrt\", \"log2\" or \"all\"";
  }
};

// at_least_or_unlimited -- an integer that is either >= lo or -1, which means minus_one_means (max_depth and
// max_leaf_nodes: -1 for no limit; n_jobs: -1 for every core).
struct at_least_or_unlimited {
  double lo = 1.0;
  const char* minus_one_means = "no limit";
  template <class T>
  constexpr bool contains(const T& t) const {
    return t == -1 || static_cast<double>(t) >= lo;
  }
  std::string describe(std::string_view name) const {
    return std::string(name) + " >= " + format_double(lo) + ", or -1 for " + minus_one_means;
  }
};

// pruning_path -- minimal cost-complexity pruning's sequence, as scikit-learn's cost_complexity_pruning_path: the
// effective alphas (ascending, the first 0) at which subtrees are pruned, and the total leaf impurity (weighted by
// the fraction of samples in each leaf) of the tree pruned at each of them.
struct pruning_path {
  vector ccp_alphas;
  vector impurities;
};

// tree_structure -- the nodes of one or more fitted trees, as scikit-learn's tree_ arrays: node i is a leaf when
// children_left()[i] == tree_structure::leaf, else rows with X[feature()[i]] <= threshold()[i] go to
// children_left()[i] and the others to children_right()[i]. Children always come after their parent. value() has a
// row per node: the (weighted) class counts of its training samples for a classifier, their mean for a regressor.
// In a forest the trees' nodes follow each other and child indices are absolute.
class tree_structure {
 public:
  static constexpr index leaf = -1;       // children_left / children_right of a leaf
  static constexpr index undefined = -2;  // feature of a leaf (its threshold is -2 too, as in scikit-learn)

  index node_count() const { return static_cast<index>(f_.children_left.size()); }
  // The node rows with X[feature] <= threshold go to; leaf for a leaf.
  const std::vector<index>& children_left() const { return f_.children_left; }
  // The node the other rows go to; leaf for a leaf.
  const std::vector<index>& children_right() const { return f_.children_right; }
  // The feature a node splits on; undefined for a leaf.
  const std::vector<index>& feature() const { return f_.feature; }
  // The split value (the midpoint of two training values, as scikit-learn); -2 for a leaf.
  const vector& threshold() const { return f_.threshold; }
  // The node's impurity on its training samples (the criterion's, e.g. Gini).
  const vector& impurity() const { return f_.impurity; }
  // How many distinct training rows reached the node.
  const std::vector<index>& n_node_samples() const { return f_.n_node_samples; }
  // Their total weight (with a forest's bootstrap, how many draws reached it).
  const vector& weighted_n_node_samples() const { return f_.weighted_n_node_samples; }
  // One row per node: weighted class counts (classifiers) or the mean target (regressors).
  const matrix& value() const { return f_.value; }
  bool is_leaf(index node) const { return f_.children_left[static_cast<std::size_t>(node)] == leaf; }

  // The leaf reached from the root `root` by a row whose feature j is at(j). No allocation.
  template <class At>
  index leaf_of(index root, At&& at) const {
    index node = root;
    while (f_.children_left[static_cast<std::size_t>(node)] != leaf) {
      const auto u = static_cast<std::size_t>(node);
      node = at(f_.feature[u]) <= f_.threshold(node) ? f_.children_left[u] : f_.children_right[u];
    }
    return node;
  }

  // Saves or loads the arrays (see mlpipe/io/serialize.hpp); names as in the file: state.children_left, ...
  template <class Archive>
  void serialize_fields(Archive& ar) {
    ar("children_left", f_.children_left);
    ar("children_right", f_.children_right);
    ar("feature", f_.feature);
    ar("threshold", f_.threshold);
    ar("impurity", f_.impurity);
    ar("n_node_samples", f_.n_node_samples);
    ar("weighted_n_node_samples", f_.weighted_n_node_samples);
    ar("value", f_.value);
  }

  // The arrays themselves, for code that builds trees: tree_structure(fields) takes them as they are (fit and load
  // check them: see detail::check_tree_nodes).
  struct fields {
    std::vector<index> children_left, children_right, feature;
    vector threshold, impurity;
    std::vector<index> n_node_samples;
    vector weighted_n_node_samples;
    matrix value;
  };
  tree_structure() = default;
  explicit tree_structure(fields f) : f_(std::move(f)) {}

 private:
  fields f_;
};

namespace detail {

// Values within this distance count as equal when a splitter looks for split points (scikit-learn's
// FEATURE_THRESHOLD); a node whose values of a feature all lie within it has that feature constant.
inline constexpr double feature_threshold = 1e-7;

// splitmix64: the seeds of independent random streams from (seed, index) pairs (a forest's trees).
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// tree_random -- a tree's random stream: std::mt19937_64 (the same numbers on every platform) behind the two draws a
// splitter needs.
class tree_random {
 public:
  explicit tree_random(std::uint64_t seed) : engine_(splitmix64(seed)) {}
  // A uniform integer in [low, high), high > low.
  index integer(index low, index high) {
    return low + static_cast<index>(engine_() % static_cast<std::uint64_t>(high - low));
  }
  // A uniform double in [low, high).
  double uniform(double low, double high) {
    return low + (high - low) * (static_cast<double>(engine_() >> 11) * 0x1.0p-53);
  }

 private:
  std::mt19937_64 engine_;
};

// Sorts (value, row) pairs by value, stably: rows with equal values keep their order. An LSD radix sort on the
// values' order-preserving bit patterns (8 bits a pass, passes where every value has the same byte skipped), so a
// node's feature sorts in a few linear passes instead of n log n comparisons; insertion sort for short ranges.
// buffer: scratch space, resized as needed. The values are finite (fit checks X).
inline void sort_by_value(std::vector<std::pair<double, index>>& pairs, std::vector<std::pair<double, index>>& buffer) {
  const std::size_t n = pairs.size();
  const auto insertion_sort = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin + 1; i < end; ++i) {
      const std::pair<double, index> moved = pairs[i];
      std::size_t j = i;
      for (; j > begin && pairs[j - 1].first > moved.first; --j) pairs[j] = pairs[j - 1];
      pairs[j] = moved;
    }
  };
  if (n <= 32) {
    insertion_sort(0, n);
    return;
  }
  buffer.resize(n);
  std::vector<std::pair<double, index>>* from = &pairs;
  std::vector<std::pair<double, index>>* to = &buffer;
  // The bits of a double, flipped so that unsigned order is numeric order (-0 comes just before +0).
  const auto key = [](double x) {
    const auto u = std::bit_cast<std::uint64_t>(x);
    return (u >> 63) != 0 ? ~u : u | (std::uint64_t{1} << 63);
  };
  std::array<std::array<std::uint32_t, 256>, 8> counts{};
  for (const auto& [x, row] : pairs) {
    const std::uint64_t k = key(x);
    for (std::size_t d = 0; d < 8; ++d) ++counts[d][(k >> (8 * d)) & 0xff];
  }
  for (std::size_t d = 0; d < 8; ++d) {
    std::array<std::uint32_t, 256>& c = counts[d];
    if (c[(key((*from)[0].first) >> (8 * d)) & 0xff] == n) continue;  // every value has this byte
    std::uint32_t offset = 0;
    for (std::uint32_t& bucket : c) offset += std::exchange(bucket, offset);
    for (const auto& item : *from) (*to)[c[(key(item.first) >> (8 * d)) & 0xff]++] = item;
    std::swap(from, to);
  }
  if (from != &pairs) pairs.swap(buffer);
}

// The state of a tree being grown: its nodes, and the target statistics of nodes.
struct tree_settings {
  bool classification = true;
  bool entropy = false;       // entropy rather than Gini (classification)
  index n_classes = 1;        // classes (classification), 1 otherwise
  index max_depth = std::numeric_limits<index>::max();
  index min_samples_split = 2;
  index min_samples_leaf = 1;
  double min_impurity_decrease = 0.0;
  index max_features = 1;     // resolved
  index max_leaf_nodes = -1;  // -1: depth-first growth, else best-first
  bool random_splits = false; // extra trees: one random threshold per feature
};

// grow_tree -- CART as scikit-learn's builders and splitters do it. X: the training rows; y: targets (class index
// as a double for classification); weights: per-row weights (empty: all 1; rows of weight 0 are left out, as a
// bootstrap leaves them out).
template <class Deferred = void>
class tree_grower {
 public:
  tree_grower(const matrix_view& X, const double* y, std::span<const double> weights, const tree_settings& s,
              tree_random& rng)
      : X_(X), y_(y), weights_(weights), s_(s), rng_(rng), features_(static_cast<std::size_t>(X.cols())),
        constant_features_(static_cast<std::size_t>(X.cols())), stats_(static_cast<std::size_t>(s.n_classes)),
        left_(static_cast<std::size_t>(s.n_classes)), right_(static_cast<std::size_t>(s.n_classes)) {
    for (index i = 0; i < X.rows(); ++i)
      if (weights_.empty() || weights_[static_cast<std::size_t>(i)] != 0.0) samples_.push_back(i);
    std::iota(features_.begin(), features_.end(), index{0});
  }

  tree_structure grow() {
    const index n = static_cast<index>(samples_.size());
    node_stats(0, n, stats_);
    total_weight_ = stats_.weight;
    const double root_impurity = impurity_of(stats_);
    if (s_.max_leaf_nodes < 0) grow_depth_first(n, root_impurity);
    else grow_best_first(n, root_impurity);
    const auto n_nodes = static_cast<index>(tree_.children_left.size());
    tree_.value.resize(n_nodes, s_.n_classes);
    for (index i = 0; i < n_nodes; ++i)
      for (index k = 0; k < s_.n_classes; ++k) tree_.value(i, k) = values_[static_cast<std::size_t>(i * s_.n_classes + k)];
    tree_.threshold = Eigen::Map<const vector>(threshold_.data(), static_cast<index>(threshold_.size()));
    tree_.impurity = Eigen::Map<const vector>(impurity_.data(), static_cast<index>(impurity_.size()));
    tree_.weighted_n_node_samples = Eigen::Map<const vector>(weighted_.data(), static_cast<index>(weighted_.size()));
    return tree_structure(std::move(tree_));
  }

 private:
  // A node's target statistics: class weights (classification) or weighted sum and sum of squares (regression).
  struct stats {
    explicit stats(std::size_t k) : counts(k, 0.0) {}
    std::vector<double> counts;
    double sum = 0.0, sq_sum = 0.0, weight = 0.0;
    void clear() {
      std::fill(counts.begin(), counts.end(), 0.0);
      sum = sq_sum = weight = 0.0;
    }
  };

  struct split {
    index feature = 0;
    double threshold = 0.0;
    index pos = 0;  // the end of the left child's samples; == end when no split was found
    double improvement = 0.0;
    double impurity_left = 0.0, impurity_right = 0.0;
  };

  double weight_of(index sample) const {
    return weights_.empty() ? 1.0 : weights_[static_cast<std::size_t>(sample)];
  }

  void add(stats& st, index sample) const {
    const double w = weight_of(sample);
    const double t = y_[sample];
    if (s_.classification) st.counts[static_cast<std::size_t>(t)] += w;
    else {
      st.sum += w * t;
      st.sq_sum += w * t * t;
    }
    st.weight += w;
  }

  void node_stats(index start, index end, stats& st) const {
    st.clear();
    for (index p = start; p < end; ++p) add(st, samples_[static_cast<std::size_t>(p)]);
  }

  // scikit-learn's node_impurity / children_impurity.
  double impurity_of(const stats& st) const {
    // A variance that cancellation made slightly negative is 0 (scikit-learn keeps e.g. -5.6e-17).
    if (!s_.classification) return std::max(0.0, st.sq_sum / st.weight - (st.sum / st.weight) * (st.sum / st.weight));
    if (s_.entropy) {
      double entropy = 0.0;
      for (const double c : st.counts) {
        if (c > 0.0) {
          const double p = c / st.weight;
          entropy -= p * (std::log(p) / std::log(2.0));
        }
      }
      return entropy;
    }
    double sq = 0.0;
    for (const double c : st.counts) sq += c * c;
    return 1.0 - sq / (st.weight * st.weight);
  }

  // scikit-learn's proxy_impurity_improvement: what the best split maximizes.
  double proxy(const stats& left, const stats& right) const {
    if (!s_.classification) return left.sum * left.sum / left.weight + right.sum * right.sum / right.weight;
    return -right.weight * impurity_of(right) - left.weight * impurity_of(left);
  }

  void subtract(const stats& total, const stats& left, stats& right) const {
    for (std::size_t k = 0; k < total.counts.size(); ++k) right.counts[k] = total.counts[k] - left.counts[k];
    right.sum = total.sum - left.sum;
    right.sq_sum = total.sq_sum - left.sq_sum;
    right.weight = total.weight - left.weight;
  }

  // The best split of samples [start, end) (scikit-learn's node_split); partitions the samples by it.
  split node_split(index start, index end, double impurity, const stats& node, index& n_constant_features) {
    split best;
    best.pos = end;
    double best_proxy = -std::numeric_limits<double>::infinity();
    const index n_features = X_.cols();
    index f_i = n_features;
    const index n_known_constants = n_constant_features;
    index n_total_constants = n_known_constants;
    index n_found_constants = 0, n_drawn_constants = 0, n_visited = 0;
    const index n = end - start;
    pairs_.resize(static_cast<std::size_t>(n));
    while (f_i > n_total_constants &&
           (n_visited < s_.max_features || n_visited <= n_found_constants + n_drawn_constants)) {
      ++n_visited;
      index f_j = rng_.integer(n_drawn_constants, f_i - n_found_constants);
      if (f_j < n_known_constants) {
        std::swap(features_[static_cast<std::size_t>(n_drawn_constants)], features_[static_cast<std::size_t>(f_j)]);
        ++n_drawn_constants;
        continue;
      }
      f_j += n_found_constants;
      const index feature = features_[static_cast<std::size_t>(f_j)];
      const double* column = X_.col(feature).data();
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (index p = 0; p < n; ++p) {
        const index sample = samples_[static_cast<std::size_t>(start + p)];
        const double x = column[sample];
        pairs_[static_cast<std::size_t>(p)] = {x, sample};
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      if (hi <= lo + feature_threshold) {
        std::swap(features_[static_cast<std::size_t>(f_j)], features_[static_cast<std::size_t>(n_total_constants)]);
        ++n_found_constants;
        ++n_total_constants;
        continue;
      }
      --f_i;
      std::swap(features_[static_cast<std::size_t>(f_i)], features_[static_cast<std::size_t>(f_j)]);
      if (s_.random_splits) {
        double threshold = rng_.uniform(lo, hi);
        if (threshold == hi) threshold = lo;
        left_.clear();
        index n_left = 0;
        for (index p = 0; p < n; ++p) {
          if (pairs_[static_cast<std::size_t>(p)].first <= threshold) {
            add(left_, pairs_[static_cast<std::size_t>(p)].second);
            ++n_left;
          }
        }
        if (n_left < s_.min_samples_leaf || n - n_left < s_.min_samples_leaf) continue;
        subtract(node, left_, right_);
        const double current = proxy(left_, right_);
        if (current > best_proxy) {
          best_proxy = current;
          best.feature = feature;
          best.threshold = threshold;
          best.pos = start + n_left;
        }
        continue;
      }
      sort_by_value(pairs_, sort_buffer_);
      left_.clear();
      index p = 0;
      while (p < n) {
        while (p + 1 < n && pairs_[static_cast<std::size_t>(p + 1)].first <=
                                pairs_[static_cast<std::size_t>(p)].first + feature_threshold) {
          add(left_, pairs_[static_cast<std::size_t>(p)].second);
          ++p;
        }
        add(left_, pairs_[static_cast<std::size_t>(p)].second);
        ++p;
        if (p >= n) break;
        if (p < s_.min_samples_leaf || n - p < s_.min_samples_leaf) continue;
        subtract(node, left_, right_);
        const double current = proxy(left_, right_);
        if (current > best_proxy) {
          best_proxy = current;
          const double a = pairs_[static_cast<std::size_t>(p - 1)].first;
          const double b = pairs_[static_cast<std::size_t>(p)].first;
          double threshold = a / 2.0 + b / 2.0;
          if (threshold == b || !std::isfinite(threshold)) threshold = a;
          best.feature = feature;
          best.threshold = threshold;
          best.pos = start + p;
        }
      }
    }
    if (best.pos < end) {
      // Rows with X[feature] <= threshold first, each side in its previous order.
      const double* column = X_.col(best.feature).data();
      std::vector<index>& tmp = partition_buffer_;
      tmp.clear();
      index write = start;
      for (index p = start; p < end; ++p) {
        const index sample = samples_[static_cast<std::size_t>(p)];
        if (column[sample] <= best.threshold) samples_[static_cast<std::size_t>(write++)] = sample;
        else tmp.push_back(sample);
      }
      std::copy(tmp.begin(), tmp.end(), samples_.begin() + write);
      node_stats(start, best.pos, left_);
      node_stats(best.pos, end, right_);
      best.impurity_left = impurity_of(left_);
      best.impurity_right = impurity_of(right_);
      best.improvement = node.weight / total_weight_ *
                         (impurity - right_.weight / node.weight * best.impurity_right -
                          left_.weight / node.weight * best.impurity_left);
    }
    // The constant features known on entry keep their order; the new ones follow them (scikit-learn's invariant).
    std::copy(constant_features_.begin(), constant_features_.begin() + n_known_constants, features_.begin());
    std::copy(features_.begin() + n_known_constants, features_.begin() + n_known_constants + n_found_constants,
              constant_features_.begin() + n_known_constants);
    n_constant_features = n_total_constants;
    return best;
  }

  index add_node(index parent, bool is_left, bool is_leaf, const split& sp, double impurity, index n_samples,
                 const stats& st) {
    const auto id = static_cast<index>(tree_.children_left.size());
    tree_.children_left.push_back(tree_structure::leaf);
    tree_.children_right.push_back(tree_structure::leaf);
    tree_.feature.push_back(is_leaf ? tree_structure::undefined : sp.feature);
    threshold_.push_back(is_leaf ? static_cast<double>(tree_structure::undefined) : sp.threshold);
    impurity_.push_back(impurity);
    tree_.n_node_samples.push_back(n_samples);
    weighted_.push_back(st.weight);
    for (index k = 0; k < s_.n_classes; ++k)
      values_.push_back(s_.classification ? st.counts[static_cast<std::size_t>(k)] : st.sum / st.weight);
    if (parent >= 0) (is_left ? tree_.children_left : tree_.children_right)[static_cast<std::size_t>(parent)] = id;
    return id;
  }

  bool stops(index n, index depth, double impurity) const {
    return depth >= s_.max_depth || n < s_.min_samples_split || n < 2 * s_.min_samples_leaf ||
           impurity <= std::numeric_limits<double>::epsilon();
  }

  bool too_little(const split& sp, index end) const {
    return sp.pos >= end || sp.improvement + std::numeric_limits<double>::epsilon() < s_.min_impurity_decrease;
  }

  // What both builders do for a node over samples [start, end): its statistics, whether it stays a leaf, its best
  // split otherwise, and the node itself (added with that split; the best-first builder may turn it into a leaf
  // later). n_constant_features: the features known constant above it, updated by the split search.
  struct added_node {
    index id;
    bool is_leaf;
    split sp;
  };
  added_node add_node_with_split(index start, index end, index depth, double impurity, index parent, bool is_left,
                                 index& n_constant_features) {
    node_stats(start, end, stats_);
    bool is_leaf = stops(end - start, depth, impurity);
    split sp;
    sp.pos = end;
    if (!is_leaf) {
      sp = node_split(start, end, impurity, stats_, n_constant_features);
      is_leaf = too_little(sp, end);
    }
    return {add_node(parent, is_left, is_leaf, sp, impurity, end - start, stats_), is_leaf, sp};
  }

  void grow_depth_first(index n, double root_impurity) {
    struct record {
      index start, end, depth, parent;
      bool is_left;
      double impurity;
      index n_constant_features;
    };
    std::vector<record> stack{{0, n, 0, -1, false, root_impurity, 0}};
    while (!stack.empty()) {
      record r = stack.back();
      stack.pop_back();
      const added_node a = add_node_with_split(r.start, r.end, r.depth, r.impurity, r.parent, r.is_left,
                                               r.n_constant_features);
      if (a.is_leaf) continue;
      stack.push_back({a.sp.pos, r.end, r.depth + 1, a.id, false, a.sp.impurity_right, r.n_constant_features});
      stack.push_back({r.start, a.sp.pos, r.depth + 1, a.id, true, a.sp.impurity_left, r.n_constant_features});
    }
  }

  struct frontier_record {
    index node, start, end, pos, depth;
    bool is_leaf;
    double improvement, impurity_left, impurity_right;
  };

  // scikit-learn's _add_split_node: the node is added with its best split already found (not yet expanded).
  frontier_record add_split_node(index start, index end, double impurity, bool is_left, index parent, index depth) {
    index n_constant_features = 0;
    const added_node a = add_node_with_split(start, end, depth, impurity, parent, is_left, n_constant_features);
    if (a.is_leaf) return {a.id, start, end, end, depth, true, 0.0, impurity, impurity};
    return {a.id, start, end, a.sp.pos, depth, false, a.sp.improvement, a.sp.impurity_left, a.sp.impurity_right};
  }

  void grow_best_first(index n, double root_impurity) {
    std::vector<frontier_record> frontier{add_split_node(0, n, root_impurity, false, -1, 0)};
    index max_split_nodes = s_.max_leaf_nodes - 1;
    while (!frontier.empty()) {
      // The largest improvement first; ties: the earliest node.
      std::size_t pick = 0;
      for (std::size_t i = 1; i < frontier.size(); ++i) {
        if (frontier[i].improvement > frontier[pick].improvement ||
            (frontier[i].improvement == frontier[pick].improvement && frontier[i].node < frontier[pick].node))
          pick = i;
      }
      const frontier_record r = frontier[pick];
      frontier.erase(frontier.begin() + static_cast<std::ptrdiff_t>(pick));
      const auto u = static_cast<std::size_t>(r.node);
      if (r.is_leaf || max_split_nodes <= 0) {
        tree_.feature[u] = tree_structure::undefined;
        threshold_[u] = static_cast<double>(tree_structure::undefined);
        continue;
      }
      --max_split_nodes;
      frontier.push_back(add_split_node(r.start, r.pos, r.impurity_left, true, r.node, r.depth + 1));
      frontier.push_back(add_split_node(r.pos, r.end, r.impurity_right, false, r.node, r.depth + 1));
    }
  }

  Eigen::Ref<const matrix> X_;
  const double* y_;
  std::span<const double> weights_;
  tree_settings s_;
  tree_random& rng_;
  std::vector<index> samples_, features_, constant_features_, partition_buffer_;
  std::vector<std::pair<double, index>> pairs_, sort_buffer_;  // a feature's (value, row) pairs; sort_by_value's scratch
  stats stats_, left_, right_;
  double total_weight_ = 0.0;
  tree_structure::fields tree_;
  std::vector<double> threshold_, impurity_, weighted_, values_;
};

// Minimal cost-complexity pruning of the tree in nodes [0, node_count) (scikit-learn's _cost_complexity_prune):
// prunes the weakest link while its effective alpha is <= ccp_alpha (all the way to the root when path is given,
// which receives the alphas and impurities). Returns which nodes stay (in_subtree) and which of them are leaves.
template <class Deferred = void>
std::pair<std::vector<char>, std::vector<char>> cost_complexity_prune(const tree_structure& t, double ccp_alpha,
                                                                      pruning_path* path) {
  const auto n = static_cast<std::size_t>(t.node_count());
  if (n == 0) return {};  // no tree (a fitted tree has its root at least)
  const auto& left = t.children_left();
  const auto& right = t.children_right();
  std::vector<index> parent(n, -1), n_leaves(n, 0);
  std::vector<double> r_node(n), r_branch(n, 0.0);
  std::vector<char> leaves(n, 0), in_subtree(n, 1), candidate(n, 0);
  const double total = t.weighted_n_node_samples()(0);
  for (std::size_t i = 0; i < n; ++i) {
    r_node[i] = t.weighted_n_node_samples()(static_cast<index>(i)) * t.impurity()(static_cast<index>(i)) / total;
    if (left[i] == tree_structure::leaf) {
      leaves[i] = 1;
    } else {
      parent[static_cast<std::size_t>(left[i])] = static_cast<index>(i);
      parent[static_cast<std::size_t>(right[i])] = static_cast<index>(i);
      candidate[i] = 1;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!leaves[i]) continue;
    r_branch[i] = r_node[i];
    index node = static_cast<index>(i);
    while (node != 0) {
      const auto p = static_cast<std::size_t>(parent[static_cast<std::size_t>(node)]);
      r_branch[p] += r_node[i];
      ++n_leaves[p];
      node = static_cast<index>(p);
    }
  }
  std::vector<double> alphas{0.0}, impurities{r_branch[0]};
  std::vector<index> stack;
  while (candidate[0]) {
    double effective = std::numeric_limits<double>::max();
    std::size_t weakest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!candidate[i]) continue;
      const double alpha = (r_node[i] - r_branch[i]) / static_cast<double>(n_leaves[i] - 1);
      if (alpha < effective) {
        effective = alpha;
        weakest = i;
      }
    }
    if (path == nullptr && ccp_alpha < effective) break;
    stack.assign(1, static_cast<index>(weakest));
    while (!stack.empty()) {
      const auto node = static_cast<std::size_t>(stack.back());
      stack.pop_back();
      if (!in_subtree[node]) continue;
      candidate[node] = 0;
      leaves[node] = 0;
      in_subtree[node] = 0;
      if (left[node] != tree_structure::leaf) {
        stack.push_back(left[node]);
        stack.push_back(right[node]);
      }
    }
    leaves[weakest] = 1;
    in_subtree[weakest] = 1;
    const index pruned_leaves = n_leaves[weakest] - 1;
    n_leaves[weakest] = 0;
    const double r_diff = r_node[weakest] - r_branch[weakest];
    r_branch[weakest] = r_node[weakest];
    for (index node = parent[weakest]; node != -1; node = parent[static_cast<std::size_t>(node)]) {
      n_leaves[static_cast<std::size_t>(node)] -= pruned_leaves;
      r_branch[static_cast<std::size_t>(node)] += r_diff;
    }
    alphas.push_back(effective);
    impurities.push_back(r_branch[0]);
  }
  if (path != nullptr) {
    path->ccp_alphas = Eigen::Map<const vector>(alphas.data(), static_cast<index>(alphas.size()));
    path->impurities = Eigen::Map<const vector>(impurities.data(), static_cast<index>(impurities.size()));
  }
  return {std::move(in_subtree), std::move(leaves)};
}

// The tree without its pruned nodes, renumbered in depth-first order, left child first (scikit-learn's
// _build_pruned_tree).
template <class Deferred = void>
tree_structure pruned_tree(const tree_structure& t, const std::vector<char>& leaves) {
  tree_structure::fields out;
  std::vector<double> thr, imp, wn, val;
  const index k = t.value().cols();
  struct record {
    index node, parent;
    bool is_left;
  };
  std::vector<record> stack{{0, -1, false}};
  while (!stack.empty()) {
    const record r = stack.back();
    stack.pop_back();
    const auto u = static_cast<std::size_t>(r.node);
    const bool is_leaf = leaves[u] != 0;
    const index id = static_cast<index>(out.children_left.size());
    out.children_left.push_back(tree_structure::leaf);
    out.children_right.push_back(tree_structure::leaf);
    out.feature.push_back(is_leaf ? tree_structure::undefined : t.feature()[u]);
    thr.push_back(is_leaf ? static_cast<double>(tree_structure::undefined) : t.threshold()(r.node));
    imp.push_back(t.impurity()(r.node));
    out.n_node_samples.push_back(t.n_node_samples()[u]);
    wn.push_back(t.weighted_n_node_samples()(r.node));
    for (index c = 0; c < k; ++c) val.push_back(t.value()(r.node, c));
    if (r.parent >= 0)
      (r.is_left ? out.children_left : out.children_right)[static_cast<std::size_t>(r.parent)] = id;
    if (!is_leaf) {
      stack.push_back({t.children_right()[u], id, false});
      stack.push_back({t.children_left()[u], id, true});
    }
  }
  const auto m = static_cast<index>(thr.size());
  out.threshold = Eigen::Map<const vector>(thr.data(), m);
  out.impurity = Eigen::Map<const vector>(imp.data(), m);
  out.weighted_n_node_samples = Eigen::Map<const vector>(wn.data(), m);
  out.value = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(val.data(), m, k);
  return tree_structure(std::move(out));
}

// Impurity-based importances of the tree in nodes [begin, end), as scikit-learn's compute_feature_importances:
// each split's weighted impurity decrease summed per feature, divided by the root's weight, then normalized to sum
// to 1 (all zero for a single leaf).
inline vector tree_importances(const tree_structure& t, index begin, index end, index n_features) {
  vector out = vector::Zero(n_features);
  const vector& w = t.weighted_n_node_samples();
  const vector& imp = t.impurity();
  for (index i = begin; i < end; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (t.children_left()[u] == tree_structure::leaf) continue;
    const index l = t.children_left()[u], r = t.children_right()[u];
    out(t.feature()[u]) += w(i) * imp(i) - w(l) * imp(l) - w(r) * imp(r);
  }
  out /= w(begin);
  const double sum = out.sum();
  if (sum > 0.0) out /= sum;
  return out;
}

// The checks of check_invariants for the trees whose roots are `roots` (the last tree ends at node_count): arrays of
// one size, children after their parent and within their tree, every node but a root with exactly one parent (so
// each tree is a tree: no cycles, no shared or unreachable nodes), split features in range, finite thresholds,
// impurities and values, sample counts that add up, positive weights; class counts (classifiers) non-negative with a
// positive total.
inline void check_tree_nodes(std::string_view kind, const tree_structure& t, const std::vector<index>& roots,
                             index n_features, index n_outputs, bool counts) {
  const index n = t.node_count();
  check_state_not_empty(kind, "state.children_left", n, "at least one node");
  check_state_size(kind, "state.children_right", static_cast<index>(t.children_right().size()), n, "one per node");
  check_state_size(kind, "state.feature", static_cast<index>(t.feature().size()), n, "one per node");
  check_state_size(kind, "state.threshold", t.threshold().size(), n, "one per node");
  check_state_size(kind, "state.impurity", t.impurity().size(), n, "one per node");
  check_state_size(kind, "state.n_node_samples", static_cast<index>(t.n_node_samples().size()), n, "one per node");
  check_state_size(kind, "state.weighted_n_node_samples", t.weighted_n_node_samples().size(), n, "one per node");
  check_state_size(kind, "state.value", t.value().rows(), n, "one per node", "row", "rows");
  check_state_size(kind, "state.value", t.value().cols(), n_outputs,
                   counts ? "one per class" : "one per output", "column", "columns");
  check_state_values(kind, "state.threshold", t.threshold());
  check_state_values(kind, "state.impurity", t.impurity(), state_bound::non_negative);
  check_state_values(kind, "state.weighted_n_node_samples", t.weighted_n_node_samples(), state_bound::positive);
  check_state_values(kind, "state.value", t.value());
  const auto at = [](std::string_view name, index i) { return std::string(name) + "[" + std::to_string(i) + "]"; };
  std::vector<char> has_parent(static_cast<std::size_t>(n), 0);
  for (std::size_t r = 0; r < roots.size(); ++r) {
    const index begin = roots[r];
    const index end = r + 1 < roots.size() ? roots[r + 1] : n;
    for (index i = begin; i < end; ++i) {
      const auto u = static_cast<std::size_t>(i);
      const index l = t.children_left()[u], rt = t.children_right()[u];
      if (t.n_node_samples()[u] < 1)
        throw_invariant(kind, at("state.n_node_samples", i) + " = " + std::to_string(t.n_node_samples()[u]) +
                                  " is out of range; expected at least 1 sample per node");
      if (counts) {
        double total = 0.0;
        for (index k = 0; k < n_outputs; ++k) {
          if (t.value()(i, k) < 0.0)
            throw_invariant(kind, "state.value(" + std::to_string(i) + ", " + std::to_string(k) + ") = " +
                                      format_double(t.value()(i, k)) + " is negative; expected class counts >= 0");
          total += t.value()(i, k);
        }
        if (!(total > 0.0))
          throw_invariant(kind, "state.value row " + std::to_string(i) +
                                    " sums to 0; expected class counts with a positive total");
      }
      if (l == tree_structure::leaf && rt == tree_structure::leaf) {
        if (t.feature()[u] != tree_structure::undefined)
          throw_invariant(kind, at("state.feature", i) + " = " + std::to_string(t.feature()[u]) +
                                    " but node " + std::to_string(i) + " is a leaf; expected -2");
        continue;
      }
      for (const auto& [name, child] : {std::pair{"state.children_left", l}, std::pair{"state.children_right", rt}}) {
        if (child <= i || child >= end)
          throw_invariant(kind, at(name, i) + " = " + std::to_string(child) + " is out of range; expected " +
                                    std::to_string(i) + " < child < " + std::to_string(end) +
                                    " (after its parent, within its tree), or both children -1 for a leaf");
        if (has_parent[static_cast<std::size_t>(child)]++)
          throw_invariant(kind, at(name, i) + " = " + std::to_string(child) +
                                    " already has a parent; expected every node but the root to have one parent");
      }
      if (l == rt)
        throw_invariant(kind, at("state.children_left", i) + " = " + at("state.children_right", i) + " = " +
                                  std::to_string(l) + "; expected two distinct children");
      const index f = t.feature()[u];
      if (f < 0 || f >= n_features)
        throw_invariant(kind, at("state.feature", i) + " = " + std::to_string(f) +
                                  " is out of range; expected 0 <= feature < n_features_in = " +
                                  std::to_string(n_features));
    }
    for (index i = begin + 1; i < end; ++i)
      if (!has_parent[static_cast<std::size_t>(i)])
        throw_invariant(kind, "node " + std::to_string(i) + " has no parent; expected every node but the root of " +
                                  "its tree to be a child of one node");
  }
  // The tree is well formed; now its counts must add up.
  for (index i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (t.is_leaf(i)) continue;
    const index sum = t.n_node_samples()[static_cast<std::size_t>(t.children_left()[u])] +
                      t.n_node_samples()[static_cast<std::size_t>(t.children_right()[u])];
    if (t.n_node_samples()[u] != sum)
      throw_invariant(kind, at("state.n_node_samples", i) + " = " + std::to_string(t.n_node_samples()[u]) +
                                " is not the sum of its children's; expected " + std::to_string(sum));
  }
}

// What the tree stages share: the checks fit makes of the hyperparameters beyond their ranges, against the data.
template <class Spec>
void check_tree_params_against(const Spec& spec, index n_rows, index n_features) {
  if (spec.max_features.how == max_features::rule::count && static_cast<index>(spec.max_features.value) > n_features)
    throw invalid_parameter("max_features = " + std::to_string(static_cast<index>(spec.max_features.value)) +
                                " but X has " + std::to_string(n_features) + " features; expected a count <= " +
                                std::to_string(n_features),
                            Spec::kind);
  if (2 * static_cast<index>(spec.min_samples_leaf) > n_rows)
    throw invalid_parameter("min_samples_leaf = " + std::to_string(spec.min_samples_leaf) + " but X has " +
                                std::to_string(n_rows) + " rows; expected min_samples_leaf <= " +
                                std::to_string(n_rows / 2) + " (half the rows, so that a split is possible)",
                            Spec::kind);
}

// The tree settings from a tree or forest spec.
template <class Spec>
tree_settings tree_settings_of(const Spec& spec, index n_features, index n_classes, bool classification,
                               bool random_splits) {
  tree_settings s;
  s.classification = classification;
  if constexpr (requires { spec.criterion == classification_criterion::gini; })
    s.entropy = spec.criterion != classification_criterion::gini;
  s.n_classes = n_classes;
  s.max_depth = spec.max_depth < 0 ? std::numeric_limits<index>::max() : spec.max_depth;
  s.min_samples_split = spec.min_samples_split;
  s.min_samples_leaf = spec.min_samples_leaf;
  s.min_impurity_decrease = spec.min_impurity_decrease;
  s.max_features = spec.max_features.resolve(n_features);
  s.max_leaf_nodes = spec.max_leaf_nodes;
  s.random_splits = random_splits;
  return s;
}

// Sorted distinct labels of y and each row's class index (as a double, what tree_grower reads): encode_class_labels
// (which checks y's labels), with the codes as doubles.
inline std::pair<vector, std::vector<double>> encode_classes(std::string_view kind, const vector_view& y) {
  const auto labels = shared_class_labels(kind, y);  // once per split in a search
  std::vector<double> encoded(labels->codes.begin(), labels->codes.end());
  return {labels->classes, std::move(encoded)};
}

// The class indices of encode_classes's targets, as class_weight's helpers read them.
inline std::vector<index> class_indices(const std::vector<double>& targets) {
  std::vector<index> out(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) out[i] = static_cast<index>(targets[i]);
  return out;
}

// Grows one tree (then prunes it by ccp_alpha) from a spec: what decision trees and each tree of a forest do.
template <class Spec>
tree_structure grow_pruned_tree(const Spec& spec, const matrix_view& X, const double* y,
                                std::span<const double> weights, const tree_settings& s, tree_random& rng) {
  tree_structure t = tree_grower<>(X, y, weights, s, rng).grow();
  if (spec.ccp_alpha > 0.0) t = pruned_tree(t, cost_complexity_prune(t, spec.ccp_alpha, nullptr).second);
  return t;
}

// The largest depth of a leaf of the tree rooted at node 0 (a single leaf has depth 0).
inline index tree_depth(const tree_structure& t) {
  std::vector<index> depth(static_cast<std::size_t>(t.node_count()), 0);
  index deepest = 0;
  for (index i = 0; i < t.node_count(); ++i) {
    const auto u = static_cast<std::size_t>(i);
    deepest = std::max(deepest, depth[u]);
    if (t.is_leaf(i)) continue;
    depth[static_cast<std::size_t>(t.children_left()[u])] = depth[u] + 1;
    depth[static_cast<std::size_t>(t.children_right()[u])] = depth[u] + 1;
  }
  return deepest;
}

// What a fitted decision tree holds and shows: the nodes, the input width, the importances.
template <class Spec>
class fitted_tree_base {
 public:
  const Spec& spec() const { return spec_; }
  index n_features_in() const { return n_features_in_; }
  // The nodes (scikit-learn's tree_).
  const tree_structure& tree() const { return nodes_; }
  index node_count() const { return nodes_.node_count(); }
  const std::vector<index>& children_left() const { return nodes_.children_left(); }
  const std::vector<index>& children_right() const { return nodes_.children_right(); }
  const std::vector<index>& feature() const { return nodes_.feature(); }
  const vector& threshold() const { return nodes_.threshold(); }
  const vector& impurity() const { return nodes_.impurity(); }
  const std::vector<index>& n_node_samples() const { return nodes_.n_node_samples(); }
  const vector& weighted_n_node_samples() const { return nodes_.weighted_n_node_samples(); }
  const matrix& value() const { return nodes_.value(); }
  // The depth of the deepest leaf (0 for a single leaf).
  index depth() const { return tree_depth(nodes_); }
  // How many leaves the tree has.
  index n_leaves() const {
    index n = 0;
    for (index i = 0; i < nodes_.node_count(); ++i) n += nodes_.is_leaf(i) ? 1 : 0;
    return n;
  }
  // Impurity-based feature importances, normalized to sum to 1 (scikit-learn's feature_importances_).
  const vector& feature_importances() const { return importances_; }

  // The leaf each row of X ends in (scikit-learn's apply).
  std::vector<index> apply(const matrix_view& X) const {
    check_predict_input(Spec::kind, X, n_features_in_);
    std::vector<index> out(static_cast<std::size_t>(X.rows()));
    for (index i = 0; i < X.rows(); ++i)
      out[static_cast<std::size_t>(i)] = nodes_.leaf_of(0, [&](index f) { return X(i, f); });
    return out;
  }

 protected:
  fitted_tree_base() = default;
  fitted_tree_base(const Spec& spec, tree_structure nodes, index n_features)
      : spec_(spec), n_features_in_(n_features), nodes_(std::move(nodes)),
        importances_(tree_importances(nodes_, 0, nodes_.node_count(), n_features)) {}

  void check_base(index n_outputs, bool counts) const {
    constexpr std::string_view kind = Spec::kind;
    check_params(spec_);
    check_state_count(kind, "state.n_features_in", n_features_in_, 1);
    check_state_size(kind, "state.feature_importances", importances_.size(), n_features_in_, "one per input feature");
    check_tree_nodes(kind, nodes_, {0}, n_features_in_, n_outputs, counts);
    check_importances(kind, tree_importances(nodes_, 0, nodes_.node_count(), n_features_in_));
  }

  void check_importances(std::string_view kind, const vector& expected) const {
    check_state_size(kind, "state.feature_importances", importances_.size(), n_features_in_, "one per input feature");
    for (index j = 0; j < expected.size(); ++j) {
      if (importances_(j) == expected(j)) continue;  // exactly: the same computation on the same nodes
      throw_invariant(kind, "state.feature_importances[" + std::to_string(j) + "] = " +
                                format_double(importances_(j)) + " but the nodes give " + format_double(expected(j)) +
                                "; expected the importances of the saved nodes");
    }
  }

  template <class Archive>
  void serialize_base(Archive& ar) {
    ar.params(spec_);
    ar("n_features_in", n_features_in_);
    nodes_.serialize_fields(ar);
    ar("feature_importances", importances_);
  }

  Spec spec_;
  index n_features_in_ = 0;
  tree_structure nodes_;
  vector importances_;
};

// The error for an out parameter of predict_proba_one of the wrong size.
inline void check_proba_out(std::string_view kind, std::span<double> out, index n_classes) {
  if (static_cast<index>(out.size()) == n_classes) return;
  throw invalid_input("out has " + std::to_string(out.size()) + " values but the model has " +
                          std::to_string(n_classes) + " classes; expected " + std::to_string(n_classes) + " values",
                      kind);
}

}  // namespace detail

// decision_tree_classifier -- a CART classification tree, as scikit-learn's DecisionTreeClassifier.
struct decision_tree_classifier {
  static constexpr std::string_view kind = "decision_tree_classifier";

  classification_criterion criterion = classification_criterion::gini;  // the impurity splits minimize
  int max_depth = -1;                // deepest leaf's depth (the root is at depth 0); >= 1, or -1 for no limit
  int min_samples_split = 2;         // fewest rows a node needs to be split; >= 2
  int min_samples_leaf = 1;          // fewest rows each child of a split keeps; >= 1, at most half the rows
  double min_impurity_decrease = 0;  // a split must decrease the weighted impurity by at least this; >= 0
  mlpipe::max_features max_features = mlpipe::max_features::all;  // features considered per split
  int max_leaf_nodes = -1;           // most leaves, grown best-first when set; >= 2, or -1 for no limit
  double ccp_alpha = 0.0;            // minimal cost-complexity pruning strength (0: none); >= 0
  std::int64_t seed = 0;             // the random order features are visited in; 0 <= seed < 2^32
  mlpipe::class_weight class_weight = mlpipe::class_weight::none;  // weights of the classes in the impurity

  static constexpr auto params = std::tuple{
      param<"criterion">(&decision_tree_classifier::criterion),
      param<"max_depth">(&decision_tree_classifier::max_depth, at_least_or_unlimited{1}),
      param<"min_samples_split">(&decision_tree_classifier::min_samples_split, at_least(2)),
      param<"min_samples_leaf">(&decision_tree_classifier::min_samples_leaf, at_least(1)),
      param<"min_impurity_decrease">(&decision_tree_classifier::min_impurity_decrease, at_least(0)),
      param<"max_features">(&decision_tree_classifier::max_features, max_features_range{}),
      param<"max_leaf_nodes">(&decision_tree_classifier::max_leaf_nodes, at_least_or_unlimited{2}),
      param<"ccp_alpha">(&decision_tree_classifier::ccp_alpha, at_least(0)),
      param<"seed">(&decision_tree_classifier::seed, between(0, 4294967295.0)),
      param<"class_weight">(&decision_tree_classifier::class_weight, class_weight_range{})};

  class fitted;
  template <class Deferred = void>  // a template, so only programs that fit a tree compile the grower
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row counts sample_weight times its class weight in the impurities and class counts (weights
  // >= 0; rows of weight 0 are left out), as scikit-learn's fit(X, y, sample_weight).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  // The pruning path of the unpruned tree these hyperparameters grow on (X, y) (ccp_alpha ignored), as
  // scikit-learn's cost_complexity_pruning_path.
  template <class Deferred = void>
  pruning_path cost_complexity_pruning_path(const matrix_view& X, const vector_view& y) const;
};

class decision_tree_classifier::fitted : public detail::fitted_tree_base<decision_tree_classifier> {
 public:
  static constexpr std::string_view kind = decision_tree_classifier::kind;
  static constexpr int schema_version = 2;  // 2: param class_weight
  // Files of version 1 load, with class_weight none (see mlpipe/io/serialize.hpp's oldest_schema_version).
  static constexpr int oldest_schema_version = 1;
  static constexpr int param_since(std::string_view name) { return name == "class_weight" ? 2 : 1; }

  fitted() = default;  // an empty shell for load() to fill
  fitted(const decision_tree_classifier& spec, vector classes, tree_structure nodes, index n_features)
      : fitted_tree_base(spec, std::move(nodes), n_features), classes_(std::move(classes)) {}

  // The labels seen in y at fit, ascending; predict returns these values.
  const vector& classes() const { return classes_; }

  // The label of the largest class count in each row's leaf (the first on a tie).
  vector predict(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    vector out(X.rows());
    for (index i = 0; i < X.rows(); ++i) out(i) = label(nodes_.leaf_of(0, [&](index f) { return X(i, f); }));
    return out;
  }

  // The class fractions of each row's leaf, one column per class in classes() order.
  matrix predict_proba(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    matrix out(X.rows(), classes_.size());
    for (index i = 0; i < X.rows(); ++i) {
      const index leaf = nodes_.leaf_of(0, [&](index f) { return X(i, f); });
      const double total = nodes_.value().row(leaf).sum();
      for (index k = 0; k < classes_.size(); ++k) out(i, k) = nodes_.value()(leaf, k) / total;
    }
    return out;
  }

  // One row, no allocation: the predicted label.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return label(nodes_.leaf_of(0, [&](index f) { return row[static_cast<std::size_t>(f)]; }));
  }

  // One row, no allocation: the class fractions of its leaf into out (classes().size() values).
  void predict_proba_one(std::span<const double> row, std::span<double> out) const {
    detail::check_row(kind, row, n_features_in());
    detail::check_proba_out(kind, out, classes_.size());
    const index leaf = nodes_.leaf_of(0, [&](index f) { return row[static_cast<std::size_t>(f)]; });
    const double total = nodes_.value().row(leaf).sum();
    for (index k = 0; k < classes_.size(); ++k) out[static_cast<std::size_t>(k)] = nodes_.value()(leaf, k) / total;
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters, sorted distinct classes, and
  // a well-formed tree (see detail::check_tree_nodes) with one value column per class and the matching importances.
  void check_invariants() const {
    detail::check_state_classes(kind, "state.classes", classes_);
    check_base(classes_.size(), true);
  }

  template <class Archive>
  void serialize(Archive& ar) {
    serialize_base(ar);
    ar("classes", classes_);
  }

 private:
  double label(index leaf) const {
    index best = 0;
    nodes_.value().row(leaf).maxCoeff(&best);
    return classes_(best);
  }

  vector classes_;
};

// decision_tree_regressor -- a CART regression tree, as scikit-learn's DecisionTreeRegressor.
struct decision_tree_regressor {
  static constexpr std::string_view kind = "decision_tree_regressor";

  regression_criterion criterion = regression_criterion::squared_error;  // the impurity splits minimize
  int max_depth = -1;                // deepest leaf's depth (the root is at depth 0); >= 1, or -1 for no limit
  int min_samples_split = 2;         // fewest rows a node needs to be split; >= 2
  int min_samples_leaf = 1;          // fewest rows each child of a split keeps; >= 1, at most half the rows
  double min_impurity_decrease = 0;  // a split must decrease the weighted impurity by at least this; >= 0
  mlpipe::max_features max_features = mlpipe::max_features::all;  // features considered per split
  int max_leaf_nodes = -1;           // most leaves, grown best-first when set; >= 2, or -1 for no limit
  double ccp_alpha = 0.0;            // minimal cost-complexity pruning strength (0: none); >= 0
  std::int64_t seed = 0;             // the random order features are visited in; 0 <= seed < 2^32

  static constexpr auto params = std::tuple{
      param<"criterion">(&decision_tree_regressor::criterion),
      param<"max_depth">(&decision_tree_regressor::max_depth, at_least_or_unlimited{1}),
      param<"min_samples_split">(&decision_tree_regressor::min_samples_split, at_least(2)),
      param<"min_samples_leaf">(&decision_tree_regressor::min_samples_leaf, at_least(1)),
      param<"min_impurity_decrease">(&decision_tree_regressor::min_impurity_decrease, at_least(0)),
      param<"max_features">(&decision_tree_regressor::max_features, max_features_range{}),
      param<"max_leaf_nodes">(&decision_tree_regressor::max_leaf_nodes, at_least_or_unlimited{2}),
      param<"ccp_alpha">(&decision_tree_regressor::ccp_alpha, at_least(0)),
      param<"seed">(&decision_tree_regressor::seed, between(0, 4294967295.0))};

  class fitted;
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y) const;
  // Weighted fit: each row counts sample_weight times in the impurities and leaf means (weights >= 0; rows of
  // weight 0 are left out), as scikit-learn's fit(X, y, sample_weight).
  template <class Deferred = void>
  fitted fit(const matrix_view& X, const vector_view& y, const vector_view& sample_weight) const;

  // The pruning path of the unpruned tree these hyperparameters grow on (X, y), as scikit-learn's
  // cost_complexity_pruning_path.
  template <class Deferred = void>
  pruning_path cost_complexity_pruning_path(const matrix_view& X, const vector_view& y) const;
};

class decision_tree_regressor::fitted : public detail::fitted_tree_base<decision_tree_regressor> {
 public:
  static constexpr std::string_view kind = decision_tree_regressor::kind;
  static constexpr int schema_version = 1;

  fitted() = default;  // an empty shell for load() to fill
  fitted(const decision_tree_regressor& spec, tree_structure nodes, index n_features)
      : fitted_tree_base(spec, std::move(nodes), n_features) {}

  // The mean training target of each row's leaf.
  vector predict(const matrix_view& X) const {
    detail::check_predict_input(kind, X, n_features_in());
    vector out(X.rows());
    for (index i = 0; i < X.rows(); ++i) out(i) = nodes_.value()(nodes_.leaf_of(0, [&](index f) { return X(i, f); }), 0);
    return out;
  }

  // One row, no allocation.
  double predict_one(std::span<const double> row) const {
    detail::check_row(kind, row, n_features_in());
    return nodes_.value()(nodes_.leaf_of(0, [&](index f) { return row[static_cast<std::size_t>(f)]; }), 0);
  }

  // Throws mlpipe::load_error naming the first broken invariant: valid hyperparameters and a well-formed tree (see
  // detail::check_tree_nodes) with one value column, and the matching importances.
  void check_invariants() const { check_base(1, false); }

  template <class Archive>
  void serialize(Archive& ar) {
    serialize_base(ar);
  }
};

namespace detail {

// fit_tree -- decision_tree_classifier::fit and decision_tree_regressor::fit, and their pruning paths.
template <class Spec>
std::pair<tree_structure, vector> grow_decision_tree(const Spec& spec, const matrix_view& X, const vector_view& y,
                                                     bool prune, const vector* sample_weight = nullptr) {
  constexpr bool classification = std::is_same_v<Spec, decision_tree_classifier>;
  validate_params(spec);
  check_fit_input(Spec::kind, X, y);
  if (sample_weight != nullptr) check_fit_sample_weight(Spec::kind, X, *sample_weight);
  check_tree_params_against(spec, X.rows(), X.cols());
  vector classes;
  std::vector<double> targets;
  std::vector<double> weights;
  if constexpr (classification) {
    std::tie(classes, targets) = encode_classes(Spec::kind, y);
    weights = row_weights(Spec::kind, spec.class_weight, classes, class_indices(targets), sample_weight);
  } else {
    targets.assign(y.data(), y.data() + y.size());
    if (sample_weight != nullptr) weights.assign(sample_weight->data(), sample_weight->data() + sample_weight->size());
  }
  if (!weights.empty() && *std::max_element(weights.begin(), weights.end()) <= 0.0) {
    throw invalid_input("every row weighs 0 (class_weight times sample_weight); expected a row of positive weight",
                        Spec::kind);
  }
  const tree_settings s =
      tree_settings_of(spec, X.cols(), classification ? classes.size() : 1, classification, false);
  tree_random rng(static_cast<std::uint64_t>(spec.seed));
  Spec unpruned = spec;
  if (!prune) unpruned.ccp_alpha = 0.0;
  return {grow_pruned_tree(unpruned, X, targets.data(), weights, s, rng), std::move(classes)};
}

}  // namespace detail

template <class Deferred>
decision_tree_classifier::fitted decision_tree_classifier::fit(const matrix_view& X, const vector_view& y) const {
  auto [nodes, classes] = detail::grow_decision_tree(*this, X, y, true);
  return fitted(*this, std::move(classes), std::move(nodes), X.cols());
}

template <class Deferred>
decision_tree_classifier::fitted decision_tree_classifier::fit(const matrix_view& X, const vector_view& y,
                                                               const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  auto [nodes, classes] = detail::grow_decision_tree(*this, X, y, true, &sw);
  return fitted(*this, std::move(classes), std::move(nodes), X.cols());
}

template <class Deferred>
pruning_path decision_tree_classifier::cost_complexity_pruning_path(const matrix_view& X, const vector_view& y) const {
  pruning_path path;
  detail::cost_complexity_prune(detail::grow_decision_tree(*this, X, y, false).first, 0.0, &path);
  return path;
}

template <class Deferred>
decision_tree_regressor::fitted decision_tree_regressor::fit(const matrix_view& X, const vector_view& y) const {
  return fitted(*this, detail::grow_decision_tree(*this, X, y, true).first, X.cols());
}

template <class Deferred>
decision_tree_regressor::fitted decision_tree_regressor::fit(const matrix_view& X, const vector_view& y,
                                                             const vector_view& sample_weight) const {
  const vector sw = sample_weight;
  return fitted(*this, detail::grow_decision_tree(*this, X, y, true, &sw).first, X.cols());
}

template <class Deferred>
pruning_path decision_tree_regressor::cost_complexity_pruning_path(const matrix_view& X, const vector_view& y) const {
  pruning_path path;
  detail::cost_complexity_prune(detail::grow_decision_tree(*this, X, y, false).first, 0.0, &path);
  return path;
}

}  // namespace mlpipe
