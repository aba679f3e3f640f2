// What `waitprof record` was asked to do, after the command line was parsed and checked.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace waitprof {

// lock, block and mutex are cut from the same futex waits (by what each waited for, and for
// mutex by who woke it): see record/wait_kind.h.
enum class ProfileKind { kCpu, kOffcpu, kLock, kBlock, kMutex, kSend };
inline constexpr ProfileKind kAllProfiles[] = {ProfileKind::kCpu,   ProfileKind::kOffcpu,
                                              ProfileKind::kLock,  ProfileKind::kBlock,
                                              ProfileKind::kMutex, ProfileKind::kSend};

enum class UnwindMode { kCfi, kFramePointers };

// File stem and flag name: "cpu" → cpu.pb.gz.
const char* profile_name(ProfileKind kind);

struct RecordOptions {
  std::vector<pid_t> pids;
  // `record [options] -- COMMAND [ARGS…]`: run this and record it and its children instead.
  std::vector<std::string> command;
  bool children = false;
  double duration_s = 0;  // 0: until Ctrl-C / SIGTERM, or until every target has exited
  std::filesystem::path output_dir = "waitprof-out";
  std::vector<ProfileKind> profiles{std::begin(kAllProfiles), std::end(kAllProfiles)};
  int frequency_hz = 99;  // off the 100 Hz of timer-driven work, as perf's default
  // Go targets' goroutines read per second (golang/goroutine_sampler.h); 0: not read. Odd,
  // like -F, so as not to beat with the program's own periodic work.
  int goroutine_hz = 199;
  bool kernel_stacks = false;  // in offcpu/lock/send; cpu always has them
  bool thread_labels = false;  // tid and thread name labels on every sample
  uint64_t min_block_us = 0;  // offcpu and lock waits shorter than this are not recorded
  uint32_t stack_map_entries = 0;  // 0: the BPF default
  uint32_t thread_slots = 0;       // live target threads tracked at once; 0: the BPF default
  // User stacks: by the modules' call-frame information (bpf/unwind.bpf.h), or by the
  // kernel's frame-pointer walk.
  UnwindMode unwind = UnwindMode::kCfi;
  bool verify_stack_memo = false;  // test hook: walk on every memo hit and count disagreements
  bool force_raw_tp = false;       // test hook: use the raw_tp fallback even where tp_btf works
  bool force_send_tracepoint = false;  // test hook: skip the fexit attempt
  bool force_proc_seeding = false;  // test hook: seed waits from /proc, not the BPF iterator

  bool wants(ProfileKind kind) const;
  // Whether futex waits are recorded: for lock, block or mutex.
  bool wants_futex_waits() const;
  uint64_t min_block_ns() const { return min_block_us * 1000; }
};

}  // namespace waitprof
