// Frame colors. As in flamegraph.pl, the palette says what kind of profile one looks at (warm
// for CPU, cool for waiting) and the shade within it comes from a hash of the function name,
// so a function has the same color in every flamegraph and neighbours are told apart.
#pragma once

#include <string>
#include <string_view>

#include "flamegraph/sample_index.h"
#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

enum class Palette {
  kHot,   // red, orange, yellow: on-CPU time and anything unrecognized
  kCold,  // blue to aqua: off-CPU, lock and block delay, contentions, switches
  kIo,    // greens: bytes (our send profile, Go's heap profiles)
};

// "hot", "cold" or "io".
Result<Palette> parse_palette(std::string_view name);
const char* palette_name(Palette p);

// hot for a CPU profile (a sample type or the period type is "cpu"); io when any sample type
// counts bytes; cold when the value is a wait (delay, contentions, switches, …); else hot.
Palette derive_palette(const perftools::profiles::Profile& profile, const SampleIndex& index);

// "rgb(r,g,b)" for a frame, a pure function of palette and name.
std::string frame_color(Palette palette, std::string_view name);

}  // namespace waitprof
