// Names for the syscall numbers offcpu records ("futex", "epoll_wait"), from the kernel's
// UAPI header at build time.
#pragma once

#include <cstdint>
#include <string>

namespace waitprof {

// "futex"; "syscall 1234" for numbers the table lacks; "none" for -1 (not in a syscall).
std::string syscall_name(int32_t nr);

}  // namespace waitprof
