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
// A grid_list (below) is a grid too: the candidates of several grids, one grid after the other.
class grid {
 public:
  grid(std::initializer_list<grid_axis> axes) : axes_(axes) { check(); }
  explicit grid(std::vector<grid_axis> axes) : axes_(std::move(axes)) { check(); }

  // The axes with their paths sorted, as the candidates enumerate them (of the first grid, in a grid_list).
  const std::vector<grid_axis>& axes() const { return axes_; }

  // Every grid's axes, in order: one grid for a plain grid, each grid of a grid_list.
  std::vector<std::vector<grid_axis>> grids() const {
    std::vector<std::vector<grid_axis>> out{axes_};
    out.insert(out.end(), more_.begin(), more_.end());
    return out;
  }

  std::size_t size() const {
    std::size_t n = product_size(axes_);
    for (const auto& more : more_) n += product_size(more);
    return n;
  }

  std::vector<param_set> candidates() const {
    std::vector<param_set> out;
    out.reserve(size());
    append_product(axes_, out);
    for (const auto& more : more_) append_product(more, out);
    return out;
  }

  grid() = default;  // no axes: one candidate that sets nothing

 protected:
  // Appends another grid's axes: its candidates follow this grid's.
  void append(const grid& other) {
    if (first_) {
      axes_ = other.axes_;
      first_ = false;
    } else {
      more_.push_back(other.axes_);
    }
    for (const auto& more : other.more_) more_.push_back(more);
  }

 private:
  static std::size_t product_size(const std::vector<grid_axis>& axes) {
    std::size_t n = 1;
    for (const auto& axis : axes) n *= axis.values.size();
    return n;
  }

  static void append_product(const std::vector<grid_axis>& axes, std::vector<param_set>& out) {
    std::vector<std::size_t> at(axes.size(), 0);
    const std::size_t n = product_size(axes);
    for (std::size_t c = 0; c < n; ++c) {
      param_set candidate;
      for (std::size_t a = 0; a < axes.size(); ++a) candidate.emplace_back(axes[a].path, axes[a].values[at[a]]);
      out.push_back(std::move(candidate));
      for (std::size_t a = axes.size(); a-- > 0;) {  // odometer: the last axis turns fastest
        if (++at[a] < axes[a].values.size()) break;
        at[a] = 0;
      }
    }
  }

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
  std::vector<std::vector<grid_axis>> more_;  // the other grids of a grid_list, in order
  bool first_ = true;                          // a grid_list that has no grid yet
};

// grid_list{grid{...}, grid{...}} -- scikit-learn's list of grids: the candidates of each grid in turn, each grid
// in ParameterGrid order, so a choice's parameters are tried only with it:
//   grid_list{grid{{"scale", {"standard_scaler"}}, {"scale.standard_scaler.with_mean", {true, false}}},
//             grid{{"scale", {"min_max_scaler"}}, {"model.C", {0.1, 1.0}}}}
// Candidates of different grids may have different paths; a search's table leaves a path a candidate lacks empty.
class grid_list : public grid {
 public:
  grid_list(std::initializer_list<grid> grids) {
    if (grids.size() == 0) throw invalid_parameter("grid_list: no grids; expected at least one grid");
    for (const auto& g : grids) append(g);
  }
  explicit grid_list(const std::vector<grid>& grids) {
    if (grids.empty()) throw invalid_parameter("grid_list: no grids; expected at least one grid");
    for (const auto& g : grids) append(g);
  }
};

// "model.C = 0.1, select.k = 10": a candidate as text, for messages and tables.
inline std::string format_params(const param_set& params) {
  return detail::join_formatted(params, [](const auto& p) { return p.first + " = " + format_value(p.second); });
}

}  // namespace mlpipe
