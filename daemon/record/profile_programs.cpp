#include "record/profile_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "bpf_support.h"
#include "golang/go_probe_site.h"
#include "util/read_file.h"
#include "profile.skel.h"

namespace waitprof {

namespace {

int perf_event_open(perf_event_attr* attr, int cpu) {
  return static_cast<int>(syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

Result<std::unique_ptr<ProfilePrograms>> ProfilePrograms::open(const RecordOptions& options,
                                                              const Shared& shared) {
  const bool btf = !options.force_raw_tp && kernel_has_btf_tracepoint("sched_switch");
  const bool want_send = options.wants(ProfileKind::kSend);
  // fexit reports what tcp_sendmsg returned, and the sleepable task iterator seeds the waits
  // in progress with their stacks; kernels without them (or that refuse fexit, like this
  // project's hosts) only fail at load or attach, so try and fall back, one at a time.
  bool send_fexit = want_send && !options.force_send_tracepoint;
  bool seed_iterator = !options.force_proc_seeding;
  for (;;) {
    std::unique_ptr<ProfilePrograms> programs(new ProfilePrograms());
    Status s = programs->load(options, shared, send_fexit, btf, seed_iterator);
    if (s && shared.before_attach) s = shared.before_attach(*programs);
    if (s) s = programs->attach(options);
    if (s) return programs;
    if (send_fexit) {
      send_fexit = false;
    } else if (seed_iterator) {
      seed_iterator = false;
    } else {
      return s.error();
    }
  }
}

namespace {

// vm.mmap_min_addr: below it no user page can exist, so the user walk may end a frame chain
// there without the fault (bpf/unwind.bpf.h). 0 (nothing assumed) when unreadable.
uint64_t mmap_min_addr() {
  Result<std::string> text = read_text_file("/proc/sys/vm/mmap_min_addr");
  if (!text) return 0;
  return std::strtoull(text->c_str(), nullptr, 10);
}

}  // namespace

Status ProfilePrograms::load(const RecordOptions& options, const Shared& shared,
                             bool send_fexit, bool btf, bool seed_iterator) {
  skel_ = profile_bpf__open();
  if (!skel_) return libbpf_error("opening profile.bpf.o", errno);
  skel_->rodata->kernel_stacks_cpu = true;
  skel_->rodata->kernel_stacks_wait = options.kernel_stacks;
  skel_->rodata->min_block_ns = options.min_block_ns();
  skel_->rodata->unwind_cfi = options.unwind == UnwindMode::kCfi;
  skel_->rodata->verify_stack_memo = options.verify_stack_memo;
  skel_->rodata->unwind_min_user_addr = mmap_min_addr();

  const bool cpu = options.wants(ProfileKind::kCpu);
  const bool offcpu = options.wants(ProfileKind::kOffcpu);
  const bool lock = options.wants_futex_waits();
  const bool send = options.wants(ProfileKind::kSend);
  // The mutex profile needs the waker's task and the wakee's as BTF pointers.
  const bool mutex = options.wants(ProfileKind::kMutex) && btf &&
                     kernel_has_btf_tracepoint("sched_waking");
  // Lock waits come from sched_switch where it runs as tp_btf (the blocked thread's registers
  // name the futex call); the syscall tracepoints, the fallback, would tax every syscall of
  // the machine (an enabled one sends them all through the slow entry path).
  const bool lock_in_switch = lock && btf;
  const bool lock_by_syscalls = lock && !btf;
  skel_->rodata->record_offcpu = offcpu;
  skel_->rodata->record_lock = lock;
  skel_->rodata->lock_in_switch = lock_in_switch;
  auto& p = skel_->progs;
  seed_iterator_ = seed_iterator && (offcpu || lock);
  bpf_program__set_autoload(p.seed_waits, seed_iterator_);
  rewalk_iterator_ = seed_iterator_ && options.unwind == UnwindMode::kCfi;
  bpf_program__set_autoload(p.rewalk_waits, rewalk_iterator_);
  bpf_program__set_autoload(p.cpu_sample, cpu);
  bpf_program__set_autoload(p.switch_btf, (offcpu || lock) && btf);
  bpf_program__set_autoload(p.switch_raw, offcpu && !btf);
  bpf_program__set_autoload(p.waking_btf, mutex);
  go_releases_ = options.wants(ProfileKind::kMutex);
  bpf_program__set_autoload(p.go_semrelease, go_releases_);
  // futex2's futex_wait (6.7) and futex_waitv (5.16) are absent on older kernels.
  auto has_syscall_tp = [](const char* name) {
    return access((std::string("/sys/kernel/tracing/events/syscalls/") + name).c_str(), F_OK) ==
           0;
  };
  bpf_program__set_autoload(p.futex_enter, lock_by_syscalls);
  bpf_program__set_autoload(p.futex_exit, lock_by_syscalls);
  const bool futex2 = lock_by_syscalls && has_syscall_tp("sys_enter_futex_wait");
  bpf_program__set_autoload(p.futex2_wait_enter, futex2);
  bpf_program__set_autoload(p.futex2_wait_exit, futex2);
  const bool waitv = lock_by_syscalls && has_syscall_tp("sys_enter_futex_waitv");
  bpf_program__set_autoload(p.futex_waitv_enter, waitv);
  bpf_program__set_autoload(p.futex_waitv_exit, waitv);
  // Without fexit: the raw (tp_btf) form of sock_send_length where the kernel has BTF for it,
  // which skips the perf buffer a classic tracepoint fills for every call.
  const bool send_btf = send && !send_fexit && !options.force_send_tracepoint &&
                        kernel_has_btf_tracepoint("sock_send_length");
  bpf_program__set_autoload(p.send_fexit, send && send_fexit);
  bpf_program__set_autoload(p.send_btf, send_btf);
  bpf_program__set_autoload(p.send_tracepoint, send && !send_fexit && !send_btf);

  if (options.stack_map_entries > 0) {
    if (int err = bpf_map__set_max_entries(skel_->maps.stacks, options.stack_map_entries); err) {
      return libbpf_error("sizing the stacks map", err);
    }
  }
  if (options.thread_slots > 0) {
    if (int err = bpf_map__set_max_entries(skel_->maps.thread_slots, options.thread_slots); err) {
      return libbpf_error("sizing the thread_slots map", err);
    }
    skel_->rodata->thread_slot_bits = static_cast<__u32>(__builtin_ctz(options.thread_slots));
  }
  if (int err = bpf_map__reuse_fd(skel_->maps.targets, shared.targets_map_fd); err) {
    return libbpf_error("sharing the targets map with profile.bpf.o", err);
  }
  if (int err = bpf_map__reuse_fd(skel_->maps.unwind_pids, shared.unwind_pids_map_fd); err) {
    return libbpf_error("sharing the unwind_pids map with profile.bpf.o", err);
  }
  if (int err = bpf_map__reuse_fd(skel_->maps.unwind_epoch, shared.unwind_epoch_map_fd); err) {
    return libbpf_error("sharing the unwind_epoch map with profile.bpf.o", err);
  }
  unwind_pids_fd_ = shared.unwind_pids_map_fd;
  unwind_epoch_fd_ = shared.unwind_epoch_map_fd;
  unwind_capacity_ = shared.unwind_capacity;
  const struct {
    bpf_map* map;
    uint32_t entries;
  } unwind_maps[] = {{skel_->maps.unwind_spaces, unwind_capacity_.spaces},
                     {skel_->maps.unwind_modules, unwind_capacity_.modules},
                     {skel_->maps.unwind_pages, unwind_capacity_.pages},
                     {skel_->maps.unwind_rows, unwind_capacity_.rows},
                     {skel_->maps.unwind_rules, unwind_capacity_.rules}};
  for (const auto& m : unwind_maps) {
    if (int err = bpf_map__set_max_entries(m.map, m.entries); err) {
      return libbpf_error(std::string("sizing the ") + bpf_map__name(m.map) + " map", err);
    }
  }
  if (int err = profile_bpf__load(skel_); err) {
    return libbpf_error(std::string("loading profile.bpf.o into the kernel") +
                            (send_fexit ? " (with fexit/tcp_sendmsg)" : "") +
                            (seed_iterator_ ? " (with the iter.s/task wait seeding)" : ""),
                        err);
  }
  return {};
}

Status ProfilePrograms::attach(const RecordOptions& options) {
  auto& p = skel_->progs;
  struct Point {
    bpf_program* prog;
    std::string label;  // what the user reads in the summary
  };
  const bool offcpu = options.wants(ProfileKind::kOffcpu);
  const bool lock = options.wants_futex_waits();
  const std::string switch_btf_label =
      std::string(offcpu && lock ? "offcpu and futex waits" : offcpu ? "offcpu" : "futex waits") +
      ": sched_switch (tp_btf)" +
      (lock ? "; a lock wait is a thread blocked inside a futex wait call (futex, futex_wait, "
              "futex_waitv)"
            : "");
  const Point points[] = {
      {p.switch_btf, switch_btf_label},
      {p.switch_raw, "offcpu: sched_switch (raw_tp)"},
      {p.waking_btf, "mutex: sched_waking (tp_btf); a lock waiter woken by a target thread's "
                     "futex wake on its word is charged to the waker's stack"},
      {p.futex_enter, "futex waits: syscalls:sys_enter_futex"},
      {p.futex_exit, "futex waits: syscalls:sys_exit_futex"},
      {p.futex2_wait_enter, "futex waits: syscalls:sys_enter_futex_wait"},
      {p.futex2_wait_exit, "futex waits: syscalls:sys_exit_futex_wait"},
      {p.futex_waitv_enter, "futex waits: syscalls:sys_enter_futex_waitv"},
      {p.futex_waitv_exit, "futex waits: syscalls:sys_exit_futex_waitv"},
      {p.send_fexit, "send: fexit/tcp_sendmsg"},
      {p.send_btf, "send: sock_send_length (tp_btf, TCP)"},
      {p.send_tracepoint, "send: tracepoint sock:sock_send_length (TCP)"},
  };
  for (const Point& point : points) {
    if (!bpf_program__autoload(point.prog)) continue;
    bpf_link* link = bpf_program__attach(point.prog);
    if (!link) return libbpf_error("attaching " + point.label, errno);
    links_.push_back(link);
    attach_points_.push_back(point.label);
  }
  if (options.wants(ProfileKind::kMutex) && !bpf_program__autoload(p.waking_btf)) {
    attach_points_.push_back(
        "mutex: not recorded (it needs sched_switch and sched_waking as tp_btf)");
  }
  if (options.wants(ProfileKind::kCpu)) return open_cpu_clock(options.frequency_hz);
  return {};
}

Status ProfilePrograms::open_cpu_clock(int frequency_hz) {
  // A fixed period (not perf's frequency mode) makes every sample worth exactly period ns of
  // CPU time, so samples × period is comparable with schedstat.
  sample_period_ns_ = 1'000'000'000 / frequency_hz;
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return libbpf_error("counting CPUs", ncpus);
  int opened = 0;
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = static_cast<uint64_t>(sample_period_ns_);
    const int fd = perf_event_open(&attr, cpu);
    if (fd < 0) {
      if (errno == ENODEV) continue;  // possible but offline CPU
      return errno_error("opening the cpu-clock perf event on CPU " + std::to_string(cpu));
    }
    perf_fds_.push_back(fd);
    bpf_link* link = bpf_program__attach_perf_event(skel_->progs.cpu_sample, fd);
    if (!link) {
      return libbpf_error("attaching cpu_sample to CPU " + std::to_string(cpu), errno);
    }
    links_.push_back(link);
    ++opened;
  }
  attach_points_.push_back("cpu: perf_event cpu-clock every " + std::to_string(sample_period_ns_) +
                           " ns (" + std::to_string(1'000'000'000 / sample_period_ns_) +
                           " Hz) on " + std::to_string(opened) + " CPUs");
  return {};
}

void ProfilePrograms::stop() {
  skel_->bss->stopped = true;
  __sync_synchronize();
  detach();
}

void ProfilePrograms::detach() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
  for (auto& [pid, link] : go_links_) bpf_link__destroy(link);
  go_links_.clear();
  for (int fd : perf_fds_) close(fd);
  perf_fds_.clear();
}

Result<bool> ProfilePrograms::attach_go_releases(pid_t pid) {
  if (!go_releases_ || go_links_.contains(pid)) return go_releases_;
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  static constexpr char kFunction[] = "sync.runtime_Semrelease";
  Result<std::optional<uint64_t>> offset = go_probe_offset(exe, kFunction);
  if (!offset) return offset.error();
  if (!*offset) return false;  // no such function: nothing to probe
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = kFunction);
  // A pid, not -1: the kernel then plants the breakpoint in this process's pages only, and
  // other programs running the same executable never trap.
  bpf_link* link = bpf_program__attach_uprobe_opts(skel_->progs.go_semrelease, pid, exe.c_str(),
                                                   **offset, &opts);
  if (!link) {
    const int err = errno;
    if (err == ENOENT) return false;  // no such symbol: nothing to probe
    return libbpf_error("attaching a uprobe to " + std::string(kFunction) + " in process " +
                            std::to_string(pid),
                        err);
  }
  go_links_[pid] = link;
  return true;
}

void ProfilePrograms::detach_go_releases(pid_t pid) {
  auto it = go_links_.find(pid);
  if (it == go_links_.end()) return;
  bpf_link__destroy(it->second);
  go_links_.erase(it);
}

ProfilePrograms::~ProfilePrograms() {
  detach();
  profile_bpf__destroy(skel_);
}

std::array<uint64_t, WAITPROF_COUNTERS> ProfilePrograms::counters() const {
  const std::vector<uint64_t> sums =
      sum_percpu_counters(bpf_map__fd(skel_->maps.counters), WAITPROF_COUNTERS);
  std::array<uint64_t, WAITPROF_COUNTERS> total{};
  std::copy(sums.begin(), sums.end(), total.begin());
  return total;
}

UnwindMapFds ProfilePrograms::unwind_map_fds() const {
  UnwindMapFds fds;
  fds.spaces = bpf_map__fd(skel_->maps.unwind_spaces);
  fds.modules = bpf_map__fd(skel_->maps.unwind_modules);
  fds.pages = bpf_map__fd(skel_->maps.unwind_pages);
  fds.rows = bpf_map__fd(skel_->maps.unwind_rows);
  fds.rules = bpf_map__fd(skel_->maps.unwind_rules);
  fds.pids = unwind_pids_fd_;
  fds.epoch = unwind_epoch_fd_;
  return fds;
}

namespace {

// Runs a task iterator over every task of the machine: its program writes no output, so
// reading to the end is what runs it.
Status run_task_iterator(bpf_program* prog, const char* what) {
  bpf_link* link = bpf_program__attach_iter(prog, nullptr);
  if (!link) return libbpf_error(std::string("attaching the ") + what + " task iterator", errno);
  const int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) {
    bpf_link__destroy(link);
    return libbpf_error(std::string("starting the ") + what + " task iterator", fd);
  }
  char buf[256];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
  }
  const int err = n < 0 ? errno : 0;
  close(fd);
  bpf_link__destroy(link);
  if (err) return errno_error(std::string("running the ") + what + " task iterator", err);
  return {};
}

}  // namespace

Result<size_t> ProfilePrograms::seed_waits(uint64_t start_ns) {
  skel_->bss->seed_start_ns = start_ns;
  if (Status s = run_task_iterator(skel_->progs.seed_waits, "wait-seeding"); !s) return s.error();
  return static_cast<size_t>(skel_->bss->seeded_waits);
}

Result<size_t> ProfilePrograms::rewalk_waits(pid_t tgid) {
  if (!rewalk_iterator_) return size_t{0};
  const uint64_t before = skel_->bss->rewalked_waits;
  skel_->bss->rewalk_tgid = static_cast<__u32>(tgid);
  if (Status s = run_task_iterator(skel_->progs.rewalk_waits, "wait re-walking"); !s) {
    return s.error();
  }
  return static_cast<size_t>(skel_->bss->rewalked_waits - before);
}

std::vector<std::pair<std::string, uint32_t>> ProfilePrograms::program_ids() const {
  std::vector<std::pair<std::string, uint32_t>> ids;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) ids.emplace_back(bpf_program__name(prog), info.id);
  }
  return ids;
}

}  // namespace waitprof
