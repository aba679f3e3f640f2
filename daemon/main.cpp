// waitprof: where do my threads wait? An eBPF profiler for a running process tree.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "check_command.h"
#include "diff/diff_command.h"
#include "flamegraph/flamegraph_command.h"
#include "libbpf_log.h"
#include "record/record_command.h"
#include "serve/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"waitprof: eBPF profiler for where a process tree's threads run and wait"};
  app.set_version_flag("--version", "waitprof 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags like --verbose may follow the subcommand

  bool verbose = false;
  CLI::App* check = app.add_subcommand(
      "check", "Check that this host can record: privileges, BTF, tracefs, BPF load and attach");
  waitprof::RecordOptions record_options;
  CLI::App* record = waitprof::add_record_command(app, record_options);
  waitprof::FlamegraphCommandOptions flamegraph_options;
  CLI::App* flamegraph = waitprof::add_flamegraph_command(app, flamegraph_options);
  waitprof::DiffCommandOptions diff_options;
  CLI::App* diff = waitprof::add_diff_command(app, diff_options);
  waitprof::ServeOptions serve_options;
  CLI::App* serve = waitprof::add_serve_command(app, serve_options);
  app.add_flag("-v,--verbose", verbose, "Show libbpf's loader and verifier messages");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, in the words of the option the user gave, and where to look (exit 2, as for
    // any usage error).
    fprintf(stderr, "waitprof: error: %s (see waitprof%s --help)\n", e.what(),
            *record ? " record" : *serve ? " serve" : *flamegraph ? " flamegraph"
                                : *diff ? " diff" : "");
    return 2;
  }

  waitprof::set_libbpf_verbose(verbose);
  waitprof::Status status;
  int code = 0;
  if (*check) status = waitprof::run_check();
  if (*record) {
    waitprof::Result<int> recorded = waitprof::run_record(record_options);
    if (recorded) code = *recorded;
    else status = recorded.error();
  }
  if (*serve) status = waitprof::run_serve(serve_options);
  if (*flamegraph) status = waitprof::run_flamegraph(flamegraph_options);
  if (*diff) {
    waitprof::Result<int> compared = waitprof::run_diff(diff_options);
    if (compared) code = *compared;
    else status = compared.error();
  }
  if (!status) {
    fprintf(stderr, "waitprof: error: %s\n", status.error().message.c_str());
    return 1;
  }
  return code;
}
