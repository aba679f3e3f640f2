#include "support/schedstat.h"

#include <chrono>
#include <ctime>
#include <unistd.h>
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

uint64_t steal_ns() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) return 0;
  return steal * (1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

OnCpuSampler::OnCpuSampler(pid_t pid, std::vector<pid_t> tids)
    : pid_(pid), tids_(std::move(tids)) {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Sample s{monotonic_ns(), {}};
      for (pid_t tid : tids_) s.stats.push_back(read_schedstat(pid_, tid).value_or(Schedstat{}));
      // The instant of a sample: halfway through reading it.
      s.t_ns = (s.t_ns + monotonic_ns()) / 2;
      samples_.push_back(std::move(s));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
}

OnCpuSampler::~OnCpuSampler() { stop(); }

void OnCpuSampler::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::optional<double> OnCpuSampler::on_cpu_at(size_t i, uint64_t t_ns) const {
  return at(i, t_ns, &Schedstat::on_cpu_ns);
}

std::optional<double> OnCpuSampler::runqueue_at(size_t i, uint64_t t_ns) const {
  return at(i, t_ns, &Schedstat::runqueue_ns);
}

std::optional<double> OnCpuSampler::at(size_t i, uint64_t t_ns, uint64_t Schedstat::*field) const {
  for (size_t k = 1; k < samples_.size(); ++k) {
    const Sample& a = samples_[k - 1];
    const Sample& b = samples_[k];
    if (a.t_ns <= t_ns && t_ns <= b.t_ns) {
      const double f = b.t_ns == a.t_ns ? 0 : static_cast<double>(t_ns - a.t_ns) /
                                                  static_cast<double>(b.t_ns - a.t_ns);
      const auto va = static_cast<double>(a.stats[i].*field);
      const auto vb = static_cast<double>(b.stats[i].*field);
      return va + f * (vb - va);
    }
  }
  return std::nullopt;
}

}  // namespace waitprof_test
