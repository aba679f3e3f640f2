// The waitprof binary as a user runs it: `check` passes on a capable host, and without root
// it says so in one line and exits non-zero.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "pprof/profile_builder.h"
#include "pprof/profile_writer.h"
#include "support/child_process.h"
#include "support/delay_profile.h"
#include "support/privileges.h"

namespace {

using waitprof_test::ChildProcess;

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(WaitprofCli, CheckPassesOnThisHost) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess p({WAITPROF_PATH, "check"}, /*merge_stderr=*/true);
  const std::string out = p.read_all();
  EXPECT_EQ(exit_code(p.stop(0)), 0) << out;
  EXPECT_NE(out.find("this host can record"), std::string::npos) << out;
  EXPECT_NE(out.find("proctree loaded and attached"), std::string::npos) << out;
}

TEST(WaitprofCli, WithoutRootSaysSoInOneLine) {
  REQUIRE_ROOT_OR_SKIP();  // needs root to drop to another user
  ChildProcess p({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                  WAITPROF_PATH, "check"},
                 /*merge_stderr=*/true);
  const std::string out = p.read_all();
  EXPECT_EQ(exit_code(p.stop(0)), 1) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("waitprof: error: waitprof needs root"), std::string::npos) << out;
}

TEST(WaitprofCli, NonsenseArgumentsExitNonZero) {
  ChildProcess p({WAITPROF_PATH, "check", "--no-such-flag"}, /*merge_stderr=*/true);
  const std::string out = p.read_all();
  EXPECT_NE(exit_code(p.stop(0)), 0) << out;
  ChildProcess q({WAITPROF_PATH}, /*merge_stderr=*/true);
  q.read_all();
  EXPECT_NE(exit_code(q.stop(0)), 0);
}

// A lock profile over 10 s with `delay` ns on one stack.
void write_lock_profile(const std::filesystem::path& path, int64_t delay) {
  waitprof::ProfileBuilder b(waitprof_test::delay_profile_header(10'000'000'000));
  auto m = std::make_shared<waitprof::Module>();
  m->path = "/usr/bin/server";
  m->start = 0x400000;
  m->limit = 0x500000;
  const std::vector<waitprof::Frame> stack{
      {0x401100, m, {{"next_index", "next_index", "", 0, 0}}},
      {0x401000, m, {{"main", "main", "", 0, 0}}}};
  const int64_t values[] = {1, delay};
  b.add_sample(stack, values, {});
  ASSERT_TRUE(waitprof::write_profile(std::move(b).build(), path));
}

// The per-release gate: the report on stdout, exit 3 when a profile grew past the limit, a
// one-line error for a file that is not there.
TEST(WaitprofCli, DiffGatesOnGrowth) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("waitprof-diff-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_NO_FATAL_FAILURE(write_lock_profile(dir / "base.pb.gz", 1'000'000'000));
  ASSERT_NO_FATAL_FAILURE(write_lock_profile(dir / "new.pb.gz", 1'500'000'000));
  const std::string base = (dir / "base.pb.gz").string(), next = (dir / "new.pb.gz").string();

  ChildProcess grew({WAITPROF_PATH, "diff", base, next, "--fail-above", "10"},
                    /*merge_stderr=*/true);
  const std::string out = grew.read_all();
  EXPECT_EQ(exit_code(grew.stop(0)), 3) << out;
  EXPECT_NE(out.find("delay per 60 s: 6.00 s in " + base), std::string::npos) << out;
  EXPECT_NE(out.find("(+50.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("next_index <- main"), std::string::npos) << out;
  EXPECT_NE(out.find("FAIL: the total delay grew +50.0%"), std::string::npos) << out;

  ChildProcess within({WAITPROF_PATH, "diff", base, next, "--fail-above", "60"},
                      /*merge_stderr=*/true);
  const std::string within_out = within.read_all();
  EXPECT_EQ(exit_code(within.stop(0)), 0) << within_out;

  ChildProcess missing({WAITPROF_PATH, "diff", base, (dir / "nope.pb.gz").string()},
                       /*merge_stderr=*/true);
  const std::string missing_out = missing.read_all();
  EXPECT_EQ(exit_code(missing.stop(0)), 1) << missing_out;
  EXPECT_EQ(std::count(missing_out.begin(), missing_out.end(), '\n'), 1) << missing_out;
  EXPECT_NE(missing_out.find("nope.pb.gz"), std::string::npos) << missing_out;
  std::filesystem::remove_all(dir);
}

}  // namespace
