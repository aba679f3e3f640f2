// Which DWARF scopes hold a pc, answered per compilation unit from an index of its
// functions' address ranges. dwarf_getscopes walks the whole CU from the top for every pc,
// then walks it again to find an inlined function's abstract origin, and its chain then
// continues through that origin's scopes rather than the caller's, so a third walk
// (dwarf_getscopes_die) is needed for the call chain: ~60 us per address in libc. Here the
// CU is walked once (dwarf_getfuncs) and each pc descends only into its own function.
#pragma once

#include <elfutils/libdw.h>

#include <vector>

namespace waitprof {

class CuScopes {
 public:
  explicit CuScopes(Dwarf_Die* cudie);

  // The concrete scopes containing pc, innermost first, ending at the function
  // (DW_TAG_subprogram) that holds it: lexical blocks and the DW_TAG_inlined_subroutine
  // instances pc was inlined through. Empty when no function in the CU covers pc.
  std::vector<Dwarf_Die> chain(Dwarf_Addr pc) const;

 private:
  struct Range {
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;  // exclusive
    Dwarf_Die die;
  };
  std::vector<Range> ranges_;         // by low
  std::vector<Dwarf_Addr> max_high_;  // max high over ranges_[0..i], to stop backward scans
};

}  // namespace waitprof
