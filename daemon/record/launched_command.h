// `waitprof record -- COMMAND [ARGS…]`: the program is forked at once, so its pid can be a
// target before it runs, and held before exec until the BPF programs are attached; then it
// runs from its first instruction with every event seen. waitprof exits with its status.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace waitprof {

class LaunchedCommand {
 public:
  // Forks; the child waits until release() (or exits 127 if waitprof goes away first).
  static Result<std::unique_ptr<LaunchedCommand>> start(const std::vector<std::string>& argv);
  ~LaunchedCommand();  // a child never released is killed; one released is left to run
  LaunchedCommand(const LaunchedCommand&) = delete;
  LaunchedCommand& operator=(const LaunchedCommand&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // Lets the child exec the command.
  Status release();
  // Waits for the command to end and returns its status as a shell would: its exit code, or
  // 128 + the signal that killed it. SIGINT and SIGTERM sent to waitprof meanwhile are passed
  // on to it. The caller has SIGINT/SIGTERM blocked (record's signalfd): `signal_fd` reads them.
  int wait(int signal_fd);
  // The status if it has already ended (reaped now), else -1.
  int poll_exit();

 private:
  LaunchedCommand() = default;
  pid_t pid_ = -1;
  std::string name_;
  UniqueFd go_;  // the write end the child waits on
  bool released_ = false;
  int status_ = -1;  // once reaped
};

}  // namespace waitprof
