// Brendan Gregg's folded stacks: one line per distinct stack, "root;caller;leaf value", the
// input of flamegraph.pl, inferno and speedscope.
#pragma once

#include <string>

#include "flamegraph/stack_tree.h"

namespace waitprof {

// A line for every node with a self value, in tree order (frames sorted by name at every
// level), so the same profile always gives the same text and the values add up to the total.
std::string folded_stacks(const StackTree& tree);

}  // namespace waitprof
