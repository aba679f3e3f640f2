// Goroutine stacks trimmed to what Go's own block and mutex profiles print.
#include "golang/go_frames.h"

#include <gtest/gtest.h>

#include "golang/goroutine_sampler.h"

namespace {

using waitprof::Frame;

Frame frame(std::vector<const char*> names) {
  Frame f;
  for (const char* n : names) f.lines.push_back({n, n, "", 0, 0});
  return f;
}

std::vector<std::string> names(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back(f.lines.front().function);
  return out;
}

TEST(GoFrames, ParkFramesAndGoexitGo) {
  // A goroutine parked in sync.Mutex.Lock, as the frame-pointer walk reads it (Go 1.19).
  std::vector<Frame> frames{frame({"runtime.gopark"}),
                            frame({"runtime.goparkunlock"}),
                            frame({"runtime.semacquire1"}),
                            frame({"sync.runtime_SemacquireMutex"}),
                            frame({"sync.(*Mutex).lockSlow"}),
                            frame({"sync.(*Mutex).Lock", "math/rand.(*lockedSource).Int63"}),
                            frame({"main.read"}),
                            frame({"runtime.goexit"})};
  waitprof::trim_go_wait_frames(frames);
  EXPECT_EQ(names(frames), (std::vector<std::string>{"sync.(*Mutex).Lock", "main.read"}));
  EXPECT_EQ(frames[0].lines.size(), 2u) << "the inlined caller stays with its frame";
}

TEST(GoFrames, ChannelWaitsKeepTheirEntryPoint) {
  // Go's profiles show chanrecv1 and selectgo: only what is below them goes.
  std::vector<Frame> frames{frame({"runtime.gopark"}), frame({"runtime.chanrecv"}),
                            frame({"runtime.chanrecv1"}), frame({"main.consumer"})};
  waitprof::trim_go_wait_frames(frames);
  EXPECT_EQ(names(frames), (std::vector<std::string>{"runtime.chanrecv1", "main.consumer"}));
}

TEST(GoFrames, AnUnlockStartsAtUnlock) {
  std::vector<Frame> frames{frame({"sync.runtime_Semrelease"}),
                            frame({"sync.(*Mutex).Unlock", "math/rand.(*lockedSource).Int63"}),
                            frame({"main.read"})};
  waitprof::trim_go_wait_frames(frames);
  EXPECT_EQ(names(frames), (std::vector<std::string>{"sync.(*Mutex).Unlock", "main.read"}));
}

TEST(GoFrames, NothingButParkFramesKeepsOne) {
  std::vector<Frame> frames{frame({"runtime.gopark"}), frame({"runtime.semacquire1"})};
  waitprof::trim_go_wait_frames(frames);
  EXPECT_EQ(names(frames), (std::vector<std::string>{"runtime.semacquire1"}));
}

TEST(GoroutineSampler, TheBlockProfilesReasons) {
  using waitprof::GoroutineSampler;
  for (const char* r : {"chan receive", "chan send", "select", "semacquire", "sync.Cond.Wait",
                        "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock"}) {
    EXPECT_TRUE(GoroutineSampler::counts_as_blocking(r)) << r;
  }
  // Go's block profile has no blockevent for these.
  for (const char* r : {"chan receive (nil chan)", "select (no cases)", "IO wait", "sleep",
                        "GC sweep wait", "finalizer wait", "force gc (idle)", "preempted"}) {
    EXPECT_FALSE(GoroutineSampler::counts_as_blocking(r)) << r;
  }
}

}  // namespace
