// The attached state of a recording, shared by `record` and `serve`: the process tree and
// its registry, the profile programs, the unwind tables and the symbolizer, set up in the
// order each needs the others, with the waits in progress at the start seeded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "golang/goroutine_sampler.h"
#include "process_tree.h"
#include "record/collector.h"
#include "record/profile_programs.h"
#include "record/record_options.h"
#include "record/target_registry.h"
#include "symbolize/symbolizer.h"
#include "unwind/unwind_tables.h"
#include "util/result.h"

namespace waitprof {

class LaunchedCommand;

class RecordingSession {
 public:
  // Attaches to options.pids (and their descendants with options.children), or to
  // `launched`, which becomes a target at its exec. Nothing is charged before this returns.
  static Result<std::unique_ptr<RecordingSession>> open(const RecordOptions& options,
                                                        const LaunchedCommand* launched);
  RecordingSession(const RecordingSession&) = delete;
  RecordingSession& operator=(const RecordingSession&) = delete;

  // Handles the process tree's news (forks, execs, exits, libraries mapped) and walks again
  // the open waits of processes whose unwind tables just changed. Returns how many it walked.
  Result<size_t> handle_events();

  // Stops charging anything: the programs and the goroutine sampler.
  void stop();

  // Everything recorded up to stop_ns (collect_samples) with the Go targets' goroutine
  // waits, sorted by sort_key, one sample per key.
  Result<std::vector<RawSample>> collect(uint64_t stop_ns, uint64_t min_block_ns) const;

  // Null when no Go process is recorded or --goroutine-frequency is 0.
  const GoroutineSampler* goroutines() const { return goroutines_.get(); }
  // Go processes whose mutex uprobe could not be attached, and why.
  const std::map<pid_t, std::string>& go_probe_errors() const { return go_probe_errors_; }
  // Go processes whose mutex uprobe was attached at some point.
  size_t go_release_probes_attached() const { return go_probes_attached_; }

  // The attach points as summary.json and the profiles' comments list them.
  std::vector<std::string> attach_points() const;

  Symbolizer& symbolizer() { return symbolizer_; }
  TargetRegistry& registry() { return registry_; }
  const TargetRegistry& registry() const { return registry_; }
  ProcessTree& tree() { return *tree_; }
  ProfilePrograms& programs() { return *programs_; }
  const ProfilePrograms& programs() const { return *programs_; }
  const UnwindTables& unwind() const { return unwind_; }

  int64_t start_unix_ns() const { return start_unix_ns_; }
  uint64_t start_ns() const { return start_ns_; }  // CLOCK_MONOTONIC
  size_t waits_seeded() const { return waits_seeded_; }
  const char* waits_seeded_by() const;

 private:
  explicit RecordingSession(const RecordOptions& options);
  Status attach(const RecordOptions& options, const LaunchedCommand* launched);
  // Starts and stops reading the Go targets (goroutines, the mutex uprobe) as they come,
  // exec and exit.
  void follow_go_processes();

  Symbolizer symbolizer_;
  UnwindTables unwind_;
  TargetRegistry registry_;
  std::unique_ptr<ProcessTree> tree_;
  ProfilePrograms::Shared shared_;
  std::unique_ptr<ProfilePrograms> programs_;
  int64_t start_unix_ns_ = 0;
  uint64_t start_ns_ = 0;
  size_t waits_seeded_ = 0;
  int goroutine_hz_ = 0;  // 0: Go targets' goroutines are not read
  std::unique_ptr<GoroutineSampler> goroutines_;  // made at the first Go target
  std::set<pid_t> go_followed_;
  std::map<pid_t, std::string> go_probe_errors_;
  size_t go_probes_attached_ = 0;
};

uint64_t monotonic_ns();
int64_t realtime_ns();

}  // namespace waitprof
