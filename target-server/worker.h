// A serving process: `threads` event loops until SIGTERM/SIGINT.
#pragma once

#include "request_handler.h"
#include "server_config.h"
#include "stats_region.h"

namespace tsrv {

// Exit status of a worker that could not start serving (e.g. the port is taken): the
// supervisor stops instead of restarting it in a loop.
inline constexpr int kWorkerStartupFailed = 3;

// Blocks SIGTERM/SIGINT/SIGHUP, starts the loops, then calls `on_ready` (or, on failure,
// prints one line to stderr and returns kWorkerStartupFailed). Returns 0 after a clean stop.
int run_worker(const ServerConfig& config, unsigned worker_index, const RequestHandler& handler,
               StatsRegion& stats, void (*on_ready)(void*), void* ready_arg);

}  // namespace tsrv
