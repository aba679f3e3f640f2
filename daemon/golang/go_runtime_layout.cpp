#include "golang/go_runtime_layout.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "golang/go_elf.h"

namespace waitprof {

namespace {

struct DwarfCloser {
  void operator()(Dwarf* d) const { dwarf_end(d); }
};

// A struct's member offsets, by name.
using Members = std::map<std::string, std::pair<uint64_t, Dwarf_Die>, std::less<>>;

Members members_of(Dwarf_Die* type) {
  Members members;
  Dwarf_Die child;
  if (dwarf_child(type, &child) != 0) return members;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* name = dwarf_diename(&child);
    Dwarf_Attribute attr;
    Dwarf_Word offset = 0;
    if (!name || !dwarf_attr(&child, DW_AT_data_member_location, &attr) ||
        dwarf_formudata(&attr, &offset) != 0) {
      continue;
    }
    Dwarf_Die member_type{};
    Dwarf_Attribute type_attr;
    // Go names its types by typedefs of the structs (runtime.stack → struct runtime.stack).
    if (dwarf_attr(&child, DW_AT_type, &type_attr) &&
        dwarf_formref_die(&type_attr, &member_type) != nullptr) {
      dwarf_peel_type(&member_type, &member_type);
    }
    members[name] = {offset, member_type};
  } while (dwarf_siblingof(&child, &child) == 0);
  return members;
}

// The top-level structure types named in `names`, from every compilation unit.
std::map<std::string, Dwarf_Die, std::less<>> find_structs(
    Dwarf* dwarf, std::initializer_list<std::string_view> names) {
  std::map<std::string, Dwarf_Die, std::less<>> found;
  Dwarf_Off offset = 0, next = 0;
  size_t header_size = 0;
  while (found.size() < names.size() &&
         dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(dwarf, offset + header_size, &cu) && dwarf_child(&cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_structure_type) continue;
        const char* name = dwarf_diename(&child);
        if (!name) continue;
        for (std::string_view want : names) {
          if (want == name && !found.contains(want)) found[std::string(want)] = child;
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    offset = next;
  }
  return found;
}

std::optional<uint64_t> member(const Members& m, std::string_view name) {
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  return it->second.first;
}

}  // namespace

Result<GoRuntimeLayout> read_go_runtime_layout(const std::string& path) {
  Result<ElfFile> elf = ElfFile::open(path);
  if (!elf) return elf.error();

  GoRuntimeLayout layout;
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf->get(), &ehdr)) return Error{path + ": no ELF header"};
  layout.position_independent = ehdr.e_type == ET_DYN;
  size_t phnum = 0;
  elf_getphdrnum(elf->get(), &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf->get(), static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD) {
      layout.first_load_vaddr = phdr.p_vaddr & ~uint64_t{0xfff};
      break;
    }
  }

  const auto symbols = elf->symbols({"runtime.allgs", "runtime.waitReasonStrings",
                                     "runtime.semtable", "runtime.goexit.abi0", "runtime.goexit"});
  if (!symbols.contains("runtime.allgs")) {
    return Error{path +
                 " has no symbol runtime.allgs (stripped with -ldflags=-s?): its goroutines cannot "
                 "be sampled"};
  }
  layout.allgs = symbols.at("runtime.allgs").value;
  if (auto it = symbols.find("runtime.waitReasonStrings"); it != symbols.end()) {
    layout.wait_reason_strings = it->second.value;
    layout.wait_reason_count = it->second.size / 16;
  }
  // The assembly function: .abi0 where the register ABI wraps it (Go 1.17 on).
  for (const char* name : {"runtime.goexit.abi0", "runtime.goexit"}) {
    if (auto it = symbols.find(name); it != symbols.end() && !layout.goexit) {
      layout.goexit = it->second.value;
      layout.goexit_size = it->second.size;
    }
  }
  if (auto it = symbols.find("runtime.semtable"); it != symbols.end()) {
    layout.semtable = it->second.value;
    layout.semtable_size = it->second.size;
  }

  std::unique_ptr<Dwarf, DwarfCloser> dwarf(dwarf_begin_elf(elf->get(), DWARF_C_READ, nullptr));
  if (!dwarf) {
    return Error{path +
                 " has no DWARF (built with -ldflags=-w?): the offsets of runtime.g are unknown"};
  }
  auto structs = find_structs(dwarf.get(), {"runtime.g", "runtime.sudog", "runtime.semaRoot"});
  if (!structs.contains("runtime.g") || !structs.contains("runtime.sudog")) {
    return Error{path + ": its DWARF describes no runtime.g or runtime.sudog"};
  }
  const Members g = members_of(&structs.at("runtime.g"));
  const Members sudog = members_of(&structs.at("runtime.sudog"));
  auto nested = [&](std::string_view outer) -> Members {
    auto it = g.find(outer);
    if (it == g.end()) return {};
    Dwarf_Die type = it->second.second;
    return members_of(&type);
  };
  const Members sched = nested("sched");
  const Members stack = nested("stack");

  std::string missing;
  auto need = [&](const Members& m, std::string_view name, std::string_view what, uint64_t base,
                  uint64_t& out) {
    if (auto off = member(m, name)) {
      out = base + *off;
    } else {
      missing += missing.empty() ? "" : ", ";
      missing += what;
    }
  };
  const uint64_t sched_at = member(g, "sched").value_or(0);
  const uint64_t stack_at = member(g, "stack").value_or(0);
  need(stack, "hi", "g.stack.hi", stack_at, layout.g_stack_hi);
  need(sched, "sp", "g.sched.sp", sched_at, layout.g_sched_sp);
  need(sched, "pc", "g.sched.pc", sched_at, layout.g_sched_pc);
  need(sched, "bp", "g.sched.bp", sched_at, layout.g_sched_bp);
  need(g, "atomicstatus", "g.atomicstatus", 0, layout.g_atomicstatus);
  need(g, "goid", "g.goid", 0, layout.g_goid);
  need(g, "waitreason", "g.waitreason", 0, layout.g_waitreason);
  need(g, "waiting", "g.waiting", 0, layout.g_waiting);
  need(sudog, "elem", "sudog.elem", 0, layout.sudog_elem);
  if (!missing.empty()) return Error{path + ": its runtime has no " + missing};
  layout.g_tracking_seq = member(g, "trackingSeq").value_or(0);
  // The semaphore treaps: optional (without them a semaphore wait has no address, and the
  // mutex profile cannot tell its lock's unlocks from another's).
  if (auto root = structs.find("runtime.semaRoot"); root != structs.end() && layout.semtable) {
    const Members r = members_of(&root->second);
    auto off = [&](const Members& m, std::string_view name) { return member(m, name); };
    if (auto treap = off(r, "treap"), g_ = off(sudog, "g"), next = off(sudog, "next"),
        prev = off(sudog, "prev"), link = off(sudog, "waitlink");
        treap && g_ && next && prev && link) {
      layout.sema_root_treap = *treap;
      layout.sudog_g = *g_;
      layout.sudog_next = *next;
      layout.sudog_prev = *prev;
      layout.sudog_waitlink = *link;
    } else {
      layout.semtable = 0;
    }
  } else {
    layout.semtable = 0;
  }
  Dwarf_Word size = 0;
  Dwarf_Attribute size_attr;
  if (dwarf_attr(&structs.at("runtime.g"), DW_AT_byte_size, &size_attr)) {
    dwarf_formudata(&size_attr, &size);
  }
  layout.g_size = size;
  return layout;
}

}  // namespace waitprof
