#pragma once

#include <cstdint>      // std::uintptr_t

#include "mlpipe/core/types.hpp"

#if defined(__linux__)
#include <sys/mman.h>   // madvise
#endif

namespace mlpipe::detail {

// new_matrix(rows, cols) -- an uninitialized matrix for data-sized results (a split's rows, a transform's output).
// On Linux a large one asks the kernel for transparent huge pages, as numpy does for its large arrays: filling a
// fresh 100 MB matrix otherwise costs some 25,000 page faults, a fifth of a large search's time. Only a hint: where
// huge pages are off or unavailable, nothing changes.
inline matrix new_matrix(index rows, index cols) {
  matrix out(rows, cols);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge_page = std::uintptr_t{1} << 21;
  const auto bytes = static_cast<std::uintptr_t>(out.size()) * sizeof(double);
  if (bytes >= 2 * huge_page) {
    const auto begin = reinterpret_cast<std::uintptr_t>(out.data());
    const std::uintptr_t first = (begin + huge_page - 1) & ~(huge_page - 1);
    const std::uintptr_t last = (begin + bytes) & ~(huge_page - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
#endif
  return out;
}

}  // namespace mlpipe::detail
