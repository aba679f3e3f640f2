#pragma once

#include <cstdint>
#include <string>

#include "http_parser.h"
#include "index_picker.h"

namespace tsrv {

struct ServerConfig {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 8083;
  unsigned workers = 0;  // 0: one process serves; N: a supervisor forks N workers
  unsigned threads = 8;  // event loops per serving process: more than cores, as in the incident
  RngMode rng = RngMode::kLocked;
  uint64_t seed = 1;
  size_t products = 500;
  // Generator draws under the lock per pick: 1024 holds it ~1-2 us, enough that threads of one
  // worker collide on a 2-core host; 1 is the bare cost of a single draw.
  unsigned rng_draws = 1024;
  unsigned idle_timeout_s = 60;  // idle keep-alive and stalled half-open clients are dropped
  ParseLimits limits;
  bool quiet = false;
};

}  // namespace tsrv
