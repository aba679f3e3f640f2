#include "record/syscall_names.h"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace waitprof {

namespace {

struct SyscallEntry {
  int32_t nr;
  std::string_view name;
};

constexpr SyscallEntry kSyscalls[] = {
#include "syscall_table.inc"
    {-1, ""},  // keeps the array non-empty where the header was missing
};

}  // namespace

std::string syscall_name(int32_t nr) {
  if (nr < 0) return "none";
  const auto* it = std::find_if(std::begin(kSyscalls), std::end(kSyscalls),
                                [nr](const SyscallEntry& e) { return e.nr == nr; });
  if (it != std::end(kSyscalls)) return std::string(it->name);
  return "syscall " + std::to_string(nr);
}

}  // namespace waitprof
