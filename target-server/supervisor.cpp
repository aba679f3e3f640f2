#include "supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "clock.h"
#include "worker.h"

namespace tsrv {

namespace {

constexpr int kStartupTimeoutMs = 10000;
constexpr uint64_t kStopGraceNs = 5'000'000'000;

void announce(const ServerConfig& config, const char* shape) {
  if (config.quiet) return;
  printf("target-server: listening on http://%s:%u (%s, %u threads each, rng %s) pid %d\n",
         config.bind_address.c_str(), config.port, shape, config.threads,
         std::string(rng_mode_name(config.rng)).c_str(), getpid());
  fflush(stdout);
}

void write_ready_byte(void* arg) {
  const int fd = *static_cast<int*>(arg);
  const char ready = 'R';
  // If the parent is gone the worker will get SIGTERM from PDEATHSIG; nothing to do here.
  [[maybe_unused]] ssize_t n = write(fd, &ready, 1);
  close(fd);
}

class Supervisor {
 public:
  Supervisor(const ServerConfig& config, const RequestHandler& handler, StatsRegion& stats)
      : config_(config), handler_(handler), stats_(stats), pids_(config.workers, 0) {}

  int run() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC);
    if (signal_fd_ < 0) {
      fprintf(stderr, "target-server: signalfd: %s\n", strerror(errno));
      return 1;
    }
    for (unsigned i = 0; i < config_.workers; ++i) {
      if (!spawn(i)) {
        stop_all();
        return 1;
      }
    }
    announce(config_, (std::to_string(config_.workers) + " prefork workers").c_str());
    for (;;) {
      signalfd_siginfo info;
      if (read(signal_fd_, &info, sizeof(info)) != sizeof(info)) {
        if (errno == EINTR) continue;
        fprintf(stderr, "target-server: reading signals: %s\n", strerror(errno));
        stop_all();
        return 1;
      }
      if (info.ssi_signo == SIGCHLD) {
        if (!replace_exited_workers()) {
          stop_all();
          return 1;
        }
        continue;
      }
      stop_all();
      return 0;
    }
  }

 private:
  // Forks worker `index` and waits until it serves. False if it could not start.
  bool spawn(unsigned index) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
      fprintf(stderr, "target-server: pipe: %s\n", strerror(errno));
      return false;
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "target-server: fork: %s\n", strerror(errno));
      return false;
    }
    if (pid == 0) {
      close(ready[0]);
      close(signal_fd_);
      // A worker must not outlive a supervisor killed with SIGKILL.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(0);
      sigset_t chld;
      sigemptyset(&chld);
      sigaddset(&chld, SIGCHLD);
      sigprocmask(SIG_UNBLOCK, &chld, nullptr);
      _exit(run_worker(config_, index, handler_, stats_, write_ready_byte, &ready[1]));
    }
    close(ready[1]);
    pids_[index] = pid;
    stats_.claim_worker(index, pid);
    pollfd p{ready[0], POLLIN, 0};
    char byte = 0;
    const bool ok = poll(&p, 1, kStartupTimeoutMs) == 1 && read(ready[0], &byte, 1) == 1;
    close(ready[0]);
    if (!ok) {
      fprintf(stderr, "target-server: worker %u (pid %d) did not start serving\n", index, pid);
    }
    return ok;
  }

  bool replace_exited_workers() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      unsigned index = 0;
      while (index < pids_.size() && pids_[index] != pid) ++index;
      if (index == pids_.size()) continue;
      pids_[index] = 0;
      stats_.retire_worker(index);
      if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerStartupFailed) return false;
      if (!config_.quiet) {
        fprintf(stderr, "target-server: worker %u (pid %d) %s %d; starting a replacement\n", index,
                pid, WIFSIGNALED(status) ? "killed by signal" : "exited with status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      }
      if (!spawn(index)) return false;
    }
    return true;
  }

  void stop_all() {
    for (pid_t pid : pids_) {
      if (pid > 0) kill(pid, SIGTERM);
    }
    const uint64_t deadline = monotonic_ns() + kStopGraceNs;
    for (;;) {
      pid_t pid;
      while ((pid = waitpid(-1, nullptr, WNOHANG)) > 0) {
        for (auto& p : pids_) {
          if (p == pid) p = 0;
        }
      }
      bool any = false;
      for (pid_t p : pids_) any |= p > 0;
      if (!any) return;
      if (monotonic_ns() > deadline) {
        for (pid_t p : pids_) {
          if (p > 0) kill(p, SIGKILL);
        }
      }
      // SIGCHLD is blocked and routed to the signalfd: wait on it for the next exit.
      pollfd p{signal_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) == 1) {
        signalfd_siginfo info;
        [[maybe_unused]] ssize_t n = read(signal_fd_, &info, sizeof(info));
      }
    }
  }

  const ServerConfig& config_;
  const RequestHandler& handler_;
  StatsRegion& stats_;
  std::vector<pid_t> pids_;
  int signal_fd_ = -1;
};

}  // namespace

int run_supervisor(const ServerConfig& config, const RequestHandler& handler, StatsRegion& stats) {
  return Supervisor(config, handler, stats).run();
}

int run_single_process(const ServerConfig& config, const RequestHandler& handler,
                       StatsRegion& stats) {
  stats.claim_worker(0, getpid());
  auto announce_single = [](void* arg) {
    announce(*static_cast<const ServerConfig*>(arg), "single process");
  };
  const int status =
      run_worker(config, 0, handler, stats, announce_single, const_cast<ServerConfig*>(&config));
  return status == kWorkerStartupFailed ? 1 : status;
}

}  // namespace tsrv
