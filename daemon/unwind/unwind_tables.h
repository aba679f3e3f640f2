// The unwind tables the BPF walk reads (bpf/unwind.h), kept current as targets start, fork,
// exec and load libraries: one table per ELF file however many processes map it, one address
// space per distinct set of code mappings (prefork workers share their parent's), and each
// target's tgid pointing at its address space.
//
// Before the BPF maps exist, processes are only remembered and their modules' tables built
// in memory, so capacity() can size the maps for them; attach() then writes everything, and
// later changes are written as they come. Tables stay in memory too (24 bytes a row: 3.6 MB
// for mariadbd), so a reload of the programs can attach to new maps. User space writes through mmap: a module's rows
// and pages, then the module, then the address space, and only then the tgid's entry (a
// syscall) publishes it, so the walk never sees half a table. Nothing written is ever moved;
// an address space no process uses is reused only after a grace period, because a walk on
// another CPU may still be reading it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "symbolize/maps_snapshot.h"
#include "unwind.h"  // bpf/
#include "unwind/module_cfi.h"
#include "util/result.h"

namespace waitprof {

struct UnwindCapacity {
  uint32_t spaces = WAITPROF_UNWIND_SPACES;
  uint32_t modules = WAITPROF_UNWIND_MODULES;
  uint32_t pages = WAITPROF_UNWIND_PAGES;
  uint32_t rows = WAITPROF_UNWIND_ROWS;
  uint32_t rules = WAITPROF_UNWIND_RULES;
};

struct UnwindMapFds {
  int spaces = -1;
  int modules = -1;
  int pages = -1;
  int rows = -1;
  int rules = -1;
  int pids = -1;   // tgid → space (bpf/unwind_pids.bpf.h)
  int epoch = -1;  // bumped at every change of what a walk could find
};

// One ELF file's table, for the summary and the bench.
struct UnwindModuleStats {
  std::string path;
  uint64_t rows = 0;
  uint64_t pages = 0;
  uint64_t table_bytes = 0;  // rows and page index in the BPF maps
  double build_ms = 0;       // reading its CFI through libdw
  bool has_table = false;
  std::string no_table_reason;  // when !has_table: "no .eh_frame or .debug_frame", "rows full"
};

struct UnwindStats {
  std::vector<UnwindModuleStats> modules;  // in the order first seen
  uint32_t rows_used = 0;
  uint32_t pages_used = 0;
  uint32_t rules_used = 0;
  uint32_t spaces_used = 0;
  UnwindCapacity capacity;
  // Processes left to frame pointers because no address space was free, and mappings left
  // out of one that had no room.
  uint64_t processes_without_space = 0;
  uint64_t mappings_left_out = 0;
  double build_ms = 0;  // all modules
};

class UnwindTables {
 public:
  UnwindTables();
  ~UnwindTables();
  UnwindTables(const UnwindTables&) = delete;
  UnwindTables& operator=(const UnwindTables&) = delete;

  // What process `tgid` maps now: builds the tables of files not seen before and points the
  // tgid at the address space for this set of mappings (written at once when attached).
  // Returns whether that gave the BPF walk tables it did not have for tgid (a new address
  // space, or one BPF had dropped at exec).
  bool set_process(pid_t tgid, const MapsSnapshot& maps);
  // A process that exited: its address space may be reused once no other process uses it.
  void forget_process(pid_t tgid);

  // Map sizes for what is known now, with room for what starts later.
  UnwindCapacity capacity() const;
  // Maps the BPF arrays (sized to `capacity`) and writes every table known so far; again
  // from the start when called with new maps.
  Status attach(const UnwindMapFds& fds, const UnwindCapacity& capacity);
  UnwindStats stats() const;

 private:
  struct FileKey {
    uint32_t dev_major = 0;
    uint32_t dev_minor = 0;
    uint64_t inode = 0;
    std::string path;  // the vDSO has no inode: its "path" tells it apart
    bool operator<(const FileKey& o) const {
      return std::tie(dev_major, dev_minor, inode, path) <
             std::tie(o.dev_major, o.dev_minor, o.inode, o.path);
    }
  };
  struct Segment {
    uint64_t offset = 0;  // p_offset
    uint64_t vaddr = 0;   // p_vaddr
    uint64_t filesz = 0;
  };
  struct ModuleEntry {
    uint32_t index = WAITPROF_UNWIND_NO_MODULE;  // in unwind_modules, once written
    uint64_t vaddr_base = 0;                     // ELF vaddr of the table's page 0
    std::vector<Segment> segments;               // executable PT_LOADs, for load biases
    std::unique_ptr<ModuleCfi> cfi;              // null: no table (stats say why)
    size_t stats_index = 0;
  };
  struct SpaceEntry {
    uint32_t index = UINT32_MAX;  // in unwind_spaces, once written
    uint32_t users = 0;
    std::vector<std::pair<MapEntry, FileKey>> mappings;  // executable, by start
  };

  ModuleEntry& module_for(pid_t tgid, const MapEntry& mapping, const FileKey& key);
  void build_module(pid_t tgid, const MapEntry& mapping, ModuleEntry& module);
  bool write_module(ModuleEntry& module);
  uint32_t rule_index(const CfiRow& row);
  bool write_space(SpaceEntry& space);
  void publish(pid_t tgid, const SpaceEntry& space);
  void release(const std::string& space_key);

  std::map<FileKey, ModuleEntry> modules_;
  std::map<std::string, SpaceEntry> spaces_;       // by MapsSnapshot::key (+ vDSO)
  std::unordered_map<pid_t, std::string> pid_space_;
  std::map<std::tuple<int32_t, int32_t, int32_t, uint8_t, uint8_t, uint8_t, uint8_t>, uint32_t>
      rules_;
  std::vector<std::pair<std::chrono::steady_clock::time_point, uint32_t>> freed_spaces_;
  std::vector<uint32_t> space_generations_;  // by space index: bumped at every write
  UnwindStats stats_;

  // The mapped arrays, once attached.
  bool attached_ = false;
  UnwindMapFds fds_;
  struct Mapped {
    void* addr = nullptr;
    size_t bytes = 0;
  };
  Mapped spaces_map_, modules_map_, pages_map_, rows_map_, rules_map_, epoch_map_;
  void unmap();
  void bump_epoch();
  uint32_t spaces_next_ = 0;
  uint32_t modules_used_ = 0;
};

}  // namespace waitprof
