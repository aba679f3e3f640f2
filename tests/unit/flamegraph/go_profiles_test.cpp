// Go's own profiles, as runtime/pprof writes them: a CPU profile (samples/count and
// cpu/nanoseconds, no default sample type), and block and mutex profiles (contentions/count,
// delay/nanoseconds). A tiny Go program with known function names writes them at test time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "flamegraph/flamegraph.h"
#include "flamegraph/sample_index.h"
#include "pprof/profile_writer.h"
#include "scratch_dir.h"
#include "support/child_process.h"
#include "support/privileges.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kProgram = R"go(package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

var sink uint64

// CPU time of the process, not wall time: on a loaded machine a wall-clock spin gets less
// CPU than asked and the profile too few samples.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:noinline
func spin(d time.Duration) {
	x := sink
	for end := cpuTime() + d; cpuTime() < end; {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink = x
}

//go:noinline
func burnAlpha() { spin(350 * time.Millisecond) }

//go:noinline
func burnBeta() { spin(350 * time.Millisecond) }

//go:noinline
func waitOnChannel() {
	ch := make(chan int)
	go func() { time.Sleep(30 * time.Millisecond); ch <- 1 }()
	<-ch
}

//go:noinline
func holdMutex(mu *sync.Mutex) {
	mu.Lock()
	time.Sleep(2 * time.Millisecond)
	mu.Unlock()
}

func contendMutex() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				holdMutex(&mu)
			}
		}()
	}
	wg.Wait()
}

func create(dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	return f
}

func main() {
	dir, kind := os.Args[1], os.Args[2]
	switch kind {
	case "cpu":
		f := create(dir, "cpu.pprof")
		if err := pprof.StartCPUProfile(f); err != nil {
			panic(err)
		}
		burnAlpha()
		burnBeta()
		pprof.StopCPUProfile()
		f.Close()
	case "block":
		runtime.SetBlockProfileRate(1)
		waitOnChannel()
		contendMutex()
	case "mutex":
		runtime.SetMutexProfileFraction(1)
		contendMutex()
	}
	if kind != "cpu" {
		f := create(dir, kind+".pprof")
		if err := pprof.Lookup(kind).WriteTo(f, 0); err != nil {
			panic(err)
		}
		f.Close()
	}
}
)go";

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return {};
}

class GoProfiles : public ::testing::Test {
 protected:
  void SetUp() override {
    go_ = find_on_path("go");
    if (go_.empty()) {
      if (waitprof_test::running_in_ci()) FAIL() << "CI=true but `go` is not on PATH";
      GTEST_SKIP() << "`go` is not on PATH (apt install golang-go)";
    }
  }

  // Builds and runs the program, which writes KIND.pprof; returns it read back.
  perftools::profiles::Profile go_profile(const std::string& kind) {
    std::ofstream(dir_ / "main.go") << kProgram;
    // A cache kept in the build tree: the second run of the suite does not recompile.
    const std::vector<std::string> env{"/usr/bin/env",
                                       "HOME=" + (dir_ / "home").string(),
                                       "GOCACHE=" GO_CACHE_DIR,
                                       "GOPATH=" + (dir_ / "gopath").string(),
                                       "GOFLAGS=",
                                       "GOPROXY=off",
                                       "GOTOOLCHAIN=local",
                                       "GO111MODULE=off"};
    std::vector<std::string> build = env;
    build.insert(build.end(),
                 {go_, "build", "-o", (dir_ / "prog").string(), (dir_ / "main.go").string()});
    run(build);
    run({(dir_ / "prog").string(), dir_.path().string(), kind});
    auto p = waitprof::read_profile(dir_ / (kind + ".pprof"));
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : perftools::profiles::Profile{};
  }

  void run(const std::vector<std::string>& argv) {
    waitprof_test::ChildProcess child(argv, /*merge_stderr=*/true);
    const std::string out = child.read_all(90000);
    const int status = child.stop(0, 10000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << argv.back() << " failed (status " << status << "):\n"
        << out;
  }

  std::string render(const perftools::profiles::Profile& p, const std::string& index = "",
                     bool svg = false) {
    waitprof::FlamegraphOptions o;
    o.sample_index = index;
    auto r = svg ? waitprof::render_svg(p, o) : waitprof::render_folded(p, o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : "";
  }

  static int64_t folded_sum(const std::string& folded) {
    std::istringstream in(folded);
    int64_t sum = 0;
    for (std::string l; std::getline(in, l);) sum += std::stoll(l.substr(l.rfind(' ') + 1));
    return sum;
  }

  static int64_t value_sum(const perftools::profiles::Profile& p, int index) {
    int64_t sum = 0;
    for (const auto& s : p.sample()) sum += s.value(index);
    return sum;
  }

  waitprof_test::ScratchDir dir_;
  std::string go_;
};

TEST_F(GoProfiles, CpuProfileShowsCpuTimeOfTheNamedFunctions) {
  const auto p = go_profile("cpu");
  ASSERT_GT(p.sample_size(), 0);
  auto index = waitprof::select_sample_index(p, "");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->type, "cpu");
  EXPECT_EQ(index->unit, "nanoseconds");
  const std::string folded = render(p);
  // Root first: the goroutine's runtime.main calls main.main.
  EXPECT_THAT(folded, HasSubstr("runtime.main;main.main;main.burnAlpha;main.spin"));
  EXPECT_THAT(folded, HasSubstr("runtime.main;main.main;main.burnBeta;main.spin"));
  EXPECT_EQ(folded_sum(folded), value_sum(p, index->index));
  // 0.7 s of spinning, sampled at 100 Hz.
  EXPECT_GT(folded_sum(folded), 300'000'000);
  EXPECT_EQ(folded_sum(render(p, "samples")), value_sum(p, 0));
  const std::string svg = render(p, "", true);
  EXPECT_THAT(svg, HasSubstr("data-palette=\"hot\""));
  EXPECT_THAT(svg, HasSubstr("<title>main.burnAlpha\n"));
}

TEST_F(GoProfiles, BlockProfileShowsWhereGoroutinesWaited) {
  const auto p = go_profile("block");
  auto index = waitprof::select_sample_index(p, "");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->type, "delay");
  const std::string folded = render(p);
  EXPECT_THAT(folded, HasSubstr("main.waitOnChannel;runtime.chanrecv1"));
  EXPECT_THAT(folded, HasSubstr("main.holdMutex;sync.(*Mutex).Lock"));
  EXPECT_EQ(folded_sum(folded), value_sum(p, index->index));
  // The channel wait alone is 30 ms.
  EXPECT_GT(folded_sum(folded), 25'000'000);
  EXPECT_THAT(render(p, "", true), HasSubstr("data-palette=\"cold\""));
}

TEST_F(GoProfiles, MutexProfileChargesTheUnlocker) {
  const auto p = go_profile("mutex");
  auto index = waitprof::select_sample_index(p, "");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->type, "delay");
  const std::string folded = render(p);
  EXPECT_THAT(folded, HasSubstr("main.holdMutex;sync.(*Mutex).Unlock"));
  EXPECT_EQ(folded_sum(folded), value_sum(p, index->index));
  const std::string contentions = render(p, "contentions");
  EXPECT_GT(folded_sum(contentions), 0);
  EXPECT_EQ(folded_sum(contentions), value_sum(p, 0));
}

}  // namespace
