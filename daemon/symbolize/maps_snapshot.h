// What of /proc/PID/maps a process's stacks need once it is gone: the file-backed images
// that hold code. Parsing is pure so it can be tested on text; reading is separate.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waitprof {

// One /proc/PID/maps line.
struct MapEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  bool writable = false;
  bool executable = false;
  uint64_t offset = 0;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  uint64_t inode = 0;
  std::string path;  // as the kernel prints it: may hold spaces, "[heap]", " (deleted)"

  // The rule libdwfl's maps reader uses, so what we keep is what it reports.
  bool file_backed() const {
    return !path.empty() && path[0] == '/' && !(inode == 0 && dev_major == 0 && dev_minor == 0);
  }
  bool deleted() const { return std::string_view(path).ends_with(" (deleted)"); }
  bool contains(uint64_t addr) const { return addr >= start && addr < end; }
};

// Empty for lines that are not "start-end perms offset maj:min inode [path]".
std::optional<MapEntry> parse_maps_line(std::string_view line);

struct MapsSnapshot {
  // File-backed entries of every file that has an executable mapping, in address order.
  // Non-executable segments of those files stay: libdwfl computes a module's load bias from
  // its first segment (file offset 0), which is read-only. The anonymous .bss right after a
  // file's data segment is included under the file's name (offset continuing the data
  // segment's), so global variables there resolve to their symbols.
  std::vector<MapEntry> entries;
  // The same entries as /proc/PID/maps lines, for dwfl_linux_proc_maps_report.
  std::string dwfl_text;
  // Identity of the code images: executable mappings (start, end, offset, path, and the
  // file's device and inode, so another file at the same path in another mount namespace
  // or after an upgrade is not taken for this one). Equal keys resolve every code address
  // identically, whatever heap, stacks or data files differ.
  std::string key;
  // The kernel's vDSO ("[vdso]"): code without a file, the same image in every process.
  std::optional<MapEntry> vdso;

  // The entry covering addr, or null.
  const MapEntry* find(uint64_t addr) const;
};

MapsSnapshot make_maps_snapshot(std::string_view maps_text);

// The text of /proc/PID/maps (proc_root lets tests point elsewhere).
Result<std::string> read_maps(pid_t pid, const std::string& proc_root = "/proc");

}  // namespace waitprof
