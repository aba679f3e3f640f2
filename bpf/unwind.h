/* Unwind tables: how to find each frame's caller in code built without frame pointers, from
 * the modules' .eh_frame / .debug_frame. Built by the daemon (daemon/unwind/), walked by
 * bpf/unwind.bpf.h. Shared byte for byte by both sides: fixed-width fields only.
 *
 * Layout, all in BPF arrays that user space fills through mmap:
 *   unwind_pids    tgid → address space (a hash map: the only lookup per walk that is a call)
 *   unwind_spaces  per address space, its executable mappings sorted by start
 *   unwind_modules per ELF file, where its rows and page index are
 *   unwind_pages   per 4 KiB page of a module's code, the rows to search
 *   unwind_rows    (pc, rule) sorted by pc: the rule holds from pc to the next row's pc
 *   unwind_rules   distinct rules, shared by every module (a few hundred in practice)
 * A pc is found with one binary search over at most a page's rows (a handful), every load an
 * inlined array access: no helper call per frame. x86-64 only; elsewhere the kernel's
 * frame-pointer walk is used. */
#ifndef WAITPROF_UNWIND_H
#define WAITPROF_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WAITPROF_UNWIND_PAGE_BITS 12
/* Executable mappings per address space; a process with more has the rest unwound by frame
 * pointers (counted). */
#define WAITPROF_UNWIND_MAX_MAPPINGS 128
#define WAITPROF_UNWIND_MAX_PIDS 65536
/* Defaults; user space sizes every table before load (record's --unwind-rows). */
#define WAITPROF_UNWIND_SPACES 512
#define WAITPROF_UNWIND_MODULES 4096
#define WAITPROF_UNWIND_RULES 16384
#define WAITPROF_UNWIND_ROWS (1u << 20)
#define WAITPROF_UNWIND_PAGES (1u << 18)
/* A mapping without a table (no CFI in the file, a JIT, the table was full): frame pointers. */
#define WAITPROF_UNWIND_NO_MODULE 0xffffffffu
/* Rule 0 is "no CFI covers this pc" (between FDEs): that frame is unwound by frame pointers. */
#define WAITPROF_UNWIND_RULE_NONE 0u

/* How the canonical frame address (the caller's sp) is found. */
enum waitprof_cfa_kind {
  WAITPROF_CFA_NONE = 0,     /* no CFI: frame pointers (cfa = bp + 16) */
  WAITPROF_CFA_SP = 1,       /* sp + cfa_offset */
  WAITPROF_CFA_BP = 2,       /* bp + cfa_offset */
  /* A PLT stub's standard expression: sp + cfa_offset, plus 8 once the stub's own push ran,
   * i.e. when (ip & 15) >= plt_threshold. */
  WAITPROF_CFA_PLT = 3,
  WAITPROF_CFA_DEREF_SP = 4, /* *(sp + cfa_offset): a signal frame's saved sp */
  WAITPROF_CFA_END = 5,      /* the return address is undefined: the outermost frame */
};

/* Where the caller's ip (return address) and bp are. */
enum waitprof_reg_kind {
  WAITPROF_REG_SAME = 0,      /* unchanged (bp only) */
  WAITPROF_REG_AT_CFA = 1,    /* saved at cfa + offset */
  WAITPROF_REG_AT_SP = 2,     /* saved at sp + offset (a signal frame's ucontext) */
  WAITPROF_REG_UNDEFINED = 3, /* not recoverable */
};

struct waitprof_unwind_rule {
  __s32 cfa_offset;
  __s32 ra_offset;
  __s32 bp_offset;
  __u8 cfa_kind; /* enum waitprof_cfa_kind */
  __u8 ra_kind;  /* enum waitprof_reg_kind */
  __u8 bp_kind;
  /* WAITPROF_CFA_PLT's threshold; for other kinds, nonzero marks a signal frame, whose
   * caller's ip is the interrupted instruction itself, not a return address. */
  __u8 aux;
};

struct waitprof_unwind_row {
  __u32 pc;   /* module-relative: ELF vaddr - the module's vaddr_base */
  __u32 rule; /* index into unwind_rules */
};

/* The rows to search for a pc in one page of a module: the one in force at the page's first
 * byte and the one in force at the next page's. (A pair, not one index per page: a BPF array
 * stores each value in 8 bytes anyway, and the walk then needs one lookup instead of two.) */
struct waitprof_unwind_page {
  __u32 first;
  __u32 last;
};

struct waitprof_unwind_module {
  __u32 row_first;  /* rows[row_first .. row_first + row_count) */
  __u32 row_count;
  __u32 page_first; /* pages[page_first .. page_first + page_count) */
  __u32 page_count;
};

struct waitprof_unwind_mapping {
  __u64 start; /* runtime addresses [start, end) of an executable mapping */
  __u64 end;
  __u64 bias;  /* runtime address - bias = module-relative pc */
  __u32 module; /* index into unwind_modules, or WAITPROF_UNWIND_NO_MODULE */
  __u32 pad;
};

struct waitprof_unwind_space {
  __u32 count; /* mappings in use, sorted by start */
  /* Bumped by user space each time it writes this slot: the walk's per-CPU rule cache keys
   * on it, so nothing cached for a space's previous content is used for the next. */
  __u32 generation;
  struct waitprof_unwind_mapping mappings[WAITPROF_UNWIND_MAX_MAPPINGS];
};

/* A thread's last user stack for one kind of event, and what its walk read. The walk is a
 * function of the registers it starts from, the words of stack memory it reads and the
 * tables: the same registers and the same values at the same places (the tables unchanged
 * since, which the epoch says) give the same stack. So a thread waiting again where it
 * waited before (an event loop's epoll_wait, the same contended lock) costs one copy of the
 * stack span and a hash of the words read, instead of a walk. Exact, unlike a heuristic:
 * any change in any word the walk read, however far up, misses. */
#define WAITPROF_MEMO_READS 64
/* Bytes of stack above sp a memoized walk may have read: they are copied back in one stretch,
 * since a copy costs mostly by the call (splitting it around a frame's big locals measured
 * slower). */
#define WAITPROF_MEMO_SPAN 16384
struct waitprof_stack_memo {
  __u64 ip, sp, bp;
  __u64 epoch;      /* unwind_epoch's value when walked */
  __u64 key;        /* the stack (a stacks map key); 0: no memo */
  __u64 reads_hash; /* of the words read, in order */
  __u16 span;       /* bytes from sp to past the highest word read */
  __u8 reads;       /* words read */
  __u8 pad[5];
  __u16 offset[WAITPROF_MEMO_READS]; /* each word's offset from sp, in words, in order */
  __u64 pad2;
};

#ifdef __cplusplus
static_assert(sizeof(struct waitprof_stack_memo) == 192, "stack memo: three cache lines");
/* A BPF array keeps each value in a multiple of 8 bytes; user space indexes the arrays it
 * maps with these structs, so their sizes must already be such multiples. */
static_assert(sizeof(struct waitprof_unwind_rule) % 8 == 0, "unwind rule: 8-byte multiple");
static_assert(sizeof(struct waitprof_unwind_row) % 8 == 0, "unwind row: 8-byte multiple");
static_assert(sizeof(struct waitprof_unwind_page) % 8 == 0, "unwind page: 8-byte multiple");
static_assert(sizeof(struct waitprof_unwind_module) % 8 == 0, "unwind module: 8-byte multiple");
static_assert(sizeof(struct waitprof_unwind_space) % 8 == 0, "unwind space: 8-byte multiple");
#endif

#endif
