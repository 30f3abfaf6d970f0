#pragma once

#include <algorithm>    // std::lower_bound, std::find
#include <cmath>        // std::isfinite
#include <cstddef>
#include <initializer_list>
#include <memory>       // std::shared_ptr
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <variant>      // std::get_if
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/order.hpp"        // sorted_distinct, position_in
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/reuse.hpp"        // split_targets_scope
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// class_weight -- how a classifier weighs each class in fit, as scikit-learn's class_weight: none (every class 1),
// balanced (n_rows / (n_classes * rows of the class)), balanced_subsample (forests only: balanced on each tree's
// bootstrap sample) or given weights for named labels (classes not named weigh 1). A row's weight in the loss is its
// class's weight times its sample weight. `mp::class_weight::balanced`, `mp::class_weight::given({{3, 0.5}, {7, 2}})`.
struct class_weight {
  // Which rule gives the weights.
  enum class rule { none, balanced, balanced_subsample, given };
  rule how = rule::none;      // the rule
  std::vector<double> pairs;  // rule::given: label, weight, label, weight, ... (weights finite and >= 0)

  static const class_weight none;                // every class weighs 1
  static const class_weight balanced;            // n_rows / (n_classes * count of the class)
  static const class_weight balanced_subsample;  // balanced on each tree's bootstrap sample (forests)
  // The weight of each named label; classes not named weigh 1.
  static class_weight given(std::initializer_list<std::pair<double, double>> weights) {
    class_weight out{rule::given, {}};
    for (const auto& [label, weight] : weights) {
      out.pairs.push_back(label);
      out.pairs.push_back(weight);
    }
    return out;
  }

  friend bool operator==(const class_weight&, const class_weight&) = default;
};

inline const class_weight class_weight::none{class_weight::rule::none, {}};
inline const class_weight class_weight::balanced{class_weight::rule::balanced, {}};
inline const class_weight class_weight::balanced_subsample{class_weight::rule::balanced_subsample, {}};

// A class_weight from a grid or a file: "none", "balanced", "balanced_subsample", or a list of label, weight pairs.
template <>
struct param_traits<class_weight> {
  static constexpr std::string_view expected =
      "\"none\", \"balanced\", \"balanced_subsample\" or a list of label, weight pairs";
  static std::optional<class_weight> from_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (*s == "none") return class_weight::none;
      if (*s == "balanced") return class_weight::balanced;
      if (*s == "balanced_subsample") return class_weight::balanced_subsample;
      return std::nullopt;
    }
    if (const auto* list = std::get_if<std::vector<double>>(&v)) return class_weight{class_weight::rule::given, *list};
    return std::nullopt;
  }
  static param_value to_value(const class_weight& c) {
    switch (c.how) {
      case class_weight::rule::balanced: return std::string("balanced");
      case class_weight::rule::balanced_subsample: return std::string("balanced_subsample");
      case class_weight::rule::given: return c.pairs;
      case class_weight::rule::none: break;
    }
    return std::string("none");
  }
};

// class_weight_range -- the valid values of a class_weight hyperparameter: given weights as label, weight pairs
// (finite labels, each named once, finite weights >= 0); balanced_subsample only where subsample says (forests).
struct class_weight_range {
  bool subsample = false;  // balanced_subsample is allowed
  bool contains(const class_weight& c) const {
    if (c.how == class_weight::rule::balanced_subsample) return subsample;
    if (c.how != class_weight::rule::given) return true;
    if (c.pairs.size() % 2 != 0) return false;
    for (std::size_t i = 0; i < c.pairs.size(); i += 2) {
      if (!std::isfinite(c.pairs[i]) || !std::isfinite(c.pairs[i + 1]) || c.pairs[i + 1] < 0.0) return false;
      for (std::size_t j = 0; j < i; j += 2)
        if (c.pairs[j] == c.pairs[i]) return false;
    }
    return true;
  }
  std::string describe(std::string_view name) const {
    return std::string(name) + " \"none\", \"balanced\"" + (subsample ? ", \"balanced_subsample\"" : "") +
           " or label, weight pairs (finite labels, each once; finite weights >= 0)";
  }
};

namespace detail {

// The sorted distinct labels of y and each row's index among them (what classifiers fit on).
struct label_codes {
  vector classes;
  std::vector<index> codes;
};

// Checks y as class labels (integer values, at least two classes) and encodes it.
inline label_codes encode_class_labels(std::string_view kind, const vector_view& y) {
  check_class_labels(kind, y);
  const std::vector<double> values = sorted_distinct(y);
  if (values.size() < 2) {
    throw invalid_input("y has a single class (" + format_double(values[0]) + "); expected at least two classes",
                        kind);
  }
  label_codes out{Eigen::Map<const vector>(values.data(), static_cast<index>(values.size())),
                  std::vector<index>(static_cast<std::size_t>(y.size()))};
  for (index i = 0; i < y.size(); ++i) out.codes[static_cast<std::size_t>(i)] = position_in(values, y(i));
  return out;
}

// encode_class_labels, done once per split in a search: within a split_targets_scope over y, the first fit's
// encoding is kept and every later fit on the same targets shares it (no pass over y, no row-long array per fit).
inline std::shared_ptr<const label_codes> shared_class_labels(std::string_view kind, const vector_view& y) {
  split_targets_scope* split = split_targets_scope::current();
  if (split == nullptr || !split->holds(y)) return std::make_shared<const label_codes>(encode_class_labels(kind, y));
  using kept = std::shared_ptr<const label_codes>;
  if (const kept* codes = std::any_cast<kept>(&split->memo)) return *codes;
  kept codes = std::make_shared<const label_codes>(encode_class_labels(kind, y));
  split->memo = codes;
  return codes;
}

// The sample weights fit accepts: one per row, finite, >= 0, not all 0.
inline void check_fit_sample_weight(std::string_view kind, const matrix_view& X, const vector_view& sample_weight) {
  if (sample_weight.size() != X.rows()) {
    throw invalid_input("sample_weight has " + std::to_string(sample_weight.size()) + " values but X has " +
                            std::to_string(X.rows()) + " rows; expected one weight per row",
                        kind);
  }
  for (index i = 0; i < sample_weight.size(); ++i) {
    const double w = sample_weight(i);
    if (!std::isfinite(w) || w < 0.0) {
      throw invalid_input("sample_weight has " + format_double(w) + " at row ", i,
                          "; expected finite weights >= 0", kind);
    }
  }
  if (!(sample_weight.sum() > 0.0) || !std::isfinite(sample_weight.sum())) {
    throw invalid_input("sample_weight sums to " + format_double(sample_weight.sum()) +
                            "; expected a positive finite sum",
                        kind);
  }
}


// The label a linear classifier predicts from its scores, score(k) for k < n_scores: with two classes one score,
// classes(1) where it is positive; else the class of the highest score (the first one on ties). No allocation.
template <class Score>
double label_of_scores(const vector& classes, index n_scores, Score&& score) {
  if (classes.size() == 2) return classes(score(0) > 0.0 ? 1 : 0);
  index best = 0;
  double best_score = score(0);
  for (index k = 1; k < n_scores; ++k) {
    const double s = score(k);
    if (s > best_score) {
      best = k;
      best_score = s;
    }
  }
  return classes(best);
}

// The weight of each class (classes ascending; class_of[i]: row i's class index) under rule c, as scikit-learn's
// compute_class_weight. multiplicity (when not empty) counts row i multiplicity[i] times (a bootstrap sample's
// draws); a class absent from the count weighs 0 (scikit-learn's compute_sample_weight with indices). Throws when a
// given label is not a class of y.
inline std::vector<double> class_weights_of(std::string_view kind, const class_weight& c, const vector& classes,
                                            const std::vector<index>& class_of,
                                            std::span<const double> multiplicity = {}) {
  const auto K = static_cast<std::size_t>(classes.size());
  std::vector<double> out(K, 1.0);
  if (c.how == class_weight::rule::balanced || c.how == class_weight::rule::balanced_subsample) {
    std::vector<double> count(K, 0.0);
    double n = 0.0;
    for (std::size_t i = 0; i < class_of.size(); ++i) {
      const double m = multiplicity.empty() ? 1.0 : multiplicity[i];
      count[static_cast<std::size_t>(class_of[i])] += m;
      n += m;
    }
    std::size_t present = 0;
    for (const double k : count) present += k > 0.0 ? 1 : 0;
    for (std::size_t k = 0; k < K; ++k)
      out[k] = count[k] > 0.0 ? n / (static_cast<double>(present) * count[k]) : 0.0;
  } else if (c.how == class_weight::rule::given) {
    for (std::size_t i = 0; i + 1 < c.pairs.size(); i += 2) {
      const double* first = classes.data();
      const double* last = first + classes.size();
      const double* at = std::lower_bound(first, last, c.pairs[i]);
      if (at == last || *at != c.pairs[i]) {
        throw invalid_parameter("class_weight names label " + format_double(c.pairs[i]) +
                                    ", which is not a class of y; expected labels of y",
                                kind);
      }
      out[static_cast<std::size_t>(at - first)] = c.pairs[i + 1];
    }
  }
  return out;
}

// Each row's weight in the loss: its class's weight (class_weights_of) times its sample weight (when given).
// Empty when there is neither (every row weighs 1).
inline std::vector<double> row_weights(std::string_view kind, const class_weight& c, const vector& classes,
                                       const std::vector<index>& class_of, const vector* sample_weight) {
  if (c.how == class_weight::rule::none && sample_weight == nullptr) return {};
  const std::vector<double> per_class = class_weights_of(kind, c, classes, class_of);
  std::vector<double> out(class_of.size());
  for (std::size_t i = 0; i < class_of.size(); ++i)
    out[i] = per_class[static_cast<std::size_t>(class_of[i])] *
             (sample_weight != nullptr ? (*sample_weight)(static_cast<index>(i)) : 1.0);
  return out;
}

}  // namespace detail

}  // namespace mlpipe
