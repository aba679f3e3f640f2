// The header of a profile typed as Go's block and mutex profiles (contentions/count,
// delay/nanoseconds; waitprof's lock, block and mutex), for tests that build one by hand.
#pragma once

#include <cstdint>

#include "pprof/profile_builder.h"

namespace waitprof_test {

inline waitprof::ProfileHeader delay_profile_header(int64_t duration_nanos) {
  waitprof::ProfileHeader h;
  h.sample_types = {{"contentions", "count"}, {"delay", "nanoseconds"}};
  h.default_sample_type = "delay";
  h.period_type = {"contentions", "count"};
  h.period = 1;
  h.duration_nanos = duration_nanos;
  return h;
}

}  // namespace waitprof_test
