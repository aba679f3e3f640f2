// What symbolization yields for one stack address: the binary it belongs to and the source
// lines there, innermost inlined function first. The pprof builder turns these into Mappings,
// Locations and Functions; nothing else in between needs to know about ELF or DWARF.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace waitprof {

// One mapped ELF file (or the kernel) in a process's address space, as pprof's Mapping.
struct Module {
  std::string path;      // as in /proc/PID/maps; "[kernel.kallsyms]" for the kernel
  std::string build_id;  // lowercase hex, empty when the file has none
  uint64_t start = 0;    // runtime address range of the executable mapping
  uint64_t limit = 0;
  uint64_t file_offset = 0;
  bool has_functions = false;  // symbol names were found
  bool has_filenames = false;  // DWARF gave file names
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct SourceLine {
  std::string function;     // demangled ("tsrv::LockedRng::next_index()")
  std::string system_name;  // as in the symbol table ("_ZN4tsrv9LockedRng10next_indexEv")
  std::string file;         // empty when no DWARF
  int64_t line = 0;         // 0 when unknown
  int64_t start_line = 0;   // the function's first line, 0 when unknown
};

struct Frame {
  uint64_t address = 0;                  // as sampled (a return address for callers)
  std::shared_ptr<const Module> module;  // null when no mapping covers the address
  // Innermost first: lines[0] is where the address is; each next entry is the caller an
  // inlined function was inlined into. Empty when nothing is known (pprof shows the address).
  std::vector<SourceLine> lines;
};

}  // namespace waitprof
