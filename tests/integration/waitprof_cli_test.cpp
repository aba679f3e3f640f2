// The waitprof binary as a user runs it: `check` passes on a capable host, and without root
// it says so in one line and exits non-zero.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>

#include "support/child_process.h"
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

}  // namespace
