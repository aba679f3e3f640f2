// `waitprof diff`: two profiles whose every stack and value is known, compared per 60 s of
// recording, and the CI gate's two rules (total growth in percent, share growth in points).
#include "diff/profile_diff.h"

#include <gtest/gtest.h>

#include <cmath>

#include "pprof/profile_builder.h"
#include "support/delay_profile.h"

namespace {

using waitprof::Frame;

Frame frame(uint64_t address, const char* function) {
  auto m = std::make_shared<waitprof::Module>();
  m->path = "/usr/bin/server";
  m->start = 0x400000;
  m->limit = 0x500000;
  return Frame{address, m, {waitprof::SourceLine{function, function, "", 0, 0}}};
}

struct Stack {
  std::vector<Frame> frames;  // leaf first
  int64_t delay;
};

// A block-like profile recorded for `seconds`.
perftools::profiles::Profile profile(const std::vector<Stack>& stacks, double seconds,
                                     const char* value = "delay") {
  waitprof::ProfileHeader h =
      waitprof_test::delay_profile_header(static_cast<int64_t>(seconds * 1e9));
  h.sample_types[1].type = value;
  h.default_sample_type = value;
  waitprof::ProfileBuilder b(h);
  for (const Stack& s : stacks) {
    const int64_t values[] = {1, s.delay};
    b.add_sample(s.frames, values, {});
  }
  return std::move(b).build();
}

const Frame kMain = frame(0x401000, "main");
const Stack A(int64_t v) { return {{frame(0x401100, "lock_a"), kMain}, v}; }
const Stack B(int64_t v) { return {{frame(0x401200, "lock_b"), kMain}, v}; }
const Stack C(int64_t v) { return {{frame(0x401300, "lock_c"), kMain}, v}; }

TEST(ProfileDiff, ComparesPerMinuteOfRecordingStackByStack) {
  // BASE over 10 s: A 100, B 50 -> per 60 s A 600, B 300. NEW over 20 s: A 100, B 150, C 50
  // -> A 300, B 450, C 150. Same total per minute, different stacks.
  auto d = waitprof::diff_profiles(profile({A(100), B(50)}, 10),
                                         profile({A(100), B(150), C(50)}, 20), "", 5);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->per_minute);
  EXPECT_EQ(d->type, "delay");
  EXPECT_DOUBLE_EQ(d->base_total, 900);
  EXPECT_DOUBLE_EQ(d->next_total, 900);
  EXPECT_NEAR(d->total_change_pct, 0, 1e-9);
  ASSERT_EQ(d->grown.size(), 2u);
  EXPECT_EQ(d->grown[0].frames, (std::vector<std::string>{"lock_b", "main"}));  // +150, first
  EXPECT_EQ(d->grown[1].frames, (std::vector<std::string>{"lock_c", "main"}));  // +150
  EXPECT_DOUBLE_EQ(d->grown[1].base, 0);
  EXPECT_DOUBLE_EQ(d->grown[1].next, 150);
  ASSERT_EQ(d->shrunk.size(), 1u);
  EXPECT_EQ(d->shrunk[0].frames, (std::vector<std::string>{"lock_a", "main"}));
  EXPECT_NEAR(d->shrunk[0].base_share, 2.0 / 3, 1e-9);
  EXPECT_NEAR(d->shrunk[0].next_share, 1.0 / 3, 1e-9);
  // B's share grew most: 1/3 -> 1/2, 16.7 points.
  EXPECT_NEAR(d->max_share_growth_points, 100.0 / 6, 1e-9);
  EXPECT_EQ(d->max_share_growth_line, "lock_b <- main");
  const std::string report = waitprof::diff_report(*d, "base.pb.gz", "new.pb.gz");
  EXPECT_NE(report.find("delay per 60 s: 900 ns in base.pb.gz -> 900 ns in new.pb.gz (+0.0%)"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("lock_c <- main"), std::string::npos) << report;
}

TEST(ProfileDiff, GateFailsOnTotalGrowthOrShareGrowth) {
  auto same_stacks_more = waitprof::diff_profiles(profile({A(100)}, 10),
                                                        profile({A(130)}, 10), "", 5);
  ASSERT_TRUE(same_stacks_more);
  EXPECT_NEAR(same_stacks_more->total_change_pct, 30, 1e-9);
  EXPECT_EQ(waitprof::gate_failures(*same_stacks_more, 50).size(), 0u);
  ASSERT_EQ(waitprof::gate_failures(*same_stacks_more, 20).size(), 1u);  // total only
  EXPECT_NE(waitprof::gate_failures(*same_stacks_more, 20)[0].find("+30.0%"), std::string::npos);

  auto moved = waitprof::diff_profiles(profile({A(100), B(50)}, 10),
                                             profile({A(100), B(150), C(50)}, 20), "", 5);
  ASSERT_TRUE(moved);
  EXPECT_EQ(waitprof::gate_failures(*moved, 20).size(), 0u);  // 16.7 points < 20
  ASSERT_EQ(waitprof::gate_failures(*moved, 10).size(), 1u);  // share only
  EXPECT_NE(waitprof::gate_failures(*moved, 10)[0].find("lock_b <- main"), std::string::npos);

  // From nothing to something always grows past any gate.
  auto appeared = waitprof::diff_profiles(profile({}, 10), profile({C(5)}, 10), "", 5);
  ASSERT_TRUE(appeared);
  EXPECT_TRUE(std::isinf(appeared->total_change_pct));
  EXPECT_FALSE(waitprof::gate_failures(*appeared, 1000).empty());
}

TEST(ProfileDiff, RefusesProfilesOfDifferentKinds) {
  auto d = waitprof::diff_profiles(profile({A(1)}, 1, "cpu"), profile({A(1)}, 1), "", 5);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("one kind"), std::string::npos) << d.error().message;
}

TEST(ProfileDiff, WithoutDurationsComparesValuesAsRecorded) {
  auto d = waitprof::diff_profiles(profile({A(100)}, 0), profile({A(200)}, 10), "", 5);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->per_minute);
  EXPECT_NEAR(d->total_change_pct, 100, 1e-9);
  EXPECT_NE(waitprof::diff_report(*d, "a", "b").find("not per 60 s"), std::string::npos);
}

}  // namespace
