#include "record/thread_slot_map.h"

#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

namespace waitprof {

static_assert(sizeof(waitprof_thread_slot) % 64 == 0,
              "a thread slot fills whole cache lines, so slots on other CPUs share none");

Result<ThreadSlotMap> ThreadSlotMap::map(const bpf_map* slots) {
  const size_t count = bpf_map__max_entries(slots);
  if (bpf_map__value_size(slots) != sizeof(waitprof_thread_slot)) {
    return Error{"the BPF thread_slots map's values are " +
                 std::to_string(bpf_map__value_size(slots)) + " bytes, not " +
                 std::to_string(sizeof(waitprof_thread_slot)) + ": rebuild profile.bpf.o"};
  }
  // An array map's values are laid out back to back, each rounded up to 8 bytes, which
  // struct waitprof_thread_slot (17 cache lines) already is; the mapping is whole pages.
  const size_t bytes = count * sizeof(waitprof_thread_slot);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t length = (bytes + page - 1) / page * page;
  void* p = mmap(nullptr, length, PROT_READ, MAP_SHARED, bpf_map__fd(slots), 0);
  if (p == MAP_FAILED) return errno_error("mapping the BPF thread_slots map");
  return ThreadSlotMap(static_cast<const waitprof_thread_slot*>(p), length, count);
}

ThreadSlotMap::ThreadSlotMap(ThreadSlotMap&& other) noexcept
    : slots_(other.slots_), length_(other.length_), count_(other.count_) {
  other.slots_ = nullptr;
}

ThreadSlotMap::~ThreadSlotMap() {
  if (slots_) munmap(const_cast<waitprof_thread_slot*>(slots_), length_);
}

}  // namespace waitprof
