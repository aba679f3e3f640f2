#include "record/record_options.h"

#include <algorithm>

namespace waitprof {

const char* profile_name(ProfileKind kind) {
  switch (kind) {
    case ProfileKind::kCpu: return "cpu";
    case ProfileKind::kOffcpu: return "offcpu";
    case ProfileKind::kLock: return "lock";
    case ProfileKind::kSend: return "send";
  }
  return "?";
}

bool RecordOptions::wants(ProfileKind kind) const {
  return std::find(profiles.begin(), profiles.end(), kind) != profiles.end();
}

}  // namespace waitprof
