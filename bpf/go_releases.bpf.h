/* Go programs' mutex profile: the goroutine that unlocks a contended sync.Mutex or RWMutex.
 * Included by profile.bpf.c after its helpers (is_target, walk_stack, walked_stack_key).
 *
 * Why this function: sync.runtime_Semrelease is called only when an unlock found a waiter to
 * wake (sync.(*Mutex).unlockSlow, after its CAS), so its hit rate is the contention rate, not
 * the lock rate: sync.Mutex.Unlock itself, or unlockSlow (entered whenever a waiter is queued,
 * woken or not), trap on far more calls, at about 10 µs a trap on a KVM guest. Go's own mutex
 * profile charges at this very call (semrelease1's mutexevent). The goroutine side of the
 * wait (its park and duration) comes from sampling the goroutines from user space.
 *
 * Why an entry probe and never a uretprobe: Go moves goroutine stacks when they grow, and a
 * uretprobe's replaced return address on a moved stack crashes the program.
 *
 * Where in it: at the JBE of its stack-bound check (go_probe_site.h), not its first
 * instruction: the kernel emulates a jump, while any other probed instruction is single-stepped
 * out of line, a second trap (11.2 µs a hit at the entry here, 1.5 µs at the jump).
 *
 * Register ABI (ABIInternal, Go 1.17+ on amd64): the first integer argument, the semaphore's
 * address, is in RAX. Before the frame is pushed, the kernel's frame-pointer walk
 * goes from this pc straight to the caller of the caller (rbp is still unlockSlow's): the
 * stack reads sync.runtime_Semrelease ← sync.(*Mutex).Unlock (inlined in the user's
 * function) ← …, which is Go's own mutex stack with runtime frames trimmed. */
#ifndef WAITPROF_GO_RELEASES_BPF_H
#define WAITPROF_GO_RELEASES_BPF_H

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WAITPROF_MAX_KEYS);
  __type(key, struct waitprof_go_release_key);
  __type(value, struct waitprof_count_total);
} go_releases SEC(".maps");

SEC("uprobe")
int go_semrelease(struct pt_regs* ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!is_target(tgid)) return 0;
  bump(WAITPROF_SEEN_GO_RELEASES);
  struct waitprof_go_release_key key = {
      .tgid = tgid,
      .user_stack = walked_stack_key(walk_stack(ctx, BPF_F_USER_STACK, SCRATCH_UPROBE)),
      .sema = ctx->ax,
  };
  struct waitprof_count_total zero = {};
  struct waitprof_count_total* v = lookup_or_init(&go_releases, &key, &zero);
  if (!v) {
    bump(WAITPROF_DROP_GO_RELEASE_KEYS_FULL);
    return 0;
  }
  __sync_fetch_and_add(&v->count, 1);
  return 0;
}

#endif
