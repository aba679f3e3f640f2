// waitprof: where do my threads wait? An eBPF profiler for a running process tree.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "check_command.h"
#include "flamegraph/flamegraph_command.h"
#include "libbpf_log.h"
#include "record/record_command.h"

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
  app.add_flag("-v,--verbose", verbose, "Show libbpf's loader and verifier messages");

  CLI11_PARSE(app, argc, argv);

  waitprof::set_libbpf_verbose(verbose);
  waitprof::Status status;
  if (*check) status = waitprof::run_check();
  if (*record) status = waitprof::run_record(record_options);
  if (*flamegraph) status = waitprof::run_flamegraph(flamegraph_options);
  if (!status) {
    fprintf(stderr, "waitprof: error: %s\n", status.error().message.c_str());
    return 1;
  }
  return 0;
}
