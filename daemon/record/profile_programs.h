// Loads profile.bpf.c and attaches what the requested profiles need, choosing the best attach
// point this kernel offers and remembering which one was used.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "profile.h"  // bpf/: keys and counters shared with the kernel side
#include "record/record_options.h"
#include "util/result.h"

struct profile_bpf;
struct bpf_link;

namespace waitprof {

class ProfilePrograms {
 public:
  // targets_map_fd: ProcessTree's map, shared so both objects see one set of targets.
  static Result<std::unique_ptr<ProfilePrograms>> open(const RecordOptions& options,
                                                       int targets_map_fd);
  ~ProfilePrograms();
  ProfilePrograms(const ProfilePrograms&) = delete;
  ProfilePrograms& operator=(const ProfilePrograms&) = delete;

  // Stops charging anything (one store into the programs' .bss, effective at once), then
  // detaches every event source, which takes longer. The maps stay readable.
  void stop();

  // "sched_switch: tp_btf", "send: tracepoint sock:sock_send_length", …
  const std::vector<std::string>& attach_points() const { return attach_points_; }
  std::array<uint64_t, WAITPROF_COUNTERS> counters() const;
  const profile_bpf& skeleton() const { return *skel_; }
  int sample_period_ns() const { return sample_period_ns_; }
  // BPF program ids, for bpftool and bpf_stats ("offcpu" → id).
  std::vector<std::pair<std::string, uint32_t>> program_ids() const;

 private:
  ProfilePrograms() = default;
  Status load(const RecordOptions& options, int targets_map_fd, bool send_fexit, bool btf);
  Status attach(const RecordOptions& options);
  Status open_cpu_clock(int frequency_hz);
  void detach();

  profile_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::vector<int> perf_fds_;
  std::vector<std::string> attach_points_;
  int sample_period_ns_ = 0;
};

}  // namespace waitprof
