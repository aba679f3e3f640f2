#include "record/profile_export.h"

#include <cinttypes>
#include <cstdio>

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

}  // namespace

perftools::profiles::Profile build_profile(ProfileKind kind, const std::vector<RawSample>& samples,
                                           const ExportContext& ctx, ProfileTotals& totals) {
  ProfileBuilder builder(header_for(kind, ctx));
  std::vector<Frame> frames;
  std::vector<Label> labels;
  const ProfileKind source = source_of(kind);
  for (const RawSample& s : samples) {
    if (s.kind != source) continue;
    const auto pid = static_cast<pid_t>(s.tgid);

    // Kernel frames are leaf-most: the kernel was running on the user code's behalf.
    frames = ctx.symbolizer.kernel_stack(s.kernel_stack);
    const std::vector<Frame> user = ctx.symbolizer.user_stack(pid, s.user_stack);
    const size_t first_user = frames.size();
    frames.insert(frames.end(), user.begin(), user.end());
    // What a futex wait waited for, from the waiter's frames: the sample's own, or for
    // mutex the woken waiter's.
    WaitKind wait = WaitKind::kUnknown;
    if (source == ProfileKind::kLock) {
      wait = classify_futex_wait(user, s.futex_op);
    } else if (source == ProfileKind::kMutex) {
      wait = classify_futex_wait(
          ctx.symbolizer.user_stack(static_cast<pid_t>(s.waiter_tgid), s.waiter_stack),
          s.futex_op);
    }
    if (!profile_takes(kind, wait)) continue;
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
  }
  perftools::profiles::Profile profile = std::move(builder).build();
  totals.samples = static_cast<uint64_t>(profile.sample_size());
  return profile;
}

}  // namespace waitprof
