#include "index_picker.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace {

TEST(IndexPicker, ReduceToBoundStaysInRange) {
  EXPECT_EQ(tsrv::reduce_to_bound(0, 500), 0u);
  EXPECT_EQ(tsrv::reduce_to_bound(~0ull, 500), 499u);
  EXPECT_EQ(tsrv::reduce_to_bound(1ull << 63, 500), 250u);
}

TEST(IndexPicker, PoolWalksDrawnIndicesAndWraps) {
  tsrv::IndexPool pool;
  pool.init(7, 500, 1024);
  std::vector<size_t> first;
  for (int i = 0; i < 1024; ++i) first.push_back(pool.next_index());
  for (size_t i : first) EXPECT_LT(i, 500u);
  EXPECT_GT(std::set<size_t>(first.begin(), first.end()).size(), 300u);
  for (int i = 0; i < 1024; ++i) EXPECT_EQ(pool.next_index(), first[i]);  // wrapped around
}

TEST(IndexPicker, LockedCountsEveryAcquisitionAndOnlyContendedWaits) {
  tsrv::LockedRng rng;
  rng.init(1, 64);
  tsrv::ThreadCounters single;
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.next_index(500, single), 500u);
  EXPECT_EQ(single.rng_acquisitions.load(), 1000u);
  EXPECT_EQ(single.rng_contended.load(), 0u);  // one thread: try_lock never fails
  EXPECT_EQ(single.rng_wait_ns.load(), 0u);

  // Many threads on few cores: the lock is taken while held, and every wait is timed.
  std::vector<tsrv::ThreadCounters> counters(8);
  std::vector<std::thread> threads;
  for (auto& c : counters) {
    threads.emplace_back([&rng, &c] {
      for (int i = 0; i < 20000; ++i) rng.next_index(500, c);
    });
  }
  for (auto& t : threads) t.join();
  uint64_t acquisitions = 0, contended = 0, wait_ns = 0;
  for (auto& c : counters) {
    acquisitions += c.rng_acquisitions.load();
    contended += c.rng_contended.load();
    wait_ns += c.rng_wait_ns.load();
  }
  EXPECT_EQ(acquisitions, 8u * 20000u);
  EXPECT_GT(contended, 0u);
  EXPECT_GT(wait_ns, 0u);
}

}  // namespace
