// SPDX-License-Identifier: GPL-2.0
/* The profiles, aggregated in kernel maps: cpu (perf cpu-clock samples), offcpu
 * (sched_switch out→in), lock (futex waits: user space splits them into lock and block by
 * what they wait for), mutex (lock waits by the thread that woke them, at sched_waking) and
 * send (bytes a thread hands to TCP). Every handler first asks whether the thread belongs to
 * a target process; the `targets` map is the one proctree.bpf.c keeps current (user space
 * shares it before load). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "futex_waits.bpf.h"
#include "maps.bpf.h"
#include "profile.h"
#include "stack_store.bpf.h"
#include "targets.bpf.h"
#include "thread_slots.bpf.h"
#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile bool kernel_stacks_cpu = true;
const volatile bool kernel_stacks_wait = false; /* offcpu, lock, send */
const volatile __u64 min_block_ns = 0;
/* User stacks by call-frame information (bpf/unwind.bpf.h); off (--unwind fp): the kernel's
 * frame-pointer walk. */
const volatile bool unwind_cfi = true;
/* Test hook (--verify-stack-memo): every memo hit is walked too, and a differing stack counted. */
const volatile bool verify_stack_memo = false;
/* Which profiles sched_switch records: offcpu, and lock (waits that blocked inside a futex
 * wait call) unless the syscall tracepoints time them instead (the fallback without BTF). */
const volatile bool record_offcpu = true;
const volatile bool record_lock = true;
const volatile bool lock_in_switch = true;

/* Set by user space at the stop time, before the (slow) detach: from then on nothing is
 * charged, and user space charges the waits still open up to exactly that moment. */
volatile bool stopped = false;
/* seed_waits: when the waits it finds in progress are taken to begin (the recording's start,
 * CLOCK_MONOTONIC), and how many it seeded. */
volatile __u64 seed_start_ns = 0;
volatile __u64 seeded_waits = 0;

#define TASK_RUNNING_STATE 0x0000
#define TASK_INTERRUPTIBLE_STATE 0x0001
#define TASK_UNINTERRUPTIBLE_STATE 0x0002
#define TASK_DEAD_STATE 0x0080

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

/* Waits in progress when recording began (user space fills these from /proc, stack
 * WAITPROF_STACK_BEFORE_START). A thread's entry moves into its slot when it claims one, or
 * is charged by its first switch-in (futex exit) if that comes first. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, WAITPROF_MAX_SEEDS);
  __type(key, __u32); /* tid */
  __type(value, struct waitprof_offcpu_start);
} seeded_offcpu SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_lock_key);
  __type(value, struct waitprof_count_total);
} lock_waits SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, WAITPROF_MAX_SEEDS);
  __type(key, __u32); /* tid */
  __type(value, struct waitprof_lock_start);
} seeded_lock SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_mutex_key);
  __type(value, struct waitprof_count_total);
} mutex_waits SEC(".maps");

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
  return !stopped && target_test(tgid);
}

/* The kernel's walk of the current task's stack (flags: BPF_F_USER_STACK, or 0 for the
 * kernel stack) into the per-CPU scratch; NULL when there is none. A failed user walk is
 * counted; a kernel walk comes back empty whenever the event hit user mode. */
static __always_inline struct waitprof_stack *walk_stack(void *ctx, __u64 flags,
                                                         enum scratch_slot slot) {
  __u32 index = slot;
  struct waitprof_stack *s = bpf_map_lookup_elem(&stack_scratch, &index);
  if (!s) return 0;
  long bytes = bpf_get_stack(ctx, s->ips, sizeof(s->ips), flags);
  if (bytes <= 0) {
    if (flags & BPF_F_USER_STACK) bump(WAITPROF_DROP_STACK_FAILED);
    return 0;
  }
  s->nr = bytes / sizeof(__u64);
  return s;
}

/* Stores a walked stack under key; the key, or WAITPROF_STACK_NONE when the map is full.
 * Another CPU may have stored the same stack meanwhile: that is as good. */
static __always_inline __u64 store_stack(const struct waitprof_stack *s, __u64 key) {
  long err = bpf_map_update_elem(&stacks, &key, s, BPF_NOEXIST);
  if (err && err != -17 /* EEXIST */) {
    bump(err == -7 /* E2BIG: max_entries reached */ ? WAITPROF_DROP_STACKS_FULL
                                                    : WAITPROF_DROP_STACK_STORE_FAILED);
    return WAITPROF_STACK_NONE;
  }
  return key;
}

/* A walked stack's key, stored if new. */
static __always_inline __u64 walked_stack_key(const struct waitprof_stack *s) {
  return s ? store_stack(s, stack_key(frames_hash(s))) : WAITPROF_STACK_NONE;
}

/* The current task's kernel stack (only where asked for: walked every time). */
static __always_inline __u64 kernel_stack(void *ctx, enum scratch_slot slot) {
  return walked_stack_key(walk_stack(ctx, 0, slot));
}

/* A task's saved user registers (its pt_regs at kernel entry): where the user walk starts
 * and where the syscall number lives. The task is a BTF pointer to the current task, or NULL
 * where there is none (raw_tp): then so is the result. */
static __always_inline struct pt_regs *user_regs_of(struct task_struct *task) {
  return task ? (struct pt_regs *)bpf_task_pt_regs(task) : 0;
}

/* Where a user walk starts: the interrupted instruction and the stack and frame pointers. */
struct user_regs {
  __u64 ip, sp, bp;
  bool valid; /* false: not at hand (raw_tp), the kernel walks from the current task's */
  bool kernel_thread; /* an io_uring worker: WAITPROF_STACK_KERNEL_THREAD, no walk */
};

/* The kernel's PF_IO_WORKER (include/linux/sched.h), not in BTF as a value. */
#define WAITPROF_PF_IO_WORKER 0x00000010

static __always_inline bool io_worker(struct task_struct *task) {
  return task && (task->flags & WAITPROF_PF_IO_WORKER);
}

static __always_inline struct user_regs saved_user_regs(struct task_struct *task,
                                                        struct pt_regs *regs) {
  struct user_regs r = {.kernel_thread = io_worker(task)};
#if defined(__TARGET_ARCH_x86)
  if (regs) {
    r.ip = regs->ip;
    r.sp = regs->sp;
    r.bp = regs->bp;
    r.valid = true;
  }
#endif
  return r;
}

/* Stores a stack the walk produced under its key, unless it is there already. known: the key
 * in the thread's running sum, stored when that sum began (stacks are never removed while
 * recording): a thread repeating itself, the common case, skips the lookup. */
static __always_inline __u64 keep_walked_stack(struct unwind_walk *w, __u64 known) {
  bump(WAITPROF_UNWIND_WALKS);
  percpu_add(&counters, WAITPROF_UNWIND_FRAMES, w->frames);
  percpu_add(&counters, WAITPROF_UNWIND_FP_FRAMES, w->fp_frames);
  percpu_add(&counters, WAITPROF_UNWIND_COPIES, w->copies);
  if (w->space == UNWIND_NO_SPACE) bump(WAITPROF_UNWIND_NO_TABLES);
  __u64 key = stack_key(w->hash);
  if (key == known || bpf_map_lookup_elem(&stacks, &key)) {
    bump(WAITPROF_USER_STACK_REUSED);
    return key;
  }
  return store_stack(&w->out, key);
}

/* The key of the user stack of process tgid walked from these registers (by its modules'
 * call-frame information, bpf/unwind.bpf.h), stored if new. thread: the thread's slot, whose
 * memos stand in for a walk when the thread is back where it was (NULL for cpu samples: no
 * slot, and rarely a repeat). Without registers, or with --unwind fp, the kernel walks by
 * frame pointers. */
static __always_inline __u64 user_stack_at(void *ctx, __u32 tgid, struct user_regs regs,
                                           enum scratch_slot slot, __u64 known,
                                           struct waitprof_thread_slot *thread) {
  if (regs.kernel_thread) return WAITPROF_STACK_KERNEL_THREAD;
  if (!regs.valid || !unwind_cfi) return walked_stack_key(walk_stack(ctx, BPF_F_USER_STACK, slot));
  __u64 *epoch_word = unwind_epoch_word();
  __u64 epoch = epoch_word ? *epoch_word : 0;
  __u32 index = slot;
  struct unwind_walk *w = bpf_map_lookup_elem(&unwind_walks, &index);
  if (!w) return WAITPROF_STACK_NONE;
  struct waitprof_stack_memo *memo =
      thread ? unwind_memo_for(thread->memos, regs.ip, regs.sp, regs.bp, epoch) : 0;
  if (thread) thread->walk_short_of_entry = 0;
  if (memo && unwind_replay(w, memo)) {
    bump(WAITPROF_USER_STACK_MEMO_HITS);
    if (!verify_stack_memo) return memo->key;
    w = unwind_user(tgid, regs.ip, regs.sp, regs.bp, (enum unwind_slot)slot, 0);
    if (w && stack_key(w->hash) != memo->key) bump(WAITPROF_USER_STACK_MEMO_MISMATCHES);
    return memo->key;
  }
  w = unwind_user(tgid, regs.ip, regs.sp, regs.bp, (enum unwind_slot)slot, 0);
  if (!w) return WAITPROF_STACK_NONE;
  __u64 key = keep_walked_stack(w, known);
  if (thread) thread->walk_short_of_entry = w->end != WAITPROF_STACK_END_ENTRY;
  if (thread && key != WAITPROF_STACK_NONE && unwind_memoizable(w)) {
    /* The stale memo for these registers if there is one, else the next in turn. */
    if (!memo) memo = &thread->memos[thread->memo_next++ & (WAITPROF_THREAD_MEMOS - 1)];
    *memo = w->rec;
    memo->epoch = epoch;
    memo->key = key;
  }
  return key;
}

static __always_inline void add_count_total(void *map, const void *key, __u64 count,
                                            __u64 total, __u32 full_counter) {
  struct waitprof_count_total zero = {};
  struct waitprof_count_total *v = lookup_or_init(map, key, &zero);
  if (!v) {
    percpu_add(&counters, full_counter, count);
    return;
  }
  __sync_fetch_and_add(&v->count, count);
  __sync_fetch_and_add(&v->total, total);
}

/* Hands a running sum of `slot` (if any) to its profile map and empties it. A macro, like
 * ADD_TO_SUM, because the three sums' key types differ. The slot's `flushes` counts it after
 * the map has it: a reader of live maps (`waitprof serve`) that sees it change knows the
 * sum moved while it read (waitprof_thread_slot). */
#define FLUSH_SUM(slot, map, sum, full_counter)                                                 \
  do {                                                                                          \
    if ((slot)->sum.value.count) {                                                              \
      add_count_total(&(map), &(slot)->sum.key, (slot)->sum.value.count,                       \
                      (slot)->sum.value.total, full_counter);                                   \
      (slot)->flushes++;                                                                        \
    }                                                                                           \
    (slot)->sum.value.count = 0;                                                                \
  } while (0)

/* Adds one event (a wait of `amount` ns, a send of `amount` bytes) to a thread's running sum
 * for its profile: kept there while the key repeats, handed to the profile map when it
 * changes. */
#define ADD_TO_SUM(slot, map, sum, event_key, amount, full_counter)                          \
  do {                                                                                         \
    if ((slot)->sum.value.count &&                                                             \
        same_key(&(slot)->sum.key, &(event_key), sizeof(event_key))) {                         \
      (slot)->sum.value.count++;                                                               \
      (slot)->sum.value.total += (amount);                                                     \
      bump(WAITPROF_FOLDED_IN_SLOT);                                                           \
    } else {                                                                                   \
      FLUSH_SUM(slot, map, sum, full_counter);                                                 \
      (slot)->sum.key = (event_key);                                                           \
      (slot)->sum.value.count = 1;                                                             \
      (slot)->sum.value.total = (amount);                                                      \
    }                                                                                          \
  } while (0)

/* The slot of the current thread tid, claimed if it has none: a new slot takes over the
 * thread's seeded waits. NULL (counted) when every slot it may use is taken. */
static __always_inline struct waitprof_thread_slot *claim_slot(__u32 tid) {
  struct waitprof_thread_slot *slot = find_slot(tid);
  if (slot) return slot;
  slot = take_free_slot(tid);
  if (!slot) {
    bump(WAITPROF_DROP_THREAD_SLOTS_FULL);
    return 0;
  }
  struct waitprof_offcpu_start *off = bpf_map_lookup_elem(&seeded_offcpu, &tid);
  if (off) {
    slot->offcpu = *off;
    bpf_map_delete_elem(&seeded_offcpu, &tid);
  }
  struct waitprof_lock_start *lock = bpf_map_lookup_elem(&seeded_lock, &tid);
  if (lock) {
    slot->lock = *lock;
    bpf_map_delete_elem(&seeded_lock, &tid);
  }
  return slot;
}

/* A seeded wait of a thread that has no slot yet, ended now: charged straight to the profile
 * map (it happens once per thread at most). */
#define END_SEEDED_WAIT(seeds, start_type, map, tid, now, full_counter)                     \
  do {                                                                                      \
    start_type *seed_ = bpf_map_lookup_elem(&(seeds), &(tid));                              \
    if (seed_) {                                                                            \
      __u64 delta_ = (now) - seed_->start_ns;                                               \
      if (seed_->start_ns && (now) > seed_->start_ns && delta_ >= min_block_ns)             \
        add_count_total(&(map), &seed_->key, 1, delta_, full_counter);                      \
      bpf_map_delete_elem(&(seeds), &(tid));                                                \
    }                                                                                       \
  } while (0)

/* Ends the slot's open wait `open` ({start_ns, key}) at `now` and adds it to `sum`. */
#define CLOSE_WAIT(slot, open, sum, map, now, full_counter)                                 \
  do {                                                                                      \
    __u64 start_ = (slot)->open.start_ns;                                                   \
    if (start_) {                                                                           \
      (slot)->open.start_ns = 0;                                                            \
      __u64 delta_ = (now) - start_;                                                        \
      if (delta_ >= min_block_ns)                                                           \
        ADD_TO_SUM(slot, map, sum, (slot)->open.key, delta_, full_counter);                 \
    }                                                                                       \
  } while (0)

/* The thread's lock wait closes at end: charged to whoever released it, if anyone did. */
static __always_inline void charge_release(struct waitprof_thread_slot *slot, __u64 end) {
  if (!slot->release.woken_ns) return;
  __u64 start = slot->lock.start_ns;
  bool matches = waitprof_release_matches(&slot->release, start, slot->lock.key.uaddr);
  slot->release.woken_ns = 0;
  if (!matches) return;
  __u64 delay = end > start ? end - start : 0;
  if (delay < min_block_ns) return;
  struct waitprof_mutex_key key = slot->release.key;
  key.waiter_stack = slot->lock.key.user_stack;
  add_count_total(&mutex_waits, &key, 1, delay, WAITPROF_DROP_MUTEX_KEYS_FULL);
  slot->flushes++;
}

/* A thread died: its sums go to the profile maps and its slot is freed. Runs for every dying
 * thread of the machine, since a process stops being a target (its leader's exit) before
 * its threads' last switch. Not inlined: the sched_switch program's path for everyone else
 * stays short (measured: 5 ns per switch of the machine), and threads die rarely. */
static __noinline void thread_died(__u32 tid) {
  struct waitprof_thread_slot *slot = find_slot(tid);
  if (!slot) return;
  FLUSH_SUM(slot, offcpu_waits, offcpu_sum, WAITPROF_DROP_OFFCPU_KEYS_FULL);
  FLUSH_SUM(slot, lock_waits, lock_sum, WAITPROF_DROP_LOCK_KEYS_FULL);
  FLUSH_SUM(slot, sends, send_sum, WAITPROF_DROP_SEND_KEYS_FULL);
  slot->offcpu.start_ns = 0;
  slot->lock.start_ns = 0;
  __sync_lock_test_and_set(&slot->tid, 0); /* a full barrier: the slot is empty before free */
}

/* ---- cpu ---- */

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (!is_target(tgid)) return 0;
  bump(WAITPROF_SEEN_CPU_SAMPLES);
  /* The walk starts from the sampled registers when the tick hit user mode, else from the
   * task's saved user registers. */
  struct user_regs regs = {};
#if defined(__TARGET_ARCH_x86)
  /* cs's slot is read whole: the context only allows 8-byte loads of saved registers. */
  __u64 cs = *(volatile __u64 *)&ctx->regs.cs;
  if (cs & 3) {
    regs.ip = ctx->regs.ip;
    regs.sp = ctx->regs.sp;
    regs.bp = ctx->regs.bp;
    regs.valid = true;
  } else {
    struct task_struct *current = bpf_get_current_task_btf();
    regs = saved_user_regs(current, user_regs_of(current));
  }
#endif
  struct waitprof_cpu_key key = {
      .tgid = tgid,
      .tid = (__u32)id,
      .user_stack = user_stack_at(ctx, tgid, regs, SCRATCH_IRQ, WAITPROF_STACK_NONE, 0),
      .kernel_stack = kernel_stacks_cpu ? kernel_stack(ctx, SCRATCH_IRQ) : WAITPROF_STACK_NONE,
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
static __always_inline __s32 regs_syscall(struct pt_regs *regs) {
  if (!regs) return -1;
  /* A BTF pointer: a plain load, no bpf_probe_read_kernel call. */
#if defined(__TARGET_ARCH_x86)
  long nr = regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
  long nr = ((struct user_pt_regs *)regs)->regs[8];
#else
  long nr = -1;
#endif
  return nr >= 0 && nr < 4096 ? (__s32)nr : -1;
}

/* The ids of both tasks of a switch, and prev's run time so far, read by the caller:
 * directly under tp_btf, through bpf_probe_read_kernel under raw_tp. */
struct switch_ids {
  __u32 prev_tgid, prev_tid, next_tgid, next_tid;
  __u64 prev_runtime; /* se.sum_exec_runtime, ns: brought up to date before the event */
};

/* Some kernels now and then put a thread back on a CPU without a sched_switch event (this
 * project's 6.18 hosts do, about once in 5,000 switch-ins; bpftrace sees the same gap), so its
 * wait is still open at its next switch-out. That wait ended when the thread ran again, and it
 * has run `runtime - runtime_at_switch_out` ns since, in one stretch (any other switch would
 * have been seen): the wait lasted the rest. */
static __always_inline void end_untraced_wait(struct waitprof_thread_slot *slot, __u64 now,
                                              __u64 runtime) {
  /* Both open waits began at the same switch-out. (Without lock_in_switch a lock wait runs
   * from futex entry to exit and is open across switches by design.) */
  __u64 start = slot->offcpu.start_ns;
  if (lock_in_switch && slot->lock.start_ns) start = slot->lock.start_ns;
  if (!start) return;
  bump(WAITPROF_UNTRACED_SWITCH_INS);
  __u64 ran = runtime - slot->runtime_at_switch_out;
  __u64 end = now - start > ran ? now - ran : start;
  CLOSE_WAIT(slot, offcpu, offcpu_sum, offcpu_waits, end, WAITPROF_DROP_OFFCPU_KEYS_FULL);
  if (lock_in_switch) {
    charge_release(slot, end);
    CLOSE_WAIT(slot, lock, lock_sum, lock_waits, end, WAITPROF_DROP_LOCK_KEYS_FULL);
  }
}

/* Ends the thread's waits and adds them to the thread's sums. */
static __always_inline void switch_in(__u32 tid, __u64 now) {
  struct waitprof_thread_slot *slot = find_slot(tid);
  if (!slot) {
    if (record_offcpu)
      END_SEEDED_WAIT(seeded_offcpu, struct waitprof_offcpu_start, offcpu_waits, tid, now,
                      WAITPROF_DROP_OFFCPU_KEYS_FULL);
    if (lock_in_switch)
      END_SEEDED_WAIT(seeded_lock, struct waitprof_lock_start, lock_waits, tid, now,
                      WAITPROF_DROP_LOCK_KEYS_FULL);
    return;
  }
  CLOSE_WAIT(slot, offcpu, offcpu_sum, offcpu_waits, now, WAITPROF_DROP_OFFCPU_KEYS_FULL);
  if (lock_in_switch) {
    charge_release(slot, now);
    CLOSE_WAIT(slot, lock, lock_sum, lock_waits, now, WAITPROF_DROP_LOCK_KEYS_FULL);
  }
}

static __always_inline void switch_out(void *ctx, bool preempt, __u32 prev_state, __u32 tgid,
                                       __u32 tid, __u64 runtime, __u64 now,
                                       struct task_struct *prev) {
  bump(WAITPROF_SEEN_SWITCHES);
  /* At sched_switch the current task is still prev, so these registers and stacks are prev's:
   * one pt_regs serves the stack, the syscall and its arguments. */
  struct pt_regs *regs = user_regs_of(prev);
  __s32 syscall = regs_syscall(regs);
  __u32 state = offcpu_state(preempt, prev_state);
  /* A lock wait: off CPU inside a futex wait call, until the thread runs again, as a
   * program's own clock around its lock() counts it (Go's block profile stops at the
   * release: the wait for a CPU after it is here, not there). Preemptions inside the call
   * count too: the syscall tracepoints' entry-to-exit timing included them. */
  __u64 uaddr = 0;
  __u32 op = 0;
  bool lock_wait = lock_in_switch && futex_wait_in(regs, syscall, &uaddr, &op, 0);
  if (!record_offcpu && !lock_wait) return;
  struct waitprof_thread_slot *slot = claim_slot(tid);
  if (!slot) return;
  end_untraced_wait(slot, now, runtime);
  slot->runtime_at_switch_out = runtime;
  __u64 user_stack = user_stack_at(
      ctx, tgid, saved_user_regs(prev, regs), SCRATCH_TASK,
      record_offcpu ? slot->offcpu_sum.key.user_stack : slot->lock_sum.key.user_stack, slot);
  __u64 kernel = kernel_stacks_wait ? kernel_stack(ctx, SCRATCH_TASK) : WAITPROF_STACK_NONE;
  if (record_offcpu) {
    struct waitprof_offcpu_key key = {
        .tgid = tgid,
        .tid = tid,
        .user_stack = user_stack,
        .kernel_stack = kernel,
        .syscall = syscall,
        .state = state,
    };
    slot->offcpu.key = key;
    slot->offcpu.start_ns = now;
  }
  if (lock_wait) {
    bump(WAITPROF_SEEN_FUTEX_WAITS);
    struct waitprof_lock_key key = {
        .tgid = tgid,
        .tid = tid,
        .user_stack = user_stack,
        .kernel_stack = kernel,
        .uaddr = uaddr,
        .op = op,
    };
    slot->lock.key = key;
    slot->lock.start_ns = now;
  }
}

/* Runs on every context switch of the machine: non-targets leave after two inlined bitmap
 * tests, before the clock is even read. */
static __always_inline int handle_switch(void *ctx, bool preempt, __u32 prev_state,
                                         struct switch_ids ids, struct task_struct *prev) {
  /* A dying thread never comes back. Looked at whatever its process: a process stops being
   * a target when its leader exits, before its threads' last switches. */
  bool prev_dying = prev_state & TASK_DEAD_STATE;
  if (prev_dying && !stopped) thread_died(ids.prev_tid);
  bool next_target = is_target(ids.next_tgid);
  bool prev_target = !prev_dying && is_target(ids.prev_tgid);
  if (!next_target && !prev_target) return 0;
  /* Lets the bench split the program's cost between target and non-target switches. */
  bump(WAITPROF_SEEN_TARGET_SWITCHES);
  __u64 now = bpf_ktime_get_ns();
  if (next_target) switch_in(ids.next_tid, now);
  if (prev_target)
    switch_out(ctx, preempt, prev_state, ids.prev_tgid, ids.prev_tid, ids.prev_runtime, now,
               prev);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  struct switch_ids ids = {prev->tgid, prev->pid, next->tgid, next->pid,
                           prev->se.sum_exec_runtime};
  return handle_switch(ctx, preempt, prev_state, ids, prev);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  struct switch_ids ids = {BPF_CORE_READ(prev, tgid), BPF_CORE_READ(prev, pid),
                           BPF_CORE_READ(next, tgid), BPF_CORE_READ(next, pid),
                           BPF_CORE_READ(prev, se.sum_exec_runtime)};
  return handle_switch(ctx, preempt, prev_state, ids, 0);
}

/* ---- mutex: who released the lock a thread waited for ----
 * Go's mutex profile charges a lock's delay to the unlocker. The unlocker is the thread that
 * wakes the waiter: sched_waking runs in the waker's context (try_to_wake_up, before the
 * wakee is queued), so its registers say which futex call it is in and its stack is the
 * release site. (sched_wakeup may run on the wakee's CPU, where current is someone else.)
 * The waker is noted in the waiter's slot; the waiter's lock wait, when it closes at its
 * switch-in, is charged to it with the lock profile's delay, so the two profiles hold the
 * same waits, by waiter and by holder. (Go's mutex and block delays end at the release; ours
 * include the waiter's wait for a CPU after it, as a program's clock around lock() does.) */

/* The current thread woke wakee: if wakee was blocked in a futex wait on a word the current
 * thread's futex wake call names, and both are targets, the current thread released it. The
 * word comes from the wakee's own registers, not its slot: a lock holder that releases at
 * once can wake the waiter while it is still switching out, before its wait is in its slot. */
static __always_inline void lock_waiter_woken(void *ctx, struct task_struct *wakee) {
  if (!is_target(wakee->tgid)) return;
  bump(WAITPROF_SEEN_TARGET_WAKEUPS);
  struct task_struct *waker = bpf_get_current_task_btf();
  __u32 waker_tgid = waker->tgid;
  if (!is_target(waker_tgid)) return;
  struct pt_regs *wakee_regs = user_regs_of(wakee);
  __s32 wakee_syscall = regs_syscall(wakee_regs);
  __u64 uaddr = 0;
  __u32 op = 0;
  /* futex_waitv's word is in the wakee's memory, which only a sleepable program may read. */
  if (wakee_syscall == NR_FUTEX_WAITV ||
      !futex_wait_in(wakee_regs, wakee_syscall, &uaddr, &op, 0))
    return;
  struct pt_regs *regs = user_regs_of(waker);
  if (!futex_wake_of(regs, regs_syscall(regs), uaddr)) return;
  /* A thread never seen before has no slot to note the release in (its first wait). */
  struct waitprof_thread_slot *waiter = find_slot(wakee->pid);
  if (!waiter) return;
  /* Before the walk: a waiter racing this wake opens its wait after it (charge_release). */
  __u64 now = bpf_ktime_get_ns();
  __u64 wait_start = waiter->lock.start_ns;
  bump(WAITPROF_SEEN_RELEASES);
  /* The waker's slot lends its memos to the walk; without one the walk still happens. The
   * IRQ scratch and walk slot: try_to_wake_up holds the wakee's pi_lock with interrupts off,
   * so neither cpu_sample (the timer interrupt) nor this program can interrupt the other,
   * while a task-context program this wakeup's interrupt preempted may be mid-walk in the
   * task slot. (A wakeup from an interrupt runs here too, with the interrupted task as
   * current: it counts only if that task is itself inside a futex wake of the same word.) */
  struct waitprof_thread_slot *slot = claim_slot(waker->pid);
  struct waitprof_mutex_key key = {
      .tgid = waker_tgid,
      .tid = waker->pid,
      .user_stack = user_stack_at(ctx, waker_tgid, saved_user_regs(waker, regs), SCRATCH_IRQ,
                                  waiter->release.key.user_stack, slot),
      .uaddr = uaddr,
      .waiter_tgid = wakee->tgid,
      .op = op,
  };
  waiter->release.key = key;
  waiter->release.wait_start = wait_start;
  /* Last: the waiter's close takes a release whose time is set (x86 keeps stores in order;
   * a torn key, on a waiter switching out right now, costs one sample its holder). */
  waiter->release.woken_ns = now;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(waking_btf, struct task_struct *p) {
  lock_waiter_woken(ctx, p);
  return 0;
}

/* ---- lock, without BTF: futex wait calls timed from syscall entry to exit ----
 * Where sched_switch runs as tp_btf, lock waits come from it instead (switch_out): these
 * tracepoints tax every syscall of the machine. */

static __always_inline void lock_enter(void *ctx, __u64 uaddr, __u32 op) {
  /* The task rather than bpf_get_current_pid_tgid: its ids and its registers for one call. */
  struct task_struct *task = bpf_get_current_task_btf();
  __u32 tgid = task->tgid;
  if (!is_target(tgid)) return;
  bump(WAITPROF_SEEN_FUTEX_WAITS);
  __u32 tid = task->pid;
  __u64 now = bpf_ktime_get_ns(); /* before the stack walk, which is not waiting */
  struct waitprof_thread_slot *slot = claim_slot(tid);
  if (!slot) return;
  struct waitprof_lock_key key = {
      .tgid = tgid,
      .tid = tid,
      .user_stack = user_stack_at(ctx, tgid, saved_user_regs(task, user_regs_of(task)), SCRATCH_TASK,
                                  slot->lock_sum.key.user_stack, slot),
      .kernel_stack = kernel_stacks_wait ? kernel_stack(ctx, SCRATCH_TASK) : WAITPROF_STACK_NONE,
      .uaddr = uaddr,
      .op = op,
  };
  slot->lock.key = key;
  slot->lock.start_ns = now;
}

/* Every futex call's exit, wakes included: only a target thread with an open wait counts. */
static __always_inline void lock_exit(void) {
  __u64 id = bpf_get_current_pid_tgid();
  if (!is_target(id >> 32)) return;
  __u32 tid = (__u32)id;
  __u64 now = bpf_ktime_get_ns();
  struct waitprof_thread_slot *slot = find_slot(tid);
  if (!slot) {
    END_SEEDED_WAIT(seeded_lock, struct waitprof_lock_start, lock_waits, tid, now,
                    WAITPROF_DROP_LOCK_KEYS_FULL);
    return;
  }
  CLOSE_WAIT(slot, lock, lock_sum, lock_waits, now, WAITPROF_DROP_LOCK_KEYS_FULL);
}

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter(struct trace_event_raw_sys_enter *ctx) {
  __u32 cmd = (__u32)ctx->args[1] & WAITPROF_FUTEX_CMD_MASK;
  if (waitprof_futex_cmd_waits(cmd)) lock_enter(ctx, ctx->args[0], cmd);
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
  lock_enter(ctx, futex_waitv_first_uaddr(ctx->args[0], 0), WAITPROF_FUTEX2_WAITV);
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
  struct task_struct *task = bpf_get_current_task_btf(); /* ids and registers, one call */
  __u32 tgid = task->tgid;
  if (!is_target(tgid)) return;
  bump(WAITPROF_SEEN_SENDS);
  __u32 tid = task->pid;
  struct waitprof_thread_slot *slot = claim_slot(tid);
  if (!slot) return;
  struct waitprof_send_key key = {
      .tgid = tgid,
      .tid = tid,
      .user_stack = user_stack_at(ctx, tgid, saved_user_regs(task, user_regs_of(task)), SCRATCH_TASK,
                                  slot->send_sum.key.user_stack, slot),
      .kernel_stack = kernel_stacks_wait ? kernel_stack(ctx, SCRATCH_TASK) : WAITPROF_STACK_NONE,
  };
  ADD_TO_SUM(slot, sends, send_sum, key, (__u64)bytes, WAITPROF_DROP_SEND_KEYS_FULL);
}

/* Preferred where the kernel allows fexit: the return value is what tcp_sendmsg accepted. */
SEC("fexit/tcp_sendmsg")
int BPF_PROG(send_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret) {
  count_send(ctx, ret);
  return 0;
}

/* Without fexit: sock_sendmsg's result for every socket; keep TCP over IPv4/IPv6. The raw
 * (tp_btf) form where the kernel has it: no perf buffer filled per call. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(send_btf, struct sock *sk, int ret, int flags) {
  __u16 family = sk->__sk_common.skc_family;
  if ((family != AF_INET_FAMILY && family != AF_INET6_FAMILY) || sk->sk_protocol != IPPROTO_TCP_PROTO)
    return 0;
  count_send(ctx, ret);
  return 0;
}

/* The classic tracepoint, where there is no BTF for the raw one. */
SEC("tracepoint/sock/sock_send_length")
int send_tracepoint(struct trace_event_raw_sock_msg_length *ctx) {
  if ((ctx->family != AF_INET_FAMILY && ctx->family != AF_INET6_FAMILY) ||
      ctx->protocol != IPPROTO_TCP_PROTO)
    return 0;
  count_send(ctx, ctx->ret);
  return 0;
}

/* ---- waits walked again from the sleepable task iterator ----
 * Run by user space over every task of the machine: reading a blocked thread's memory needs
 * bpf_copy_from_user_task, so these walks are sleepable. */

/* The stack of a blocked task from its saved registers, stored; NONE when it cannot be walked
 * (or, when tables_needed, its process still has no unwind tables). */
static __always_inline __u64 blocked_task_stack(struct task_struct *task, __u32 tgid,
                                                struct pt_regs *regs, bool tables_needed,
                                                __u32 *end) {
  struct user_regs r = saved_user_regs(task, regs);
  if (r.kernel_thread) return WAITPROF_STACK_KERNEL_THREAD;
  if (!r.valid || !unwind_cfi) return WAITPROF_STACK_NONE;
  struct unwind_walk *w = unwind_user(tgid, r.ip, r.sp, r.bp, UNWIND_SLOT_ITER, task);
  if (!w || !w->frames || (tables_needed && w->space == UNWIND_NO_SPACE))
    return WAITPROF_STACK_NONE;
  *end = w->end;
  return keep_walked_stack(w, WAITPROF_STACK_NONE);
}

static __always_inline bool task_blocked(struct task_struct *task) {
  return task->__state & (TASK_INTERRUPTIBLE_STATE | TASK_UNINTERRUPTIBLE_STATE);
}

/* Waits already in progress when recording began, run once right after the attach: a target
 * thread blocked since before then (an idle worker in epoll_wait, a thread parked on a lock)
 * would otherwise count nothing until it next runs. Its wait is seeded as beginning at
 * seed_start_ns, with its stack. A thread that has claimed a slot has run since the attach:
 * its own switch-out started its wait. */
SEC("iter.s/task")
int seed_waits(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  __u32 tgid = task->tgid;
  if (!is_target(tgid) || !task_blocked(task)) return 0;
  __u32 tid = task->pid;
  if (find_slot(tid)) return 0;
  struct pt_regs *regs = user_regs_of(task);
  __s32 syscall = regs_syscall(regs);
  __u32 end = 0;
  __u64 user_stack = blocked_task_stack(task, tgid, regs, false, &end);
  if (user_stack == WAITPROF_STACK_NONE) user_stack = WAITPROF_STACK_BEFORE_START;
  __u64 kernel = WAITPROF_STACK_NONE;
  if (record_offcpu) {
    struct waitprof_offcpu_start off = {
        .start_ns = seed_start_ns,
        .key = {.tgid = tgid, .tid = tid, .user_stack = user_stack, .kernel_stack = kernel,
                .syscall = syscall, .state = offcpu_state(false, task->__state)},
    };
    if (bpf_map_update_elem(&seeded_offcpu, &tid, &off, BPF_NOEXIST) == 0)
      __sync_fetch_and_add(&seeded_waits, 1);
  }
  __u64 uaddr = 0;
  __u32 op = 0;
  if (record_lock && futex_wait_in(regs, syscall, &uaddr, &op, task)) {
    struct waitprof_lock_start lock = {
        .start_ns = seed_start_ns,
        .key = {.tgid = tgid, .tid = tid, .user_stack = user_stack, .kernel_stack = kernel,
                .uaddr = uaddr, .op = op},
    };
    if (bpf_map_update_elem(&seeded_lock, &tid, &lock, BPF_NOEXIST) == 0)
      __sync_fetch_and_add(&seeded_waits, 1);
  }
  return 0;
}

/* Set by user space before it runs rewalk_waits: the process whose unwind tables it has just
 * published, and how many waits were walked again. */
volatile __u32 rewalk_tgid = 0;
volatile __u64 rewalked_waits = 0;

/* Waits of process rewalk_tgid whose stacks fell short of their thread's entry, walked by
 * frame pointers because some of its tables were not there yet (a program exec'd, blocked at
 * once, and stays blocked: `sleep 60` under `record -- sh -c …`): walked again now that more
 * are. The wait keeps its start; only its stack changes, if it is still the same wait when
 * the walk is done. */
SEC("iter.s/task")
int rewalk_waits(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task || task->tgid != rewalk_tgid || !task_blocked(task)) return 0;
  struct waitprof_thread_slot *slot = find_slot(task->pid);
  if (!slot || !slot->walk_short_of_entry) return 0;
  __u64 offcpu_start = slot->offcpu.start_ns, lock_start = slot->lock.start_ns;
  if (!offcpu_start && !lock_start) return 0;
  __u32 end = 0;
  __u64 key = blocked_task_stack(task, task->tgid, user_regs_of(task), true, &end);
  if (key == WAITPROF_STACK_NONE) return 0;
  /* One aligned store each: a switch-in closing the wait reads the old key or the new. */
  if (offcpu_start && slot->offcpu.start_ns == offcpu_start) slot->offcpu.key.user_stack = key;
  if (lock_start && slot->lock.start_ns == lock_start) slot->lock.key.user_stack = key;
  /* Still short (the loader has more to map): the next change of tables tries again. */
  slot->walk_short_of_entry = end != WAITPROF_STACK_END_ENTRY;
  __sync_fetch_and_add(&rewalked_waits, 1);
  return 0;
}

/* ---- Go: contended sync.Mutex releases (uprobe, attached per Go target process) ---- */
#include "go_releases.bpf.h"
