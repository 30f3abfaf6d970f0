#pragma once

#include <algorithm>    // std::min, std::max
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>   // std::function
#include <map>
#include <memory>       // std::shared_ptr
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>      // std::index_sequence, std::move
#include <vector>

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/order.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/reuse.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/search_results.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/scorers.hpp"

// How a search evaluates candidate x split tasks without repeating work:
// - prefix reuse: candidates whose earlier pipeline steps have the same parameters share, on each split, those
//   steps' fit and their transformed training and test rows (computed once, by whichever task needs them first);
// - precomputation: a stage with precompute() (select_k_best's scores) computes that part once per split and input;
// - warm starts: candidates that differ only in the last step's parameters are fitted in ascending order of its
//   warm_start_param (if it has one), each from the previous solution.
// The last step is fitted per candidate on the shared rows and scored on the shared test rows: the same arithmetic
// as fitting and scoring the whole pipeline, so the scores are the same as without reuse.
// Every shared value is a pure function of its key, so the results do not depend on n_jobs or on task order.
//
// Memory: the user's data is held once. A split's rows are gathered when its first task starts, and the last step
// that reads them (the first pipeline step, or the model of a bare stage) takes them over, transforming them in place
// where the stage can (in_place_transformer); a prefix output is cached only while some task of its split will still
// read it, within max_cache_bytes (beyond it, a step is fitted again rather than cached); a split's cache is freed
// when its last task ends. A thread opens a new split only while fewer splits than threads are in progress, and
// otherwise helps finish the oldest one (split_scheduler), so at most n_jobs splits are in memory at once. On data of
// 32 MB or more, the split's rows and the steps' outputs go to a matrix pool when they are freed, and later splits'
// rows and outputs reuse that memory instead of fresh pages from the kernel (see matrix_pool).
//
// The refit: a search that refits has one more task, the part of the refit that every candidate shares (the leading
// steps no candidate changes, fitted on all rows, and the next step's precompute), run beside the others, so that
// with n_jobs > 1 only the best candidate's own steps are left to fit after the last task (refit_start).

namespace mlpipe::detail {

// A pipeline's steps seen uniformly; a bare stage is a one-step chain whose parameter paths have no step name.
template <class Spec>
struct chain_of {
  static constexpr std::size_t size = 1;
  template <std::size_t I>
  static const Spec& stage(const Spec& s) {
    return s;
  }
  template <std::size_t I>
  static constexpr std::string_view name() {
    return {};
  }
  static std::span<const std::string_view> step_names() { return {}; }
};

template <class... Steps>
struct chain_of<pipeline<Steps...>> {
  static constexpr std::size_t size = sizeof...(Steps);
  template <std::size_t I>
  static const auto& stage(const pipeline<Steps...>& p) {
    return std::get<I>(p.steps).stage;
  }
  template <std::size_t I>
  static constexpr std::string_view name() {
    return std::tuple_element_t<I, std::tuple<Steps...>>::name.view();
  }
  static std::span<const std::string_view> step_names() {
    static constexpr std::string_view names[] = {Steps::name.view()...};
    return names;
  }
};

inline void note_candidate(error& e, std::size_t c, const param_set& params) {
  e.add_note("grid candidate " + std::to_string(c) + ": " + format_params(params));
}

// How a search shares work between candidates: keys[c][i] is candidate c's parameter values for steps 0..i as text
// (equal text: equal fitted prefix); groups are the candidates sharing every step but the last, in grid order.
struct candidate_plan {
  std::vector<std::vector<std::string>> keys;
  std::vector<std::vector<std::size_t>> groups;
};

// step_names: a pipeline's, in order; empty for a bare stage (one step, whose paths have no step name).
inline candidate_plan plan_candidates(const std::vector<param_set>& candidates,
                                      std::span<const std::string_view> step_names) {
  const std::size_t n_steps = step_names.empty() ? 1 : step_names.size();
  const auto step_of = [&](std::string_view path) {
    const std::string_view head = path.substr(0, path.find('.'));
    for (std::size_t i = 0; i < step_names.size(); ++i)
      if (step_names[i] == head) return i;
    return std::size_t{0};  // a bare stage's path (a pipeline's paths were checked when the candidates were built)
  };
  candidate_plan plan;
  plan.keys.resize(candidates.size());
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    std::vector<std::string> per_step(n_steps);
    for (const auto& [path, value] : candidates[c]) per_step[step_of(path)] += path + "=" + format_value(value) + ";";
    plan.keys[c].resize(n_steps);
    std::string prefix;
    for (std::size_t i = 0; i < n_steps; ++i) plan.keys[c][i] = prefix += per_step[i] + "|";
  }
  std::map<std::string, std::size_t> group_of;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const std::string key = n_steps > 1 ? plan.keys[c][n_steps - 2] : std::string();
    const auto [it, added] = group_of.emplace(key, plan.groups.size());
    if (added) plan.groups.emplace_back();
    plan.groups[it->second].push_back(c);
  }
  return plan;
}

// Reorders a group by ascending values (one per member), equal values keeping grid order.
inline void order_group(std::vector<std::size_t>& group, const std::vector<double>& values) {
  const std::vector<std::size_t> in_grid_order = group;
  const std::vector<index> order = sorted_order(values);
  for (std::size_t i = 0; i < group.size(); ++i) group[i] = in_grid_order[static_cast<std::size_t>(order[i])];
}

// The rows a step sees on one split: the split's own rows for the first step, else the previous step's outputs.
// finite: checked once when computed, so the steps and models that read them need not scan them again. pool: where
// the rows' memory goes when they are no longer read (the search's matrix pool), if anywhere.
struct split_rows {
  matrix train;
  matrix test;
  bool finite = false;
  matrix_pool* pool = nullptr;

  split_rows() = default;
  explicit split_rows(matrix_pool* p) : pool(p != nullptr && p->enabled() ? p : nullptr) {}
  split_rows(const split_rows&) = delete;
  split_rows& operator=(const split_rows&) = delete;
  ~split_rows() {
    if (pool == nullptr) return;
    pool->give(std::move(train));
    pool->give(std::move(test));
  }
};

// Marks a split's rows finite on this thread while the returned scope lives, when they are (else marks nothing, and
// every stage checks them as usual, with its own error message).
inline known_finite_scope finite_scope(const split_rows* rows) {
  if (rows != nullptr && rows->finite) return known_finite_scope{&rows->train, &rows->test};
  return known_finite_scope{};
}

inline std::size_t bytes_of(const split_rows& rows) {
  return static_cast<std::size_t>(rows.train.size() + rows.test.size()) * sizeof(double);
}

// The memory a search may spend on cached prefix outputs: max_cache_bytes when set, else 2 n_jobs - 1 times the size
// of X (split_scheduler keeps at most n_jobs splits in progress, each holding about X's size), so the default never
// refits.
inline std::size_t cache_budget(const std::optional<std::size_t>& max_cache_bytes, const matrix_view& X, int n_jobs) {
  if (max_cache_bytes) return *max_cache_bytes;
  return static_cast<std::size_t>(X.size()) * sizeof(double) * (2 * resolve_n_jobs(n_jobs) - 1);
}

// split_scheduler -- hands a search's (group, split) tasks to its threads as they free up, so that at most n_threads
// splits are in progress (gathered and not yet finished) at once: a thread that asks for work opens the next split
// while fewer than that are in progress, and otherwise takes the next task of the oldest split in progress. A split
// opened this way finds the memory of the split that just ended free (in the search's matrix pool, on large data),
// and the thread that opens it computes its shared prefix while the others go on with the splits in progress, so no
// thread waits for a lone split's prefix. (In progress is never n_threads splits with all their tasks handed out:
// each would have a task running, and one thread is the one asking; after a task failed, and its split never ends,
// the next split is opened anyway.) A split's groups go out last to first, as later grid values are usually the
// costlier ones (more features kept, weaker penalty), and starting with the longest tasks keeps the threads'
// finishing times close. With one thread: split by split. A search that refits also has one last task of its own (the
// refit's shared part, refit_start), handed out as if it opened one more split: after the last split opened, once
// a split has ended, so that it holds its memory in place of a split's and the last splits' short tasks still come
// after it. Thread-safe.
class split_scheduler {
 public:
  struct task {
    std::size_t group = 0;
    std::size_t split = 0;
    friend bool operator==(const task&, const task&) = default;
  };

  // last_task: the one extra task, {0, n_splits}, after every split's.
  split_scheduler(std::size_t n_groups, std::size_t n_splits, std::size_t n_threads, bool last_task = false)
      : n_groups_(n_groups), n_splits_(n_splits), n_threads_(std::max<std::size_t>(1, n_threads)),
        handed_(n_splits + (last_task ? 1 : 0), 0) {}

  // The next task to run, or nothing when every task has been handed out.
  std::optional<task> next() {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::size_t s = opened_;
    if (in_progress_ >= n_threads_ || opened_ == handed_.size()) {
      s = 0;
      while (s < opened_ && handed_[s] == tasks_of(s)) ++s;  // the oldest split in progress with a task left
    }
    if (s == handed_.size() || n_groups_ == 0) return std::nullopt;
    if (s == opened_) {
      ++opened_;
      ++in_progress_;
    }
    return task{tasks_of(s) - 1 - handed_[s]++, s};
  }

  // Tells it that a split's last task has ended (after the split's memory went back, so the next split can take it).
  void split_ended() {
    const std::lock_guard<std::mutex> lock(mutex_);
    --in_progress_;
  }

  // The task's place in the one-thread order (split by split, each split's groups last to first): the order in
  // which a failure is reported, whatever the number of threads (parallel_drain's task numbers).
  // The last task comes last.
  std::size_t rank(const task& t) const { return t.split * n_groups_ + (tasks_of(t.split) - 1 - t.group); }

  // The task in that place.
  task at(std::size_t rank) const {
    if (rank == n_splits_ * n_groups_) return {0, n_splits_};
    return {n_groups_ - 1 - rank % n_groups_, rank / n_groups_};
  }

 private:
  std::size_t tasks_of(std::size_t s) const { return s < n_splits_ ? n_groups_ : 1; }

  std::mutex mutex_;
  std::size_t n_groups_;
  std::size_t n_splits_;
  std::size_t n_threads_;
  std::vector<std::size_t> handed_;  // per split: tasks handed out
  std::size_t opened_ = 0;           // splits opened, in order
  std::size_t in_progress_ = 0;      // opened and not ended
};

// What a search strategy hears of and decides about its tasks (a task: a group of candidates on one split): skip a
// task whose results it already has (a journal: it records them itself), stop starting tasks (a time budget, a failed
// callback), and hear of each finished task (to journal it, to report progress). Any of them may be empty.
struct task_hooks {
  std::function<bool(std::span<const std::size_t> candidates, std::size_t split)> skip;
  std::function<bool()> stop;
  std::function<void(std::span<const std::size_t> candidates, std::size_t split)> finished;

  // Whether to run the task (asks skip, then stop).
  bool run(std::span<const std::size_t> candidates, std::size_t split) const {
    if (skip && skip(candidates, split)) return false;
    return !(stop && stop());
  }
};

// The fitted steps of a pipeline's fitted type, each optional.
template <class Fitted>
struct optional_fitted_steps {
  using type = std::tuple<>;
};

template <class... FittedSteps>
struct optional_fitted_steps<fitted_pipeline<FittedSteps...>> {
  using type = std::tuple<std::optional<FittedSteps>...>;
};

// refit_start -- the part of a search's refit that every candidate shares, done during the search by a task of its
// own (split_scheduler's last task), so that with n_jobs > 1 it runs beside the candidates' tasks instead of after
// them: a pipeline's leading steps whose parameters no candidate changes, fitted on all rows; X through them; and the
// next step's precomputed part (select_k_best's scores) when no candidate changes that either. Empty when nothing is
// shared, for a bare stage, or when its task failed (the refit then fits everything, and meets the error itself).
template <class Spec>
struct refit_start {
  std::size_t steps = 0;                    // leading steps fitted
  typename optional_fitted_steps<typename Spec::fitted>::type fitted;
  matrix out;                               // X through those steps (when steps > 0)
  std::shared_ptr<const void> precomputed;  // step `steps`'s precompute on its input, or null
  double seconds = 0.0;                     // the time the task took

  bool empty() const { return steps == 0 && !precomputed; }
};

// Fits steps I.. of the best candidate's pipeline from a refit_start: the shared steps are taken as they are, the
// first other step from the shared precompute when there is one, and the rest by pipeline::fit_steps, so the model
// is the one spec.fit gives, bit for bit (fit_precomputed is fit's arithmetic, as a search's splits rely on).
template <std::size_t I, class... Steps>
auto refit_steps_from(const pipeline<Steps...>& spec, const matrix_view& X, const vector_view& y,
                      refit_start<pipeline<Steps...>>& start) {
  using step_type = std::tuple_element_t<I, std::tuple<Steps...>>;
  using stage_type = typename step_type::stage_type;
  using result_step = fitted_step<step_type::name, typename stage_type::fitted>;
  constexpr bool last = I + 1 == sizeof...(Steps);
  if constexpr (!last) {
    if (I < start.steps) {
      return std::tuple_cat(std::tuple<result_step>{std::move(*std::get<I>(start.fitted))},
                            refit_steps_from<I + 1>(spec, I + 1 == start.steps ? matrix_view(start.out) : X, y, start));
    }
  }
  if constexpr (precomputing_stage<stage_type>) {
    if (start.precomputed) {  // here I == start.steps
      const stage_type& stage = std::get<I>(spec.steps).stage;
      using value_type = std::remove_cvref_t<decltype(stage.precompute(X, y))>;
      const auto& pre = *std::static_pointer_cast<const value_type>(start.precomputed);
      const auto name = step_type::name.view();
      auto fitted = in_step(name, stage_type::kind, [&] { return stage.fit_precomputed(pre, X, y); });
      if constexpr (last) {
        return std::tuple<result_step>{result_step{std::move(fitted)}};
      } else {
        const matrix Xt = in_step(name, stage_type::kind, [&] { return fitted.transform(X); });
        return std::tuple_cat(std::tuple<result_step>{result_step{std::move(fitted)}},
                              spec.template fit_steps<I + 1>(Xt, y));
      }
    }
  }
  return spec.template fit_steps<I>(X, y);
}

// The best candidate refitted on all rows (X and y already checked against each other by the search): spec.fit(X,
// y), starting from what the search's refit task shared, if anything (start may be null).
template <class Spec>
typename Spec::fitted refit_best(const Spec& spec, const matrix_view& X, const vector_view& y,
                                 refit_start<Spec>* start) {
  if constexpr (chain_of<Spec>::size > 1) {
    if (start != nullptr && !start->empty()) {
      const matrix_view from = start->steps > 0 ? matrix_view(start->out) : X;
      return typename Spec::fitted(refit_steps_from<0>(spec, from, y, *start));
    }
  }
  return spec.fit(X, y);
}

template <class Spec>
class search_evaluator {
  using chain = chain_of<Spec>;
  static constexpr std::size_t n_steps = chain::size;

 public:
  search_evaluator(const std::vector<Spec>& specs, const std::vector<param_set>& candidates, const matrix_view& X,
                   const vector_view& y, const std::vector<split>& splits, const std::vector<scorer>& scorers,
                   bool train_score, bool warm_start, std::size_t max_cache_bytes)
      : specs_(specs), candidates_(candidates), X_(X), y_(y), splits_(splits), scorers_(scorers),
        train_score_(train_score), warm_start_(warm_start), max_cache_bytes_(max_cache_bytes),
        plan_(plan_candidates(candidates, chain::step_names())), pool_(matrix_pool::capacity_for(static_cast<std::size_t>(X.size()) * sizeof(double), max_cache_bytes)) {
    if constexpr (warm_startable_stage<last_stage>) {
      if (warm_start_) {
        for (auto& group : plan_.groups) {
          std::vector<double> values;
          for (const std::size_t c : group) values.push_back(warm_value(c));
          order_group(group, values);
        }
      }
    }
    count_readers();
    plan_refit();
  }

  // Runs every (group, split) task on n_jobs threads and fills the results; hooks (optional) may skip tasks, stop
  // starting them and hear of each finished one. refit (optional): filled by a last task with the part of the refit
  // every candidate shares, when there is one and its output fits in max_cache_bytes.
  void run(search_results& results, int n_jobs, const task_hooks* hooks = nullptr,
           refit_start<Spec>* refit = nullptr) {
    const std::size_t n_splits = splits_.size();
    const auto& groups = plan_.groups;
    const std::size_t n_threads = std::min(resolve_n_jobs(n_jobs), groups.size() * n_splits);
    states_.clear();
    for (std::size_t s = 0; s < n_splits; ++s) {
      auto state = std::make_unique<split_state>();
      state->raw_readers_left = raw_readers_;
      state->tasks_left = groups.size();
      states_.push_back(std::move(state));
    }
    const bool refit_task = refit != nullptr && shares_refit();
    split_scheduler scheduler(groups.size(), n_splits, n_threads, refit_task);
    // Tasks are numbered by their place in the one-thread order, so a failure stops the tasks after it in that order
    // and the first failure in it is reported: the same error whatever n_jobs.
    const auto next = [&]() -> std::optional<std::size_t> {
      const auto t = scheduler.next();
      if (!t) return std::nullopt;
      return scheduler.rank(*t);
    };
    parallel_drain(groups.size() * n_splits + (refit_task ? 1 : 0), n_jobs, next, [&](std::size_t rank) {
      const auto [g, s] = scheduler.at(rank);
      if (s == n_splits) {  // the refit's shared part
        if (hooks == nullptr || !hooks->stop || !hooks->stop()) fit_refit_start(*refit);
        return;
      }
      // the tasks' data-sized matrices reuse each other's memory (on large data)
      const matrix_pool_scope pooled(pool_.enabled() ? &pool_ : matrix_pool_scope::current());
      const bool run_task = hooks == nullptr || hooks->run(groups[g], s);
      if (run_task) evaluate(groups[g], s, results);
      if (finish_task(s)) scheduler.split_ended();
      if (run_task && hooks != nullptr && hooks->finished) hooks->finished(groups[g], s);
    });
    pool_.clear();
    const auto naive = static_cast<long>(candidates_.size() * n_splits * n_steps);
    results.set_stage_fits(stage_fits_.load(), naive);
  }

 private:
  using last_stage = std::remove_cvref_t<decltype(chain::template stage<n_steps - 1>(std::declval<const Spec&>()))>;

  // A cached value of one split: computed by the first task that asks, read by the others while readers_left > 0.
  struct slot {
    std::mutex mutex;
    std::shared_ptr<const void> value;
    std::size_t readers_left = 0;  // guarded by the split's mutex
    std::size_t bytes = 0;
  };

  // What one split holds while its tasks run.
  struct split_state {
    std::mutex mutex;
    std::optional<fold_data> fold;              // its targets and row numbers (and its features until taken)
    std::shared_ptr<matrix> train, test;        // its own rows, gathered for the first reader, handed to the last
    bool finite = false;                        // whether those rows are all finite (found while gathering them)
    std::size_t raw_readers_left = 0;           // steps (or groups, for a bare stage) still to read its own rows
    std::size_t tasks_left = 0;
    std::map<std::string, std::shared_ptr<slot>> slots;
  };

  // The split's own rows for one reader; the last reader gets them with no other owner, so it may overwrite them.
  struct own_rows {
    std::shared_ptr<matrix> train, test;
    bool finite = false;
    bool sole_owner() const { return train.use_count() == 1 && test.use_count() == 1; }
  };

  // Marks a step's input finite on this thread while the scope lives, when it is: a previous step's checked output,
  // or the split's own rows found finite while gathered (so the first step's fit and transform need not scan them
  // again; end the scope before rows overwritten in place are checked anew).
  static known_finite_scope input_finite_scope(const split_rows* in, const own_rows& own) {
    if (in != nullptr) return finite_scope(in);
    if (own.train && own.finite) return known_finite_scope{own.train.get(), own.test.get()};
    return known_finite_scope{};
  }

  const fold_data& fold_of(std::size_t s) {
    split_state& state = *states_[s];
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.fold) state.fold = make_fold(X_, y_, splits_[s], false);
    return *state.fold;
  }

  own_rows take_rows(std::size_t s) {
    split_state& state = *states_[s];
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.train) {
      const auto to_pool = [this](matrix* m) {
        pool_.give(std::move(*m));
        delete m;
      };
      state.train = std::shared_ptr<matrix>(new matrix(), to_pool);
      state.test = std::shared_ptr<matrix>(new matrix(), to_pool);
      state.finite = gather_split_rows(X_, splits_[s], *state.train, *state.test);
    }
    own_rows out{state.train, state.test, state.finite};
    if (state.raw_readers_left > 0 && --state.raw_readers_left == 0) {
      state.train.reset();  // the last reader: the split no longer holds them
      state.test.reset();
    }
    return out;
  }

  // How many readers each cached value has: a prefix output of step I is read by each distinct step I + 1 that
  // extends it (each group, for the last step's input); the split's own rows by each distinct first step (each
  // group, for a bare stage).
  void count_readers() {
    readers_.assign(n_steps, {});
    std::vector<std::map<std::string, std::set<std::string>>> next(n_steps);
    std::set<std::string> first_steps;
    for (std::size_t g = 0; g < plan_.groups.size(); ++g) {
      const std::size_t c = plan_.groups[g].front();
      first_steps.insert(plan_.keys[c][0]);
      for (std::size_t i = 0; i + 1 < n_steps; ++i)
        next[i][plan_.keys[c][i]].insert(i + 2 < n_steps ? plan_.keys[c][i + 1] : "group " + std::to_string(g));
    }
    for (std::size_t i = 0; i < n_steps; ++i)
      for (const auto& [key, readers] : next[i]) readers_[i][key] = readers.size();
    raw_readers_ = n_steps > 1 ? first_steps.size() : plan_.groups.size();
  }

  double warm_value(std::size_t c) const {
    const auto& stage = chain::template stage<n_steps - 1>(specs_[c]);
    return param_traits<double>::from_value(mlpipe::get_param(stage, last_stage::warm_start_param)).value_or(0.0);
  }

  // Errors from a step get its name (a bare stage, which has none, already names itself by its kind).
  template <class F>
  static decltype(auto) guarded(std::string_view name, std::string_view kind, F&& f) {
    if (name.empty()) return f();
    return in_step(name, kind, std::forward<F>(f));
  }

  // Step I's output for candidate c on split s: from the split's cache when other readers share it, else computed.
  template <std::size_t I>
  std::shared_ptr<const split_rows> output(std::size_t c, std::size_t s, double& seconds) {
    const std::string& key = plan_.keys[c][I];
    const auto readers = readers_[I].find(key);
    if (readers == readers_[I].end() || readers->second <= 1) return compute<I>(c, s, seconds);
    std::shared_ptr<slot> entry;
    {
      split_state& state = *states_[s];
      std::lock_guard<std::mutex> lock(state.mutex);
      auto& found = state.slots[key];
      if (!found) {
        found = std::make_shared<slot>();
        found->readers_left = readers->second;
      }
      entry = found;
    }
    std::lock_guard<std::mutex> lock(entry->mutex);  // the first reader computes; the rest wait, then read
    if (entry->value) return std::static_pointer_cast<const split_rows>(entry->value);
    auto rows = compute<I>(c, s, seconds);
    const std::size_t bytes = bytes_of(*rows);
    if (cache_bytes_.fetch_add(bytes) + bytes <= max_cache_bytes_) {
      entry->value = rows;
      entry->bytes = bytes;
    } else {
      cache_bytes_ -= bytes;  // over the budget: each reader computes its own
    }
    return rows;
  }

  // A reader of step I's output for candidate c on split s is done with it: the last one frees it. (readers_left
  // is guarded by the split's mutex, never by the slot's, which a reader may hold while it waits for the split's.)
  template <std::size_t I>
  void release(std::size_t c, std::size_t s) {
    split_state& state = *states_[s];
    std::shared_ptr<slot> entry;
    {
      std::lock_guard<std::mutex> lock(state.mutex);
      const auto it = state.slots.find(plan_.keys[c][I]);
      if (it == state.slots.end()) return;
      if (--it->second->readers_left > 0) return;
      entry = it->second;
      state.slots.erase(it);
    }
    std::lock_guard<std::mutex> lock(entry->mutex);
    cache_bytes_ -= entry->bytes;
    entry->bytes = 0;
    entry->value.reset();
  }

  // Fits step I for candidate c on split s and transforms the split's training and test rows.
  template <std::size_t I>
  std::shared_ptr<const split_rows> compute(std::size_t c, std::size_t s, double& seconds) {
    const auto start = std::chrono::steady_clock::now();
    const fold_data& fold = fold_of(s);
    const split_targets_scope targets(fold.y_train);  // a step refitting a classifier (rfe) encodes y once
    const auto& stage = chain::template stage<I>(specs_[c]);
    using stage_type = std::remove_cvref_t<decltype(stage)>;
    auto out = std::make_shared<split_rows>(&pool_);
    own_rows own;
    std::shared_ptr<const split_rows> in;
    if constexpr (I == 0) {
      own = take_rows(s);
    } else {
      in = output<I - 1>(c, s, seconds);
    }
    const matrix& train = in ? in->train : *own.train;
    const matrix& test = in ? in->test : *own.test;
    {
      const auto checked = input_finite_scope(in.get(), own);  // ends before the output is checked below
      guarded(chain::template name<I>(), stage_type::kind, [&] {
        if constexpr (precomputing_stage<stage_type>) {
          const auto fitted = on_rows(fold.train_rows, [&] {
            const auto pre = precomputed<I>(stage, c, s, train);
            auto f = stage.fit_precomputed(*pre, train, fold.y_train);
            out->train = f.transform(train);
            return f;
          });
          out->test = on_rows(fold.test_rows, [&] { return fitted.transform(test); });
        } else if constexpr (in_place_transformer<typename stage_type::fitted> &&
                             !requires { stage.fit_transform(train, fold.y_train); }) {
          const auto fitted = on_rows(fold.train_rows, [&] { return stage.fit(train, fold.y_train); });
          if (!in && own.sole_owner()) {  // the split's own rows, read by no one else: overwrite them
            on_rows(fold.train_rows, [&] { fitted.transform_in_place(*own.train); });
            on_rows(fold.test_rows, [&] { fitted.transform_in_place(*own.test); });
            out->train = std::move(*own.train);
            out->test = std::move(*own.test);
          } else {
            out->train = on_rows(fold.train_rows, [&] { return fitted.transform(train); });
            out->test = on_rows(fold.test_rows, [&] { return fitted.transform(test); });
          }
        } else {
          auto fitted = on_rows(fold.train_rows, [&] {
            auto [f, train_out] = mlpipe::fit_transform(stage, train, fold.y_train);
            out->train = std::move(train_out);
            return std::move(f);
          });
          out->test = on_rows(fold.test_rows, [&] { return fitted.transform(test); });
        }
      });
    }  // own rows transformed in place are out->train now: they are scanned for real
    out->finite = all_finite(out->train) && all_finite(out->test);
    in.reset();
    if constexpr (I > 0) release<I - 1>(c, s);
    ++stage_fits_;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  // The part of step I's fit that depends only on its precompute_params, once per split and input (kept until the
  // split ends: scores, small beside the rows).
  template <std::size_t I, class Stage>
  auto precomputed(const Stage& stage, std::size_t c, std::size_t s, const matrix& train) {
    const std::string key = "pre|" + (I > 0 ? plan_.keys[c][I - 1] : std::string()) + "|" + precompute_values(stage);
    using value_type = std::remove_cvref_t<decltype(stage.precompute(train, y_))>;
    std::shared_ptr<slot> entry;
    {
      split_state& state = *states_[s];
      std::lock_guard<std::mutex> lock(state.mutex);
      auto& found = state.slots[key];
      if (!found) found = std::make_shared<slot>();
      entry = found;
    }
    std::lock_guard<std::mutex> lock(entry->mutex);
    if (!entry->value) entry->value = std::make_shared<const value_type>(stage.precompute(train, fold_of(s).y_train));
    return std::static_pointer_cast<const value_type>(entry->value);
  }

  // The values of a precomputing stage's precompute_params, as text.
  template <class Stage>
  static std::string precompute_values(const Stage& stage) {
    std::string values;
    for (const auto name : Stage::precompute_params) values += format_value(mlpipe::get_param(stage, name)) + ";";
    return values;
  }

  // What of the refit every candidate shares (refit_start): the leading steps whose parameters no candidate changes
  // (never the last), and whether the next step's precompute is the same for all.
  void plan_refit() {
    if constexpr (n_steps > 1) {
      if (plan_.keys.empty()) return;
      const auto shared = [&](std::size_t i) {
        return std::all_of(plan_.keys.begin(), plan_.keys.end(),
                           [&](const std::vector<std::string>& k) { return k[i] == plan_.keys.front()[i]; });
      };
      while (refit_steps_ + 1 < n_steps && shared(refit_steps_)) ++refit_steps_;
      refit_precompute_ = shares_precompute<0>();
    }
  }

  template <std::size_t I>
  bool shares_precompute() const {
    if constexpr (I < n_steps) {
      if (I != refit_steps_) return shares_precompute<I + 1>();
      using stage_type = std::remove_cvref_t<decltype(chain::template stage<I>(specs_.front()))>;
      if constexpr (precomputing_stage<stage_type>) {
        const std::string first = precompute_values(chain::template stage<I>(specs_.front()));
        return std::all_of(specs_.begin(), specs_.end(), [&](const Spec& spec) {
          return precompute_values(chain::template stage<I>(spec)) == first;
        });
      }
    }
    return false;
  }

  // Whether the refit has a shared part worth a task: something shared, and its output within the cache budget.
  bool shares_refit() const {
    return (refit_steps_ > 0 || refit_precompute_) &&
           static_cast<std::size_t>(X_.size()) * sizeof(double) <= max_cache_bytes_;
  }

  // The refit's shared part on all rows, by the same calls as pipeline::fit; after any error, nothing (the refit
  // then fits every step, and reports the error if it is met again).
  void fit_refit_start(refit_start<Spec>& start) const {
    if constexpr (n_steps > 1) {
      const auto began = std::chrono::steady_clock::now();
      try {
        fit_shared<0>(start, X_);
        start.steps = refit_steps_;
        start.seconds = seconds_since(began);
      } catch (...) {
        start = refit_start<Spec>{};
      }
    }
  }

  template <std::size_t I>
  void fit_shared(refit_start<Spec>& start, const matrix_view& X) const {
    const auto& stage = chain::template stage<I>(specs_.front());
    using stage_type = std::remove_cvref_t<decltype(stage)>;
    if constexpr (I + 1 < n_steps) {
      if (I < refit_steps_) {
        using result_step = std::tuple_element_t<I, typename Spec::fitted::steps_type>;
        auto [f, Xt] = in_step(chain::template name<I>(), stage_type::kind,
                               [&] { return mlpipe::fit_transform(stage, X, y_); });
        std::get<I>(start.fitted) = result_step{std::move(f)};
        fit_shared<I + 1>(start, Xt);
        if (I + 1 == refit_steps_) start.out = std::move(Xt);
        return;
      }
    }
    if constexpr (precomputing_stage<stage_type>) {  // here I == refit_steps_
      using value_type = std::remove_cvref_t<decltype(stage.precompute(X, y_))>;
      if (refit_precompute_) start.precomputed = std::make_shared<const value_type>(stage.precompute(X, y_));
    }
  }

  // Ends one task of split s; the split's last frees what the split holds and returns true.
  bool finish_task(std::size_t s) {
    split_state& state = *states_[s];
    std::map<std::string, std::shared_ptr<slot>> slots;
    {
      std::lock_guard<std::mutex> lock(state.mutex);
      if (--state.tasks_left > 0) return false;
      slots.swap(state.slots);
      state.fold.reset();
      state.train.reset();
      state.test.reset();
    }
    for (auto& [key, entry] : slots) {
      std::lock_guard<std::mutex> lock(entry->mutex);
      cache_bytes_ -= entry->bytes;
      entry->bytes = 0;
      entry->value.reset();
    }
    return true;
  }

  void evaluate(const std::vector<std::size_t>& group, std::size_t s, search_results& results) {
    double shared_seconds = 0.0;  // prefix work done by this task, shared out over its candidates
    std::shared_ptr<const split_rows> rows;
    own_rows own;
    try {
      if constexpr (n_steps > 1) {
        rows = output<n_steps - 2>(group.front(), s, shared_seconds);
      } else {
        own = take_rows(s);
      }
    } catch (error& e) {
      note_task(e, group.front(), s);
      throw;
    }
    const fold_data& fold = fold_of(s);
    const matrix& train = rows ? rows->train : *own.train;
    const matrix& test = rows ? rows->test : *own.test;
    const auto checked = input_finite_scope(rows.get(), own);
    const split_targets_scope targets(fold.y_train);  // classifiers encode the split's labels once
    std::optional<typename last_stage::fitted> previous;
    std::optional<warm_chain_scope> warm_chain;  // the group's fits, in ascending order, may pass solver state on
    if constexpr (warm_startable_stage<last_stage>) {
      if (warm_start_) warm_chain.emplace();
    }
    for (const std::size_t c : group) {
      try {
        const auto& stage = chain::template stage<n_steps - 1>(specs_[c]);
        const auto start = std::chrono::steady_clock::now();
        auto fitted = guarded(chain::template name<n_steps - 1>(), last_stage::kind, [&] {
          return on_rows(fold.train_rows, [&] {
            if constexpr (warm_startable_stage<last_stage>) {
              if (warm_start_ && previous) return stage.fit_warm(train, fold.y_train, *previous);
            }
            return stage.fit(train, fold.y_train);
          });
        });
        ++stage_fits_;
        const double fit_time = seconds_since(start) + shared_seconds / static_cast<double>(group.size());
        const auto scoring_start = std::chrono::steady_clock::now();
        const std::vector<double> test_scores =
            on_rows(fold.test_rows, [&] { return score_all(scorers_, fitted, test, fold.y_test); });
        const double score_time = seconds_since(scoring_start);
        std::vector<double> train_scores;
        if (train_score_)
          train_scores = on_rows(fold.train_rows, [&] { return score_all(scorers_, fitted, train, fold.y_train); });
        results.record(c, s, test_scores, train_scores, fit_time, score_time);
        previous = std::move(fitted);
      } catch (error& e) {
        note_task(e, c, s);
        throw;
      }
    }
    rows.reset();
    if constexpr (n_steps > 1) release<n_steps - 2>(group.front(), s);
  }

  void note_task(error& e, std::size_t c, std::size_t s) const {
    note_split(e, s, splits_.size(), static_cast<index>(splits_[s].train.size()));
    note_candidate(e, c, candidates_[c]);
  }

  const std::vector<Spec>& specs_;
  const std::vector<param_set>& candidates_;
  matrix_view X_;
  vector_view y_;
  const std::vector<split>& splits_;
  const std::vector<scorer>& scorers_;
  bool train_score_;
  bool warm_start_;
  std::size_t max_cache_bytes_;
  candidate_plan plan_;
  matrix_pool pool_;  // memory of rows no longer read, for later splits' (bounded by max_cache_bytes; before states_,
                      // whose rows return to it as they are destroyed)
  std::size_t refit_steps_ = 0;     // leading steps every candidate shares (refit_start)
  bool refit_precompute_ = false;  // whether the next step's precompute is shared too
  std::vector<std::map<std::string, std::size_t>> readers_;  // per step: its prefix outputs' reader counts
  std::size_t raw_readers_ = 0;
  std::vector<std::unique_ptr<split_state>> states_;
  std::atomic<std::size_t> cache_bytes_{0};
  std::atomic<long> stage_fits_{0};
};

}  // namespace mlpipe::detail
