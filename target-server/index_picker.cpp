#include "index_picker.h"

#include "clock.h"

namespace tsrv {

LockedRng g_product_rng;
IndexPool g_product_index_pool;

std::string_view rng_mode_name(RngMode mode) {
  return mode == RngMode::kLocked ? "locked" : "pool";
}

void LockedRng::init(uint64_t seed, unsigned draws_per_pick) {
  engine_.seed(seed);
  draws_per_pick_ = draws_per_pick == 0 ? 1 : draws_per_pick;
}

// noinline: the profiler's lock stacks must show this frame between the handler and
// pthread_mutex_lock, as gdb would.
__attribute__((noinline)) size_t LockedRng::next_index(size_t bound, ThreadCounters& counters) {
  ThreadCounters::add(counters.rng_acquisitions, 1);
  if (!mutex_.try_lock()) {
    const uint64_t start_ns = monotonic_ns();
    mutex_.lock();
    ThreadCounters::add(counters.rng_wait_ns, monotonic_ns() - start_ns);
    ThreadCounters::add(counters.rng_contended, 1);
  }
  // A fake-data generator draws several values per value it returns (rejection sampling,
  // mixing); draws_per_pick_ sets how long the lock is held, i.e. how hot it runs.
  uint64_t draw = 0;
  for (unsigned i = 0; i < draws_per_pick_; ++i) draw ^= engine_();
  mutex_.unlock();
  return reduce_to_bound(draw, bound);
}

void IndexPool::init(uint64_t seed, size_t bound, size_t count) {
  std::mt19937_64 engine(seed);
  indices_.resize(count);  // count is a power of two: the cursor wraps with a mask
  for (auto& i : indices_) i = static_cast<uint32_t>(reduce_to_bound(engine(), bound));
  cursor_.store(0);
}

}  // namespace tsrv
