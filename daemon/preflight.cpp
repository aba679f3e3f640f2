#include "preflight.h"

#include <linux/magic.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace waitprof {

Result<uint64_t> parse_effective_caps(const std::string& proc_status) {
  std::istringstream in(proc_status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    try {
      return std::stoull(line.substr(7), nullptr, 16);
    } catch (const std::exception&) {
      return Error{"unreadable CapEff line in /proc/self/status: '" + line + "'"};
    }
  }
  return Error{"no CapEff line in /proc/self/status"};
}

Status check_privileges() {
  std::ifstream f("/proc/self/status");
  std::stringstream text;
  text << f.rdbuf();
  Result<uint64_t> caps = parse_effective_caps(text.str());
  if (!caps) return caps.error();
  for (int cap : {kCapSysAdmin, kCapPerfmon, kCapBpf}) {
    if (!(*caps & (uint64_t{1} << cap))) {
      return Error{
          "waitprof needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN) to load BPF programs: "
          "run it with sudo"};
    }
  }
  return {};
}

Status check_btf(const std::string& btf_path) {
  if (access(btf_path.c_str(), R_OK) != 0) {
    return Error{btf_path +
                 " is missing: this kernel was built without BTF "
                 "(CONFIG_DEBUG_INFO_BTF=y), which waitprof's CO-RE programs need"};
  }
  return {};
}

namespace {
bool is_mounted(const char* path, long magic) {
  struct statfs s {};
  return statfs(path, &s) == 0 && s.f_type == magic;
}

Status mount_if_absent(const char* path, const char* fstype, long magic,
                       std::vector<std::string>& mounted) {
  if (is_mounted(path, magic)) return {};
  if (mount(fstype, path, fstype, 0, nullptr) != 0) {
    return errno_error(std::string("mounting ") + fstype + " on " + path);
  }
  mounted.push_back(std::string(fstype) + " on " + path);
  return {};
}
}  // namespace

Result<std::vector<std::string>> ensure_kernel_filesystems() {
  std::vector<std::string> mounted;
  if (Status s = mount_if_absent("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC, mounted); !s) {
    return s.error();
  }
  if (Status s = mount_if_absent("/sys/fs/bpf", "bpf", BPF_FS_MAGIC, mounted); !s) {
    return s.error();
  }
  return mounted;
}

Status check_cpu_clock_event() {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.sample_freq = 99;
  attr.freq = 1;
  attr.disabled = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    return errno_error("opening the cpu-clock perf event on CPU 0 (the cpu profile needs it)");
  }
  close(static_cast<int>(fd));
  return {};
}

}  // namespace waitprof
