#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "proc_scan.h"

namespace waitprof_test {

namespace {
long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, bool merge_stderr) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (merge_stderr) dup2(out[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool ChildProcess::read_more(long deadline_ms) {
  const long left = deadline_ms - now_ms();
  pollfd p{stdout_fd_, POLLIN, 0};
  if (left <= 0 || poll(&p, 1, static_cast<int>(left)) != 1) return false;
  char buf[4096];
  ssize_t n = read(stdout_fd_, buf, sizeof(buf));
  if (n <= 0) return false;
  output_.append(buf, static_cast<size_t>(n));
  return true;
}

bool ChildProcess::wait_for_line(const std::string& needle, int timeout_ms) {
  const long deadline = now_ms() + timeout_ms;
  while (output_.find(needle) == std::string::npos) {
    if (!read_more(deadline)) return false;
  }
  return true;
}

std::string ChildProcess::read_all(int timeout_ms) {
  const long deadline = now_ms() + timeout_ms;
  while (read_more(deadline)) {
  }
  return output_;
}

int ChildProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  const long deadline = now_ms() + timeout_ms;
  while (now_ms() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    usleep(10000);
  }
  return -1;
}

namespace {
std::string read_stat(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
}  // namespace

bool process_alive(pid_t pid) {
  const std::string text = read_stat(pid);
  const size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

pid_t parent_of(pid_t pid) {
  return waitprof::parse_stat_ppid(read_stat(pid)).value_or(-1);
}

std::map<std::string, pid_t> threads_by_name(pid_t pid) {
  std::map<std::string, pid_t> tids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    tids[name] = static_cast<pid_t>(std::stol(e.path().filename()));
  }
  return tids;
}

}  // namespace waitprof_test
