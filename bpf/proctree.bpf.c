// SPDX-License-Identifier: GPL-2.0
/* Keeps the set of target processes current in the kernel: a child forked by a target joins
 * at fork time, before it can run, so no worker's first events are missed; user space hears
 * of every change through a ring buffer and snapshots what symbolization needs. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"
#include "proctree.h"
#include "targets.bpf.h"
#include "unwind_pids.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool follow_children = false;

/* `record -- COMMAND`: the forked child becomes a target when it execs the command, not
 * before: until then it runs waitprof's image, waiting to be released, and those waits are
 * neither the command's nor symbolizable against what it maps after exec. Set by user space
 * through the mmapped .bss; 0 when nothing is launched. */
volatile __u32 launch_tgid = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} proc_events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, WAITPROF_PROCTREE_DROP_KINDS);
  __type(key, __u32);
  __type(value, __u64);
} proctree_drops SEC(".maps");

static __always_inline void count_drop(__u32 kind) {
  percpu_increment(&proctree_drops, kind);
}

/* comm: a kernel string to name the event by, or NULL for the current task's name. */
static __always_inline void emit_named(__u32 kind, __u32 tgid, __u32 parent_tgid, __u32 tid,
                                       const char *comm) {
  struct waitprof_proc_event *e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);
  if (!e) {
    count_drop(WAITPROF_DROP_EVENTS_FULL);
    return;
  }
  e->kind = kind;
  e->tgid = tgid;
  e->parent_tgid = parent_tgid;
  e->tid = tid;
  e->timestamp_ns = bpf_ktime_get_ns();
  if (comm)
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
  else
    bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit(__u32 kind, __u32 tgid, __u32 parent_tgid) {
  emit_named(kind, tgid, parent_tgid, 0, 0);
}

static __always_inline bool same_comm(struct task_struct *a, struct task_struct *b) {
  __u64 x[2] = {}, y[2] = {};
  bpf_probe_read_kernel(x, sizeof(x), &a->comm);
  bpf_probe_read_kernel(y, sizeof(y), &b->comm);
  return x[0] == y[0] && x[1] == y[1];
}

/* BPF_CORE_READ works under both tp_btf and raw_tp, so one handler serves both. */
static __always_inline int handle_fork(struct task_struct *parent, struct task_struct *child) {
  __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  if (child_tgid == parent_tgid) { /* a new thread (CLONE_THREAD), not a process */
    /* It has its creator's name; only one that is not the process's (the name user space
     * falls back to) is news, which keeps a thread-churning target from filling the ring
     * buffer the process events share. */
    if (target_test(parent_tgid) && !same_comm(child, BPF_CORE_READ(child, group_leader)))
      emit_named(WAITPROF_PROC_THREAD_NAME, child_tgid, 0, BPF_CORE_READ(child, pid), child->comm);
    return 0;
  }
  if (!follow_children) return 0;
  if (!target_test(parent_tgid)) return 0;
  target_set(child_tgid);
  /* The child maps what its parent does, and may run before user space hears of it. */
  __u32 *space = bpf_map_lookup_elem(&unwind_pids, &parent_tgid);
  if (space) bpf_map_update_elem(&unwind_pids, &child_tgid, space, BPF_ANY);
  emit(WAITPROF_PROC_FORK, child_tgid, parent_tgid);
  return 0;
}

static __always_inline int handle_exec(void) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (launch_tgid && tgid == launch_tgid) {
    target_set(tgid);
    launch_tgid = 0;
  }
  if (!target_test(tgid)) return 0;
  /* The old image's mappings are gone; user space gives the new ones. */
  bpf_map_delete_elem(&unwind_pids, &tgid);
  __u64 *epoch = unwind_epoch_word();
  if (epoch) __sync_fetch_and_add(epoch, 1);
  emit(WAITPROF_PROC_EXEC, tgid, 0);
  return 0;
}

static __always_inline int handle_exit(struct task_struct *task) {
  __u32 pid = BPF_CORE_READ(task, pid);
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (pid != tgid) return 0; /* only the thread-group leader's exit ends the process */
  if (!target_clear(tgid)) return 0;
  bpf_map_delete_elem(&unwind_pids, &tgid);
  emit(WAITPROF_PROC_EXIT, tgid, 0);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child) {
  return handle_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child) {
  return handle_fork(parent, child);
}

/* A thread's new name (prctl PR_SET_NAME, or /proc/PID/task/TID/comm: pthread_setname_np);
 * task may be another thread than the current one. */
static __always_inline int handle_rename(struct task_struct *task, const char *comm) {
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (target_test(tgid))
    emit_named(WAITPROF_PROC_THREAD_NAME, tgid, 0, BPF_CORE_READ(task, pid), comm);
  return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(rename_btf, struct task_struct *task, const char *comm) {
  return handle_rename(task, comm);
}

SEC("raw_tp/task_rename")
int BPF_PROG(rename_raw, struct task_struct *task, const char *comm) {
  return handle_rename(task, comm);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf) { return handle_exec(); }

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw) { return handle_exec(); }

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task) { return handle_exit(task); }

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *task) { return handle_exit(task); }

/* Attached by user space to the dynamic loader's _dl_debug_state, which ld.so calls before
 * and after it changes the list of loaded objects (at startup, dlopen, dlclose): the moment
 * a debugger re-reads the link map, and ours to re-read a target's mappings. A uprobe traps
 * on every hit, but this one is hit a few times per process start, not per event. */
SEC("uprobe")
int dl_debug_state(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (target_test(tgid)) emit(WAITPROF_PROC_MAPS, tgid, 0);
  return 0;
}
