#include "symbolize/kallsyms.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>

namespace waitprof {

namespace {

bool is_text(char type) {
  switch (type) {
    case 'T':
    case 't':
    case 'W':
    case 'w':
      return true;
    default:
      return false;
  }
}

// Several names often share an address (_text/_stext, __x64_sys_foo/__do_sys_foo aliases).
// Like perf, prefer global over weak over local, then fewer leading underscores (the
// public name rather than the implementation alias).
int rank(const KernelSymbol& s) {
  const int binding = s.type == 'T' ? 0 : (s.type == 'W' || s.type == 'w') ? 1 : 2;
  const size_t underscores = std::min<size_t>(s.name.find_first_not_of('_'), 9);
  return binding * 10 + static_cast<int>(underscores);
}

}  // namespace

std::optional<KernelSymbol> parse_kallsyms_line(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  KernelSymbol s;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), s.address, 16);
  if (ec != std::errc() || end == line.data()) return std::nullopt;
  line.remove_prefix(static_cast<size_t>(end - line.data()));
  if (line.size() < 4 || line[0] != ' ' || line[2] != ' ') return std::nullopt;
  s.type = line[1];
  line.remove_prefix(3);
  const size_t tab = line.find('\t');
  s.name = std::string(line.substr(0, tab));
  if (s.name.empty() || s.name.find(' ') != std::string::npos) return std::nullopt;
  if (tab != std::string_view::npos) {
    std::string_view mod = line.substr(tab + 1);
    if (mod.size() < 2 || mod.front() != '[' || mod.back() != ']') return std::nullopt;
    s.module = std::string(mod.substr(1, mod.size() - 2));
  }
  return s;
}

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols table;
  bool any_nonzero = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    auto sym = parse_kallsyms_line(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!sym || !is_text(sym->type)) continue;
    any_nonzero |= sym->address != 0;
    table.symbols_.push_back(std::move(*sym));
  }
  if (!any_nonzero) {
    table.symbols_.clear();
    return table;
  }
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const KernelSymbol& a, const KernelSymbol& b) {
                     return a.address != b.address ? a.address < b.address : rank(a) < rank(b);
                   });
  // stable_sort put the preferred name first at each address.
  table.symbols_.erase(std::unique(table.symbols_.begin(), table.symbols_.end(),
                                   [](const KernelSymbol& a, const KernelSymbol& b) {
                                     return a.address == b.address;
                                   }),
                       table.symbols_.end());
  table.symbols_.shrink_to_fit();
  return table;
}

const KernelSymbol* KernelSymbols::lookup(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  return &*std::prev(it);
}

Result<std::string> read_kallsyms(const std::string& path) {
  std::ifstream in(path);
  if (!in) return errno_error("reading " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return errno_error("reading " + path);
  return text;
}

}  // namespace waitprof
