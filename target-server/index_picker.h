// Where GET /read gets its random product index: the two variants of the story.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>
#include <vector>

#include "stats_region.h"

namespace tsrv {

enum class RngMode { kLocked, kPool };

std::string_view rng_mode_name(RngMode mode);

// --rng locked: one process-wide generator behind one std::mutex, like gofakeit's
// lockedSource around math/rand. Every request takes the lock.
class LockedRng {
 public:
  void init(uint64_t seed, unsigned draws_per_pick);
  // Lock wait is timed only when try_lock fails, so the uncontended path pays nothing
  // beyond the lock itself and the counters stay exact ground truth for the profiler.
  size_t next_index(size_t bound, ThreadCounters& counters);

 private:
  std::mutex mutex_;  // first member: the futex address is the object's address
  std::mt19937_64 engine_;
  unsigned draws_per_pick_ = 1;
};

// --rng pool: the story's fix. 1M indices drawn at startup, walked with an atomic cursor.
class IndexPool {
 public:
  void init(uint64_t seed, size_t bound, size_t count = size_t{1} << 20);
  size_t next_index() {
    return indices_[cursor_.fetch_add(1, std::memory_order_relaxed) & (indices_.size() - 1)];
  }

 private:
  std::vector<uint32_t> indices_;
  std::atomic<uint64_t> cursor_{0};
};

// Process-wide, like the global in the story: waitprof names the contended futex from the
// ELF symbol table, so the mutex must live in a named object, not on the heap.
extern LockedRng g_product_rng;
extern IndexPool g_product_index_pool;

// Reduces a 64-bit draw to [0, bound) with a multiply-shift, identical on every compiler
// (std::uniform_int_distribution is not).
inline size_t reduce_to_bound(uint64_t draw, size_t bound) {
  return static_cast<size_t>((static_cast<unsigned __int128>(draw) * bound) >> 64);
}

}  // namespace tsrv
