// A recording that stays attached (`waitprof serve`): the kernel maps keep adding up while
// requests read them. A request's window is the difference of two readings, so requests of
// any types, durations and overlaps share one set of programs and maps. One mutex orders
// everything that touches the session (the symbolizer and libdwfl are single-threaded).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "profile.h"
#include "record/collector.h"
#include "record/record_options.h"
#include "serve/pprof_request.h"
#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

class RecordingSession;

// The maps as read at one moment.
struct Reading {
  uint64_t monotonic_ns = 0;
  int64_t unix_ns = 0;
  std::vector<RawSample> samples;  // cumulative since the attach; see collect_samples
  std::array<uint64_t, WAITPROF_COUNTERS> counters{};
};

// Every live target thread now (Go's goroutine profile, for threads).
struct ThreadSnapshot {
  // The blocked threads: each one's stack at its switch-out, labels pid, process, tid,
  // thread, state, syscall, wait; values: 1 thread, how long it has waited.
  perftools::profiles::Profile profile;
  struct Running {
    uint32_t tgid = 0, tid = 0;
    std::string process, thread;
  };
  // Threads on a CPU or runnable (or not seen switching out since the attach): no stack, since
  // a running thread's user stack is not read.
  std::vector<Running> running;
};

// What the daemon did, for /metrics.
struct DaemonStats {
  uint64_t readings = 0;
  double reading_seconds = 0;  // summed
  uint64_t processes_expired = 0;
  uint64_t entries_expired = 0;
  uint64_t entries_swept = 0;  // idle entries deleted (IdleEntrySweeper)
  uint64_t waits_rewalked = 0;
  size_t last_reading_samples = 0;
};

class LiveRecording {
 public:
  static Result<std::unique_ptr<LiveRecording>> start(const RecordOptions& options,
                                                      uint64_t retain_exited_ns);
  ~LiveRecording();

  // The empty reading at the attach: a request without `seconds` is measured from it.
  Reading at_start() const;
  Result<Reading> read();

  // The profile of `kind` over (from, to], with the filter's samples only.
  Result<perftools::profiles::Profile> profile(ProfileKind kind, const Reading& from,
                                               const Reading& to, const TargetFilter& filter);
  // Every live target thread now, as a goroutine profile: each blocked thread's stack at
  // its switch-out, with state, syscall and wait labels; running threads are counted in a
  // comment (a running thread's user stack is not read).
  Result<ThreadSnapshot> threads(const TargetFilter& filter);

  // The main loop's work: the process tree's news, waits to walk again, processes that
  // exited longer than --retain-exited ago forgotten. Returns the tree's event fd to poll.
  Status handle_events();
  int event_fd();

  // Prometheus text exposition of the daemon's own figures.
  std::string metrics();

  bool all_exited();
  bool records(ProfileKind kind) const { return options_.wants(kind); }
  const RecordOptions& options() const { return options_; }

 private:
  LiveRecording(const RecordOptions& options, uint64_t retain_exited_ns);
  std::vector<std::string> comments(const Reading& from, const Reading& to) const;

  RecordOptions options_;
  uint64_t retain_exited_ns_;
  std::mutex mu_;
  std::unique_ptr<RecordingSession> session_;
  DaemonStats stats_;
  uint64_t next_expiry_ns_ = 0;
  IdleEntrySweeper sweeper_;
  uint64_t next_sweep_ns_ = 0;
  std::map<ProfileKind, size_t> last_reading_by_kind_;
};

}  // namespace waitprof
