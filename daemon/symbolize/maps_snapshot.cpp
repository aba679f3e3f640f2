#include "symbolize/maps_snapshot.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace waitprof {

namespace {

template <typename T>
bool take_number(std::string_view& s, T& out, int base) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  if (ec != std::errc() || end == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

bool same_file(const MapEntry& a, const MapEntry& b) {
  return a.inode == b.inode && a.dev_major == b.dev_major && a.dev_minor == b.dev_minor &&
         a.path == b.path;
}

}  // namespace

std::optional<MapEntry> parse_maps_line(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  MapEntry e;
  if (!take_number(line, e.start, 16) || !take_char(line, '-') || !take_number(line, e.end, 16) ||
      !take_char(line, ' ') || e.end < e.start) {
    return std::nullopt;
  }
  if (line.size() < 5 || line[4] != ' ') return std::nullopt;
  e.writable = line[1] == 'w';
  e.executable = line[2] == 'x';
  line.remove_prefix(5);
  if (!take_number(line, e.offset, 16) || !take_char(line, ' ') ||
      !take_number(line, e.dev_major, 16) || !take_char(line, ':') ||
      !take_number(line, e.dev_minor, 16) || !take_char(line, ' ') ||
      !take_number(line, e.inode, 10)) {
    return std::nullopt;
  }
  if (!line.empty() && line.front() != ' ' && line.front() != '\t') return std::nullopt;
  // The kernel pads to align the path column; the path itself runs to the end of the line.
  const size_t path_start = line.find_first_not_of(" \t");
  if (path_start != std::string_view::npos) e.path = std::string(line.substr(path_start));
  return e;
}

const MapEntry* MapsSnapshot::find(uint64_t addr) const {
  auto it = std::upper_bound(entries.begin(), entries.end(), addr,
                             [](uint64_t a, const MapEntry& e) { return a < e.start; });
  if (it == entries.begin()) return nullptr;
  --it;
  return it->contains(addr) ? &*it : nullptr;
}

MapsSnapshot make_maps_snapshot(std::string_view maps_text) {
  struct Line {
    MapEntry entry;
    std::string_view text;
  };
  std::vector<Line> all;
  std::vector<size_t> files;  // indexes into all of the file-backed lines
  std::optional<MapEntry> vdso;
  while (!maps_text.empty()) {
    const size_t nl = maps_text.find('\n');
    const std::string_view text = maps_text.substr(0, nl);
    maps_text.remove_prefix(nl == std::string_view::npos ? maps_text.size() : nl + 1);
    auto entry = parse_maps_line(text);
    if (!entry) continue;
    if (entry->path == "[vdso]") vdso = *entry;
    if (entry->file_backed()) files.push_back(all.size());
    all.push_back(Line{std::move(*entry), text});
  }

  MapsSnapshot snap;
  snap.vdso = std::move(vdso);
  auto keep = [&snap](MapEntry e, std::string_view text) {
    snap.dwfl_text.append(text).push_back('\n');
    if (e.executable) {
      char range[128];
      (void)std::snprintf(range, sizeof(range),
                          "%" PRIx64 "-%" PRIx64 " %" PRIx64 " %x:%x %" PRIu64 " ", e.start, e.end,
                          e.offset, e.dev_major, e.dev_minor, e.inode);
      snap.key.append(range).append(e.path).push_back('\n');
    }
    snap.entries.push_back(std::move(e));
  };
  // Consecutive file-backed lines of one file are one module to libdwfl; keep whole groups
  // that hold code, drop data-only files (locale archives, mmapped logs) that differ per
  // process.
  for (size_t begin = 0; begin < files.size();) {
    const MapEntry& first = all[files[begin]].entry;
    size_t end = begin + 1;
    while (end < files.size() && same_file(all[files[end]].entry, first)) ++end;
    const bool has_code = std::any_of(files.begin() + static_cast<ptrdiff_t>(begin),
                                      files.begin() + static_cast<ptrdiff_t>(end),
                                      [&all](size_t i) { return all[i].entry.executable; });
    if (has_code) {
      for (size_t i = begin; i < end; ++i) keep(all[files[i]].entry, all[files[i]].text);
      // The loader maps .bss past the data segment's last file page as anonymous memory
      // right after it. Globals there (a contended mutex) are looked up by address too, so
      // the file's module extends over it, as if the data segment's file offsets went on.
      const size_t last = files[end - 1];
      const MapEntry& data = all[last].entry;
      if (last + 1 < all.size() && data.writable) {
        const MapEntry& next = all[last + 1].entry;
        if (next.path.empty() && next.inode == 0 && next.start == data.end && next.writable) {
          MapEntry bss = data;
          bss.start = next.start;
          bss.end = next.end;
          bss.offset = data.offset + (data.end - data.start);
          char line[128];
          (void)std::snprintf(line, sizeof(line),
                              "%" PRIx64 "-%" PRIx64 " rw-p %08" PRIx64 " %02x:%02x %" PRIu64 " ",
                              bss.start, bss.end, bss.offset, bss.dev_major, bss.dev_minor,
                              bss.inode);
          const std::string text = line + bss.path;
          keep(std::move(bss), text);
        }
      }
    }
    begin = end;
  }
  // The kernel lists maps in address order already; sorting keeps find() correct on any text.
  std::stable_sort(snap.entries.begin(), snap.entries.end(),
                   [](const MapEntry& a, const MapEntry& b) { return a.start < b.start; });
  return snap;
}

Result<std::string> read_maps(pid_t pid, const std::string& proc_root) {
  const std::string path = proc_root + "/" + std::to_string(pid) + "/maps";
  std::ifstream in(path);
  if (!in) return errno_error("reading " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return errno_error("reading " + path);
  // Zombies and kernel threads have empty maps: nothing to resolve with, so the caller can
  // fall back (a fork child to its parent's snapshot).
  if (text.empty()) return Error{"reading " + path + ": no mappings (exited or kernel thread)"};
  return text;
}

}  // namespace waitprof
