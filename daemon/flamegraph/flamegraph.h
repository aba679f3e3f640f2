// Flamegraphs of pprof profiles, ours and anyone's (Go's cpu/block/mutex profiles too): an
// interactive SVG, or folded stacks for other flamegraph tools. `waitprof flamegraph` is the
// command line around this; the recorder calls it after writing each profile.
#pragma once

#include <string>

#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

struct FlamegraphOptions {
  // A sample type name ("delay", "cpu", "contentions") or a 0-based index ("1"). Empty: the
  // profile's default_sample_type, else its last sample type, as `go tool pprof` does.
  std::string sample_index;
  // Empty: derived from `source` and the sample type ("lock: delay").
  std::string title;
  // "hot", "cold" or "io"; empty: from the profile (see derive_palette in palette.h).
  std::string palette;
  // The profile's file name ("out/lock.pb.gz"), shown under the title and naming the profile
  // in a derived title. May be empty.
  std::string source;
};

// Both check the profile first (check_profile), so any Profile may be passed; errors are one
// line for the user ("unknown sample index ...", "invalid profile: ...").

// Folded stacks: "root;caller;leaf value\n" per distinct stack, sorted frame by frame.
Result<std::string> render_folded(const perftools::profiles::Profile& profile,
                                  const FlamegraphOptions& options);

// A self-contained SVG document (UTF-8): hover for details, click to zoom, Ctrl-F to search.
Result<std::string> render_svg(const perftools::profiles::Profile& profile,
                               const FlamegraphOptions& options);

// "lock" for "out/lock.pb.gz", "cpu" for "cpu.pprof", "x" for "x": the file name without a
// trailing ".gz" and then one more extension.
std::string profile_stem(const std::string& path);

}  // namespace waitprof
