// Turns drained samples into one pprof profile per kind: symbolized stacks, Go's sample types
// and units, labels, comments naming attach points and drops.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "record/collector.h"
#include "record/record_options.h"

namespace perftools::profiles {
class Profile;
}

namespace waitprof {

class Symbolizer;
class TargetRegistry;

struct ExportContext {
  const RecordOptions& options;
  Symbolizer& symbolizer;
  const TargetRegistry& registry;
  std::vector<std::string> comments;  // attach points, drops, targets: on every profile
  int64_t sample_period_ns = 0;
  int64_t time_nanos = 0;      // wall clock at the start
  int64_t duration_nanos = 0;  // measured recording time
};

// What the summary reports per profile.
struct ProfileTotals {
  uint64_t samples = 0;  // pprof samples written
  uint64_t count = 0;    // first sample type: samples, switches, contentions, calls
  uint64_t total = 0;    // second: cpu ns, delay ns, bytes
  // Value (second type) whose leaf user frame lies in each module other than the main
  // executable: with --unwind fp, where callers may be missing when that module has no
  // frame pointers.
  std::map<std::string, uint64_t> leaf_module_total;
  // Value by why its user stack ended (enum waitprof_stack_end): with --unwind cfi, how much
  // reaches the thread's entry and what stopped the rest.
  std::map<uint32_t, uint64_t> total_by_stack_end;
  uint64_t missing_user_stack_total = 0;
  std::map<uint32_t, uint64_t> total_by_pid;
  // offcpu, lock, block, mutex: value by the `wait` label (what the waits waited for).
  std::map<std::string, uint64_t> total_by_wait;
  // Of total_by_pid: goroutine waits of Go processes (the rest: their threads').
  std::map<uint32_t, uint64_t> goroutine_total_by_pid;
  std::map<std::string, uint64_t> goroutine_total_by_wait;
};

// Builds the profile of `kind` out of `samples` (others are skipped).
perftools::profiles::Profile build_profile(ProfileKind kind, const std::vector<RawSample>& samples,
                                           const ExportContext& ctx, ProfileTotals& totals);

// "lock" label value: the global's name when the futex word is in one ("tsrv::g_product_rng",
// "thread_cache+40" for a word inside an object), else its address in hex.
std::string lock_name(Symbolizer& symbolizer, uint32_t tgid, uint64_t uaddr);

}  // namespace waitprof
