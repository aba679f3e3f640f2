// A window of a live recording: what two readings of the maps differ by, and the samples a
// request's filter keeps.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "record/collector.h"
#include "serve/pprof_request.h"

namespace waitprof {

// after − before, key by key (both sorted by sort_key, one sample per key, as collect_samples
// gives them). A wait open at `before` contributes only what it waited after it; a key whose
// value did not grow is left out. Entries deleted between the two (an expired process) are
// simply absent: nothing of theirs is in the window. A key whose value fell was deleted as
// idle and began again: all of its value is in the window, as a counter reset.
std::vector<RawSample> samples_between(const std::vector<RawSample>& before,
                                       const std::vector<RawSample>& after);

// The samples `filter` keeps; process_name(tgid) names a sample's process. A mutex sample is
// kept when its holder or its waiter's process passes.
std::vector<RawSample> filter_samples(std::vector<RawSample> samples, const TargetFilter& filter,
                                      const std::function<std::string(uint32_t)>& process_name);

}  // namespace waitprof
