// Profile → tree of frames → folded stacks: what every output is drawn from.
#include "flamegraph/stack_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "fixture_profile.h"
#include "flamegraph/flamegraph.h"
#include "flamegraph/folded.h"
#include "pprof/profile_builder.h"

namespace {

using waitprof::FlamegraphOptions;
using waitprof::Frame;
using waitprof::StackNode;
using waitprof::StackTree;
using waitprof_test::fixture_frame;
using waitprof_test::fixture_module;
namespace pb = perftools::profiles;

// name path ("main;serve") → node, for checking values.
std::map<std::string, const StackNode*> by_path(const StackTree& tree) {
  std::map<std::string, const StackNode*> out;
  std::vector<std::pair<int32_t, std::string>> todo{{0, ""}};
  while (!todo.empty()) {
    auto [i, path] = todo.back();
    todo.pop_back();
    out[path] = &tree.node(i);
    for (int32_t c : tree.node(i).children) {
      todo.emplace_back(
          c, path.empty() ? tree.name(tree.node(c)) : path + ";" + tree.name(tree.node(c)));
    }
  }
  return out;
}

std::string folded(const pb::Profile& p, const std::string& index = "") {
  FlamegraphOptions o;
  o.sample_index = index;
  auto r = waitprof::render_folded(p, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : "";
}

TEST(StackTree, FixtureValuesAddUpAlongEveryPath) {
  const pb::Profile p = waitprof_test::fixture_profile();
  const StackTree tree = StackTree::build(p, 1);
  EXPECT_EQ(tree.total(), waitprof_test::kFixtureTotalNs);
  auto nodes = by_path(tree);
  ASSERT_EQ(nodes.size(), 12u);
  EXPECT_EQ(nodes["main"]->total, waitprof_test::kFixtureTotalNs);
  EXPECT_EQ(nodes["main"]->self, 0);
  EXPECT_EQ(nodes["main;serve"]->total, 4'750'001'000);
  EXPECT_EQ(nodes["main;serve;handle_request"]->total, 4'000'000'000);
  EXPECT_EQ(nodes["main;serve;accept_loop"]->total, 750'001'000);
  EXPECT_EQ(nodes["main;serve;accept_loop;tiny_frame"]->self, 1'000);
  EXPECT_EQ(nodes["main;tsrv::Worker<std::map<int, int>>::run() &&"]->self, 250'000'000);
  // The inlined function is a frame of its own, above the one it was inlined into.
  const StackNode* lock =
      nodes["main;serve;handle_request;tsrv::LockedRng::next_index();std::mutex::lock()"];
  ASSERT_NE(lock, nullptr);
  EXPECT_EQ(lock->total, 3'000'000'000);
  EXPECT_EQ(lock->depth, 5);
  EXPECT_EQ(tree.max_depth(), 6);
  // Children are in name order.
  std::vector<std::string> serve_children;
  for (int32_t c : nodes["main;serve"]->children) serve_children.push_back(tree.name(tree.node(c)));
  EXPECT_THAT(serve_children, ::testing::ElementsAre("accept_loop", "handle_request"));
}

TEST(StackTree, FoldedOutputIsExact) {
  const pb::Profile p = waitprof_test::fixture_profile();
  EXPECT_EQ(folded(p),
            "main;serve;accept_loop;epoll_wait 750000000\n"
            "main;serve;accept_loop;tiny_frame 1000\n"
            "main;serve;handle_request;render_json 1000000000\n"
            "main;serve;handle_request;tsrv::LockedRng::next_index();std::mutex::lock();"
            "futex_wait 3000000000\n"
            "main;tsrv::Worker<std::map<int, int>>::run() && 250000000\n");
  // Contentions by name and by number give the same lines with the counts.
  const std::string counts = folded(p, "contentions");
  EXPECT_EQ(counts, folded(p, "0"));
  EXPECT_THAT(counts, ::testing::HasSubstr("main;serve;handle_request;render_json 10\n"));
  EXPECT_THAT(counts, ::testing::HasSubstr("main;serve;accept_loop;tiny_frame 1\n"));
}

TEST(StackTree, SamplesWithTheSameNamesMergeAndZeroOrNegativeValuesAreLeftOut) {
  auto bin = fixture_module("/bin/x", 0x400000);
  waitprof::ProfileHeader h;
  h.sample_types = {{"delay", "nanoseconds"}};
  waitprof::ProfileBuilder b(h);
  // Two addresses in the same function are two Locations but one frame.
  const Frame a1 = fixture_frame(bin, 0x401000, {"f"}), a2 = fixture_frame(bin, 0x401008, {"f"});
  const Frame root = fixture_frame(bin, 0x402000, {"main"});
  const std::vector<waitprof::Label> t1{waitprof::Label::string("thread", "a")};
  const std::vector<waitprof::Label> t2{waitprof::Label::string("thread", "b")};
  const int64_t v5[] = {5}, v7[] = {7}, v0[] = {0}, neg[] = {-3};
  b.add_sample(std::vector<Frame>{a1, root}, v5, t1);
  b.add_sample(std::vector<Frame>{a2, root}, v7, t2);
  b.add_sample(std::vector<Frame>{root}, v0, t1);
  b.add_sample(std::vector<Frame>{root}, neg, t2);
  const pb::Profile p = std::move(b).build();
  const StackTree tree = StackTree::build(p, 0);
  EXPECT_EQ(tree.total(), 12);
  EXPECT_EQ(tree.skipped_samples(), 1);
  EXPECT_EQ(folded(p), "main;f 12\n");
  auto svg = waitprof::render_svg(p, {});
  ASSERT_TRUE(svg);
  EXPECT_THAT(*svg, ::testing::HasSubstr(">Total delay: 12 ns (1 negative samples not drawn)<"));
}

TEST(StackTree, FramesWithoutNamesUseModuleOffsetOrAddress) {
  auto libc = fixture_module("/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000000000);
  waitprof::ProfileHeader h;
  h.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
  waitprof::ProfileBuilder b(h);
  const Frame in_libc{0x7f0000000234, libc, {}};
  const Frame nowhere{0xdeadbeef, nullptr, {}};
  const Frame main_f = fixture_frame(fixture_module("/bin/x", 0x400000), 0x401000, {"main"});
  const int64_t v[] = {1, 10};
  b.add_sample(std::vector<Frame>{in_libc, main_f}, v, {});
  b.add_sample(std::vector<Frame>{nowhere}, v, {});
  // file offset = address - start + mapping's file offset (0x1000).
  EXPECT_EQ(folded(std::move(b).build()), "0xdeadbeef 10\nmain;libc.so.6+0x1234 10\n");
}

TEST(StackTree, SemicolonsAndLineBreaksInNamesCannotBreakFoldedLines) {
  waitprof::ProfileHeader h;
  h.sample_types = {{"samples", "count"}};
  waitprof::ProfileBuilder b(h);
  auto bin = fixture_module("/bin/x", 0x400000);
  const Frame odd = fixture_frame(bin, 0x401000, {"ns::f<a;b>(char const*)\nx\ty"});
  const int64_t v[] = {3};
  b.add_sample(std::vector<Frame>{odd}, v, {});
  EXPECT_EQ(folded(std::move(b).build()), "ns::f<a:b>(char const*) x y 3\n");
}

TEST(StackTree, FunctionWithoutANameFallsBackToItsSystemName) {
  waitprof::ProfileHeader h;
  h.sample_types = {{"samples", "count"}};
  waitprof::ProfileBuilder b(h);
  Frame f{
      0x401000, fixture_module("/bin/x", 0x400000), {waitprof::SourceLine{"", "_Z1fv", "", 0, 0}}};
  const int64_t v[] = {2};
  b.add_sample(std::vector<Frame>{f}, v, {});
  EXPECT_EQ(folded(std::move(b).build()), "_Z1fv 2\n");
}

TEST(StackTree, FoldedValuesAddUpToTheTotal) {
  const pb::Profile p = waitprof_test::fixture_profile();
  std::istringstream in(folded(p));
  int64_t sum = 0;
  for (std::string line; std::getline(in, line);)
    sum += std::stoll(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(sum, waitprof_test::kFixtureTotalNs);
}

}  // namespace
