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
  unsigned threads = 4;  // event loops per serving process
  RngMode rng = RngMode::kLocked;
  uint64_t seed = 1;
  size_t products = 500;
  unsigned rng_draws = 1;
  unsigned idle_timeout_s = 60;  // idle keep-alive and stalled half-open clients are dropped
  ParseLimits limits;
  bool quiet = false;
};

}  // namespace tsrv
