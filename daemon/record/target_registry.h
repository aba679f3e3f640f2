// Every process the recording has seen: its name, whether it is still alive, and (through the
// symbolizer) the mappings its stacks need — captured at first sight, so a worker that exits
// before the end still symbolizes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "proctree.h"  // bpf/: waitprof_proc_event

namespace waitprof {

class Symbolizer;
class UnwindTables;

class TargetRegistry {
 public:
  // unwind: where each process's mappings go for the BPF walk; null with --unwind fp.
  TargetRegistry(Symbolizer& symbolizer, UnwindTables* unwind)
      : symbolizer_(symbolizer), unwind_(unwind) {}

  // A process that was a target from the start (a --pid or a child alive at attach).
  void add_existing(pid_t tgid);
  // News from proctree.bpf.c: forks, execs, exits, and libraries the loader mapped.
  void on_event(const waitprof_proc_event& event);
  // At the end, for processes still alive: re-read mappings (libraries loaded since) and
  // thread names.
  void refresh_live();

  std::string process_name(pid_t tgid) const;
  // The thread's name, or the process's when the thread was never seen alive.
  std::string thread_name(pid_t tgid, pid_t tid) const;

  // Target processes that are Go programs, with the Go version that built each image (read
  // at first sight and at exec).
  const std::map<pid_t, std::string>& go_versions() const { return go_versions_; }

  size_t processes_seen() const { return processes_.size(); }
  size_t processes_exited() const { return exited_; }
  size_t processes_forked() const { return forked_; }
  bool all_exited() const { return !processes_.empty() && exited_ == processes_.size(); }
  // Processes whose mappings could not be captured at all (exited before we looked).
  const std::set<pid_t>& unsymbolizable() const { return unsymbolizable_; }
  // Processes that got unwind tables they lacked since the last call (just exec'd): their
  // waits still open may have been walked without them.
  std::vector<pid_t> take_newly_unwindable();
  // Processes that exec'd since the last call: what reads their memory must start over.
  std::vector<pid_t> take_execed() { return std::exchange(execed_, {}); }

  // For a daemon: processes that exited at or before `exited_by` (CLOCK_MONOTONIC ns) are
  // forgotten — names, Go versions, their symbolizer snapshot — and returned.
  std::vector<pid_t> expire_exited(uint64_t exited_by);
  // Processes alive now, by tgid.
  std::vector<pid_t> live_processes() const;

 private:
  struct Process {
    std::string name;
    bool alive = true;
    bool mapped = false;  // its mappings were read at least once
    uint64_t exited_ns = 0;  // CLOCK_MONOTONIC when its exit was heard of
  };
  // Snapshots tgid's mappings for the symbolizer and the unwind tables; a child gone before
  // its maps could be read inherits its parent's (parent > 0).
  void remember(pid_t tgid, pid_t parent);
  void read_thread_names(pid_t tgid);
  void read_go_version(pid_t tgid);

  Symbolizer& symbolizer_;
  UnwindTables* unwind_;
  std::map<pid_t, Process> processes_;
  std::map<std::pair<pid_t, pid_t>, std::string> thread_names_;
  std::map<pid_t, std::string> go_versions_;
  std::set<pid_t> unsymbolizable_;
  std::vector<pid_t> newly_unwindable_;
  std::vector<pid_t> execed_;
  size_t exited_ = 0;  // of processes_; expired ones no longer count
  size_t forked_ = 0;
};

}  // namespace waitprof
