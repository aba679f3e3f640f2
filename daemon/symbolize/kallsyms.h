// Kernel function names from /proc/kallsyms: text symbols sorted by address, looked up by
// binary search (120k symbols; a map per lookup would not pay).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waitprof {

struct KernelSymbol {
  uint64_t address = 0;
  char type = 0;  // nm-style: 'T' global text, 't' local text, 'W' weak, ...
  std::string name;
  std::string module;  // "ext4" for "[ext4]", empty for the kernel image
};

// Empty for lines that are not "address type name [\t[module]]".
std::optional<KernelSymbol> parse_kallsyms_line(std::string_view line);

class KernelSymbols {
 public:
  KernelSymbols() = default;
  // Keeps text symbols only; of several at one address keeps the most meaningful name.
  // All addresses zero (kptr_restrict) leaves the table empty.
  static KernelSymbols parse(std::string_view kallsyms_text);

  // The symbol at or below addr (a kernel symbol has no size: it runs to the next one).
  const KernelSymbol* lookup(uint64_t addr) const;
  bool empty() const { return symbols_.empty(); }
  size_t size() const { return symbols_.size(); }
  uint64_t lowest_address() const { return symbols_.empty() ? 0 : symbols_.front().address; }

 private:
  std::vector<KernelSymbol> symbols_;  // by address, one per address
};

Result<std::string> read_kallsyms(const std::string& path = "/proc/kallsyms");

}  // namespace waitprof
