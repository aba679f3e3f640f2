// The kernel's vDSO: code every process maps without a file, the same image in each (on one
// kernel), at its own address. Read from our own process, it names the vDSO frames of any
// target and gives the unwind tables its call-frame information.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace waitprof {

struct VdsoImage {
  const void* data = nullptr;  // our own mapping of it; null when there is none
  size_t size = 0;
};

// Ours, read once (AT_SYSINFO_EHDR and the [vdso] line of /proc/self/maps).
const VdsoImage& own_vdso();

// The name of the function at `offset` bytes into the vDSO image ("__vdso_clock_gettime"),
// from its dynamic symbol table; empty when none covers it.
std::string vdso_function_at(uint64_t offset);

}  // namespace waitprof
