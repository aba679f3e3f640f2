// Waits already in progress when recording begins. BPF times a wait from the switch-out (or
// futex entry) it sees, so a thread parked since before the attach — an idle worker in
// epoll_wait, a thread blocked on a lock — would count nothing for the whole recording and
// the per-thread totals would disagree with wall − on-CPU time. /proc tells which threads
// are blocked and in which syscall (with its arguments: the futex address); their waits are
// seeded as starting at the attach, with a stack marked "since before the recording".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace waitprof {

class ProfilePrograms;

// /proc/PID/task/TID/syscall: "nr arg0 … arg5 sp pc" while blocked in a syscall, "-1 sp pc"
// when blocked outside one, "running" otherwise.
struct ProcSyscall {
  int32_t nr = -1;
  uint64_t args[6] = {};
};
std::optional<ProcSyscall> parse_proc_syscall(const std::string& text);

// Seeds offcpu and lock starts for the blocked threads of `tgids` at start_ns. Returns how
// many waits were seeded.
Result<size_t> seed_waits_in_progress(const ProfilePrograms& programs,
                                      const std::vector<pid_t>& tgids, uint64_t start_ns);

}  // namespace waitprof
