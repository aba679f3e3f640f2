// `waitprof check`: can this host record? Runs every preflight check, loads and attaches the
// process-tree programs for real, and reports which attach points the kernel offers.
#pragma once

#include "util/result.h"

namespace waitprof {

Status run_check();

}  // namespace waitprof
