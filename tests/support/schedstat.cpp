#include "support/schedstat.h"

#include <ctime>
#include <fstream>
#include <string>

namespace waitprof_test {

std::optional<Schedstat> read_schedstat(pid_t pid, pid_t tid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/schedstat");
  Schedstat s;
  if (!(f >> s.on_cpu_ns >> s.runqueue_ns >> s.timeslices)) return std::nullopt;
  return s;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace waitprof_test
