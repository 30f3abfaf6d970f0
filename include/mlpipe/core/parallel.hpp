#pragma once

#include <algorithm>    // std::min
#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>      // std::forward
#include <vector>

#include "mlpipe/core/error.hpp"

namespace mlpipe {

// The number of threads n_jobs asks for: n >= 1 is n; -1 is every core of the machine (as scikit-learn's n_jobs).
inline std::size_t resolve_n_jobs(int n_jobs) {
  if (n_jobs == 0 || n_jobs < -1) {
    throw invalid_parameter("n_jobs = " + std::to_string(n_jobs) +
                            " is out of range; expected n_jobs >= 1, or -1 for every core");
  }
  if (n_jobs == -1) return std::max(1u, std::thread::hardware_concurrency());
  return static_cast<std::size_t>(n_jobs);
}

// parallel_drain(n_tasks, n_jobs, next, task) -- runs task(i) for every task number i that next() hands out (a
// std::optional<std::size_t>, empty once none are left; numbers in [0, n_tasks), each once) on up to n_jobs threads
// (the caller's among them); next() is called from every thread, so it must be thread-safe. For work whose order is
// decided as threads free up. If tasks throw, a task numbered above the lowest failure so far is skipped, and the
// exception of the lowest-numbered failing task is rethrown: every lower-numbered task ran, so it is the same one
// whatever the thread count, provided one thread alone is handed the numbers in ascending order.
template <class Next, class Task>
void parallel_drain(std::size_t n_tasks, int n_jobs, Next&& next, Task&& task) {
  const std::size_t n_threads = std::min(resolve_n_jobs(n_jobs), n_tasks);
  if (n_threads <= 1) {
    while (const std::optional<std::size_t> i = next()) task(*i);
    return;
  }
  std::atomic<std::size_t> first_failure{n_tasks};  // the lowest number of a task that threw
  std::vector<std::exception_ptr> errors(n_tasks);  // slot i is written only by the thread that runs task i
  auto worker = [&] {
    while (const std::optional<std::size_t> next_task = next()) {
      const std::size_t i = *next_task;
      if (i > first_failure.load()) continue;  // a lower-numbered task already failed: skip
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
        std::size_t seen = first_failure.load();
        while (i < seen && !first_failure.compare_exchange_weak(seen, i)) {
        }
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(n_threads - 1);
  for (std::size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first_failure < n_tasks) std::rethrow_exception(errors[first_failure]);
}

// parallel_for(n_tasks, n_jobs, task) -- runs task(i) for every i in [0, n_tasks) on up to n_jobs threads (the
// caller's among them), taken in ascending order. Each task writes only its own results, so the outcome does not
// depend on n_jobs. If tasks throw, the remaining ones are skipped and the exception of the lowest-numbered failing
// task is rethrown, the same one whatever the thread count.
template <class Task>
void parallel_for(std::size_t n_tasks, int n_jobs, Task&& task) {
  std::atomic<std::size_t> counter{0};
  parallel_drain(
      n_tasks, n_jobs,
      [&]() -> std::optional<std::size_t> {
        const std::size_t i = counter++;
        if (i < n_tasks) return i;
        return std::nullopt;
      },
      std::forward<Task>(task));
}

}  // namespace mlpipe
