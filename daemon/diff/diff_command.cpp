#include "diff/diff_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "diff/profile_diff.h"
#include "pprof/profile_writer.h"

namespace waitprof {

CLI::App* add_diff_command(CLI::App& app, DiffCommandOptions& options) {
  CLI::App* sub = app.add_subcommand(
      "diff",
      "Compare two profiles of one kind (e.g. a release's lock.pb.gz against the last one's): "
      "totals and the stacks that grew and shrank, per 60 s of recording");
  sub->add_option("base", options.base, "The profile to compare against (.pb.gz)")->required();
  sub->add_option("new", options.next, "The new profile (.pb.gz)")->required();
  sub->add_option("-i,--sample-index", options.sample_index,
                  "Value to compare: a sample type name or 0-based index (default: the "
                  "profile's default)");
  sub->add_option("-n,--top", options.top, "Stacks listed for each of grew and shrank")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--fail-above", options.fail_above_pct,
                  "Exit 3 when the total grew by more than PCT percent or a stack's share of "
                  "the profile by more than PCT percentage points")
      ->check(CLI::Range(0.0, 1e6));
  return sub;
}

Result<int> run_diff(const DiffCommandOptions& options) {
  Result<perftools::profiles::Profile> base = read_profile(options.base);
  if (!base) return base.error();
  Result<perftools::profiles::Profile> next = read_profile(options.next);
  if (!next) return next.error();
  Result<ProfileDiff> diff = diff_profiles(*base, *next, options.sample_index, options.top);
  if (!diff) return diff.error();
  const std::string report = diff_report(*diff, options.base, options.next);
  fputs(report.c_str(), stdout);
  if (!options.fail_above_pct) return 0;
  const std::vector<std::string> failures = gate_failures(*diff, *options.fail_above_pct);
  for (const std::string& f : failures) fprintf(stderr, "waitprof diff: FAIL: %s\n", f.c_str());
  return failures.empty() ? 0 : kDiffGateFailed;
}

}  // namespace waitprof
