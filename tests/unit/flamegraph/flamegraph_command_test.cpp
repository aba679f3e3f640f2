// `waitprof flamegraph` end to end: through run_flamegraph, and through the real binary for
// what only the binary does (exit status, the one-line error, stdout).
#include "flamegraph/flamegraph_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "fixture_profile.h"
#include "pprof/profile_writer.h"
#include "scratch_dir.h"
#include "support/child_process.h"
#include "util/atomic_file.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using waitprof::default_output_path;
using waitprof::FlamegraphCommandOptions;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(FlamegraphCommand, DefaultOutputReplacesTheExtension) {
  EXPECT_EQ(default_output_path("out/lock.pb.gz", "svg"), "out/lock.svg");
  EXPECT_EQ(default_output_path("out/lock.pb.gz", "folded"), "out/lock.folded");
  EXPECT_EQ(default_output_path("/tmp/cpu.pb", "svg"), "/tmp/cpu.svg");
  EXPECT_EQ(default_output_path("cpu.pprof", "svg"), "cpu.svg");
  EXPECT_EQ(default_output_path("pprof.samples.cpu.001.pb.gz", "svg"), "pprof.samples.cpu.001.svg");
  EXPECT_EQ(default_output_path("profile", "folded"), "profile.folded");
}

class FlamegraphFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(waitprof::write_profile(waitprof_test::fixture_profile(), dir_ / "lock.pb.gz"));
  }
  waitprof_test::ScratchDir dir_;
};

TEST_F(FlamegraphFiles, WritesSvgAndFoldedNextToTheProfile) {
  FlamegraphCommandOptions o;
  o.profile = (dir_ / "lock.pb.gz").string();
  ASSERT_TRUE(waitprof::run_flamegraph(o));
  const std::string svg = slurp(dir_ / "lock.svg");
  EXPECT_THAT(svg, StartsWith("<?xml"));
  EXPECT_THAT(svg, HasSubstr(">lock: delay</text>"));
  EXPECT_THAT(svg, HasSubstr("  ·  lock.pb.gz</text>"));
  o.format = "folded";
  ASSERT_TRUE(waitprof::run_flamegraph(o));
  EXPECT_THAT(slurp(dir_ / "lock.folded"),
              StartsWith("main;serve;accept_loop;epoll_wait 750000000\n"));
  o.output = (dir_ / "counts.txt").string();
  o.render.sample_index = "contentions";
  ASSERT_TRUE(waitprof::run_flamegraph(o));
  EXPECT_THAT(slurp(dir_ / "counts.txt"), StartsWith("main;serve;accept_loop;epoll_wait 5\n"));
  // Nothing but the outputs: no temporary files left behind.
  EXPECT_EQ(dir_.entries(),
            (std::vector<std::string>{"counts.txt", "lock.folded", "lock.pb.gz", "lock.svg"}));
}

TEST_F(FlamegraphFiles, ErrorsSayWhatIsWrong) {
  FlamegraphCommandOptions o;
  o.profile = (dir_ / "missing.pb.gz").string();
  auto s = waitprof::run_flamegraph(o);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("missing.pb.gz"));
  EXPECT_THAT(s.error().message, HasSubstr("No such file"));

  ASSERT_TRUE(waitprof::write_file_atomically(dir_ / "notes.txt", "not a profile\n"));
  o.profile = (dir_ / "notes.txt").string();
  s = waitprof::run_flamegraph(o);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("not a pprof profile"));

  o.profile = (dir_ / "lock.pb.gz").string();
  o.render.sample_index = "bytes";
  s = waitprof::run_flamegraph(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, o.profile +
                                   ": unknown sample index \"bytes\": the profile has "
                                   "0=contentions/count, 1=delay/nanoseconds");

  o.render.sample_index = "";
  o.output = o.profile;
  s = waitprof::run_flamegraph(o);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("would overwrite the profile"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lock.svg"));
}

// The binary: exit status and message as the user sees them.
int run_cli(const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv{WAITPROF_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  waitprof_test::ChildProcess child(argv, /*merge_stderr=*/true);
  *output = child.read_all(20000);
  const int status = child.stop(0, 10000);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(FlamegraphFiles, CliFailsWithOneLineAndWritesToStdout) {
  std::string out;
  EXPECT_EQ(run_cli({"flamegraph", (dir_ / "missing.pb.gz").string()}, &out), 1);
  EXPECT_THAT(out, StartsWith("waitprof: error: "));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  EXPECT_EQ(
      run_cli({"flamegraph", "--sample-index", "nonesuch", (dir_ / "lock.pb.gz").string()}, &out),
      1);
  EXPECT_THAT(out, HasSubstr("unknown sample index \"nonesuch\""));

  EXPECT_EQ(run_cli({"flamegraph", "--format", "folded", "-o", "-", "-i", "0",
                     (dir_ / "lock.pb.gz").string()},
                    &out),
            0);
  EXPECT_EQ(out,
            "main;serve;accept_loop;epoll_wait 5\n"
            "main;serve;accept_loop;tiny_frame 1\n"
            "main;serve;handle_request;render_json 10\n"
            "main;serve;handle_request;tsrv::LockedRng::next_index();std::mutex::lock();"
            "futex_wait 30\n"
            "main;tsrv::Worker<std::map<int, int>>::run() && 2\n");

  EXPECT_EQ(run_cli({"flamegraph", (dir_ / "lock.pb.gz").string(), "--title", "T"}, &out), 0);
  EXPECT_EQ(out, "waitprof: wrote " + (dir_ / "lock.svg").string() + "\n");
  EXPECT_THAT(slurp(dir_ / "lock.svg"), HasSubstr("<title>T</title>"));
}

}  // namespace
