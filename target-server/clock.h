#pragma once

#include <time.h>

#include <cstdint>

namespace tsrv {

// CLOCK_MONOTONIC is what the kernel's sched_clock-based accounting is compared against;
// vDSO makes it a ~20 ns call with no syscall.
inline uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace tsrv
