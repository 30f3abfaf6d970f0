#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <random>       // std::mt19937
#include <span>
#include <utility>      // std::swap

namespace mlpipe {

// numpy_random_state -- the random stream of numpy's legacy np.random.RandomState(seed), draw for draw, so that
// mlpipe shuffles exactly as scikit-learn does with random_state=seed (KFold, StratifiedKFold, ...).
// Seeding is MT19937's init_genrand, which is what both numpy (for an integer seed) and std::mt19937 do.
class numpy_random_state {
 public:
  // seed: numpy accepts 0 <= seed <= 2^32 - 1, which is exactly the range of std::uint32_t.
  explicit numpy_random_state(std::uint32_t seed) : engine_(seed) {}

  // The next raw 32-bit MT19937 output.
  std::uint32_t next_uint32() { return static_cast<std::uint32_t>(engine_()); }

  // Two raw outputs, the first in the high half (numpy's mt19937_next64).
  std::uint64_t next_uint64() {
    const std::uint64_t high = next_uint32();
    return high << 32 | next_uint32();
  }

  // A uniform integer in [0, max], as numpy's legacy random_interval: draws masked to the smallest all-ones mask
  // >= max and rejected while above max; 32-bit draws when max fits in 32 bits, none when max is 0.
  std::uint64_t random_interval(std::uint64_t max) {
    if (max == 0) return 0;
    std::uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    std::uint64_t value = 0;
    if (max <= 0xffffffffULL) {
      do value = next_uint32() & mask;
      while (value > max);
    } else {
      do value = next_uint64() & mask;
      while (value > max);
    }
    return value;
  }

  // A uniform double in [0, 1) with 53 random bits, as numpy's random_sample: (a >> 5, b >> 6) of two draws.
  double uniform() {
    const std::uint32_t a = next_uint32() >> 5;
    const std::uint32_t b = next_uint32() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
  }

  // Shuffles in place as numpy's legacy RandomState.shuffle of a 1-D array: for i from n-1 down to 1, swap
  // element i with element random_interval(i).
  template <class T>
  void shuffle(std::span<T> values) {
    for (std::size_t i = values.size(); i-- > 1;) {
      const auto j = static_cast<std::size_t>(random_interval(i));
      using std::swap;
      swap(values[i], values[j]);
    }
  }

 private:
  std::mt19937 engine_;
};

}  // namespace mlpipe
