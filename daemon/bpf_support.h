// What every loader of our BPF objects needs from libbpf, in one place: errors with context,
// the tp_btf-or-raw_tp choice, and summing per-CPU counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace waitprof {

// libbpf returns -errno (or sets errno); errno_error wants the positive value.
Error libbpf_error(const std::string& what, int err);

// A kernel whose BTF describes the tracepoint accepts tp_btf, which reads arguments directly
// instead of through probe reads.
bool kernel_has_btf_tracepoint(const char* name);

// Entries 0..count-1 of a BPF_MAP_TYPE_PERCPU_ARRAY of u64, each summed over all CPUs.
// An entry that cannot be read counts as 0.
std::vector<uint64_t> sum_percpu_counters(int map_fd, uint32_t count);

}  // namespace waitprof
