// Loads profile.bpf.c and attaches what the requested profiles need, choosing the best attach
// point this kernel offers and remembering which one was used.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <map>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "profile.h"  // bpf/: keys and counters shared with the kernel side
#include "record/record_options.h"
#include "unwind/unwind_tables.h"
#include "util/result.h"

struct profile_bpf;
struct bpf_link;

namespace waitprof {

class ProfilePrograms {
 public:
  // What the programs share with ProcessTree's object, so both see one set of targets and
  // one tgid → unwind address space map, and how big the unwind tables must be.
  struct Shared {
    int targets_map_fd = -1;
    int unwind_pids_map_fd = -1;
    int unwind_epoch_map_fd = -1;
    UnwindCapacity unwind_capacity;
    // Runs once the programs are loaded, before they are attached: where the unwind tables
    // are written, so no event is walked without them. May run again if a fallback reloads.
    std::function<Status(const ProfilePrograms&)> before_attach;
  };
  static Result<std::unique_ptr<ProfilePrograms>> open(const RecordOptions& options,
                                                       const Shared& shared);
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
  // The unwind tables' maps, for UnwindTables::attach.
  UnwindMapFds unwind_map_fds() const;
  const UnwindCapacity& unwind_capacity() const { return unwind_capacity_; }

  // Whether this kernel took the task iterator that seeds the waits in progress at the start
  // (sleepable iterators: 5.18+); if not, seed_waits_in_progress reads /proc instead.
  bool can_seed_waits() const { return seed_iterator_; }
  // Runs it: every target thread blocked now gets a wait from start_ns, with its stack.
  // Returns how many waits it seeded.
  Result<size_t> seed_waits(uint64_t start_ns);
  // Walks again the stacks of tgid's waits still open that fell short of their thread's
  // entry, for when its tables have just changed (it exec'd, its loader mapped a library).
  // Returns how many. Nothing to do with --unwind fp.
  Result<size_t> rewalk_waits(pid_t tgid);

  // Go's mutex profile: the uprobe on sync.runtime_Semrelease in Go process pid's executable
  // (nothing when the mutex profile is not recorded). Returns false, without an error, when
  // the executable has no such function (a Go program that never contends a sync.Mutex).
  Result<bool> attach_go_releases(pid_t pid);
  void detach_go_releases(pid_t pid);
  size_t go_release_probes() const { return go_links_.size(); }

 private:
  ProfilePrograms() = default;
  Status load(const RecordOptions& options, const Shared& shared, bool send_fexit, bool btf,
              bool seed_iterator);
  Status attach(const RecordOptions& options);
  Status open_cpu_clock(int frequency_hz);
  void detach();

  profile_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::map<pid_t, bpf_link*> go_links_;  // per Go process: the uprobe's pid filter
  std::vector<int> perf_fds_;
  std::vector<std::string> attach_points_;
  int sample_period_ns_ = 0;
  int unwind_pids_fd_ = -1;
  int unwind_epoch_fd_ = -1;
  UnwindCapacity unwind_capacity_;
  bool seed_iterator_ = false;
  bool rewalk_iterator_ = false;
  bool go_releases_ = false;  // the uprobe is loaded: the mutex profile is recorded  // loaded: the task iterator is there and the walk is CFI
};

}  // namespace waitprof
