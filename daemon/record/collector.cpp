#include "record/collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <unordered_map>

#include "profile.h"
#include "profile.skel.h"
#include "record/profile_programs.h"

namespace waitprof {

namespace {

// Stacks by the keys the profile maps hold (content hashes into the stacks map), each read
// once.
class StackReader {
 public:
  explicit StackReader(int fd) : fd_(fd) {}

  // Leaf first, as bpf_get_stack stores them; empty for the reserved keys (no stack, waiting
  // since before the recording).
  const std::vector<uint64_t>& get(uint64_t key) {
    static const std::vector<uint64_t> kEmpty;
    if (key <= WAITPROF_STACK_BEFORE_START) return kEmpty;
    auto [it, inserted] = cache_.try_emplace(key);
    if (!inserted) return it->second;
    waitprof_stack stack{};
    if (bpf_map_lookup_elem(fd_, &key, &stack) == 0) {
      const size_t n = std::min<size_t>(stack.nr, WAITPROF_MAX_STACK_DEPTH);
      it->second.assign(stack.ips, stack.ips + n);
    }
    return it->second;
  }

 private:
  int fd_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> cache_;
};

// How long a wait still open at stop_ns has lasted, or 0 when it is not to be charged: the
// entry is closed (BPF keeps a thread's entry and marks it closed with start_ns 0), began
// after the stop, or is shorter than the --min-block-us threshold.
uint64_t open_wait_ns(uint64_t start_ns, uint64_t stop_ns, uint64_t min_block_ns) {
  if (start_ns == 0 || stop_ns <= start_ns) return 0;
  const uint64_t waited = stop_ns - start_ns;
  return waited >= min_block_ns ? waited : 0;
}

// Calls fn(key, value) for every entry of a hash map.
template <typename Key, typename Value, typename Fn>
Status for_each_entry(int fd, const char* map_name, Fn&& fn) {
  Key key{};
  Key next{};
  Value value{};
  const Key* prev = nullptr;
  for (;;) {
    if (bpf_map_get_next_key(fd, prev, &next) != 0) {
      if (errno == ENOENT) return {};
      return errno_error(std::string("reading BPF map ") + map_name);
    }
    // An entry deleted between get_next_key and lookup is simply gone: skip it.
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) fn(next, value);
    key = next;
    prev = &key;
  }
}

template <typename Key>
RawSample base_sample(ProfileKind kind, const Key& key, StackReader& stacks) {
  RawSample s;
  s.kind = kind;
  s.tgid = key.tgid;
  s.tid = key.tid;
  s.user_stack = stacks.get(key.user_stack);
  s.kernel_stack = stacks.get(key.kernel_stack);
  s.began_before_recording = key.user_stack == WAITPROF_STACK_BEFORE_START;
  s.user_stack_missing = key.user_stack == WAITPROF_STACK_NONE;
  return s;
}

RawSample offcpu_sample(const waitprof_offcpu_key& key, StackReader& stacks) {
  RawSample s = base_sample(ProfileKind::kOffcpu, key, stacks);
  s.syscall = key.syscall;
  s.offcpu_state = key.state;
  return s;
}

RawSample lock_sample(const waitprof_lock_key& key, StackReader& stacks) {
  RawSample s = base_sample(ProfileKind::kLock, key, stacks);
  s.futex_uaddr = key.uaddr;
  s.futex_op = key.op;
  return s;
}

}  // namespace

Result<std::vector<RawSample>> collect_samples(const ProfilePrograms& programs, uint64_t stop_ns,
                                               uint64_t min_block_ns) {
  const profile_bpf& skel = programs.skeleton();
  StackReader stacks(bpf_map__fd(skel.maps.stacks));
  std::vector<RawSample> out;

  Status s = for_each_entry<waitprof_cpu_key, __u64>(
      bpf_map__fd(skel.maps.cpu_samples), "cpu_samples",
      [&](const waitprof_cpu_key& key, __u64 n) {
        RawSample sample = base_sample(ProfileKind::kCpu, key, stacks);
        sample.count = n;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  s = for_each_entry<waitprof_offcpu_key, waitprof_count_total>(
      bpf_map__fd(skel.maps.offcpu_waits), "offcpu_waits",
      [&](const waitprof_offcpu_key& key, const waitprof_count_total& v) {
        RawSample sample = offcpu_sample(key, stacks);
        sample.count = v.count;
        sample.total = v.total;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  // Threads still off CPU when recording stopped: their wait so far is real waiting inside
  // the window; dropping it would undercount exactly the longest waits.
  s = for_each_entry<__u32, waitprof_offcpu_start>(
      bpf_map__fd(skel.maps.offcpu_starts), "offcpu_starts",
      [&](__u32, const waitprof_offcpu_start& start) {
        const uint64_t waited = open_wait_ns(start.start_ns, stop_ns, min_block_ns);
        if (waited == 0) return;
        RawSample sample = offcpu_sample(start.key, stacks);
        sample.count = 1;
        sample.total = waited;
        sample.in_progress = true;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  s = for_each_entry<waitprof_lock_key, waitprof_count_total>(
      bpf_map__fd(skel.maps.lock_waits), "lock_waits",
      [&](const waitprof_lock_key& key, const waitprof_count_total& v) {
        RawSample sample = lock_sample(key, stacks);
        sample.count = v.count;
        sample.total = v.total;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  s = for_each_entry<__u32, waitprof_lock_start>(
      bpf_map__fd(skel.maps.lock_starts), "lock_starts",
      [&](__u32, const waitprof_lock_start& start) {
        const uint64_t waited = open_wait_ns(start.start_ns, stop_ns, min_block_ns);
        if (waited == 0) return;
        RawSample sample = lock_sample(start.key, stacks);
        sample.count = 1;
        sample.total = waited;
        sample.in_progress = true;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  s = for_each_entry<waitprof_send_key, waitprof_count_total>(
      bpf_map__fd(skel.maps.sends), "sends",
      [&](const waitprof_send_key& key, const waitprof_count_total& v) {
        RawSample sample = base_sample(ProfileKind::kSend, key, stacks);
        sample.count = v.count;
        sample.total = v.total;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  std::sort(out.begin(), out.end(),
            [](const RawSample& a, const RawSample& b) { return a.sort_key() < b.sort_key(); });
  return out;
}

}  // namespace waitprof
