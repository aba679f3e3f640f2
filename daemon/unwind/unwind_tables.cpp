#include "unwind/unwind_tables.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "symbolize/vdso_image.h"
#include "util/unique_fd.h"

namespace waitprof {

namespace {

using Clock = std::chrono::steady_clock;

// A walk on another CPU reads an address space for well under a millisecond; one whose
// last process exited is rewritten for another only after this long.
constexpr auto kSpaceReuseGrace = std::chrono::seconds(1);
constexpr uint64_t kPage = uint64_t{1} << WAITPROF_UNWIND_PAGE_BITS;
constexpr const char* kVdsoPath = "[vdso]";

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The BPF array's values as mapped: each value's size rounded up to 8 (every value type here
// is a multiple of 8 already, so the structs index the mapping directly), the whole to pages.
size_t mapped_bytes(size_t value_size, uint32_t entries) {
  const size_t elem = (value_size + 7) & ~size_t{7};
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (elem * entries + page - 1) / page * page;
}

template <typename T>
T* at(void* base, uint32_t index) {
  return static_cast<T*>(base) + index;
}

}  // namespace

UnwindTables::UnwindTables() {
  elf_version(EV_CURRENT);
  // Rule 0 is "no CFI here" (bpf/unwind.h): the all-zero rule, whose kind is WAITPROF_CFA_NONE.
  rules_[{0, 0, 0, 0, 0, 0, 0}] = WAITPROF_UNWIND_RULE_NONE;
}

UnwindTables::~UnwindTables() {
  unmap();
}

void UnwindTables::unmap() {
  for (Mapped* m :
       {&spaces_map_, &modules_map_, &pages_map_, &rows_map_, &rules_map_, &epoch_map_}) {
    if (m->addr) munmap(m->addr, m->bytes);
    *m = {};
  }
}

void UnwindTables::build_module(pid_t tgid, const MapEntry& mapping, ModuleEntry& module) {
  const auto start = Clock::now();
  UnwindModuleStats st;
  st.path = mapping.path;
  Elf* elf = nullptr;
  UniqueFd fd;
  if (mapping.path == kVdsoPath) {
    const VdsoImage& vdso = own_vdso();
    if (vdso.data) {
      // elf_memory only reads the image (ELF_C_READ_MMAP semantics are not asked for).
      elf = elf_memory(static_cast<char*>(const_cast<void*>(vdso.data)), vdso.size);
    }
  } else {
    // map_files names exactly the file the process mapped, even where the path now holds
    // another one, is deleted, or lies in another mount namespace.
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, tgid, mapping.start,
             mapping.end);
    fd.reset(open(path, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) fd.reset(open(mapping.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.valid()) elf = elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr);
  }
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    st.no_table_reason = "not readable as ELF";
  } else {
    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) == 0) {
      for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD &&
            (ph.p_flags & PF_X)) {
          module.segments.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz});
        }
      }
    }
    Result<ModuleCfi> cfi = read_module_cfi(elf);
    if (!cfi) {
      st.no_table_reason = cfi.error().message;
    } else if (cfi->rows.empty()) {
      st.no_table_reason = "no .eh_frame or .debug_frame";
    } else if (module.segments.empty()) {
      st.no_table_reason = "no executable segment";
    } else {
      module.vaddr_base = cfi->rows.front().vaddr & ~(kPage - 1);
      st.rows = cfi->rows.size();
      st.pages = ((cfi->rows.back().vaddr - module.vaddr_base) >> WAITPROF_UNWIND_PAGE_BITS) + 1;
      module.cfi = std::make_unique<ModuleCfi>(std::move(*cfi));
    }
  }
  if (elf) elf_end(elf);
  st.build_ms = ms_since(start);
  stats_.build_ms += st.build_ms;
  module.stats_index = stats_.modules.size();
  stats_.modules.push_back(std::move(st));
}

UnwindTables::ModuleEntry& UnwindTables::module_for(pid_t tgid, const MapEntry& mapping,
                                                    const FileKey& key) {
  auto [it, inserted] = modules_.try_emplace(key);
  if (inserted) build_module(tgid, mapping, it->second);
  return it->second;
}

uint32_t UnwindTables::rule_index(const CfiRow& row) {
  if (!row.covered) return WAITPROF_UNWIND_RULE_NONE;
  const waitprof_unwind_rule& r = row.rule;
  auto key = std::make_tuple(r.cfa_offset, r.ra_offset, r.bp_offset, r.cfa_kind, r.ra_kind,
                             r.bp_kind, r.aux);
  auto it = rules_.find(key);
  if (it != rules_.end()) return it->second;
  const auto index = static_cast<uint32_t>(rules_.size());
  // Out of rules: this row's frames are unwound by frame pointers (rules are a few hundred
  // in practice; the map holds thousands).
  if (index >= stats_.capacity.rules) return WAITPROF_UNWIND_RULE_NONE;
  *at<waitprof_unwind_rule>(rules_map_.addr, index) = r;
  rules_.emplace(key, index);
  stats_.rules_used = index + 1;
  return index;
}

bool UnwindTables::write_module(ModuleEntry& module) {
  if (module.index != WAITPROF_UNWIND_NO_MODULE) return true;
  if (!module.cfi) return false;
  const ModuleCfi* cfi = module.cfi.get();
  UnwindModuleStats& st = stats_.modules[module.stats_index];
  const auto rows = static_cast<uint32_t>(cfi->rows.size());
  const auto pages = static_cast<uint32_t>(st.pages);
  const UnwindCapacity& cap = stats_.capacity;
  if (modules_used_ >= cap.modules || rows > cap.rows - stats_.rows_used ||
      pages > cap.pages - stats_.pages_used) {
    st.no_table_reason = "the unwind tables are full";
    return false;
  }
  const uint32_t row_first = stats_.rows_used;
  auto* row_out = at<waitprof_unwind_row>(rows_map_.addr, row_first);
  for (uint32_t i = 0; i < rows; ++i) {
    row_out[i].pc = static_cast<uint32_t>(cfi->rows[i].vaddr - module.vaddr_base);
    row_out[i].rule = rule_index(cfi->rows[i]);
  }
  // Page p's rows: from the one in force at its first byte (the module's first row before
  // any) to the one in force at the next page's.
  const uint32_t page_first = stats_.pages_used;
  auto* page_out = at<waitprof_unwind_page>(pages_map_.addr, page_first);
  uint32_t row = 0;
  for (uint32_t p = 0; p <= pages; ++p) {
    const uint64_t page_start = uint64_t{p} << WAITPROF_UNWIND_PAGE_BITS;
    while (row + 1 < rows && row_out[row + 1].pc <= page_start) ++row;
    if (p < pages) page_out[p].first = row_first + row;
    if (p > 0) page_out[p - 1].last = row_first + row;
  }
  module.index = modules_used_++;
  *at<waitprof_unwind_module>(modules_map_.addr, module.index) = {row_first, rows, page_first,
                                                                 pages};
  stats_.rows_used += rows;
  stats_.pages_used += pages;
  st.has_table = true;
  st.table_bytes = uint64_t{rows} * sizeof(waitprof_unwind_row) +
                   uint64_t{pages} * sizeof(waitprof_unwind_page);
  return true;
}

bool UnwindTables::write_space(SpaceEntry& space) {
  if (space.index != UINT32_MAX) return true;
  uint32_t index = UINT32_MAX;
  const auto now = Clock::now();
  if (!freed_spaces_.empty() && now - freed_spaces_.front().first >= kSpaceReuseGrace) {
    index = freed_spaces_.front().second;
    freed_spaces_.erase(freed_spaces_.begin());
  } else if (spaces_next_ < stats_.capacity.spaces) {
    index = spaces_next_++;
    stats_.spaces_used = spaces_next_;
  } else {
    return false;
  }
  waitprof_unwind_space out{};
  if (space_generations_.size() <= index) space_generations_.resize(index + 1);
  out.generation = ++space_generations_[index];
  for (const auto& [mapping, key] : space.mappings) {
    if (out.count == WAITPROF_UNWIND_MAX_MAPPINGS) {
      ++stats_.mappings_left_out;
      continue;
    }
    waitprof_unwind_mapping& m = out.mappings[out.count++];
    m.start = mapping.start;
    m.end = mapping.end;
    m.module = WAITPROF_UNWIND_NO_MODULE;
    ModuleEntry& module = modules_.at(key);
    if (!write_module(module)) continue;
    // The segment this mapping shows: the runtime address of file offset X in it is
    // load_bias + p_vaddr + (X - p_offset), and the mapping starts at file offset `offset`.
    for (const Segment& seg : module.segments) {
      if (mapping.path != kVdsoPath &&
          (mapping.offset < (seg.offset & ~(kPage - 1)) || mapping.offset >= seg.offset + seg.filesz))
        continue;
      const uint64_t load_bias = mapping.start - (mapping.path == kVdsoPath ? seg.vaddr & ~(kPage - 1)
                                                   : seg.vaddr + mapping.offset - seg.offset);
      m.bias = load_bias + module.vaddr_base;
      m.module = module.index;
      break;
    }
  }
  std::memcpy(at<waitprof_unwind_space>(spaces_map_.addr, index), &out, sizeof(out));
  space.index = index;
  return true;
}

void UnwindTables::publish(pid_t tgid, const SpaceEntry& space) {
  const auto key = static_cast<uint32_t>(tgid);
  // Everything the entry points at is written before the entry itself.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (space.index == UINT32_MAX) {
    ++stats_.processes_without_space;
    (void)bpf_map_delete_elem(fds_.pids, &key);
    bump_epoch();
    return;
  }
  (void)bpf_map_update_elem(fds_.pids, &key, &space.index, BPF_ANY);
  bump_epoch();
}

// Memoized stacks (waitprof_stack_memo) are reused only within the epoch they were walked in.
void UnwindTables::bump_epoch() {
  if (auto* epoch = static_cast<uint64_t*>(epoch_map_.addr)) {
    __atomic_fetch_add(epoch, 1, __ATOMIC_SEQ_CST);
  }
}

bool UnwindTables::set_process(pid_t tgid, const MapsSnapshot& maps) {
  std::string space_key = maps.key;
  if (maps.vdso) space_key += "vdso " + std::to_string(maps.vdso->start) + "\n";
  auto old = pid_space_.find(tgid);
  if (old != pid_space_.end() && old->second == space_key) {
    // Same mappings as before; BPF may have dropped the entry at an exec that changed none.
    if (!attached_) return false;
    const auto key = static_cast<uint32_t>(tgid);
    uint32_t current = 0;
    const bool had = bpf_map_lookup_elem(fds_.pids, &key, &current) == 0;
    publish(tgid, spaces_.at(space_key));
    return !had;
  }
  if (old != pid_space_.end()) release(old->second);

  auto [it, inserted] = spaces_.try_emplace(space_key);
  SpaceEntry& space = it->second;
  if (inserted) {
    std::vector<MapEntry> code;
    for (const MapEntry& e : maps.entries) {
      if (e.executable) code.push_back(e);
    }
    if (maps.vdso) code.push_back(*maps.vdso);
    std::sort(code.begin(), code.end(),
              [](const MapEntry& a, const MapEntry& b) { return a.start < b.start; });
    for (const MapEntry& e : code) {
      FileKey key{e.dev_major, e.dev_minor, e.inode, e.path};
      module_for(tgid, e, key);
      space.mappings.emplace_back(e, std::move(key));
    }
  }
  ++space.users;
  pid_space_[tgid] = space_key;
  if (!attached_) return false;
  write_space(space);
  publish(tgid, space);
  return true;
}

void UnwindTables::release(const std::string& space_key) {
  auto it = spaces_.find(space_key);
  if (it == spaces_.end() || --it->second.users > 0) return;
  if (it->second.index != UINT32_MAX) freed_spaces_.emplace_back(Clock::now(), it->second.index);
  spaces_.erase(it);
}

void UnwindTables::forget_process(pid_t tgid) {
  auto it = pid_space_.find(tgid);
  if (it == pid_space_.end()) return;
  release(it->second);
  pid_space_.erase(it);
}

UnwindCapacity UnwindTables::capacity() const {
  uint64_t rows = 0;
  uint64_t pages = 0;
  for (const auto& [key, module] : modules_) {
    if (!module.cfi) continue;
    rows += module.cfi->rows.size();
    pages += stats_.modules[module.stats_index].pages;
  }
  // Twice what the targets map now, at least the defaults: room for what they exec and load.
  auto with_room = [](uint64_t known, uint32_t least) {
    return static_cast<uint32_t>(std::max<uint64_t>(least, 2 * known));
  };
  UnwindCapacity cap;
  cap.rows = with_room(rows, WAITPROF_UNWIND_ROWS);
  cap.pages = with_room(pages, WAITPROF_UNWIND_PAGES);
  cap.modules = with_room(modules_.size(), WAITPROF_UNWIND_MODULES);
  cap.spaces = with_room(spaces_.size(), WAITPROF_UNWIND_SPACES);
  cap.rules = WAITPROF_UNWIND_RULES;
  return cap;
}

Status UnwindTables::attach(const UnwindMapFds& fds, const UnwindCapacity& capacity) {
  // Anything written into earlier maps is written again into these.
  unmap();
  attached_ = false;
  for (auto& [key, module] : modules_) module.index = WAITPROF_UNWIND_NO_MODULE;
  for (auto& [key, space] : spaces_) space.index = UINT32_MAX;
  for (UnwindModuleStats& st : stats_.modules) {
    if (st.has_table) st.no_table_reason.clear();
    st.has_table = false;
    st.table_bytes = 0;
  }
  rules_.clear();
  rules_[{0, 0, 0, 0, 0, 0, 0}] = WAITPROF_UNWIND_RULE_NONE;
  freed_spaces_.clear();
  spaces_next_ = 0;
  modules_used_ = 0;
  stats_.rows_used = stats_.pages_used = stats_.spaces_used = 0;
  stats_.processes_without_space = stats_.mappings_left_out = 0;
  fds_ = fds;
  stats_.capacity = capacity;
  stats_.rules_used = 1;  // rule 0, the all-zero "no CFI" rule the kernel zeroed for us
  struct Target {
    Mapped* out;
    int fd;
    size_t value_size;
    uint32_t entries;
    const char* name;
  };
  const Target targets[] = {
      {&spaces_map_, fds.spaces, sizeof(waitprof_unwind_space), capacity.spaces, "unwind_spaces"},
      {&modules_map_, fds.modules, sizeof(waitprof_unwind_module), capacity.modules,
       "unwind_modules"},
      {&pages_map_, fds.pages, sizeof(waitprof_unwind_page), capacity.pages, "unwind_pages"},
      {&rows_map_, fds.rows, sizeof(waitprof_unwind_row), capacity.rows, "unwind_rows"},
      {&rules_map_, fds.rules, sizeof(waitprof_unwind_rule), capacity.rules, "unwind_rules"},
      {&epoch_map_, fds.epoch, sizeof(uint64_t), 1, "unwind_epoch"},
  };
  for (const Target& t : targets) {
    t.out->bytes = mapped_bytes(t.value_size, t.entries);
    void* addr = mmap(nullptr, t.out->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, t.fd, 0);
    if (addr == MAP_FAILED) return errno_error(std::string("mapping the BPF map ") + t.name);
    t.out->addr = addr;
  }
  attached_ = true;
  for (auto& [tgid, key] : pid_space_) {
    SpaceEntry& space = spaces_.at(key);
    write_space(space);
    publish(tgid, space);
  }
  return {};
}

UnwindStats UnwindTables::stats() const {
  return stats_;
}

}  // namespace waitprof
