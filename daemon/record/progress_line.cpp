#include "record/progress_line.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "flamegraph/units.h"

namespace waitprof {

ProgressLine::ProgressLine(double duration_s)
    : enabled_(isatty(STDERR_FILENO) == 1), duration_s_(duration_s) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(double elapsed_s,
                          const std::array<uint64_t, WAITPROF_COUNTERS>& counters) {
  if (!enabled_) return;
  uint64_t drops = 0;
  for (int c = WAITPROF_DROP_STACKS_FULL; c <= WAITPROF_DROP_STACK_STORE_FAILED; ++c) {
    drops += counters[c];
  }
  auto n = [&](int c) { return with_thousands(static_cast<int64_t>(counters[c])); };
  const int elapsed = static_cast<int>(elapsed_s);
  std::string when = std::to_string(elapsed) + " s";
  if (duration_s_ > 0) {
    const int left = static_cast<int>(duration_s_ - elapsed_s + 0.999);
    when += ", " + std::to_string(left > 0 ? left : 0) + " s left";
  } else {
    when += " (Ctrl-C stops)";
  }
  // \r and erase-to-end-of-line: redraw in place however long the previous line was.
  fprintf(stderr, "\r\033[Kwaitprof: %s  switches %s  futex waits %s  sends %s  cpu samples %s  drops %s",
          when.c_str(), n(WAITPROF_SEEN_SWITCHES).c_str(), n(WAITPROF_SEEN_FUTEX_WAITS).c_str(),
          n(WAITPROF_SEEN_SENDS).c_str(), n(WAITPROF_SEEN_CPU_SAMPLES).c_str(),
          with_thousands(static_cast<int64_t>(drops)).c_str());
  fflush(stderr);
  shown_ = true;
}

void ProgressLine::clear() {
  if (!shown_) return;
  fprintf(stderr, "\r\033[K");
  fflush(stderr);
  shown_ = false;
}

}  // namespace waitprof
