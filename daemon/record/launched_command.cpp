#include "record/launched_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace waitprof {

namespace {

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

Result<std::unique_ptr<LaunchedCommand>> LaunchedCommand::start(
    const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"no command to run after --"};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno_error("creating a pipe for the command");
  UniqueFd read_end(fds[0]);
  std::unique_ptr<LaunchedCommand> cmd(new LaunchedCommand());
  cmd->go_.reset(fds[1]);
  cmd->name_ = argv[0];
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return errno_error("forking to run " + argv[0]);
  if (pid == 0) {
    // The child: only async-signal-safe calls from here to exec. Without our copy of the
    // write end, the read sees end-of-file if waitprof exits before releasing us.
    close(fds[1]);
    char go = 0;
    ssize_t n;
    do {
      n = read(read_end.get(), &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);  // waitprof went away before the recording began
    execvp(args[0], args.data());
    const int err = errno;
    dprintf(STDERR_FILENO, "waitprof: cannot run %s: %s\n", args[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  cmd->pid_ = pid;
  return cmd;
}

LaunchedCommand::~LaunchedCommand() {
  if (pid_ > 0 && !released_ && status_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Status LaunchedCommand::release() {
  const char go = 1;
  if (write(go_.get(), &go, 1) != 1) return errno_error("starting " + name_);
  go_.reset();
  released_ = true;
  return {};
}

int LaunchedCommand::poll_exit() {
  if (status_ >= 0) return status_;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = shell_status(status);
  return status_;
}

int LaunchedCommand::wait(int signal_fd) {
  if (poll_exit() >= 0) return status_;
  fprintf(stderr, "waitprof: waiting for %s (pid %d) to exit\n", name_.c_str(), pid_);
  // No child-exit descriptor to poll on: look every 100 ms, and pass signals on meanwhile.
  while (poll_exit() < 0) {
    pollfd pfd{signal_fd, POLLIN, 0};
    if (poll(&pfd, 1, 100) > 0) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        kill(pid_, static_cast<int>(info.ssi_signo));
      }
    }
  }
  return status_;
}

}  // namespace waitprof
