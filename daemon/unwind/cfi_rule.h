// One row of DWARF call-frame information, as libdw describes it (location expressions for
// the CFA and each register), turned into the few rule shapes the BPF walk follows
// (bpf/unwind.h). Pure: tested on hand-made expressions, no ELF needed.
#pragma once

#include <elfutils/libdw.h>

#include <cstddef>
#include <optional>

#include "unwind.h"  // bpf/: waitprof_unwind_rule

namespace waitprof {

// x86-64 DWARF register numbers.
inline constexpr int kDwarfRegBp = 6;
inline constexpr int kDwarfRegSp = 7;
inline constexpr int kDwarfRegRa = 16;

// What dwarf_frame_register reported for one register.
struct RegisterOps {
  const Dwarf_Op* ops = nullptr;  // null with count 0: "same value"
  size_t count = 0;               // 0 with ops set: "undefined"
};

// The rule for one CFI row; nullopt when the CFA or the return address is an expression the
// walk cannot follow (the frame is then unwound by frame pointers, as without CFI). signal:
// the row belongs to a signal trampoline (the CIE's 'S'), whose caller is the interrupted
// instruction itself.
std::optional<waitprof_unwind_rule> classify_cfi_row(const Dwarf_Op* cfa, size_t cfa_count,
                                                    RegisterOps ra, RegisterOps bp, bool signal);

inline bool operator==(const waitprof_unwind_rule& a, const waitprof_unwind_rule& b) {
  return a.cfa_offset == b.cfa_offset && a.ra_offset == b.ra_offset &&
         a.bp_offset == b.bp_offset && a.cfa_kind == b.cfa_kind && a.ra_kind == b.ra_kind &&
         a.bp_kind == b.bp_kind && a.aux == b.aux;
}

}  // namespace waitprof
