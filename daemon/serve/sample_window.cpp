#include "serve/sample_window.h"

#include <algorithm>

namespace waitprof {

std::vector<RawSample> samples_between(const std::vector<RawSample>& before,
                                       const std::vector<RawSample>& after) {
  std::vector<RawSample> out;
  auto b = before.begin();
  for (const RawSample& a : after) {
    while (b != before.end() && b->sort_key() < a.sort_key()) ++b;
    uint64_t count = a.count, total = a.total;
    if (b != before.end() && b->sort_key() == a.sort_key()) {
      if (a.total < b->total || a.count < b->count) {
        // Less than before: the entry was deleted in between (IdleEntrySweeper) and began
        // again from zero, as a Prometheus counter resets. All of it is new.
      } else {
        // A wait open at `before` was counted then and again once closed: the count does
        // not grow, the delay by what it waited after `before`.
        count = a.count - b->count;
        total = a.total - b->total;
      }
    }
    if (count == 0 && total == 0) continue;
    RawSample grown = a;
    grown.count = count;
    grown.total = total;
    out.push_back(std::move(grown));
  }
  return out;
}

std::vector<RawSample> filter_samples(std::vector<RawSample> samples, const TargetFilter& filter,
                                      const std::function<std::string(uint32_t)>& process_name) {
  if (filter.empty()) return samples;
  auto kept = [&](const RawSample& s) {
    if (filter.keeps(s.tgid, process_name(s.tgid), s.tid)) return true;
    // The waiter's thread is not in a mutex key: its process stands for it.
    return s.kind == ProfileKind::kMutex && filter.tids.empty() &&
           filter.keeps(s.waiter_tgid, process_name(s.waiter_tgid), 0);
  };
  samples.erase(std::remove_if(samples.begin(), samples.end(),
                               [&](const RawSample& s) { return !kept(s); }),
                samples.end());
  return samples;
}

}  // namespace waitprof
