#include "proc_scan.h"

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace waitprof {

std::optional<pid_t> parse_stat_ppid(const std::string& stat_text) {
  // "pid (comm) state ppid ...": comm is arbitrary, so parse from the last ')'.
  const size_t close = stat_text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat_text.substr(close + 1));
  std::string state;
  long ppid = -1;
  if (!(rest >> state >> ppid) || ppid < 0) return std::nullopt;
  return static_cast<pid_t>(ppid);
}

namespace {

// The entries of `dir` named by a positive number (pids in /proc, tids in /proc/PID/task).
std::vector<pid_t> numeric_entries(const std::string& dir) {
  std::vector<pid_t> ids;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      const long id = strtol(e->d_name, &end, 10);
      if (*end == '\0' && id > 0) ids.push_back(static_cast<pid_t>(id));
    }
    closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

char parse_stat_state(const std::string& stat_text) {
  const size_t close = stat_text.rfind(')');
  if (close == std::string::npos || close + 2 >= stat_text.size()) return 0;
  return stat_text[close + 2];
}

std::vector<pid_t> list_threads(pid_t tgid, const std::string& proc_root) {
  return numeric_entries(proc_root + "/" + std::to_string(tgid) + "/task");
}

std::vector<pid_t> list_descendants(pid_t root, const std::string& proc_root) {
  std::multimap<pid_t, pid_t> children;  // ppid -> pid
  for (pid_t pid : numeric_entries(proc_root)) {
    std::ifstream f(proc_root + "/" + std::to_string(pid) + "/stat");
    std::stringstream text;
    text << f.rdbuf();
    if (auto ppid = parse_stat_ppid(text.str())) children.emplace(*ppid, pid);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool process_exists(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace waitprof
