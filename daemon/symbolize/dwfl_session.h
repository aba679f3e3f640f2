// One libdwfl session over one address space's code images: ELF symbol tables, DWARF line
// tables and inline scopes, separate debug files found the standard way (build-id under
// /usr/lib/debug/.build-id/, .gnu_debuglink). Files are opened lazily, on the first address
// that falls in them.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/cu_scopes.h"
#include "symbolize/frame.h"
#include "symbolize/symbol_index.h"
#include "util/result.h"

namespace waitprof {

// Build-id bytes as lowercase hex, the form pprof and debuginfod use.
std::string build_id_hex(const unsigned char* bytes, int len);

// What pprof's Mapping says about one ELF file.
struct ModuleFacts {
  std::string build_id;  // lowercase hex, empty when none or the file is unreadable
  bool has_symbols = false;
  bool has_dwarf = false;
};

class DwflSession {
 public:
  // maps_text: /proc/PID/maps lines of file-backed mappings.
  static Result<std::unique_ptr<DwflSession>> create(const std::string& maps_text);
  ~DwflSession();
  DwflSession(const DwflSession&) = delete;
  DwflSession& operator=(const DwflSession&) = delete;

  // Facts about the module covering addr; empty when no module does.
  std::optional<ModuleFacts> module_facts(uint64_t addr);
  // Innermost first, as Frame::lines; empty when nothing names addr.
  std::vector<SourceLine> lines(uint64_t addr);
  // The ELF symbol covering a data address (a global lock's futex word) as "name" or
  // "name+offset" (a word inside an object: MariaDB's thread_cache+40); empty when none.
  std::string data_symbol(uint64_t addr);
  // Frames tail calls removed between a callee and its caller's return address (tail_calls.h).
  std::vector<uint64_t> tail_call_frames(uint64_t callee_lookup, uint64_t return_address);

 private:
  explicit DwflSession(Dwfl* dwfl) : dwfl_(dwfl) {}
  const SymbolIndex& symbols(Dwfl_Module* mod);
  const CuScopes& scopes(Dwarf_Die* cudie);
  // The compilation unit covering addr; bias: the module's. Falls back to the units' own
  // ranges where the module has no .debug_aranges (Go's linker writes none), which
  // libdw before 0.191 needs to find a unit by address.
  Dwarf_Die* cu_die(Dwfl_Module* mod, uint64_t addr, Dwarf_Addr* bias);

  Dwfl* dwfl_;
  std::unordered_map<Dwfl_Module*, ModuleFacts> facts_;
  std::unordered_map<Dwfl_Module*, SymbolIndex> symbols_;
  std::unordered_map<const Dwarf_CU*, CuScopes> cu_scopes_;
  struct CuRange {
    Dwarf_Addr low, high;
    Dwarf_Die die;
  };
  std::unordered_map<Dwfl_Module*, std::vector<CuRange>> cu_ranges_;  // the fallback's index
};

}  // namespace waitprof
