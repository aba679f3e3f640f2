// summary.json: what a recording saw, in numbers a script can check — totals per profile,
// events, drops, attach points, targets — and the warnings printed on stderr.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "profile.h"
#include "golang/goroutine_sampler.h"
#include "proctree.h"
#include "record/profile_export.h"
#include "record/record_options.h"
#include "unwind/unwind_tables.h"

namespace waitprof {

// A drop counter (enum waitprof_counter) with its name in summary.json and /metrics, and
// the warning that reports it.
struct DropName {
  int counter;
  const char* key;
  const char* text;
};
std::span<const DropName> drop_names();
// An event counter (enum waitprof_counter) with its name in summary.json and /metrics.
struct SeenName {
  int counter;
  const char* key;
};
std::span<const SeenName> seen_names();

// One stack of a profile with its value: frames leaf first, full names, and the line a
// person reads ("leaf <- caller <- …", names shortened, at most 8 frames).
struct TopStack {
  std::vector<std::string> frames;
  std::string line;
  int64_t value = 0;
  double share = 0;
};

struct RecordOutcome {
  std::string stopped_by;  // "duration", "SIGINT", "SIGTERM", "all targets exited"
  double duration_s = 0;
  int64_t start_unix_ns = 0;
  // The recording window on CLOCK_MONOTONIC, to line it up with other tools' timestamps.
  uint64_t start_monotonic_ns = 0, stop_monotonic_ns = 0;
  size_t processes_seen = 0, processes_forked = 0, processes_exited = 0;
  std::map<pid_t, std::string> go_versions;  // target processes that are Go programs
  // Their goroutines: how the sampler fared (no readings: --goroutine-frequency 0 or no
  // lock/block/mutex profile), and the mutex uprobes.
  int goroutine_hz = 0;
  GoroutineSamplerStats goroutines;
  size_t go_release_probes = 0;
  std::map<pid_t, std::string> go_probe_errors;
  std::vector<std::string> attach_points;
  int64_t sample_period_ns = 0;
  std::array<uint64_t, WAITPROF_COUNTERS> counters{};
  std::array<uint64_t, WAITPROF_PROCTREE_DROP_KINDS> proctree_drops{};
  std::map<ProfileKind, ProfileTotals> totals;
  std::map<ProfileKind, std::vector<TopStack>> top_stacks;
  std::vector<std::pair<std::string, uint32_t>> program_ids;
  size_t waits_seeded = 0;  // waits in progress at the start
  std::string waits_seeded_by;  // "task iterator" (with stacks) or "/proc" (without)
  // Open waits walked again once their process's unwind tables arrived (it had just exec'd).
  size_t waits_rewalked = 0;
  bool unwind_cfi = true;       // --unwind cfi
  UnwindStats unwind;           // tables built for the targets' modules
  // Export: from the stop until every profile and flamegraph is written.
  double export_seconds = 0;
  int64_t peak_rss_bytes = 0;  // of the whole waitprof process (getrusage)
  size_t unique_stacks = 0;    // distinct user+kernel stacks symbolized
  size_t raw_samples = 0;      // aggregated entries drained from the BPF maps
};

// Warnings a user must see: drops, possibly truncated stacks, targets that exited.
std::vector<std::string> record_warnings(const RecordOutcome& outcome);
// "thread entry", "frame-pointer chain end", … for an enum waitprof_stack_end.
const char* stack_end_name(uint32_t end);
// The share of a profile's value whose user stacks reach the thread's entry.
double entry_share(const ProfileTotals& t);
// One comment line per attach point and drop kind, for every pprof file.
std::vector<std::string> profile_comments(const RecordOutcome& outcome);
nlohmann::json summary_json(const RecordOptions& options, const RecordOutcome& outcome);

}  // namespace waitprof
