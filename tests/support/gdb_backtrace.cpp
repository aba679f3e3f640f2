#include "support/gdb_backtrace.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "support/child_process.h"

namespace waitprof_test {

namespace {

// "#3  0x00007ff83ceaa482 in ___pthread_mutex_lock (mutex=...) at ./nptl/pthread_mutex_lock.c:93"
std::optional<GdbFrame> parse_frame(const std::string& line) {
  if (line.size() < 2 || line[0] != '#') return std::nullopt;
  const size_t addr_at = line.find("0x");
  const size_t in_at = line.find(" in ");
  if (addr_at == std::string::npos || in_at == std::string::npos || in_at < addr_at) {
    return std::nullopt;
  }
  GdbFrame f;
  f.address = std::strtoull(line.c_str() + addr_at, nullptr, 16);
  std::string rest = line.substr(in_at + 4);
  for (const char* tail : {" at ", " from "}) {
    if (size_t at = rest.rfind(tail); at != std::string::npos) rest.erase(at);
  }
  // The argument list, "(...)" with frame-arguments none, is the last parenthesized group.
  if (size_t args = rest.rfind(" ("); args != std::string::npos) rest.erase(args);
  f.function = rest;
  return f;
}

// "Thread 3 (Thread 0x7ff837fff6c0 (LWP 31441) "locker"):"
std::optional<pid_t> parse_thread(const std::string& line) {
  if (line.rfind("Thread ", 0) != 0) return std::nullopt;
  const size_t lwp = line.find("(LWP ");
  if (lwp == std::string::npos) return std::nullopt;
  return static_cast<pid_t>(std::strtol(line.c_str() + lwp + 5, nullptr, 10));
}

}  // namespace

std::optional<std::map<pid_t, std::vector<GdbFrame>>> gdb_backtraces(pid_t pid, std::string* why) {
  if (access("/usr/bin/gdb", X_OK) != 0) {
    *why = "gdb is not installed (scripts/setup.sh installs it)";
    return std::nullopt;
  }
  ChildProcess gdb({"/usr/bin/gdb", "-batch", "-nx", "-p", std::to_string(pid), "-ex",
                    "set pagination off", "-ex", "set backtrace past-main on", "-ex",
                    "set print frame-info location-and-address", "-ex",
                    "set print frame-arguments none", "-ex", "thread apply all bt"});
  const std::string out = gdb.read_all(60000);
  gdb.stop(0, 30000);
  std::map<pid_t, std::vector<GdbFrame>> threads;
  std::istringstream in(out);
  std::string line;
  std::vector<GdbFrame>* current = nullptr;
  while (std::getline(in, line)) {
    if (auto tid = parse_thread(line)) {
      current = &threads[*tid];
    } else if (auto frame = parse_frame(line); frame && current) {
      current->push_back(std::move(*frame));
    }
  }
  if (threads.empty()) {
    *why = "gdb printed no backtrace: " + out.substr(0, 500);
    return std::nullopt;
  }
  return threads;
}

std::string canonical_function(const std::string& name) {
  std::string s = name;
  // The only parentheses that belong to a name.
  for (size_t at; (at = s.find("(anonymous namespace)")) != std::string::npos;) {
    s.replace(at, 21, "{anonymous}");
  }
  if (size_t at = s.find('@'); at != std::string::npos && at > 0) s.erase(at);
  std::string out;
  int depth = 0;
  for (char c : s) {
    if (c == '<' || c == '(') {
      ++depth;
    } else if ((c == '>' || c == ')') && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  // What is left of "void std::condition_variable::wait<…>(…)" is a return type and a name.
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (size_t space = out.rfind(' '); space != std::string::npos) out.erase(0, space + 1);
  return out;
}

}  // namespace waitprof_test
