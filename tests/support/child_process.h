// Runs a program for a test and guarantees it is gone afterwards.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace waitprof_test {

class ChildProcess {
 public:
  // Starts argv[0] with stdout on a pipe; stderr is inherited (so failures show in the test
  // log) unless merge_stderr puts it on the same pipe.
  explicit ChildProcess(const std::vector<std::string>& argv, bool merge_stderr = false);
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until a line containing `needle` (true) or EOF/timeout (false).
  bool wait_for_line(const std::string& needle, int timeout_ms = 10000);
  // What the child wrote so far (as far as wait_for_line or read_all read).
  const std::string& output() const { return output_; }
  // Everything written until the pipe closes (or timeout_ms passes).
  std::string read_all(int timeout_ms = 20000);
  // Sends `sig` (0: none, just wait) and waits up to timeout_ms for the exit; returns the
  // wait status, or -1 on timeout.
  int stop(int sig, int timeout_ms = 10000);

 private:
  // Appends what the child wrote next; false on EOF or once deadline_ms (monotonic) passes.
  bool read_more(long deadline_ms);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
};

// The threads of `pid` by name (their comm), from /proc.
std::map<std::string, pid_t> threads_by_name(pid_t pid);

// True while `pid` exists and is not a zombie.
bool process_alive(pid_t pid);
// The parent pid from /proc/PID/stat, or -1.
pid_t parent_of(pid_t pid);

}  // namespace waitprof_test
