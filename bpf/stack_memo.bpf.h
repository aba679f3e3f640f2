/* User stacks remembered per thread and per kind of wait, so a thread that blocks again where
 * it blocked last time reuses the stack id instead of walking its stack again.
 *
 * Why: walking a user stack is the bulk of what waitprof costs. Each frame is two guarded
 * user-memory reads, about 700 ns for a 10-frame stack on our test host, while everything
 * else a switch-out does costs about 200 ns. And most waits repeat: an event loop calls
 * epoll_wait from the same frame thousands of times a second (91% of the target server's
 * switch-outs).
 *
 * When a wait counts as the same: the kernel's frame-pointer walk is [ip, return address at
 * bp+8, return address at [bp]+8, …]. We compare the saved user ip, sp and bp and the first
 * two frames of that chain (two 16-byte reads) with the thread's previous walk at this site.
 * Equal values mean the same syscall site, at the same stack depth, reached through the
 * same two callers. What we cannot see is a difference three or more frames up, with every
 * frame below it the same size: those waits would get the previous stack. `--exact-stacks`
 * turns the memo off, and the hidden `--verify-stack-memo` walks on every hit and counts
 * each disagreement (WAITPROF_STACK_MEMO_MISMATCHES), which the integration tests require
 * to be zero on the target server. */
#ifndef WAITPROF_STACK_MEMO_BPF_H
#define WAITPROF_STACK_MEMO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Where a stack is taken; each site remembers its own last stack. */
enum stack_memo_site {
  MEMO_OFFCPU = 0,
  MEMO_LOCK = 1,
  MEMO_SEND = 2,
  MEMO_SITES = 3,
};

struct stack_memo {
  __u64 ip, sp, bp;
  __u64 frames[4]; /* [bp], [bp+8], [[bp]], [[bp]+8] */
  __s32 id;        /* WAITPROF_NO_STACK until the first walk */
  __u32 pad;
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

#endif
