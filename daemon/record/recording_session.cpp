#include "record/recording_session.h"

#include <time.h>

#include <algorithm>

#include "proc_scan.h"
#include "record/launched_command.h"
#include "record/wait_seeding.h"

namespace waitprof {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000ll + ts.tv_nsec;
}

RecordingSession::RecordingSession(const RecordOptions& options)
    : registry_(symbolizer_, options.unwind == UnwindMode::kCfi ? &unwind_ : nullptr) {}

Result<std::unique_ptr<RecordingSession>> RecordingSession::open(
    const RecordOptions& options, const LaunchedCommand* launched) {
  std::unique_ptr<RecordingSession> session(new RecordingSession(options));
  if (Status s = session->attach(options, launched); !s) return s.error();
  return session;
}

Status RecordingSession::attach(const RecordOptions& options, const LaunchedCommand* launched) {
  Result<std::unique_ptr<ProcessTree>> tree =
      ProcessTree::open(options.children || launched,
                        [this](const waitprof_proc_event& e) { registry_.on_event(e); });
  if (!tree) return tree.error();
  tree_ = std::move(*tree);
  std::vector<pid_t> initial_targets;
  if (launched) {
    // Not a target until its exec: nothing runs in it before that but our own code.
    if (Status s = tree_->add_root_at_exec(launched->pid()); !s) return s.error();
  } else {
    for (pid_t pid : options.pids) {
      if (Status s = tree_->add_root(pid); !s) return s.error();
      initial_targets.push_back(pid);
      if (options.children) {
        for (pid_t child : list_descendants(pid)) initial_targets.push_back(child);
      }
    }
  }
  for (pid_t pid : initial_targets) registry_.add_existing(pid);

  shared_.targets_map_fd = tree_->targets_map_fd();
  shared_.unwind_pids_map_fd = tree_->unwind_pids_map_fd();
  shared_.unwind_epoch_map_fd = tree_->unwind_epoch_map_fd();
  shared_.unwind_capacity = unwind_.capacity();
  if (options.unwind == UnwindMode::kCfi) {
    shared_.before_attach = [this](const ProfilePrograms& p) {
      return unwind_.attach(p.unwind_map_fds(), shared_.unwind_capacity);
    };
  }
  Result<std::unique_ptr<ProfilePrograms>> programs = ProfilePrograms::open(options, shared_);
  if (!programs) return programs.error();
  programs_ = std::move(*programs);

  start_unix_ns_ = realtime_ns();
  start_ns_ = monotonic_ns();
  Result<size_t> seeded = programs_->can_seed_waits()
                              ? programs_->seed_waits(start_ns_)
                              : seed_waits_in_progress(*programs_, initial_targets, start_ns_);
  if (!seeded) return seeded.error();
  waits_seeded_ = *seeded;
  goroutine_hz_ = options.wants_futex_waits() ? options.goroutine_hz : 0;
  follow_go_processes();
  // Reading a large Go binary's DWARF for its runtime's layout takes a moment: done before
  // the recording says it started, so load begun then is sampled whole.
  if (goroutines_) goroutines_->wait_until_open(10000);
  return {};
}

void RecordingSession::follow_go_processes() {
  for (pid_t pid : registry_.take_execed()) {
    // Another image: its runtime's layout and symbols are another's.
    if (go_followed_.erase(pid)) {
      if (goroutines_) goroutines_->untrack(pid);
      programs_->detach_go_releases(pid);
    }
  }
  const std::vector<pid_t> live = registry_.live_processes();
  const std::set<pid_t> alive(live.begin(), live.end());
  for (auto it = go_followed_.begin(); it != go_followed_.end();) {
    if (alive.contains(*it)) {
      ++it;
      continue;
    }
    if (goroutines_) goroutines_->untrack(*it);
    programs_->detach_go_releases(*it);
    it = go_followed_.erase(it);
  }
  for (const auto& [pid, version] : registry_.go_versions()) {
    if (!alive.contains(pid) || !go_followed_.insert(pid).second) continue;
    if (goroutine_hz_ > 0) {
      if (!goroutines_) goroutines_ = std::make_unique<GoroutineSampler>(goroutine_hz_);
      goroutines_->track(pid);
    }
    Result<bool> probed = programs_->attach_go_releases(pid);
    if (!probed) {
      go_probe_errors_[pid] = probed.error().message;
    } else if (*probed) {
      ++go_probes_attached_;
    }
  }
}

void RecordingSession::stop() {
  programs_->stop();
  if (goroutines_) goroutines_->stop();
}

Result<std::vector<RawSample>> RecordingSession::collect(uint64_t stop_ns,
                                                         uint64_t min_block_ns) const {
  Result<std::vector<RawSample>> samples = collect_samples(*programs_, stop_ns, min_block_ns);
  if (!samples || !goroutines_) return samples;
  for (GoroutineWaitTotal& t : goroutines_->totals()) {
    RawSample s;
    s.kind = ProfileKind::kLock;
    s.go = GoSource::kWait;
    s.tgid = static_cast<uint32_t>(t.tgid);
    s.user_stack = std::move(t.stack);
    s.user_stack_end = t.stack_end;
    s.futex_uaddr = t.object;
    s.go_wait_reason = std::move(t.reason);
    s.count = t.waits;
    s.total = t.ns;
    samples->push_back(std::move(s));
  }
  for (const SemaphoreQueueTotal& q : goroutines_->queue_totals()) {
    RawSample s;
    s.kind = ProfileKind::kMutex;
    s.go = GoSource::kQueue;
    s.tgid = static_cast<uint32_t>(q.tgid);
    s.futex_uaddr = q.sema;
    s.total = q.ns;
    samples->push_back(std::move(s));
  }
  std::sort(samples->begin(), samples->end(),
            [](const RawSample& a, const RawSample& b) { return a.sort_key() < b.sort_key(); });
  return samples;
}

Result<size_t> RecordingSession::handle_events() {
  if (Status s = tree_->poll(0); !s) return s.error();
  size_t rewalked = 0;
  follow_go_processes();
  for (pid_t tgid : registry_.take_newly_unwindable()) {
    Result<size_t> n = programs_->rewalk_waits(tgid);
    if (!n) return n.error();
    rewalked += *n;
  }
  return rewalked;
}

std::vector<std::string> RecordingSession::attach_points() const {
  std::vector<std::string> points = programs_->attach_points();
  points.insert(points.begin(), "targets: sched_process_fork/exec/exit, task_rename (" +
                                    tree_->attach_mode() + "); libraries: " +
                                    tree_->loader_hook());
  return points;
}

const char* RecordingSession::waits_seeded_by() const {
  return programs_->can_seed_waits() ? "task iterator" : "/proc";
}

}  // namespace waitprof
