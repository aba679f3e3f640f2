// Drains the profile maps after recording: stack ids become address lists, waits still open
// at the stop time are charged up to it, and the result is sorted so exports are
// deterministic.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "record/record_options.h"
#include "util/result.h"

namespace waitprof {

class ProfilePrograms;

// Samples of Go goroutines rather than threads.
enum class GoSource : uint8_t {
  kNone,
  // kLock: time goroutines were sampled waiting for go_wait_reason, charged when each wait
  // ended; count: the waits. futex_uaddr: a semacquire's semaphore.
  kWait,
  // kMutex: a contended unlock's count by its stack and semaphore (the uprobe), total 0: the
  // waiters' delay is shared out among the unlocks at export (go_mutex_samples).
  kUnlock,
  // kMutex, no stack: the time semaphore futex_uaddr had a goroutine asleep on it (Go's
  // mutex delay before Go 1.22 charges the queue's head only).
  kQueue,
};

struct RawSample {
  // kLock: a futex wait, of any kind (the lock and block profiles are both cut from these);
  // kMutex: a lock wait as its releaser woke it (tgid/tid/user_stack: the releaser's).
  // Go goroutines (`go` set, tid 0), see GoSource.
  ProfileKind kind = ProfileKind::kCpu;
  uint32_t tgid = 0;
  uint32_t tid = 0;
  std::vector<uint64_t> user_stack;    // leaf first; empty when the walk failed
  std::vector<uint64_t> kernel_stack;  // leaf first; empty unless requested
  uint32_t user_stack_end = 0;         // enum waitprof_stack_end: why the walk ended there
  bool user_stack_missing = false;     // the BPF side had no stack id (collision, failure)
  bool began_before_recording = false;  // seeded from /proc: no stack was ever seen
  bool kernel_thread = false;          // an io_uring worker of the process: no user code
  int32_t syscall = -1;                // offcpu
  uint32_t offcpu_state = 0;           // offcpu: enum waitprof_offcpu_state
  uint64_t futex_uaddr = 0;            // lock
  uint32_t futex_op = 0;               // lock; mutex: the waiter's
  std::vector<uint64_t> waiter_stack;  // mutex: the woken waiter's user stack, leaf first
  uint32_t waiter_tgid = 0;            // mutex
  GoSource go = GoSource::kNone;
  std::string go_wait_reason;          // Go's name: "semacquire", "chan receive", …
  uint64_t count = 0;  // cpu samples, offcpu switches, lock waits, send calls
  uint64_t total = 0;  // cpu: 0 (samples × period), offcpu/lock: ns, send: bytes

  // Everything but the values: a wait still open at the stop has the key its closing will
  // have, so a later reading's sample of it is the same sample grown.
  auto sort_key() const {
    return std::tie(kind, tgid, tid, user_stack, kernel_stack, user_stack_missing,
                    began_before_recording, kernel_thread, syscall, offcpu_state, futex_uaddr,
                    futex_op, waiter_stack, waiter_tgid, go, go_wait_reason);
  }
};

// Everything recorded up to stop_ns (CLOCK_MONOTONIC), waits still open charged up to it,
// sorted by sort_key with one sample per key. The programs may still be running (`waitprof
// serve` reads them live): threads that move a running sum into a map while the maps are read
// are read again, so a sum is neither lost nor counted twice.
Result<std::vector<RawSample>> collect_samples(const ProfilePrograms& programs, uint64_t stop_ns,
                                               uint64_t min_block_ns);

// Each target thread's off-CPU wait open at now_ns (kOffcpu, count 1, total: waited so far),
// from the thread slots and the waits seeded at the start: what every blocked thread is
// doing now, for `serve`'s thread snapshot.
Result<std::vector<RawSample>> open_offcpu_waits(const ProfilePrograms& programs, uint64_t now_ns);

// Deletes the profile map entries of processes that have exited (a daemon's bounded
// memory: nothing writes to them any more). Returns how many entries went.
Result<size_t> forget_processes(const ProfilePrograms& programs, const std::vector<pid_t>& tgids);

// Keeps a daemon's profile maps from filling with every key ever seen (the cpu profile's
// user x kernel stacks keep finding new pairs for hours): each call deletes the entries whose
// value has not changed since the previous call, except those a live thread's slot still
// adds to (its running sums, open waits, pending release), and counts them.
class IdleEntrySweeper {
 public:
  Result<size_t> sweep(const ProfilePrograms& programs);

 private:
  std::unordered_map<std::string, std::string> last_;  // map name + key bytes → value bytes
};

}  // namespace waitprof
