#include "unwind/cfi_rule.h"

#include <dwarf.h>

#include <cstdint>
#include <limits>

namespace waitprof {

namespace {

// The base register and offset of a one-operation "register + offset" expression, as libdw
// gives the CFA of DW_CFA_def_cfa (DW_OP_bregx reg, offset) or an expression DW_OP_bregN.
bool breg(const Dwarf_Op& op, int* reg, int64_t* offset) {
  if (op.atom == DW_OP_bregx) {
    *reg = static_cast<int>(op.number);
    *offset = static_cast<int64_t>(op.number2);
    return true;
  }
  if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
    *reg = op.atom - DW_OP_breg0;
    *offset = static_cast<int64_t>(op.number);
    return true;
  }
  return false;
}

bool fits_s32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// binutils' expression for a PLT stub, whose CFA moves by 8 once the stub pushed its index:
//   DW_OP_breg7 (rsp) N; DW_OP_breg16 (rip) 0; DW_OP_lit15; DW_OP_and; DW_OP_litK; DW_OP_ge;
//   DW_OP_lit3; DW_OP_shl; DW_OP_plus   →   rsp + N + (((rip & 15) >= K) << 3)
// K is 11 for the classic 16-byte entries and 10 in some linkers' variants.
bool plt_expression(const Dwarf_Op* ops, size_t n, int32_t* offset, uint8_t* threshold) {
  if (n != 9) return false;
  int reg = 0;
  int64_t off = 0;
  if (!breg(ops[0], &reg, &off) || reg != kDwarfRegSp || !fits_s32(off)) return false;
  int rip = 0;
  int64_t rip_off = 0;
  if (!breg(ops[1], &rip, &rip_off) || rip != kDwarfRegRa || rip_off != 0) return false;
  if (ops[2].atom != DW_OP_lit15 || ops[3].atom != DW_OP_and) return false;
  if (ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15) return false;
  if (ops[5].atom != DW_OP_ge || ops[6].atom != DW_OP_lit3 || ops[7].atom != DW_OP_shl ||
      ops[8].atom != DW_OP_plus) {
    return false;
  }
  *offset = static_cast<int32_t>(off);
  *threshold = static_cast<uint8_t>(ops[4].atom - DW_OP_lit0);
  return true;
}

// Where a register of the caller is, for the shapes compilers and glibc emit:
//   DW_CFA_offset             → DW_OP_call_frame_cfa [DW_OP_plus_uconst N]  (saved at cfa+N)
//   DW_CFA_expression breg7 N → DW_OP_call_frame_cfa DW_OP_breg7 N          (saved at sp+N)
// (DWARF evaluates a DW_CFA_expression with the CFA pushed first, and libdw says so; the
// result is the top of the stack.) N may be negative: libdw stores it as the unsigned operand
// of DW_OP_plus_uconst.
bool saved_location(const RegisterOps& r, uint8_t* kind, int32_t* offset) {
  if (r.count == 1 && r.ops[0].atom == DW_OP_call_frame_cfa) {
    *kind = WAITPROF_REG_AT_CFA;
    *offset = 0;
    return true;
  }
  if (r.count == 2 && r.ops[0].atom == DW_OP_call_frame_cfa &&
      r.ops[1].atom == DW_OP_plus_uconst) {
    const auto off = static_cast<int64_t>(r.ops[1].number);
    if (!fits_s32(off)) return false;
    *kind = WAITPROF_REG_AT_CFA;
    *offset = static_cast<int32_t>(off);
    return true;
  }
  int reg = 0;
  int64_t off = 0;
  const Dwarf_Op* last = r.count > 0 ? &r.ops[r.count - 1] : nullptr;
  const bool cfa_pushed = r.count == 2 && r.ops[0].atom == DW_OP_call_frame_cfa;
  if ((r.count == 1 || cfa_pushed) && breg(*last, &reg, &off) && reg == kDwarfRegSp &&
      fits_s32(off)) {
    *kind = WAITPROF_REG_AT_SP;
    *offset = static_cast<int32_t>(off);
    return true;
  }
  return false;
}

}  // namespace

std::optional<waitprof_unwind_rule> classify_cfi_row(const Dwarf_Op* cfa, size_t cfa_count,
                                                    RegisterOps ra, RegisterOps bp, bool signal) {
  waitprof_unwind_rule rule{};
  // The return address first: where CFI says it is undefined, this is the outermost frame
  // (glibc marks _start and the new thread's side of clone/clone3 so), whatever the CFA.
  if (ra.count == 0) {
    if (ra.ops == nullptr) return std::nullopt;  // "same value" return address: meaningless
    rule.cfa_kind = WAITPROF_CFA_END;
    rule.ra_kind = WAITPROF_REG_UNDEFINED;
    return rule;
  }
  if (!saved_location(ra, &rule.ra_kind, &rule.ra_offset)) return std::nullopt;

  int reg = 0;
  int64_t off = 0;
  if (cfa_count == 1 && breg(cfa[0], &reg, &off) && fits_s32(off) &&
      (reg == kDwarfRegSp || reg == kDwarfRegBp)) {
    rule.cfa_kind = reg == kDwarfRegSp ? WAITPROF_CFA_SP : WAITPROF_CFA_BP;
    rule.cfa_offset = static_cast<int32_t>(off);
  } else if (cfa_count == 2 && breg(cfa[0], &reg, &off) && reg == kDwarfRegSp && fits_s32(off) &&
             cfa[1].atom == DW_OP_deref) {
    // A signal trampoline: the interrupted context's sp was saved in the ucontext at sp+N.
    rule.cfa_kind = WAITPROF_CFA_DEREF_SP;
    rule.cfa_offset = static_cast<int32_t>(off);
  } else if (plt_expression(cfa, cfa_count, &rule.cfa_offset, &rule.aux)) {
    rule.cfa_kind = WAITPROF_CFA_PLT;
  } else {
    return std::nullopt;
  }
  if (rule.cfa_kind != WAITPROF_CFA_PLT && signal) rule.aux = 1;

  if (bp.count == 0) {
    rule.bp_kind = bp.ops == nullptr ? WAITPROF_REG_SAME : WAITPROF_REG_UNDEFINED;
  } else if (!saved_location(bp, &rule.bp_kind, &rule.bp_offset)) {
    // Saved somewhere the walk cannot follow (another register, an expression): the caller's
    // bp is lost, which only matters if a frame further out computes its CFA from bp.
    rule.bp_kind = WAITPROF_REG_UNDEFINED;
    rule.bp_offset = 0;
  }
  return rule;
}

}  // namespace waitprof
