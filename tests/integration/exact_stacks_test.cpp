// Stacks as gdb prints them. unwind_shapes and its library are built without frame pointers,
// its threads wait through libc (a contended mutex, an idle condition variable, a full pipe,
// nanosleep, pthread_join): gdb's `thread apply all bt` of the same threads is the truth, frame
// by frame (every frame's address, inlined frames included, and its function's name), and
// waitprof's stacks of those waits must equal it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/gdb_backtrace.h"
#include "support/privileges.h"
#include "support/profile_query.h"
#include "support/recording.h"

namespace {

using waitprof_test::canonical_function;
using waitprof_test::ChildProcess;
using waitprof_test::GdbFrame;
using waitprof_test::ProfileQuery;
using waitprof_test::QueriedSample;

namespace fs = std::filesystem;

using waitprof_test::read_json;
using waitprof_test::record_to_end;

fs::path fresh_dir(const std::string& name) {
  return waitprof_test::fresh_dir("waitprof-exact-stacks-", name);
}

// The roles whose waits are in one place only, and the function gdb's frame 0 must be in for
// its snapshot to show that wait (a thread caught between two waits is asked again).
const std::map<std::string, std::string> kWaitLeaf = {
    {"locker", "futex_wait"},
    {"idle", "__futex_abstimed_wait_common64"},
    {"writer", "__GI___libc_write"},
    {"sleeper", "__GI___clock_nanosleep"},
    {"unwind_shapes", "__futex_abstimed_wait_common64"},  // the main thread, in pthread_join
};

// What each futex-waiting role's wait is called in the block profile.
const std::map<std::string, std::string> kWaitKind = {
    {"locker", "mutex"}, {"idle", "condvar"}, {"unwind_shapes", "join"}};

std::string describe(const std::vector<uint64_t>& addresses,
                     const std::vector<std::string>& functions) {
  std::string out;
  for (size_t i = 0; i < functions.size(); ++i) {
    char addr[32];
    snprintf(addr, sizeof(addr), "%" PRIx64, i < addresses.size() ? addresses[i] : 0);
    out += "\n    " + std::string(addr) + " " + functions[i];
  }
  return out;
}

std::string describe(const std::vector<GdbFrame>& frames) {
  std::vector<uint64_t> addresses;
  std::vector<std::string> functions;
  for (const GdbFrame& f : frames) {
    addresses.push_back(f.address);
    functions.push_back(f.function);
  }
  return describe(addresses, functions);
}

// gdb's frames and waitprof's agree: the same addresses in the same order, and at each the same
// function. Where gdb knows no name ("??": a stripped library's local function), waitprof must
// still give one, the module and offset ("libstdc++.so.6+0xd44a3").
bool same_stack(const std::vector<GdbFrame>& gdb, const QueriedSample& s) {
  if (gdb.size() != s.functions.size()) return false;
  for (size_t i = 0; i < gdb.size(); ++i) {
    if (gdb[i].address != s.addresses[i]) return false;
    if (gdb[i].function == "??") {
      if (s.functions[i].find(".so") == std::string::npos ||
          s.functions[i].find("+0x") == std::string::npos)
        return false;
    } else if (canonical_function(gdb[i].function) != canonical_function(s.functions[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::map<pid_t, std::vector<GdbFrame>>> snapshot_while_waiting(
    pid_t pid, const std::map<std::string, pid_t>& tids, std::string* why) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto bt = waitprof_test::gdb_backtraces(pid, why);
    if (!bt) return std::nullopt;
    bool all_waiting = true;
    for (const auto& [role, leaf] : kWaitLeaf) {
      const auto& frames = (*bt)[tids.at(role)];
      if (frames.empty() || frames[0].function != leaf) all_waiting = false;
    }
    if (all_waiting) return bt;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *why = "gdb never caught every thread in its wait";
  return std::nullopt;
}

TEST(ExactStacks, EveryWaitEqualsGdbsBacktraceOfItsThread) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess shapes({UNWIND_SHAPES_PATH});
  ASSERT_TRUE(shapes.wait_for_line("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the writer fills its pipe
  const auto tids = waitprof_test::threads_by_name(shapes.pid());
  for (const auto& [role, leaf] : kWaitLeaf) ASSERT_TRUE(tids.count(role)) << role;
  ASSERT_TRUE(tids.count("holder"));
  std::string why;
  const auto truth = snapshot_while_waiting(shapes.pid(), tids, &why);
  if (!truth) {
    if (waitprof_test::running_in_ci()) FAIL() << why;
    GTEST_SKIP() << why;
  }

  const fs::path dir = fresh_dir("gdb");
  auto [code, out] = record_to_end({"--pid", std::to_string(shapes.pid()), "--duration", "3",
                             "--thread-labels", "--profiles", "offcpu,block", "--output",
                             dir.string()});
  ASSERT_EQ(code, 0) << out;
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  // block: every futex wait (lock holds only the lock waits).
  ProfileQuery block((dir / "block.pb.gz").string());
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  ASSERT_TRUE(block.ok()) << block.error();

  // Per role, the share of its blocked time (offcpu, state sleeping: a thread preempted
  // somewhere between waits is somewhere else, rightly) and of its futex waits whose stack
  // equals gdb's: at least 99% of each.
  for (const auto& [role, leaf] : kWaitLeaf) {
    const std::string tid = std::to_string(tids.at(role));
    const std::vector<GdbFrame>& gdb = truth->at(tids.at(role));
    for (ProfileQuery* p : {&offcpu, &block}) {
      const bool is_futex = p == &block;
      auto mine = [&](const QueriedSample& s) {
        return s.labels.at("tid") == tid && (is_futex || s.labels.at("state") == "sleeping");
      };
      const int64_t total = p->total("delay", mine);
      if (is_futex && total == 0 && (role == "writer" || role == "sleeper")) continue;  // no futex
      const int64_t equal =
          p->total("delay", [&](const QueriedSample& s) { return mine(s) && same_stack(gdb, s); });
      ASSERT_GT(total, 0) << role << " has no " << (is_futex ? "block" : "offcpu") << " samples";
      const double share = static_cast<double>(equal) / static_cast<double>(total);
      printf("measured: %s %s: %.4f of %.3f s equals gdb's %zu frames\n", role.c_str(),
             is_futex ? "block" : "offcpu", share, static_cast<double>(total) / 1e9, gdb.size());
      std::string seen;
      for (const QueriedSample& s : p->samples()) {
        if (mine(s) && !same_stack(gdb, s)) seen += describe(s.addresses, s.functions) + "\n  ---";
      }
      EXPECT_GE(share, 0.99) << role << ": gdb says" << describe(gdb)
                             << "\n  waitprof's other stacks:" << seen;
      if (is_futex) {
        // And called what it is: at least 99% of it (the first waits after the attach may be
        // walked short, and a short stack does not say).
        const std::string& kind = kWaitKind.at(role);
        const int64_t named = p->total("delay", [&](const QueriedSample& s) {
          return mine(s) && s.labels.at("wait") == kind;
        });
        EXPECT_GE(static_cast<double>(named), 0.99 * static_cast<double>(total))
            << role << " " << kind;
      }
    }
  }

  // The holder waits in two places (its nanosleep under the lock, and now and then for the lock
  // itself): the one gdb saw must be among its stacks, with most of its blocked time.
  const std::string holder = std::to_string(tids.at("holder"));
  const int64_t holder_total = offcpu.total("delay", [&](const QueriedSample& s) {
    return s.labels.at("tid") == holder && s.labels.at("state") == "sleeping";
  });
  const int64_t holder_equal = offcpu.total("delay", [&](const QueriedSample& s) {
    return s.labels.at("tid") == holder && same_stack(truth->at(tids.at("holder")), s);
  });
  EXPECT_GT(static_cast<double>(holder_equal), 0.5 * static_cast<double>(holder_total))
      << "holder: gdb says" << describe(truth->at(tids.at("holder")));

  // Every frame of every stack has a name: a function, or where symbols have none, the module
  // and offset; never a bare address.
  for (ProfileQuery* p : {&offcpu, &block}) {
    for (const QueriedSample& s : p->samples()) {
      for (const std::string& f : s.functions) {
        EXPECT_NE(f, "?") << describe(s.addresses, s.functions);
        EXPECT_NE(f.rfind("0x", 0), 0u) << describe(s.addresses, s.functions);
      }
    }
  }
  // And the summary's own count: stacks that end at the thread's entry (CFI's mark on clone3
  // and _start), at least 95% of each profile's value (here all of it should).
  const nlohmann::json summary = read_json(dir / "summary.json");
  for (const char* name : {"offcpu", "block"}) {
    const double entry =
        summary["profiles"][name]["user_stacks_reaching_thread_entry_share"].get<double>();
    printf("measured: %s: %.4f of the value reaches the thread entry\n", name, entry);
    EXPECT_GE(entry, 0.95) << name;
  }
  fs::remove_all(dir);
}

// `record -- COMMAND`: a program exec'd twice (sh, then the program), with libraries the loader
// maps after exec, gone before the export: every frame is named and its waits reach their
// thread's entry; waitprof exits with the program's status.
TEST(ExactStacks, AProgramExecdAndGoneBeforeTheExportIsFullyNamed) {
  REQUIRE_ROOT_OR_SKIP();
  const fs::path dir = fresh_dir("exec");
  auto [code, out] = record_to_end({"--thread-labels", "--profiles", "offcpu,lock", "--output",
                             dir.string(), "--", "/bin/sh", "-c",
                             std::string("exec ") + UNWIND_SHAPES_PATH +
                                 " --exit-after-ms 1500 > /dev/null"});
  ASSERT_EQ(code, 0) << out;
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  int64_t chain_delay = 0, program_delay = 0, unnamed_delay = 0;
  for (const QueriedSample& s : offcpu.samples()) {
    if (s.labels.at("process") != "unwind_shapes") continue;
    program_delay += s.values[1];
    // Waits that ended in the first milliseconds after an exec, before user space had read
    // the new image's maps and built its tables, were walked by frame pointers through code
    // that has none, or ran in sh's image and resolve against the program's: their frames
    // can be garbage. Long waits open then are walked again (rewalk_waits) and are exact.
    const bool unnamed = std::any_of(s.functions.begin(), s.functions.end(), [](const std::string& f) {
      return f == "?" || f.rfind("0x", 0) == 0;
    });
    if (unnamed) {
      unnamed_delay += s.values[1];
      printf("unnamed: %.3f ms:%s\n", static_cast<double>(s.values[1]) / 1e6,
             describe(s.addresses, s.functions).c_str());
    }
    // The library the program's loader mapped after exec.
    if (waitprof_test::has_call_chain(s.functions, {"chain::middle_b", "chain::outer_a"})) {
      chain_delay += s.values[1];
    }
  }
  printf("measured: %.3f s of unwind_shapes' waits through libunwind_chain.so\n",
         static_cast<double>(chain_delay) / 1e9);
  // Tolerance 1% of the program's off-CPU time for those first milliseconds.
  printf("measured: %.5f of unwind_shapes' off-CPU time has an unnamed frame\n",
         static_cast<double>(unnamed_delay) / static_cast<double>(program_delay));
  EXPECT_LE(static_cast<double>(unnamed_delay), 0.01 * static_cast<double>(program_delay));
  EXPECT_GT(chain_delay, 1'000'000'000) << out;
  const nlohmann::json summary = read_json(dir / "summary.json");
  const double entry =
      summary["profiles"]["offcpu"]["user_stacks_reaching_thread_entry_share"].get<double>();
  printf("measured: offcpu: %.4f of the value reaches the thread entry\n", entry);
  EXPECT_GE(entry, 0.95);

  // The exit status is the program's.
  auto [failed, failed_out] = record_to_end({"--output", dir.string(), "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(failed, 7) << failed_out;
  auto [missing, missing_out] = record_to_end({"--output", dir.string(), "--", "/nonexistent/program"});
  EXPECT_EQ(missing, 127) << missing_out;
  EXPECT_NE(missing_out.find("cannot run /nonexistent/program"), std::string::npos)
      << missing_out;
  fs::remove_all(dir);
}

}  // namespace
