// Which of a profile's values a flamegraph shows: a Go CPU profile carries samples/count and
// cpu/nanoseconds, a block profile contentions/count and delay/nanoseconds, and so do ours.
#pragma once

#include <string>
#include <string_view>

#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

struct SampleIndex {
  int index = 0;
  std::string type;  // "delay"
  std::string unit;  // "nanoseconds"
};

// `wanted` is a sample type name ("delay") or a 0-based index ("1"). Empty picks what
// `go tool pprof` shows by default: default_sample_type when it names a sample type, else the
// last sample type. The error lists the profile's sample types.
Result<SampleIndex> select_sample_index(const perftools::profiles::Profile& profile,
                                        std::string_view wanted);

}  // namespace waitprof
