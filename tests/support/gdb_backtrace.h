// gdb's backtrace of every thread of a running process: the truth the exact-stacks tests hold
// waitprof's stacks to. gdb attaches (stopping the process for the moment it takes), prints
// `thread apply all bt` with every frame's address, and detaches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace waitprof_test {

struct GdbFrame {
  uint64_t address = 0;  // the pc: the leaf's, or the return address into the caller
  std::string function;  // as gdb prints it; "??" where it knows no name
};

// Frames leaf first, by thread id. nullopt when gdb is missing or failed (the reason in *why).
std::optional<std::map<pid_t, std::vector<GdbFrame>>> gdb_backtraces(pid_t pid, std::string* why);

// A function name in the form both gdb and waitprof print it the same: without template and
// parameter lists, return type and symbol version ("std::condition_variable::wait").
std::string canonical_function(const std::string& name);

}  // namespace waitprof_test
