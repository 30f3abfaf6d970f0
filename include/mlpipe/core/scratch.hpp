#pragma once

#include <algorithm>    // std::max
#include <cstddef>
#include <memory>       // std::unique_ptr
#include <span>
#include <vector>

namespace mlpipe::detail {

// scratch_arena -- per-thread working memory for row-wise prediction (predict_one). Frames take spans in LIFO
// order and give them back when they end; blocks are never freed or moved, so once a thread has predicted one
// row, the same pipeline predicts every further row without touching the heap.
class scratch_arena {
 public:
  static scratch_arena& local() {
    thread_local scratch_arena arena;
    return arena;
  }

  struct position {
    std::size_t block = 0;
    std::size_t offset = 0;
  };

  position mark() const { return top_; }
  void release(position p) { top_ = p; }

  std::span<double> take(std::size_t n) {
    while (true) {
      if (top_.block == blocks_.size()) {
        const std::size_t size = std::max<std::size_t>({n, 256, blocks_.empty() ? 0 : 2 * blocks_.back().size});
        blocks_.push_back({std::make_unique<double[]>(size), size});
      }
      block& b = blocks_[top_.block];
      if (b.size - top_.offset >= n) {
        std::span<double> out(b.data.get() + top_.offset, n);
        top_.offset += n;
        return out;
      }
      ++top_.block;  // too small for this request: the next block (a later one may be reused as is)
      top_.offset = 0;
    }
  }

 private:
  struct block {
    std::unique_ptr<double[]> data;
    std::size_t size;
  };
  std::vector<block> blocks_;
  position top_;
};

// scratch_frame -- takes working memory from this thread's arena and gives it all back when it goes out of scope.
class scratch_frame {
 public:
  scratch_frame() : arena_(scratch_arena::local()), start_(arena_.mark()) {}
  ~scratch_frame() { arena_.release(start_); }
  scratch_frame(const scratch_frame&) = delete;
  scratch_frame& operator=(const scratch_frame&) = delete;

  std::span<double> take(std::size_t n) { return arena_.take(n); }

 private:
  scratch_arena& arena_;
  scratch_arena::position start_;
};

}  // namespace mlpipe::detail
