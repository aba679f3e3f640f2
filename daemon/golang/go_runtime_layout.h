// Where the Go runtime keeps its goroutines in one executable: the addresses of runtime.allgs
// and runtime.waitReasonStrings (ELF symbol table) and the offsets of the runtime.g and
// runtime.sudog fields the goroutine sampler reads (DWARF, which the Go linker writes unless
// built with -ldflags=-w). Offsets move between Go versions (a field added to g shifts every
// later one), so they are read from each binary rather than tabled per version.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace waitprof {

struct GoRuntimeLayout {
  // Link-time addresses (add the load bias for a PIE).
  uint64_t allgs = 0;                // []*g: {data, len, cap}
  uint64_t wait_reason_strings = 0;  // [N]string: {data, len} each
  uint64_t wait_reason_count = 0;
  // runtime.semtable: the semaphores' wait queues, a treap of sudogs per root (0: not found,
  // semaphore waits then have no address). A semacquire leaves g.waiting unset, so the
  // treaps are the only place that says which semaphore a goroutine sleeps on.
  uint64_t semtable = 0;
  // runtime.goexit: every goroutine's stack starts with a return address into it, so a walk
  // that ends there has all the goroutine's frames.
  uint64_t goexit = 0, goexit_size = 0;
  uint64_t semtable_size = 0;
  bool position_independent = false;  // ET_DYN: addresses are relative to the load bias
  uint64_t first_load_vaddr = 0;      // p_vaddr of the first PT_LOAD, page aligned

  // runtime.g
  uint64_t g_stack_hi = 0;  // stack.hi
  uint64_t g_sched_sp = 0;  // sched.sp, sched.pc, sched.bp: saved at the park (mcall)
  uint64_t g_sched_pc = 0;
  uint64_t g_sched_bp = 0;
  uint64_t g_atomicstatus = 0;  // uint32 (atomic.Uint32 from Go 1.20: same bytes)
  uint64_t g_goid = 0;          // int64, uint64 from Go 1.20
  uint64_t g_waitreason = 0;    // uint8
  uint64_t g_waiting = 0;       // *sudog: what a channel or semaphore wait is queued on
  // uint8 trackingSeq (Go 1.19 on): casgstatus counts every time the goroutine stops running,
  // so a goroutine seen parked at two readings with the same count did not wake in between.
  // 0: the runtime has none (g's first field is stack.lo, never this).
  uint64_t g_tracking_seq = 0;
  uint64_t g_size = 0;
  // runtime.sudog
  uint64_t sudog_elem = 0;  // the semaphore's address for a semacquire; the data slot for a channel
  uint64_t sudog_g = 0;
  uint64_t sudog_next = 0, sudog_prev = 0;  // a treap node's children
  uint64_t sudog_waitlink = 0;              // more waiters on the same semaphore
  // runtime.semaRoot
  uint64_t sema_root_treap = 0;
};

// The semaphore tables' roots: 251 of them from Go 1.0 to today (sema.go's semTabSize).
inline constexpr uint64_t kGoSemTabSize = 251;

// The layout of the Go executable at path ("/proc/PID/exe"). Fails with what is missing: a
// binary stripped of its symbols (-s) or DWARF (-w) cannot be sampled.
Result<GoRuntimeLayout> read_go_runtime_layout(const std::string& path);

// Go's goroutine states (runtime/runtime2.go), stable from Go 1.0 to today.
inline constexpr uint32_t kGoroutineWaiting = 4;
inline constexpr uint32_t kGoroutineDead = 6;
inline constexpr uint32_t kGoroutineScanBit = 0x1000;

}  // namespace waitprof
