#include "process_tree.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bpf_support.h"
#include "proc_scan.h"
#include "proctree.skel.h"

namespace waitprof {

namespace {

// A multiple of the page size already (512 KiB), as mmap of a BPF array needs.
constexpr size_t kTargetBytes = WAITPROF_TARGET_WORDS * sizeof(uint64_t);

int on_ring_event(void* ctx, void* data, size_t size) {
  if (size < sizeof(waitprof_proc_event)) return 0;
  auto* tree_fn = static_cast<ProcessTree::EventFn*>(ctx);
  (*tree_fn)(*static_cast<const waitprof_proc_event*>(data));
  return 0;
}

}  // namespace

Result<std::unique_ptr<ProcessTree>> ProcessTree::open(bool follow_children, EventFn on_event) {
  std::unique_ptr<ProcessTree> tree(new ProcessTree());
  tree->on_event_ = std::move(on_event);
  tree->follow_children_ = follow_children;
  tree->skel_ = proctree_bpf__open();
  if (!tree->skel_) return libbpf_error("opening proctree.bpf.o", errno);
  tree->skel_->rodata->follow_children = follow_children;

  const bool btf = kernel_has_btf_tracepoint("sched_process_fork") &&
                   kernel_has_btf_tracepoint("sched_process_exec") &&
                   kernel_has_btf_tracepoint("sched_process_exit") &&
                   kernel_has_btf_tracepoint("task_rename");
  tree->attach_mode_ = btf ? "tp_btf" : "raw_tp";
  for (bpf_program* prog :
       {tree->skel_->progs.fork_btf, tree->skel_->progs.exec_btf, tree->skel_->progs.exit_btf,
        tree->skel_->progs.rename_btf}) {
    bpf_program__set_autoload(prog, btf);
  }
  for (bpf_program* prog :
       {tree->skel_->progs.fork_raw, tree->skel_->progs.exec_raw, tree->skel_->progs.exit_raw,
        tree->skel_->progs.rename_raw}) {
    bpf_program__set_autoload(prog, !btf);
  }
  if (int err = proctree_bpf__load(tree->skel_); err) {
    return libbpf_error("loading proctree.bpf.o into the kernel", err);
  }
  if (int err = proctree_bpf__attach(tree->skel_); err) {
    return libbpf_error("attaching to sched_process_fork/exec/exit and task_rename (" +
                            tree->attach_mode_ + ")",
                        err);
  }
  tree->target_words_ = static_cast<uint64_t*>(mmap(nullptr, kTargetBytes, PROT_READ | PROT_WRITE,
                                                     MAP_SHARED, bpf_map__fd(tree->skel_->maps.targets), 0));
  if (tree->target_words_ == MAP_FAILED) {
    tree->target_words_ = nullptr;
    return errno_error("mapping the targets bitmap into memory");
  }
  tree->events_ = ring_buffer__new(bpf_map__fd(tree->skel_->maps.proc_events), on_ring_event,
                                   &tree->on_event_, nullptr);
  if (!tree->events_) return libbpf_error("opening the proc_events ring buffer", errno);
  tree->attach_loader_hook();
  return tree;
}

namespace {

// The dynamic loader this system's programs use: our own PT_INTERP, read from our program
// headers in memory (a uprobe attaches to the file's inode, so every path to it is the same
// probe).
std::string system_loader() {
  const auto* phdrs = reinterpret_cast<const Elf64_Phdr*>(getauxval(AT_PHDR));
  const size_t count = getauxval(AT_PHNUM);
  if (!phdrs) return {};
  uintptr_t bias = 0;
  for (size_t i = 0; i < count; ++i) {
    if (phdrs[i].p_type == PT_PHDR) bias = reinterpret_cast<uintptr_t>(phdrs) - phdrs[i].p_vaddr;
  }
  for (size_t i = 0; i < count; ++i) {
    if (phdrs[i].p_type == PT_INTERP) return reinterpret_cast<const char*>(bias + phdrs[i].p_vaddr);
  }
  return {};
}

}  // namespace

// Without the hook a target's mappings are re-read at fork and exec only: libraries the
// loader maps after exec would be unwound by frame pointers and lose their names once the
// process is gone. So a failure is reported, not fatal.
void ProcessTree::attach_loader_hook() {
  const std::string loader = system_loader();
  if (loader.empty()) {
    loader_hook_ = "none (no dynamic loader named in /proc/self/exe)";
    return;
  }
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
  loader_link_ = bpf_program__attach_uprobe_opts(skel_->progs.dl_debug_state, -1, loader.c_str(),
                                                 0, &opts);
  if (!loader_link_) {
    loader_hook_ = "none (uprobe on " + loader + ":_dl_debug_state: " + std::strerror(errno) + ")";
    return;
  }
  loader_hook_ = "uprobe on " + loader + ":_dl_debug_state";
}

ProcessTree::~ProcessTree() {
  bpf_link__destroy(loader_link_);
  ring_buffer__free(events_);
  if (target_words_) munmap(target_words_, kTargetBytes);
  proctree_bpf__destroy(skel_);
}

Status ProcessTree::add_one(pid_t tgid) {
  if (tgid <= 0 || tgid >= WAITPROF_PID_LIMIT) {
    return Error{"pid " + std::to_string(tgid) + " is outside the kernel's pid range"};
  }
  __atomic_fetch_or(&target_words_[tgid / 64], uint64_t{1} << (tgid % 64), __ATOMIC_SEQ_CST);
  return {};
}

Status ProcessTree::add_root(pid_t tgid) {
  if (Status s = add_one(tgid); !s) return s;
  if (!follow_children_) return {};
  // BPF tracks forks from now on; /proc supplies the children that already exist. Scan twice:
  // a child that forked during the first scan, from a parent not yet in the map, shows now.
  for (int pass = 0; pass < 2; ++pass) {
    for (pid_t child : list_descendants(tgid)) {
      if (Status s = add_one(child); !s) return s;
    }
  }
  return {};
}

Status ProcessTree::add_root_at_exec(pid_t tgid) {
  if (tgid <= 0 || tgid >= WAITPROF_PID_LIMIT) {
    return Error{"pid " + std::to_string(tgid) + " is outside the kernel's pid range"};
  }
  __atomic_store_n(&skel_->bss->launch_tgid, static_cast<uint32_t>(tgid), __ATOMIC_SEQ_CST);
  return {};
}

bool ProcessTree::is_target(pid_t tgid) const {
  if (tgid <= 0 || tgid >= WAITPROF_PID_LIMIT) return false;
  const uint64_t word = __atomic_load_n(&target_words_[tgid / 64], __ATOMIC_SEQ_CST);
  return (word >> (tgid % 64)) & 1;
}

Status ProcessTree::poll(int timeout_ms) {
  const int n = ring_buffer__poll(events_, timeout_ms);
  if (n < 0 && n != -EINTR) return libbpf_error("polling the proc_events ring buffer", n);
  return {};
}

std::array<uint64_t, WAITPROF_PROCTREE_DROP_KINDS> ProcessTree::drops() const {
  const std::vector<uint64_t> sums =
      sum_percpu_counters(bpf_map__fd(skel_->maps.proctree_drops), WAITPROF_PROCTREE_DROP_KINDS);
  std::array<uint64_t, WAITPROF_PROCTREE_DROP_KINDS> total{};
  std::copy(sums.begin(), sums.end(), total.begin());
  return total;
}

int ProcessTree::event_fd() const {
  return ring_buffer__epoll_fd(events_);
}

int ProcessTree::targets_map_fd() const {
  return bpf_map__fd(skel_->maps.targets);
}

int ProcessTree::unwind_pids_map_fd() const {
  return bpf_map__fd(skel_->maps.unwind_pids);
}

int ProcessTree::unwind_epoch_map_fd() const {
  return bpf_map__fd(skel_->maps.unwind_epoch);
}

}  // namespace waitprof
