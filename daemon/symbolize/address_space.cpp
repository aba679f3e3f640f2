#include "symbolize/address_space.h"

#include <utility>

#include "symbolize/vdso_image.h"

namespace waitprof {

AddressSpace::AddressSpace(MapsSnapshot maps) : maps_(std::move(maps)) {
  auto session = DwflSession::create(maps_.dwfl_text);
  // Only malformed maps text or memory exhaustion get here; frames then keep their
  // modules and show addresses, which is the most that can be said.
  if (session.ok()) dwfl_ = std::move(session.value());
}

std::shared_ptr<const Module> AddressSpace::module_for(const MapEntry& mapping, uint64_t addr,
                                                       ModuleRegistry& registry) {
  auto it = modules_.find(mapping.start);
  if (it != modules_.end()) return it->second;
  Module m;
  m.path = mapping.path;
  m.start = mapping.start;
  m.limit = mapping.end;
  m.file_offset = mapping.offset;
  if (dwfl_) {
    if (auto facts = dwfl_->module_facts(addr)) {
      m.build_id = facts->build_id;
      m.has_functions = facts->has_symbols;
      // Every address in a module with DWARF is looked up for lines and inline scopes.
      m.has_filenames = m.has_line_numbers = m.has_inline_frames = facts->has_dwarf;
    }
  }
  auto shared = registry.intern(std::move(m));
  modules_.emplace(mapping.start, shared);
  return shared;
}

const ResolvedAddress& AddressSpace::resolve(uint64_t lookup_addr, ModuleRegistry& registry) {
  auto [it, inserted] = resolved_.try_emplace(lookup_addr);
  if (!inserted) return it->second;
  if (maps_.vdso && maps_.vdso->contains(lookup_addr)) {
    it->second = resolve_vdso(lookup_addr, registry);
    return it->second;
  }
  const MapEntry* mapping = maps_.find(lookup_addr);
  if (!mapping) return it->second;
  it->second.module = module_for(*mapping, lookup_addr, registry);
  if (dwfl_) it->second.lines = dwfl_->lines(lookup_addr);
  return it->second;
}

const std::string& AddressSpace::data_symbol(uint64_t addr) {
  auto [it, inserted] = data_symbols_.try_emplace(addr);
  if (inserted && dwfl_) it->second = dwfl_->data_symbol(addr);
  return it->second;
}

const std::vector<uint64_t>& AddressSpace::tail_calls(uint64_t callee_lookup,
                                                     uint64_t return_address) {
  auto [it, inserted] = tail_calls_.try_emplace({callee_lookup, return_address});
  if (inserted && dwfl_ && !(maps_.vdso && maps_.vdso->contains(callee_lookup))) {
    it->second = dwfl_->tail_call_frames(callee_lookup, return_address);
  }
  return it->second;
}

// The vDSO has no file: its names come from our own copy of the same image.
ResolvedAddress AddressSpace::resolve_vdso(uint64_t addr, ModuleRegistry& registry) {
  ResolvedAddress r;
  if (!vdso_module_) {
    Module m;
    m.path = maps_.vdso->path;
    m.start = maps_.vdso->start;
    m.limit = maps_.vdso->end;
    m.has_functions = own_vdso().data != nullptr;
    vdso_module_ = registry.intern(std::move(m));
  }
  r.module = vdso_module_;
  std::string name = vdso_function_at(addr - maps_.vdso->start);
  if (!name.empty()) {
    SourceLine line;
    line.function = name;
    line.system_name = std::move(name);
    r.lines.push_back(std::move(line));
  }
  return r;
}

}  // namespace waitprof
