/* Per-thread slots (struct waitprof_thread_slot in profile.h): where a target thread's open
 * wait and running sums live, found without a helper call.
 *
 * Why an array and not a hash map keyed by tid: the verifier inlines an array lookup into a
 * bounds check and an add, where a hash lookup is a helper call, a jhash and a bucket walk —
 * and on hosts with return-stack mitigations every call and return costs tens of ns. A thread
 * owns the first slot it claimed among the WAITPROF_THREAD_SLOT_PROBES slots from its home
 * (a hash of its tid); claims race only between threads, settled by a compare-and-swap on
 * the owner field. */
#ifndef WAITPROF_THREAD_SLOTS_BPF_H
#define WAITPROF_THREAD_SLOTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "profile.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  /* User space reads the slots after the stop through a mapping: one pass over memory
   * instead of a syscall per slot. */
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 1u << WAITPROF_THREAD_SLOT_BITS); /* user space may resize */
  __type(key, __u32);
  __type(value, struct waitprof_thread_slot);
} thread_slots SEC(".maps");

/* log2 of thread_slots' size, set by user space with it (1 to WAITPROF_THREAD_SLOT_BITS_MAX). */
const volatile __u32 thread_slot_bits = WAITPROF_THREAD_SLOT_BITS;

static __always_inline __u32 slot_home(__u32 tid) {
  /* Fibonacci hashing: the top bits of tid times 2^32/phi spread neighbouring tids apart. */
  return (tid * 0x9e3779b1u) >> (32 - thread_slot_bits);
}

static __always_inline struct waitprof_thread_slot *slot_at(__u32 home, __u32 probe) {
  __u32 index = (home + probe) & ((1u << thread_slot_bits) - 1);
  return bpf_map_lookup_elem(&thread_slots, &index);
}

/* The slot thread tid owns, or NULL. Every probe is looked at: a slot before the owner's may
 * have been freed since it claimed. */
static __always_inline struct waitprof_thread_slot *find_slot(__u32 tid) {
  __u32 home = slot_home(tid);
#pragma unroll
  for (__u32 probe = 0; probe < WAITPROF_THREAD_SLOT_PROBES; probe++) {
    struct waitprof_thread_slot *slot = slot_at(home, probe);
    if (slot && slot->tid == tid) return slot;
  }
  return 0;
}

/* A free slot, now owned by tid and empty, or NULL when all its probes are taken. */
static __always_inline struct waitprof_thread_slot *take_free_slot(__u32 tid) {
  __u32 home = slot_home(tid);
#pragma unroll
  for (__u32 probe = 0; probe < WAITPROF_THREAD_SLOT_PROBES; probe++) {
    struct waitprof_thread_slot *slot = slot_at(home, probe);
    if (!slot || slot->tid) continue;
    if (__sync_val_compare_and_swap(&slot->tid, 0, tid) != 0) continue; /* another thread won */
    slot->offcpu.start_ns = 0;
    slot->lock.start_ns = 0;
    slot->offcpu_sum.value.count = 0;
    slot->lock_sum.value.count = 0;
    slot->send_sum.value.count = 0;
    slot->release.woken_ns = 0;
#pragma unroll
    for (int i = 0; i < WAITPROF_THREAD_MEMOS; i++) slot->memos[i].key = 0;
    return slot;
  }
  return 0;
}

/* Whether two keys of `size` bytes (a multiple of 8, no holes) are equal. */
static __always_inline bool same_key(const void *a, const void *b, __u32 size) {
  const __u64 *x = a, *y = b;
  __u64 diff = 0;
#pragma unroll
  for (__u32 i = 0; i < size / 8; i++) diff |= x[i] ^ y[i];
  return diff == 0;
}

#endif
