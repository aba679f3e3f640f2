#include "flamegraph/flamegraph_command.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "pprof/profile_writer.h"
#include "util/atomic_file.h"

namespace waitprof {

namespace {

Status write_stdout(const std::string& data) {
  if (fwrite(data.data(), 1, data.size(), stdout) != data.size() || fflush(stdout) != 0) {
    return errno_error("writing to stdout");
  }
  return {};
}

}  // namespace

std::string default_output_path(const std::string& profile, const std::string& format) {
  const std::filesystem::path p(profile);
  return (p.parent_path() / (profile_stem(profile) + (format == "folded" ? ".folded" : ".svg")))
      .string();
}

CLI::App* add_flamegraph_command(CLI::App& app, FlamegraphCommandOptions& options) {
  CLI::App* sub = app.add_subcommand(
      "flamegraph",
      "Render a pprof profile (waitprof's or Go's) as an interactive SVG flamegraph "
      "or as folded stacks");
  sub->add_option("profile", options.profile, "pprof file (.pb.gz or plain .pb)")->required();
  sub->add_option("-o,--output", options.output,
                  "Output file, '-' for stdout (default: PROFILE with .svg or .folded for its "
                  "extension)");
  sub->add_option("-f,--format", options.format,
                  "svg: interactive flamegraph; folded: "
                  "'root;caller;leaf value' lines for flamegraph.pl, inferno, speedscope")
      ->check(CLI::IsMember({"svg", "folded"}))
      ->capture_default_str();
  sub->add_option("-i,--sample-index", options.render.sample_index,
                  "Value to draw: a sample type name (cpu, delay, contentions, bytes, ...) or a "
                  "0-based index (default: the profile's default, else its last)");
  sub->add_option("-t,--title", options.render.title,
                  "Title (default: profile name and value, e.g. \"lock: delay\")");
  sub->add_option("--palette", options.render.palette,
                  "Frame colors: hot (cpu), cold (waits), io (bytes) (default: from the value)")
      ->check(CLI::IsMember({"hot", "cold", "io"}));
  return sub;
}

Status run_flamegraph(const FlamegraphCommandOptions& options) {
  const bool to_stdout = options.output == "-";
  const std::string out = options.output.empty()
                              ? default_output_path(options.profile, options.format)
                              : options.output;
  std::error_code ec;
  if (!to_stdout && std::filesystem::equivalent(out, options.profile, ec)) {
    return Error{"output " + out + " would overwrite the profile: choose another with -o"};
  }
  Result<perftools::profiles::Profile> profile = read_profile(options.profile);
  if (!profile) return profile.error();
  FlamegraphOptions render = options.render;
  if (render.source.empty()) render.source = options.profile;
  Result<std::string> text =
      options.format == "folded" ? render_folded(*profile, render) : render_svg(*profile, render);
  if (!text) return Error{options.profile + ": " + text.error().message};
  if (to_stdout) return write_stdout(*text);
  if (Status s = write_file_atomically(out, *text); !s) return s;
  fprintf(stderr, "waitprof: wrote %s\n", out.c_str());
  return {};
}

}  // namespace waitprof
