// A module's call-frame information as a sorted list of rows: from each row's pc to the next
// row's pc, one rule (bpf/unwind.h) says where the caller's sp, ip and bp are. Read from the
// ELF's .eh_frame through libdw (dwarf_getcfi_elf, dwarf_cfi_addrframe), and from
// .debug_frame (dwarf_getcfi) for code .eh_frame leaves out.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "unwind.h"  // bpf/
#include "util/result.h"

namespace waitprof {

struct CfiRow {
  uint64_t vaddr = 0;  // ELF virtual address where the rule starts to hold
  bool covered = false;  // false: no CFI from here on (a gap between FDEs): frame pointers
  waitprof_unwind_rule rule{};
};

struct ModuleCfi {
  std::vector<CfiRow> rows;  // by vaddr; neighbours never hold the same rule
  size_t fdes = 0;           // FDEs read
  size_t unsupported_rows = 0;  // rows whose CFA or return address the walk cannot follow
  bool from_eh_frame = false;
  bool from_debug_frame = false;
};

// Reads an ELF image (a file's, or one in memory such as the vDSO). A file without any CFI
// yields no rows, not an error: its frames are unwound by frame pointers.
Result<ModuleCfi> read_module_cfi(Elf* elf);
Result<ModuleCfi> read_module_cfi_file(const std::string& path);

}  // namespace waitprof
