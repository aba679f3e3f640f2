/* Stacks stored by content.
 *
 * Why by content: a stack map has one slot per hash bucket and no chaining, so two stacks
 * that hash alike lose the second (with 16k distinct stacks in 64k buckets, 7,700 walks of a
 * 10 s recording lost their stack). Here the key is a 64-bit hash of the frames and the
 * store a hash map, so two stacks collide only if their 64-bit hashes do. A stack already
 * stored is only looked up: most waits repeat (an event loop calls epoll_wait from the same
 * frame thousands of times a second), and a thread whose stack hashes as its previous event's
 * did not even look. */
#ifndef WAITPROF_STACK_STORE_BPF_H
#define WAITPROF_STACK_STORE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "profile.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  /* Allocated as stacks arrive: memory follows the number of distinct stacks. */
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, WAITPROF_MAX_STACKS);
  __type(key, __u64);
  __type(value, struct waitprof_stack);
} stacks SEC(".maps");

/* Scratch slots per CPU: one for programs in task context (tracepoints, which run with
 * preemption off), one for cpu_sample, which runs in the timer interrupt and can interrupt
 * them halfway through a walk, one for uprobes. */
enum scratch_slot {
  SCRATCH_TASK = 0,
  SCRATCH_IRQ = 1,
  /* uprobe programs run preemptible (migration off): a tracepoint program of the task that
   * preempts them would overwrite SCRATCH_TASK halfway through their walk. */
  SCRATCH_UPROBE = 2,
  SCRATCH_SLOTS = 3,
};

/* Where the kernel's walk lands before it is stored or compared: 1 KiB, too big for the BPF
 * stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, SCRATCH_SLOTS);
  __type(key, __u32);
  __type(value, struct waitprof_stack);
} stack_scratch SEC(".maps");

#define STACK_HASH_SEED 0xcbf29ce484222325ull

static __always_inline __u64 stack_hash_mix(__u64 h, __u64 v) {
  /* FNV-1a over the 8 bytes at once, then a xorshift: cheap and well spread. */
  h ^= v;
  h *= 0x100000001b3ull;
  h ^= h >> 29;
  return h;
}

/* The hash of a stack's frames (leaf first, ip at [0]): unwind_user computes the same one as
 * it goes. */
static __always_inline __u64 frames_hash(const struct waitprof_stack *s) {
  __u64 h = STACK_HASH_SEED;
  for (int i = 0; i < WAITPROF_MAX_STACK_DEPTH; i++) {
    if (i >= s->nr) break;
    h = stack_hash_mix(h, s->ips[i]);
  }
  return h;
}

/* A hash as a key: 0 to 2 are reserved (WAITPROF_STACK_NONE, _BEFORE_START, _KERNEL_THREAD). */
static __always_inline __u64 stack_key(__u64 hash) {
  return hash <= WAITPROF_STACK_KERNEL_THREAD ? hash + 3 : hash;
}

#endif
