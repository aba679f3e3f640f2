// summary.txt: a recording told in the incident's terms — how many thread-seconds the targets
// spent blocked in how many wall seconds, where that time went (lock wait, other sleep, I/O,
// runqueue), the top stacks of every profile, bytes sent, attach points, drops and where
// stacks may be cut short. Printed at the end of `record` and written beside summary.json.
#pragma once

#include <string>
#include <vector>

#include "profile.pb.h"
#include "record/record_options.h"
#include "record/record_summary.h"

namespace waitprof {

struct WrittenProfile {
  ProfileKind kind;
  perftools::profiles::Profile profile;
  std::vector<std::string> files;  // as written, relative to the output directory
};

// Where off-CPU time went, from the offcpu profile's wait and syscall labels: futex waits by
// what they waited for (record/wait_kind.h), the rest by state and syscall.
struct BlockedBreakdown {
  int64_t total_ns = 0;
  int64_t lock_ns = 0;       // waits for locks: mutex, rwlock, the program's own futex locks
  int64_t condvar_ns = 0;    // on condition variables: idle until signalled
  int64_t join_ns = 0;       // for threads to exit
  int64_t semaphore_ns = 0;  // on semaphores and barriers
  int64_t go_runtime_ns = 0;     // the Go scheduler's idle OS threads
  int64_t other_futex_ns = 0;    // futex waits whose kind the stack did not tell
  int64_t io_ns = 0;        // uninterruptible (D state): disk, page faults, some locks
  int64_t runqueue_ns = 0;  // preempted while runnable: waiting for a CPU
  int64_t other_ns = 0;     // every other sleep (epoll_wait, nanosleep, read, …)
  // The syscalls of "other", largest first.
  std::vector<std::pair<std::string, int64_t>> other_by_syscall;
};

BlockedBreakdown blocked_breakdown(const perftools::profiles::Profile& offcpu);

// The `n` stacks with the largest value of the profile's default sample type; `share` is of
// the profile's total.
std::vector<TopStack> top_stacks(const perftools::profiles::Profile& profile, size_t n);

// A C++ function name short enough for a stack line: template arguments and parameter lists
// dropped ("tsrv::EventLoop::run", "std::mersenne_twister_engine<>::operator()").
std::string short_function_name(const std::string& name);

// A stack as summary.txt prints it: "leaf <- caller <- ...", short names, the first frames.
std::string stack_line(const std::vector<std::string>& frames);

std::string record_report(const RecordOptions& options, const RecordOutcome& outcome,
                          const std::vector<WrittenProfile>& profiles);

}  // namespace waitprof
