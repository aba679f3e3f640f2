// Names for stack addresses: user stacks through each process's remembered mappings and
// libdwfl (symbols, DWARF lines, inline frames, separate debug files), kernel stacks through
// /proc/kallsyms. The only part of waitprof that knows about ELF and DWARF.
//
// Not thread-safe: use one Symbolizer from one thread (libdwfl sessions are not safe to
// share either). Frames hold shared_ptrs to Modules, so they outlive the Symbolizer.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "symbolize/frame.h"
#include "symbolize/maps_snapshot.h"
#include "util/result.h"

namespace waitprof {

class AddressSpace;

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Snapshot what resolving pid's addresses needs, now (its /proc/PID/maps file-backed
  // mappings), so its stacks still resolve after it exits. Called when a process is first
  // seen and again after it execs. Returns an error when /proc/PID/maps can't be read (or is
  // empty: a zombie or kernel thread); pid's previous snapshot, if any, is kept then.
  Status remember(pid_t pid);
  // The same, from a snapshot the caller already took.
  void remember(pid_t pid, const MapsSnapshot& maps);
  // A forked child whose maps could not be read (it exited at once): use the parent's.
  // Replaces any snapshot of child; remembers parent first if it has none.
  void inherit(pid_t child, pid_t parent);
  // addrs[0] is the sampled instruction pointer; addrs[1..] are return addresses, so look
  // those up at addr-1 (the call instruction) but report Frame::address = the original addr.
  // Functions that a tail call left no frame of are put back between callee and caller, as
  // gdb does (tail_calls.h): the result can be longer than addrs.
  // Uses pid's latest snapshot; with none, tries remember(pid) first (once: a pid whose maps
  // can't be read stays unresolved until remember/inherit succeeds). Never fails: an address
  // nothing covers gives a Frame with null module and empty lines. A lone data address
  // (a global lock's, at index 0) in a code file's image or .bss names its ELF symbol.
  // Files are opened by their maps path in this process's mount namespace, lazily, at the
  // first address in them; a file deleted since it was mapped (or replaced by rename, as
  // package upgrades do) gets its Module but no lines.
  std::vector<Frame> user_stack(pid_t pid, std::span<const uint64_t> addrs);
  // The ELF symbol of a data address in pid (a global lock's futex word), "name" or
  // "name+offset"; empty when no module's symbol covers it (heap, stack, anonymous memory).
  std::string data_symbol(pid_t pid, uint64_t addr);
  // Kernel addresses (from bpf_get_stackid without BPF_F_USER_STACK), named from
  // /proc/kallsyms (read once, lazily; includes module symbols "[ext4]"), Module path
  // "[kernel.kallsyms]". Same addr-1 rule. Null module when kallsyms is unreadable or
  // shows zero addresses (kptr_restrict).
  std::vector<Frame> kernel_stack(std::span<const uint64_t> addrs);

  // Drops pid's snapshot, and the address space (its libdwfl session, the files it opened)
  // when no other process shares it: for a daemon whose targets come and go.
  void forget(pid_t pid);

  // Distinct address spaces (each one libdwfl session) created so far. Processes whose
  // executable file mappings are identical (prefork workers) share one.
  size_t session_count() const;

 private:
  // pid's latest snapshot's session, made on first use; null when its maps can't be read.
  AddressSpace* space_of(pid_t pid);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace waitprof
