// Frames a tail call took off the stack, put back as gdb does (its "tail call frames"): when a
// caller's call instruction targets a function other than the callee found below it, and
// that function reaches the callee by jumps alone (DWARF call sites flagged as tail calls),
// the functions in between were on the way. glibc's pthread_cond_wait reaches the futex
// through __futex_abstimed_wait_cancelable64, which is one `jmp`: no frame of its own.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "symbolize/cu_scopes.h"

namespace waitprof {

// callee_lookup: the address that names the callee frame (its pc, or return address - 1);
// return_address: the caller's. Both in one module of dwfl. Returns the runtime addresses of
// the missing frames, innermost first, each the return address its tail jump would have
// pushed (look it up at addr - 1, as any return address); empty when nothing is missing,
// when the call is indirect, or when more than one chain of tail calls leads there (gdb
// shows none then either).
// scopes: the (cached) scope index of a compilation unit.
using ScopesOf = std::function<const CuScopes&(Dwarf_Die* cudie)>;
std::vector<uint64_t> tail_call_frames(Dwfl* dwfl, const ScopesOf& scopes,
                                       uint64_t callee_lookup, uint64_t return_address);

}  // namespace waitprof
