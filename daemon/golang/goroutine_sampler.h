// Samples the goroutines of Go target processes at a fixed rate, from a thread of its own:
// each goroutine found waiting for a reason Go's block profile counts (channels, select,
// semaphores — sync.Mutex, RWMutex, WaitGroup —, sync.Cond) accrues the time since the
// previous reading, as the cpu profile charges a sample its period, and its wait is charged
// under its stack at the park once a reading finds it over, as Go charges a wait when it
// ends. This is Go's block profile without a probe on the park path: gopark runs on every
// request's waits, and a uprobe there would trap hundreds of thousands of times a second.
//
// Totals are cumulative since the attach, so `serve` can difference two of them.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace waitprof {

struct GoRuntimeLayout;
class GoroutineReader;

// Waiting goroutines of one process with the same reason, object and stack, summed.
struct GoroutineWaitTotal {
  pid_t tgid = 0;
  std::string reason;           // Go's name: "semacquire", "chan receive", "sync.Cond.Wait", …
  uint64_t object = 0;          // a semacquire's semaphore address (&sync.Mutex.sema); 0 otherwise
  std::vector<uint64_t> stack;  // leaf first
  uint32_t stack_end = 0;       // enum waitprof_stack_end
  uint64_t waits = 0;  // distinct waits seen (a wait shorter than the period is mostly missed)
  uint64_t ns = 0;     // sampled waiting time
};

// The time a semaphore had at least one goroutine asleep on it, sampled.
struct SemaphoreQueueTotal {
  pid_t tgid = 0;
  uint64_t sema = 0;
  uint64_t ns = 0;
};

struct GoroutineSamplerStats {
  uint64_t readings = 0;         // process readings done
  uint64_t failed_readings = 0;  // a process that could not be read (it exited meanwhile)
  uint64_t seen = 0;             // waiting goroutines seen, summed over readings
  uint64_t moved = 0;            // goroutines that changed while read, stack unsure: not charged
  uint64_t moved_kept = 0;       // that changed while read, stack whole: charged
  uint64_t max_goroutines = 0;   // most live goroutines seen in one process
  double reading_seconds = 0;    // spent reading, on the sampler's thread
  std::map<pid_t, std::string> unsampled;  // Go processes that cannot be read, and why
  // Why the sampler's thread could not take a real-time priority ("": it has one): readings
  // then run late under load, and undercount the waits.
  std::string realtime_error;
  // Waits in progress now: in no profile until they end, as in Go's.
  uint64_t open_waits = 0;
  uint64_t open_wait_ns = 0;
};

class GoroutineSampler {
 public:
  // Block-profile wait reasons, by Go's names (runtime/runtime2.go, Go 1.19 to 1.25).
  static bool counts_as_blocking(const std::string& reason);

  explicit GoroutineSampler(int frequency_hz);
  ~GoroutineSampler();
  GoroutineSampler(const GoroutineSampler&) = delete;
  GoroutineSampler& operator=(const GoroutineSampler&) = delete;

  // A Go process to sample from now on; its runtime's layout is read on the sampler's thread
  // (DWARF of a large binary takes a while). untrack: it exited.
  void track(pid_t pid);
  void untrack(pid_t pid);
  // Waits until every process tracked so far is being read (or known unreadable), at most
  // `timeout_ms`: a recording that says it started has its goroutines sampled from then on.
  void wait_until_open(int timeout_ms);
  // Stops the thread; totals stay readable.
  void stop();

  std::vector<GoroutineWaitTotal> totals() const;
  std::vector<SemaphoreQueueTotal> queue_totals() const;
  GoroutineSamplerStats stats() const;
  int frequency_hz() const { return frequency_hz_; }

  using Key = std::tuple<pid_t, std::string, uint64_t, std::vector<uint64_t>, uint32_t>;

 private:
  struct Process;
  void run();
  void sample_once(uint64_t now_ns);
  std::shared_ptr<const GoRuntimeLayout> layout_for(pid_t pid, std::string& error);

  const int frequency_hz_;
  mutable std::mutex mu_;  // guards everything below but the thread
  std::condition_variable wake_;
  bool stopping_ = false;
  std::set<pid_t> pending_;  // to open on the thread
  size_t opening_ = 0;       // taken from pending_, being opened on the thread
  std::condition_variable opened_;
  std::set<pid_t> gone_;  // to close on the thread
  // The thread changes these two; stats() reads processes_ under mu_.
  std::map<pid_t, std::unique_ptr<Process>> processes_;
  // (dev, inode) of an executable → its layout: every worker of a prefork tree shares one.
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<const GoRuntimeLayout>> layouts_;
  std::map<Key, std::pair<uint64_t, uint64_t>> totals_;    // ended waits: count, ns
  std::map<std::pair<pid_t, uint64_t>, uint64_t> queues_;  // (pid, semaphore) → ns
  GoroutineSamplerStats stats_;
  std::thread thread_;
};

}  // namespace waitprof
