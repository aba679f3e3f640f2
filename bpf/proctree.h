/* The target process tree, shared by proctree.bpf.c and the daemon. Fixed-width fields only. */
#ifndef WAITPROF_PROCTREE_H
#define WAITPROF_PROCTREE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Processes (thread groups) tracked at once: a prefork server and its workers, with room
 * for short-lived children that a target forks and reaps. */
#define WAITPROF_MAX_TARGETS 16384
#define WAITPROF_COMM_LEN 16

enum waitprof_proc_event_kind {
  WAITPROF_PROC_FORK = 1, /* tgid joined the tree: forked by parent_tgid, a target */
  WAITPROF_PROC_EXEC = 2, /* a target replaced its image: its mappings changed */
  WAITPROF_PROC_EXIT = 3, /* a target's thread-group leader exited */
};

struct waitprof_proc_event {
  __u32 kind;
  __u32 tgid;
  __u32 parent_tgid; /* FORK only */
  __u32 pad;
  __u64 timestamp_ns; /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
  char comm[WAITPROF_COMM_LEN];
};

/* Counters the kernel side bumps instead of failing silently; indexes into `proctree_drops`. */
enum waitprof_proctree_drop {
  WAITPROF_DROP_TARGETS_FULL = 0, /* a child could not be tracked: targets map full */
  WAITPROF_DROP_EVENTS_FULL = 1,  /* a fork/exec/exit event was lost: ring buffer full */
  WAITPROF_PROCTREE_DROP_KINDS = 2,
};

#endif
