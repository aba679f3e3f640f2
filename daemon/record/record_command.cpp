#include "record/record_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "cli_checks.h"
#include "flamegraph/flamegraph.h"
#include "pprof/profile_writer.h"
#include "preflight.h"
#include "proc_scan.h"
#include "record/collector.h"
#include "record/launched_command.h"
#include "record/profile_export.h"
#include "record/progress_line.h"
#include "record/record_report.h"
#include "record/record_summary.h"
#include "record/recording_session.h"
#include "record/stop_signals.h"
#include "record/target_registry.h"
#include "symbolize/symbolizer.h"
#include "util/atomic_file.h"

namespace waitprof {

namespace {

Status validate_targets(const RecordOptions& options) {
  if (options.pids.empty() && options.command.empty()) {
    return Error{"record needs --pid PID (repeatable) or a program to run: waitprof record "
                 "[options] -- COMMAND [ARGS...]"};
  }
  if (!options.pids.empty() && !options.command.empty()) {
    return Error{"give either --pid or a command after --, not both"};
  }
  return check_pids_exist(options.pids);
}

// Fails now, not after a long recording, when the results could not be written.
Status prepare_output_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"creating output directory " + dir.string() + ": " + ec.message()};
  if (!std::filesystem::is_directory(dir)) {
    return Error{"output path " + dir.string() + " exists and is not a directory"};
  }
  if (access(dir.c_str(), W_OK) != 0) return errno_error("output directory " + dir.string());
  return {};
}

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

size_t unique_stacks(const std::vector<RawSample>& samples) {
  std::set<std::vector<uint64_t>> stacks;
  for (const RawSample& s : samples) {
    if (!s.user_stack.empty()) stacks.insert(s.user_stack);
    if (!s.kernel_stack.empty()) stacks.insert(s.kernel_stack);
  }
  return stacks.size();
}

// Writes the profile and its flamegraph beside it; returns the file names written.
Result<std::vector<std::string>> write_profile_and_flamegraph(
    const perftools::profiles::Profile& profile, ProfileKind kind,
    const std::filesystem::path& dir) {
  const std::string stem = profile_name(kind);
  if (Status s = write_profile(profile, dir / (stem + ".pb.gz")); !s) return s.error();
  FlamegraphOptions flame;
  flame.source = stem + ".pb.gz";
  Result<std::string> svg = render_svg(profile, flame);
  if (!svg) return Error{"rendering the " + stem + " flamegraph: " + svg.error().message};
  if (Status s = write_file_atomically(dir / (stem + ".svg"), *svg); !s) return s.error();
  return std::vector<std::string>{stem + ".pb.gz", stem + ".svg"};
}

}  // namespace

void add_recording_flags(CLI::App* sub, RecordOptions& options) {
  static const std::map<std::string, ProfileKind> kByName{
      {"cpu", ProfileKind::kCpu},     {"offcpu", ProfileKind::kOffcpu},
      {"lock", ProfileKind::kLock},   {"block", ProfileKind::kBlock},
      {"mutex", ProfileKind::kMutex}, {"send", ProfileKind::kSend}};
  sub->add_option("--profiles", options.profiles,
                  "Profiles to record: cpu (on-CPU samples, as Go's); offcpu (all time off CPU, "
                  "labelled with what it waited for); lock (waits for locks: mutex, rwlock, the "
                  "program's own futex locks; charged to the waiter); block (every "
                  "synchronization wait: locks, condvars, joins, semaphores, barriers; charged "
                  "to the waiter, as Go's block profile); mutex (lock waits charged to the "
                  "thread that released the lock and woke the waiter, as Go's mutex profile); "
                  "send (bytes handed to TCP)")
      ->delimiter(',')
      ->transform(choice_of(kByName, "a profile"))
      ->default_str("cpu,offcpu,lock,block,mutex,send");
  sub->add_option("-F,--frequency", options.frequency_hz, "cpu samples per second per CPU")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  sub->add_option("--goroutine-frequency", options.goroutine_hz,
                  "Go targets: readings of their goroutines per second, for the goroutine waits "
                  "in lock, block and mutex (0: none)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub->add_flag("--kernel-stacks", options.kernel_stacks,
                "Add kernel frames to offcpu, lock and send stacks (cpu always has them)");
  sub->add_flag("--thread-labels", options.thread_labels,
                "Label every sample with tid and thread name, not only pid and process");
  sub->add_option("--min-block-us", options.min_block_us,
                  "Ignore offcpu and futex waits (lock, block, mutex) shorter than this many "
                  "microseconds")
      ->check(CLI::Range(0, 60'000'000));
  sub->add_option("--stack-map-entries", options.stack_map_entries,
                  "Distinct stacks (user and kernel) kept; memory grows with the stacks seen")
      ->check(CLI::Range(1024, 4 * 1024 * 1024));
  sub->add_option("--thread-slots", options.thread_slots,
                  "Target threads alive at once that can be recorded (a power of two, 1088 "
                  "bytes each; default 8192)")
      ->check(CLI::Range(2u, 1u << WAITPROF_THREAD_SLOT_BITS_MAX))
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            const unsigned long n = std::stoul(text);
            return (n & (n - 1)) == 0 ? "" : "must be a power of two";
          },
          "POWER OF TWO"));
  static const std::map<std::string, UnwindMode> kUnwindByName{
      {"cfi", UnwindMode::kCfi}, {"fp", UnwindMode::kFramePointers}};
  sub->add_option("--unwind", options.unwind,
                  "User stacks: cfi follows each module's .eh_frame/.debug_frame, through code "
                  "without frame pointers (Debian's libc, most packaged servers), as gdb does; "
                  "fp is the kernel's frame-pointer walk, which loses the caller of such code")
      ->transform(choice_of(kUnwindByName, "an unwinder"))
      ->default_str("cfi");
  sub->add_flag("--force-proc-seeding", options.force_proc_seeding)->group("");
  sub->add_flag("--verify-stack-memo", options.verify_stack_memo)->group("");
  // For tests of the fallbacks on kernels that have the preferred attach points.
  sub->add_flag("--force-raw-tp", options.force_raw_tp)->group("");
  sub->add_flag("--force-send-tracepoint", options.force_send_tracepoint)->group("");
}

Status check_pids_exist(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    if (!process_exists(pid)) {
      return Error{"no process with pid " + std::to_string(pid) +
                   ": check the pid (ps -ef) and that it is still running"};
    }
  }
  return {};
}

CLI::App* add_record_command(CLI::App& app, RecordOptions& options) {
  CLI::App* sub = app.add_subcommand(
      "record", "Record cpu, offcpu, lock, block, mutex and send profiles of running processes as "
      "pprof files");
  sub->add_option("-p,--pid", options.pids, "Process to record (repeatable)")
      ->check(process_id_check());
  sub->add_flag("-c,--children", options.children,
                "Also record every descendant, including ones forked while recording");
  sub->add_option("-d,--duration", options.duration_s,
                  "Seconds to record (default: until Ctrl-C or the targets exit)")
      ->check(CLI::Range(0.001, 86400.0));
  sub->add_option("-o,--output", options.output_dir, "Directory for the profiles")
      ->capture_default_str();
  add_recording_flags(sub, options);
  sub->add_option("command", options.command,
                  "Instead of --pid: run this program (after --, with its arguments) and record "
                  "it and its children from its first instruction; waitprof then exits with "
                  "its status");
  return sub;
}

Result<int> run_record(const RecordOptions& given) {
  if (Status s = validate_targets(given); !s) return s.error();
  if (Status s = check_privileges(); !s) return s.error();
  if (Status s = check_btf(); !s) return s.error();
  if (Status s = prepare_output_dir(given.output_dir); !s) return s.error();
  Result<std::vector<std::string>> mounted = ensure_kernel_filesystems();
  if (!mounted) return mounted.error();
  for (const std::string& m : *mounted) fprintf(stderr, "waitprof: mounted %s\n", m.c_str());

  // A command is forked now, held before exec, and recorded with all it starts.
  RecordOptions options = given;
  std::unique_ptr<LaunchedCommand> launched;
  if (!options.command.empty()) {
    Result<std::unique_ptr<LaunchedCommand>> started = LaunchedCommand::start(options.command);
    if (!started) return started.error();
    launched = std::move(*started);
    options.pids = {launched->pid()};
    options.children = true;
  }

  Result<std::unique_ptr<RecordingSession>> opened =
      RecordingSession::open(options, launched.get());
  if (!opened) return opened.error();
  RecordingSession& session = **opened;
  TargetRegistry& registry = session.registry();
  ProfilePrograms& programs = session.programs();

  RecordOutcome outcome;
  outcome.start_unix_ns = session.start_unix_ns();
  const uint64_t start_ns = session.start_ns();
  outcome.waits_seeded = session.waits_seeded();
  outcome.waits_seeded_by = session.waits_seeded_by();
  outcome.unwind_cfi = options.unwind == UnwindMode::kCfi;
  // Blocked before the line that invites Ctrl-C, so no signal can kill the recording.
  StopSignals signals;
  if (signals.fd() < 0) return errno_error("creating a signalfd for SIGINT/SIGTERM");
  if (launched) {
    if (Status s = launched->release(); !s) return s.error();
    fprintf(stderr, "waitprof: recording %s (pid %d) and its children; Ctrl-C to stop\n",
            launched->name().c_str(), launched->pid());
  } else {
    fprintf(stderr, "waitprof: recording %zu process%s%s; Ctrl-C to stop\n",
            registry.processes_seen(), registry.processes_seen() == 1 ? "" : "es",
            options.children ? " and their future children" : "");
  }
  const uint64_t deadline =
      options.duration_s > 0 ? start_ns + static_cast<uint64_t>(options.duration_s * 1e9) : 0;
  ProgressLine progress(options.duration_s);
  for (;;) {
    if (progress.enabled()) {
      progress.update(static_cast<double>(monotonic_ns() - start_ns) / 1e9, programs.counters());
    }
    int timeout_ms = 1000;
    if (deadline) {
      const uint64_t now = monotonic_ns();
      if (now >= deadline) {
        outcome.stopped_by = "duration";
        break;
      }
      timeout_ms = static_cast<int>(std::min<uint64_t>(1000, (deadline - now + 999'999) / 1'000'000));
    }
    pollfd fds[] = {{session.tree().event_fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return errno_error("waiting for events");
    Result<size_t> rewalked = session.handle_events();
    if (!rewalked) return rewalked.error();
    outcome.waits_rewalked += *rewalked;
    if (int sig = signals.pending()) {
      outcome.stopped_by = sig == SIGINT ? "SIGINT" : "SIGTERM";
      break;
    }
    if (registry.all_exited()) {
      outcome.stopped_by = "all targets exited";
      break;
    }
    // A command that could not exec (or exited before its exec was seen) left no target.
    if (launched && registry.processes_seen() == 0 && launched->poll_exit() >= 0) {
      outcome.stopped_by = "the command exited";
      break;
    }
  }
  const uint64_t stop_ns = monotonic_ns();
  session.stop();
  progress.clear();
  (void)session.tree().poll(0);  // forks/exits that raced the stop

  outcome.duration_s = static_cast<double>(stop_ns - start_ns) / 1e9;
  outcome.start_monotonic_ns = start_ns;
  outcome.stop_monotonic_ns = stop_ns;
  outcome.processes_seen = registry.processes_seen();
  outcome.processes_forked = registry.processes_forked();
  outcome.processes_exited = registry.processes_exited();
  outcome.go_versions = registry.go_versions();
  if (const GoroutineSampler* g = session.goroutines()) {
    outcome.goroutine_hz = g->frequency_hz();
    outcome.goroutines = g->stats();
  }
  outcome.go_release_probes = session.go_release_probes_attached();
  outcome.go_probe_errors = session.go_probe_errors();
  outcome.attach_points = session.attach_points();
  outcome.sample_period_ns = programs.sample_period_ns();
  outcome.counters = programs.counters();
  outcome.proctree_drops = session.tree().drops();
  outcome.program_ids = programs.program_ids();
  outcome.unwind = session.unwind().stats();

  Result<std::vector<RawSample>> samples =
      session.collect(stop_ns, options.min_block_ns());
  if (!samples) return samples.error();
  registry.refresh_live();

  ExportContext ctx{options, session.symbolizer(), registry, profile_comments(outcome),
                    outcome.sample_period_ns, outcome.start_unix_ns,
                    static_cast<int64_t>(stop_ns - start_ns)};
  std::vector<WrittenProfile> written;
  for (ProfileKind kind : options.profiles) {
    WrittenProfile w{kind, build_profile(kind, *samples, ctx, outcome.totals[kind]), {}};
    Result<std::vector<std::string>> files =
        write_profile_and_flamegraph(w.profile, kind, options.output_dir);
    if (!files) return files.error();
    w.files = std::move(*files);
    outcome.top_stacks[kind] = top_stacks(w.profile, 5);
    written.push_back(std::move(w));
  }
  outcome.export_seconds = static_cast<double>(monotonic_ns() - stop_ns) / 1e9;
  outcome.peak_rss_bytes = peak_rss_bytes();
  outcome.unique_stacks = unique_stacks(*samples);
  outcome.raw_samples = samples->size();

  const std::string summary = summary_json(options, outcome).dump(2) + "\n";
  if (Status s = write_file_atomically(options.output_dir / "summary.json", summary); !s) {
    return s.error();
  }
  const std::string report = record_report(options, outcome, written);
  if (Status s = write_file_atomically(options.output_dir / "summary.txt", report); !s) {
    return s.error();
  }

  // The report is the command's result (stdout) and lists the warnings; stderr repeats them
  // only when stdout goes elsewhere than the terminal, so nobody reads them twice.
  fputs(report.c_str(), stdout);
  fflush(stdout);
  if (isatty(STDOUT_FILENO) != 1 || isatty(STDERR_FILENO) != 1) {
    for (const std::string& w : record_warnings(outcome)) {
      fprintf(stderr, "waitprof: warning: %s\n", w.c_str());
    }
  }
  fprintf(stderr, "waitprof: recorded %.1f s (stopped by %s); wrote profiles, flamegraphs, "
          "summary.json and summary.txt to %s\n",
          outcome.duration_s, outcome.stopped_by.c_str(), options.output_dir.c_str());
  // As `perf record -- cmd`: the command's status is ours, once it has ended.
  return launched ? launched->wait(signals.fd()) : 0;
}

}  // namespace waitprof
