#include "golang/go_frames.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace waitprof {

namespace {

// What sits between a blocking sync or channel call and gopark (Go 1.19 to 1.25), and
// between an unlock and the semaphore release. Linkname'd functions carry their sync or
// internal/poll names.
constexpr std::array<std::string_view, 22> kParkFrames{
    "runtime.gopark",
    "runtime.goparkunlock",
    "runtime.semacquire1",
    "runtime.semacquire",
    "runtime.notifyListWait",
    "runtime.chanrecv",
    "runtime.chansend",
    "runtime.semrelease1",
    "sync.runtime_SemacquireMutex",
    "sync.runtime_SemacquireRWMutexR",
    "sync.runtime_SemacquireRWMutex",
    "sync.runtime_SemacquireWaitGroup",
    "sync.runtime_Semacquire",
    "sync.runtime_notifyListWait",
    "sync.runtime_Semrelease",
    "internal/poll.runtime_Semacquire",
    "internal/sync.runtime_SemacquireMutex",
    "internal/sync.runtime_Semrelease",
    "sync.(*Mutex).lockSlow",
    "sync.(*Mutex).unlockSlow",
    "internal/sync.(*Mutex).lockSlow",
    "internal/sync.(*Mutex).unlockSlow",
};

bool only(const Frame& frame, auto&& pred) {
  return !frame.lines.empty() &&
         std::all_of(frame.lines.begin(), frame.lines.end(),
                     [&](const SourceLine& line) { return pred(line.function); });
}

}  // namespace

void trim_go_wait_frames(std::vector<Frame>& frames) {
  auto park = [](const std::string& f) {
    return std::find(kParkFrames.begin(), kParkFrames.end(), f) != kParkFrames.end();
  };
  size_t lead = 0;
  while (lead + 1 < frames.size() && only(frames[lead], park)) ++lead;
  frames.erase(frames.begin(), frames.begin() + static_cast<long>(lead));
  while (frames.size() > 1 &&
         only(frames.back(), [](const std::string& f) { return f == "runtime.goexit"; })) {
    frames.pop_back();
  }
}

}  // namespace waitprof
