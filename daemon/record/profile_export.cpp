#include "record/profile_export.h"

#include <cinttypes>
#include <cstdio>

#include "pprof/profile_builder.h"
#include "profile.h"
#include "record/syscall_names.h"
#include "record/target_registry.h"
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
  // A lone address is looked up as it is (no return-address adjustment), so a global's
  // address resolves to its .data/.bss symbol; heap and stack addresses have no module.
  const uint64_t addrs[] = {uaddr};
  std::vector<Frame> frames = symbolizer.user_stack(static_cast<pid_t>(tgid), addrs);
  if (!frames.empty() && frames[0].module && !frames[0].lines.empty() &&
      !frames[0].lines[0].function.empty()) {
    return frames[0].lines[0].function;
  }
  return hex(uaddr);
}

perftools::profiles::Profile build_profile(ProfileKind kind, const std::vector<RawSample>& samples,
                                           const ExportContext& ctx, ProfileTotals& totals) {
  ProfileBuilder builder(header_for(kind, ctx));
  std::vector<Frame> frames;
  std::vector<Label> labels;
  for (const RawSample& s : samples) {
    if (s.kind != kind) continue;
    const auto pid = static_cast<pid_t>(s.tgid);

    // Kernel frames are leaf-most: the kernel was running on the user code's behalf.
    frames = ctx.symbolizer.kernel_stack(s.kernel_stack);
    std::vector<Frame> user = ctx.symbolizer.user_stack(pid, s.user_stack);
    const size_t first_user = frames.size();
    frames.insert(frames.end(), std::make_move_iterator(user.begin()),
                  std::make_move_iterator(user.end()));
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
    switch (kind) {
      case ProfileKind::kCpu:
        values[1] = static_cast<int64_t>(s.count) * ctx.sample_period_ns;
        break;
      case ProfileKind::kOffcpu:
        labels.push_back(Label::string("state", offcpu_state_name(s.offcpu_state)));
        labels.push_back(Label::string("syscall", syscall_name(s.syscall)));
        break;
      case ProfileKind::kLock:
        labels.push_back(Label::string("lock", lock_name(ctx.symbolizer, s.tgid, s.futex_uaddr)));
        labels.push_back(Label::string("futex_op", futex_op_name(s.futex_op)));
        break;
      case ProfileKind::kSend:
        break;
    }
    builder.add_sample(frames, values, labels);

    const auto value = static_cast<uint64_t>(values[1]);
    totals.count += s.count;
    totals.total += value;
    totals.total_by_pid[s.tgid] += value;
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
