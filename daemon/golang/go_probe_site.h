// Where in a Go function to plant an entry uprobe so that it costs one trap, not two.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waitprof {

// The offset into `function` of executable `path` to probe: past the stack-bound check that
// opens every Go function with a frame (CMPQ SP, 16(R14)), at its conditional jump (JBE to
// morestack), when the function starts so; else 0, its first instruction. nullopt: the
// executable has no such function.
//
// Why: the kernel runs a probed instruction by single-stepping a copy of it out of line, a
// second trap (on this KVM guest, with SRSO mitigations, 11.2 µs a hit at the CMPQ), but
// emulates a jump, which needs none (1.5 µs a hit). Nothing the probe reads has changed by
// then: the compare touches only the flags, so the arguments are still in their registers
// (RAX: the first) and no frame has been pushed yet.
Result<std::optional<uint64_t>> go_probe_offset(const std::string& path,
                                                const std::string& function);

// The same, from the function's first bytes.
uint64_t go_probe_offset_in(std::string_view code);

}  // namespace waitprof
