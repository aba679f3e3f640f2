#include "stats_region.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace {

TEST(StatsRegion, AggregatesWorkersAndSurvivesFork) {
  std::string error;
  std::unique_ptr<tsrv::StatsRegion> stats(tsrv::StatsRegion::create(2, 3, "locked", &error));
  ASSERT_TRUE(stats) << error;
  stats->claim_worker(0, 100);
  tsrv::ThreadCounters::add(stats->counters(0, 2).requests, 5);
  // A forked child's writes must be visible to the parent: the region is MAP_SHARED.
  pid_t child = fork();
  if (child == 0) {
    tsrv::ThreadCounters::add(stats->counters(1, 0).requests, 7);
    tsrv::ThreadCounters::add(stats->counters(1, 0).rng_wait_ns, 1000);
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  auto j = nlohmann::json::parse(stats->to_json());
  EXPECT_EQ(j["rng"], "locked");
  EXPECT_EQ(j["threads_per_worker"], 3);
  EXPECT_EQ(j["total"]["requests"], 12);
  EXPECT_EQ(j["total"]["rng_wait_ns"], 1000);
  EXPECT_EQ(j["workers"][0]["pid"], 100);
  EXPECT_EQ(j["workers"][0]["requests"], 5);
  EXPECT_EQ(j["workers"][1]["requests"], 7);
}

TEST(StatsRegion, RetiredWorkerCountsStayInTotal) {
  std::string error;
  std::unique_ptr<tsrv::StatsRegion> stats(tsrv::StatsRegion::create(1, 1, "pool", &error));
  ASSERT_TRUE(stats) << error;
  stats->claim_worker(0, 42);
  tsrv::ThreadCounters::add(stats->counters(0, 0).bytes_written, 4500);
  stats->retire_worker(0);
  stats->claim_worker(0, 43);
  tsrv::ThreadCounters::add(stats->counters(0, 0).bytes_written, 500);
  auto j = nlohmann::json::parse(stats->to_json());
  EXPECT_EQ(j["total"]["bytes_written"], 5000);
  EXPECT_EQ(j["workers"][0]["bytes_written"], 500);
  EXPECT_EQ(j["workers"][0]["pid"], 43);
  EXPECT_EQ(j["workers_replaced"], 1);
}

}  // namespace
