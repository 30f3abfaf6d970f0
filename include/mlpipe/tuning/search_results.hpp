#pragma once

#include <algorithm>    // std::find
#include <cmath>        // std::isnan
#include <cstddef>
#include <functional>   // std::identity
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>      // std::pair
#include <vector>

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/invariants.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/paths.hpp"  // did_you_mean, join
#include "mlpipe/core/text.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/tuning/grid.hpp"

namespace mlpipe {

// search_results -- a search's table, with scikit-learn's cv_results_ columns: params, param_<path>,
// split<i>_test_<scorer>, mean_test_<scorer>, std_test_<scorer>, rank_test_<scorer> (with one scorer the suffix
// is "score": mean_test_score), the same for train when asked, and mean/std fit and score times.
class search_results {
 public:
  search_results() = default;
  search_results(std::vector<param_set> candidates, std::vector<std::string> scorer_names, std::size_t n_splits,
                 bool has_train)
      : candidates_(std::move(candidates)), scorer_names_(std::move(scorer_names)), n_splits_(n_splits),
        test_(scorer_names_.size(), std::vector<double>(candidates_.size() * n_splits, not_run)),
        train_(has_train ? scorer_names_.size() : 0, std::vector<double>(candidates_.size() * n_splits, not_run)),
        fit_time_(candidates_.size() * n_splits), score_time_(candidates_.size() * n_splits) {}

  std::size_t n_candidates() const { return candidates_.size(); }
  std::size_t n_splits() const { return n_splits_; }
  const std::vector<std::string>& scorer_names() const { return scorer_names_; }
  // Each candidate's parameters, in the grid's order.
  const std::vector<param_set>& params() const { return candidates_; }

  double split_test_score(std::size_t candidate, std::size_t split, std::string_view scorer = {}) const {
    return test_[position(scorer)][candidate * n_splits_ + split];
  }
  double split_train_score(std::size_t candidate, std::size_t split, std::string_view scorer = {}) const {
    if (train_.empty()) throw invalid_parameter("train scores were not computed; set .return_train_score = true");
    return train_[position(scorer)][candidate * n_splits_ + split];
  }
  // One task's cells: its test (and train) scores for every scorer, its fit and score times.
  std::vector<double> split_test_scores(std::size_t candidate, std::size_t split) const {
    std::vector<double> out;
    for (const auto& scores : test_) out.push_back(scores[candidate * n_splits_ + split]);
    return out;
  }
  std::vector<double> split_train_scores(std::size_t candidate, std::size_t split) const {
    std::vector<double> out;
    for (const auto& scores : train_) out.push_back(scores[candidate * n_splits_ + split]);
    return out;
  }
  double split_fit_time(std::size_t candidate, std::size_t split) const { return fit_time_[candidate * n_splits_ + split]; }
  double split_score_time(std::size_t candidate, std::size_t split) const {
    return score_time_[candidate * n_splits_ + split];
  }
  std::vector<double> mean_test_score(std::string_view scorer = {}) const { return means(test_[position(scorer)]); }
  std::vector<double> std_test_score(std::string_view scorer = {}) const { return stds(test_[position(scorer)]); }
  // 1 is best; equal means share the smallest rank (scikit-learn's rankdata(method="min")).
  std::vector<int> rank_test_score(std::string_view scorer = {}) const {
    const std::vector<double> m = mean_test_score(scorer);
    std::vector<int> rank(m.size(), 1);
    for (std::size_t i = 0; i < m.size(); ++i)
      for (std::size_t j = 0; j < m.size(); ++j)
        if (better(m[j], m[i])) ++rank[i];
    return rank;
  }
  std::vector<double> mean_fit_time() const { return means(fit_time_); }
  std::vector<double> std_fit_time() const { return stds(fit_time_); }
  std::vector<double> mean_score_time() const { return means(score_time_); }
  std::vector<double> std_score_time() const { return stds(score_time_); }

  // The first candidate with rank 1 for the scorer, as scikit-learn's best_index_; among the contenders only when the
  // search names them (successive halving: the last iteration's candidates, as scikit-learn's _select_best_index).
  std::size_t best_index(std::string_view scorer = {}) const {
    const std::vector<double> m = mean_test_score(scorer);
    std::optional<std::size_t> best;
    const auto consider = [&](std::size_t i) {
      if (!best || better(m[i], m[*best])) best = i;
    };
    if (contenders_.empty()) {
      for (std::size_t i = 0; i < m.size(); ++i) consider(i);
    } else {
      for (const index i : contenders_) consider(static_cast<std::size_t>(i));
    }
    return best.value_or(0);
  }

  // A column a search strategy adds (iter, n_resources, bracket, trial, pruned), one value per candidate; the table
  // lists them after the parameters.
  void set_column(const std::string& name, std::vector<double> values) {
    for (auto& [n, v] : extra_) {
      if (n == name) {
        v = std::move(values);
        return;
      }
    }
    extra_.emplace_back(name, std::move(values));
  }
  bool has_column(std::string_view name) const {
    for (const auto& [n, v] : extra_)
      if (n == name) return true;
    return false;
  }
  // A strategy's column by name (iter, n_resources, bracket, trial, pruned).
  const std::vector<double>& column(std::string_view name) const {
    for (const auto& [n, v] : extra_)
      if (n == name) return v;
    std::vector<std::string> names;
    for (const auto& [n, v] : extra_) names.push_back(n);
    throw invalid_parameter("the table has no column '" + std::string(name) + "'" + detail::did_you_mean(name, names) +
                            (names.empty() ? "; this search adds none" : "; it has: " + detail::join(names, 20)));
  }
  // The candidates best_index chooses from (empty: all of them).
  void set_contenders(std::vector<index> candidates) { contenders_ = std::move(candidates); }
  const std::vector<index>& contenders() const { return contenders_; }
  // True when the search stopped early (max_time, a failing progress callback): tasks that did not run hold NaN.
  bool partial() const { return partial_; }
  void set_partial(bool partial) { partial_ = partial; }

  // Appends another table's candidates (same scorers, splits and train scores; its strategy columns too), as a
  // search with several rounds builds its table.
  void append(const search_results& other) {
    if (candidates_.empty() && extra_.empty()) {
      *this = other;
      return;
    }
    candidates_.insert(candidates_.end(), other.candidates_.begin(), other.candidates_.end());
    for (std::size_t s = 0; s < test_.size(); ++s) test_[s].insert(test_[s].end(), other.test_[s].begin(), other.test_[s].end());
    for (std::size_t s = 0; s < train_.size(); ++s)
      train_[s].insert(train_[s].end(), other.train_[s].begin(), other.train_[s].end());
    fit_time_.insert(fit_time_.end(), other.fit_time_.begin(), other.fit_time_.end());
    score_time_.insert(score_time_.end(), other.score_time_.begin(), other.score_time_.end());
    for (std::size_t e = 0; e < extra_.size() && e < other.extra_.size(); ++e)
      extra_[e].second.insert(extra_[e].second.end(), other.extra_[e].second.begin(), other.extra_[e].second.end());
    stage_fits_ += other.stage_fits_;
    stage_fits_without_reuse_ += other.stage_fits_without_reuse_;
    partial_ = partial_ || other.partial_;
  }

  // The table as JSON: an object of columns, each a list with one entry per candidate (scikit-learn's layout).
  std::string to_json() const {
    std::string out = "{\n";
    auto column = [&](const std::string& name, const std::string& values) {
      if (out.size() > 2) out += ",\n";
      out += " \"" + name + "\": [" + values + "]";
    };
    column("params", detail::join_formatted(candidates_, [](const param_set& candidate) {
             std::string object = "{";
             object += detail::join_formatted(candidate, [](const auto& p) {
               return "\"" + p.first + "\": " + json_value(p.second);
             });
             return object + "}";
           }));
    for (const std::string& path : param_names()) {
      column("param_" + path, detail::join_formatted(candidates_, [&](const param_set& candidate) {
               const param_value* value = find_param(candidate, path);
               return value ? json_value(*value) : std::string("null");
             }));
    }
    for (const auto& [name, values] : extra_) column(name, detail::join_formatted(values, json_number));
    for (const auto& [name, values] : numeric_columns()) column(name, detail::join_formatted(values, json_number));
    if (partial_) out += ",\n \"partial\": true";
    out += ",\n \"stage_fits\": " + std::to_string(stage_fits_) +
           ",\n \"stage_fits_without_reuse\": " + std::to_string(stage_fits_without_reuse_);
    return out + "\n}\n";
  }

  // The table as CSV: a header row, then one row per candidate.
  std::string to_csv() const {
    const std::vector<named_column> columns = numeric_columns();
    std::vector<std::string> cells;
    for (const auto& path : param_names()) cells.push_back("param_" + path);
    for (const auto& column : extra_) cells.push_back(column.first);
    for (const auto& column : columns) cells.push_back(column.first);
    std::string out = detail::join_formatted(cells, std::identity{}, ",") + "\n";
    const std::vector<std::string> paths = param_names();
    for (std::size_t c = 0; c < n_candidates(); ++c) {
      cells.clear();
      for (const std::string& path : paths) {
        const param_value* value = find_param(candidates_[c], path);
        cells.push_back(value ? csv_value(*value) : std::string());
      }
      for (const auto& column : extra_) cells.push_back(format_double(column.second[c]));
      for (const auto& column : columns) cells.push_back(format_double(column.second[c]));
      out += detail::join_formatted(cells, std::identity{}, ",") + "\n";
    }
    return out;
  }

  // Every path some candidate sets, in the order they first appear (candidates of a grid_list, a space_list or a
  // conditional space set different paths: a candidate without a path has an empty cell in to_csv, null in to_json).
  std::vector<std::string> param_names() const {
    std::vector<std::string> out;
    for (const param_set& candidate : candidates_)
      for (const auto& [path, value] : candidate)
        if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
    return out;
  }

  // The value candidate sets at path, or nullptr where it does not set it.
  static const param_value* find_param(const param_set& candidate, std::string_view path) {
    for (const auto& [p, value] : candidate)
      if (p == path) return &value;
    return nullptr;
  }

  // How many stage fits the search made, and how many it would have made fitting every candidate's whole pipeline
  // on every split: the difference is what prefix reuse saved.
  long stage_fits() const { return stage_fits_; }
  long stage_fits_without_reuse() const { return stage_fits_without_reuse_; }
  long fits_saved() const { return stage_fits_without_reuse_ - stage_fits_; }
  void set_stage_fits(long made, long without_reuse) {
    stage_fits_ = made;
    stage_fits_without_reuse_ = without_reuse;
  }

  // The table's fields, for save and load (a fitted search writes them into its own state). Schema version 2 added
  // the strategy columns, the contenders and the partial flag: a version 1 file (a grid search) has none of them.
  template <class Archive>
  void serialize(Archive& ar) {
    ar("params", candidates_);
    ar("scorer_names", scorer_names_);
    ar("n_splits", n_splits_);
    ar("test_scores", test_);
    ar("train_scores", train_);
    ar("fit_times", fit_time_);
    ar("score_times", score_time_);
    ar("stage_fits", stage_fits_);
    ar("stage_fits_without_reuse", stage_fits_without_reuse_);
    std::vector<std::string> names;
    std::vector<std::vector<double>> values;
    for (const auto& [n, v] : extra_) {
      names.push_back(n);
      values.push_back(v);
    }
    ar("column_names", names, 2);
    ar("columns", values, 2);
    extra_.clear();
    for (std::size_t e = 0; e < names.size() && e < values.size(); ++e) extra_.emplace_back(names[e], values[e]);
    if (names.size() != values.size()) extra_.emplace_back(std::string(), std::vector<double>{});  // caught below
    ar("contenders", contenders_, 2);
    ar("partial", partial_, 2);
  }

  // Throws mlpipe::load_error (for the search `kind`) naming the first broken invariant of the table: at least one
  // candidate, each with its paths sorted and distinct (as a grid makes them); at least one split and
  // one scorer (distinct names); one score list per scorer (train: none, or one per scorer) and one fit and score
  // time, each with one value per candidate and split; scores finite or nan, times finite and >= 0; and
  // 0 <= stage_fits <= stage_fits_without_reuse. Ranks and means are computed from these, so they agree.
  void check_invariants(std::string_view kind) const {
    detail::check_state_not_empty(kind, "state.params", static_cast<index>(n_candidates()), "one per candidate");
    check_paths(kind);
    if (n_splits_ == 0) detail::check_state_count(kind, "state.n_splits", 0, 1);
    const auto n_scorers = static_cast<index>(scorer_names_.size());
    detail::check_state_not_empty(kind, "state.scorer_names", n_scorers, "one per scorer");
    for (std::size_t s = 0; s < scorer_names_.size(); ++s) {
      const std::string at = "state.scorer_names[" + std::to_string(s) + "]";
      if (scorer_names_[s].empty()) detail::throw_invariant(kind, at + " is empty; expected a scorer's name");
      for (std::size_t t = 0; t < s; ++t) {
        if (scorer_names_[t] != scorer_names_[s]) continue;
        detail::throw_invariant(kind, at + " = \"" + scorer_names_[s] + "\" repeats state.scorer_names[" +
                                          std::to_string(t) + "]; expected distinct scorers");
      }
    }
    detail::check_state_size(kind, "state.test_scores", static_cast<index>(test_.size()), n_scorers,
                             "one list per scorer", "list", "lists");
    if (!train_.empty()) {
      detail::check_state_size(kind, "state.train_scores", static_cast<index>(train_.size()), n_scorers,
                               "one list per scorer, or none without return_train_score", "list", "lists");
    }
    for (std::size_t s = 0; s < test_.size(); ++s) check_cells(kind, "state.test_scores", s, test_[s], false);
    for (std::size_t s = 0; s < train_.size(); ++s) check_cells(kind, "state.train_scores", s, train_[s], false);
    check_cells(kind, "state.fit_times", {}, fit_time_, true);
    check_cells(kind, "state.score_times", {}, score_time_, true);
    detail::check_state_count(kind, "state.stage_fits", stage_fits_, 0, stage_fits_without_reuse_,
                              "state.stage_fits_without_reuse");
    for (std::size_t e = 0; e < extra_.size(); ++e) {
      const std::string at = "state.columns[" + std::to_string(e) + "]";
      if (extra_[e].first.empty())
        detail::throw_invariant(kind, at + " has no name; expected one name per column in state.column_names");
      detail::check_state_size(kind, at, static_cast<index>(extra_[e].second.size()),
                               static_cast<index>(n_candidates()), "one value per candidate");
    }
    for (std::size_t i = 0; i < contenders_.size(); ++i) {
      if (contenders_[i] >= 0 && contenders_[i] < static_cast<index>(n_candidates())) continue;
      detail::throw_invariant(kind, "state.contenders[" + std::to_string(i) + "] = " + std::to_string(contenders_[i]) +
                                        " is out of range; expected a candidate, 0 <= value < " +
                                        std::to_string(n_candidates()));
    }
  }

  // Filled in by the search, one (candidate, split) task at a time.
  void record(std::size_t candidate, std::size_t split, const std::vector<double>& test, const std::vector<double>& train,
              double fit_time, double score_time) {
    const std::size_t at = candidate * n_splits_ + split;
    for (std::size_t s = 0; s < test_.size(); ++s) test_[s][at] = test[s];
    for (std::size_t s = 0; s < train_.size(); ++s) train_[s][at] = train[s];
    fit_time_[at] = fit_time;
    score_time_[at] = score_time;
  }

 private:
  static constexpr double not_run = std::numeric_limits<double>::quiet_NaN();

  static bool better(double a, double b) {  // NaN (a failed candidate) ranks last
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a > b;
  }

  std::size_t position(std::string_view scorer) const {
    if (scorer.empty()) return 0;  // the first scorer is the one that ranks, as refit=<first> would
    for (std::size_t s = 0; s < scorer_names_.size(); ++s)
      if (scorer_names_[s] == scorer) return s;
    const std::string suggestion = detail::did_you_mean(scorer, scorer_names_);
    throw invalid_parameter("no scores for '" + std::string(scorer) + "'" + (suggestion.empty() ? "." : suggestion) +
                            " Computed: " + detail::join(scorer_names_, 20));
  }

  std::vector<double> means(const std::vector<double>& per_split) const {
    std::vector<double> out(n_candidates());
    for (std::size_t c = 0; c < n_candidates(); ++c) {
      double sum = 0.0;
      for (std::size_t s = 0; s < n_splits_; ++s) sum += per_split[c * n_splits_ + s];
      out[c] = sum / static_cast<double>(n_splits_);
    }
    return out;
  }

  std::vector<double> stds(const std::vector<double>& per_split) const {
    const std::vector<double> m = means(per_split);
    std::vector<double> out(n_candidates());
    for (std::size_t c = 0; c < n_candidates(); ++c) {
      double sum = 0.0;
      for (std::size_t s = 0; s < n_splits_; ++s) {
        const double d = per_split[c * n_splits_ + s] - m[c];
        sum += d * d;
      }
      out[c] = std::sqrt(sum / static_cast<double>(n_splits_));
    }
    return out;
  }

  // Each candidate's paths are sorted and distinct (candidates may set different paths: a grid_list's grids).
  void check_paths(std::string_view kind) const {
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      const param_set& candidate = candidates_[c];
      for (std::size_t p = 1; p < candidate.size(); ++p) {
        if (candidate[p - 1].first < candidate[p].first) continue;
        detail::throw_invariant(kind, "state.params[" + std::to_string(c) + "][" + std::to_string(p) +
                                          "] has the path '" + candidate[p].first + "' after '" +
                                          candidate[p - 1].first + "'; expected each candidate's paths, sorted and distinct");
      }
    }
  }

  // One value per candidate and split (no product is formed, so no file can make it overflow); scores finite or
  // nan (a failed fit), times finite and >= 0.
  void check_cells(std::string_view kind, std::string_view field, std::optional<std::size_t> scorer,
                   const std::vector<double>& values, bool is_time) const {
    const std::string name = std::string(field) + (scorer ? "[" + std::to_string(*scorer) + "]" : std::string());
    const std::size_t n = n_candidates();
    if (values.size() % n != 0 || values.size() / n != n_splits_) {
      detail::throw_invariant(kind, name + " has " + detail::count_of(static_cast<index>(values.size()), "value",
                                                                        "values") +
                                        "; expected one per candidate and split (" + std::to_string(n) + " x " +
                                        std::to_string(n_splits_) + ")");
    }
    const Eigen::Map<const vector> v(values.data(), static_cast<index>(values.size()));
    if (is_time) {
      detail::check_state_values(kind, name, v, detail::state_bound::non_negative);
    } else {
      detail::check_state_values(kind, name, v, detail::state_bound::any, "for a failed fit");
    }
  }

  using named_column = std::pair<std::string, std::vector<double>>;

  // Every numeric column in scikit-learn's order, with its name.
  std::vector<named_column> numeric_columns() const {
    std::vector<named_column> out;
    out.reserve(4 + scorer_names_.size() * (train_.empty() ? 1 : 2) * (n_splits_ + 3));
    add_column(out, "mean_fit_time", {}, means(fit_time_));
    add_column(out, "std_fit_time", {}, stds(fit_time_));
    add_column(out, "mean_score_time", {}, means(score_time_));
    add_column(out, "std_score_time", {}, stds(score_time_));
    for (std::size_t s = 0; s < scorer_names_.size(); ++s) {
      const std::string_view suffix = scorer_names_.size() == 1 ? std::string_view("score") : scorer_names_[s];
      add_scores(out, test_[s], "_test_", suffix);
      const std::vector<int> rank = rank_test_score(scorer_names_[s]);
      add_column(out, "rank_test_", suffix, std::vector<double>(rank.begin(), rank.end()));
      if (!train_.empty()) add_scores(out, train_[s], "_train_", suffix);
    }
    return out;
  }

  static void add_column(std::vector<named_column>& out, std::string_view name, std::string_view suffix,
                         std::vector<double> values) {
    std::string full(name);
    full += suffix;
    out.emplace_back(std::move(full), std::move(values));
  }

  // split<i><part><suffix> for every split, then mean<part><suffix> and std<part><suffix>.
  void add_scores(std::vector<named_column>& out, const std::vector<double>& scores, std::string_view part,
                  std::string_view suffix) const {
    for (std::size_t i = 0; i < n_splits_; ++i) {
      std::vector<double> column(n_candidates());
      for (std::size_t c = 0; c < n_candidates(); ++c) column[c] = scores[c * n_splits_ + i];
      add_column(out, "split" + std::to_string(i) + std::string(part), suffix, std::move(column));
    }
    add_column(out, "mean" + std::string(part), suffix, means(scores));
    add_column(out, "std" + std::string(part), suffix, stds(scores));
  }

  static std::string json_number(double x) {
    return std::isfinite(x) ? format_double(x) : std::string("null");
  }
  static std::string json_value(const param_value& v) {
    if (const auto* d = std::get_if<double>(&v)) return json_number(*d);
    return format_value(v);  // booleans, integers, "strings" and [lists] are already JSON
  }
  static std::string csv_value(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return detail::csv_field(*s);
    return detail::csv_field(format_value(v));
  }

  std::vector<param_set> candidates_;
  std::vector<std::string> scorer_names_;
  std::size_t n_splits_ = 0;
  std::vector<std::vector<double>> test_;   // [scorer][candidate * n_splits + split]
  std::vector<std::vector<double>> train_;
  std::vector<double> fit_time_;
  std::vector<double> score_time_;
  long stage_fits_ = 0;
  long stage_fits_without_reuse_ = 0;
  std::vector<std::pair<std::string, std::vector<double>>> extra_;  // the strategy's columns
  std::vector<index> contenders_;
  bool partial_ = false;
};

}  // namespace mlpipe
