#pragma once

#include <string>

namespace waitprof {

// The running kernel's build id (lowercase hex) as libdwfl reads it from /sys/kernel/notes,
// or empty. Lets pprof consumers match kernel frames to a vmlinux with debug info.
std::string running_kernel_build_id();

}  // namespace waitprof
