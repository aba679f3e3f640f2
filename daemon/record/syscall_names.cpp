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

#if defined(__x86_64__) || defined(__aarch64__)
// Newer than the build host's UAPI header can be (bookworm's is 6.1's): futex2's calls of
// 6.7, numbered alike on every arch, which the lock profile records.
constexpr SyscallEntry kNewerSyscalls[] = {
    {451, "cachestat"},  {452, "fchmodat2"},    {453, "map_shadow_stack"},
    {454, "futex_wake"}, {455, "futex_wait"},   {456, "futex_requeue"},
};
#else
constexpr SyscallEntry kNewerSyscalls[] = {{-1, ""}};
#endif

}  // namespace

std::string syscall_name(int32_t nr) {
  if (nr < 0) return "none";
  const auto* it = std::find_if(std::begin(kSyscalls), std::end(kSyscalls),
                                [nr](const SyscallEntry& e) { return e.nr == nr; });
  if (it != std::end(kSyscalls)) return std::string(it->name);
  const auto* newer = std::find_if(std::begin(kNewerSyscalls), std::end(kNewerSyscalls),
                                   [nr](const SyscallEntry& e) { return e.nr == nr; });
  if (newer != std::end(kNewerSyscalls)) return std::string(newer->name);
  return "syscall " + std::to_string(nr);
}

}  // namespace waitprof
