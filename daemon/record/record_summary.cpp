#include "record/record_summary.h"

#include <cstdio>

namespace waitprof {

namespace {

struct DropName {
  int counter;
  const char* key;   // summary.json
  const char* text;  // the warning line
};

constexpr DropName kDrops[] = {
    {WAITPROF_DROP_STACKS_FULL, "stacks_full",
     "stacks not stored: more distinct stacks than --stack-map-entries"},
    {WAITPROF_DROP_STACK_FAILED, "stack_walk_failures", "user stack walks that failed"},
    {WAITPROF_DROP_CPU_KEYS_FULL, "cpu_keys_full", "cpu samples lost: map full"},
    {WAITPROF_DROP_OFFCPU_KEYS_FULL, "offcpu_keys_full", "off-CPU waits lost: map full"},
    {WAITPROF_DROP_LOCK_KEYS_FULL, "lock_keys_full", "futex waits lost: map full"},
    {WAITPROF_DROP_SEND_KEYS_FULL, "send_keys_full", "sends lost: map full"},
    {WAITPROF_DROP_STACK_STORE_FAILED, "stack_store_failures",
     "stacks not stored: the map update was refused (busy or out of memory)"},
    {WAITPROF_DROP_THREAD_SLOTS_FULL, "thread_slots_full",
     "waits and sends not recorded: no free thread slot (too many target threads)"},
};

struct SeenName {
  int counter;
  const char* key;
};

constexpr SeenName kSeen[] = {
    {WAITPROF_SEEN_CPU_SAMPLES, "cpu_samples"},
    {WAITPROF_SEEN_SWITCHES, "switch_outs"},
    {WAITPROF_SEEN_TARGET_SWITCHES, "target_switches"},
    {WAITPROF_SEEN_FUTEX_WAITS, "futex_waits"},
    {WAITPROF_SEEN_SENDS, "sends"},
    // Waits and sends added to their thread's running sum in BPF rather than to a map.
    {WAITPROF_FOLDED_IN_SLOT, "folded_in_thread_slot"},
    // Switch-ins the kernel ran without a sched_switch event; their waits were derived.
    {WAITPROF_UNTRACED_SWITCH_INS, "untraced_switch_ins"},
};

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
    for (const auto& [module, share] : leaf_library_shares(totals)) {
      if (share < 0.01) continue;
      char line[512];
      snprintf(line, sizeof(line),
               "%s: %.0f%% of the value has its leaf in %s; if it lacks frame pointers the "
               "frame that called into it is missing",
               profile_name(kind), share * 100, module.c_str());
      w.push_back(line);
    }
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
  j["stack_memo"] = {{"enabled", !options.exact_stacks},
                     {"verify", options.verify_stack_memo},
                     {"hits", outcome.counters[WAITPROF_USER_STACK_REUSED]},
                     {"mismatches", outcome.counters[WAITPROF_USER_STACK_MISMATCHES]}};
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
    };
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
