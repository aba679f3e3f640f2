// Reads a Go process's goroutines from outside, without stopping it: runtime.allgs, each g's
// status, wait reason and the registers its park saved, and the stack of every goroutine
// waiting for a reason asked for, walked by frame pointers (Go keeps them on amd64). All
// through process_vm_readv, a few calls per reading however many goroutines there are.
//
// The process keeps running while it is read, so a g may change under the reader: each
// waiting g is read again after its stack, and one that moved meanwhile is kept only if its
// stack copy still walks to the goroutine's first frame, or if it parked where it was seen
// parked before (same sp, pc, bp and reason), whose stack is known.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "golang/go_runtime_layout.h"
#include "util/result.h"

namespace waitprof {

struct GoroutineWait {
  uint64_t goid = 0;
  uint8_t reason = 0;  // index into GoroutineReader::wait_reasons()
  uint64_t sched_sp = 0;
  uint64_t sudog = 0;   // g.waiting: a park on a channel or semaphore queues one
  uint8_t parks = 0;    // g.trackingSeq: changes with every park (0 when the runtime has none)
  uint64_t object = 0;  // its elem: the semaphore's address for a semacquire
  std::vector<uint64_t> stack;  // leaf first: the pc the park saved, then return addresses
  uint32_t stack_end = 0;       // enum waitprof_stack_end
};

class GoroutineReader {
 public:
  static Result<std::unique_ptr<GoroutineReader>> open(
      pid_t pid, std::shared_ptr<const GoRuntimeLayout> layout);

  pid_t pid() const { return pid_; }
  // Go's names of its wait reasons ("chan receive", "semacquire", "sync.Cond.Wait", …), by
  // index: runtime.waitReasonStrings, read from the process (their numbers differ between
  // Go versions).
  const std::vector<std::string>& wait_reasons() const { return reasons_; }

  struct Reading {
    std::vector<GoroutineWait> waits;
    size_t goroutines = 0;  // live (not dead) goroutines
    size_t moved = 0;       // waiting goroutines that changed while read, stack unsure: dropped
    size_t moved_kept = 0;  // that changed while read, stack whole: kept
  };
  // The goroutines now waiting for a reason whose index is set in `wanted`.
  Result<Reading> read(const std::vector<bool>& wanted) const;

 private:
  // Every goroutine asleep on a semaphore now, by g address → the semaphore's address, from
  // the treaps of runtime.semtable; empty where the layout has none.
  std::unordered_map<uint64_t, uint64_t> semaphore_sleepers() const;

  GoroutineReader(pid_t pid, std::shared_ptr<const GoRuntimeLayout> layout, uint64_t bias);
  Status read_reasons();

  pid_t pid_;
  std::shared_ptr<const GoRuntimeLayout> layout_;
  uint64_t bias_;  // load bias: 0 for a non-PIE executable (Go's default)
  std::vector<std::string> reasons_;
  // Each live goroutine's last stack read whole, with the registers it was walked from: a
  // goroutine parked again at the same sp, pc and bp for the same reason has those frames.
  struct KnownStack {
    uint64_t sp = 0, pc = 0, bp = 0;
    uint8_t reason = 0, parks = 0;
    uint64_t sudog = 0, object = 0;
    std::vector<uint64_t> stack;
    uint32_t end = 0;
  };
  mutable std::unordered_map<uint64_t, KnownStack> known_;  // by goid; the reader's thread only
};

}  // namespace waitprof
