// The kernel's own per-thread accounting, the ground truth the profiles are checked against.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace waitprof_test {

struct Schedstat {
  uint64_t on_cpu_ns = 0;    // time spent running
  uint64_t runqueue_ns = 0;  // time spent runnable, waiting for a CPU
  uint64_t timeslices = 0;
};

// /proc/PID/task/TID/schedstat; nullopt when the thread is gone.
std::optional<Schedstat> read_schedstat(pid_t pid, pid_t tid);

uint64_t monotonic_ns();

}  // namespace waitprof_test
