// `waitprof flamegraph PROFILE`: renders a pprof file (ours or Go's) as an interactive SVG or
// as folded stacks, next to the profile unless -o says where ("-": stdout).
#pragma once

#include <string>

#include "flamegraph/flamegraph.h"
#include "util/result.h"

namespace CLI {
class App;
}

namespace waitprof {

struct FlamegraphCommandOptions {
  std::string profile;
  std::string output;          // empty: PROFILE with its extension replaced; "-": stdout
  std::string format = "svg";  // "svg" or "folded"
  FlamegraphOptions render;
};

// Registers the subcommand's arguments; values land in `options` when parsed.
CLI::App* add_flamegraph_command(CLI::App& app, FlamegraphCommandOptions& options);

Status run_flamegraph(const FlamegraphCommandOptions& options);

// Where the output goes by default: "out/lock.pb.gz" → "out/lock.svg" (or "out/lock.folded").
std::string default_output_path(const std::string& profile, const std::string& format);

}  // namespace waitprof
