// What grew and what shrank between two pprof profiles of the same kind (a release's lock
// profile against the last one's): the totals, and each stack's value and share of its
// profile, stacks matched by their frames' names as flamegraphs merge them. The gate a CI job
// runs per release (`waitprof diff BASE NEW --fail-above PCT`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

struct StackChange {
  std::vector<std::string> frames;  // leaf first
  std::string line;                 // as summary.txt prints stacks: "leaf <- caller <- ..."
  double base = 0;                  // value per 60 s of recording (or as recorded: see below)
  double next = 0;
  double base_share = 0;  // of its profile's total, 0-1
  double next_share = 0;
};

struct ProfileDiff {
  std::string type;  // the sample type compared: "delay"
  std::string unit;  // "nanoseconds"
  // Both profiles say how long they recorded: values are per 60 s of recording, so a 30 s
  // and a 60 s recording compare. Otherwise values are as recorded.
  bool per_minute = false;
  double base_total = 0;
  double next_total = 0;
  // Relative change of the total, in percent; +inf when the base had none.
  double total_change_pct = 0;
  std::vector<StackChange> grown;   // largest growth first, at most `top`
  std::vector<StackChange> shrunk;  // largest shrink first, at most `top`
  // The stack whose share of its profile grew the most, in percentage points.
  double max_share_growth_points = 0;
  std::string max_share_growth_line;
};

// `sample_type`: a sample type name or index, as `waitprof flamegraph -i`; empty: the
// profile's default. Both profiles must have it, with the same unit.
Result<ProfileDiff> diff_profiles(const perftools::profiles::Profile& base,
                                  const perftools::profiles::Profile& next,
                                  std::string_view sample_type, size_t top);

// The report, in summary.txt's terms: totals (per 60 s when known) and the top movers.
std::string diff_report(const ProfileDiff& diff, const std::string& base_name,
                        const std::string& next_name);

// Why `diff` fails a gate of `pct`: the total grew by more than pct percent, or a stack's
// share by more than pct percentage points. Empty when it passes.
std::vector<std::string> gate_failures(const ProfileDiff& diff, double pct);

}  // namespace waitprof
