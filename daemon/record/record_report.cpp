#include "record/record_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "flamegraph/sample_index.h"
#include "flamegraph/stack_tree.h"
#include "flamegraph/units.h"
#include "record/wait_kind.h"

namespace waitprof {

namespace {

using perftools::profiles::Profile;
using perftools::profiles::Sample;

constexpr size_t kTopStacks = 5;
constexpr size_t kFramesShown = 8;
constexpr size_t kFrameNameMax = 60;

std::string printf_string(const char* fmt, auto... args) {
  char buf[512];
  snprintf(buf, sizeof(buf), fmt, args...);
  return buf;
}

const std::string& label(const Profile& p, const Sample& s, std::string_view key) {
  static const std::string kNone;
  for (const auto& l : s.label()) {
    if (p.string_table(static_cast<int>(l.key())) == key) {
      return p.string_table(static_cast<int>(l.str()));
    }
  }
  return kNone;
}

// The parts of a split, largest first.
std::vector<std::pair<std::string, int64_t>> largest_first(const std::map<std::string, int64_t>& by) {
  std::vector<std::pair<std::string, int64_t>> out(by.begin(), by.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::vector<std::pair<std::string, int64_t>> totals_by_label(const Profile& p, int index,
                                                             std::string_view key) {
  std::map<std::string, int64_t> by;
  for (const Sample& s : p.sample()) by[label(p, s, key)] += s.value(index);
  return largest_first(by);
}

// "epoll_wait 97.0%, nanosleep 2.1%": the first `n` parts of a split, by share of `total`.
std::string shares(const std::vector<std::pair<std::string, int64_t>>& parts, int64_t total,
                   size_t n) {
  std::string out;
  for (size_t i = 0; i < parts.size() && i < n; ++i) {
    if (parts[i].second <= 0) break;
    if (!out.empty()) out += ", ";
    out += (parts[i].first.empty() ? "(none)" : parts[i].first) + " " +
           format_percent(parts[i].second, total);
  }
  return out;
}

std::string seconds(int64_t ns) { return format_value(ns, "nanoseconds"); }

}  // namespace

// The pprof files and flamegraphs keep the full names; only the report shortens them.
std::string short_function_name(const std::string& name) {
  std::string out;
  int angle = 0, paren = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    // "operator()", "operator<" and friends are names, not argument lists.
    if (angle == 0 && paren == 0 && name.compare(i, 8, "operator") == 0) {
      size_t j = i + 8;
      if (name.compare(j, 2, "()") == 0) {
        j += 2;
      } else {
        while (j < name.size() && std::string_view("<>=!+-*/%&|^~[],").find(name[j]) !=
                                      std::string_view::npos) {
          ++j;
        }
      }
      out.append(name, i, j - i);
      i = j - 1;
      continue;
    }
    // A C++ scope name, not an argument list.
    if (angle == 0 && paren == 0 && name.compare(i, 21, "(anonymous namespace)") == 0) {
      out.append(name, i, 21);
      i += 20;
      continue;
    }
    // Go's method names hold their receiver in parentheses after a dot:
    // "internal/poll.(*FD).Write" is a name, not an argument list.
    if (c == '(' && angle == 0 && paren == 0 && i > 0 && name[i - 1] == '.') {
      const size_t close = name.find(')', i);
      if (close != std::string::npos) {
        out.append(name, i, close - i + 1);
        i = close;
        continue;
      }
    }
    if (c == '<' && paren == 0) {
      if (angle++ == 0) out += "<>";
    } else if (c == '>' && paren == 0 && angle > 0) {
      --angle;
    } else if (c == '(' && angle == 0) {
      ++paren;
    } else if (c == ')' && angle == 0 && paren > 0) {
      --paren;
    } else if (angle == 0 && paren == 0) {
      out += c;
    }
  }
  // What follows a parameter list: " const", " &&".
  while (!out.empty() && (out.back() == ' ')) out.pop_back();
  for (const char* suffix : {" const", " &&", " &"}) {
    const std::string_view sv(suffix);
    if (out.size() > sv.size() && out.compare(out.size() - sv.size(), sv.size(), sv) == 0) {
      out.resize(out.size() - sv.size());
    }
  }
  return out.empty() ? name : out;
}

std::string stack_line(const std::vector<std::string>& frames) {
  std::string line;
  for (size_t i = 0; i < frames.size() && i < kFramesShown; ++i) {
    if (i) line += " <- ";
    std::string name = short_function_name(frames[i]);
    if (name.size() > kFrameNameMax) name = name.substr(0, kFrameNameMax - 2) + "..";
    line += name;
  }
  if (frames.size() > kFramesShown) line += " <- ...";
  return line;
}

namespace {

std::string pid_list(const RecordOutcome& outcome) {
  std::set<uint32_t> pids;
  for (const auto& [kind, t] : outcome.totals) {
    for (const auto& [pid, value] : t.total_by_pid) pids.insert(pid);
  }
  std::string out;
  size_t shown = 0;
  for (uint32_t pid : pids) {
    if (shown == 8) {
      out += ", ... (" + std::to_string(pids.size()) + " processes)";
      break;
    }
    out += (shown++ ? ", " : "") + std::to_string(pid);
  }
  return out.empty() ? "(none seen)" : out;
}

const WrittenProfile* find(const std::vector<WrittenProfile>& profiles, ProfileKind kind) {
  for (const WrittenProfile& p : profiles) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

void headline(std::string& out, const RecordOutcome& outcome, const Profile& offcpu) {
  const BlockedBreakdown b = blocked_breakdown(offcpu);
  const double wall = outcome.duration_s;
  const double blocked_s = static_cast<double>(b.total_ns) / 1e9;
  out += printf_string(
      "Threads of PIDs %s were blocked %.1f thread-seconds in %.1f wall seconds "
      "(%.1f threads' worth on average).\n",
      pid_list(outcome).c_str(), blocked_s, wall, wall > 0 ? blocked_s / wall : 0.0);
  out += "Where that time went:\n";
  auto row = [&](const char* what, int64_t ns, const std::string& note) {
    out += printf_string("  %-34s %10s %7s", what, seconds(ns).c_str(),
                         format_percent(ns, b.total_ns).c_str());
    out += note.empty() ? "\n" : "   " + note + "\n";
  };
  const double per60 = wall > 0 ? static_cast<double>(b.lock_ns) / 1e9 * 60 / wall : 0;
  row("lock wait (mutex, rwlock, custom)", b.lock_ns, printf_string("%.1f s per 60 s", per60));
  // Futex waits that are no lock, apart: an idle pool is no contention.
  auto row_if = [&](const char* what, int64_t ns, const std::string& note) {
    if (ns > 0) row(what, ns, note);
  };
  row_if("condition variable waits", b.condvar_ns, "idle pools, or waits for work");
  row_if("waiting for threads to exit", b.join_ns, "join");
  row_if("semaphore or barrier wait", b.semaphore_ns, "");
  row_if("Go runtime idle threads", b.go_runtime_ns, "the scheduler parking its OS threads");
  row_if("other futex wait", b.other_futex_ns, "kind not told by the stack");
  row("other sleep", b.other_ns, shares(b.other_by_syscall, b.other_ns, 3));
  row("I/O (uninterruptible)", b.io_ns, "");
  row("runqueue (waiting for a CPU)", b.runqueue_ns, "");
}

// Go targets first: their waits are the goroutines', as Go's block profile counts them.
void goroutine_headline(std::string& out, const RecordOutcome& outcome) {
  auto block = outcome.totals.find(ProfileKind::kBlock);
  if (block == outcome.totals.end() || block->second.goroutine_total_by_pid.empty()) return;
  const ProfileTotals& t = block->second;
  int64_t total = 0;
  std::string pids;
  for (const auto& [pid, ns] : t.goroutine_total_by_pid) {
    total += static_cast<int64_t>(ns);
    pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  }
  const double wall = outcome.duration_s;
  const double blocked_s = static_cast<double>(total) / 1e9;
  out += printf_string(
      "Goroutines of PIDs %s were blocked %.1f goroutine-seconds in %.1f wall seconds "
      "(%.1f goroutines' worth on average), as Go's block profile counts them.\n",
      pids.c_str(), blocked_s, wall, wall > 0 ? blocked_s / wall : 0.0);
  std::vector<std::pair<std::string, int64_t>> by_wait;
  for (const auto& [wait, ns] : t.goroutine_total_by_wait) by_wait.emplace_back(wait, ns);
  std::sort(by_wait.begin(), by_wait.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [wait, ns] : by_wait) {
    const double per60 = wall > 0 ? static_cast<double>(ns) / 1e9 * 60 / wall : 0;
    out += printf_string("  %-34s %10s %7s   %.1f s per 60 s\n",
                         (wait == "mutex" || wait == "rwlock" ? "lock wait (" + wait + ")"
                          : wait == "condvar"                ? std::string("sync.Cond wait")
                          : wait == "channel"                ? std::string("channel or select")
                          : wait == "join"                   ? std::string("WaitGroup wait")
                                                             : wait + " wait")
                             .c_str(),
                         seconds(ns).c_str(), format_percent(ns, total).c_str(), per60);
  }
  if (outcome.goroutines.open_waits > 0) {
    out += printf_string(
        "  (%llu goroutine waits still in progress at the stop, %s so far, are in no profile: "
        "Go counts a wait when it ends)\n",
        static_cast<unsigned long long>(outcome.goroutines.open_waits),
        seconds(static_cast<int64_t>(outcome.goroutines.open_wait_ns)).c_str());
  }
  out += "\n";
}

// What a profile charges, where that is worth a line: the lock profile's waiters and the
// mutex profile's holders read side by side.
const char* section_note(ProfileKind kind) {
  switch (kind) {
    case ProfileKind::kLock: return "waiters: where threads waited for locks";
    case ProfileKind::kMutex:
      return "holders: whose critical section made them wait, at its unlock";
    case ProfileKind::kBlock: return "every synchronization wait, charged to the waiter";
    default: return nullptr;
  }
}

void profile_section(std::string& out, const RecordOutcome& outcome, const WrittenProfile& w) {
  const Profile& p = w.profile;
  Result<SampleIndex> index = select_sample_index(p, "");
  if (!index) return;
  // The export summed both values already: count (the first sample type) and total.
  const ProfileTotals& totals = outcome.totals.at(w.kind);
  const auto total = static_cast<int64_t>(totals.total);
  out += printf_string("%s: %s", profile_name(w.kind), format_value(total, index->unit).c_str());
  if (index->type != index->unit) out += " " + index->type;
  out += " in " + format_value(static_cast<int64_t>(totals.count), "count") + " " +
         p.string_table(static_cast<int>(p.sample_type(0).type()));
  if (total > 0) {
    switch (w.kind) {
      case ProfileKind::kLock:
        out += "; by lock: " + shares(totals_by_label(p, index->index, "lock"), total, 3);
        break;
      case ProfileKind::kMutex:
      {
        out += "; by lock: " + shares(totals_by_label(p, index->index, "lock"), total, 3);
        // Goroutines' unlocks have no holder thread: a tree of Go workers only has none.
        const auto holders = totals_by_label(p, index->index, "holder");
        if (!(holders.size() == 1 && holders[0].first.empty())) {
          out += "; by holder: " + shares(holders, total, 3);
        }
        break;
      }
      case ProfileKind::kBlock:
        out += "; by kind: " + shares(totals_by_label(p, index->index, "wait"), total, 5);
        break;
      case ProfileKind::kOffcpu:
        out += "; by state: " + shares(totals_by_label(p, index->index, "state"), total, 4);
        break;
      default: break;
    }
  }
  out += "\n";
  if (const char* what = section_note(w.kind)) out += std::string("  (") + what + ")\n";
  if (auto it = outcome.top_stacks.find(w.kind); it != outcome.top_stacks.end()) {
    for (const TopStack& s : it->second) {
      out += printf_string("  %7s  ", format_percent(s.value, total).c_str()) + s.line + "\n";
    }
  }
}

}  // namespace

BlockedBreakdown blocked_breakdown(const Profile& offcpu) {
  BlockedBreakdown b;
  Result<SampleIndex> delay_index = select_sample_index(offcpu, "delay");
  if (!delay_index) return b;
  const int delay = delay_index->index;
  std::map<std::string, int64_t> other;
  for (const Sample& s : offcpu.sample()) {
    const int64_t v = s.value(delay);
    const std::string& wait = label(offcpu, s, "wait");
    const std::string& syscall = label(offcpu, s, "syscall");
    b.total_ns += v;
    const std::optional<WaitKind> kind = wait_kind_named(wait);
    if (wait == "runqueue") {
      b.runqueue_ns += v;
    } else if (wait == "io") {
      b.io_ns += v;
    } else if (!kind) {
      b.other_ns += v;
      other[syscall] += v;
    } else if (is_lock(*kind)) {
      b.lock_ns += v;
    } else if (*kind == WaitKind::kCondvar) {
      b.condvar_ns += v;
    } else if (*kind == WaitKind::kJoin) {
      b.join_ns += v;
    } else if (*kind == WaitKind::kSemaphore || *kind == WaitKind::kBarrier) {
      b.semaphore_ns += v;
    } else if (*kind == WaitKind::kGoRuntime) {
      b.go_runtime_ns += v;
    } else {
      b.other_futex_ns += v;
    }
  }
  b.other_by_syscall = largest_first(other);
  return b;
}

std::vector<TopStack> top_stacks(const Profile& profile, size_t n) {
  std::vector<TopStack> out;
  Result<SampleIndex> index = select_sample_index(profile, "");
  if (!index) return out;
  // A node's self value is exactly the value of the samples with that stack.
  const StackTree tree = StackTree::build(profile, index->index);
  std::vector<int32_t> leaves;
  for (size_t i = 1; i < tree.size(); ++i) {
    if (tree.node(static_cast<int32_t>(i)).self > 0) leaves.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(leaves.begin(), leaves.end(), [&](int32_t a, int32_t b) {
    return tree.node(a).self > tree.node(b).self;
  });
  if (leaves.size() > n) leaves.resize(n);
  for (int32_t leaf : leaves) {
    TopStack s;
    s.value = tree.node(leaf).self;
    s.share = tree.total() > 0 ? static_cast<double>(s.value) / static_cast<double>(tree.total()) : 0;
    for (int32_t i = leaf; i > 0; i = tree.node(i).parent) s.frames.push_back(tree.name(tree.node(i)));
    s.line = stack_line(s.frames);
    out.push_back(std::move(s));
  }
  return out;
}

std::string record_report(const RecordOptions& options, const RecordOutcome& outcome,
                          const std::vector<WrittenProfile>& profiles) {
  std::string out;
  out += printf_string("waitprof: recorded %zu process%s for %.1f s (stopped by %s)\n\n",
                       outcome.processes_seen, outcome.processes_seen == 1 ? "" : "es",
                       outcome.duration_s, outcome.stopped_by.c_str());
  goroutine_headline(out, outcome);
  if (const WrittenProfile* offcpu = find(profiles, ProfileKind::kOffcpu)) {
    headline(out, outcome, offcpu->profile);
  }
  const double wall = outcome.duration_s > 0 ? outcome.duration_s : 1;
  std::string rates;
  if (auto it = outcome.totals.find(ProfileKind::kCpu); it != outcome.totals.end()) {
    rates += printf_string("On CPU: %s (%.2f cores on average).",
                           seconds(static_cast<int64_t>(it->second.total)).c_str(),
                           static_cast<double>(it->second.total) / 1e9 / wall);
  }
  if (auto it = outcome.totals.find(ProfileKind::kSend); it != outcome.totals.end()) {
    if (!rates.empty()) rates += " ";
    rates += "Sent to TCP: " +
             format_value(static_cast<int64_t>(static_cast<double>(it->second.total) / wall),
                          "bytes") +
             "/s.";
  }
  if (!rates.empty()) out += rates + "\n";
  if (!outcome.go_versions.empty()) {
    // Said plainly: goroutines block in the Go runtime, where no kernel event sees them.
    std::string pids;
    for (const auto& [pid, version] : outcome.go_versions) {
      if (!pids.empty()) pids += ", ";
      pids += std::to_string(pid) + " (" + version + ")";
    }
    out += "Go programs: PIDs " + pids +
           ". Their goroutines' waits are in lock, block and mutex (label go_wait: Go's wait "
           "reason), read from their memory " +
           (outcome.goroutine_hz > 0 ? std::to_string(outcome.goroutine_hz) + " times a second"
                                     : std::string("never (--goroutine-frequency 0)")) +
           ", contended unlocks by a uprobe on sync.runtime_Semrelease (" +
           std::to_string(outcome.go_release_probes) +
           " processes); their OS threads' futex waits are the Go scheduler parking idle "
           "threads (wait=go-runtime, kept out of lock, block and mutex).\n";
    for (const auto& [pid, why] : outcome.goroutines.unsampled) {
      out += "  PID " + std::to_string(pid) + ": goroutines not read: " + why + "\n";
    }
    if (!outcome.goroutines.realtime_error.empty()) {
      out += "  The goroutine reader ran without a real-time priority (" +
             outcome.goroutines.realtime_error +
             "): on a busy host its readings run late and undercount the waits.\n";
    }
    for (const auto& [pid, why] : outcome.go_probe_errors) {
      out += "  PID " + std::to_string(pid) + ": no mutex uprobe: " + why + "\n";
    }
  }

  out += "\nTop stacks (leaf <- callers), by share of each profile:\n";
  for (ProfileKind kind : {ProfileKind::kLock, ProfileKind::kMutex, ProfileKind::kBlock,
                           ProfileKind::kOffcpu, ProfileKind::kCpu, ProfileKind::kSend}) {
    if (const WrittenProfile* w = find(profiles, kind)) profile_section(out, outcome, *w);
  }

  out += "\nFiles in " + options.output_dir.string() + ":";
  for (const WrittenProfile& w : profiles) {
    for (const std::string& f : w.files) out += " " + f;
  }
  out += " summary.json summary.txt\n";
  out += "Attach points:\n";
  for (const std::string& point : outcome.attach_points) out += "  " + point + "\n";
  const std::vector<std::string> warnings = record_warnings(outcome);
  if (warnings.empty()) {
    out += "Drops and truncated stacks: none\n";
  } else {
    out += "Drops and possibly truncated stacks:\n";
    for (const std::string& w : warnings) out += "  " + w + "\n";
  }
  return out;
}

}  // namespace waitprof
