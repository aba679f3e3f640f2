// SIGINT and SIGTERM, blocked and read from a signalfd, so a signal ends a command's loop at
// once and cleanly instead of killing the process before its results are written.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace waitprof {

class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~StopSignals() {
    if (fd_ >= 0) close(fd_);
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_; }
  // The pending stop signal, or 0.
  int pending() {
    signalfd_siginfo info{};
    if (read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      return static_cast<int>(info.ssi_signo);
    }
    return 0;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
  int fd_ = -1;
};

}  // namespace waitprof
