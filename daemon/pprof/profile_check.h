// The invariants pprof readers rely on, checked before we write a profile (so a builder bug
// fails loudly here, not in a user's `go tool pprof`) and after we read one (so renderers
// may index the string table and look up IDs without further checks).
#pragma once

#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

// string_table[0] is "" and every string index is in range; IDs are nonzero and unique, and
// every referenced ID exists; each sample has one value per sample type. The error says which
// entry is wrong.
Status check_profile(const perftools::profiles::Profile& profile);

}  // namespace waitprof
