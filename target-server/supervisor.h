// The prefork parent: forks the workers, replaces any that die, and on SIGTERM/SIGINT stops
// them all. It serves no requests itself.
#pragma once

#include "request_handler.h"
#include "server_config.h"
#include "stats_region.h"

namespace tsrv {

// Returns the process exit status: 0 after a clean stop, non-zero when the workers could not
// start (the reason is already printed).
int run_supervisor(const ServerConfig& config, const RequestHandler& handler, StatsRegion& stats);

// --workers 0: this process serves, with the same readiness line and signal handling.
int run_single_process(const ServerConfig& config, const RequestHandler& handler,
                       StatsRegion& stats);

}  // namespace tsrv
