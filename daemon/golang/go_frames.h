// Goroutine stacks as Go's own block and mutex profiles print them: the runtime's frames
// between the blocking call and the park (gopark, semacquire1, lockSlow, …) or the release
// (semrelease1, unlockSlow) left out, as blockevent's and mutexevent's skip counts leave them,
// and runtime.goexit, the return address every goroutine starts with, cut from the root.
#pragma once

#include <vector>

#include "symbolize/frame.h"

namespace waitprof {

// frames: leaf first, as symbolized.
void trim_go_wait_frames(std::vector<Frame>& frames);

}  // namespace waitprof
