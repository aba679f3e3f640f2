#include "bpf_support.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <string>

namespace waitprof {

Error libbpf_error(const std::string& what, int err) {
  return errno_error(what, err < 0 ? -err : err);
}

bool kernel_has_btf_tracepoint(const char* name) {
  // What libbpf_find_vmlinux_btf_id(name, BPF_TRACE_RAW_TP) looks up, from one parse of the
  // kernel's BTF: that call parses all of /sys/kernel/btf/vmlinux (~60 ms, more on a loaded
  // machine) each time, and attach asks for five tracepoints.
  static struct btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  const std::string type = std::string("btf_trace_") + name;
  return btf__find_by_name_kind(vmlinux, type.c_str(), BTF_KIND_TYPEDEF) > 0;
}

std::vector<uint64_t> sum_percpu_counters(int map_fd, uint32_t count) {
  std::vector<uint64_t> total(count);
  const int ncpus = libbpf_num_possible_cpus();
  std::vector<__u64> per_cpu(ncpus > 0 ? ncpus : 1);
  for (__u32 i = 0; i < count; ++i) {
    if (bpf_map_lookup_elem(map_fd, &i, per_cpu.data()) == 0) {
      for (__u64 v : per_cpu) total[i] += v;
    }
  }
  return total;
}

}  // namespace waitprof
