#include "record/wait_seeding.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdlib>
#include <sstream>

#include "profile.h"
#include "proc_scan.h"
#include "profile.skel.h"
#include "record/profile_programs.h"
#include "util/read_file.h"

namespace waitprof {

namespace {

constexpr int32_t kFutexSyscall = 202;  // x86_64; the futex2 calls are not decoded here

}  // namespace

std::optional<ProcSyscall> parse_proc_syscall(const std::string& text) {
  std::istringstream in(text);
  std::string first;
  if (!(in >> first) || first == "running") return std::nullopt;
  ProcSyscall s;
  char* end = nullptr;
  s.nr = static_cast<int32_t>(strtol(first.c_str(), &end, 10));
  if (*end != '\0') return std::nullopt;
  if (s.nr < 0) return s;  // blocked, not in a syscall
  for (uint64_t& arg : s.args) {
    std::string word;
    if (!(in >> word)) return std::nullopt;
    arg = strtoull(word.c_str(), &end, 16);
    if (*end != '\0') return std::nullopt;
  }
  return s;
}

Result<size_t> seed_waits_in_progress(const ProfilePrograms& programs,
                                      const std::vector<pid_t>& tgids, uint64_t start_ns) {
  const profile_bpf& skel = programs.skeleton();
  const int offcpu_fd = bpf_map__fd(skel.maps.seeded_offcpu);
  const int lock_fd = bpf_map__fd(skel.maps.seeded_lock);
  size_t seeded = 0;
  for (pid_t tgid : tgids) {
    for (pid_t tid : list_threads(tgid)) {
      const std::string base = "/proc/" + std::to_string(tgid) + "/task/" + std::to_string(tid);
      Result<std::string> stat = read_text_file(base + "/stat");
      Result<std::string> syscall_text = read_text_file(base + "/syscall");
      if (!stat || !syscall_text) continue;  // the thread is gone
      const char state = parse_stat_state(*stat);
      // 'R' is running or runnable: /proc cannot tell which, and a running thread's next
      // switch-out starts its wait properly.
      if (state != 'S' && state != 'D') continue;
      const std::optional<ProcSyscall> sc = parse_proc_syscall(*syscall_text);
      if (!sc) continue;  // it woke up meanwhile

      const auto utid = static_cast<__u32>(tid);
      waitprof_offcpu_start off{};
      off.start_ns = start_ns;
      off.key.tgid = static_cast<__u32>(tgid);
      off.key.tid = utid;
      off.key.user_stack = WAITPROF_STACK_BEFORE_START;
      off.key.kernel_stack = WAITPROF_STACK_NONE;
      off.key.syscall = sc->nr;
      off.key.state = state == 'D' ? WAITPROF_OFFCPU_UNINTERRUPTIBLE : WAITPROF_OFFCPU_SLEEPING;
      // A thread that claims a BPF thread slot takes its seeds along; one that claimed a slot
      // before this write ran after /proc was read, and the collector ignores its seed.
      if (bpf_map_update_elem(offcpu_fd, &utid, &off, BPF_NOEXIST) == 0) ++seeded;

      const auto cmd = static_cast<uint32_t>(sc->args[1]) & WAITPROF_FUTEX_CMD_MASK;
      if (sc->nr == kFutexSyscall && waitprof_futex_cmd_waits(cmd)) {
        waitprof_lock_start lock{};
        lock.start_ns = start_ns;
        lock.key.tgid = static_cast<__u32>(tgid);
        lock.key.tid = utid;
        lock.key.user_stack = WAITPROF_STACK_BEFORE_START;
        lock.key.kernel_stack = WAITPROF_STACK_NONE;
        lock.key.uaddr = sc->args[0];
        lock.key.op = cmd;
        if (bpf_map_update_elem(lock_fd, &utid, &lock, BPF_NOEXIST) == 0) ++seeded;
      }
    }
  }
  return seeded;
}

}  // namespace waitprof
