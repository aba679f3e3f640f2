// The kernel's own per-thread accounting, the ground truth the profiles are checked against.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

namespace waitprof_test {

struct Schedstat {
  uint64_t on_cpu_ns = 0;    // time spent running
  uint64_t runqueue_ns = 0;  // time spent runnable, waiting for a CPU
  uint64_t timeslices = 0;
};

// /proc/PID/task/TID/schedstat; nullopt when the thread is gone.
std::optional<Schedstat> read_schedstat(pid_t pid, pid_t tid);

uint64_t monotonic_ns();

// Time the hypervisor ran something else on this machine's vCPUs, all CPUs together
// (/proc/stat "steal"). With paravirt steal accounting the kernel leaves it out of a thread's
// on-CPU time although the thread stayed current, so "wall − on-CPU" overstates off-CPU time
// by up to this much; no sched_switch happens for it.
uint64_t steal_ns();

// Samples the on-CPU time of some threads every 2 ms from a thread of its own, so a test can
// ask for it at any instant in between, e.g. exactly at a recording's start and stop, whatever
// the load does to when the test itself gets to run.
class OnCpuSampler {
 public:
  OnCpuSampler(pid_t pid, std::vector<pid_t> tids);
  ~OnCpuSampler();
  void stop();
  // On-CPU ns of tids[i] at `t_ns` (CLOCK_MONOTONIC), interpolated between the two samples
  // around it; nullopt when t_ns lies outside the sampled span.
  std::optional<double> on_cpu_at(size_t i, uint64_t t_ns) const;
  // The same for the time tids[i] spent runnable, waiting for a CPU (schedstat's run_delay).
  std::optional<double> runqueue_at(size_t i, uint64_t t_ns) const;

 private:
  struct Sample {
    uint64_t t_ns;
    std::vector<Schedstat> stats;
  };
  std::optional<double> at(size_t i, uint64_t t_ns, uint64_t Schedstat::*field) const;
  pid_t pid_;
  std::vector<pid_t> tids_;
  std::vector<Sample> samples_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace waitprof_test
