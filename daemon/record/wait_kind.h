// What a futex wait waits for: a lock, a condition variable, a thread's exit, a semaphore, a
// barrier, the program's own futex lock or the Go runtime parking a thread. The kernel sees
// only "futex"; the waiter's stack says which (glibc's primitives are the frames between the
// program and the futex call), so the lock profile holds locks only and the block profile
// says what every other synchronization wait was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "symbolize/frame.h"

namespace waitprof {

enum class WaitKind {
  kMutex,      // pthread_mutex_*lock (std::mutex), glibc's internal locks (malloc, stdio)
  kRwlock,     // pthread_rwlock_* (std::shared_mutex)
  kCondvar,    // pthread_cond_*wait (std::condition_variable): idle until signalled
  kJoin,       // pthread_join and friends (std::thread::join): waiting for a thread to exit
  kSemaphore,  // sem_wait and friends, std::counting_semaphore
  kBarrier,    // pthread_barrier_wait, std::barrier, std::latch
  kCustom,     // the program's own futex call (syscall(SYS_futex): InnoDB's locks, Rust's
               // std Mutex/RwLock): taken for a lock, as most such calls are
  kGoRuntime,  // the Go scheduler parking an idle OS thread (runtime.futex)
  kChannel,    // a goroutine in a channel send, receive or select
  kUnknown,    // a futex wait whose stack names none of the above (lost, or another libc wait)
};

const char* wait_kind_name(WaitKind kind);
// The kind a `wait` label names (wait_kind_name's inverse); nullopt for the offcpu label's
// other values (poll, sleep, io, runqueue, other).
std::optional<WaitKind> wait_kind_named(std::string_view name);

// Locks: the lock and mutex profiles. A wait for a lock has a holder who makes it wait.
bool is_lock(WaitKind kind);
// Everything Go's block profile counts for threads: every kind but the Go runtime's own
// thread parking, which is the scheduler being idle, not the program waiting.
bool is_synchronization(WaitKind kind);

// The kind of a futex wait from the waiter's user frames (leaf first, as symbolized) and its
// futex op (profile.h's lock key; a negative value when unknown).
WaitKind classify_futex_wait(const std::vector<Frame>& user_frames, int64_t futex_op);

// The kind of a goroutine's wait, from Go's wait reason ("semacquire", "chan receive",
// "sync.Cond.Wait", "sync.Mutex.Lock", …) and, where the reason is a bare semaphore (Go 1.19's
// sync.Mutex waits are "semacquire"), from its frames (trimmed as go_frames.h trims them):
// whose semaphore it was; the runtime's own semaphores are kGoRuntime.
WaitKind classify_goroutine_wait(const std::vector<Frame>& user_frames, std::string_view reason);

// The offcpu profile's `wait` label: a futex wait's kind, else what the state and syscall
// say ("runqueue", "io", "sleep", "poll", "other").
std::string offcpu_wait_label(const std::vector<Frame>& user_frames, uint32_t offcpu_state,
                              const std::string& syscall);

}  // namespace waitprof
