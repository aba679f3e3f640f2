/* User stacks remembered per thread and per kind of wait, so a thread that blocks again with
 * the same user stack reuses the stack id instead of having the kernel walk and hash it again.
 *
 * Why: bpf_get_stackid's user walk is the bulk of what waitprof costs — two guarded
 * user-memory reads per frame and, at the end of nearly every chain, a page fault on the
 * outermost frame's zero bp: about 700 ns for the target server's stacks, where the rest of
 * a switch-out costs about 200 ns — and most waits repeat: an event loop calls
 * epoll_wait from the same frame thousands of times a second (91% of the target server's
 * switch-outs).
 *
 * Exact, not a guess: the kernel's frame-pointer walk yields [ip, return address at bp+8,
 * return address at [bp]+8, …] until a read faults or 127 entries. We follow the same chain
 * and hash every entry, reading the stack a page at a time rather than a frame at a time (see
 * chain_step). Equal hashes and lengths mean the same stack (up to a 64-bit hash collision),
 * so the remembered id is the one bpf_get_stackid would return. `--exact-stacks` turns the
 * memo off; the hidden `--verify-stack-memo` walks on every hit and counts disagreements,
 * which the integration tests require to be zero. */
#ifndef WAITPROF_STACK_MEMO_BPF_H
#define WAITPROF_STACK_MEMO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "profile.h"

/* Where a stack is taken; each site remembers its own last stack. */
enum stack_memo_site {
  MEMO_OFFCPU = 0,
  MEMO_LOCK = 1,
  MEMO_SEND = 2,
  MEMO_SITES = 3,
};

struct stack_memo {
  __u64 hash;   /* of the whole chain; 0: nothing remembered */
  __u32 depth;  /* entries in the chain */
  __s32 id;     /* the stack map id the kernel's walk gave */
};

struct stack_memos {
  struct stack_memo site[MEMO_SITES];
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct stack_memos);
} stack_memos SEC(".maps");

/* The chain is followed through copies of whole stretches of stack, one user read each:
 * from a frame to the end of its page (a copy never crosses into a page the kernel's walk
 * would not touch, so it faults exactly when the kernel's read of that frame would). A
 * thread's frames sit on a few pages, so a 10-frame chain costs 2–3 copies instead of 20
 * reads. Past MEMO_MAX_COPIES pages, frames are read one by one. */
#define MEMO_PAGE 4096
#define MEMO_MAX_COPIES 4

/* One page, with 16 spare bytes so the verifier can see that a masked offset plus one frame
 * (saved bp, return address) stays inside. */
struct memo_window {
  __u8 bytes[MEMO_PAGE + 16];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct memo_window);
} memo_windows SEC(".maps");

/* x86-64's TASK_SIZE_MAX with 4-level page tables, the kernel's valid_user_frame bound:
 * user stacks live far below it. */
#define MEMO_USER_LIMIT 0x00007ffffffff000ull

/* vm.mmap_min_addr, set by user space before load (4096 is the least Linux allows). */
const volatile __u64 memo_min_user_addr = 4096;

struct chain_walk {
  struct memo_window *window;
  __u64 base; /* user address of window->bytes[0] */
  __u64 len;  /* valid bytes in the window; 0: none */
  __u64 fp;
  __u64 hash;
  __u32 depth;
  __u32 copies;
};

static __always_inline __u64 memo_mix(__u64 h, __u64 v) {
  /* FNV-1a over the 8 bytes at once, then a xorshift: cheap and well spread. */
  h ^= v;
  h *= 0x100000001b3ull;
  h ^= h >> 29;
  return h;
}

/* One frame of the chain, as a bpf_loop callback: 0 to go on, 1 where the kernel's walk
 * ends. bpf_loop, not a bounded loop: the verifier checks the callback once, where it would
 * explore every iteration's window states of an unrolled loop and give up. */
static long chain_step(__u64 index, struct chain_walk *w) {
  __u64 fp = w->fp, next, ret;
  if (fp + 16 > MEMO_USER_LIMIT) return 1;
  /* Below mmap_min_addr nothing can be mapped, so the kernel's read faults and its walk ends
   * there; we end without the fault. Most chains end so (the outermost frame's bp is 0), and
   * taking a fault costs more than the rest of the walk. */
  if (fp < memo_min_user_addr) return 1;
  if (!(fp >= w->base && fp - w->base + 16 <= w->len) && w->copies < MEMO_MAX_COPIES) {
    __u64 len = MEMO_PAGE - (fp & (MEMO_PAGE - 1));
    if (len >= 16 && len <= MEMO_PAGE) {
      w->copies++;
      w->len = 0;
      if (bpf_probe_read_user(w->window->bytes, len, (void *)fp)) return 1;
      w->base = fp;
      w->len = len;
    }
  }
  if (fp >= w->base && fp - w->base + 16 <= w->len) {
    __u64 off = (fp - w->base) & (MEMO_PAGE - 1);
    next = *(__u64 *)&w->window->bytes[off];
    ret = *(__u64 *)&w->window->bytes[off + 8];
  } else {
    __u64 frame[2];
    if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp)) return 1;
    next = frame[0];
    ret = frame[1];
  }
  w->hash = memo_mix(w->hash, ret);
  w->depth++;
  w->fp = next;
  return 0;
}

/* Hash and length of the chain the kernel's user walk would produce from these registers;
 * hash 0 when it could not be computed. */
static __always_inline void chain_hash(__u64 ip, __u64 bp, __u64 *hash, __u32 *depth) {
  __u32 zero = 0;
  struct chain_walk w = {.fp = bp, .hash = memo_mix(0xcbf29ce484222325ull, ip), .depth = 1};
  w.window = bpf_map_lookup_elem(&memo_windows, &zero);
  *hash = 0;
  if (!w.window) return;
  /* The kernel stores ip plus at most WAITPROF_MAX_STACK_DEPTH - 1 return addresses. */
  bpf_loop(WAITPROF_MAX_STACK_DEPTH - 1, chain_step, &w, 0);
  *hash = w.hash ? w.hash : 1;
  *depth = w.depth;
}

#endif
