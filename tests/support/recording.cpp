#include "support/recording.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>
#include <signal.h>

#include "support/child_process.h"
#include "support/privileges.h"

namespace waitprof_test {

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (prefix + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
}

std::pair<int, std::string> record_to_end(std::vector<std::string> args) {
  args.insert(args.begin(), {WAITPROF_PATH, "record"});
  ChildProcess p(args, /*merge_stderr=*/true);
  std::string out = p.read_all(120000);
  return {exit_code(p.stop(0, 60000)), out};
}

Recording::Recording(std::vector<std::string> args) {
  args.insert(args.begin(), {WAITPROF_PATH, "record"});
  process_ = std::make_unique<ChildProcess>(args, /*merge_stderr=*/true);
}

Recording::~Recording() = default;

bool Recording::started() { return process_->wait_for_line("Ctrl-C to stop", 30000); }

std::pair<int, std::string> Recording::interrupt() {
  kill(process_->pid(), SIGINT);
  return wait_for_end(60000);
}

std::pair<int, std::string> Recording::wait_for_end(int timeout_ms) {
  std::string out = process_->read_all(timeout_ms);
  return {exit_code(process_->stop(0, timeout_ms)), out};
}

pid_t Recording::pid() const { return process_->pid(); }

void run_wrk(const std::string& url, int seconds, int connections) {
  if (access("/usr/bin/wrk", X_OK) != 0) {
    if (running_in_ci()) FAIL() << "wrk missing: scripts/setup.sh installs it";
    GTEST_SKIP() << "wrk not installed";
  }
  ChildProcess wrk({"/usr/bin/wrk", "-t2", "-c" + std::to_string(connections),
                    "-d" + std::to_string(seconds) + "s", url});
  const std::string out = wrk.read_all((seconds + 20) * 1000);
  ASSERT_EQ(exit_code(wrk.stop(0)), 0) << out;
}

void build_go_program(const std::filesystem::path& src_dir, const std::filesystem::path& binary,
                      const std::filesystem::path& work_dir) {
  if (access("/usr/bin/go", X_OK) != 0) {
    if (running_in_ci()) FAIL() << "go missing: scripts/setup.sh installs golang-go";
    GTEST_SKIP() << "go not installed";
  }
  // Go 1.19 has no `go build -C`: build from inside the module.
  ChildProcess go({"/usr/bin/env", "GOCACHE=" + (work_dir / "gocache").string(),
                   "HOME=" + work_dir.string(), "GOFLAGS=-mod=mod", "/bin/sh", "-c",
                   "cd '" + src_dir.string() + "' && /usr/bin/go build -o '" + binary.string() +
                       "' ."},
                  /*merge_stderr=*/true);
  const std::string built = go.read_all(180000);
  ASSERT_EQ(exit_code(go.stop(0, 180000)), 0) << built;
}

}  // namespace waitprof_test
