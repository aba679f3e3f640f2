// `waitprof diff BASE.pb.gz NEW.pb.gz [--fail-above PCT]`: what grew and shrank between two
// profiles of one kind, and a gate for CI (exit 3 when something grew more than PCT).
#pragma once

#include <optional>
#include <string>

#include "util/result.h"

namespace CLI {
class App;
}

namespace waitprof {

struct DiffCommandOptions {
  std::string base;
  std::string next;
  std::string sample_index;  // empty: the profile's default
  size_t top = 5;
  std::optional<double> fail_above_pct;
};

// Exit code when the gate fails (1 is an error, 2 a usage error).
inline constexpr int kDiffGateFailed = 3;

CLI::App* add_diff_command(CLI::App& app, DiffCommandOptions& options);

// The exit code: 0, or kDiffGateFailed; an error when a profile cannot be read or compared.
Result<int> run_diff(const DiffCommandOptions& options);

}  // namespace waitprof
