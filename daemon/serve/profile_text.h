// The text forms Go's /debug/pprof prints with debug=1 and debug=2, written from a pprof
// profile: the legacy contention format of block and mutex, and the goroutine profile's
// grouped stacks (debug=1) and one stack per goroutine — here per thread (debug=2).
#pragma once

#include <string>

#include "profile.pb.h"
#include "serve/live_recording.h"

namespace waitprof {

// "--- contention:\ncycles/second=1000000000\n<delay> <count> @ <pcs>\n#\t<pc>\t<func>\t<file>:<line>"
// per sample; cycles are nanoseconds (cycles/second=1e9), so the figures read as the delay.
std::string contention_text(const perftools::profiles::Profile& profile);

// debug=1: "goroutine profile: total N" and each distinct stack with its thread count and
// labels; debug=2: every thread, "goroutine TID [syscall, wait, how long, pid P PROCESS,
// thread NAME]:" and its frames, the running threads last.
std::string goroutine_text(const ThreadSnapshot& snapshot, int debug);

}  // namespace waitprof
