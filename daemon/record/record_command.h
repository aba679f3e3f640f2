// `waitprof record`: attach to a process tree (or run a command and record it), record until
// the duration passes, Ctrl-C or SIGTERM arrives, or every target has exited, then write
// DIR/{cpu,offcpu,lock,send}.pb.gz and DIR/summary.json.
#pragma once

#include "record/record_options.h"
#include "util/result.h"

namespace CLI {
class App;
}

namespace waitprof {

// The flags of what is recorded and how (--profiles, --frequency, --unwind, …), shared by
// record and serve.
void add_recording_flags(CLI::App* sub, RecordOptions& options);

// Every --pid names a live process; the error says which does not, and what to check.
Status check_pids_exist(const std::vector<pid_t>& pids);

// Registers the subcommand's flags; values land in `options` when parsed.
CLI::App* add_record_command(CLI::App& app, RecordOptions& options);

// The exit status waitprof should have: 0, or with a command, the command's.
Result<int> run_record(const RecordOptions& options);

}  // namespace waitprof
