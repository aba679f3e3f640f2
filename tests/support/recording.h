// Running `waitprof record` from the integration tests, and reading what it wrote.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace waitprof_test {

class ChildProcess;

// A wait status as a shell's $?: the exit code, or -1 for a process killed by a signal.
int exit_code(int status);

// An output directory that does not exist yet: <tmp>/<prefix><name>-<our pid>.
std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name);

// The JSON file at path; a discarded value when it is missing or malformed.
nlohmann::json read_json(const std::filesystem::path& path);

// Runs `waitprof record ARGS…` to its end (at most 120 s of output), stdout and stderr
// together: its exit code and what it printed.
std::pair<int, std::string> record_to_end(std::vector<std::string> args);

// A `waitprof record ARGS…` that runs until SIGINT: started() returns once the programs are
// attached.
class Recording {
 public:
  explicit Recording(std::vector<std::string> args);
  ~Recording();
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  bool started();
  // SIGINT, like Ctrl-C; returns the exit code and everything printed.
  std::pair<int, std::string> interrupt();
  // For a recording that ends by itself (its targets exited): the exit code and output.
  std::pair<int, std::string> wait_for_end(int timeout_ms);
  pid_t pid() const;

 private:
  std::unique_ptr<ChildProcess> process_;
};

// Runs wrk against url for `seconds` (the bench's load generator too). Without wrk: a
// failure under CI=true, else a skip.
void run_wrk(const std::string& url, int seconds, int connections);

// Builds the Go module in src_dir into `binary` with Debian's Go, its build cache under
// work_dir; a failure with go's output when the build fails. Without Go: a failure under
// CI=true, else a skip. Call under ASSERT_NO_FATAL_FAILURE, then check IsSkipped().
void build_go_program(const std::filesystem::path& src_dir,
                             const std::filesystem::path& binary,
                             const std::filesystem::path& work_dir);

}  // namespace waitprof_test
