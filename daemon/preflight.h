// What a host must offer before waitprof can attach: privileges, kernel BTF, tracefs and
// bpffs, the cpu-clock perf event. Each check says what to do when it fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace waitprof {

// Capability bits from linux/capability.h; CAP_BPF and CAP_PERFMON split out of
// CAP_SYS_ADMIN in 5.8, so both old and new kernels are covered by asking for all three.
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapPerfmon = 38;
inline constexpr int kCapBpf = 39;

// Parses the CapEff mask out of /proc/self/status text.
Result<uint64_t> parse_effective_caps(const std::string& proc_status);

// One-line errors, in the order a user should fix them.
Status check_privileges();
Status check_btf(const std::string& btf_path = "/sys/kernel/btf/vmlinux");
// Mounts tracefs or bpffs where absent; returns what it mounted, for the user to know.
Result<std::vector<std::string>> ensure_kernel_filesystems();
Status check_cpu_clock_event();

}  // namespace waitprof
