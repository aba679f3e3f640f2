#include "symbolize/tail_calls.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>

#include <cstdlib>
#include <cstring>
#include <optional>

namespace waitprof {

namespace {

// gdb follows no longer chains either (its tailcall search is bounded too); glibc's are one.
constexpr int kMaxTailCalls = 4;

bool code_bytes(Dwfl_Module* mod, uint64_t addr, uint8_t* out, size_t len) {
  Dwarf_Addr offset = addr;
  Dwarf_Addr bias = 0;
  Elf_Scn* scn = dwfl_module_address_section(mod, &offset, &bias);
  if (!scn) return false;
  Elf_Data* data = elf_getdata(scn, nullptr);  // null d_buf for .bss-like sections
  if (!data || !data->d_buf || offset + len > data->d_size) return false;
  std::memcpy(out, static_cast<const uint8_t*>(data->d_buf) + offset, len);
  return true;
}

int32_t rel32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The target of a direct `call rel32` that returns to return_address.
std::optional<uint64_t> call_target(Dwfl_Module* mod, uint64_t return_address) {
  uint8_t insn[5];
  if (!code_bytes(mod, return_address - 5, insn, 5) || insn[0] != 0xe8) return std::nullopt;
  return return_address + static_cast<int64_t>(rel32(insn + 1));
}

// The target of the direct `jmp` (rel32 or rel8) that ends just before return_pc, where a
// tail call site's DW_AT_call_return_pc points.
std::optional<uint64_t> jump_target(Dwfl_Module* mod, uint64_t return_pc) {
  uint8_t insn[5];
  if (code_bytes(mod, return_pc - 5, insn, 5) && insn[0] == 0xe9) {
    return return_pc + static_cast<int64_t>(rel32(insn + 1));
  }
  if (code_bytes(mod, return_pc - 2, insn, 2) && insn[0] == 0xeb) {
    return return_pc + static_cast<int64_t>(static_cast<int8_t>(insn[1]));
  }
  return std::nullopt;
}

struct Function {
  Dwarf_Die die;
  Dwarf_Addr bias = 0;
  uint64_t entry = 0;  // runtime
};

// The out-of-line function whose code addr is in.
std::optional<Function> function_at(Dwfl_Module* mod, const ScopesOf& scopes, uint64_t addr) {
  Function f;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, addr, &f.bias);
  if (!cu) return std::nullopt;
  std::vector<Dwarf_Die> chain = scopes(cu).chain(addr - f.bias);
  if (chain.empty()) return std::nullopt;
  f.die = chain.back();
  Dwarf_Addr entry = 0;
  if (dwarf_entrypc(&f.die, &entry) != 0) {
    // A function split into parts (.cold) has ranges; the first is where it is entered.
    Dwarf_Addr base = 0, start = 0, end = 0;
    if (dwarf_ranges(&f.die, 0, &base, &start, &end) <= 0) return std::nullopt;
    entry = start;
  }
  f.entry = entry + f.bias;
  return f;
}

bool is_tail_call_site(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  bool flag = false;
  if (dwarf_hasattr(die, DW_AT_call_tail_call)) {
    return dwarf_formflag(dwarf_attr(die, DW_AT_call_tail_call, &attr), &flag) == 0 && flag;
  }
  return dwarf_formflag(dwarf_attr(die, DW_AT_GNU_tail_call, &attr), &flag) == 0 && flag;
}

// Where the tail call sites of die's code (its lexical blocks and inlined copies included,
// not nested functions) return to, module-relative.
void collect_tail_sites(Dwarf_Die* die, std::vector<Dwarf_Addr>& out, int depth = 0) {
  Dwarf_Die child;
  if (depth > 32 || dwarf_child(die, &child) != 0) return;
  do {
    const int tag = dwarf_tag(&child);
    if ((tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) && is_tail_call_site(&child)) {
      Dwarf_Attribute attr;
      Dwarf_Addr pc = 0;
      // DWARF 5 says where the call returns to; GCC's GNU extension used low_pc for it.
      if (dwarf_formaddr(dwarf_attr(&child, DW_AT_call_return_pc, &attr), &pc) == 0 ||
          dwarf_lowpc(&child, &pc) == 0) {
        out.push_back(pc);
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      collect_tail_sites(&child, out, depth + 1);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// Every chain of tail calls from function `from` to the function entered at `to`: per chain,
// the runtime return pcs of its jumps, outermost first.
void find_chains(Dwfl_Module* mod, const ScopesOf& scopes, Function from, uint64_t to, std::vector<uint64_t>& path,
                 std::vector<std::vector<uint64_t>>& chains) {
  if (path.size() >= kMaxTailCalls || chains.size() > 1) return;
  std::vector<Dwarf_Addr> sites;
  collect_tail_sites(&from.die, sites);
  for (Dwarf_Addr site : sites) {
    const uint64_t return_pc = site + from.bias;
    std::optional<uint64_t> target = jump_target(mod, return_pc);
    if (!target) continue;
    path.push_back(return_pc);
    if (*target == to) {
      chains.push_back(path);
    } else if (std::optional<Function> next = function_at(mod, scopes, *target);
               next && next->entry == *target && *target != from.entry) {
      find_chains(mod, scopes, *next, to, path, chains);
    }
    path.pop_back();
  }
}

}  // namespace

std::vector<uint64_t> tail_call_frames(Dwfl* dwfl, const ScopesOf& scopes,
                                       uint64_t callee_lookup, uint64_t return_address) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, return_address - 1);
  if (!mod || dwfl_addrmodule(dwfl, callee_lookup) != mod) return {};
  std::optional<uint64_t> called = call_target(mod, return_address);
  if (!called) return {};
  std::optional<Function> callee = function_at(mod, scopes, callee_lookup);
  if (!callee || callee->entry == *called) return {};
  // The decoded call must land on a function's entry: a byte 0xe8 five bytes before a return
  // address can also be the middle of an indirect call's displacement.
  std::optional<Function> first = function_at(mod, scopes, *called);
  if (!first || first->entry != *called) return {};
  std::vector<uint64_t> path;
  std::vector<std::vector<uint64_t>> chains;
  find_chains(mod, scopes, *first, callee->entry, path, chains);
  if (chains.size() != 1) return {};
  return {chains[0].rbegin(), chains[0].rend()};
}

}  // namespace waitprof
