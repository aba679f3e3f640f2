#include "record/profile_export.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>

#include "golang/go_frames.h"
#include "pprof/profile_builder.h"
#include "profile.h"
#include "record/syscall_names.h"
#include "record/target_registry.h"
#include "record/wait_kind.h"
#include "symbolize/symbolizer.h"

namespace waitprof {

namespace {

const char* offcpu_state_name(uint32_t state) {
  switch (state) {
    case WAITPROF_OFFCPU_SLEEPING: return "sleeping";
    case WAITPROF_OFFCPU_UNINTERRUPTIBLE: return "uninterruptible";
    case WAITPROF_OFFCPU_RUNQUEUE: return "runqueue";
    default: return "other";
  }
}

std::string futex_op_name(uint32_t op) {
  switch (op) {
    case 0: return "FUTEX_WAIT";
    case 6: return "FUTEX_LOCK_PI";
    case 9: return "FUTEX_WAIT_BITSET";
    case 11: return "FUTEX_WAIT_REQUEUE_PI";
    case 13: return "FUTEX_LOCK_PI2";
    case WAITPROF_FUTEX2_WAIT: return "futex_wait";
    case WAITPROF_FUTEX2_WAITV: return "futex_waitv";
    default: return "futex op " + std::to_string(op);
  }
}

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

ProfileHeader header_for(ProfileKind kind, const ExportContext& ctx) {
  ProfileHeader h;
  h.time_nanos = ctx.time_nanos;
  h.duration_nanos = ctx.duration_nanos;
  h.comments = ctx.comments;
  switch (kind) {
    case ProfileKind::kCpu:
      // As Go's CPU profile: samples/count and cpu/nanoseconds, period in ns of CPU time.
      h.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
      h.period_type = {"cpu", "nanoseconds"};
      h.period = ctx.sample_period_ns;
      h.default_sample_type = "cpu";
      break;
    case ProfileKind::kOffcpu:
      h.sample_types = {{"switches", "count"}, {"delay", "nanoseconds"}};
      h.period_type = {"switches", "count"};
      h.period = 1;
      h.default_sample_type = "delay";
      break;
    case ProfileKind::kLock:
    case ProfileKind::kBlock:
    case ProfileKind::kMutex:
      // As Go's block and mutex profiles.
      h.sample_types = {{"contentions", "count"}, {"delay", "nanoseconds"}};
      h.period_type = {"contentions", "count"};
      h.period = 1;
      h.default_sample_type = "delay";
      break;
    case ProfileKind::kSend:
      h.sample_types = {{"calls", "count"}, {"bytes", "bytes"}};
      h.period_type = {"calls", "count"};
      h.period = 1;
      h.default_sample_type = "bytes";
      break;
  }
  return h;
}

}  // namespace

std::string lock_name(Symbolizer& symbolizer, uint32_t tgid, uint64_t uaddr) {
  std::string name = symbolizer.data_symbol(static_cast<pid_t>(tgid), uaddr);
  return name.empty() ? hex(uaddr) : name;
}

namespace {

// The raw samples a profile is cut from: lock and block from the futex waits, mutex from the
// waits by their releaser.
ProfileKind source_of(ProfileKind profile) {
  return profile == ProfileKind::kBlock ? ProfileKind::kLock : profile;
}

// Whether a futex wait of this kind belongs in the profile: lock and mutex take locks only,
// block every synchronization wait.
bool profile_takes(ProfileKind profile, WaitKind kind) {
  switch (profile) {
    case ProfileKind::kLock:
    case ProfileKind::kMutex: return is_lock(kind);
    case ProfileKind::kBlock: return is_synchronization(kind);
    default: return true;
  }
}

// A goroutine's user frames as Go's profiles print them.
std::vector<Frame> goroutine_frames(Symbolizer& symbolizer, uint32_t tgid,
                                    const std::vector<uint64_t>& stack) {
  std::vector<Frame> frames = symbolizer.user_stack(static_cast<pid_t>(tgid), stack);
  trim_go_wait_frames(frames);
  return frames;
}

// Whether the Go that built a program charges a contended unlock with every waiter's delay
// (Go 1.22 on: "scaled by the number of goroutines blocked"), or only the queue's head's:
// before, semaRoot.dequeue restarts the next waiter's acquiretime at each wake, so a lock's
// delay is the time it had a goroutine asleep on it, however many.
bool go_mutex_delay_is_every_waiters(const std::string& version) {
  unsigned major = 0, minor = 0;
  if (sscanf(version.c_str(), "go%u.%u", &major, &minor) != 2) return true;
  return major > 1 || minor >= 22;
}

// Go's mutex profile out of the goroutine samples: a lock's delay (per Go's version, the
// time its waiters were sampled asleep on its semaphore, or the time it had one), shared out
// among the unlocks of that semaphore the uprobe counted, in proportion to their counts (Go
// charges each wake; a sample does not say which unlock woke whom, so every unlock of the
// lock is taken as waking an average waiter). Delay with no unlock seen keeps the waiter's
// stack under a placeholder; unlocks with no delay seen keep their counts (waits shorter
// than the sampling period).
std::vector<RawSample> go_mutex_samples(const std::vector<RawSample>& samples,
                                        const ExportContext& ctx) {
  Symbolizer& symbolizer = ctx.symbolizer;
  struct Lock {
    uint64_t delay = 0, waits = 0, queue = 0;
    const RawSample* top_waiter = nullptr;  // the waiters' largest sample: what they waited in
    std::vector<const RawSample*> unlocks;
    uint64_t unlock_count = 0;
  };
  std::map<std::pair<uint32_t, uint64_t>, Lock> locks;
  for (const RawSample& s : samples) {
    if (s.go == GoSource::kNone || s.futex_uaddr == 0) continue;
    Lock& lock = locks[{s.tgid, s.futex_uaddr}];
    if (s.go == GoSource::kQueue) {
      lock.queue += s.total;
    } else if (s.go == GoSource::kUnlock) {
      lock.unlocks.push_back(&s);
      lock.unlock_count += s.count;
    } else if (s.kind == ProfileKind::kLock &&
               is_lock(classify_goroutine_wait(goroutine_frames(symbolizer, s.tgid, s.user_stack),
                                               s.go_wait_reason))) {
      lock.delay += s.total;
      lock.waits += s.count;
      if (!lock.top_waiter || s.total > lock.top_waiter->total) lock.top_waiter = &s;
    }
  }
  std::vector<RawSample> out;
  const auto& versions = ctx.registry.go_versions();
  for (auto& [id, lock] : locks) {
    // No waiter's wait classified: not a lock's semaphore (a WaitGroup's), or only waits
    // still open, which a lock's delay does not count yet.
    if (!lock.top_waiter) lock.queue = 0;
    auto version = versions.find(static_cast<pid_t>(id.first));
    if (version != versions.end() && !go_mutex_delay_is_every_waiters(version->second)) {
      lock.delay = lock.queue;
    }
    if (lock.unlocks.empty()) {
      if (!lock.top_waiter) continue;
      RawSample s = *lock.top_waiter;
      s.go = GoSource::kUnlock;
      s.kind = ProfileKind::kMutex;
      s.waiter_stack = std::move(s.user_stack);
      s.user_stack.clear();
      s.count = lock.waits;
      s.total = lock.delay;
      out.push_back(std::move(s));
      continue;
    }
    uint64_t left = lock.delay;
    for (size_t i = 0; i < lock.unlocks.size(); ++i) {
      RawSample s = *lock.unlocks[i];
      const uint64_t share =
          i + 1 == lock.unlocks.size()
              ? left
              : static_cast<uint64_t>(static_cast<unsigned __int128>(lock.delay) * s.count /
                                      std::max<uint64_t>(lock.unlock_count, 1));
      s.total = std::min(share, left);
      left -= s.total;
      if (lock.top_waiter) {
        s.waiter_stack = lock.top_waiter->user_stack;
        s.go_wait_reason = lock.top_waiter->go_wait_reason;
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

perftools::profiles::Profile build_profile(ProfileKind kind, const std::vector<RawSample>& samples,
                                           const ExportContext& ctx, ProfileTotals& totals) {
  ProfileBuilder builder(header_for(kind, ctx));
  std::vector<Frame> frames;
  std::vector<Label> labels;
  const ProfileKind source = source_of(kind);
  const std::vector<RawSample> go_mutex =
      kind == ProfileKind::kMutex ? go_mutex_samples(samples, ctx)
                                  : std::vector<RawSample>{};
  // shared_out: one of go_mutex; the uprobe's raw unlock counts are samples through it only.
  auto add = [&](const RawSample& s, bool shared_out) {
    if (s.kind != source) return;
    if (s.go != GoSource::kNone && s.kind == ProfileKind::kMutex && !shared_out) return;
    const auto pid = static_cast<pid_t>(s.tgid);

    // Kernel frames are leaf-most: the kernel was running on the user code's behalf.
    frames = ctx.symbolizer.kernel_stack(s.kernel_stack);
    const std::vector<Frame> user = s.go != GoSource::kNone
                                        ? goroutine_frames(ctx.symbolizer, s.tgid, s.user_stack)
                                        : ctx.symbolizer.user_stack(pid, s.user_stack);
    const size_t first_user = frames.size();
    frames.insert(frames.end(), user.begin(), user.end());
    // What a futex wait waited for, from the waiter's frames: the sample's own, or for
    // mutex the woken waiter's.
    WaitKind wait = WaitKind::kUnknown;
    if (s.go != GoSource::kNone) {
      // A Go unlock seen with no waiter sampled: its own frames (sync.(*Mutex).Unlock) say
      // whose semaphore it released.
      if (s.kind == ProfileKind::kMutex && !s.waiter_stack.empty()) {
        wait = classify_goroutine_wait(goroutine_frames(ctx.symbolizer, s.tgid, s.waiter_stack),
                                       s.go_wait_reason);
        if (s.user_stack.empty()) {
          // Delay no unlock was seen for (the uprobe could not be attached): the waiter's
          // stack, under what is missing.
          Frame placeholder;
          placeholder.lines.push_back({"[unlocker not seen]", "[unlocker not seen]", "", 0, 0});
          frames.insert(frames.begin(), std::move(placeholder));
          const std::vector<Frame> waiter =
              goroutine_frames(ctx.symbolizer, s.tgid, s.waiter_stack);
          frames.insert(frames.end(), waiter.begin(), waiter.end());
        }
      } else {
        wait = classify_goroutine_wait(user, s.kind == ProfileKind::kMutex ? "semacquire"
                                                                            : s.go_wait_reason);
      }
    } else if (source == ProfileKind::kLock) {
      wait = classify_futex_wait(user, s.futex_op);
    } else if (source == ProfileKind::kMutex) {
      wait = classify_futex_wait(
          ctx.symbolizer.user_stack(static_cast<pid_t>(s.waiter_tgid), s.waiter_stack),
          s.futex_op);
    }
    if (!profile_takes(kind, wait)) return;
    if (s.user_stack_missing || s.began_before_recording || s.kernel_thread) {
      const char* what = s.began_before_recording ? "[waiting since before the recording]"
                         : s.kernel_thread        ? "[io_uring worker: no user code]"
                                                  : "[user stack lost]";
      Frame placeholder;
      placeholder.lines.push_back({what, what, "", 0, 0});
      frames.push_back(std::move(placeholder));
    }

    labels.clear();
    labels.push_back(Label::string("pid", std::to_string(s.tgid)));
    labels.push_back(Label::string("process", ctx.registry.process_name(pid)));
    if (ctx.options.thread_labels) {
      labels.push_back(Label::string("tid", std::to_string(s.tid)));
      labels.push_back(Label::string("thread", ctx.registry.thread_name(pid, static_cast<pid_t>(s.tid))));
    }
    int64_t values[2] = {static_cast<int64_t>(s.count), static_cast<int64_t>(s.total)};
    std::string wait_label;
    switch (kind) {
      case ProfileKind::kCpu:
        values[1] = static_cast<int64_t>(s.count) * ctx.sample_period_ns;
        break;
      case ProfileKind::kOffcpu: {
        const std::string syscall = syscall_name(s.syscall);
        wait_label = offcpu_wait_label(user, s.offcpu_state, syscall);
        labels.push_back(Label::string("state", offcpu_state_name(s.offcpu_state)));
        labels.push_back(Label::string("syscall", syscall));
        labels.push_back(Label::string("wait", wait_label));
        break;
      }
      case ProfileKind::kLock:
      case ProfileKind::kBlock:
      case ProfileKind::kMutex:
        wait_label = wait_kind_name(wait);
        labels.push_back(Label::string("wait", wait_label));
        if (s.go != GoSource::kNone) {
          // Go's name of the wait, as runtime.Stack prints it ("goroutine 7 [semacquire]").
          if (!s.go_wait_reason.empty()) {
            labels.push_back(Label::string("go_wait", s.go_wait_reason));
          }
          if (s.futex_uaddr) {
            labels.push_back(
                Label::string("lock", lock_name(ctx.symbolizer, s.tgid, s.futex_uaddr)));
          }
          break;
        }
        labels.push_back(Label::string("lock", lock_name(ctx.symbolizer, s.tgid, s.futex_uaddr)));
        labels.push_back(Label::string("futex_op", futex_op_name(s.futex_op)));
        if (kind == ProfileKind::kMutex) {
          // Whose critical section it was: the releaser's thread, always (Go's mutex
          // profile has no threads; a prefork server's releasers are its workers' threads).
          const auto tid = static_cast<pid_t>(s.tid);
          labels.push_back(Label::string("holder", ctx.registry.thread_name(pid, tid)));
          labels.push_back(Label::string("holder_tid", std::to_string(s.tid)));
        }
        break;
      case ProfileKind::kSend:
        break;
    }
    builder.add_sample(frames, values, labels);

    const auto value = static_cast<uint64_t>(values[1]);
    totals.count += s.count;
    totals.total += value;
    totals.total_by_pid[s.tgid] += value;
    if (!wait_label.empty()) totals.total_by_wait[wait_label] += value;
    if (s.user_stack_missing) totals.missing_user_stack_total += value;
    if (!s.user_stack.empty()) totals.total_by_stack_end[s.user_stack_end] += value;
    if (first_user < frames.size() && frames[first_user].module) {
      totals.leaf_module_total[frames[first_user].module->path] += value;
    }
    if (s.go != GoSource::kNone) {
      totals.goroutine_total_by_pid[s.tgid] += value;
      if (!wait_label.empty()) totals.goroutine_total_by_wait[wait_label] += value;
    }
  };
  for (const RawSample& s : samples) add(s, false);
  for (const RawSample& s : go_mutex) add(s, true);
  perftools::profiles::Profile profile = std::move(builder).build();
  totals.samples = static_cast<uint64_t>(profile.sample_size());
  return profile;
}

}  // namespace waitprof
