#pragma once

#include <algorithm>    // std::min, std::max, std::stable_sort
#include <cmath>        // std::log, std::floor, std::ceil, std::pow, std::isnan
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::move
#include <variant>
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/search_session.hpp"
#include "mlpipe/tuning/space.hpp"

// Successive halving (scikit-learn's HalvingGridSearchCV and HalvingRandomSearchCV, the same schedule for the same
// settings) and Hyperband (Li et al. 2018: brackets of successive halving from many cheap candidates to few costly
// ones). The resource is the number of training rows ("n_samples": each split's training and test rows subsampled as
// scikit-learn's _SubsampleMetaSplitter does, with numpy's RandomState(seed)) or an integer parameter ("model.max_iter").

namespace mlpipe {

// resource_amount -- a number of resources, or a rule: "exhaust", "smallest" (min_resources), "auto" (max_resources,
// n_candidates "exhaust").
using resource_amount = std::variant<std::string, std::int64_t>;

// halving_options -- successive halving's settings, then grid_search's options with the journal, progress and
// time budget.
struct halving_options {
  // For halving_random_search: candidates drawn for the first iteration; "exhaust": max_resources / min_resources.
  resource_amount n_candidates = std::string("exhaust");
  double factor = 3.0;                         // 1 / factor of the candidates go on, with factor times the resource
  std::string resource = "n_samples";          // rows, or the path of an integer parameter ("model.max_iter")
  // The first iteration's resource: a number; "exhaust" (the largest that lets the last iteration use about
  // max_resources); "smallest" (2 rows per split, and per class for a classifier; 1 for a parameter). Empty: "exhaust"
  // for halving_grid_search, "smallest" for halving_random_search, as scikit-learn's defaults.
  std::optional<resource_amount> min_resources{};
  resource_amount max_resources = std::string("auto");  // "auto": the number of rows (resource "n_samples" only)
  bool aggressive_elimination = false;         // start over at min_resources until few enough candidates are left
  std::int64_t seed = 0;                       // numpy seed of the row subsamples and of the random candidates
  any_splitter cv{};                           // the splits; empty: 5 folds, stratified for classifiers
  row_ids groups{};                            // one group id per row, for the group splitters
  scoring_list scoring{};                      // the scorers; the first one ranks and selects candidates
  int n_jobs = 1;                              // threads; -1: every core. Same result for any value
  bool refit = true;                           // refit the best candidate of the last iteration on all rows
  bool return_train_score = false;             // also score each model on its training rows
  bool reuse = true;                           // fit a pipeline prefix shared by several candidates once per split
  bool warm_start = true;                      // fit along the last step's warm_start_param (resource "n_samples" only)
  std::optional<std::size_t> max_cache_bytes{};  // memory for shared prefix outputs (see search_options)
  std::string journal{};                       // a file recording each finished task, to resume from
  progress_callback on_progress{};             // called after each finished task
  double max_time = 0.0;                       // seconds; past them no task starts, the table is partial. 0: no limit
};

// halving_schedule -- successive halving's plan, scikit-learn's attributes of the same names.
struct halving_schedule {
  std::int64_t min_resources = 0;
  std::int64_t max_resources = 0;
  int n_required_iterations = 0;
  int n_possible_iterations = 0;
  int n_iterations = 0;
  std::vector<std::int64_t> n_resources;      // per iteration
  std::vector<std::size_t> n_candidates;      // per iteration (each the previous one's ceil(n / factor))
};

namespace detail {

// Python's math.log(x, base) and int(factor ** power * x), as scikit-learn computes them.
inline double log_base(double x, double base) { return std::log(x) / std::log(base); }

// scikit-learn's successive halving schedule (BaseSuccessiveHalving._run_search) for n candidates, given the
// resolved min and max resources (min_rule: "exhaust" raises min_resources as scikit-learn does).
inline halving_schedule plan_halving(std::size_t n, double factor, std::int64_t min_resources,
                                     std::int64_t max_resources, bool exhaust, bool aggressive) {
  halving_schedule out;
  out.max_resources = max_resources;
  out.n_required_iterations = 1 + static_cast<int>(std::floor(log_base(static_cast<double>(n), factor)));
  if (exhaust) {
    const int last = out.n_required_iterations - 1;
    min_resources = std::max(min_resources, static_cast<std::int64_t>(std::floor(
                                                static_cast<double>(max_resources) / std::pow(factor, last))));
  }
  out.min_resources = min_resources;
  out.n_possible_iterations =
      1 + static_cast<int>(std::floor(log_base(static_cast<double>(max_resources / min_resources), factor)));
  out.n_iterations = aggressive ? out.n_required_iterations
                                : std::min(out.n_possible_iterations, out.n_required_iterations);
  std::size_t candidates = n;
  for (int itr = 0; itr < out.n_iterations; ++itr) {
    const int power = aggressive ? std::max(0, itr - out.n_required_iterations + out.n_possible_iterations) : itr;
    const auto r = static_cast<std::int64_t>(std::pow(factor, power) * static_cast<double>(min_resources));
    out.n_resources.push_back(std::min(r, max_resources));
    out.n_candidates.push_back(candidates);
    candidates = static_cast<std::size_t>(std::ceil(static_cast<double>(candidates) / factor));
  }
  return out;
}

// The k best of a round's candidates in scikit-learn's _top_k order: ascending mean test score (NaN first), the last
// k of them.
inline std::vector<std::size_t> top_k(const std::vector<double>& means, std::size_t k) {
  std::vector<std::size_t> nan, rest;
  for (std::size_t i = 0; i < means.size(); ++i) (std::isnan(means[i]) ? nan : rest).push_back(i);
  std::stable_sort(rest.begin(), rest.end(), [&](std::size_t a, std::size_t b) { return means[a] < means[b]; });
  nan.insert(nan.end(), rest.begin(), rest.end());
  const std::size_t keep = std::min(k, nan.size());
  return std::vector<std::size_t>(nan.end() - static_cast<std::ptrdiff_t>(keep), nan.end());
}

// How many of count rows a subsample keeps: int(fraction * count), as scikit-learn's _SubsampleMetaSplitter.
inline std::size_t subsample_size(double fraction, std::size_t count) {
  return static_cast<std::size_t>(fraction * static_cast<double>(count));
}

// The splits with a fraction of their rows, as scikit-learn's _SubsampleMetaSplitter(fraction, subsample_test=True,
// random_state=seed): each split's training and test rows shuffled by a fresh RandomState(seed), the first
// int(fraction * count) kept, in the shuffled order.
inline std::vector<split> subsample_splits(const std::vector<split>& splits, double fraction, std::uint32_t seed) {
  const auto take = [&](const std::vector<index>& rows) {
    std::vector<std::size_t> order(rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    numpy_random_state rng(seed);
    rng.shuffle(std::span<std::size_t>(order));
    const std::size_t n = subsample_size(fraction, rows.size());
    std::vector<index> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = rows[order[i]];
    return out;
  };
  std::vector<split> out;
  for (const auto& s : splits) {
    split sub = s;
    sub.train = take(s.train);
    sub.test = take(s.test);
    out.push_back(std::move(sub));
  }
  return out;
}

// A candidate with the resource parameter set (kept in path order, as tables want them).
inline param_set with_resource(param_set candidate, const std::string& path, std::int64_t amount) {
  auto at = candidate.begin();
  while (at != candidate.end() && at->first < path) ++at;
  candidate.insert(at, {path, param_value(amount)});
  return candidate;
}

// Checks a resource: "n_samples", or the path of an integer parameter of spec that no space axis sets.
template <class Spec>
void check_resource(const Spec& spec, const std::string& resource, const space_list& spaces, std::string_view kind) {
  if (resource == "n_samples") return;
  bool integral = false;
  const bool found = visit_param(spec, resource, [&](const auto& ref, const auto&, std::string_view) {
    using M = std::remove_cvref_t<decltype(ref)>;
    integral = std::is_integral_v<M> && !std::is_same_v<M, bool>;
  });
  if (!found) {
    auto e = unknown_path_error(resource, mlpipe::param_names(spec));
    e.add_note("resource; expected \"n_samples\" or an integer parameter's path");
    e.add_kind(kind);
    throw e;
  }
  if (!integral)
    throw invalid_parameter("resource = '" + resource + "' is " + std::string(value_kind(get_param(spec, resource))) +
                                " parameter; expected \"n_samples\" or the path of an integer parameter, such as a "
                                "model's max_iter",
                            kind);
  for (const auto& s : spaces.spaces())
    for (const auto& axis : s.axes())
      if (axis.path == resource)
        throw invalid_parameter("resource = '" + resource + "' is also searched by the space; expected a parameter "
                                "the search does not set",
                                kind);
}

// An amount given as a number (or one of the named rules): the number, checked positive.
inline std::optional<std::int64_t> amount_of(const resource_amount& a, std::string_view name,
                                             std::initializer_list<std::string_view> rules, std::string_view kind) {
  if (const auto* n = std::get_if<std::int64_t>(&a)) {
    if (*n < 1)
      throw invalid_parameter(std::string(name) + " = " + std::to_string(*n) + " is out of range; expected " +
                                  std::string(name) + " >= 1",
                              kind);
    return *n;
  }
  const auto& text = std::get<std::string>(a);
  std::vector<std::string> allowed;
  for (const auto r : rules) {
    if (text == r) return std::nullopt;
    allowed.push_back("\"" + std::string(r) + "\"");
  }
  throw invalid_parameter(std::string(name) + " = \"" + text + "\" is not a rule; expected a number or one of " +
                              join(allowed, 5),
                          kind);
}

// With rows as the resource: throws, before any fit, when the least amount r would leave a split without a training
// or a test row once subsample_splits keeps int(r / n_rows * count) of each. `amount` says where r comes from (the
// option as given, or hyperband's smallest rung) and `option` which option to raise; the message gives the least
// value that keeps a training and a test row in every split.
inline void check_row_resource(const std::vector<split>& splits, std::int64_t r, std::size_t n_rows,
                               const std::string& amount, std::string_view option, std::string_view kind) {
  const auto kept = [&](std::int64_t a, std::size_t count) {
    return subsample_size(static_cast<double>(a) / static_cast<double>(n_rows), count);
  };
  const auto short_split = [&](std::int64_t a) {  // the first split left without a training or a test row, if any
    std::size_t at = 0;
    while (at < splits.size() && kept(a, splits[at].train.size()) > 0 && kept(a, splits[at].test.size()) > 0) ++at;
    return at;
  };
  const std::size_t at = short_split(r);
  if (at == splits.size()) return;
  std::size_t fewest = n_rows;  // the fewest training or test rows of a split
  for (const auto& s : splits) fewest = std::min({fewest, s.train.size(), s.test.size()});
  // int(a / n * fewest) >= 1 needs a >= n / fewest: start just below it and step up past the rounding.
  auto least = static_cast<std::int64_t>(static_cast<double>(n_rows) / static_cast<double>(std::max<std::size_t>(fewest, 1)));
  least = std::max<std::int64_t>(least - 1, 1);
  while (short_split(least) < splits.size() && least < static_cast<std::int64_t>(n_rows)) ++least;
  throw invalid_parameter(amount + " leaves split " + std::to_string(at) + " with " +
                              std::to_string(kept(r, splits[at].train.size())) + " training and " +
                              std::to_string(kept(r, splits[at].test.size())) + " test rows (of " +
                              std::to_string(splits[at].train.size()) + " and " +
                              std::to_string(splits[at].test.size()) + "); expected " + std::string(option) +
                              " >= " + std::to_string(least) + ", so that every split keeps a training and a test row",
                          kind);
}

// The table of successive halving: each iteration's candidates on its resource, with iter and n_resources columns.
template <class Spec>
void run_halving(search_session<Spec>& session, std::vector<param_set> candidates, const halving_schedule& plan,
                 const halving_options& o, std::size_t n_rows, search_results& table, std::vector<index>& contenders) {
  for (int itr = 0; itr < plan.n_iterations && !session.stopped(); ++itr) {
    const std::int64_t r = plan.n_resources[static_cast<std::size_t>(itr)];
    std::vector<param_set> round = candidates;
    std::vector<split> splits = session.splits();
    if (o.resource == "n_samples") {
      splits = subsample_splits(session.splits(), static_cast<double>(r) / static_cast<double>(n_rows),
                                static_cast<std::uint32_t>(o.seed));
    } else {
      for (auto& c : round) c = with_resource(std::move(c), o.resource, r);
    }
    search_results results = session.run_round(static_cast<std::size_t>(itr), round, splits);
    results.set_column("iter", std::vector<double>(round.size(), static_cast<double>(itr)));
    results.set_column("n_resources", std::vector<double>(round.size(), static_cast<double>(r)));
    const std::size_t offset = table.n_candidates();
    if (itr + 1 == plan.n_iterations)
      for (std::size_t c = 0; c < round.size(); ++c) contenders.push_back(static_cast<index>(offset + c));
    const std::size_t keep = static_cast<std::size_t>(std::ceil(static_cast<double>(candidates.size()) / o.factor));
    std::vector<param_set> next;
    for (const std::size_t i : top_k(results.mean_test_score(), keep)) next.push_back(candidates[i]);
    candidates = std::move(next);
    table.append(results);
  }
}

// The resolved min and max resources of a halving search (scikit-learn's min_resources_ and max_resources_ before
// "exhaust" raises the former). Whether the estimator is a classifier: its roles() for any_pipeline, its type else.
template <class Spec>
std::pair<std::int64_t, std::int64_t> resolve_resources(const Spec& estimator, const halving_options& o,
                                                        bool exhaust_default,
                                                        std::size_t n_splits, const vector_view& y, index n_rows,
                                                        std::string_view kind, bool& exhaust) {
  const resource_amount min_rule = o.min_resources.value_or(std::string(exhaust_default ? "exhaust" : "smallest"));
  const auto min_number = amount_of(min_rule, "min_resources", {"exhaust", "smallest"}, kind);
  const auto max_number = amount_of(o.max_resources, "max_resources", {"auto"}, kind);
  exhaust = !min_number && std::get<std::string>(min_rule) == "exhaust";
  std::int64_t min_r = 1;
  if (min_number) {
    min_r = *min_number;
  } else if (o.resource == "n_samples") {
    min_r = static_cast<std::int64_t>(n_splits) * 2;
    if (mlpipe::is_classifier(estimator)) {
      std::vector<double> classes(y.begin(), y.end());
      std::sort(classes.begin(), classes.end());
      min_r *= static_cast<std::int64_t>(std::unique(classes.begin(), classes.end()) - classes.begin());
    }
  }
  std::int64_t max_r = 0;
  if (max_number) {
    max_r = *max_number;
  } else if (o.resource == "n_samples") {
    max_r = static_cast<std::int64_t>(n_rows);
  } else {
    throw invalid_parameter("max_resources = \"auto\" needs resource = \"n_samples\"; expected a number for resource "
                            "'" + o.resource + "'",
                            kind);
  }
  if (o.resource == "n_samples" && max_r > static_cast<std::int64_t>(n_rows))
    throw invalid_parameter("max_resources = " + std::to_string(max_r) + " rows but X has " + std::to_string(n_rows) +
                                "; expected at most the number of rows",
                            kind);
  if (min_r > max_r)
    throw invalid_parameter("min_resources = " + std::to_string(min_r) + " > max_resources = " +
                                std::to_string(max_r) + "; expected min_resources <= max_resources",
                            kind);
  return {min_r, max_r};
}

inline void check_factor(double factor, std::string_view kind) {
  if (!(factor > 1.0) || !std::isfinite(factor))
    throw invalid_parameter("factor = " + format_double(factor) + " is out of range; expected factor > 1", kind);
}

// The grid_search options of a halving search. A parameter as the resource caps each candidate's own work
// (max_iter: its solver's steps), which a fit started from another candidate's solution would exceed, so such a
// search fits every candidate from scratch: warm starts apply only to the resource "n_samples".
inline search_options halving_common_options(const halving_options& o) {
  search_options common = common_options(o);
  common.warm_start = o.warm_start && o.resource == "n_samples";
  return common;
}

template <class Spec, fixed_string Kind>
fitted_search<typename Spec::fitted, Kind> fit_halving(const Spec& estimator, const space_list& spaces,
                                                       std::optional<std::vector<param_set>> grid_candidates,
                                                       const halving_options& o, const matrix_view& X,
                                                       const vector_view& y) {
  constexpr std::string_view kind = Kind.view();
  check_factor(o.factor, kind);
  const search_options common = halving_common_options(o);
  const search_budget budget = budget_of(o);
  check_common(kind, o.seed, common, budget);
  check_space(estimator, spaces, kind);
  check_resource(estimator, o.resource, spaces, kind);
  std::string description = "factor=" + format_double(o.factor) + ";resource=" + o.resource + ";aggressive=" +
                            (o.aggressive_elimination ? "1" : "0") + ";" + describe_space(spaces);
  const auto text = [](const resource_amount& a) {
    return std::holds_alternative<std::string>(a) ? std::get<std::string>(a) : std::to_string(std::get<std::int64_t>(a));
  };
  description += "min=" + (o.min_resources ? text(*o.min_resources) : std::string()) + ";max=" + text(o.max_resources) +
                 ";n=" + text(o.n_candidates);
  search_session<Spec> session(estimator, common, budget, kind, o.seed, description, X, y);
  bool exhaust = false;
  const auto [min_r, max_r] =
      resolve_resources(estimator, o, grid_candidates.has_value(), session.splits().size(), y, X.rows(), kind, exhaust);
  if (o.resource != "n_samples") {  // the extreme resources must be valid values of the parameter
    for (const std::int64_t r : {min_r, max_r}) {
      Spec probe = estimator;
      try {
        set_param(probe, o.resource, param_value(r));
        validate_all(probe);
      } catch (error& e) {
        e.add_note("resource '" + o.resource + "' = " + std::to_string(r));
        e.add_kind(kind);
        throw;
      }
    }
  }
  std::vector<param_set> candidates;
  if (grid_candidates) {
    candidates = std::move(*grid_candidates);
  } else {
    const auto n = amount_of(o.n_candidates, "n_candidates", {"exhaust"}, kind);
    numpy_random_state rng(static_cast<std::uint32_t>(o.seed));
    candidates = spaces.sample(n ? static_cast<std::size_t>(*n) : static_cast<std::size_t>(max_r / min_r), rng);
  }
  const halving_schedule plan = plan_halving(candidates.size(), o.factor, min_r, max_r, exhaust, o.aggressive_elimination);
  if (o.resource == "n_samples" && !plan.n_resources.empty())
    check_row_resource(session.splits(), plan.n_resources.front(), static_cast<std::size_t>(X.rows()),
                       plan.n_resources.front() == min_r
                           ? "min_resources = " + std::to_string(min_r)
                           : "the first iteration (" + std::to_string(plan.n_resources.front()) + " rows)",
                       "min_resources", kind);
  std::size_t total = 0;
  for (const std::size_t n : plan.n_candidates) total += n * session.splits().size();
  session.set_total(total);
  search_results table;
  std::vector<index> contenders;
  run_halving(session, std::move(candidates), plan, o, static_cast<std::size_t>(X.rows()), table, contenders);
  table.set_contenders(std::move(contenders));
  return session.template finish<Kind>(std::move(table));
}

}  // namespace detail

// halving_schedule_of(n_candidates, n_rows, ...) -- the schedule successive halving follows (for planning and tests).
inline halving_schedule plan_successive_halving(std::size_t n_candidates, double factor, std::int64_t min_resources,
                                                std::int64_t max_resources, bool exhaust, bool aggressive_elimination) {
  detail::check_factor(factor, "successive halving");
  return detail::plan_halving(n_candidates, factor, min_resources, max_resources, exhaust, aggressive_elimination);
}

// halving_grid_search -- scikit-learn's HalvingGridSearchCV as a stage: every candidate of the grid on the smallest
// resource, the best 1 / factor of them on factor times more, and so on (the same n_candidates and n_resources per
// iteration as scikit-learn's); the table has columns iter and n_resources; the best is the last iteration's best.
template <class Spec>
struct halving_grid_search {
  static_assert(stage<Spec>, "mlpipe: halving_grid_search{spec, grid, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = "halving_grid_search";
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted, "halving_grid_search">;

  Spec estimator;
  grid space;
  halving_options options;

  halving_grid_search(Spec estimator, grid space, halving_options options = {})
      : estimator(std::move(estimator)), space(std::move(space)), options(std::move(options)) {}

  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_halving<Spec, "halving_grid_search">(estimator, space_list(mlpipe::space(space)),
                                                            space.candidates(), options, X, y);
  }
};

template <class Spec>
halving_grid_search(Spec, grid, halving_options) -> halving_grid_search<Spec>;
template <class Spec>
halving_grid_search(Spec, grid) -> halving_grid_search<Spec>;

// halving_random_search -- scikit-learn's HalvingRandomSearchCV as a stage: n_candidates drawn from the space as
// ParameterSampler draws them for the seed, then successive halving as halving_grid_search.
template <class Spec>
struct halving_random_search {
  static_assert(stage<Spec>, "mlpipe: halving_random_search{spec, space, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = "halving_random_search";
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted, "halving_random_search">;

  Spec estimator;
  space_list space;
  halving_options options;

  halving_random_search(Spec estimator, space_list space, halving_options options = {})
      : estimator(std::move(estimator)), space(std::move(space)), options(std::move(options)) {}

  fitted fit(const matrix_view& X, const vector_view& y) const {
    return detail::fit_halving<Spec, "halving_random_search">(estimator, space, std::nullopt, options, X, y);
  }
};

template <class Spec>
halving_random_search(Spec, space_list, halving_options) -> halving_random_search<Spec>;
template <class Spec>
halving_random_search(Spec, space_list) -> halving_random_search<Spec>;

// hyperband_options -- Hyperband's settings (resource, its largest and smallest amounts, factor, seed), then
// grid_search's options with the journal, progress and time budget.
struct hyperband_options {
  std::string resource = "n_samples";  // rows, or the path of an integer parameter ("model.max_iter")
  std::int64_t max_resource = 0;       // R: the most resource a candidate gets; 0: the number of rows (n_samples)
  std::int64_t min_resource = 1;       // the least resource a candidate gets (R / factor^s_max >= it)
  double factor = 3.0;                 // eta: 1 / factor of each rung's candidates go on with factor times the resource
  std::int64_t seed = 0;               // numpy seed of the candidates' draws and of the row subsamples
  any_splitter cv{};                   // the splits; empty: 5 folds, stratified for classifiers
  row_ids groups{};                    // one group id per row, for the group splitters
  scoring_list scoring{};              // the scorers; the first one ranks and selects candidates
  int n_jobs = 1;                      // threads; -1: every core. Same result for any value
  bool refit = true;                   // refit the best candidate evaluated with the most resource on all rows
  bool return_train_score = false;     // also score each model on its training rows
  bool reuse = true;                   // fit a pipeline prefix shared by several candidates once per split
  bool warm_start = true;              // fit along the last step's warm_start_param (resource "n_samples" only)
  std::optional<std::size_t> max_cache_bytes{};  // memory for shared prefix outputs (see search_options)
  std::string journal{};               // a file recording each finished task, to resume from
  progress_callback on_progress{};     // called after each finished task
  double max_time = 0.0;               // seconds; past them no task starts, the table is partial. 0: no limit
};

// hyperband_bracket -- one bracket of Hyperband: its candidates and, per rung, how many go on and their resource.
struct hyperband_bracket {
  int s = 0;
  std::vector<std::size_t> n_candidates;   // n_i = floor(n * eta^-i)
  std::vector<std::int64_t> n_resources;   // r_i = R * eta^(i - s)
};

namespace detail {

// Li et al.'s brackets: s_max = floor(log_eta(R / r_min)); bracket s (s_max down to 0) draws
// n = ceil((s_max + 1) / (s + 1) * eta^s) candidates on R * eta^-s, then keeps floor(n_i / eta) per rung.
inline std::vector<hyperband_bracket> plan_hyperband(std::int64_t R, std::int64_t r_min, double eta) {
  const double tiny = 1e-9;  // guards floor / ceil against rounding of exact powers
  const int s_max = static_cast<int>(std::floor(log_base(static_cast<double>(R) / static_cast<double>(r_min), eta) + tiny));
  std::vector<hyperband_bracket> out;
  for (int s = s_max; s >= 0; --s) {
    hyperband_bracket b;
    b.s = s;
    const double n = std::ceil(static_cast<double>(s_max + 1) / static_cast<double>(s + 1) * std::pow(eta, s) - tiny);
    for (int i = 0; i <= s; ++i) {
      b.n_candidates.push_back(std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(n * std::pow(eta, -i) + tiny))));
      b.n_resources.push_back(std::max<std::int64_t>(
          r_min, static_cast<std::int64_t>(std::floor(static_cast<double>(R) * std::pow(eta, i - s) + tiny))));
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace detail

// hyperband -- Hyperband (Li et al. 2018) as a stage: brackets of successive halving, from many candidates on little
// resource to few on the most, candidates drawn from the space with numpy's RandomState(seed) (ParameterSampler
// draws, bracket after bracket). The table has columns bracket, iter and n_resources; the best is the best candidate
// evaluated with the most resource.
template <class Spec>
struct hyperband {
  static_assert(stage<Spec>, "mlpipe: hyperband{spec, space, options} needs a stage or pipeline as spec");
  static constexpr std::string_view kind = "hyperband";
  static constexpr bool allows_nan = detail::stage_allows_nan<Spec>();  // as its estimator, which X reaches first
  static constexpr bool allocates_per_row = detail::stage_allocates_per_row<Spec>();  // as its estimator's row calls
  static constexpr auto params = std::tuple<>{};
  using fitted = fitted_search<typename Spec::fitted, "hyperband">;

  Spec estimator;
  space_list space;
  hyperband_options options;

  hyperband(Spec estimator, space_list space, hyperband_options options = {})
      : estimator(std::move(estimator)), space(std::move(space)), options(std::move(options)) {}

  // The brackets this search will run on n_rows rows.
  std::vector<hyperband_bracket> brackets(index n_rows) const {
    const std::int64_t R = options.max_resource > 0 ? options.max_resource : static_cast<std::int64_t>(n_rows);
    return detail::plan_hyperband(R, options.min_resource, options.factor);
  }

  fitted fit(const matrix_view& X, const vector_view& y) const {
    const halving_options o{.factor = options.factor, .resource = options.resource, .seed = options.seed,
                            .cv = options.cv, .groups = options.groups, .scoring = options.scoring,
                            .n_jobs = options.n_jobs, .refit = options.refit,
                            .return_train_score = options.return_train_score, .reuse = options.reuse,
                            .warm_start = options.warm_start, .max_cache_bytes = options.max_cache_bytes,
                            .journal = options.journal, .on_progress = options.on_progress,
                            .max_time = options.max_time};
    detail::check_factor(o.factor, kind);
    if (options.max_resource < 0 || (options.max_resource == 0 && options.resource != "n_samples"))
      throw invalid_parameter("max_resource = " + std::to_string(options.max_resource) +
                                  " is out of range; expected max_resource >= 1 (0: the number of rows, for resource "
                                  "\"n_samples\")",
                              kind);
    const std::int64_t R = options.max_resource > 0 ? options.max_resource : static_cast<std::int64_t>(X.rows());
    if (options.min_resource < 1 || options.min_resource > R)
      throw invalid_parameter("min_resource = " + std::to_string(options.min_resource) +
                                  " is out of range; expected 1 <= min_resource <= max_resource = " + std::to_string(R),
                              kind);
    const search_options common = detail::halving_common_options(o);
    const search_budget budget = detail::budget_of(o);
    detail::check_common(kind, o.seed, common, budget);
    check_space(estimator, space, kind);
    detail::check_resource(estimator, o.resource, space, kind);
    if (o.resource != "n_samples") {
      for (const std::int64_t r : {options.min_resource, R}) {
        Spec probe = estimator;
        try {
          set_param(probe, o.resource, param_value(r));
          validate_all(probe);
        } catch (error& e) {
          e.add_note("resource '" + o.resource + "' = " + std::to_string(r));
          e.add_kind(kind);
          throw;
        }
      }
    } else if (R > X.rows()) {
      throw invalid_parameter("max_resource = " + std::to_string(R) + " rows but X has " + std::to_string(X.rows()) +
                                  "; expected at most the number of rows",
                              kind);
    }
    detail::search_session<Spec> session(
        estimator, common, budget, kind, o.seed,
        "R=" + std::to_string(R) + ";r_min=" + std::to_string(options.min_resource) + ";factor=" +
            format_double(o.factor) + ";resource=" + o.resource + ";" + detail::describe_space(space),
        X, y);
    const auto plan = detail::plan_hyperband(R, options.min_resource, o.factor);
    if (o.resource == "n_samples") {
      std::int64_t least = R;
      for (const auto& b : plan)
        if (!b.n_resources.empty()) least = std::min(least, b.n_resources.front());
      detail::check_row_resource(session.splits(), least, static_cast<std::size_t>(X.rows()),
                                 "the smallest rung (" + std::to_string(least) + " rows, from min_resource = " +
                                     std::to_string(options.min_resource) + ")",
                                 "min_resource", kind);
    }
    std::size_t total = 0;
    for (const auto& b : plan)
      for (const std::size_t n : b.n_candidates) total += n * session.splits().size();
    session.set_total(total);
    numpy_random_state rng(static_cast<std::uint32_t>(o.seed));
    search_results table;
    std::vector<index> contenders;
    std::size_t round = 0;
    for (const auto& b : plan) {
      if (session.stopped()) break;
      std::vector<param_set> candidates = space.sample(b.n_candidates.front(), rng);
      std::vector<index> last;
      run_bracket(session, std::move(candidates), b, o, round, static_cast<std::size_t>(X.rows()), table, last);
      round += b.n_resources.size();
      if (b.n_resources.back() == R) contenders.insert(contenders.end(), last.begin(), last.end());
    }
    table.set_contenders(std::move(contenders));
    return session.template finish<"hyperband">(std::move(table));
  }

 private:
  // One bracket: successive halving keeping floor(n_i / eta) candidates per rung (Li et al.'s top_k).
  static void run_bracket(detail::search_session<Spec>& session, std::vector<param_set> candidates,
                          const hyperband_bracket& b, const halving_options& o, std::size_t first_round,
                          std::size_t n_rows, search_results& table, std::vector<index>& last) {
    for (std::size_t i = 0; i < b.n_resources.size() && !session.stopped(); ++i) {
      const std::int64_t r = b.n_resources[i];
      std::vector<param_set> round = candidates;
      std::vector<split> splits = session.splits();
      if (o.resource == "n_samples") {
        splits = detail::subsample_splits(session.splits(), static_cast<double>(r) / static_cast<double>(n_rows),
                                          static_cast<std::uint32_t>(o.seed));
      } else {
        for (auto& c : round) c = detail::with_resource(std::move(c), o.resource, r);
      }
      search_results results = session.run_round(first_round + i, round, splits);
      results.set_column("bracket", std::vector<double>(round.size(), static_cast<double>(b.s)));
      results.set_column("iter", std::vector<double>(round.size(), static_cast<double>(i)));
      results.set_column("n_resources", std::vector<double>(round.size(), static_cast<double>(r)));
      last.clear();
      for (std::size_t c = 0; c < round.size(); ++c) last.push_back(static_cast<index>(table.n_candidates() + c));
      const std::size_t keep = std::max<std::size_t>(
          1, static_cast<std::size_t>(std::floor(static_cast<double>(candidates.size()) / o.factor + 1e-9)));
      std::vector<param_set> next;
      for (const std::size_t k : detail::top_k(results.mean_test_score(), keep)) next.push_back(candidates[k]);
      candidates = std::move(next);
      table.append(results);
    }
  }
};

template <class Spec>
hyperband(Spec, space_list, hyperband_options) -> hyperband<Spec>;
template <class Spec>
hyperband(Spec, space_list) -> hyperband<Spec>;

}  // namespace mlpipe
