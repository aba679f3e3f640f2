#include "record/collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "profile.h"
#include "profile.skel.h"
#include "record/profile_programs.h"
#include "record/recording_session.h"
#include "record/thread_slot_map.h"
#include "util/read_file.h"

namespace waitprof {

namespace {

// Stacks by the keys the profile maps hold (content hashes into the stacks map), each read
// once.
class StackReader {
 public:
  explicit StackReader(int fd) : fd_(fd) {}

  struct Stack {
    std::vector<uint64_t> ips;  // leaf first, as bpf_get_stack stores them
    uint32_t end = WAITPROF_STACK_END_UNKNOWN;
  };

  // Empty for the reserved keys (no stack, waiting since before the recording, a kernel
  // thread of the process).
  const Stack& get(uint64_t key) {
    static const Stack kEmpty;
    if (key <= WAITPROF_STACK_KERNEL_THREAD) return kEmpty;
    auto [it, inserted] = cache_.try_emplace(key);
    if (!inserted) return it->second;
    waitprof_stack stack{};
    if (bpf_map_lookup_elem(fd_, &key, &stack) == 0) {
      const size_t n = std::min<size_t>(WAITPROF_STACK_FRAMES(stack.nr), WAITPROF_MAX_STACK_DEPTH);
      it->second.ips.assign(stack.ips, stack.ips + n);
      it->second.end = WAITPROF_STACK_END(stack.nr);
    }
    return it->second;
  }

 private:
  int fd_;
  std::unordered_map<uint64_t, Stack> cache_;
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

// A profile map of count/total values as read, entry by entry, with the entries of threads
// that flushed a sum meanwhile read again. Keys are compared as bytes: like the BPF side's
// same_key, that needs keys without holes, which profile.h's are.
template <typename Key>
class CountTotalMap {
 public:
  CountTotalMap(int fd, const char* name) : fd_(fd), name_(name) {}

  Status read_all() {
    return for_each_entry<Key, waitprof_count_total>(
        fd_, name_, [this](const Key& key, const waitprof_count_total& v) {
          entries_[bytes_of(key)] = {key, v};
        });
  }

  void reread(const Key& key) {
    waitprof_count_total v{};
    if (bpf_map_lookup_elem(fd_, &key, &v) == 0) entries_[bytes_of(key)] = {key, v};
  }

  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [bytes, entry] : entries_) fn(entry.first, entry.second);
  }

 private:
  static std::string bytes_of(const Key& key) {
    return std::string(reinterpret_cast<const char*>(&key), sizeof(key));
  }
  int fd_;
  const char* name_;
  std::unordered_map<std::string, std::pair<Key, waitprof_count_total>> entries_;
};

// The occupied thread slots, copied at one moment (by slot index).
using SlotCopy = std::unordered_map<uint32_t, waitprof_thread_slot>;

SlotCopy copy_slots(const ThreadSlotMap& slots) {
  SlotCopy copy;
  uint32_t index = 0;
  for (const waitprof_thread_slot& slot : slots) {
    // One load of the owner: a slot freed while copied is copied as it was.
    if (__atomic_load_n(&slot.tid, __ATOMIC_ACQUIRE) != 0) copy.emplace(index, slot);
    ++index;
  }
  return copy;
}

// The key a slot's pending release will be charged under when its lock wait closes.
std::optional<waitprof_mutex_key> pending_release(const waitprof_thread_slot& slot) {
  if (!waitprof_release_matches(&slot.release, slot.lock.start_ns, slot.lock.key.uaddr)) {
    return std::nullopt;
  }
  waitprof_mutex_key key = slot.release.key;
  key.waiter_stack = slot.lock.key.user_stack;
  return key;
}

// Every profile map of count/total values.
struct ProfileMaps {
  CountTotalMap<waitprof_offcpu_key> offcpu;
  CountTotalMap<waitprof_lock_key> lock;
  CountTotalMap<waitprof_mutex_key> mutex;
  CountTotalMap<waitprof_send_key> send;

  explicit ProfileMaps(const profile_bpf& skel)
      : offcpu(bpf_map__fd(skel.maps.offcpu_waits), "offcpu_waits"),
        lock(bpf_map__fd(skel.maps.lock_waits), "lock_waits"),
        mutex(bpf_map__fd(skel.maps.mutex_waits), "mutex_waits"),
        send(bpf_map__fd(skel.maps.sends), "sends") {}

  Status read_all() {
    if (Status s = offcpu.read_all(); !s) return s;
    if (Status s = lock.read_all(); !s) return s;
    if (Status s = mutex.read_all(); !s) return s;
    return send.read_all();
  }

  // The entries a slot's sums and pending release go to.
  void reread_keys_of(const waitprof_thread_slot& slot) {
    if (slot.offcpu_sum.value.count) offcpu.reread(slot.offcpu_sum.key);
    if (slot.lock_sum.value.count) lock.reread(slot.lock_sum.key);
    if (slot.send_sum.value.count) send.reread(slot.send_sum.key);
    if (std::optional<waitprof_mutex_key> key = pending_release(slot)) mutex.reread(*key);
  }
};

// Slots copied before the maps were read, and the maps, made consistent with a copy of the
// slots taken after: a thread that moved a sum into a map in between (its slot's `flushes`
// changed, or the slot changed hands) has the entries of its sums then and now read again,
// and the next copy says whether anything moved during that. A sum is thus in a map or in its
// slot, never both or neither, except when threads keep flushing through every round: then
// the error is what they flushed in the last round's few microseconds. Returns the last copy.
SlotCopy settle_slots(const ThreadSlotMap& slots, SlotCopy before, ProfileMaps& maps) {
  constexpr int kMaxRounds = 4;
  SlotCopy now = copy_slots(slots);
  for (int round = 0; round < kMaxRounds; ++round) {
    bool moved = false;
    for (const auto& [index, was] : before) {
      auto it = now.find(index);
      if (it != now.end() && it->second.tid == was.tid && it->second.flushes == was.flushes) {
        continue;
      }
      moved = true;
      maps.reread_keys_of(was);
      if (it != now.end()) maps.reread_keys_of(it->second);
    }
    for (const auto& [index, slot] : now) {
      if (!before.count(index)) {
        moved = true;
        maps.reread_keys_of(slot);
      }
    }
    if (!moved) break;
    before = std::move(now);
    now = copy_slots(slots);
  }
  return now;
}

template <typename Key>
RawSample base_sample(ProfileKind kind, const Key& key, StackReader& stacks) {
  RawSample s;
  s.kind = kind;
  s.tgid = key.tgid;
  s.tid = key.tid;
  const StackReader::Stack& user = stacks.get(key.user_stack);
  s.user_stack = user.ips;
  s.user_stack_end = user.end;
  // The mutex key has none: the releaser is in its futex call, whose kernel side is no news.
  if constexpr (requires { key.kernel_stack; }) s.kernel_stack = stacks.get(key.kernel_stack).ips;
  s.began_before_recording = key.user_stack == WAITPROF_STACK_BEFORE_START;
  s.user_stack_missing = key.user_stack == WAITPROF_STACK_NONE;
  s.kernel_thread = key.user_stack == WAITPROF_STACK_KERNEL_THREAD;
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

RawSample mutex_sample(const waitprof_mutex_key& key, StackReader& stacks) {
  RawSample s = base_sample(ProfileKind::kMutex, key, stacks);
  s.futex_uaddr = key.uaddr;
  s.futex_op = key.op;
  s.waiter_stack = stacks.get(key.waiter_stack).ips;
  s.waiter_tgid = key.waiter_tgid;
  return s;
}

RawSample send_sample(const waitprof_send_key& key, StackReader& stacks) {
  return base_sample(ProfileKind::kSend, key, stacks);
}

RawSample with_value(RawSample s, const waitprof_count_total& v) {
  s.count = v.count;
  s.total = v.total;
  return s;
}

// A thread's run time so far (/proc/PID/task/TID/schedstat: se.sum_exec_runtime, ns) and the
// CLOCK_MONOTONIC time it was read at; nullopt once it has exited.
struct ThreadRuntime {
  uint64_t runtime_ns = 0, read_ns = 0;
};

std::optional<ThreadRuntime> thread_runtime(uint32_t tgid, uint32_t tid) {
  Result<std::string> text = read_text_file("/proc/" + std::to_string(tgid) + "/task/" +
                                            std::to_string(tid) + "/schedstat");
  if (!text) return std::nullopt;
  return ThreadRuntime{std::strtoull(text->c_str(), nullptr, 10), monotonic_ns()};
}

// Where a wait still open in a thread's slot at the stop (or at a live window's end) ends.
// The kernel now and then puts a thread back on a CPU without a sched_switch event (see
// end_untraced_wait in bpf/profile.bpf.c): its wait stays open, and its next switch-out ends
// it from the run time since; at the stop there is no next switch-out, and a thread that
// resumed so and ran on until the stop (a busy loop alone on a CPU: 356 ms of it once) would
// be charged a wait it was not in. A thread that has run since its switch-out resumed at the
// stop less what it ran before the stop (what it ran after the stop, while this reads, is at
// most the time since).
//
// Only for waits that began at a switch-out: a lock wait timed from futex entry to exit
// (without lock_in_switch) runs on its thread until it sleeps.
uint64_t wait_end_at_stop(const waitprof_thread_slot& slot, bool lock_in_switch, uint64_t stop_ns) {
  const bool from_switch_out = slot.offcpu.start_ns || (lock_in_switch && slot.lock.start_ns);
  if (!from_switch_out) return stop_ns;
  const uint32_t tgid = slot.offcpu.start_ns ? slot.offcpu.key.tgid : slot.lock.key.tgid;
  const std::optional<ThreadRuntime> now = thread_runtime(tgid, slot.tid);
  if (!now || now->runtime_ns <= slot.runtime_at_switch_out) return stop_ns;
  const uint64_t since_stop = now->read_ns > stop_ns ? now->read_ns - stop_ns : 0;
  const uint64_t ran = now->runtime_ns - slot.runtime_at_switch_out;
  if (ran <= since_stop) return stop_ns;  // it may have resumed only after the stop
  const uint64_t ran_before_stop = ran - since_stop;
  return stop_ns > ran_before_stop ? stop_ns - ran_before_stop : 0;
}

// A wait open since start_ns and still open at the stop, as the sample make() gives, or
// nothing when it is not to be charged.
template <typename MakeSample>
void add_open_wait_since(uint64_t start_ns, uint64_t stop_ns, uint64_t min_block_ns,
                         MakeSample&& make, std::vector<RawSample>& out) {
  const uint64_t waited = open_wait_ns(start_ns, stop_ns, min_block_ns);
  if (waited == 0) return;
  RawSample sample = make();
  sample.count = 1;
  sample.total = waited;
  out.push_back(std::move(sample));
}

// The same for a wait's start record (its start and key), made into a sample by make(key).
template <typename Start, typename MakeSample>
void add_open_wait(const Start& start, uint64_t stop_ns, uint64_t min_block_ns,
                   MakeSample&& make, std::vector<RawSample>& out) {
  add_open_wait_since(start.start_ns, stop_ns, min_block_ns, [&] { return make(start.key); },
                      out);
}

// Waits seeded at the start (in `seeds`) whose thread has not run since: still open. A thread
// that has a slot ran after its seed was taken, so the seed is stale.
template <typename Start, typename MakeSample>
Status add_seeded_waits(const bpf_map* seeds, const char* name,
                        const std::unordered_set<uint32_t>& threads_with_slot, uint64_t stop_ns,
                        uint64_t min_block_ns, MakeSample&& make, std::vector<RawSample>& out) {
  return for_each_entry<__u32, Start>(
      bpf_map__fd(seeds), name, [&](__u32 tid, const Start& start) {
        if (!threads_with_slot.count(tid)) add_open_wait(start, stop_ns, min_block_ns, make, out);
      });
}

// Samples with equal keys (a thread's running sum and what it handed to the map before)
// become one; `out` is sorted.
void merge_equal_keys(std::vector<RawSample>& out) {
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (kept > 0 && out[kept - 1].sort_key() == out[i].sort_key()) {
      out[kept - 1].count += out[i].count;
      out[kept - 1].total += out[i].total;
      continue;
    }
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
}

// Deletes the entries of `fd` whose key `gone` says so; keys are collected first, since
// deleting while iterating restarts a hash map's walk.
template <typename Key, typename Value, typename Gone>
Result<size_t> delete_entries(int fd, const char* name, Gone&& gone) {
  std::vector<Key> doomed;
  Status s = for_each_entry<Key, Value>(fd, name, [&](const Key& key, const Value&) {
    if (gone(key)) doomed.push_back(key);
  });
  if (!s) return s.error();
  size_t deleted = 0;
  for (const Key& key : doomed) deleted += bpf_map_delete_elem(fd, &key) == 0;
  return deleted;
}

}  // namespace

Result<std::vector<RawSample>> open_offcpu_waits(const ProfilePrograms& programs,
                                                 uint64_t now_ns) {
  const profile_bpf& skel = programs.skeleton();
  StackReader stacks(bpf_map__fd(skel.maps.stacks));
  auto offcpu = [&](const waitprof_offcpu_key& key) { return offcpu_sample(key, stacks); };
  Result<ThreadSlotMap> slot_map = ThreadSlotMap::map(skel.maps.thread_slots);
  if (!slot_map) return slot_map.error();
  std::vector<RawSample> out;
  std::unordered_set<uint32_t> threads_with_slot;
  for (const auto& [index, slot] : copy_slots(*slot_map)) {
    threads_with_slot.insert(slot.tid);
    add_open_wait(slot.offcpu, wait_end_at_stop(slot, skel.rodata->lock_in_switch, now_ns), 0,
                  offcpu, out);
  }
  Status s = add_seeded_waits<waitprof_offcpu_start>(skel.maps.seeded_offcpu, "seeded_offcpu",
                                                     threads_with_slot, now_ns, 0, offcpu, out);
  if (!s) return s.error();
  return out;
}

namespace {

std::string bytes_of(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

}  // namespace

Result<size_t> IdleEntrySweeper::sweep(const ProfilePrograms& programs) {
  const profile_bpf& skel = programs.skeleton();
  Result<ThreadSlotMap> slot_map = ThreadSlotMap::map(skel.maps.thread_slots);
  if (!slot_map) return slot_map.error();
  // The keys live threads' slots hold: a slot's sum moves into its map entry later, so the
  // entry must stay or that sum would be counted again from zero.
  std::unordered_set<std::string> kept;
  auto keep = [&](const char* map, const auto& key) {
    kept.insert(map + bytes_of(&key, sizeof(key)));
  };
  for (const auto& [index, slot] : copy_slots(*slot_map)) {
    if (slot.offcpu_sum.value.count) keep("offcpu_waits", slot.offcpu_sum.key);
    if (slot.lock_sum.value.count) keep("lock_waits", slot.lock_sum.key);
    if (slot.send_sum.value.count) keep("sends", slot.send_sum.key);
    if (slot.offcpu.start_ns) keep("offcpu_waits", slot.offcpu.key);
    if (slot.lock.start_ns) keep("lock_waits", slot.lock.key);
    if (std::optional<waitprof_mutex_key> key = pending_release(slot)) keep("mutex_waits", *key);
  }
  std::unordered_map<std::string, std::string> now;
  size_t deleted = 0;
  auto sweep_map = [&]<typename Key, typename Value>(const bpf_map* map, const char* name) -> Status {
    const int fd = bpf_map__fd(map);
    std::vector<Key> idle;
    Status s = for_each_entry<Key, Value>(fd, name, [&](const Key& key, const Value& value) {
      std::string id = name + bytes_of(&key, sizeof(key));
      std::string v = bytes_of(&value, sizeof(value));
      auto it = last_.find(id);
      if (it != last_.end() && it->second == v && !kept.count(id)) {
        idle.push_back(key);
      } else {
        now.emplace(std::move(id), std::move(v));
      }
    });
    if (!s) return s;
    for (const Key& key : idle) deleted += bpf_map_delete_elem(fd, &key) == 0;
    return {};
  };
  for (Status s : {sweep_map.operator()<waitprof_cpu_key, __u64>(skel.maps.cpu_samples, "cpu_samples"),
                   sweep_map.operator()<waitprof_offcpu_key, waitprof_count_total>(
                       skel.maps.offcpu_waits, "offcpu_waits"),
                   sweep_map.operator()<waitprof_lock_key, waitprof_count_total>(
                       skel.maps.lock_waits, "lock_waits"),
                   sweep_map.operator()<waitprof_mutex_key, waitprof_count_total>(
                       skel.maps.mutex_waits, "mutex_waits"),
                   sweep_map.operator()<waitprof_send_key, waitprof_count_total>(skel.maps.sends,
                                                                                "sends"),
                   sweep_map.operator()<waitprof_go_release_key, waitprof_count_total>(
                       skel.maps.go_releases, "go_releases")}) {
    if (!s) return s.error();
  }
  last_ = std::move(now);
  return deleted;
}

Result<size_t> forget_processes(const ProfilePrograms& programs, const std::vector<pid_t>& tgids) {
  if (tgids.empty()) return size_t{0};
  const std::unordered_set<uint32_t> gone(tgids.begin(), tgids.end());
  auto of_gone = [&](const auto& key) { return gone.count(key.tgid) > 0; };
  const profile_bpf& skel = programs.skeleton();
  size_t deleted = 0;
  for (Result<size_t> n : {
           delete_entries<waitprof_cpu_key, __u64>(bpf_map__fd(skel.maps.cpu_samples),
                                                   "cpu_samples", of_gone),
           delete_entries<waitprof_offcpu_key, waitprof_count_total>(
               bpf_map__fd(skel.maps.offcpu_waits), "offcpu_waits", of_gone),
           delete_entries<waitprof_lock_key, waitprof_count_total>(
               bpf_map__fd(skel.maps.lock_waits), "lock_waits", of_gone),
           delete_entries<waitprof_mutex_key, waitprof_count_total>(
               bpf_map__fd(skel.maps.mutex_waits), "mutex_waits",
               [&](const waitprof_mutex_key& key) {
                 return gone.count(key.tgid) > 0 || gone.count(key.waiter_tgid) > 0;
               }),
           delete_entries<waitprof_send_key, waitprof_count_total>(bpf_map__fd(skel.maps.sends),
                                                                  "sends", of_gone),
           delete_entries<waitprof_go_release_key, waitprof_count_total>(
               bpf_map__fd(skel.maps.go_releases), "go_releases", of_gone)}) {
    if (!n) return n.error();
    deleted += *n;
  }
  return deleted;
}

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

  s = for_each_entry<waitprof_go_release_key, waitprof_count_total>(
      bpf_map__fd(skel.maps.go_releases), "go_releases",
      [&](const waitprof_go_release_key& key, const waitprof_count_total& v) {
        RawSample sample;
        sample.kind = ProfileKind::kMutex;
        sample.go = GoSource::kUnlock;
        sample.tgid = key.tgid;
        const StackReader::Stack& user = stacks.get(key.user_stack);
        sample.user_stack = user.ips;
        sample.user_stack_end = user.end;
        sample.user_stack_missing = key.user_stack == WAITPROF_STACK_NONE;
        sample.futex_uaddr = key.sema;
        sample.count = v.count;
        out.push_back(std::move(sample));
      });
  if (!s) return s.error();

  Result<ThreadSlotMap> slot_map = ThreadSlotMap::map(skel.maps.thread_slots);
  if (!slot_map) return slot_map.error();
  SlotCopy before = copy_slots(*slot_map);
  ProfileMaps maps(skel);
  if (Status read = maps.read_all(); !read) return read.error();
  const SlotCopy slots = settle_slots(*slot_map, std::move(before), maps);
  const bool lock_in_switch = skel.rodata->lock_in_switch;

  maps.offcpu.for_each([&](const waitprof_offcpu_key& key, const waitprof_count_total& v) {
    out.push_back(with_value(offcpu_sample(key, stacks), v));
  });
  maps.lock.for_each([&](const waitprof_lock_key& key, const waitprof_count_total& v) {
    out.push_back(with_value(lock_sample(key, stacks), v));
  });
  maps.mutex.for_each([&](const waitprof_mutex_key& key, const waitprof_count_total& v) {
    out.push_back(with_value(mutex_sample(key, stacks), v));
  });
  maps.send.for_each([&](const waitprof_send_key& key, const waitprof_count_total& v) {
    out.push_back(with_value(send_sample(key, stacks), v));
  });

  auto offcpu = [&](const waitprof_offcpu_key& key) { return offcpu_sample(key, stacks); };
  auto lock = [&](const waitprof_lock_key& key) { return lock_sample(key, stacks); };
  // Each live thread's running sums, and its waits still open at the stop: that wait so far
  // is real waiting inside the window; dropping it would undercount exactly the longest.
  std::unordered_set<uint32_t> threads_with_slot;
  for (const auto& [index, slot] : slots) {
    threads_with_slot.insert(slot.tid);
    if (slot.offcpu_sum.value.count)
      out.push_back(with_value(offcpu(slot.offcpu_sum.key), slot.offcpu_sum.value));
    if (slot.lock_sum.value.count)
      out.push_back(with_value(lock(slot.lock_sum.key), slot.lock_sum.value));
    if (slot.send_sum.value.count)
      out.push_back(with_value(send_sample(slot.send_sum.key, stacks), slot.send_sum.value));
    const uint64_t end = wait_end_at_stop(slot, lock_in_switch, stop_ns);
    const uint64_t lock_end = lock_in_switch ? end : stop_ns;
    // A lock wait released but not yet ended by its switch-in: charged to its releaser up
    // to the stop, as the lock profile charges it (charge_release in BPF, at the stop).
    if (std::optional<waitprof_mutex_key> key = pending_release(slot)) {
      add_open_wait_since(slot.lock.start_ns, lock_end, min_block_ns,
                          [&] { return mutex_sample(*key, stacks); }, out);
    }
    add_open_wait(slot.offcpu, end, min_block_ns, offcpu, out);
    add_open_wait(slot.lock, lock_end, min_block_ns, lock, out);
  }

  s = add_seeded_waits<waitprof_offcpu_start>(skel.maps.seeded_offcpu, "seeded_offcpu",
                                              threads_with_slot, stop_ns, min_block_ns, offcpu, out);
  if (!s) return s.error();
  s = add_seeded_waits<waitprof_lock_start>(skel.maps.seeded_lock, "seeded_lock",
                                            threads_with_slot, stop_ns, min_block_ns, lock, out);
  if (!s) return s.error();

  std::sort(out.begin(), out.end(),
            [](const RawSample& a, const RawSample& b) { return a.sort_key() < b.sort_key(); });
  merge_equal_keys(out);
  return out;
}

}  // namespace waitprof
