#include "pprof/profile_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "demo_profile.h"
#include "pprof/profile_check.h"

namespace {

namespace pb = perftools::profiles;
using waitprof::Frame;
using waitprof::Label;
using waitprof::Module;
using waitprof::ProfileBuilder;
using waitprof::ProfileHeader;
using waitprof_test::line;

// Reads string-table indices back, so assertions talk about names, not numbers.
struct View {
  const pb::Profile& p;
  const std::string& s(int64_t i) const { return p.string_table(static_cast<int>(i)); }
  const pb::Location& location(uint64_t id) const {
    for (const auto& l : p.location()) {
      if (l.id() == id) return l;
    }
    throw std::out_of_range("no location " + std::to_string(id));
  }
  const pb::Function& function(uint64_t id) const {
    for (const auto& f : p.function()) {
      if (f.id() == id) return f;
    }
    throw std::out_of_range("no function " + std::to_string(id));
  }
  const pb::Mapping& mapping(uint64_t id) const {
    for (const auto& m : p.mapping()) {
      if (m.id() == id) return m;
    }
    throw std::out_of_range("no mapping " + std::to_string(id));
  }
  // Each location of a sample as "fn1>fn2" (innermost first), or "0xADDR" with no lines.
  std::vector<std::string> stack(const pb::Sample& sample) const {
    std::vector<std::string> out;
    for (uint64_t id : sample.location_id()) {
      const pb::Location& loc = location(id);
      std::string names;
      for (const auto& ln : loc.line()) {
        names += (names.empty() ? "" : ">") + s(function(ln.function_id()).name());
      }
      if (names.empty()) {
        std::ostringstream hex;
        hex << "0x" << std::hex << loc.address();
        names = hex.str();
      }
      out.push_back(names);
    }
    return out;
  }
  std::vector<std::string> labels(const pb::Sample& sample) const {
    std::vector<std::string> out;
    for (const auto& l : sample.label()) {
      out.push_back(s(l.key()) + "=" +
                    (l.str() ? s(l.str()) : std::to_string(l.num()) + s(l.num_unit())));
    }
    return out;
  }
};

ProfileHeader one_value() {
  ProfileHeader h;
  h.sample_types = {{"delay", "nanoseconds"}};
  return h;
}

std::vector<int64_t> values(const pb::Sample& s) {
  return {s.value().begin(), s.value().end()};
}

TEST(ProfileBuilder, DemoProfileHasExpectedShape) {
  const pb::Profile p = waitprof_test::demo_builder().build();
  const View v{p};
  ASSERT_TRUE(waitprof::check_profile(p)) << waitprof::check_profile(p).error().message;

  EXPECT_EQ(p.string_table(0), "");
  const std::set<std::string> unique(p.string_table().begin(), p.string_table().end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(p.string_table_size())) << "strings deduplicated";

  ASSERT_EQ(p.sample_type_size(), 2);
  EXPECT_EQ(v.s(p.sample_type(0).type()), "contentions");
  EXPECT_EQ(v.s(p.sample_type(0).unit()), "count");
  EXPECT_EQ(v.s(p.sample_type(1).type()), "delay");
  EXPECT_EQ(v.s(p.sample_type(1).unit()), "nanoseconds");
  EXPECT_EQ(v.s(p.default_sample_type()), "delay");
  EXPECT_EQ(v.s(p.period_type().type()), "contentions");
  EXPECT_EQ(p.period(), 1);
  EXPECT_EQ(p.time_nanos(), 1700000000000000000);
  EXPECT_EQ(p.duration_nanos(), 5000000000);
  ASSERT_EQ(p.comment_size(), 1);
  EXPECT_EQ(v.s(p.comment(0)), "waitprof demo");

  // Samples in first-insertion order; the two lock/worker-1 samples merged.
  ASSERT_EQ(p.sample_size(), 4);
  const std::vector<std::string> lock{"futex_wait_queue",
                                      "std::mutex::lock()>tsrv::LockedRng::next_index()", "main"};
  EXPECT_EQ(v.stack(p.sample(0)), lock);
  EXPECT_EQ(values(p.sample(0)), (std::vector<int64_t>{3, 3000}));
  EXPECT_EQ(v.labels(p.sample(0)), (std::vector<std::string>{"thread=worker-1", "tid=101"}));
  EXPECT_EQ(v.stack(p.sample(1)), (std::vector<std::string>{"tsrv::ProductPool::take()", "main"}));
  EXPECT_EQ(v.labels(p.sample(1)),
            (std::vector<std::string>{"request_size=2048bytes", "thread=worker-2", "tid=102"}));
  EXPECT_EQ(v.stack(p.sample(2)), lock);
  EXPECT_EQ(values(p.sample(2)), (std::vector<int64_t>{4, 40000}));
  EXPECT_EQ(v.stack(p.sample(3)), std::vector<std::string>{"0xdeadbeef"});
  EXPECT_TRUE(p.sample(3).label().empty());

  // Locations shared between stacks: 5 distinct addresses.
  EXPECT_EQ(p.location_size(), 5);
  EXPECT_EQ(p.sample(0).location_id(2), p.sample(1).location_id(1)) << "main shared";
  const pb::Location& unmapped = v.location(p.sample(3).location_id(0));
  EXPECT_EQ(unmapped.mapping_id(), 0u);
  EXPECT_EQ(unmapped.address(), 0xdeadbeefu);
  EXPECT_TRUE(unmapped.line().empty());

  // The inlined location keeps pprof's order and line numbers, and functions keep both names.
  const pb::Location& inl = v.location(p.sample(0).location_id(1));
  ASSERT_EQ(inl.line_size(), 2);
  EXPECT_EQ(inl.address(), 0x401100u);
  EXPECT_EQ(inl.line(0).line(), 100);
  EXPECT_EQ(inl.line(1).line(), 42);
  const pb::Function& lock_fn = v.function(inl.line(0).function_id());
  EXPECT_EQ(v.s(lock_fn.name()), "std::mutex::lock()");
  EXPECT_EQ(v.s(lock_fn.system_name()), "_ZNSt5mutex4lockEv");
  EXPECT_EQ(v.s(lock_fn.filename()), "/usr/include/c++/12/bits/std_mutex.h");
  EXPECT_EQ(lock_fn.start_line(), 98);
  EXPECT_EQ(p.function_size(), 5);
}

TEST(ProfileBuilder, MappingsCarryModuleFieldsAndMainBinaryComesFirst) {
  const pb::Profile p = waitprof_test::demo_builder().build();
  const View v{p};
  ASSERT_EQ(p.mapping_size(), 2);
  // The kernel frame was seen first (ID 1), but the program is listed first for readers.
  const pb::Mapping& bin = p.mapping(0);
  EXPECT_EQ(bin.id(), 2u);
  EXPECT_EQ(v.s(bin.filename()), "/usr/bin/target-server");
  EXPECT_EQ(v.s(bin.build_id()), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(bin.memory_start(), 0x400000u);
  EXPECT_EQ(bin.memory_limit(), 0x500000u);
  EXPECT_EQ(bin.file_offset(), 0x1000u);
  EXPECT_TRUE(bin.has_functions() && bin.has_filenames() && bin.has_line_numbers() &&
              bin.has_inline_frames());
  const pb::Mapping& kernel = p.mapping(1);
  EXPECT_EQ(kernel.id(), 1u);
  EXPECT_EQ(v.s(kernel.filename()), "[kernel.kallsyms]");
  EXPECT_EQ(kernel.memory_start(), 0xffffffff81000000u);
  EXPECT_TRUE(kernel.has_functions());
  EXPECT_FALSE(kernel.has_filenames() || kernel.has_line_numbers() || kernel.has_inline_frames());
  EXPECT_EQ(v.location(p.sample(0).location_id(0)).mapping_id(), 1u);
  EXPECT_EQ(v.location(p.sample(0).location_id(1)).mapping_id(), 2u);
}

TEST(ProfileBuilder, SharedLibrariesAndPseudoFilesAreNotTakenForTheMainBinary) {
  auto module = [](const char* path, uint64_t start) {
    auto m = std::make_shared<Module>();
    m->path = path;
    m->start = start;
    m->limit = start + 0x1000;
    return m;
  };
  ProfileBuilder b(one_value());
  const std::vector<Frame> stack{
      {0x7f0000000010, module("/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000000000), {}},
      {0x7f1000000010, module("[vdso]", 0x7f1000000000), {}},
      {0x7f2000000010, module("/opt/libfoo.so", 0x7f2000000000), {}},
      {0x500010, module("/usr/bin/app", 0x500000), {}},
      {0x600010, module("/usr/bin/other", 0x600000), {}}};
  const int64_t one[] = {1};
  b.add_sample(stack, one, {});
  const pb::Profile p = std::move(b).build();
  std::vector<uint64_t> order;
  for (const auto& m : p.mapping()) order.push_back(m.id());
  EXPECT_EQ(order, (std::vector<uint64_t>{4, 1, 2, 3, 5}));
}

TEST(ProfileBuilder, MappingsDedupByModuleObjectOrByIdenticalFields) {
  auto a1 = std::make_shared<Module>(Module{"/bin/a", "aa", 0x1000, 0x2000, 0, true});
  auto a2 = std::make_shared<Module>(Module{"/bin/a", "aa", 0x1000, 0x2000, 0, false, true});
  auto a_other_range = std::make_shared<Module>(Module{"/bin/a", "aa", 0x5000, 0x6000, 0});
  ProfileBuilder b(one_value());
  const int64_t one[] = {1};
  b.add_sample(std::vector<Frame>{{0x1010, a1, {}}, {0x1020, a1, {}}}, one, {});
  b.add_sample(std::vector<Frame>{{0x1010, a2, {}}}, one, {});
  b.add_sample(std::vector<Frame>{{0x5010, a_other_range, {}}}, one, {});
  const pb::Profile p = std::move(b).build();
  ASSERT_EQ(p.mapping_size(), 2);
  // a1 and a2 describe the same mapping: one Mapping, knowing what either knew.
  EXPECT_TRUE(p.mapping(0).has_functions());
  EXPECT_TRUE(p.mapping(0).has_filenames());
  // Same mapping and address: the same Location, so samples 0 and 1 share it.
  EXPECT_EQ(p.location_size(), 3);
  EXPECT_EQ(p.sample(0).location_id(0), p.sample(1).location_id(0));
}

TEST(ProfileBuilder, LocationsDifferByMappingEvenAtTheSameAddress) {
  auto a = std::make_shared<Module>(Module{"/bin/a", "", 0x1000, 0x2000, 0});
  auto b_mod = std::make_shared<Module>(Module{"/bin/b", "", 0x1000, 0x2000, 0});
  ProfileBuilder b(one_value());
  const int64_t one[] = {1};
  b.add_sample(std::vector<Frame>{{0x1010, a, {}}, {0x1010, b_mod, {}}, {0x1010, nullptr, {}}}, one,
               {});
  const pb::Profile p = std::move(b).build();
  EXPECT_EQ(p.location_size(), 3);
  EXPECT_EQ(p.location(2).mapping_id(), 0u);
}

TEST(ProfileBuilder, FunctionsDedupByNameSystemNameFileAndStartLine) {
  auto m = waitprof_test::demo_binary();
  ProfileBuilder b(one_value());
  const int64_t one[] = {1};
  b.add_sample(
      std::vector<Frame>{
          {0x401000, m, {line("f", "_Z1fv", "a.cc", 10, 9)}},
          {0x401004, m, {line("f", "_Z1fv", "a.cc", 11, 9)}},   // same function
          {0x401008, m, {line("f", "_Z1fv", "a.cc", 20, 19)}},  // other start_line
          {0x40100c, m, {line("f", "_Z1fv", "b.cc", 10, 9)}},   // other file
          {0x401010, m, {line("f", "_Z1fi", "a.cc", 10, 9)}},   // overload
          {0x401014, m, {line("", "_Z1gv", "", 0, 0)}},         // no demangled name
      },
      one, {});
  const pb::Profile p = std::move(b).build();
  const View v{p};
  EXPECT_EQ(p.location_size(), 6);
  ASSERT_EQ(p.function_size(), 5);
  EXPECT_EQ(p.location(0).line(0).function_id(), p.location(1).line(0).function_id());
  EXPECT_EQ(p.location(1).line(0).line(), 11);
  EXPECT_EQ(v.s(p.function(4).name()), "_Z1gv") << "symbol stands in for a missing name";
}

TEST(ProfileBuilder, MergesOnlyIdenticalStacksAndLabels) {
  auto m = waitprof_test::demo_binary();
  const Frame f{0x401000, m, {line("f", "f", "", 0, 0)}};
  const Frame g{0x402000, m, {line("g", "g", "", 0, 0)}};
  ProfileHeader h;
  h.sample_types = {{"contentions", "count"}, {"delay", "nanoseconds"}};
  ProfileBuilder b(h);
  const std::vector<Frame> fg{f, g}, gf{g, f}, f_only{f};
  const std::vector<Label> x{Label::string("thread", "x"), Label::number("tid", 1)};
  const std::vector<Label> x_reordered{Label::number("tid", 1), Label::string("thread", "x")};
  const std::vector<Label> y{Label::string("thread", "y"), Label::number("tid", 1)};
  const std::vector<Label> x_in_us{Label::string("thread", "x"), Label::number("tid", 1, "us")};
  const int64_t v1[] = {1, 10}, v2[] = {2, 20};
  b.add_sample(fg, v1, x);            // 0
  b.add_sample(fg, v2, x_reordered);  // merges into 0: label order does not matter
  b.add_sample(gf, v1, x);            // 1: same frames, other order
  b.add_sample(f_only, v1, x);        // 2: a suffix is a different stack
  b.add_sample(fg, v1, y);            // 3: other label value
  b.add_sample(fg, v1, x_in_us);      // 4: other unit
  b.add_sample(fg, v1, {});           // 5: no labels
  b.add_sample(fg, v2, {});           // merges into 5
  b.add_sample({}, v1, {});           // 6: empty stack is allowed
  const pb::Profile p = std::move(b).build();
  ASSERT_EQ(p.sample_size(), 7);
  EXPECT_EQ(values(p.sample(0)), (std::vector<int64_t>{3, 30}));
  EXPECT_EQ(values(p.sample(1)), (std::vector<int64_t>{1, 10}));
  EXPECT_EQ(values(p.sample(5)), (std::vector<int64_t>{3, 30}));
  EXPECT_TRUE(p.sample(6).location_id().empty());
  EXPECT_TRUE(waitprof::check_profile(p));
}

TEST(ProfileBuilder, LabelsAreStringOrNumericWithOptionalUnit) {
  ProfileBuilder b(one_value());
  const int64_t one[] = {1};
  // A string label's num/num_unit are not part of it: they neither appear nor split samples.
  const std::vector<Label> labels{Label::number("size", 4096, "bytes"), Label::number("cpu", 3),
                                  Label{"comm", "nginx", 99, "junk"}};
  b.add_sample({}, one, labels);
  b.add_sample({}, one,
               std::vector<Label>{Label::number("cpu", 3), Label::string("comm", "nginx"),
                                  Label::number("size", 4096, "bytes")});
  const pb::Profile p = std::move(b).build();
  const View v{p};
  ASSERT_EQ(p.sample_size(), 1);
  const pb::Sample& s = p.sample(0);
  EXPECT_EQ(s.value(0), 2);
  ASSERT_EQ(s.label_size(), 3);
  // Sorted by key.
  EXPECT_EQ(v.s(s.label(0).key()), "comm");
  EXPECT_EQ(v.s(s.label(0).str()), "nginx");
  EXPECT_EQ(s.label(0).num(), 0);
  EXPECT_EQ(s.label(0).num_unit(), 0);
  EXPECT_EQ(v.s(s.label(1).key()), "cpu");
  EXPECT_EQ(s.label(1).str(), 0);
  EXPECT_EQ(s.label(1).num(), 3);
  EXPECT_EQ(s.label(1).num_unit(), 0);
  EXPECT_EQ(v.s(s.label(2).key()), "size");
  EXPECT_EQ(s.label(2).num(), 4096);
  EXPECT_EQ(v.s(s.label(2).num_unit()), "bytes");
}

TEST(ProfileBuilder, RejectsSamplesWithTheWrongNumberOfValues) {
  ProfileBuilder b(one_value());
  const int64_t two[] = {1, 2}, one[] = {5};
  b.add_sample({}, two, {});
  b.add_sample({}, {}, {});
  b.add_sample({}, one, {});
  EXPECT_EQ(b.rejected_samples(), 2u);
  const pb::Profile p = std::move(b).build();
  ASSERT_EQ(p.sample_size(), 1);
  EXPECT_EQ(p.sample(0).value(0), 5);
}

TEST(ProfileBuilder, SaturatesInsteadOfOverflowing) {
  ProfileBuilder b(one_value());
  const int64_t big[] = {INT64_MAX - 1};
  b.add_sample({}, big, {});
  b.add_sample({}, big, {});
  EXPECT_EQ(std::move(b).build().sample(0).value(0), INT64_MAX);
}

TEST(ProfileBuilder, EmptyHeaderFieldsStayUnset) {
  const pb::Profile p = ProfileBuilder(one_value()).build();
  EXPECT_EQ(p.string_table_size(), 3);  // "", "delay", "nanoseconds"
  EXPECT_EQ(p.default_sample_type(), 0);
  EXPECT_FALSE(p.has_period_type());
  EXPECT_EQ(p.sample_size(), 0);
  EXPECT_TRUE(waitprof::check_profile(p));
}

// Modules may be freed by the symbolizer; the builder keeps the ones it has seen alive, so a
// new Module at a recycled address can never be mistaken for an old one.
TEST(ProfileBuilder, KeepsModulesAliveWhileBuilding) {
  ProfileBuilder b(one_value());
  const int64_t one[] = {1};
  std::weak_ptr<const Module> weak;
  {
    auto m = std::make_shared<Module>(Module{"/bin/first", "", 0x1000, 0x2000, 0});
    weak = m;
    b.add_sample(std::vector<Frame>{{0x1010, m, {}}}, one, {});
  }
  EXPECT_FALSE(weak.expired());
  auto second = std::make_shared<Module>(Module{"/bin/second", "", 0x1000, 0x2000, 0});
  b.add_sample(std::vector<Frame>{{0x1010, second, {}}}, one, {});
  EXPECT_EQ(std::move(b).build().mapping_size(), 2);
}

}  // namespace
