// A module's symbol table sorted for binary search. dwfl_module_addrinfo scans every symbol
// on each call (elfutils 0.188): ~110 us per address in libc with its debug file, which a
// recording with thousands of distinct addresses cannot afford. Built once per module from
// dwfl_module_getsym_info over the same symbols, with addrinfo's rules, except that the
// closest covering symbol wins even when it is local and a farther one global (addrinfo
// tries locals only when no global covers the address).
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <vector>

namespace waitprof {

class SymbolIndex {
 public:
  struct Symbol {
    uint64_t address = 0;        // absolute, as in the process
    uint64_t size = 0;           // 0 for assembly labels without a size
    int binding = 0;             // higher is better: global, weak, local
    const char* name = nullptr;  // owned by the module's ELF; lives as long as the Dwfl
  };

  // From the input: pure, so the selection rules can be tested without ELF files.
  explicit SymbolIndex(std::vector<Symbol> symbols);
  static SymbolIndex of_module(Dwfl_Module* mod);

  // The symbol containing addr: the closest-starting sized symbol that covers it (global
  // before weak before local, then symbol table order, at one start); else the closest
  // assembly label at or below addr that no sized symbol ends after. Null when none.
  const Symbol* lookup(uint64_t addr) const;
  bool empty() const { return symbols_.empty(); }

 private:
  std::vector<Symbol> symbols_;  // by address; at one address the preferred one last
  // max_end_[i]: the highest address + size of sized symbols 0..i, so a backward scan
  // for covering symbols can stop as soon as none further back can reach addr.
  std::vector<uint64_t> max_end_;
};

}  // namespace waitprof
