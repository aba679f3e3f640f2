/* Which unwind address space (bpf/unwind.h) each target process has: written by user space
 * when it has read a process's mappings, copied by proctree.bpf.c to a child at fork (the
 * child maps what its parent did, and may run before user space hears of it), and dropped at
 * exec and exit. A process without an entry is unwound by frame pointers. Both BPF objects
 * declare these maps; user space creates them once and hands the same ones to both, as
 * `targets`. */
#ifndef WAITPROF_UNWIND_PIDS_BPF_H
#define WAITPROF_UNWIND_PIDS_BPF_H

#include <bpf/bpf_helpers.h>

#include "unwind.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_UNWIND_MAX_PIDS);
  __type(key, __u32);   /* tgid */
  __type(value, __u32); /* index into unwind_spaces */
} unwind_pids SEC(".maps");

/* Bumped whenever what a walk could find changes: user space after it publishes an address
 * space, proctree.bpf.c at a target's exec. A memoized stack (waitprof_stack_memo) is only
 * reused while the epoch it was walked in lasts. Shared like unwind_pids. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} unwind_epoch SEC(".maps");

static __always_inline __u64 *unwind_epoch_word(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&unwind_epoch, &zero);
}

#endif
