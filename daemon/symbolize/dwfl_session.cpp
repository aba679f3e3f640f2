#include "symbolize/dwfl_session.h"

#include <algorithm>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "symbolize/demangle.h"
#include "symbolize/tail_calls.h"

namespace waitprof {

namespace {

// dwfl_linux_proc_find_elf opens the path from maps if it is a regular file, and never
// opens "... (deleted)" paths (without an attached pid it cannot read the image from
// memory), so a file replaced at the same path is not mistaken for the one that was mapped.
// A null debuginfo_path means libdwfl's default, ":.debug:/usr/lib/debug".
const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

std::string dwfl_error_text() {
  const char* msg = dwfl_errmsg(-1);
  return msg ? msg : "unknown libdwfl error";
}

// The linkage (mangled) name when DWARF has one, else null; follows
// DW_AT_abstract_origin/DW_AT_specification, as inlined and out-of-line instances carry
// their names only on the abstract definition.
const char* die_linkage_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (!name) name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
  return name;
}

// The DIE that declares die's function where it belongs (a class, a namespace): an inlined
// copy's abstract origin, an out-of-class definition's specification.
Dwarf_Die declaring_die(Dwarf_Die* die) {
  Dwarf_Die decl = *die;
  for (int hop = 0; hop < 4; ++hop) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    Dwarf_Attribute* ref = dwarf_attr(&decl, DW_AT_abstract_origin, &attr);
    if (!ref) ref = dwarf_attr(&decl, DW_AT_specification, &attr);
    if (!ref || !dwarf_formref_die(ref, &next)) break;
    decl = next;
  }
  return decl;
}

// DWARF's name of die's function with the scopes it is declared in, as gdb prints a function
// that has no linkage name: "std::condition_variable::wait<…>", "(anonymous namespace)::level".
std::string scoped_name(Dwarf_Die* die) {
  const char* plain = dwarf_diename(die);
  if (!plain) return {};
  Dwarf_Die decl = declaring_die(die);
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&decl, &scopes);
  std::string name;
  // scopes[0] is decl itself, the last the compile unit.
  for (int i = n - 1; i >= 1; --i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_namespace) {
      const char* ns = dwarf_diename(&scopes[i]);
      name += ns ? ns : "(anonymous namespace)";
      name += "::";
    } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
               tag == DW_TAG_union_type) {
      if (const char* type = dwarf_diename(&scopes[i])) name += std::string(type) + "::";
    }
  }
  std::free(scopes);
  return name + plain;
}

// The linkage name where the compiler gave one, else DWARF's scoped name.
std::string die_system_name(Dwarf_Die* die) {
  if (const char* linkage = die_linkage_name(die)) return linkage;
  return scoped_name(die);
}

// GCC names the parts it splits or specializes a function into "f.cold", "f.constprop.0",
// "f.isra.0", "f.part.0"; a leading '.' or one inside a name that has none of these stays.
std::string_view without_clone_suffix(std::string_view symbol) {
  for (std::string_view suffix : {".cold", ".constprop.", ".isra.", ".part.", ".lto_priv."}) {
    if (size_t at = symbol.find(suffix); at != std::string_view::npos && at > 0) {
      symbol = symbol.substr(0, at);
    }
  }
  return symbol;
}

int64_t decl_line(Dwarf_Die* die) {
  int line = 0;
  return dwarf_decl_line(die, &line) == 0 ? line : 0;
}

SourceLine make_line(const std::string& system_name, const std::string& file, int64_t line,
                     int64_t start_line) {
  SourceLine out;
  if (!system_name.empty()) {
    out.system_name = system_name;
    // A symbol table may name a versioned symbol "pthread_cond_wait@@GLIBC_2.3.2": the
    // function is pthread_cond_wait (system_name keeps the whole).
    std::string_view plain(out.system_name);
    if (size_t at = plain.find('@'); at != std::string_view::npos && at > 0) {
      plain = plain.substr(0, at);
    }
    out.function = demangle(plain);
  }
  out.file = file;
  out.line = line;
  out.start_line = start_line;
  return out;
}

}  // namespace

std::string build_id_hex(const unsigned char* bytes, int len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(len > 0 ? len : 0) * 2);
  for (int i = 0; i < len; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

Result<std::unique_ptr<DwflSession>> DwflSession::create(const std::string& maps_text) {
  Dwfl* dwfl = dwfl_begin(&kCallbacks);
  if (!dwfl) return Error{"starting a libdwfl session: " + dwfl_error_text()};
  std::unique_ptr<DwflSession> session(new DwflSession(dwfl));
  dwfl_report_begin(dwfl);
  if (!maps_text.empty()) {
    // fmemopen does not write through a read-only stream; the cast only satisfies its type.
    FILE* f = fmemopen(const_cast<char*>(maps_text.data()), maps_text.size(), "r");
    if (!f) return errno_error("fmemopen for the maps snapshot");
    const int rc = dwfl_linux_proc_maps_report(dwfl, f);
    (void)std::fclose(f);  // a read-only memory stream has nothing to flush
    if (rc < 0) return Error{"reporting mappings to libdwfl: " + dwfl_error_text()};
    if (rc > 0) return errno_error("reporting mappings to libdwfl", rc);
  }
  if (dwfl_report_end(dwfl, nullptr, nullptr) != 0) {
    return Error{"finishing the libdwfl module report: " + dwfl_error_text()};
  }
  return session;
}

DwflSession::~DwflSession() {
  dwfl_end(dwfl_);
}

std::optional<ModuleFacts> DwflSession::module_facts(uint64_t addr) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, addr);
  if (!mod) return std::nullopt;
  auto [it, inserted] = facts_.try_emplace(mod);
  if (inserted) {
    ModuleFacts& facts = it->second;
    Dwarf_Addr bias = 0;
    // The build id is only known once the main ELF is loaded.
    if (dwfl_module_getelf(mod, &bias)) {
      const unsigned char* bits = nullptr;
      GElf_Addr vaddr = 0;
      const int len = dwfl_module_build_id(mod, &bits, &vaddr);
      if (len > 0) facts.build_id = build_id_hex(bits, len);
      facts.has_symbols = dwfl_module_getsymtab(mod) > 0;
      facts.has_dwarf = dwfl_module_getdwarf(mod, &bias) != nullptr;
    }
  }
  return it->second;
}

const SymbolIndex& DwflSession::symbols(Dwfl_Module* mod) {
  auto it = symbols_.find(mod);
  if (it == symbols_.end()) it = symbols_.emplace(mod, SymbolIndex::of_module(mod)).first;
  return it->second;
}

const CuScopes& DwflSession::scopes(Dwarf_Die* cudie) {
  auto it = cu_scopes_.find(cudie->cu);
  if (it == cu_scopes_.end()) it = cu_scopes_.emplace(cudie->cu, CuScopes(cudie)).first;
  return it->second;
}

Dwarf_Die* DwflSession::cu_die(Dwfl_Module* mod, uint64_t addr, Dwarf_Addr* bias) {
  if (Dwarf_Die* die = dwfl_module_addrdie(mod, addr, bias)) return die;
  Dwarf* dwarf = dwfl_module_getdwarf(mod, bias);
  if (!dwarf) return nullptr;
  auto [it, inserted] = cu_ranges_.try_emplace(mod);
  std::vector<CuRange>& ranges = it->second;
  if (inserted) {
    Dwarf_Off offset = 0, next = 0;
    size_t header = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dwarf, offset + header, &cu)) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        for (ptrdiff_t off = 0; (off = dwarf_ranges(&cu, off, &base, &start, &end)) > 0;) {
          if (end > start) ranges.push_back({start, end, cu});
        }
      }
      offset = next;
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const CuRange& a, const CuRange& b) { return a.low < b.low; });
  }
  const Dwarf_Addr pc = addr - *bias;
  auto above = std::upper_bound(ranges.begin(), ranges.end(), pc,
                                [](Dwarf_Addr a, const CuRange& r) { return a < r.low; });
  if (above == ranges.begin() || pc >= std::prev(above)->high) return nullptr;
  return &std::prev(above)->die;
}

std::vector<uint64_t> DwflSession::tail_call_frames(uint64_t callee_lookup,
                                                    uint64_t return_address) {
  return waitprof::tail_call_frames(
      dwfl_, [this](Dwarf_Die* cudie) -> const CuScopes& { return scopes(cudie); },
      callee_lookup, return_address);
}

namespace {

struct BssSearch {
  uint64_t addr;
  Dwfl_Module* found = nullptr;
};

// Whether addr lies in the module's image as its program headers lay it out: .bss past the
// last file page is anonymous memory in the maps, outside the range the module was reported
// with (MariaDB's thread_cache is there), but its symbols name it all the same.
int module_image_covers(Dwfl_Module* mod, void**, const char*, Dwarf_Addr start, void* arg) {
  auto* search = static_cast<BssSearch*>(arg);
  if (search->addr < start) return DWARF_CB_OK;
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(mod, &bias);
  size_t phnum = 0;
  if (!elf || elf_getphdrnum(elf, &phnum) != 0) return DWARF_CB_OK;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_LOAD) continue;
    const uint64_t lo = phdr.p_vaddr + bias, hi = lo + phdr.p_memsz;
    if (search->addr >= lo && search->addr < hi) {
      search->found = mod;
      return DWARF_CB_ABORT;
    }
  }
  return DWARF_CB_OK;
}

}  // namespace

std::string DwflSession::data_symbol(uint64_t addr) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, addr);
  if (!mod) {
    BssSearch search{addr};
    dwfl_getmodules(dwfl_, module_image_covers, &search, 0);
    mod = search.found;
  }
  if (!mod) return {};
  const SymbolIndex::Symbol* sym = symbols(mod).lookup(addr);
  if (!sym || !sym->name) return {};
  // Demangled as the stacks' names are: a C++ global reads as the source spells it.
  std::string name = demangle(sym->name);
  if (addr > sym->address) name += "+" + std::to_string(addr - sym->address);
  return name;
}

std::vector<SourceLine> DwflSession::lines(uint64_t addr) {
  std::vector<SourceLine> out;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, addr);
  if (!mod) return out;

  const SymbolIndex::Symbol* sym = symbols(mod).lookup(addr);
  const char* symbol = sym ? sym->name : nullptr;

  // Where addr itself is, from the line table: the innermost (possibly inlined) function.
  std::string file;
  int64_t line = 0;
  if (Dwfl_Line* l = dwfl_module_getsrc(mod, addr)) {
    int lineno = 0;
    if (const char* f = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      file = f;
      line = lineno;
    }
  }

  Dwarf_Addr bias = 0;
  if (Dwarf_Die* cudie = cu_die(mod, addr, &bias)) {
    if (line == 0) {
      // The line table of the unit found without aranges.
      if (Dwarf_Line* l = dwarf_getsrc_die(cudie, addr - bias)) {
        int lineno = 0;
        if (const char* f = dwarf_linesrc(l, nullptr, nullptr)) file = f;
        if (dwarf_lineno(l, &lineno) == 0) line = lineno;
      }
    }
    std::vector<Dwarf_Die> chain = scopes(cudie).chain(addr - bias);
    Dwarf_Files* files = nullptr;
    if (!chain.empty() && dwarf_getsrcfiles(cudie, &files, nullptr) != 0) files = nullptr;
    for (Dwarf_Die& scope : chain) {
      Dwarf_Die* die = &scope;
      const int tag = dwarf_tag(die);
      if (tag == DW_TAG_inlined_subroutine) {
        out.push_back(make_line(die_system_name(die), file, line, decl_line(die)));
        // The next frame out is the caller, at the call site of this inlined copy.
        Dwarf_Attribute attr;
        Dwarf_Word value = 0;
        file.clear();
        line = 0;
        if (files && dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &value) == 0) {
          if (const char* f = dwarf_filesrc(files, value, nullptr, nullptr)) file = f;
        }
        if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &value) == 0) {
          line = static_cast<int64_t>(value);
        }
      } else if (tag == DW_TAG_subprogram || tag == DW_TAG_entry_point) {
        // The name gdb prints: DWARF's linkage name where the compiler gave one (C++, and C
        // functions renamed by an asm label, glibc's __GI_ aliases); else a C++ symbol's
        // (an internal function's, which has the same and its parameters), without its
        // clone suffix (.cold, .constprop.0: the function is the same); else DWARF's name in
        // its scopes (C's ___pthread_cond_wait, not the symbol's pthread_cond_wait alias).
        // (The scoped name walks the CU for the DIE's parents: only when it is the answer.)
        std::string name;
        if (const char* linkage = die_linkage_name(die)) {
          name = linkage;
        } else if (symbol && std::string_view(symbol).starts_with("_Z")) {
          name = without_clone_suffix(symbol);
        } else {
          name = scoped_name(die);
        }
        if (name.empty() && symbol) name = symbol;
        out.push_back(make_line(name, file, line, decl_line(die)));
        return out;
      }
    }
  }
  // No DWARF subprogram: the symbol table alone, plus the line table if it covers addr.
  // Inlined entries found above without their enclosing subprogram are kept as they are.
  if (symbol) out.push_back(make_line(symbol, file, line, 0));
  return out;
}

}  // namespace waitprof
