// The BPF thread_slots array (bpf/thread_slots.bpf.h) as user space reads it after the stop:
// through one read-only mapping of the map's memory, where a lookup per slot would cost a
// syscall each for tens of thousands of mostly empty slots.
#pragma once

#include <cstddef>

#include "profile.h"  // bpf/: struct waitprof_thread_slot
#include "util/result.h"

struct bpf_map;

namespace waitprof {

class ThreadSlotMap {
 public:
  static Result<ThreadSlotMap> map(const bpf_map* slots);
  ThreadSlotMap(ThreadSlotMap&& other) noexcept;
  ThreadSlotMap& operator=(ThreadSlotMap&&) = delete;
  ~ThreadSlotMap();

  const waitprof_thread_slot* begin() const { return slots_; }
  const waitprof_thread_slot* end() const { return slots_ + count_; }

 private:
  ThreadSlotMap(const waitprof_thread_slot* slots, size_t length, size_t count)
      : slots_(slots), length_(length), count_(count) {}
  const waitprof_thread_slot* slots_;
  size_t length_;  // bytes mapped
  size_t count_;
};

}  // namespace waitprof
