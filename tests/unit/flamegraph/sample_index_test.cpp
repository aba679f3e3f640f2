#include "flamegraph/sample_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_profile.h"
#include "pprof/profile_builder.h"

namespace {

using ::testing::HasSubstr;
using waitprof::select_sample_index;
namespace pb = perftools::profiles;

pb::Profile with_types(std::vector<waitprof::ValueType> types, std::string default_type = "") {
  waitprof::ProfileHeader h;
  h.sample_types = std::move(types);
  h.default_sample_type = std::move(default_type);
  return waitprof::ProfileBuilder(h).build();
}

TEST(SampleIndex, DefaultIsTheProfilesDefaultSampleType) {
  const pb::Profile p = with_types({{"delay", "nanoseconds"}, {"contentions", "count"}}, "delay");
  auto i = select_sample_index(p, "");
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_EQ(i->index, 0);
  EXPECT_EQ(i->type, "delay");
  EXPECT_EQ(i->unit, "nanoseconds");
}

TEST(SampleIndex, WithoutADefaultTheLastSampleTypeIsShown) {
  // Go's CPU profiles: samples/count, cpu/nanoseconds and no default.
  const pb::Profile p = with_types({{"samples", "count"}, {"cpu", "nanoseconds"}});
  auto i = select_sample_index(p, "");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->index, 1);
  EXPECT_EQ(i->type, "cpu");
}

TEST(SampleIndex, ADefaultNamingNoSampleTypeFallsBackToTheLast) {
  pb::Profile p = with_types({{"samples", "count"}, {"cpu", "nanoseconds"}});
  p.add_string_table("nonesuch");
  p.set_default_sample_type(p.string_table_size() - 1);
  auto i = select_sample_index(p, "");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->type, "cpu");
}

TEST(SampleIndex, ByNameOrByNumber) {
  const pb::Profile p = waitprof_test::fixture_profile();
  auto by_name = select_sample_index(p, "contentions");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->index, 0);
  EXPECT_EQ(by_name->unit, "count");
  auto by_number = select_sample_index(p, "1");
  ASSERT_TRUE(by_number);
  EXPECT_EQ(by_number->type, "delay");
}

TEST(SampleIndex, UnknownNamesAndOutOfRangeNumbersListWhatThereIs) {
  const pb::Profile p = waitprof_test::fixture_profile();
  for (const char* wanted : {"bytes", "2", "-1", "99999999999999", "1x"}) {
    auto i = select_sample_index(p, wanted);
    ASSERT_FALSE(i) << wanted;
    EXPECT_EQ(i.error().message, "unknown sample index \"" + std::string(wanted) +
                                     "\": the profile has 0=contentions/count, "
                                     "1=delay/nanoseconds");
  }
}

TEST(SampleIndex, AProfileWithoutSampleTypesHasNothingToDraw) {
  auto i = select_sample_index(with_types({}), "");
  ASSERT_FALSE(i);
  EXPECT_THAT(i.error().message, HasSubstr("no sample types"));
}

}  // namespace
