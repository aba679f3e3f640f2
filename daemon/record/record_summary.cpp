#include "record/record_summary.h"

#include <cstdio>

namespace waitprof {

namespace {

constexpr DropName kDrops[] = {
    {WAITPROF_DROP_STACKS_FULL, "stacks_full",
     "stacks not stored: more distinct stacks than --stack-map-entries"},
    {WAITPROF_DROP_STACK_FAILED, "stack_walk_failures", "user stack walks that failed"},
    {WAITPROF_DROP_CPU_KEYS_FULL, "cpu_keys_full", "cpu samples lost: map full"},
    {WAITPROF_DROP_OFFCPU_KEYS_FULL, "offcpu_keys_full", "off-CPU waits lost: map full"},
    {WAITPROF_DROP_LOCK_KEYS_FULL, "lock_keys_full", "futex waits lost: map full"},
    {WAITPROF_DROP_MUTEX_KEYS_FULL, "mutex_keys_full", "lock releases lost: map full"},
    {WAITPROF_DROP_SEND_KEYS_FULL, "send_keys_full", "sends lost: map full"},
    {WAITPROF_DROP_GO_RELEASE_KEYS_FULL, "go_release_keys_full",
     "Go mutex releases lost: map full"},
    {WAITPROF_DROP_STACK_STORE_FAILED, "stack_store_failures",
     "stacks not stored: the map update was refused (busy or out of memory)"},
    {WAITPROF_DROP_THREAD_SLOTS_FULL, "thread_slots_full",
     "waits and sends not recorded: no free thread slot (too many target threads)"},
};

constexpr SeenName kSeen[] = {
    {WAITPROF_SEEN_CPU_SAMPLES, "cpu_samples"},
    {WAITPROF_SEEN_SWITCHES, "switch_outs"},
    {WAITPROF_SEEN_TARGET_SWITCHES, "target_switches"},
    {WAITPROF_SEEN_FUTEX_WAITS, "futex_waits"},
    {WAITPROF_SEEN_SENDS, "sends"},
    // Wakeups of target threads, and of them lock waits woken by a target's futex wake.
    {WAITPROF_SEEN_TARGET_WAKEUPS, "target_wakeups"},
    {WAITPROF_SEEN_RELEASES, "lock_releases"},
    // Go: contended sync.Mutex/RWMutex unlocks that woke a goroutine (the uprobe's hits).
    {WAITPROF_SEEN_GO_RELEASES, "go_releases"},
    // Waits and sends added to their thread's running sum in BPF rather than to a map.
    {WAITPROF_FOLDED_IN_SLOT, "folded_in_thread_slot"},
    // Switch-ins the kernel ran without a sched_switch event; their waits were derived.
    {WAITPROF_UNTRACED_SWITCH_INS, "untraced_switch_ins"},
};

}  // namespace

std::span<const DropName> drop_names() { return kDrops; }
std::span<const SeenName> seen_names() { return kSeen; }

namespace {

const char* unit_of(ProfileKind kind) {
  return kind == ProfileKind::kSend ? "bytes" : "nanoseconds";
}

// Share of a profile's value whose leaf frame is in a shared library: callers of that library
// function may be missing when it was built without frame pointers (Debian's libc is).
std::vector<std::pair<std::string, double>> leaf_library_shares(const ProfileTotals& t) {
  std::vector<std::pair<std::string, double>> out;
  if (t.total == 0) return out;
  for (const auto& [module, value] : t.leaf_module_total) {
    if (module.find(".so") == std::string::npos) continue;
    out.emplace_back(module, static_cast<double>(value) / static_cast<double>(t.total));
  }
  return out;
}

}  // namespace

const char* stack_end_name(uint32_t end) {
  switch (end) {
    case WAITPROF_STACK_END_ENTRY: return "thread entry";
    case WAITPROF_STACK_END_FP_ZERO: return "end of a frame-pointer chain";
    case WAITPROF_STACK_END_UNREADABLE: return "unreadable stack memory";
    case WAITPROF_STACK_END_LOST: return "a caller that could not be found";
    case WAITPROF_STACK_END_DEPTH: return "the depth limit";
    default: return "unknown (frame-pointer walk)";
  }
}

double entry_share(const ProfileTotals& t) {
  uint64_t walked = 0;
  for (const auto& [end, value] : t.total_by_stack_end) walked += value;
  if (walked == 0) return 0;
  auto it = t.total_by_stack_end.find(WAITPROF_STACK_END_ENTRY);
  return it == t.total_by_stack_end.end()
             ? 0
             : static_cast<double>(it->second) / static_cast<double>(walked);
}

std::vector<std::string> record_warnings(const RecordOutcome& outcome) {
  std::vector<std::string> w;
  for (const DropName& d : kDrops) {
    if (uint64_t n = outcome.counters[d.counter]) w.push_back(std::to_string(n) + " " + d.text);
  }
  if (uint64_t n = outcome.proctree_drops[WAITPROF_DROP_EVENTS_FULL]) {
    w.push_back(std::to_string(n) + " fork/exec/exit events lost: ring buffer full");
  }
  if (outcome.processes_exited > 0) {
    w.push_back(std::to_string(outcome.processes_exited) + " of " +
                std::to_string(outcome.processes_seen) +
                " target processes exited during the recording; what they did before is included");
  }
  for (const auto& [kind, totals] : outcome.totals) {
    if (!outcome.unwind_cfi) {
      for (const auto& [module, share] : leaf_library_shares(totals)) {
        if (share < 0.01) continue;
        char line[512];
        snprintf(line, sizeof(line),
                 "%s: %.0f%% of the value has its leaf in %s; if it lacks frame pointers the "
                 "frame that called into it is missing (--unwind cfi finds it)",
                 profile_name(kind), share * 100, module.c_str());
        w.push_back(line);
      }
      continue;
    }
    // Stacks that stop short of the thread's entry, by cause, where they are 1% or more.
    uint64_t walked = 0;
    for (const auto& [end, value] : totals.total_by_stack_end) walked += value;
    for (const auto& [end, value] : totals.total_by_stack_end) {
      const double share = walked ? static_cast<double>(value) / static_cast<double>(walked) : 0;
      if (end == WAITPROF_STACK_END_ENTRY || share < 0.01) continue;
      char line[512];
      snprintf(line, sizeof(line), "%s: %.0f%% of the value has stacks that end at %s, before "
               "the thread's entry", profile_name(kind), share * 100, stack_end_name(end));
      w.push_back(line);
    }
  }
  const UnwindStats& u = outcome.unwind;
  for (const UnwindModuleStats& m : u.modules) {
    if (!m.has_table && m.no_table_reason == "the unwind tables are full") {
      w.push_back(m.path + ": no unwind table (the tables are full): its frames were unwound by "
                  "frame pointers");
    }
  }
  if (u.processes_without_space) {
    w.push_back(std::to_string(u.processes_without_space) +
                " processes had no room in the unwind tables: unwound by frame pointers");
  }
  if (uint64_t n = outcome.counters[WAITPROF_UNWIND_NO_TABLES]) {
    w.push_back(std::to_string(n) + " user walks of a process whose mappings were not known "
                "yet (just exec'd): unwound by frame pointers");
  }
  return w;
}

std::vector<std::string> profile_comments(const RecordOutcome& outcome) {
  // pprof prints every comment above its reports: keep it to three lines.
  std::string attach = "attach:";
  for (const std::string& point : outcome.attach_points) attach += " [" + point + "]";
  std::string drops = "drops:";
  for (const DropName& d : kDrops) {
    if (uint64_t n = outcome.counters[d.counter]) drops += " " + std::string(d.key) + "=" + std::to_string(n);
  }
  if (drops == "drops:") drops += " none";
  return {"waitprof 0.1.0 record", attach, drops};
}

nlohmann::json summary_json(const RecordOptions& options, const RecordOutcome& outcome) {
  using nlohmann::json;
  json j;
  j["waitprof_version"] = "0.1.0";
  j["start_unix_ns"] = outcome.start_unix_ns;
  j["duration_s"] = outcome.duration_s;
  j["window_monotonic_ns"] = {{"start", outcome.start_monotonic_ns},
                              {"stop", outcome.stop_monotonic_ns}};
  j["stopped_by"] = outcome.stopped_by;
  j["targets"] = {{"pids", options.pids},
                  {"children", options.children},
                  {"processes_seen", outcome.processes_seen},
                  {"processes_forked", outcome.processes_forked},
                  {"processes_exited", outcome.processes_exited}};
  json go = json::object();
  for (const auto& [pid, version] : outcome.go_versions) go[std::to_string(pid)] = version;
  j["targets"]["go_versions"] = go;
  if (!outcome.go_versions.empty()) {
    json unsampled = json::object();
    for (const auto& [pid, why] : outcome.goroutines.unsampled) unsampled[std::to_string(pid)] = why;
    json probe_errors = json::object();
    for (const auto& [pid, why] : outcome.go_probe_errors) probe_errors[std::to_string(pid)] = why;
    j["goroutines"] = {{"frequency_hz", outcome.goroutine_hz},
                       {"readings", outcome.goroutines.readings},
                       {"failed_readings", outcome.goroutines.failed_readings},
                       {"waiting_seen", outcome.goroutines.seen},
                       {"moved_while_read_dropped", outcome.goroutines.moved},
                       {"moved_while_read_kept", outcome.goroutines.moved_kept},
                       {"open_waits_at_stop", outcome.goroutines.open_waits},
                       {"open_wait_seconds_at_stop", static_cast<double>(outcome.goroutines.open_wait_ns) / 1e9},
                       {"max_goroutines", outcome.goroutines.max_goroutines},
                       {"reading_seconds", outcome.goroutines.reading_seconds},
                       {"sampler_realtime_error", outcome.goroutines.realtime_error},
                       {"unsampled", unsampled},
                       {"release_probes", outcome.go_release_probes},
                       {"release_probe_errors", probe_errors}};
  }
  j["attach_points"] = outcome.attach_points;
  j["waits_in_progress_at_start"] = outcome.waits_seeded;
  j["sample_period_ns"] = outcome.sample_period_ns;
  json seen = json::object();
  for (const SeenName& s : kSeen) seen[s.key] = outcome.counters[s.counter];
  j["events"] = seen;
  json drops = json::object();
  for (const DropName& d : kDrops) drops[d.key] = outcome.counters[d.counter];
  drops["proc_events_full"] = outcome.proctree_drops[WAITPROF_DROP_EVENTS_FULL];
  j["drops"] = drops;
  j["export"] = {{"seconds", outcome.export_seconds},
                 {"peak_rss_bytes", outcome.peak_rss_bytes},
                 {"unique_stacks", outcome.unique_stacks},
                 {"samples", outcome.raw_samples}};
  const UnwindStats& u = outcome.unwind;
  json modules = json::array();
  for (const UnwindModuleStats& m : u.modules) {
    json jm = {{"path", m.path},           {"rows", m.rows},
               {"table_bytes", m.table_bytes}, {"build_ms", m.build_ms},
               {"has_table", m.has_table}};
    if (!m.has_table) jm["no_table_reason"] = m.no_table_reason;
    modules.push_back(std::move(jm));
  }
  j["unwind"] = {
      {"mode", outcome.unwind_cfi ? "cfi" : "fp"},
      {"frames", outcome.counters[WAITPROF_UNWIND_FRAMES]},
      {"frame_pointer_frames", outcome.counters[WAITPROF_UNWIND_FP_FRAMES]},
      {"walks_without_tables", outcome.counters[WAITPROF_UNWIND_NO_TABLES]},
      {"waits_walked_again_with_tables", outcome.waits_rewalked},
      {"walks", outcome.counters[WAITPROF_UNWIND_WALKS]},
      {"stack_pages_copied", outcome.counters[WAITPROF_UNWIND_COPIES]},
      {"memo_hits", outcome.counters[WAITPROF_USER_STACK_MEMO_HITS]},
      {"memo_mismatches", outcome.counters[WAITPROF_USER_STACK_MEMO_MISMATCHES]},
      {"stacks_already_stored", outcome.counters[WAITPROF_USER_STACK_REUSED]},
      {"build_ms", u.build_ms},
      {"rows", {{"used", u.rows_used}, {"capacity", u.capacity.rows}}},
      {"pages", {{"used", u.pages_used}, {"capacity", u.capacity.pages}}},
      {"rules", {{"used", u.rules_used}, {"capacity", u.capacity.rules}}},
      {"address_spaces", {{"used", u.spaces_used}, {"capacity", u.capacity.spaces}}},
      {"processes_without_space", u.processes_without_space},
      {"mappings_left_out", u.mappings_left_out},
      {"modules", modules},
  };
  j["waits_in_progress_at_start_by"] = outcome.waits_seeded_by;
  json profiles = json::object();
  for (const auto& [kind, t] : outcome.totals) {
    json by_pid = json::object();
    for (const auto& [pid, v] : t.total_by_pid) by_pid[std::to_string(pid)] = v;
    json leaf = json::object();
    for (const auto& [module, share] : leaf_library_shares(t)) leaf[module] = share;
    profiles[profile_name(kind)] = {
        {"file", std::string(profile_name(kind)) + ".pb.gz"},
        {"samples", t.samples},
        {"count", t.count},
        {"total", t.total},
        {"unit", unit_of(kind)},
        {"total_by_pid", by_pid},
        {"missing_user_stack_total", t.missing_user_stack_total},
        {"leaf_in_shared_library_share", leaf},
        {"user_stacks_reaching_thread_entry_share", entry_share(t)},
    };
    json by_wait = json::object();
    for (const auto& [wait, value] : t.total_by_wait) by_wait[wait] = value;
    if (!t.total_by_wait.empty()) profiles[profile_name(kind)]["total_by_wait"] = by_wait;
    json ends = json::object();
    for (const auto& [end, value] : t.total_by_stack_end) ends[stack_end_name(end)] = value;
    profiles[profile_name(kind)]["total_by_user_stack_end"] = ends;
    json top = json::array();
    if (auto it = outcome.top_stacks.find(kind); it != outcome.top_stacks.end()) {
      for (const TopStack& s : it->second) {
        top.push_back({{"value", s.value}, {"share", s.share}, {"stack", s.line},
                       {"frames", s.frames}});
      }
    }
    profiles[profile_name(kind)]["top_stacks"] = top;
  }
  j["profiles"] = profiles;
  json programs = json::object();
  for (const auto& [name, id] : outcome.program_ids) programs[name] = id;
  j["bpf_program_ids"] = programs;
  j["warnings"] = record_warnings(outcome);
  return j;
}

}  // namespace waitprof
