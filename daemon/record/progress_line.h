// The one status line `record` keeps current on a terminal: elapsed and remaining time,
// events seen, drops. Nothing at all when stderr is not a terminal, so logs and CI output
// stay clean.
#pragma once

#include <array>
#include <cstdint>

#include "profile.h"

namespace waitprof {

class ProgressLine {
 public:
  // duration_s 0: no planned end (until Ctrl-C or the targets exit).
  explicit ProgressLine(double duration_s);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  void update(double elapsed_s, const std::array<uint64_t, WAITPROF_COUNTERS>& counters);
  // Erases the line, so what is printed next starts on a clean one.
  void clear();

 private:
  bool enabled_ = false;
  bool shown_ = false;
  double duration_s_ = 0;
};

}  // namespace waitprof
