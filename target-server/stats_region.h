// Request and lock counters shared by every process of the server. The parent maps one
// MAP_SHARED region before forking, so /stats answered by any worker can report each worker
// and the total, and the counts of a worker that died survive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tsrv {

// One cache line per event-loop thread, written only by that thread: the hot path pays a
// plain store, never a locked instruction or a line shared with another core.
struct alignas(64) ThreadCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bytes_written{0};     // bytes the kernel accepted from write calls
  std::atomic<uint64_t> rng_acquisitions{0};  // locked mode: every lock of the RNG mutex
  std::atomic<uint64_t> rng_contended{0};     // ... of which try_lock failed
  std::atomic<uint64_t> rng_wait_ns{0};       // time in lock() after a failed try_lock

  // Single writer per counter, so load+store is exact and cheaper than fetch_add.
  static void add(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct CounterTotals {
  uint64_t requests = 0, bytes_written = 0, rng_acquisitions = 0, rng_contended = 0,
           rng_wait_ns = 0;
  void add(const ThreadCounters& t);
  void add(const CounterTotals& t);
};

class StatsRegion {
 public:
  // Maps room for `workers` processes (at least 1) of `threads` event loops each.
  static StatsRegion* create(unsigned workers, unsigned threads, std::string_view rng_mode,
                             std::string* error);

  ThreadCounters& counters(unsigned worker, unsigned thread);
  // Called in a worker when it starts, and by the parent when one has exited: its counts
  // move into the retired total and the slot starts from zero for its replacement.
  void claim_worker(unsigned worker, int pid);
  void retire_worker(unsigned worker);
  int worker_pid(unsigned worker) const;

  // {"rng":..., "workers_configured":N, "threads_per_worker":T, "uptime_ns":..,
  //  "workers_replaced":R, "total":{...}, "workers":[{"index":i,"pid":p,...}]}
  std::string to_json() const;

  // Layout of the shared mapping, defined in the .cpp.
  struct Header;
  struct WorkerSlot;

 private:
  StatsRegion() = default;
  Header* header_ = nullptr;
  WorkerSlot* slot(unsigned worker) const;
};

}  // namespace tsrv
