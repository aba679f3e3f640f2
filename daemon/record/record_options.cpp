#include "record/record_options.h"

#include <algorithm>

namespace waitprof {

const char* profile_name(ProfileKind kind) {
  switch (kind) {
    case ProfileKind::kCpu: return "cpu";
    case ProfileKind::kOffcpu: return "offcpu";
    case ProfileKind::kLock: return "lock";
    case ProfileKind::kBlock: return "block";
    case ProfileKind::kMutex: return "mutex";
    case ProfileKind::kSend: return "send";
  }
  return "?";
}

bool RecordOptions::wants(ProfileKind kind) const {
  return std::find(profiles.begin(), profiles.end(), kind) != profiles.end();
}

bool RecordOptions::wants_futex_waits() const {
  return wants(ProfileKind::kLock) || wants(ProfileKind::kBlock) || wants(ProfileKind::kMutex);
}

}  // namespace waitprof
