#include "symbolize/symbolizer.h"

#include <cinttypes>
#include <cstdio>
#include <limits>
#include <string>
#include <unordered_map>

#include "symbolize/address_space.h"
#include "symbolize/kallsyms.h"
#include "symbolize/kernel_build_id.h"
#include "symbolize/maps_snapshot.h"
#include "symbolize/module_registry.h"

namespace waitprof {

namespace {

// A return address points after the call; the call itself (and its line, and the inline
// frames around it) is one byte earlier. The sampled IP is where execution actually was.
uint64_t lookup_address(size_t index, uint64_t addr) {
  return index == 0 || addr == 0 ? addr : addr - 1;
}

// A frame in a module that names nothing there (a stripped library's local function): named
// as the module and the offset in its file, "libstdc++.so.6+0xd44a3", which a user can look up
// with addr2line or a debug file later; never a bare address.
SourceLine module_offset_line(const Module& module, uint64_t addr) {
  std::string file = module.path;
  if (size_t slash = file.rfind('/'); slash != std::string::npos) file.erase(0, slash + 1);
  char offset[32];
  snprintf(offset, sizeof(offset), "+0x%" PRIx64, addr - module.start + module.file_offset);
  SourceLine line;
  line.function = file + offset;
  line.system_name = line.function;
  return line;
}

}  // namespace

struct Symbolizer::Impl {
  ModuleRegistry modules;
  // Keyed by MapsSnapshot::key: one session per distinct set of code mappings.
  std::unordered_map<std::string, std::shared_ptr<AddressSpace>> spaces;
  // Null for a pid whose maps could not be read, so it is not retried for every stack.
  std::unordered_map<pid_t, std::shared_ptr<AddressSpace>> by_pid;

  bool kernel_loaded = false;
  KernelSymbols kernel_symbols;
  std::shared_ptr<const Module> kernel_module;

  Status remember(pid_t pid) {
    auto text = read_maps(pid);
    if (!text.ok()) return text.error();
    remember(pid, make_maps_snapshot(*text));
    return Status::ok_status();
  }

  void remember(pid_t pid, const MapsSnapshot& snap) {
    std::shared_ptr<AddressSpace>& space = spaces[snap.key];
    if (!space) space = std::make_shared<AddressSpace>(snap);
    by_pid[pid] = space;
  }

  void load_kernel() {
    kernel_loaded = true;
    auto text = read_kallsyms();
    if (!text.ok()) return;
    kernel_symbols = KernelSymbols::parse(*text);
    if (kernel_symbols.empty()) return;
    Module m;
    m.path = "[kernel.kallsyms]";
    m.build_id = running_kernel_build_id();
    m.start = kernel_symbols.lowest_address();
    // Kernel text, modules and BPF programs all live up to the top of the address space.
    m.limit = std::numeric_limits<uint64_t>::max();
    m.has_functions = true;
    kernel_module = modules.intern(std::move(m));
  }
};

Symbolizer::Symbolizer() : impl_(std::make_unique<Impl>()) {}
Symbolizer::~Symbolizer() = default;

Status Symbolizer::remember(pid_t pid) {
  return impl_->remember(pid);
}

void Symbolizer::remember(pid_t pid, const MapsSnapshot& maps) {
  impl_->remember(pid, maps);
}

void Symbolizer::inherit(pid_t child, pid_t parent) {
  auto it = impl_->by_pid.find(parent);
  if (it == impl_->by_pid.end() || !it->second) {
    if (!impl_->remember(parent).ok()) return;
    it = impl_->by_pid.find(parent);
  }
  std::shared_ptr<AddressSpace> space = it->second;
  impl_->by_pid[child] = std::move(space);
}

AddressSpace* Symbolizer::space_of(pid_t pid) {
  auto it = impl_->by_pid.find(pid);
  if (it == impl_->by_pid.end()) {
    if (!impl_->remember(pid).ok()) impl_->by_pid[pid] = nullptr;
    it = impl_->by_pid.find(pid);
  }
  return it->second.get();
}

std::string Symbolizer::data_symbol(pid_t pid, uint64_t addr) {
  AddressSpace* space = space_of(pid);
  return space ? space->data_symbol(addr) : std::string();
}

std::vector<Frame> Symbolizer::user_stack(pid_t pid, std::span<const uint64_t> addrs) {
  AddressSpace* space = space_of(pid);
  std::vector<Frame> frames;
  frames.reserve(addrs.size());
  auto add = [&](uint64_t addr, uint64_t lookup) {
    Frame& f = frames.emplace_back();
    f.address = addr;
    if (!space) return;
    const ResolvedAddress& r = space->resolve(lookup, impl_->modules);
    f.module = r.module;
    f.lines = r.lines;
    if (f.lines.empty() && r.module) f.lines.push_back(module_offset_line(*r.module, addr));
  };
  for (size_t i = 0; i < addrs.size(); ++i) {
    add(addrs[i], lookup_address(i, addrs[i]));
    // The functions a tail call left no frame of, between this frame and its caller's.
    if (space && i + 1 < addrs.size() && frames.back().module) {
      for (uint64_t ra : space->tail_calls(lookup_address(i, addrs[i]), addrs[i + 1])) {
        add(ra, ra - 1);
      }
    }
  }
  return frames;
}

std::vector<Frame> Symbolizer::kernel_stack(std::span<const uint64_t> addrs) {
  if (!impl_->kernel_loaded) impl_->load_kernel();
  std::vector<Frame> frames(addrs.size());
  for (size_t i = 0; i < addrs.size(); ++i) {
    frames[i].address = addrs[i];
    const KernelSymbol* sym = impl_->kernel_symbols.lookup(lookup_address(i, addrs[i]));
    if (!sym) continue;
    frames[i].module = impl_->kernel_module;
    SourceLine line;
    line.function = sym->name;
    line.system_name = sym->name;
    frames[i].lines.push_back(std::move(line));
  }
  return frames;
}

void Symbolizer::forget(pid_t pid) {
  auto it = impl_->by_pid.find(pid);
  if (it == impl_->by_pid.end()) return;
  std::shared_ptr<AddressSpace> space = std::move(it->second);
  impl_->by_pid.erase(it);
  // Held by the spaces table and `space`: nobody else uses it.
  if (space && space.use_count() == 2) {
    for (auto s = impl_->spaces.begin(); s != impl_->spaces.end(); ++s) {
      if (s->second == space) {
        impl_->spaces.erase(s);
        break;
      }
    }
  }
}

size_t Symbolizer::session_count() const {
  return impl_->spaces.size();
}

}  // namespace waitprof
