// User-space side of proctree.bpf.c: which processes are targets, and news of forks, execs
// and exits in the target tree.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proctree.h"  // bpf/: the structs both sides share
#include "util/result.h"

struct proctree_bpf;
struct ring_buffer;
struct bpf_link;

namespace waitprof {

class ProcessTree {
 public:
  using EventFn = std::function<void(const waitprof_proc_event&)>;

  // Opens, loads and attaches the programs: tp_btf where the kernel has BTF for the
  // tracepoints, raw_tp otherwise.
  static Result<std::unique_ptr<ProcessTree>> open(bool follow_children, EventFn on_event);
  ~ProcessTree();
  ProcessTree(const ProcessTree&) = delete;
  ProcessTree& operator=(const ProcessTree&) = delete;

  // Adds `tgid` and, when following children, every descendant alive now.
  Status add_root(pid_t tgid);
  // Makes `tgid` (a child of ours, not yet exec'd) a root from its next exec on, so the
  // command it execs is recorded from its first instruction and nothing of ours before.
  Status add_root_at_exec(pid_t tgid);
  bool is_target(pid_t tgid) const;
  // Delivers pending events to on_event; waits at most timeout_ms for the first.
  Status poll(int timeout_ms);
  // Readable when events are pending: for callers that wait on other descriptors too.
  int event_fd() const;

  const std::string& attach_mode() const { return attach_mode_; }
  // How the tree learns of libraries a target loads: "uprobe on <ld.so>:_dl_debug_state", or
  // why it cannot (then only forks and execs re-read a target's mappings).
  const std::string& loader_hook() const { return loader_hook_; }
  std::array<uint64_t, WAITPROF_PROCTREE_DROP_KINDS> drops() const;
  int targets_map_fd() const;
  // tgid → unwind address space and the unwind epoch (bpf/unwind_pids.bpf.h), shared with
  // profile.bpf.o.
  int unwind_pids_map_fd() const;
  int unwind_epoch_map_fd() const;

 private:
  ProcessTree() = default;
  Status add_one(pid_t tgid);
  void attach_loader_hook();

  // The targets bitmap (bpf/targets.bpf.h), mapped into our memory: BPF sets bits of forked
  // children concurrently, so ours must be atomic read-modify-writes on the same words.
  uint64_t* target_words_ = nullptr;
  proctree_bpf* skel_ = nullptr;
  ring_buffer* events_ = nullptr;
  EventFn on_event_;
  bool follow_children_ = false;
  std::string attach_mode_;
  std::string loader_hook_;
  bpf_link* loader_link_ = nullptr;
};

}  // namespace waitprof
