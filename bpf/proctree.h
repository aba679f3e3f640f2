/* The target process tree, shared by proctree.bpf.c and the daemon. Fixed-width fields only. */
#ifndef WAITPROF_PROCTREE_H
#define WAITPROF_PROCTREE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Target processes are a bitmap indexed by tgid, one bit for every possible pid: Linux's
 * PID_MAX_LIMIT on 64-bit is 4M, so 512 KiB. A bitmap has no "full" and its test is an
 * inlined array access, which matters because it runs on every context switch of the host. */
#define WAITPROF_PID_LIMIT (4 * 1024 * 1024)
#define WAITPROF_TARGET_WORDS (WAITPROF_PID_LIMIT / 64)
#define WAITPROF_COMM_LEN 16

enum waitprof_proc_event_kind {
  WAITPROF_PROC_FORK = 1, /* tgid joined the tree: forked by parent_tgid, a target */
  WAITPROF_PROC_EXEC = 2, /* a target replaced its image: its mappings changed */
  WAITPROF_PROC_EXIT = 3, /* a target's thread-group leader exited */
  /* The dynamic loader changed a target's mappings: libraries loaded at startup or by
   * dlopen, or unloaded (ld.so's _dl_debug_state, the hook debuggers use). */
  WAITPROF_PROC_MAPS = 4,
  /* A target's thread got a name: created (its creator's) or renamed (pthread_setname_np),
   * so its samples are named even when it exits before the export reads /proc. */
  WAITPROF_PROC_THREAD_NAME = 5,
};

struct waitprof_proc_event {
  __u32 kind;
  __u32 tgid;
  __u32 parent_tgid; /* FORK only */
  __u32 tid;         /* THREAD_NAME only */
  __u64 timestamp_ns; /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
  char comm[WAITPROF_COMM_LEN]; /* the current task's; THREAD_NAME: the thread's */
};

/* Counters the kernel side bumps instead of failing silently; indexes into `proctree_drops`. */
enum waitprof_proctree_drop {
  WAITPROF_DROP_EVENTS_FULL = 0, /* a fork/exec/exit event was lost: ring buffer full */
  WAITPROF_PROCTREE_DROP_KINDS = 1,
};

#endif
