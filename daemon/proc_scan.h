// The process tree as /proc shows it now: for the descendants that already exist when a
// recording starts (BPF sees only forks that happen after attach).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace waitprof {

// The parent pid out of /proc/PID/stat text; the comm field may hold spaces and parens.
std::optional<pid_t> parse_stat_ppid(const std::string& stat_text);
// The state letter ('S', 'D', 'R', …) out of the same text, 0 when unparsable.
char parse_stat_state(const std::string& stat_text);

// Every live descendant of `root` (not root itself), in pid order.
std::vector<pid_t> list_descendants(pid_t root, const std::string& proc_root = "/proc");

// The thread ids of process `tgid` (/proc/TGID/task), in pid order; empty when it is gone.
std::vector<pid_t> list_threads(pid_t tgid, const std::string& proc_root = "/proc");

bool process_exists(pid_t pid);

}  // namespace waitprof
