#include "symbolize/cu_scopes.h"

#include <dwarf.h>

#include <algorithm>

namespace waitprof {

namespace {

// The scopes libdw's own scope walk can find a pc in (libdw_visit_scopes.c's "match").
bool may_hold_pc(int tag) {
  switch (tag) {
    case DW_TAG_lexical_block:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_subprogram:
    case DW_TAG_entry_point:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
      return true;
    default:
      return false;
  }
}

}  // namespace

CuScopes::CuScopes(Dwarf_Die* cudie) {
  struct Collector {
    std::vector<Range>* ranges;
    static int add(Dwarf_Die* func, void* arg) {
      auto* self = static_cast<Collector*>(arg);
      Dwarf_Addr base = 0, start = 0, end = 0;
      // Abstract definitions of inline functions have no ranges and are skipped here; their
      // inlined instances are found under the functions they were inlined into.
      for (ptrdiff_t off = 0; (off = dwarf_ranges(func, off, &base, &start, &end)) > 0;) {
        if (end > start) self->ranges->push_back(Range{start, end, *func});
      }
      return DWARF_CB_OK;
    }
  };
  Collector collector{&ranges_};
  dwarf_getfuncs(cudie, &Collector::add, &collector, 0);
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.low < b.low; });
  max_high_.resize(ranges_.size());
  Dwarf_Addr max_high = 0;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    max_high = std::max(max_high, ranges_[i].high);
    max_high_[i] = max_high;
  }
}

std::vector<Dwarf_Die> CuScopes::chain(Dwarf_Addr pc) const {
  std::vector<Dwarf_Die> out;
  auto above = std::upper_bound(ranges_.begin(), ranges_.end(), pc,
                                [](Dwarf_Addr a, const Range& r) { return a < r.low; });
  // The closest-starting function covering pc: a nested function (GNU C) starts after, and
  // lies inside, the function around it.
  const Range* func = nullptr;
  for (size_t i = static_cast<size_t>(above - ranges_.begin()); i-- > 0 && max_high_[i] > pc;) {
    if (pc < ranges_[i].high) {
      func = &ranges_[i];
      break;
    }
  }
  if (!func) return out;

  out.push_back(func->die);
  for (;;) {
    Dwarf_Die child;
    if (dwarf_child(&out.back(), &child) != 0) break;
    bool descended = false;
    do {
      if (may_hold_pc(dwarf_tag(&child)) && dwarf_haspc(&child, pc) == 1) {
        out.push_back(child);
        descended = true;
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    if (!descended) break;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace waitprof
