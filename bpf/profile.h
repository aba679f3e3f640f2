/* The profiles' map keys and values, shared by profile.bpf.c and the daemon that drains them.
 * Fixed-width fields, explicit padding: both sides must agree byte for byte. */
#ifndef WAITPROF_PROFILE_H
#define WAITPROF_PROFILE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "unwind.h"

/* Frames kept per stack; the stack map's value size is this times 8 bytes. */
#define WAITPROF_MAX_STACK_DEPTH 127
/* Distinct (thread, stack, …) keys each profile aggregates before counting drops. */
#define WAITPROF_MAX_KEYS 65536
/* Waits in progress when recording began, seeded by user space from /proc. */
#define WAITPROF_MAX_SEEDS 65536

/* Stacks, user and kernel, are stored by content: the key is a 64-bit hash of the frames,
 * in `stacks`, a hash map, so two different stacks never share a slot the way they can share
 * a BPF stack map's bucket. Keys 0 to 2 are reserved: */
#define WAITPROF_STACK_NONE 0ull /* no stack: not requested, the walk failed, the map was full */
/* A wait already in progress when recording began, seeded by user space from /proc: its
 * stack was never seen (the kernel walks user stacks of the current task only). */
#define WAITPROF_STACK_BEFORE_START 1ull
/* A kernel thread of the process (io_uring's iou-wrk/iou-sqp workers): it never runs user
 * code, and its saved user registers are its creator's, at creation: nothing to walk. */
#define WAITPROF_STACK_KERNEL_THREAD 2ull
/* Distinct stacks kept (user space may resize before load). */
#define WAITPROF_MAX_STACKS 65536

/* Why a user walk ended, in the high half of waitprof_stack.nr. */
enum waitprof_stack_end {
  WAITPROF_STACK_END_UNKNOWN = 0,   /* the kernel's frame-pointer walk: it does not say */
  WAITPROF_STACK_END_ENTRY = 1,     /* CFI marks the outermost frame (clone3, _start) */
  WAITPROF_STACK_END_FP_ZERO = 2,   /* a frame-pointer chain ended (bp 0: the outermost frame
                                     * of code with frame pointers, or a lost bp) */
  WAITPROF_STACK_END_UNREADABLE = 3, /* stack memory the walk could not read */
  WAITPROF_STACK_END_LOST = 4,      /* a caller that cannot be (its CFA did not move up, its
                                     * return address is no user address, a rule the walk
                                     * does not follow) */
  WAITPROF_STACK_END_DEPTH = 5,     /* WAITPROF_MAX_STACK_DEPTH frames */
};
#define WAITPROF_STACK_FRAMES(nr) ((__u32)(nr))
#define WAITPROF_STACK_END(nr) ((__u32)((nr) >> 32))

struct waitprof_stack {
  __u64 nr; /* frames in ips; the high 32 bits: enum waitprof_stack_end */
  __u64 ips[WAITPROF_MAX_STACK_DEPTH]; /* leaf first, as bpf_get_stack stores them */
};

struct waitprof_cpu_key {
  __u32 tgid;
  __u32 tid;
  __u64 user_stack;
  __u64 kernel_stack;
};

/* Why a thread left the CPU, from the state it switched out in. */
enum waitprof_offcpu_state {
  WAITPROF_OFFCPU_SLEEPING = 0,        /* TASK_INTERRUPTIBLE: waiting for an event */
  WAITPROF_OFFCPU_UNINTERRUPTIBLE = 1, /* TASK_UNINTERRUPTIBLE: typically I/O (D state) */
  WAITPROF_OFFCPU_RUNQUEUE = 2,        /* preempted while runnable: waiting for a CPU */
  WAITPROF_OFFCPU_OTHER = 3,           /* stopped, traced, parked, … */
  WAITPROF_OFFCPU_STATES = 4,
};

struct waitprof_offcpu_key {
  __u32 tgid;
  __u32 tid;
  __u64 user_stack;
  __u64 kernel_stack;
  __s32 syscall; /* syscall number the thread was in at switch-out, -1 when none */
  __u32 state;   /* enum waitprof_offcpu_state */
};

/* A wait in progress: written at switch-out (or futex entry), consumed at switch-in (exit).
 * User space adds the ones still open when recording stops, up to the stop time. */
struct waitprof_offcpu_start {
  __u64 start_ns; /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
  struct waitprof_offcpu_key key;
};

/* Futex wait operations, as the `op` of a lock key. Values below 64 are FUTEX_* commands of
 * futex(2) with the private/clock flags masked off; the others name the futex2 syscalls. */
#define WAITPROF_FUTEX2_WAIT 64
#define WAITPROF_FUTEX2_WAITV 65

/* The futex(2) commands that wait, after masking off FUTEX_PRIVATE_FLAG and
 * FUTEX_CLOCK_REALTIME: the BPF side and the /proc seeding in user space decide alike. */
#define WAITPROF_FUTEX_CMD_MASK 127
static inline int waitprof_futex_cmd_waits(__u32 cmd) {
  return cmd == 0 /* FUTEX_WAIT */ || cmd == 9 /* FUTEX_WAIT_BITSET */ ||
         cmd == 6 /* FUTEX_LOCK_PI */ || cmd == 13 /* FUTEX_LOCK_PI2 */ ||
         cmd == 11 /* FUTEX_WAIT_REQUEUE_PI */;
}

struct waitprof_lock_key {
  __u32 tgid;
  __u32 tid;
  __u64 user_stack;
  __u64 kernel_stack;
  __u64 uaddr; /* the futex word: names the lock (first word of futex_waitv's vector) */
  __u32 op;
  __u32 pad;
};

struct waitprof_lock_start {
  __u64 start_ns;
  struct waitprof_lock_key key;
};

/* mutex: a lock wait by the thread that woke it from inside a futex wake call, the releaser
 * (Go's mutex profile charges a lock's delay to the unlocker). The waiter's stack and op come
 * along so user space can tell a lock from a condvar by the same frames as the waiter's wait. */
struct waitprof_mutex_key {
  __u32 tgid; /* the releaser */
  __u32 tid;
  __u64 user_stack;   /* the releaser's, at the wake: inside its unlock */
  __u64 waiter_stack; /* the woken thread's, at its wait */
  __u64 uaddr;        /* the futex word both named */
  __u32 waiter_tgid;
  __u32 op; /* the waiter's futex op */
};

/* A Go goroutine releasing a sync semaphore with a waiter queued on it (sync.Mutex.Unlock's
 * slow path): the unlocker Go's mutex profile charges the waiters' delay to. */
struct waitprof_go_release_key {
  __u32 tgid;
  __u32 pad;
  __u64 user_stack; /* the releaser's, from sync.runtime_Semrelease's entry */
  __u64 sema;       /* the semaphore's address: &sync.Mutex.sema */
};

struct waitprof_send_key {
  __u32 tgid;
  __u32 tid;
  __u64 user_stack;
  __u64 kernel_stack;
};

/* offcpu and lock: how many waits and how long in total. send: calls and bytes. */
struct waitprof_count_total {
  __u64 count;
  __u64 total;
};

/* Per-thread state, one slot per live target thread in the `thread_slots` array: the wait it
 * is in, and one running sum per profile. Consecutive events of a thread mostly share a key
 * (an event loop waits in epoll_wait from the same stack thousands of times a second), so
 * they are added up here, with no hash lookup and no atomics; a profile map sees a sum only
 * when its key changes or the thread dies. User space reads the slots after the stop for the
 * sums and the waits still open. Only the thread itself and its own switch-in touch its slot,
 * never at once, so plain loads and stores do — except `release`, which the thread that wakes
 * it from a lock wait writes (lock_waiter_woken), while it is off CPU or just switching out. */
#define WAITPROF_THREAD_SLOT_BITS 13 /* default: 8192 live target threads; --thread-slots */
/* Stacks a thread's slot remembers (waitprof_stack_memo): an event loop's wait, a contended
 * lock, the send path and one more, each reused while the thread comes back to it. */
#define WAITPROF_THREAD_MEMOS 4
#define WAITPROF_THREAD_SLOT_BITS_MAX 22
#define WAITPROF_THREAD_SLOT_PROBES 8 /* a thread's slot is one of 8 from its home slot on */

struct waitprof_offcpu_sum {
  struct waitprof_offcpu_key key;
  struct waitprof_count_total value; /* count 0: empty */
};

struct waitprof_lock_sum {
  struct waitprof_lock_key key;
  struct waitprof_count_total value;
};

/* Who woke a thread's lock wait, written into the waiter's slot by the waker's sched_waking
 * and charged when the waiter's lock wait closes (key.waiter_stack filled in then). */
struct waitprof_release {
  struct waitprof_mutex_key key;
  __u64 woken_ns;   /* 0: none pending */
  __u64 wait_start; /* the waiter's open lock wait's start_ns then; 0: not in its slot yet */
};

/* A wake that raced the waiter's switch-out (its wait was not in its slot yet) belongs to the
 * wait that switch-out opened, which starts within this many ns of the wake: after it, or
 * just before (the switch-out reads the clock, then walks the stack, then stores its wait). */
#define WAITPROF_RELEASE_RACE_NS 100000ull

/* Whether a release noted in a waiter's slot is the one of its lock wait that began at
 * start_ns on the word uaddr: the very wait (its start was seen), or the wait a switch-out
 * racing the wake opened just after. Anything else is stale: a wake of a futex wait that
 * returned without sleeping (the waker took it off the queue before it called schedule),
 * whose thread is now in another wait. BPF and the export's open waits decide alike. */
static inline int waitprof_release_matches(const struct waitprof_release *r, __u64 start_ns,
                                           __u64 uaddr) {
  if (!r->woken_ns || !start_ns || r->key.uaddr != uaddr) return 0;
  if (r->wait_start) return r->wait_start == start_ns;
  return start_ns >= r->woken_ns ? start_ns - r->woken_ns <= WAITPROF_RELEASE_RACE_NS
                                 : r->woken_ns - start_ns <= WAITPROF_RELEASE_RACE_NS;
}

struct waitprof_send_sum {
  struct waitprof_send_key key;
  struct waitprof_count_total value;
};

struct waitprof_thread_slot {
  __u32 tid; /* owner; 0: free */
  __u32 memo_next; /* the memo a new stack replaces: round robin */
  struct waitprof_offcpu_start offcpu; /* start_ns 0: not off CPU */
  struct waitprof_lock_start lock;     /* start_ns 0: not in a futex wait */
  struct waitprof_offcpu_sum offcpu_sum;
  struct waitprof_lock_sum lock_sum;
  struct waitprof_send_sum send_sum;
  /* The thread as a waiter: who released the lock its wait is for. The one field of a slot
   * another thread writes (the waker, from sched_waking, while this thread is off CPU or
   * just switching out): see lock_waiter_woken. */
  struct waitprof_release release;
  __u64 runtime_at_switch_out; /* the thread's sum_exec_runtime then: see end_untraced_wait */
  /* The open wait's stack did not reach its thread's entry: walked before user space had
   * given its process all its unwind tables (just exec'd, a library just mapped). When its
   * tables change, rewalk_waits walks it again. */
  __u32 walk_short_of_entry;
  /* Bumped each time the thread moves a sum into a profile map (FLUSH_SUM, charge_release),
   * after the map has it: `waitprof serve` reads the maps while the programs run, and a slot
   * whose count changed while it read the maps is read again (collector.cpp). */
  __u32 flushes;
  __u32 pad[2]; /* 320 bytes so far: a cache-line multiple */
  /* The thread's last stacks, with what their walks read (unwind.h): a thread that waits or
   * sends again from where it did before is not walked again. */
  struct waitprof_stack_memo memos[WAITPROF_THREAD_MEMOS];
}; /* 1088 bytes, 17 cache lines: neighbours on other CPUs share no line */

/* Per-CPU counters, indexes into `counters`: events each program saw for targets (for the
 * summary and progress) and everything that was dropped instead of failing silently. */
enum waitprof_counter {
  WAITPROF_SEEN_CPU_SAMPLES = 0,
  WAITPROF_SEEN_SWITCHES = 1,
  WAITPROF_SEEN_FUTEX_WAITS = 2,
  WAITPROF_SEEN_SENDS = 3,
  WAITPROF_DROP_STACKS_FULL = 4,     /* a new stack found the stacks map full */
  WAITPROF_DROP_STACK_FAILED = 5,    /* user stack walk failed */
  WAITPROF_DROP_CPU_KEYS_FULL = 6,
  WAITPROF_DROP_OFFCPU_KEYS_FULL = 7,
  WAITPROF_DROP_LOCK_KEYS_FULL = 8,
  WAITPROF_DROP_SEND_KEYS_FULL = 9,
  WAITPROF_DROP_THREAD_SLOTS_FULL = 10, /* a thread's event found no free thread slot */
  /* A new stack not stored for another reason than a full map: the update was refused
   * because it interrupted one on the same CPU (cpu_sample runs in the timer interrupt), or
   * the allocator had no memory at hand. The sample keeps its place, without the stack. */
  WAITPROF_DROP_STACK_STORE_FAILED = 11,
  WAITPROF_USER_STACK_REUSED = 12,      /* walked user stack already stored: not stored again */
  WAITPROF_SEEN_TARGET_SWITCHES = 13,   /* sched_switch events with a target on either side */
  WAITPROF_FOLDED_IN_SLOT = 14, /* waits and sends added to their thread's running sum */
  WAITPROF_UNTRACED_SWITCH_INS = 15, /* waits whose end the kernel did not trace: derived */
  WAITPROF_UNWIND_FRAMES = 16,    /* user frames the walk produced */
  WAITPROF_UNWIND_FP_FRAMES = 17, /* of them, unwound by frame pointers: no CFI for the pc */
  /* User walks of a process whose mappings user space had not given the walk yet (just
   * exec'd, or its address space did not fit): frame pointers only. */
  WAITPROF_UNWIND_NO_TABLES = 18,
  WAITPROF_USER_STACK_MEMO_HITS = 19, /* user stacks taken from the thread's memo: no walk */
  WAITPROF_UNWIND_WALKS = 20,  /* user stacks walked (by CFI and frame pointers) */
  WAITPROF_UNWIND_COPIES = 21, /* stack pages those walks copied */
  WAITPROF_USER_STACK_MEMO_MISMATCHES = 22, /* verify mode: a memo hit whose walk differed */
  /* sched_waking events whose wakee is a target thread (the bench's target/non-target split),
   * and of them, lock waits woken by a target thread's futex wake: the mutex profile's events. */
  WAITPROF_SEEN_TARGET_WAKEUPS = 23,
  WAITPROF_SEEN_RELEASES = 24,
  WAITPROF_DROP_MUTEX_KEYS_FULL = 25,
  /* Go programs: sync's semaphore releases (a goroutine waking a waiter), and those lost. */
  WAITPROF_SEEN_GO_RELEASES = 26,
  WAITPROF_DROP_GO_RELEASE_KEYS_FULL = 27,
  WAITPROF_COUNTERS = 28,
};

#endif
