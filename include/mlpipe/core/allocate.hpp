#pragma once

#include <algorithm>    // std::min_element, std::max
#include <cstddef>
#include <cstdint>      // std::uintptr_t, SIZE_MAX
#include <mutex>
#include <new>          // std::bad_alloc
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/reuse.hpp"  // scoped_current
#include "mlpipe/core/types.hpp"

#if defined(__linux__)
#include <sys/mman.h>   // madvise
#endif

namespace mlpipe::detail {

// The size of a transparent huge page on x86-64 and most Linux targets.
inline constexpr std::size_t huge_page_bytes = std::size_t{1} << 21;

// Asks the kernel for transparent huge pages under a large matrix, as numpy does for its large arrays: filling a
// fresh 100 MB matrix otherwise costs some 25,000 page faults. Only a hint: where huge pages are off or
// unavailable, nothing changes.
inline void advise_huge_pages([[maybe_unused]] const matrix& m) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge_page = huge_page_bytes;
  const auto bytes = static_cast<std::uintptr_t>(m.size()) * sizeof(double);
  if (bytes >= 2 * huge_page) {
    const auto begin = reinterpret_cast<std::uintptr_t>(m.data());
    const std::uintptr_t first = (begin + huge_page - 1) & ~(huge_page - 1);
    const std::uintptr_t last = (begin + bytes) & ~(huge_page - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
#endif
}

// Gives m the shape rows x cols, keeping its memory where it can: a change of size goes through realloc, which
// keeps the pages already there (glibc moves a large block's pages instead of copying them). The values are
// unspecified afterwards.
inline void reshape_storage(matrix& m, index rows, index cols) {
  if (m.size() != rows * cols) {
    m.resize(1, m.size());                 // the same size: only the shape changes
    m.conservativeResize(1, rows * cols);  // one row keeps its layout, so Eigen reallocates in place
    advise_huge_pages(m);
  }
  m.resize(rows, cols);
}

// huge_page_matrix(rows, cols) -- new memory for a large matrix a search keeps in its pool, on transparent huge pages
// from its first byte (values unspecified). Filled page by page, a fresh matrix costs a fault per 4 KB wherever huge
// pages do not reach: the part that shares a 2 MB page with its neighbours at each end, and the first page, which
// malloc's header has already touched. At about 12 microseconds a fault on a virtual machine, that was the 200,000-row
// search's system time (5,500 faults a search; 480 with this). So the block asks malloc for a whole number of huge
// pages less one small page, at least 34 MB: malloc maps a block that large on its own whatever its threshold (at
// most 32 MB), and recent Linux kernels start a mapping of whole huge pages on a huge-page boundary. The pages it needs
// are then faulted in at once as huge pages (the first collapsed into one), and realloc gives the rest back (it
// shrinks a mapped block in place). Where the mapping does not start on a boundary (an older kernel, another
// malloc), the matrix is as a plain one with advise_huge_pages. Below 1 MB, a plain one.
inline matrix huge_page_matrix(index rows, index cols) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t huge_page = huge_page_bytes;
  constexpr std::size_t small_page = 4096;
#if defined(MADV_COLLAPSE)
  constexpr int collapse = MADV_COLLAPSE;
#else
  constexpr int collapse = 25;  // Linux 6.1's MADV_COLLAPSE; an older kernel refuses it and nothing changes
#endif
  const auto bytes = static_cast<std::size_t>(rows * cols) * sizeof(double);
  if (bytes < (std::size_t{1} << 20)) return matrix(rows, cols);
  const std::size_t pages = (bytes + small_page + huge_page - 1) / huge_page;  // room for malloc's header
  const std::size_t asked = std::max<std::size_t>(pages, 17) * huge_page - small_page;
  matrix out;
  try {
    out.resize(1, static_cast<index>(asked / sizeof(double)));
  } catch (const std::bad_alloc&) {  // address space or commit charge short of the padding: a plain matrix
    return matrix(rows, cols);
  }
  const auto begin = reinterpret_cast<std::uintptr_t>(out.data());
  const std::uintptr_t mapping = begin & ~std::uintptr_t{small_page - 1};
  if (mapping % huge_page == 0) {
    madvise(reinterpret_cast<void*>(mapping), pages * huge_page, MADV_HUGEPAGE);
    madvise(reinterpret_cast<void*>(mapping), huge_page, collapse);
    double* data = out.data();
    for (std::size_t page = 1; page < pages; ++page) data[(page * huge_page - (begin - mapping)) / sizeof(double)] = 0;
  }
  reshape_storage(out, rows, cols);  // realloc shrinks it in place, keeping the pages faulted in
  return out;
#else
  return matrix(rows, cols);
#endif
}

// When a search pools its matrices (see matrix_pool): on data of min_data_bytes or more, the matrices of
// min_matrix_bytes or more. malloc keeps freed blocks of up to 32 MB (glibc's largest mmap threshold) and hands them
// out again, so smaller data needs no pool; and a pool on small data would get in malloc's way (kept from freeing
// large blocks, it would not raise its threshold, and the blocks the pool does not take would then come fresh from
// the kernel every time). Variables, so that tests can pool small data.
struct matrix_pool_limits {
  std::size_t min_data_bytes = std::size_t{32} << 20;
  std::size_t min_matrix_bytes = std::size_t{1} << 20;
};

inline matrix_pool_limits& pool_limits() {
  static matrix_pool_limits limits;
  return limits;
}

// matrix_pool -- large matrices a search is done with, kept to be filled again. A search allocates the same
// data-sized matrices on every split (the split's rows, each step's outputs); once past malloc's 32 MB each is fresh
// memory from the kernel, which zeroes every page before the search fills it (at 200,000 rows, the pool saves a
// tenth of the search's time). A pool keeps at most max_bytes, and matrices of pool_limits().min_matrix_bytes or
// more. Thread-safe.
class matrix_pool {
 public:
  // The capacity of a search's pool: the data's size beyond its cache budget (a split's rows and every step's
  // outputs, as they are freed), or nothing (no pool) below pool_limits().min_data_bytes.
  static std::size_t capacity_for(std::size_t data_bytes, std::size_t cache_bytes) {
    if (data_bytes < pool_limits().min_data_bytes) return 0;
    return cache_bytes > SIZE_MAX - data_bytes ? SIZE_MAX : data_bytes + cache_bytes;
  }

  explicit matrix_pool(std::size_t max_bytes)
      : max_bytes_(max_bytes), min_bytes_(std::max<std::size_t>(pool_limits().min_matrix_bytes, 1)) {}
  matrix_pool(const matrix_pool&) = delete;
  matrix_pool& operator=(const matrix_pool&) = delete;

  // A rows x cols matrix with unspecified values: the smallest kept matrix that holds it with at most an eighth to
  // spare (splits differ by a row or two; a much larger one is left for the request it fits), reshaped; else new, on
  // huge pages (huge_page_matrix).
  matrix take(index rows, index cols) {
    const auto needed = static_cast<std::size_t>(rows * cols);
    matrix out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::size_t best = kept_.size();
      for (std::size_t i = 0; i < kept_.size(); ++i) {
        const auto size = static_cast<std::size_t>(kept_[i].size());
        if (size < needed || size > needed + needed / 8) continue;
        if (best == kept_.size() || kept_[i].size() < kept_[best].size()) best = i;
      }
      if (best < kept_.size()) {
        out = std::move(kept_[best]);
        kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(best));
        bytes_ -= bytes_of(out);
      }
    }
    if (out.size() == 0) {
      out = huge_page_matrix(rows, cols);
    } else {
      reshape_storage(out, rows, cols);
    }
    return out;
  }

  // Keeps m's memory for a later take when it is large; to stay within max_bytes it frees smaller kept matrices
  // first (a larger one saves more), else m itself.
  void give(matrix&& m) {
    const std::size_t bytes = bytes_of(m);
    if (bytes < min_bytes_ || bytes > max_bytes_) return;
    std::vector<matrix> evicted;  // freed after the lock is released
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t room = max_bytes_ - bytes_;
    for (const matrix& k : kept_)
      if (bytes_of(k) < bytes) room += bytes_of(k);
    if (room < bytes) return;
    while (bytes_ + bytes > max_bytes_) {
      const auto smallest = std::min_element(kept_.begin(), kept_.end(),
                                             [](const matrix& a, const matrix& b) { return a.size() < b.size(); });
      bytes_ -= bytes_of(*smallest);
      evicted.push_back(std::move(*smallest));
      kept_.erase(smallest);
    }
    bytes_ += bytes;
    kept_.push_back(std::move(m));
  }

  // Whether the pool keeps anything at all.
  bool enabled() const { return max_bytes_ > 0; }

  // The smallest matrix it keeps, in bytes (smaller ones are left to malloc).
  std::size_t min_bytes() const { return min_bytes_; }

  // Frees every kept matrix.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    kept_.clear();
    bytes_ = 0;
  }

  // The bytes kept now.
  std::size_t kept_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
  }

 private:
  static std::size_t bytes_of(const matrix& m) { return static_cast<std::size_t>(m.size()) * sizeof(double); }

  mutable std::mutex mutex_;
  std::vector<matrix> kept_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  std::size_t min_bytes_;
};

// matrix_pool_scope -- while it lives, new_matrix on this thread takes large matrices from the given pool. Scopes
// nest (an inner search's pool, then the outer one's again).
class matrix_pool_scope : public scoped_current<matrix_pool_scope> {
 public:
  explicit matrix_pool_scope(matrix_pool* pool) : pool_(pool) {}

  // The pool of the innermost scope on this thread, or nullptr.
  static matrix_pool* current() {
    const matrix_pool_scope* scope = scoped_current::current();
    return scope != nullptr ? scope->pool_ : nullptr;
  }

 private:
  matrix_pool* pool_;
};

// new_matrix(rows, cols) -- an uninitialized matrix for data-sized results (a split's rows, a transform's output):
// from this thread's matrix pool when a search has one in scope, else new, on transparent huge pages when large.
inline matrix new_matrix(index rows, index cols) {
  matrix_pool* pool = matrix_pool_scope::current();
  if (pool != nullptr && static_cast<std::size_t>(rows * cols) * sizeof(double) >= pool->min_bytes())
    return pool->take(rows, cols);
  matrix out(rows, cols);
  advise_huge_pages(out);
  return out;
}

// recycle_matrix(m) -- hands a matrix from new_matrix back to this thread's matrix pool, if a search has one in
// scope (else m is freed as usual).
inline void recycle_matrix(matrix&& m) {
  if (matrix_pool* pool = matrix_pool_scope::current()) pool->give(std::move(m));
}

}  // namespace mlpipe::detail
