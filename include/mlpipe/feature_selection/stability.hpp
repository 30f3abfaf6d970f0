#pragma once

#include <algorithm>    // std::set_intersection, std::min, std::max
#include <cmath>        // std::isnan
#include <cstddef>
#include <iterator>     // std::back_inserter
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/text.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/types.hpp"
#include "mlpipe/feature_selection/selected_features.hpp"
#include "mlpipe/validation/splitters.hpp"

// How stable a feature selection is across the splits of a cross-validation: which features the named selection step
// kept in each split, how often each feature was kept, and the Kuncheva and Jaccard indices of the kept sets.

namespace mlpipe {
// selection_stability_result -- what selection_stability reports.
struct selection_stability_result {
  std::string step;                             // the selection step's name
  index n_features_in = 0;                      // the width of that step's input
  std::vector<std::vector<index>> supports;     // the features kept in each split (ascending), in split order
  vector frequency;                             // per input feature: the fraction of splits that kept it
  double kuncheva = 0.0;  // Kuncheva's consistency index, averaged over pairs of splits (1: identical sets; ~0: chance)
  double jaccard = 0.0;   // |A n B| / |A u B|, averaged over pairs of splits

  // "feature,frequency" then one line per feature; names (one per input feature of the step) or x0, x1, ...
  std::string to_csv(const std::vector<std::string>& names = {}) const {
    const std::vector<std::string> n = names.empty() ? detail::default_feature_names(n_features_in) : names;
    std::string out = "feature,frequency\n";
    for (index j = 0; j < n_features_in; ++j)
      out += detail::csv_field(n[static_cast<std::size_t>(j)]) + "," + format_double(frequency(j)) + "\n";
    return out;
  }

  // {"step", "n_features_in", "kuncheva", "jaccard", "frequency": [...], "supports": [[...], ...]}; NaN as null.
  std::string to_json() const {
    const auto number = [](double x) { return std::isnan(x) || std::isinf(x) ? std::string("null") : format_double(x); };
    std::string out = "{\"step\": \"" + step + "\", \"n_features_in\": " + std::to_string(n_features_in) +
                      ", \"kuncheva\": " + number(kuncheva) + ", \"jaccard\": " + number(jaccard) + ", \"frequency\": [";
    for (index j = 0; j < frequency.size(); ++j) out += (j ? ", " : "") + number(frequency(j));
    out += "], \"supports\": [";
    for (std::size_t s = 0; s < supports.size(); ++s) {
      out += s ? ", [" : "[";
      for (std::size_t i = 0; i < supports[s].size(); ++i)
        out += (i ? ", " : "") + std::to_string(supports[s][i]);
      out += "]";
    }
    return out + "]}";
  }
};

namespace detail {

inline index intersection_size(const std::vector<index>& a, const std::vector<index>& b) {
  std::vector<index> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return static_cast<index>(both.size());
}

// Kuncheva's index of two subsets of n features: (r n - k^2) / (k (n - k)) for sets of equal size k sharing r;
// for unequal sizes its generalisation (r - ka kb / n) / (min(ka, kb) - max(0, ka + kb - n)) (Lustgarten et al.
// 2009). NaN when undefined (empty or full sets).
inline double kuncheva_pair(const std::vector<index>& a, const std::vector<index>& b, index n) {
  const auto ka = static_cast<double>(a.size());
  const auto kb = static_cast<double>(b.size());
  const auto r = static_cast<double>(intersection_size(a, b));
  const auto nd = static_cast<double>(n);
  if (a.size() == b.size()) {
    const double denominator = ka * (nd - ka);
    return denominator == 0.0 ? std::numeric_limits<double>::quiet_NaN() : (r * nd - ka * ka) / denominator;
  }
  const double denominator = std::min(ka, kb) - std::max(0.0, ka + kb - nd);
  return denominator == 0.0 ? std::numeric_limits<double>::quiet_NaN() : (r - ka * kb / nd) / denominator;
}

// The fitted step at a dotted path inside a fitted composite (steps()), passed to found(step); false when none.
template <class Fitted, class Found>
bool find_fitted_step(const Fitted& f, std::string_view path, Found&& found) {
  if constexpr (requires { f.steps(); }) {
    const std::size_t dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    return std::apply(
        [&](const auto&... s) {
          return ((s.name.view() == head &&
                   (dot == std::string_view::npos ? (found(s.fitted), true)
                                                  : find_fitted_step(s.fitted, path.substr(dot + 1), found))) ||
                  ...);
        },
        f.steps());
  } else {
    return false;
  }
}

}  // namespace detail

// selection_stability(pipe, X, y, cv, "select") -- fits pipe on the training rows of every split of cv and reports
// which features the step named "select" (a dotted path for nested pipelines) kept in each: per-feature frequency
// and the Kuncheva and Jaccard indices averaged over all pairs of splits. The step's fitted type must have support()
// (every selector of mlpipe has). n_jobs splits are fitted at once; the result does not depend on it.
template <class Pipe, class Splitter>
selection_stability_result selection_stability(const Pipe& pipe, const matrix_view& X, const vector_view& y,
                                               const Splitter& cv, std::string_view step, int n_jobs = 1) {
  const std::vector<split> splits = cv.splits(X.rows(), y);
  if (splits.size() < 2) {
    throw invalid_parameter("selection_stability needs at least 2 splits to compare; the splitter gave " +
                            std::to_string(splits.size()));
  }
  selection_stability_result out;
  out.step = std::string(step);
  out.supports.resize(splits.size());
  std::vector<index> widths(splits.size(), 0);
  parallel_for(splits.size(), n_jobs, [&](std::size_t s) {
    const matrix X_train = X(splits[s].train, Eigen::all);
    const vector y_train = y(splits[s].train);
    const auto fitted = pipe.fit(X_train, y_train);
    bool has_support = true;
    const bool found = detail::find_fitted_step(fitted, step, [&](const auto& f) {
      if constexpr (requires { f.support(); f.n_features_in(); }) {
        out.supports[s] = f.support();
        widths[s] = f.n_features_in();
      } else {
        has_support = false;
      }
    });
    if (!found)
      throw invalid_parameter("selection_stability: the pipeline has no step '" + std::string(step) + "'");
    if (!has_support) {
      throw invalid_parameter("selection_stability: step '" + std::string(step) +
                              "' has no support(); expected a feature selection step");
    }
  });
  out.n_features_in = widths.front();
  const index n = out.n_features_in;
  out.frequency = vector::Zero(n);
  for (const auto& support : out.supports)
    for (index j : support) out.frequency(j) += 1.0;
  out.frequency /= static_cast<double>(splits.size());
  double kuncheva_sum = 0.0;
  double jaccard_sum = 0.0;
  std::size_t kuncheva_pairs = 0;
  std::size_t pairs = 0;
  for (std::size_t a = 0; a < splits.size(); ++a) {
    for (std::size_t b = a + 1; b < splits.size(); ++b) {
      const double k = detail::kuncheva_pair(out.supports[a], out.supports[b], n);
      if (!std::isnan(k)) {
        kuncheva_sum += k;
        ++kuncheva_pairs;
      }
      const index both = detail::intersection_size(out.supports[a], out.supports[b]);
      const auto either =
          static_cast<double>(out.supports[a].size() + out.supports[b].size()) - static_cast<double>(both);
      jaccard_sum += either == 0.0 ? 1.0 : static_cast<double>(both) / either;
      ++pairs;
    }
  }
  out.kuncheva = kuncheva_pairs == 0 ? std::numeric_limits<double>::quiet_NaN()
                                     : kuncheva_sum / static_cast<double>(kuncheva_pairs);
  out.jaccard = jaccard_sum / static_cast<double>(pairs);
  return out;
}

}  // namespace mlpipe
