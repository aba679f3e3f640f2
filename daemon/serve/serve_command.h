// `waitprof serve`: attach to a process tree and keep recording, answering Go's
// /debug/pprof paths for every process of it (pprof_handler.h) until Ctrl-C or SIGTERM.
#pragma once

#include <string>

#include "record/record_options.h"
#include "util/result.h"

namespace CLI {
class App;
}

namespace waitprof {

struct ServeOptions {
  RecordOptions record;
  std::string listen = "127.0.0.1:6060";
  std::string token_file;
  int64_t max_seconds = 600;
  unsigned max_connections = 32;
  unsigned max_in_flight = 16;
  double retain_exited_s = 900;
};

CLI::App* add_serve_command(CLI::App& app, ServeOptions& options);
Status run_serve(const ServeOptions& options);

}  // namespace waitprof
