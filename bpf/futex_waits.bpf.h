/* Which futex calls wait, and on which futex word: from a syscall's arguments (the fallback's
 * syscall tracepoints) or from the saved user registers of a thread blocked inside one (the
 * sched_switch path, which needs no syscall tracepoint: an enabled one sends every syscall of
 * every task on the machine through the kernel's slow entry path, 45 ns more per syscall here). */
#ifndef WAITPROF_FUTEX_WAITS_BPF_H
#define WAITPROF_FUTEX_WAITS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "profile.h"

/* futex_waitv names its words in a user array: the first one names the wait. Read from the
 * current task, or (task set: the sleepable iterator only, a constant at each call site) from
 * another one. */
static __always_inline __u64 futex_waitv_first_uaddr(__u64 waiters, struct task_struct *task) {
  struct futex_waitv first = {};
  if (task)
    bpf_copy_from_user_task(&first, sizeof(first), (void *)waiters, task, 0);
  else
    bpf_probe_read_user(&first, sizeof(first), (void *)waiters);
  return first.uaddr;
}

/* Syscall numbers: futex_waitv (5.16), futex_wake and futex_wait (6.7) are the same on every
 * arch (the futex2 calls came after the tables were unified). */
#if defined(__TARGET_ARCH_x86)
#define NR_FUTEX 202
#elif defined(__TARGET_ARCH_arm64)
#define NR_FUTEX 98
#else
#define NR_FUTEX -1
#endif
#define NR_FUTEX_WAITV 449
#define NR_FUTEX_WAKE 454
#define NR_FUTEX_WAIT 455

/* A syscall's first, second and fifth arguments from the saved user registers; false where
 * the arch is not known. */
static __always_inline bool syscall_args(struct pt_regs *regs, __u64 *arg0, __u64 *arg1,
                                         __u64 *arg4) {
  if (!regs) return false;
#if defined(__TARGET_ARCH_x86)
  *arg0 = regs->di;
  *arg1 = regs->si;
  *arg4 = regs->r8;
  return true;
#elif defined(__TARGET_ARCH_arm64)
  struct user_pt_regs *u = (struct user_pt_regs *)regs;
  *arg0 = u->regs[0];
  *arg1 = u->regs[1];
  *arg4 = u->regs[4];
  return true;
#else
  return false;
#endif
}

/* Whether syscall `nr`, which the thread with these saved user registers is blocked in, is a
 * futex wait; if so, its futex word and op (enum of profile.h's lock key). task: as for
 * futex_waitv_first_uaddr. */
static __always_inline bool futex_wait_in(struct pt_regs *regs, __s32 nr, __u64 *uaddr,
                                          __u32 *op, struct task_struct *task) {
  __u64 arg0 = 0, arg1 = 0, arg4 = 0;
  if (nr < 0 || !syscall_args(regs, &arg0, &arg1, &arg4)) return false;
  if (nr == NR_FUTEX) {
    __u32 cmd = (__u32)arg1 & WAITPROF_FUTEX_CMD_MASK;
    if (!waitprof_futex_cmd_waits(cmd)) return false;
    *uaddr = arg0;
    *op = cmd;
    return true;
  }
  if (nr == NR_FUTEX_WAIT) {
    *uaddr = arg0;
    *op = WAITPROF_FUTEX2_WAIT;
    return true;
  }
  if (nr == NR_FUTEX_WAITV) {
    *uaddr = futex_waitv_first_uaddr(arg0, task);
    *op = WAITPROF_FUTEX2_WAITV;
    return true;
  }
  return false;
}

/* Whether the thread with these saved user registers is inside a futex call that wakes
 * waiters of the word uaddr: the call an unlock makes (FUTEX_WAKE for glibc's mutexes and
 * rwlocks, FUTEX_UNLOCK_PI for PI mutexes, a program's own futex lock's wake), and condvar
 * signals, which user space tells apart by the waiter's stack. FUTEX_WAKE_OP also wakes
 * waiters of its second word (the fifth argument); the requeues wake waiters of the first
 * only (the ones they move wait on, and are later woken through, the second word, which their
 * own registers do not name: those wakes are not matched). A wakeup from anywhere else (a
 * timeout, a signal) is no release. */
static __always_inline bool futex_wake_of(struct pt_regs *regs, __s32 nr, __u64 uaddr) {
  __u64 arg0 = 0, arg1 = 0, arg4 = 0;
  if (!syscall_args(regs, &arg0, &arg1, &arg4)) return false;
  if (nr == NR_FUTEX_WAKE) return arg0 == uaddr;
  if (nr != NR_FUTEX) return false;
  switch ((__u32)arg1 & WAITPROF_FUTEX_CMD_MASK) {
    case 1 /* FUTEX_WAKE */:
    case 3 /* FUTEX_REQUEUE */:
    case 4 /* FUTEX_CMP_REQUEUE */:
    case 7 /* FUTEX_UNLOCK_PI */:
    case 10 /* FUTEX_WAKE_BITSET */:
    case 12 /* FUTEX_CMP_REQUEUE_PI */:
      return arg0 == uaddr;
    case 5 /* FUTEX_WAKE_OP */:
      return arg0 == uaddr || arg4 == uaddr;
  }
  return false;
}

#endif
