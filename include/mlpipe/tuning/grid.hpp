#pragma once

#include <initializer_list>
#include <string>
#include <utility>      // std::pair, std::swap
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/text.hpp"

namespace mlpipe {

// grid_axis -- one parameter path and the values to try for it: {"model.C", {0.1, 1.0, 10.0}}. Values may be
// integers, reals, booleans, strings (enum names, "all") or lists of numbers.
struct grid_axis {
  std::string path;
  std::vector<param_value> values;
};

// One candidate: a value for each path of the grid.
using param_set = std::vector<std::pair<std::string, param_value>>;

// grid -- the candidates of a grid search: every combination of the axes' values, in scikit-learn's
// ParameterGrid order (paths sorted, the last path varying fastest), so ties resolve as they do there.
class grid {
 public:
  grid(std::initializer_list<grid_axis> axes) : axes_(axes) { check(); }
  explicit grid(std::vector<grid_axis> axes) : axes_(std::move(axes)) { check(); }

  // The axes with their paths sorted, as the candidates enumerate them.
  const std::vector<grid_axis>& axes() const { return axes_; }

  std::size_t size() const {
    std::size_t n = 1;
    for (const auto& axis : axes_) n *= axis.values.size();
    return n;
  }

  std::vector<param_set> candidates() const {
    std::vector<param_set> out;
    out.reserve(size());
    std::vector<std::size_t> at(axes_.size(), 0);
    for (std::size_t c = 0; c < size(); ++c) {
      param_set candidate;
      for (std::size_t a = 0; a < axes_.size(); ++a) candidate.emplace_back(axes_[a].path, axes_[a].values[at[a]]);
      out.push_back(std::move(candidate));
      for (std::size_t a = axes_.size(); a-- > 0;) {  // odometer: the last axis turns fastest
        if (++at[a] < axes_[a].values.size()) break;
        at[a] = 0;
      }
    }
    return out;
  }

 private:
  void check() {
    // Insertion sort by path: a grid has a handful of axes, and this keeps std::sort's code out of every search.
    for (std::size_t a = 1; a < axes_.size(); ++a)
      for (std::size_t b = a; b > 0 && axes_[b].path < axes_[b - 1].path; --b) std::swap(axes_[b], axes_[b - 1]);
    for (std::size_t a = 0; a < axes_.size(); ++a) {
      if (axes_[a].values.empty())
        throw invalid_parameter("grid: the axis '" + axes_[a].path + "' has no values; expected at least one");
      if (a > 0 && axes_[a].path == axes_[a - 1].path)
        throw invalid_parameter("grid: the path '" + axes_[a].path + "' appears twice; expected each path once");
    }
  }

  std::vector<grid_axis> axes_;
};

// "model.C = 0.1, select.k = 10": a candidate as text, for messages and tables.
inline std::string format_params(const param_set& params) {
  return detail::join_formatted(params, [](const auto& p) { return p.first + " = " + format_value(p.second); });
}

}  // namespace mlpipe
