#pragma once

// Replaces the program's global allocation functions with ones that count, per thread, how often they are called.
// Include it in exactly one source file of a program (tests/counting_new.cpp, and
// benchmarks/bench_workloads.cpp for its allocations-per-row counter). AddressSanitizer has its own allocation
// functions, which must not be replaced: under it nothing is replaced, the counter stays 0 and
// MLPIPE_COUNT_ALLOCATIONS is 0. Another source file of the same program reads the counter by defining
// MLPIPE_COUNTER_ONLY before including this header (the replacements are then not defined again).
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define MLPIPE_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLPIPE_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef MLPIPE_COUNT_ALLOCATIONS
#define MLPIPE_COUNT_ALLOCATIONS 1
#endif

namespace mlpipe::test {
// Calls of operator new (and new[]) made by this thread so far.
inline thread_local long allocations = 0;
}  // namespace mlpipe::test

#if defined(MLPIPE_COUNTER_ONLY) && defined(EIGEN_RUNTIME_NO_MALLOC)
#include <Eigen/Core>

namespace mlpipe::test {
// Allocations made by f (operator new, and Eigen's own: it asserts), run `calls` times after one warm-up call (a
// thread's first row sizes its scratch memory).
template <class F>
long allocations_per_call(F&& f, int calls = 200) {
  f();
  const long before = allocations;
  Eigen::internal::set_is_malloc_allowed(false);
  for (int i = 0; i < calls; ++i) f();
  Eigen::internal::set_is_malloc_allowed(true);
  return allocations - before;
}
}  // namespace mlpipe::test
#endif

#if MLPIPE_COUNT_ALLOCATIONS && !defined(MLPIPE_COUNTER_ONLY)
// GCC cannot see that these replacements pair malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  ++mlpipe::test::allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
