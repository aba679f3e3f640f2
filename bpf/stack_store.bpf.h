/* Stacks stored by content, and user stacks found again without walking them.
 *
 * Why by content: a stack map has one slot per hash bucket and no chaining, so two stacks
 * that hash alike lose the second (with 16k distinct stacks in 64k buckets, 7,700 walks of a
 * 10 s recording lost their stack). Here the key is a 64-bit hash of the frames and the
 * store a hash map, so two stacks collide only if their 64-bit hashes do.
 *
 * Why found again: the kernel's user walk (bpf_get_stack) is the bulk of what waitprof costs
 * — two guarded user-memory reads per frame and, at the end of nearly every chain, a page
 * fault on the outermost frame's zero bp: about 700 ns for the target server's stacks, where
 * the rest of a switch-out costs about 200 ns — and most waits repeat: an event loop calls
 * epoll_wait from the same frame thousands of times a second.
 *
 * How: the kernel's frame-pointer walk yields [ip, return address at bp+8, return address at
 * [bp]+8, …] until a read faults or 127 entries. chain_hash follows the same chain and hashes
 * every entry, reading the stack a page at a time rather than a frame at a time and ending
 * below mmap_min_addr without the fault. A stack whose hash is already stored needs no walk;
 * a new one is walked by the kernel once and stored under that hash. Where the registers are
 * not at hand (raw_tp) or with `--exact-stacks`, the kernel walks every time and the hash is
 * taken over what it returned: the same function of the same frames, so the same key. The
 * hidden `--verify-stack-memo` walks on every reuse and counts disagreements, which the
 * integration tests require to be zero. */
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
 * them halfway through a walk. */
enum scratch_slot {
  SCRATCH_TASK = 0,
  SCRATCH_IRQ = 1,
  SCRATCH_SLOTS = 2,
};

/* Where the kernel's walk lands before it is stored or compared: 1 KiB, too big for the BPF
 * stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, SCRATCH_SLOTS);
  __type(key, __u32);
  __type(value, struct waitprof_stack);
} stack_scratch SEC(".maps");

/* The chain is followed through copies of whole stretches of stack, one user read each:
 * from a frame to the end of its page (a copy never crosses into a page the kernel's walk
 * would not touch, so it faults exactly when the kernel's read of that frame would). A
 * thread's frames sit on a few pages, so a 10-frame chain costs 2–3 copies instead of 20
 * reads. Past MEMO_MAX_COPIES pages, frames are read one by one. */
#define MEMO_PAGE 4096
#define MEMO_MAX_COPIES 4

/* The walk's state and its window: one page, with a spare word so the verifier can see that
 * a masked index plus one frame (saved bp, return address) stays inside. Words, not bytes:
 * frames are 8-byte aligned (16 on x86-64), and the compiler would read a u64 out of a byte
 * array a byte at a time. The state is kept in the map value rather than on the BPF stack,
 * so the verifier knows nothing of its values: every iteration of the loop looks alike to it
 * and the walk verifies in a few hundred instructions, without bpf_loop's callback call per
 * frame (on hosts with return-stack mitigations each return costs tens of ns). */
struct chain_walk {
  __u64 base; /* user address of words[0] */
  __u64 len;  /* valid bytes in the window; 0: none */
  __u64 fp;
  __u64 hash;
  __u32 copies;
  __u32 pad;
  __u64 words[MEMO_PAGE / 8 + 1];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, SCRATCH_SLOTS);
  __type(key, __u32);
  __type(value, struct chain_walk);
} memo_windows SEC(".maps");

/* x86-64's TASK_SIZE_MAX with 4-level page tables, the kernel's valid_user_frame bound:
 * user stacks live far below it. */
#define MEMO_USER_LIMIT 0x00007ffffffff000ull

/* vm.mmap_min_addr, set by user space before load (4096 is the least Linux allows). */
const volatile __u64 memo_min_user_addr = 4096;

#define MEMO_HASH_SEED 0xcbf29ce484222325ull

static __always_inline __u64 memo_mix(__u64 h, __u64 v) {
  /* FNV-1a over the 8 bytes at once, then a xorshift: cheap and well spread. */
  h ^= v;
  h *= 0x100000001b3ull;
  h ^= h >> 29;
  return h;
}

/* One frame of the chain: false where the kernel's walk ends. */
static __always_inline bool chain_step(struct chain_walk *w) {
  __u64 fp = w->fp, next, ret;
  if (fp + 16 > MEMO_USER_LIMIT) return false;
  /* Below mmap_min_addr nothing can be mapped, so the kernel's read faults and its walk ends
   * there; we end without the fault. Most chains end so (the outermost frame's bp is 0), and
   * taking a fault costs more than the rest of the walk. */
  if (fp < memo_min_user_addr) return false;
  /* A misaligned frame (a corrupt chain) is read on its own, as the kernel would. */
  bool aligned = (fp & 7) == 0;
  if (aligned && !(fp >= w->base && fp - w->base + 16 <= w->len) && w->copies < MEMO_MAX_COPIES) {
    __u64 len = MEMO_PAGE - (fp & (MEMO_PAGE - 1));
    if (len >= 16 && len <= MEMO_PAGE) {
      w->copies++;
      w->len = 0;
      if (bpf_probe_read_user(w->words, len, (void *)fp)) return false;
      w->base = fp;
      w->len = len;
    }
  }
  if (aligned && fp >= w->base && fp - w->base + 16 <= w->len) {
    __u64 index = ((fp - w->base) / 8) & (MEMO_PAGE / 8 - 1);
    next = w->words[index];
    ret = w->words[index + 1];
  } else {
    __u64 frame[2];
    if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp)) return false;
    next = frame[0];
    ret = frame[1];
  }
  w->hash = memo_mix(w->hash, ret);
  w->fp = next;
  return true;
}

/* The hash of the chain the kernel's user walk would produce from these registers; 0 when it
 * could not be computed. */
static __always_inline __u64 chain_hash(__u64 ip, __u64 bp, enum scratch_slot slot) {
  __u32 index = slot;
  struct chain_walk *w = bpf_map_lookup_elem(&memo_windows, &index);
  if (!w) return 0;
  w->base = 0;
  w->len = 0;
  w->fp = bp;
  w->hash = memo_mix(MEMO_HASH_SEED, ip);
  w->copies = 0;
  /* The kernel stores ip plus at most WAITPROF_MAX_STACK_DEPTH - 1 return addresses. */
#pragma clang loop unroll(disable)
  for (int depth = 1; depth < WAITPROF_MAX_STACK_DEPTH; depth++)
    if (!chain_step(w)) break;
  return w->hash;
}

/* The same hash over frames the kernel's walk returned (leaf first, ip at [0]). */
static __always_inline __u64 frames_hash(const struct waitprof_stack *s) {
  __u64 h = MEMO_HASH_SEED;
  for (int i = 0; i < WAITPROF_MAX_STACK_DEPTH; i++) {
    if (i >= s->nr) break;
    h = memo_mix(h, s->ips[i]);
  }
  return h;
}

/* A hash as a key: 0 and 1 are reserved (WAITPROF_STACK_NONE, _BEFORE_START). */
static __always_inline __u64 stack_key(__u64 hash) {
  return hash <= WAITPROF_STACK_BEFORE_START ? hash + 2 : hash;
}

#endif
