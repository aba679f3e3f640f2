#include "bpf_support.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

namespace waitprof {

Error libbpf_error(const std::string& what, int err) {
  return errno_error(what, err < 0 ? -err : err);
}

bool kernel_has_btf_tracepoint(const char* name) {
  return libbpf_find_vmlinux_btf_id(name, BPF_TRACE_RAW_TP) > 0;
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
