// SPDX-License-Identifier: GPL-2.0
/* The four profiles, aggregated in kernel maps: cpu (perf cpu-clock samples), offcpu
 * (sched_switch out→in), lock (futex wait syscalls, enter→exit) and send (bytes a thread hands
 * to TCP). Every handler first asks whether the thread belongs to a target process; the
 * `targets` map is the one proctree.bpf.c keeps current (user space shares it before load). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"
#include "proctree.h"
#include "profile.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile bool kernel_stacks_cpu = true;
const volatile bool kernel_stacks_wait = false; /* offcpu, lock, send */
const volatile __u64 min_block_ns = 0;

/* Set by user space at the stop time, before the (slow) detach: from then on nothing is
 * charged, and user space charges the waits still open up to exactly that moment. */
volatile bool stopped = false;

#define TASK_RUNNING_STATE 0x0000
#define TASK_INTERRUPTIBLE_STATE 0x0001
#define TASK_UNINTERRUPTIBLE_STATE 0x0002
#define TASK_DEAD_STATE 0x0080

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_TARGETS);
  __type(key, __u32);
  __type(value, __u8);
} targets SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, WAITPROF_STACK_MAP_ENTRIES);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, WAITPROF_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_cpu_key);
  __type(value, __u64);
} cpu_samples SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_offcpu_key);
  __type(value, struct waitprof_count_total);
} offcpu_waits SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_THREADS);
  __type(key, __u32); /* tid */
  __type(value, struct waitprof_offcpu_start);
} offcpu_starts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_lock_key);
  __type(value, struct waitprof_count_total);
} lock_waits SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_THREADS);
  __type(key, __u32); /* tid */
  __type(value, struct waitprof_lock_start);
} lock_starts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_send_key);
  __type(value, struct waitprof_count_total);
} sends SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, WAITPROF_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __always_inline void bump(__u32 counter) {
  percpu_increment(&counters, counter);
}

static __always_inline bool is_target(__u32 tgid) {
  if (stopped) return false;
  return bpf_map_lookup_elem(&targets, &tgid) != 0;
}

/* Stack of the current task. A failed user walk is counted (a collision loses samples; the
 * caller still charges the time, to "no stack", so totals stay right). A kernel walk fails
 * normally when the event hit user mode: no count. */
static __always_inline __s32 stack_id(void *ctx, bool user) {
  long id = bpf_get_stackid(ctx, &stacks, user ? BPF_F_USER_STACK : 0);
  if (id >= 0) return id;
  if (user) bump(id == -17 /* EEXIST */ ? WAITPROF_DROP_STACK_COLLISION : WAITPROF_DROP_STACK_FAILED);
  return WAITPROF_NO_STACK;
}

static __always_inline void add_count_total(void *map, const void *key, __u64 total,
                                            __u32 full_counter) {
  struct waitprof_count_total zero = {};
  struct waitprof_count_total *v = lookup_or_init(map, key, &zero);
  if (!v) {
    bump(full_counter);
    return;
  }
  __sync_fetch_and_add(&v->count, 1);
  __sync_fetch_and_add(&v->total, total);
}

/* ---- cpu ---- */

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (!is_target(tgid)) return 0;
  bump(WAITPROF_SEEN_CPU_SAMPLES);
  struct waitprof_cpu_key key = {
      .tgid = tgid,
      .tid = (__u32)id,
      .user_stack = stack_id(ctx, true),
      .kernel_stack = kernel_stacks_cpu ? stack_id(ctx, false) : WAITPROF_NO_STACK,
  };
  __u64 zero = 0;
  __u64 *n = lookup_or_init(&cpu_samples, &key, &zero);
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bump(WAITPROF_DROP_CPU_KEYS_FULL);
  return 0;
}

/* ---- offcpu ---- */

static __always_inline __u32 offcpu_state(bool preempt, __u32 prev_state) {
  if (preempt || prev_state == TASK_RUNNING_STATE) return WAITPROF_OFFCPU_RUNQUEUE;
  if (prev_state & TASK_UNINTERRUPTIBLE_STATE) return WAITPROF_OFFCPU_UNINTERRUPTIBLE;
  if (prev_state & TASK_INTERRUPTIBLE_STATE) return WAITPROF_OFFCPU_SLEEPING;
  return WAITPROF_OFFCPU_OTHER;
}

/* The syscall a task is in lives in its saved user registers. Interrupts and exceptions share
 * that slot (a page fault stores its error code there), so a thread preempted in user mode
 * has no syscall and a fault-time wait may show a small number: the summary says so. */
static __always_inline __s32 current_syscall(struct task_struct *task, bool have_btf) {
  if (!have_btf) return -1;
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  if (!regs) return -1;
#if defined(__TARGET_ARCH_x86)
  long nr = BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
  long nr = BPF_CORE_READ((struct user_pt_regs *)regs, regs[8]);
#else
  long nr = -1;
#endif
  return nr >= 0 && nr < 4096 ? (__s32)nr : -1;
}

static __always_inline int handle_switch(void *ctx, bool preempt, struct task_struct *prev,
                                         struct task_struct *next, __u32 prev_state,
                                         bool have_btf) {
  __u64 now = bpf_ktime_get_ns();

  /* Switch-in first: its map work does not depend on the outgoing task. */
  __u32 next_tgid = BPF_CORE_READ(next, tgid);
  if (is_target(next_tgid)) {
    __u32 next_tid = BPF_CORE_READ(next, pid);
    struct waitprof_offcpu_start *start = bpf_map_lookup_elem(&offcpu_starts, &next_tid);
    if (start) {
      __u64 delta = now - start->start_ns;
      if (delta >= min_block_ns)
        add_count_total(&offcpu_waits, &start->key, delta, WAITPROF_DROP_OFFCPU_KEYS_FULL);
      bpf_map_delete_elem(&offcpu_starts, &next_tid);
    }
  }

  __u32 prev_tgid = BPF_CORE_READ(prev, tgid);
  /* A dead task never comes back: a start would only leak. */
  if (!is_target(prev_tgid) || (prev_state & TASK_DEAD_STATE)) return 0;
  bump(WAITPROF_SEEN_SWITCHES);
  __u32 prev_tid = BPF_CORE_READ(prev, pid);
  /* At sched_switch the current task is still prev, so these stacks are prev's. */
  struct waitprof_offcpu_start start = {
      .start_ns = now,
      .key =
          {
              .tgid = prev_tgid,
              .tid = prev_tid,
              .user_stack = stack_id(ctx, true),
              .kernel_stack = kernel_stacks_wait ? stack_id(ctx, false) : WAITPROF_NO_STACK,
              .syscall = current_syscall(prev, have_btf),
              .state = offcpu_state(preempt, prev_state),
          },
  };
  if (bpf_map_update_elem(&offcpu_starts, &prev_tid, &start, BPF_ANY) != 0)
    bump(WAITPROF_DROP_OFFCPU_STARTS_FULL);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  return handle_switch(ctx, preempt, prev, next, prev_state, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  return handle_switch(ctx, preempt, prev, next, prev_state, false);
}

/* ---- lock ---- */

#define FUTEX_WAIT_CMD 0
#define FUTEX_LOCK_PI_CMD 6
#define FUTEX_WAIT_BITSET_CMD 9
#define FUTEX_WAIT_REQUEUE_PI_CMD 11
#define FUTEX_LOCK_PI2_CMD 13
#define FUTEX_CMD_MASK_BITS 127 /* ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) */

static __always_inline void lock_enter(void *ctx, __u64 uaddr, __u32 op) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (!is_target(tgid)) return;
  bump(WAITPROF_SEEN_FUTEX_WAITS);
  __u32 tid = (__u32)id;
  struct waitprof_lock_start start = {
      .start_ns = bpf_ktime_get_ns(),
      .key =
          {
              .tgid = tgid,
              .tid = tid,
              .user_stack = stack_id(ctx, true),
              .kernel_stack = kernel_stacks_wait ? stack_id(ctx, false) : WAITPROF_NO_STACK,
              .uaddr = uaddr,
              .op = op,
          },
  };
  if (bpf_map_update_elem(&lock_starts, &tid, &start, BPF_ANY) != 0)
    bump(WAITPROF_DROP_LOCK_STARTS_FULL);
}

static __always_inline void lock_exit(void) {
  if (stopped) return;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct waitprof_lock_start *start = bpf_map_lookup_elem(&lock_starts, &tid);
  if (!start) return;
  __u64 delta = bpf_ktime_get_ns() - start->start_ns;
  if (delta >= min_block_ns)
    add_count_total(&lock_waits, &start->key, delta, WAITPROF_DROP_LOCK_KEYS_FULL);
  bpf_map_delete_elem(&lock_starts, &tid);
}

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter(struct trace_event_raw_sys_enter *ctx) {
  __u32 cmd = (__u32)ctx->args[1] & FUTEX_CMD_MASK_BITS;
  if (cmd != FUTEX_WAIT_CMD && cmd != FUTEX_WAIT_BITSET_CMD && cmd != FUTEX_LOCK_PI_CMD &&
      cmd != FUTEX_LOCK_PI2_CMD && cmd != FUTEX_WAIT_REQUEUE_PI_CMD)
    return 0;
  lock_enter(ctx, ctx->args[0], cmd);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit(void *ctx) {
  lock_exit();
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_futex_wait")
int futex2_wait_enter(struct trace_event_raw_sys_enter *ctx) {
  lock_enter(ctx, ctx->args[0], WAITPROF_FUTEX2_WAIT);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex_wait")
int futex2_wait_exit(void *ctx) {
  lock_exit();
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_futex_waitv")
int futex_waitv_enter(struct trace_event_raw_sys_enter *ctx) {
  struct futex_waitv first = {};
  bpf_probe_read_user(&first, sizeof(first), (void *)ctx->args[0]);
  lock_enter(ctx, first.uaddr, WAITPROF_FUTEX2_WAITV);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex_waitv")
int futex_waitv_exit(void *ctx) {
  lock_exit();
  return 0;
}

/* ---- send ---- */

#define AF_INET_FAMILY 2
#define AF_INET6_FAMILY 10
#define IPPROTO_TCP_PROTO 6

static __always_inline void count_send(void *ctx, long bytes) {
  if (bytes <= 0) return;
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (!is_target(tgid)) return;
  bump(WAITPROF_SEEN_SENDS);
  struct waitprof_send_key key = {
      .tgid = tgid,
      .tid = (__u32)id,
      .user_stack = stack_id(ctx, true),
      .kernel_stack = kernel_stacks_wait ? stack_id(ctx, false) : WAITPROF_NO_STACK,
  };
  add_count_total(&sends, &key, (__u64)bytes, WAITPROF_DROP_SEND_KEYS_FULL);
}

/* Preferred where the kernel allows fexit: the return value is what tcp_sendmsg accepted. */
SEC("fexit/tcp_sendmsg")
int BPF_PROG(send_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret) {
  count_send(ctx, ret);
  return 0;
}

/* Fallback: sock_sendmsg's result for every socket; keep TCP over IPv4/IPv6. */
SEC("tracepoint/sock/sock_send_length")
int send_tracepoint(struct trace_event_raw_sock_msg_length *ctx) {
  if ((ctx->family != AF_INET_FAMILY && ctx->family != AF_INET6_FAMILY) ||
      ctx->protocol != IPPROTO_TCP_PROTO)
    return 0;
  count_send(ctx, ctx->ret);
  return 0;
}
