#include "serve/live_recording.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "proc_scan.h"
#include "profile.pb.h"
#include "record/profile_export.h"
#include "record/record_summary.h"
#include "record/recording_session.h"
#include "serve/sample_window.h"
#include "util/unique_fd.h"

namespace waitprof {

namespace {

// How often exited processes are looked at for expiry: their data is kept for
// --retain-exited, so a minute's slack costs nothing.
constexpr uint64_t kExpiryIntervalNs = 10'000'000'000ull;

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

void metric_header(std::ostringstream& out, const char* name, const char* type,
                   const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

LiveRecording::LiveRecording(const RecordOptions& options, uint64_t retain_exited_ns)
    : options_(options), retain_exited_ns_(retain_exited_ns) {}

LiveRecording::~LiveRecording() = default;

Result<std::unique_ptr<LiveRecording>> LiveRecording::start(const RecordOptions& options,
                                                            uint64_t retain_exited_ns) {
  std::unique_ptr<LiveRecording> live(new LiveRecording(options, retain_exited_ns));
  Result<std::unique_ptr<RecordingSession>> session = RecordingSession::open(options, nullptr);
  if (!session) return session.error();
  live->session_ = std::move(*session);
  live->next_expiry_ns_ = monotonic_ns() + kExpiryIntervalNs;
  live->next_sweep_ns_ = monotonic_ns() + retain_exited_ns;
  return live;
}

Reading LiveRecording::at_start() const {
  Reading r;
  r.monotonic_ns = session_->start_ns();
  r.unix_ns = session_->start_unix_ns();
  return r;
}

Result<Reading> LiveRecording::read() {
  // Not under mu_: a reading touches only the kernel maps, and a window's end must not wait
  // for another request's symbolization (four parallel requests' windows came out 0.7 s
  // long when it did).
  Reading r;
  const uint64_t begun = monotonic_ns();
  r.monotonic_ns = begun;
  r.unix_ns = realtime_ns();
  r.counters = session_->programs().counters();
  Result<std::vector<RawSample>> samples =
      session_->collect(r.monotonic_ns, options_.min_block_ns());
  if (!samples) return samples.error();
  r.samples = std::move(*samples);
  std::lock_guard lock(mu_);
  ++stats_.readings;
  stats_.reading_seconds += static_cast<double>(monotonic_ns() - begun) / 1e9;
  stats_.last_reading_samples = r.samples.size();
  last_reading_by_kind_.clear();
  for (const RawSample& s : r.samples) ++last_reading_by_kind_[s.kind];
  return r;
}

std::vector<std::string> LiveRecording::comments(const Reading& from, const Reading& to) const {
  RecordOutcome window;
  window.attach_points = session_->attach_points();
  for (size_t i = 0; i < window.counters.size(); ++i) {
    window.counters[i] = to.counters[i] > from.counters[i] ? to.counters[i] - from.counters[i] : 0;
  }
  std::vector<std::string> lines = profile_comments(window);
  lines[0] = "waitprof 0.1.0 serve";
  return lines;
}

Result<perftools::profiles::Profile> LiveRecording::profile(ProfileKind kind, const Reading& from,
                                                            const Reading& to,
                                                            const TargetFilter& filter) {
  std::vector<RawSample> window = samples_between(from.samples, to.samples);
  std::lock_guard lock(mu_);
  TargetRegistry& registry = session_->registry();
  window = filter_samples(std::move(window), filter,
                          [&](uint32_t tgid) { return registry.process_name(static_cast<pid_t>(tgid)); });
  // Processes started since the last export have their libraries named now.
  registry.refresh_live();
  ExportContext ctx{options_, session_->symbolizer(), registry, comments(from, to),
                    session_->programs().sample_period_ns(), from.unix_ns,
                    static_cast<int64_t>(to.monotonic_ns - from.monotonic_ns)};
  ProfileTotals totals;
  return build_profile(kind, window, ctx, totals);
}

Result<ThreadSnapshot> LiveRecording::threads(const TargetFilter& filter) {
  std::lock_guard lock(mu_);
  const uint64_t now = monotonic_ns();
  Result<std::vector<RawSample>> open = open_offcpu_waits(session_->programs(), now);
  if (!open) return open.error();
  TargetRegistry& registry = session_->registry();
  registry.refresh_live();
  auto name_of = [&](uint32_t tgid) { return registry.process_name(static_cast<pid_t>(tgid)); };
  std::vector<RawSample> blocked = filter_samples(std::move(*open), filter, name_of);
  std::set<uint32_t> blocked_tids;
  for (const RawSample& s : blocked) blocked_tids.insert(s.tid);
  ThreadSnapshot snapshot;
  size_t threads = 0;
  for (pid_t tgid : registry.live_processes()) {
    for (pid_t tid : list_threads(tgid)) {
      if (!filter.keeps(tgid, name_of(static_cast<uint32_t>(tgid)), tid)) continue;
      ++threads;
      if (blocked_tids.count(static_cast<uint32_t>(tid))) continue;
      snapshot.running.push_back({static_cast<uint32_t>(tgid), static_cast<uint32_t>(tid),
                                  registry.process_name(tgid), registry.thread_name(tgid, tid)});
    }
  }
  const size_t running = snapshot.running.size();
  RecordOptions labelled = options_;
  labelled.thread_labels = true;
  std::vector<std::string> notes{
      "waitprof 0.1.0 serve: every target thread now",
      std::to_string(threads) + " threads: " + std::to_string(threads - running) +
          " blocked (stack at their switch-out), " + std::to_string(running) +
          " running or not yet seen switching out (no stack: not read while running)"};
  ExportContext ctx{labelled, session_->symbolizer(), registry, notes,
                    session_->programs().sample_period_ns(), realtime_ns(), 0};
  ProfileTotals totals;
  std::sort(blocked.begin(), blocked.end(),
            [](const RawSample& a, const RawSample& b) { return a.sort_key() < b.sort_key(); });
  perftools::profiles::Profile p = build_profile(ProfileKind::kOffcpu, blocked, ctx, totals);
  // Go's goroutine profile counts goroutines; the second value is how long each has waited.
  auto intern = [&p](const char* s) {
    p.add_string_table(s);
    return static_cast<int64_t>(p.string_table_size() - 1);
  };
  p.mutable_sample_type(0)->set_type(intern("goroutine"));
  p.mutable_sample_type(1)->set_type(intern("wait"));
  p.mutable_period_type()->set_type(p.sample_type(0).type());
  p.set_default_sample_type(p.sample_type(0).type());
  snapshot.profile = std::move(p);
  return snapshot;
}

Status LiveRecording::handle_events() {
  std::lock_guard lock(mu_);
  Result<size_t> rewalked = session_->handle_events();
  if (!rewalked) return rewalked.error();
  stats_.waits_rewalked += *rewalked;
  const uint64_t now = monotonic_ns();
  if (now >= next_sweep_ns_) {
    // An entry unchanged for --retain-exited (>= --max-seconds) is in no window's growth:
    // deleting it bounds the maps, at the price of the cumulative (no seconds=) view losing
    // stacks idle that long.
    next_sweep_ns_ = now + retain_exited_ns_;
    Result<size_t> swept = sweeper_.sweep(session_->programs());
    if (!swept) return swept.error();
    stats_.entries_swept += *swept;
  }
  if (now < next_expiry_ns_) return {};
  next_expiry_ns_ = now + kExpiryIntervalNs;
  if (now <= retain_exited_ns_) return {};
  std::vector<pid_t> expired = session_->registry().expire_exited(now - retain_exited_ns_);
  Result<size_t> deleted = forget_processes(session_->programs(), expired);
  if (!deleted) return deleted.error();
  stats_.processes_expired += expired.size();
  stats_.entries_expired += *deleted;
  return {};
}

bool LiveRecording::all_exited() {
  std::lock_guard lock(mu_);
  return session_->registry().all_exited();
}

int LiveRecording::event_fd() { return session_->tree().event_fd(); }

std::string LiveRecording::metrics() {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  const std::array<uint64_t, WAITPROF_COUNTERS> counters = session_->programs().counters();
  metric_header(out, "waitprof_events_total", "counter",
                "Events the BPF programs saw for target threads, by kind.");
  for (const SeenName& s : seen_names()) {
    out << "waitprof_events_total{event=\"" << s.key << "\"} " << counters[s.counter] << '\n';
  }
  metric_header(out, "waitprof_drops_total", "counter",
                "What the BPF programs could not record, by cause (0 in a healthy daemon).");
  for (const DropName& d : drop_names()) {
    out << "waitprof_drops_total{cause=\"" << d.key << "\"} " << counters[d.counter] << '\n';
  }
  out << "waitprof_drops_total{cause=\"process_events_full\"} "
      << session_->tree().drops()[WAITPROF_DROP_EVENTS_FULL] << '\n';
  metric_header(out, "waitprof_bpf_program_run_seconds_total", "counter",
                "Time spent in each BPF program (kernel.bpf_stats_enabled=1; 0 otherwise).");
  std::ostringstream runs;
  for (const auto& [name, id] : session_->programs().program_ids()) {
    UniqueFd fd(bpf_prog_get_fd_by_id(id));
    if (fd.get() < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) continue;
    char seconds[32];
    snprintf(seconds, sizeof(seconds), "%.9f", static_cast<double>(info.run_time_ns) / 1e9);
    out << "waitprof_bpf_program_run_seconds_total{program=\"" << name << "\"} " << seconds << '\n';
    runs << "waitprof_bpf_program_runs_total{program=\"" << name << "\"} " << info.run_cnt << '\n';
  }
  metric_header(out, "waitprof_bpf_program_runs_total", "counter",
                "Runs of each BPF program (kernel.bpf_stats_enabled=1; 0 otherwise).");
  out << runs.str();
  const TargetRegistry& registry = session_->registry();
  metric_header(out, "waitprof_targets", "gauge", "Target processes alive now.");
  out << "waitprof_targets " << registry.live_processes().size() << '\n';
  metric_header(out, "waitprof_processes_seen_total", "counter",
                "Target processes seen since the start (expired ones included).");
  out << "waitprof_processes_seen_total " << registry.processes_seen() + stats_.processes_expired
      << '\n';
  metric_header(out, "waitprof_processes_expired_total", "counter",
                "Exited processes forgotten after --retain-exited, and their map entries.");
  out << "waitprof_processes_expired_total " << stats_.processes_expired << '\n';
  metric_header(out, "waitprof_map_entries_expired_total", "counter",
                "Profile map entries of expired processes deleted.");
  out << "waitprof_map_entries_expired_total " << stats_.entries_expired << '\n';
  metric_header(out, "waitprof_readings_total", "counter", "Readings of the profile maps.");
  out << "waitprof_readings_total " << stats_.readings << '\n';
  char seconds[32];
  snprintf(seconds, sizeof(seconds), "%.6f", stats_.reading_seconds);
  metric_header(out, "waitprof_reading_seconds_total", "counter",
                "Time spent reading the profile maps, summed.");
  out << "waitprof_reading_seconds_total " << seconds << '\n';
  metric_header(out, "waitprof_waits_rewalked_total", "counter",
                "Open waits walked again after their process's unwind tables changed.");
  out << "waitprof_waits_rewalked_total " << stats_.waits_rewalked << '\n';
  metric_header(out, "waitprof_samples", "gauge",
                "Distinct sample keys at the last reading, by source (lock: every futex wait).");
  for (const auto& [kind, n] : last_reading_by_kind_) {
    out << "waitprof_samples{source=\"" << profile_name(kind) << "\"} " << n << '\n';
  }
  metric_header(out, "waitprof_map_entries_swept_total", "counter",
                "Profile map entries deleted after --retain-exited without a change.");
  out << "waitprof_map_entries_swept_total " << stats_.entries_swept << '\n';
  metric_header(out, "waitprof_symbolizer_sessions", "gauge",
                "Address spaces the symbolizer holds (one per distinct set of mappings).");
  out << "waitprof_symbolizer_sessions " << session_->symbolizer().session_count() << '\n';
  metric_header(out, "waitprof_resident_memory_bytes", "gauge", "The daemon's resident set size.");
  out << "waitprof_resident_memory_bytes " << resident_bytes() << '\n';
  metric_header(out, "waitprof_uptime_seconds", "gauge", "Seconds since the programs attached.");
  snprintf(seconds, sizeof(seconds), "%.3f",
           static_cast<double>(monotonic_ns() - session_->start_ns()) / 1e9);
  out << "waitprof_uptime_seconds " << seconds << '\n';
  return out.str();
}

}  // namespace waitprof
