#include "golang/goroutine_reader.h"

#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "profile.h"  // bpf/: enum waitprof_stack_end, WAITPROF_MAX_STACK_DEPTH

namespace waitprof {

namespace {

// More goroutines than this are not read at all (a reading would copy hundreds of MiB).
constexpr uint64_t kMaxGoroutines = 1 << 20;
// A stack is read from its sp this much at a time, as far as its frame chain goes: the
// copying is most of a reading's cost (a goroutine's stack is 8 KiB to tens of KiB, its
// waiting frames a few hundred bytes to 2 KiB).
constexpr uint64_t kStackChunk = 2048;
// A parked goroutine's stack is read from its sp up this far: deeper frames are cut (the walk
// ends with WAITPROF_STACK_END_UNREADABLE). Most goroutines use a few KiB.
constexpr uint64_t kMaxStackRead = 64 * 1024;

struct Span {
  uint64_t remote = 0;
  size_t size = 0;
  char* local = nullptr;
  bool ok = false;
};

// Reads every span it can: process_vm_readv stops at the first unreadable one, so the call
// goes on after it. IOV_MAX iovecs per call.
void read_each(pid_t pid, std::vector<Span>& spans) {
  size_t i = 0;
  std::vector<iovec> local, remote;
  while (i < spans.size()) {
    const size_t n = std::min<size_t>(spans.size() - i, IOV_MAX);
    local.resize(n);
    remote.resize(n);
    for (size_t k = 0; k < n; ++k) {
      local[k] = {spans[i + k].local, spans[i + k].size};
      remote[k] = {reinterpret_cast<void*>(spans[i + k].remote), spans[i + k].size};
    }
    const ssize_t got = process_vm_readv(pid, local.data(), n, remote.data(), n, 0);
    size_t left = got > 0 ? static_cast<size_t>(got) : 0;
    size_t k = 0;
    for (; k < n && left >= spans[i + k].size; ++k) {
      spans[i + k].ok = true;
      left -= spans[i + k].size;
    }
    // spans[i + k] failed (or was cut short): skip it and go on with the next.
    i += k + 1;
  }
}

// Spans this close are read as one range. process_vm_readv pins the remote pages of each
// iovec on its own (mmap lock, VMA lookup, page walk: most of a reading's cost), and the g
// structs and sudogs of a process lie side by side in a few heap spans: 50 of them read one by
// one pinned the same few pages 50 times. Copying the gaps costs less.
constexpr uint64_t kMergeGap = 2048;
constexpr uint64_t kMaxMerged = 64 * 1024;

void read_spans(pid_t pid, std::vector<Span>& spans) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return spans[a].remote < spans[b].remote; });
  struct Range {
    uint64_t lo = 0, hi = 0;
    size_t first = 0, last = 0;  // into order
  };
  std::vector<Range> ranges;
  for (size_t k = 0; k < order.size(); ++k) {
    const Span& s = spans[order[k]];
    const uint64_t end = s.remote + s.size;
    if (!ranges.empty() && s.remote <= ranges.back().hi + kMergeGap &&
        std::max(end, ranges.back().hi) - ranges.back().lo <= kMaxMerged) {
      ranges.back().hi = std::max(end, ranges.back().hi);
      ranges.back().last = k;
    } else {
      ranges.push_back({s.remote, end, k, k});
    }
  }
  std::vector<std::string> buffers(ranges.size());
  std::vector<Span> reads(ranges.size());
  for (size_t r = 0; r < ranges.size(); ++r) {
    buffers[r].resize(ranges[r].hi - ranges[r].lo);
    reads[r] = {ranges[r].lo, buffers[r].size(), buffers[r].data(), false};
  }
  read_each(pid, reads);
  std::vector<Span> unmerged;  // of a range that failed: a hole between its spans, perhaps
  for (size_t r = 0; r < ranges.size(); ++r) {
    for (size_t k = ranges[r].first; k <= ranges[r].last; ++k) {
      Span& s = spans[order[k]];
      if (reads[r].ok) {
        std::memcpy(s.local, buffers[r].data() + (s.remote - ranges[r].lo), s.size);
        s.ok = true;
      } else if (ranges[r].first != ranges[r].last) {
        unmerged.push_back(s);
      }
    }
  }
  if (unmerged.empty()) return;
  read_each(pid, unmerged);
  size_t u = 0;
  for (size_t r = 0; r < ranges.size(); ++r) {
    if (reads[r].ok || ranges[r].first == ranges[r].last) continue;
    for (size_t k = ranges[r].first; k <= ranges[r].last; ++k)
      spans[order[k]].ok = unmerged[u++].ok;
  }
}

Result<std::string> read_remote(pid_t pid, uint64_t addr, size_t size) {
  std::string buf(size, '\0');
  iovec local{buf.data(), size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  const ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (got != static_cast<ssize_t>(size)) {
    return errno_error("reading " + std::to_string(size) + " bytes of process " +
                           std::to_string(pid) + "'s memory at " + std::to_string(addr),
                       got < 0 ? errno : EFAULT);
  }
  return buf;
}

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Where a frame-pointer chain starting at bp leaves the copy of [lo, lo + copy.size()):
// the bp past its end, or 0 when the chain ends inside it (or goes nowhere sensible).
uint64_t chain_exit(const std::string& copy, uint64_t lo, uint64_t bp) {
  const uint64_t hi = lo + copy.size();
  for (int depth = 0; depth < WAITPROF_MAX_STACK_DEPTH && bp != 0; ++depth) {
    if (bp < lo) return 0;
    if (bp >= hi || hi - bp < 16) return bp;
    const uint64_t next = load<uint64_t>(copy.data() + (bp - lo));
    if (next != 0 && next <= bp) return 0;
    bp = next;
  }
  return 0;
}

// A PIE's load bias: where its first mapping of the executable starts, less that mapping's
// link-time address.
Result<uint64_t> load_bias(pid_t pid, const GoRuntimeLayout& layout) {
  if (!layout.position_independent) return uint64_t{0};
  char exe[PATH_MAX];
  const std::string proc = "/proc/" + std::to_string(pid);
  const ssize_t len = readlink((proc + "/exe").c_str(), exe, sizeof(exe) - 1);
  if (len <= 0) return errno_error("reading " + proc + "/exe");
  const std::string path(exe, static_cast<size_t>(len));
  std::ifstream maps(proc + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < path.size() ||
        line.compare(line.size() - path.size(), path.size(), path) != 0)
      continue;
    std::istringstream in(line);
    std::string range, perms, offset;
    in >> range >> perms >> offset;
    if (std::stoull(offset, nullptr, 16) != 0) continue;
    return std::stoull(range.substr(0, range.find('-')), nullptr, 16) - layout.first_load_vaddr;
  }
  return Error{"no mapping of " + path + " in " + proc + "/maps"};
}

}  // namespace

GoroutineReader::GoroutineReader(pid_t pid, std::shared_ptr<const GoRuntimeLayout> layout,
                                 uint64_t bias)
    : pid_(pid), layout_(std::move(layout)), bias_(bias) {}

Result<std::unique_ptr<GoroutineReader>> GoroutineReader::open(
    pid_t pid, std::shared_ptr<const GoRuntimeLayout> layout) {
  Result<uint64_t> bias = load_bias(pid, *layout);
  if (!bias) return bias.error();
  std::unique_ptr<GoroutineReader> reader(new GoroutineReader(pid, std::move(layout), *bias));
  if (Status s = reader->read_reasons(); !s) return s.error();
  return reader;
}

Status GoroutineReader::read_reasons() {
  const uint64_t count = std::min<uint64_t>(layout_->wait_reason_count, 256);
  if (count == 0)
    return Error{"process " + std::to_string(pid_) + ": no runtime.waitReasonStrings"};
  Result<std::string> headers = read_remote(pid_, layout_->wait_reason_strings + bias_, count * 16);
  if (!headers) return headers.error();
  std::vector<std::string> texts(count);
  std::vector<Span> spans;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t data = load<uint64_t>(headers->data() + i * 16);
    const uint64_t len = std::min<uint64_t>(load<uint64_t>(headers->data() + i * 16 + 8), 256);
    texts[i].resize(len);
    if (len) spans.push_back({data, len, texts[i].data(), false});
  }
  read_spans(pid_, spans);
  reasons_ = std::move(texts);
  return {};
}

std::unordered_map<uint64_t, uint64_t> GoroutineReader::semaphore_sleepers() const {
  const GoRuntimeLayout& L = *layout_;
  std::unordered_map<uint64_t, uint64_t> sleepers;
  if (!L.semtable || L.semtable_size < kGoSemTabSize) return sleepers;
  const uint64_t stride = L.semtable_size / kGoSemTabSize;
  std::string table(L.semtable_size, '\0');
  std::vector<Span> roots{{L.semtable + bias_, table.size(), table.data(), false}};
  read_spans(pid_, roots);
  if (!roots[0].ok) return sleepers;
  std::vector<uint64_t> frontier;
  for (uint64_t i = 0; i < kGoSemTabSize; ++i) {
    if (uint64_t node = load<uint64_t>(table.data() + i * stride + L.sema_root_treap)) {
      frontier.push_back(node);
    }
  }
  // Level by level: each node's children and its list of waiters on the same address. A
  // treap changing under the reader can loop: the node count is bounded.
  const uint64_t span =
      std::max({L.sudog_elem, L.sudog_g, L.sudog_next, L.sudog_prev, L.sudog_waitlink}) + 8;
  std::unordered_set<uint64_t> seen(frontier.begin(), frontier.end());
  constexpr size_t kMaxNodes = 1 << 16;
  while (!frontier.empty() && seen.size() < kMaxNodes) {
    std::string nodes(frontier.size() * span, '\0');
    std::vector<Span> spans(frontier.size());
    for (size_t k = 0; k < frontier.size(); ++k) {
      spans[k] = {frontier[k], span, nodes.data() + k * span, false};
    }
    read_spans(pid_, spans);
    std::vector<uint64_t> next;
    for (size_t k = 0; k < spans.size(); ++k) {
      if (!spans[k].ok) continue;
      const char* s = spans[k].local;
      if (uint64_t g = load<uint64_t>(s + L.sudog_g))
        sleepers[g] = load<uint64_t>(s + L.sudog_elem);
      for (uint64_t off : {L.sudog_next, L.sudog_prev, L.sudog_waitlink}) {
        const uint64_t p = load<uint64_t>(s + off);
        if (p && seen.insert(p).second) next.push_back(p);
      }
    }
    frontier = std::move(next);
  }
  return sleepers;
}

Result<GoroutineReader::Reading> GoroutineReader::read(const std::vector<bool>& wanted) const {
  const GoRuntimeLayout& L = *layout_;
  Result<std::string> slice = read_remote(pid_, L.allgs + bias_, 16);
  if (!slice) return slice.error();
  const uint64_t data = load<uint64_t>(slice->data());
  const uint64_t len = load<uint64_t>(slice->data() + 8);
  if (len > kMaxGoroutines) {
    return Error{"process " + std::to_string(pid_) + " has " + std::to_string(len) +
                 " goroutines: more than the sampler reads"};
  }
  Reading reading;
  if (len == 0) return reading;
  Result<std::string> pointers = read_remote(pid_, data, len * 8);
  if (!pointers) return pointers.error();

  // Each g from its start up to the last field read.
  const uint64_t span =
      std::max({L.g_stack_hi, L.g_sched_sp, L.g_sched_pc, L.g_sched_bp, L.g_atomicstatus, L.g_goid,
                L.g_waitreason, L.g_waiting, L.g_tracking_seq}) +
      8;
  std::string gs(len * span, '\0');
  std::vector<Span> spans(len);
  for (uint64_t i = 0; i < len; ++i) {
    spans[i] = {load<uint64_t>(pointers->data() + i * 8), span, gs.data() + i * span, false};
  }
  read_spans(pid_, spans);

  struct Candidate {
    size_t g;  // index into spans
    GoroutineWait wait;
    uint64_t status = 0, sched_pc = 0, sched_bp = 0, stack_hi = 0;
  };
  std::vector<Candidate> candidates;
  std::unordered_set<uint64_t> live;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!spans[i].ok) continue;
    const char* g = spans[i].local;
    const uint32_t status = load<uint32_t>(g + L.g_atomicstatus) & ~kGoroutineScanBit;
    if (status == kGoroutineDead) continue;
    ++reading.goroutines;
    live.insert(load<uint64_t>(g + L.g_goid));
    if (status != kGoroutineWaiting) continue;
    const uint8_t reason = load<uint8_t>(g + L.g_waitreason);
    if (reason >= wanted.size() || !wanted[reason]) continue;
    Candidate c{i,
                {},
                status,
                load<uint64_t>(g + L.g_sched_pc),
                load<uint64_t>(g + L.g_sched_bp),
                load<uint64_t>(g + L.g_stack_hi)};
    c.wait.goid = load<uint64_t>(g + L.g_goid);
    c.wait.reason = reason;
    c.wait.sched_sp = load<uint64_t>(g + L.g_sched_sp);
    c.wait.sudog = load<uint64_t>(g + L.g_waiting);
    if (L.g_tracking_seq) c.wait.parks = load<uint8_t>(g + L.g_tracking_seq);
    if (c.wait.sched_sp == 0 || c.stack_hi <= c.wait.sched_sp) continue;
    candidates.push_back(std::move(c));
  }

  // The stack last read whole at these very registers, if any.
  auto known_at = [&](const Candidate& c) -> const KnownStack* {
    auto it = known_.find(c.wait.goid);
    if (it == known_.end() || it->second.sp != c.wait.sched_sp || it->second.pc != c.sched_pc ||
        it->second.bp != c.sched_bp || it->second.reason != c.wait.reason) {
      return nullptr;
    }
    return &it->second;
  };
  // A goroutine still parked where a reading last copied its stack whole (same registers and
  // reason, and the same sudog and park count: it has not run since) has that stack: no copy.
  // Long waits, an idle pool's, cost one copy, not one a reading.
  std::erase_if(candidates, [&](Candidate& c) {
    const KnownStack* k = known_at(c);
    if (!k || k->parks != c.wait.parks || k->sudog != c.wait.sudog) return false;
    c.wait.stack = k->stack;
    c.wait.stack_end = k->end;
    c.wait.object = k->object;
    reading.waits.push_back(std::move(c.wait));
    return true;
  });

  // Their stacks, and their sudogs' elem.
  std::vector<std::string> stacks(candidates.size());
  std::vector<uint64_t> elems(candidates.size(), 0);
  std::vector<Span> reads;
  for (size_t k = 0; k < candidates.size(); ++k) {
    const Candidate& c = candidates[k];
    stacks[k].resize(std::min({c.stack_hi - c.wait.sched_sp, kMaxStackRead, kStackChunk}));
    reads.push_back({c.wait.sched_sp, stacks[k].size(), stacks[k].data(), false});
    if (c.wait.sudog) {
      reads.push_back({c.wait.sudog + L.sudog_elem, 8, reinterpret_cast<char*>(&elems[k]), false});
    }
  }
  read_spans(pid_, reads);
  // More of the stacks whose chains go on past what was read, round by round.
  std::vector<size_t> first_read(candidates.size());
  for (size_t k = 0, r = 0; k < candidates.size(); ++k) {
    first_read[k] = r;
    r += candidates[k].wait.sudog ? 2 : 1;
  }
  for (int round = 0; round < 8; ++round) {
    std::vector<std::pair<size_t, std::string>> more;
    std::vector<Span> extend;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const Candidate& c = candidates[k];
      if (!reads[first_read[k]].ok) continue;
      const uint64_t lo = c.wait.sched_sp;
      const uint64_t have = stacks[k].size();
      const uint64_t exit = chain_exit(stacks[k], lo, c.sched_bp);
      const uint64_t limit = std::min(c.stack_hi - lo, kMaxStackRead);
      if (exit == 0 || have >= limit || exit >= lo + limit) continue;
      // Up to the frame record past the end, and as much again.
      const uint64_t want = std::min(limit, std::max(exit - lo + 16, have) + have);
      more.emplace_back(k, std::string(want - have, '\0'));
    }
    if (more.empty()) break;
    for (auto& [k, buf] : more)
      extend.push_back(
          {candidates[k].wait.sched_sp + stacks[k].size(), buf.size(), buf.data(), false});
    read_spans(pid_, extend);
    for (size_t i = 0; i < more.size(); ++i) {
      if (extend[i].ok) stacks[more[i].first] += more[i].second;
    }
  }
  std::unordered_map<uint64_t, uint64_t> sleepers;
  // (sync.Cond parks on a notify list, not a semaphore: its waiters need no treap walk.)
  if (std::any_of(candidates.begin(), candidates.end(), [&](const Candidate& c) {
        return c.wait.sudog == 0 && reasons_[c.wait.reason] != "sync.Cond.Wait";
      })) {
    sleepers = semaphore_sleepers();
  }
  // The same goroutines again: one that ran meanwhile has another sp, status or reason.
  std::string again(candidates.size() * span, '\0');
  std::vector<Span> rereads(candidates.size());
  for (size_t k = 0; k < candidates.size(); ++k) {
    rereads[k] = {spans[candidates[k].g].remote, span, again.data() + k * span, false};
  }
  read_spans(pid_, rereads);

  size_t r = 0;
  for (size_t k = 0; k < candidates.size(); ++k) {
    Candidate& c = candidates[k];
    const bool stack_ok = reads[r++].ok;
    if (c.wait.sudog) r++;
    const char* g2 = again.data() + k * span;
    const char* g1 = spans[c.g].local;
    auto same = [&](uint64_t off, size_t size) {
      return std::memcmp(g1 + off, g2 + off, size) == 0;
    };
    const bool moved = !rereads[k].ok || !same(L.g_atomicstatus, 4) || !same(L.g_sched_sp, 8) ||
                       !same(L.g_sched_pc, 8) || !same(L.g_sched_bp, 8) ||
                       !same(L.g_waitreason, 1) || !same(L.g_waiting, 8) || !same(L.g_goid, 8) ||
                       (L.g_tracking_seq && !same(L.g_tracking_seq, 1));
    if (!stack_ok) {
      if (const KnownStack* k = known_at(c)) {
        c.wait.stack = k->stack;
        c.wait.stack_end = k->end;
        ++reading.moved_kept;
        reading.waits.push_back(std::move(c.wait));
      } else {
        ++reading.moved;
      }
      continue;
    }
    c.wait.object = elems[k];
    if (!c.wait.sudog) {
      auto s = sleepers.find(spans[c.g].remote);
      if (s != sleepers.end()) c.wait.object = s->second;
    }
    // The frame-pointer walk, inside the copy: [bp] is the caller's bp, [bp+8] the return
    // address into the caller. The park saved the pc and bp of gopark's frame.
    const std::string& s = stacks[k];
    const uint64_t lo = c.wait.sched_sp, hi = lo + s.size();
    c.wait.stack.push_back(c.sched_pc);
    uint64_t bp = c.sched_bp;
    c.wait.stack_end = WAITPROF_STACK_END_DEPTH;
    while (c.wait.stack.size() < WAITPROF_MAX_STACK_DEPTH) {
      if (bp == 0) {
        c.wait.stack_end = WAITPROF_STACK_END_FP_ZERO;
        break;
      }
      // Written so that no garbage bp wraps around (a torn copy holds any value).
      if (bp < lo || bp >= hi || hi - bp < 16) {
        c.wait.stack_end =
            bp >= lo && hi == c.stack_hi ? WAITPROF_STACK_END_LOST : WAITPROF_STACK_END_UNREADABLE;
        break;
      }
      const uint64_t next = load<uint64_t>(s.data() + (bp - lo));
      const uint64_t ret = load<uint64_t>(s.data() + (bp - lo) + 8);
      if (ret == 0) {
        c.wait.stack_end = WAITPROF_STACK_END_FP_ZERO;
        break;
      }
      c.wait.stack.push_back(ret);
      if (next != 0 && next <= bp) {
        c.wait.stack_end = WAITPROF_STACK_END_LOST;
        break;
      }
      bp = next;
    }
    if (moved) {
      // It was waiting when first read, and its wait ended while we read: that sighting is
      // as true as any (dropping it would undercount short waits: 15% of the sightings of a
      // loaded net/http server's). Its stack copy is good when taken before the wake; one
      // taken after shows a returning goroutine's frames over the park's, which breaks the
      // chain: only a walk that reached the goroutine's first frame (bp 0, the return
      // address into runtime.goexit) is kept. (Without goexit's symbol, none is.)
      const uint64_t last = c.wait.stack.back() - bias_;
      if (c.wait.stack_end != WAITPROF_STACK_END_FP_ZERO || last <= L.goexit ||
          last > L.goexit + L.goexit_size) {
        const KnownStack* k = known_at(c);
        if (!k) {
          ++reading.moved;
          continue;
        }
        c.wait.stack = k->stack;
        c.wait.stack_end = k->end;
      }
      ++reading.moved_kept;
    } else {
      known_[c.wait.goid] = {c.wait.sched_sp, c.sched_pc,   c.sched_bp,
                             c.wait.reason,   c.wait.parks, c.wait.sudog,
                             c.wait.object,   c.wait.stack, c.wait.stack_end};
    }
    reading.waits.push_back(std::move(c.wait));
  }
  std::erase_if(known_, [&](const auto& entry) { return !live.contains(entry.first); });
  return reading;
}

}  // namespace waitprof
