/* The set of target processes, shared by proctree.bpf.c (which adds forked children and
 * removes exited processes) and profile.bpf.c (which asks on every event). User space
 * creates it once, with proctree.bpf.o, and hands the same map to profile.bpf.o.
 *
 * A bitmap in an array map rather than a hash keyed by tgid: the verifier inlines an array
 * lookup into a bounds check and an add, where a hash lookup is a helper call plus jhash, and
 * the test runs twice on every context switch of the machine, target or not. The map is
 * mmapable so user space can set bits with atomic instructions too: a read-modify-write
 * through bpf_map_update_elem could undo a bit a concurrent fork just set in the same word. */
#ifndef WAITPROF_TARGETS_BPF_H
#define WAITPROF_TARGETS_BPF_H

#include <bpf/bpf_helpers.h>

#include "proctree.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_TARGET_WORDS);
  __type(key, __u32);
  __type(value, __u64);
} targets SEC(".maps");

/* NULL only for a tgid beyond WAITPROF_PID_LIMIT, which the kernel never hands out. */
static __always_inline __u64 *target_word(__u32 tgid) {
  __u32 index = tgid / 64;
  return bpf_map_lookup_elem(&targets, &index);
}

static __always_inline bool target_test(__u32 tgid) {
  __u64 *word = target_word(tgid);
  return word && ((*word >> (tgid % 64)) & 1);
}

static __always_inline void target_set(__u32 tgid) {
  __u64 *word = target_word(tgid);
  if (word) __sync_fetch_and_or(word, 1ull << (tgid % 64));
}

/* Whether tgid was a target: only then has its exit news for user space. */
static __always_inline bool target_clear(__u32 tgid) {
  __u64 *word = target_word(tgid);
  if (!word) return false;
  __u64 bit = 1ull << (tgid % 64);
  return __sync_fetch_and_and(word, ~bit) & bit;
}

#endif
