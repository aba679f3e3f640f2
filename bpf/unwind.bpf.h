/* The user-stack walk: from a thread's saved registers (ip, sp, bp), each frame's caller is
 * found by the rule its module's call-frame information gives for that pc (bpf/unwind.h),
 * and by frame pointers where there is none (no table for the module, a pc between FDEs, a
 * process whose mappings user space has not read yet). This is what gdb does with .eh_frame,
 * and what the kernel's own walk cannot: Debian's libc and libstdc++, and most packaged
 * servers, are built without frame pointers, so following bp from a leaf in libc skips the
 * function that called into it — the one a user needs.
 *
 * Cost: the stack is read a page at a time into a per-CPU window (one user-memory copy per
 * page instead of one per frame), and every table lookup is an inlined array access, so a
 * frame costs a few dozen instructions and no helper call. The walk's state lives in the
 * window's map value, not on the BPF stack: the verifier then knows nothing of its values,
 * every iteration looks alike and the loop verifies quickly, without bpf_loop's callback call
 * per frame. x86-64 only. */
#ifndef WAITPROF_UNWIND_BPF_H
#define WAITPROF_UNWIND_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"
#include "profile.h"
#include "stack_store.bpf.h"
#include "unwind.h"
#include "unwind_pids.bpf.h"

/* User space fills these through mmap (and may resize them before load). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_UNWIND_SPACES);
  __type(key, __u32);
  __type(value, struct waitprof_unwind_space);
} unwind_spaces SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_UNWIND_MODULES);
  __type(key, __u32);
  __type(value, struct waitprof_unwind_module);
} unwind_modules SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_UNWIND_PAGES);
  __type(key, __u32);
  __type(value, struct waitprof_unwind_page);
} unwind_pages SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_UNWIND_ROWS);
  __type(key, __u32);
  __type(value, struct waitprof_unwind_row);
} unwind_rows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, WAITPROF_UNWIND_RULES);
  __type(key, __u32);
  __type(value, struct waitprof_unwind_rule);
} unwind_rules SEC(".maps");

/* The window: four pages, a page kept in the quarter its address selects, so a walk copies
 * each page it reads once. A copy's cost is mostly fixed (a helper call, the fault-handling
 * setup, usercopy hardening: about 140 ns here, where a 4 KiB copy costs little more than a
 * 256-byte one), so copies are whole pages. */
#define UNWIND_PAGE 4096
#define UNWIND_WINDOW_PAGES 4
#define UNWIND_WINDOW_WORDS (UNWIND_WINDOW_PAGES * UNWIND_PAGE / 8)
/* Stack pages copied per walk at most: 64 KiB of stack, deeper than any wait stack seen
 * (MariaDB's deepest under sysbench use about 12 KiB). */
#define UNWIND_MAX_COPIES 16
#define UNWIND_NO_SPACE 0xffffffffu

/* x86-64's TASK_SIZE_MAX with 4-level page tables: user addresses lie below. */
#define UNWIND_USER_LIMIT 0x00007ffffffff000ull
/* vm.mmap_min_addr, set by user space before load (4096 is the least Linux allows): a frame
 * pointer below it ends the walk without the fault of reading it. */
const volatile __u64 unwind_min_user_addr = 4096;

/* Most walks pass the same few hundred pcs (an event loop, its handlers): the rule found
 * for a pc is kept per CPU, direct-mapped, so a repeated frame costs one compare instead of
 * a mapping search, a page lookup and a binary search over rows. The tag names the address
 * space and its generation: a pc means something else in another one. */
#define UNWIND_CACHE_BITS 9
struct unwind_cache_entry {
  __u64 pc;
  __u64 tag; /* space index << 32 | its generation; 0: empty */
  struct waitprof_unwind_rule rule; /* cfa_kind WAITPROF_CFA_NONE: no rule for pc */
};

struct unwind_walk {
  __u64 ip, sp, bp; /* the frame being unwound */
  __u64 hash;       /* over the frames so far, as frames_hash */
  __u32 space;      /* unwind_spaces index, UNWIND_NO_SPACE: frame pointers only */
  __u32 copies;
  __u32 bp_valid;   /* 0 once a frame left the caller's bp unrecoverable */
  __u32 exact_ip;   /* ip is the interrupted instruction (leaf, after a signal frame), not a
                     * return address whose call is the byte before */
  __u32 fp_frames;  /* frames unwound by frame pointers */
  __u32 frames;     /* in out.ips so far */
  __u32 end;        /* enum waitprof_stack_end, once the walk ends */
  __u32 lo, hi;     /* a binary search's bounds */
  __u32 pad;
  __u64 tag;        /* this walk's address space, as unwind_cache_entry.tag */
  __u32 recording;  /* the reads still fit a memo (see rec) */
  __u32 pad2;
  struct waitprof_unwind_mapping map; /* the last mapping found: most frames share it */
  __u64 page[UNWIND_WINDOW_PAGES]; /* user address of the page in each quarter; 0: empty */
  /* The window: in a walk, the page at page[i] is words[i * 512 ...]; in a replay, one
   * stretch from sp (WAITPROF_MEMO_SPAN is the window's size). */
  __u64 words[UNWIND_WINDOW_WORDS];
  struct waitprof_stack out; /* the frames, leaf first; nr as profile.h says */
  struct waitprof_stack_memo rec; /* what this walk read, for the thread's memo */
};

/* Per CPU and slot, beside the walk: a per-CPU value may not exceed 32 KiB. */
struct unwind_rule_cache {
  struct unwind_cache_entry entries[1 << UNWIND_CACHE_BITS];
};

/* Per CPU, one per context that can interrupt another: tracepoints in task context, the
 * cpu-clock sample in the timer interrupt (which can land halfway through a task-context
 * walk), and the sleepable task iterator (which can be preempted by both). */
enum unwind_slot {
  UNWIND_SLOT_TASK = 0,
  UNWIND_SLOT_IRQ = 1,
  UNWIND_SLOT_ITER = 2,
  UNWIND_SLOTS = 3,
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, UNWIND_SLOTS);
  __type(key, __u32);
  __type(value, struct unwind_walk);
} unwind_walks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, UNWIND_SLOTS);
  __type(key, __u32);
  __type(value, struct unwind_rule_cache);
} unwind_rule_caches SEC(".maps");

/* Copies one page of user stack into the window: from the current task, or (task set, in the
 * sleepable iterator only) from another one. `task` must be a constant at every inlined call
 * site, so a non-sleepable program never contains the sleepable helper. */
static __always_inline long unwind_copy(void *dst, __u64 addr, struct task_struct *task) {
  if (task) return bpf_copy_from_user_task(dst, UNWIND_PAGE, (void *)addr, task, 0);
  return bpf_probe_read_user(dst, UNWIND_PAGE, (void *)addr);
}

/* Notes a word the walk read, for the memo: its offset from the walk's first sp and its
 * value. A walk that reads more than the memo holds, or below sp or too far above, is not
 * memoized. */
static __always_inline void unwind_note_read(struct unwind_walk *w, __u64 addr, __u64 value) {
  if (!w->recording) return;
  __u64 off = addr - w->rec.sp;
  __u32 n = w->rec.reads;
  if (addr < w->rec.sp || off + 8 > WAITPROF_MEMO_SPAN || n >= WAITPROF_MEMO_READS) {
    w->recording = 0;
    return;
  }
  w->rec.offset[n] = (__u16)(off / 8);
  w->rec.reads = n + 1;
  w->rec.reads_hash = stack_hash_mix(w->rec.reads_hash, value);
  if (off + 8 > w->rec.span) w->rec.span = (__u16)(off + 8);
}

/* The user word at addr, through the window; false where it cannot be read. */
static __always_inline bool unwind_read(struct unwind_walk *w, __u64 addr, __u64 *out,
                                        struct task_struct *task) {
  if (addr < unwind_min_user_addr || addr > UNWIND_USER_LIMIT - 8) return false;
  if (addr & 7) { /* never in a sane frame; read on its own */
    w->recording = 0;
    if (task) return bpf_copy_from_user_task(out, 8, (void *)addr, task, 0) == 0;
    return bpf_probe_read_user(out, 8, (void *)addr) == 0;
  }
  __u64 page = addr & ~(__u64)(UNWIND_PAGE - 1);
  __u32 quarter = (addr / UNWIND_PAGE) & (UNWIND_WINDOW_PAGES - 1);
  if (w->page[quarter] != page) {
    if (w->copies >= UNWIND_MAX_COPIES) return false;
    w->copies++;
    w->page[quarter] = 0;
    if (unwind_copy(&w->words[quarter * (UNWIND_PAGE / 8)], page, task)) return false;
    w->page[quarter] = page;
  }
  *out = w->words[(quarter * (UNWIND_PAGE / 8) + (addr & (UNWIND_PAGE - 1)) / 8) &
                  (UNWIND_WINDOW_WORDS - 1)];
  unwind_note_read(w, addr, *out);
  return true;
}

/* A value of the walk's state as the verifier sees it: loaded from the map value, so unknown.
 * The compiler would keep it in a register, where the verifier tracks it exactly and counts
 * every path through a binary search as a state of its own (a million instructions). */
static __always_inline __u32 unwind_opaque(__u32 *field) {
  return *(volatile __u32 *)field;
}

/* Whether pc lies in a mapping of the walk's address space; w->map is then that mapping. */
static __always_inline bool unwind_find_mapping(struct unwind_walk *w, __u64 pc) {
  if (pc >= w->map.start && pc < w->map.end) return true;
  if (w->space == UNWIND_NO_SPACE) return false;
  __u32 index = w->space;
  struct waitprof_unwind_space *s = bpf_map_lookup_elem(&unwind_spaces, &index);
  if (!s) return false;
  /* The last mapping that starts at or below pc: a binary search over at most 128. Its
   * bounds live in the map value (see unwind_walk) so the verifier sees one state per step,
   * not one per path through the search. */
  w->lo = 0;
  w->hi = s->count < WAITPROF_UNWIND_MAX_MAPPINGS ? s->count : WAITPROF_UNWIND_MAX_MAPPINGS;
  for (int i = 0; i < 8; i++) {
    __u32 lo = unwind_opaque(&w->lo), hi = unwind_opaque(&w->hi);
    if (lo >= hi) break;
    __u32 mid = (lo + hi) / 2;
    if (s->mappings[mid & (WAITPROF_UNWIND_MAX_MAPPINGS - 1)].start <= pc)
      w->lo = mid + 1;
    else
      w->hi = mid;
  }
  __u32 found = unwind_opaque(&w->lo);
  if (found == 0) return false;
  struct waitprof_unwind_mapping *m =
      &s->mappings[(found - 1) & (WAITPROF_UNWIND_MAX_MAPPINGS - 1)];
  if (pc >= m->end) return false;
  w->map = *m;
  return true;
}

/* The rule for pc from its module's table; NULL where there is none. */
static __always_inline struct waitprof_unwind_rule *unwind_lookup_rule(struct unwind_walk *w,
                                                                       __u64 pc) {
  if (!unwind_find_mapping(w, pc)) return 0;
  __u32 module_index = w->map.module;
  if (module_index == WAITPROF_UNWIND_NO_MODULE) return 0;
  struct waitprof_unwind_module *m = bpf_map_lookup_elem(&unwind_modules, &module_index);
  if (!m) return 0;
  __u64 rel = pc - w->map.bias;
  __u64 page = rel >> WAITPROF_UNWIND_PAGE_BITS;
  if (page >= m->page_count) return 0;
  /* The row for pc is the last one at or below pc among the page's. */
  __u32 page_index = m->page_first + (__u32)page;
  struct waitprof_unwind_page *p = bpf_map_lookup_elem(&unwind_pages, &page_index);
  if (!p) return 0;
  w->lo = p->first;
  w->hi = p->last;
  for (int i = 0; i < 16; i++) {
    __u32 lo = unwind_opaque(&w->lo), hi = unwind_opaque(&w->hi);
    if (lo >= hi) break;
    __u32 mid = lo + (hi - lo + 1) / 2;
    struct waitprof_unwind_row *row = bpf_map_lookup_elem(&unwind_rows, &mid);
    if (!row) return 0;
    if (row->pc <= rel)
      w->lo = mid;
    else
      w->hi = mid - 1;
  }
  __u32 found = unwind_opaque(&w->lo);
  struct waitprof_unwind_row *row = bpf_map_lookup_elem(&unwind_rows, &found);
  if (!row || row->pc > rel) return 0;
  __u32 rule_index = row->rule;
  return bpf_map_lookup_elem(&unwind_rules, &rule_index);
}

/* The same through the cache; a rule of kind WAITPROF_CFA_NONE where there is none. */
static __always_inline struct waitprof_unwind_rule *unwind_find_rule(struct unwind_walk *w,
                                                                     struct unwind_rule_cache *cache,
                                                                     __u64 pc) {
  __u32 index = (__u32)((pc * 0x9e3779b97f4a7c15ull) >> (64 - UNWIND_CACHE_BITS));
  struct unwind_cache_entry *c = &cache->entries[index & ((1 << UNWIND_CACHE_BITS) - 1)];
  if (c->pc == pc && c->tag == w->tag) return &c->rule;
  struct waitprof_unwind_rule *rule = unwind_lookup_rule(w, pc);
  if (rule) {
    c->rule = *rule;
  } else {
    __builtin_memset(&c->rule, 0, sizeof(c->rule));
  }
  c->pc = pc;
  c->tag = w->tag;
  return &c->rule;
}

/* Ends the walk: why, for the summary (enum waitprof_stack_end). */
static __always_inline bool unwind_end(struct unwind_walk *w, __u32 why) {
  w->end = why;
  return false;
}

/* Records the frame at w->ip and moves w to its caller; false where the walk ends (the
 * outermost frame, or nothing more can be known), with w->end saying why. */
static __always_inline bool unwind_step(struct unwind_walk *w, struct unwind_rule_cache *cache,
                                        struct task_struct *task) {
  __u32 n = w->frames;
  if (n >= WAITPROF_MAX_STACK_DEPTH) return unwind_end(w, WAITPROF_STACK_END_DEPTH);
  __u64 ip = w->ip;
  w->out.ips[n & 127] = ip;
  w->frames = n + 1;
  w->hash = stack_hash_mix(w->hash, ip);

  /* A return address points after its call: the call itself, one byte before, says which
   * function (and which rule) the caller was in. */
  struct waitprof_unwind_rule *rule = unwind_find_rule(w, cache, w->exact_ip ? ip : ip - 1);
  __u64 sp = w->sp, bp = w->bp, cfa = 0, ra = 0;
  bool exact_next = false;
  if (rule->cfa_kind == WAITPROF_CFA_NONE) {
    /* Frame pointers: [bp] is the caller's bp, [bp + 8] the return address. bp 0 (or any
     * value no frame can have) ends the chain: glibc's _start zeroes it for that. */
    if (!w->bp_valid || bp < unwind_min_user_addr || bp > UNWIND_USER_LIMIT)
      return unwind_end(w, WAITPROF_STACK_END_FP_ZERO);
    if (!unwind_read(w, bp + 8, &ra, task) || !unwind_read(w, bp, &bp, task))
      return unwind_end(w, WAITPROF_STACK_END_UNREADABLE);
    cfa = w->bp + 16;
    w->fp_frames++;
  } else {
    __s32 off = rule->cfa_offset;
    switch (rule->cfa_kind) {
    case WAITPROF_CFA_SP:
      cfa = sp + off;
      break;
    case WAITPROF_CFA_BP:
      if (!w->bp_valid) return unwind_end(w, WAITPROF_STACK_END_LOST);
      cfa = bp + off;
      break;
    case WAITPROF_CFA_PLT:
      cfa = sp + off + ((ip & 15) >= rule->aux ? 8 : 0);
      break;
    case WAITPROF_CFA_DEREF_SP:
      if (!unwind_read(w, sp + off, &cfa, task))
        return unwind_end(w, WAITPROF_STACK_END_UNREADABLE);
      break;
    case WAITPROF_CFA_END: /* the thread's entry (clone3, _start) */
      return unwind_end(w, WAITPROF_STACK_END_ENTRY);
    default:
      return unwind_end(w, WAITPROF_STACK_END_LOST);
    }
    if (rule->ra_kind != WAITPROF_REG_AT_CFA && rule->ra_kind != WAITPROF_REG_AT_SP)
      return unwind_end(w, WAITPROF_STACK_END_LOST);
    __u64 ra_at = rule->ra_kind == WAITPROF_REG_AT_SP ? sp + rule->ra_offset
                                                      : cfa + rule->ra_offset;
    if (!unwind_read(w, ra_at, &ra, task)) return unwind_end(w, WAITPROF_STACK_END_UNREADABLE);
    if (rule->bp_kind == WAITPROF_REG_AT_CFA || rule->bp_kind == WAITPROF_REG_AT_SP) {
      __u64 bp_at = rule->bp_kind == WAITPROF_REG_AT_SP ? sp + rule->bp_offset
                                                        : cfa + rule->bp_offset;
      w->bp_valid = unwind_read(w, bp_at, &bp, task);
    } else if (rule->bp_kind == WAITPROF_REG_UNDEFINED) {
      w->bp_valid = 0;
    }
    exact_next = rule->cfa_kind != WAITPROF_CFA_PLT && rule->aux;
  }
  /* Some outermost frames end in a zero return address rather than CFI's mark. */
  if (ra == 0) return unwind_end(w, WAITPROF_STACK_END_FP_ZERO);
  if (ra < unwind_min_user_addr || ra > UNWIND_USER_LIMIT)
    return unwind_end(w, WAITPROF_STACK_END_LOST);
  /* Callers' frames lie above: a walk that does not move up has lost its way (or loops).
   * A signal frame's interrupted context may be anywhere (sigaltstack). */
  if (cfa <= sp && !exact_next) return unwind_end(w, WAITPROF_STACK_END_LOST);
  w->ip = ra;
  w->sp = cfa;
  w->bp = bp;
  w->exact_ip = exact_next;
  return true;
}

/* One frame per bpf_loop iteration: the verifier checks a callback once, where a loop of
 * 128 steps it would follow step by step (each step's binary searches make the states of
 * successive iterations differ), hundreds of thousands of instructions per program. The
 * kernel inlines bpf_loop into a plain loop with a direct call. Returning 1 ends it. */
struct unwind_loop {
  struct unwind_walk *w;
  struct unwind_rule_cache *cache;
  struct task_struct *task; /* whose memory to read: NULL for the current task's */
};

static long unwind_current_frame(__u64 index, void *ctx) {
  struct unwind_loop *loop = ctx;
  /* Two frames per call: each call and return costs tens of ns on hosts with return-stack
   * mitigations. */
  return unwind_step(loop->w, loop->cache, 0) && unwind_step(loop->w, loop->cache, 0) ? 0 : 1;
}

/* The same, reading another task's memory: the sleepable iterator only. */
static long unwind_task_frame(__u64 index, void *ctx) {
  struct unwind_loop *loop = ctx;
  return unwind_step(loop->w, loop->cache, loop->task) &&
                 unwind_step(loop->w, loop->cache, loop->task)
             ? 0
             : 1;
}

/* Walks the user stack of process tgid from its registers into w->out (w->hash is the
 * frames' hash). `task` as for unwind_copy. Returns w, or NULL without a scratch slot. */
static __always_inline struct unwind_walk *unwind_user(__u32 tgid, __u64 ip, __u64 sp, __u64 bp,
                                                       enum unwind_slot slot,
                                                       struct task_struct *task) {
  __u32 index = slot;
  struct unwind_walk *w = bpf_map_lookup_elem(&unwind_walks, &index);
  if (!w) return 0;
  __u32 *space = bpf_map_lookup_elem(&unwind_pids, &tgid);
  w->space = space ? *space : UNWIND_NO_SPACE;
  w->tag = 0; /* matches only empty cache entries, whose rule is "none" */
  if (space) {
    __u32 index = *space;
    struct waitprof_unwind_space *s = bpf_map_lookup_elem(&unwind_spaces, &index);
    if (s) w->tag = ((__u64)index << 32 | s->generation) + 1;
  }
  w->ip = ip;
  w->sp = sp;
  w->bp = bp;
  w->bp_valid = 1;
  w->exact_ip = 1;
  w->hash = STACK_HASH_SEED;
  w->copies = 0;
  w->fp_frames = 0;
  w->map.start = 0;
  w->map.end = 0;
  for (int i = 0; i < UNWIND_WINDOW_PAGES; i++) w->page[i] = 0;
  /* A memo needs offsets in whole words from sp. */
  w->recording = (sp & 7) == 0;
  w->rec.ip = ip;
  w->rec.sp = sp;
  w->rec.bp = bp;
  w->rec.reads = 0;
  w->rec.span = 0;
  w->rec.reads_hash = STACK_HASH_SEED;
  w->frames = 0;
  w->end = WAITPROF_STACK_END_DEPTH;
  struct unwind_rule_cache *cache = bpf_map_lookup_elem(&unwind_rule_caches, &index);
  if (!cache) return 0;
  struct unwind_loop loop = {.w = w, .cache = cache, .task = task};
  if (task)
    bpf_loop(WAITPROF_MAX_STACK_DEPTH / 2 + 1, unwind_task_frame, &loop, 0);
  else
    bpf_loop(WAITPROF_MAX_STACK_DEPTH / 2 + 1, unwind_current_frame, &loop, 0);
  w->out.nr = w->frames | ((__u64)w->end << 32);
  return w;
}

/* Whether the walk just done may stand for its registers later: every word it read was
 * noted, it did not end at memory it could not read (which might be readable next time), and
 * its process's tables were there. */
static __always_inline bool unwind_memoizable(const struct unwind_walk *w) {
  /* Not one walked without its process's tables: once they are there, it would be wrong. */
  return w->recording && w->end != WAITPROF_STACK_END_UNREADABLE && w->space != UNWIND_NO_SPACE;
}

/* The memo of the thread's that has these registers, or NULL. */
static __always_inline struct waitprof_stack_memo *unwind_memo_for(
    struct waitprof_stack_memo *memos, __u64 ip, __u64 sp, __u64 bp, __u64 epoch) {
#pragma unroll
  for (int i = 0; i < WAITPROF_THREAD_MEMOS; i++) {
    struct waitprof_stack_memo *m = &memos[i];
    if (m->key && m->epoch == epoch && m->ip == ip && m->sp == sp && m->bp == bp) return m;
  }
  return 0;
}

/* Whether every word the memo's walk read still holds the same value: one copy of the
 * stretch of stack the walk read, then a hash over the words at the noted offsets. */
static __always_inline bool unwind_replay(struct unwind_walk *w,
                                          const struct waitprof_stack_memo *memo) {
  __u32 span = memo->span;
  __u32 reads = memo->reads;
  if (span == 0 || span > WAITPROF_MEMO_SPAN || reads > WAITPROF_MEMO_READS) return false;
  for (int i = 0; i < UNWIND_WINDOW_PAGES; i++) w->page[i] = 0; /* overwritten below */
  if (bpf_probe_read_user(w->words, span, (void *)memo->sp)) return false;
  __u64 h = STACK_HASH_SEED;
  for (int i = 0; i < WAITPROF_MEMO_READS; i++) {
    if (i >= reads) break;
    h = stack_hash_mix(h, w->words[memo->offset[i] & (UNWIND_WINDOW_WORDS - 1)]);
  }
  return h == memo->reads_hash;
}

#endif
