#include "check_command.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "preflight.h"
#include "process_tree.h"

namespace waitprof {

namespace {
void report(const char* status, const char* what, const std::string& detail) {
  printf("  %-5s %-14s %s\n", status, what, detail.c_str());
}
}  // namespace

Status run_check() {
  // Privileges and BTF first: without them nothing else can be checked meaningfully.
  if (Status s = check_privileges(); !s) return s;
  report("ok", "privileges", "CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN");
  if (Status s = check_btf(); !s) return s;
  utsname u{};
  uname(&u);
  report("ok", "kernel BTF", std::string("/sys/kernel/btf/vmlinux (Linux ") + u.release + ")");

  Result<std::vector<std::string>> mounted = ensure_kernel_filesystems();
  if (!mounted) return mounted.error();
  std::string detail = "tracefs and bpffs mounted";
  for (const auto& m : *mounted) detail += "; mounted " + m + " now";
  report("ok", "filesystems", detail);

  if (Status s = check_cpu_clock_event(); !s) return s;
  report("ok", "cpu-clock", "software perf event opens (the cpu profile's sampler)");

  auto tree = ProcessTree::open(/*follow_children=*/true, [](const waitprof_proc_event&) {});
  if (!tree) return Error{tree.error().message + " (run with --verbose for libbpf's log)"};
  report("ok", "BPF programs", "proctree loaded and attached via " + (*tree)->attach_mode());

  const bool kprobes = access("/sys/kernel/tracing/kprobe_events", F_OK) == 0;
  report("info", "kprobes",
         kprobes ? "available" : "not in this kernel: tcp send is traced by tracepoints");
  printf("waitprof: this host can record\n");
  return {};
}

}  // namespace waitprof
