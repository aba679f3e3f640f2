#include "preflight.h"

#include <gtest/gtest.h>

namespace {

TEST(Preflight, ParsesEffectiveCapabilities) {
  auto caps = waitprof::parse_effective_caps(
      "Name:\tbash\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n");
  ASSERT_TRUE(caps);
  EXPECT_TRUE(*caps & (1ull << waitprof::kCapBpf));
  EXPECT_TRUE(*caps & (1ull << waitprof::kCapSysAdmin));

  auto none = waitprof::parse_effective_caps("CapEff:\t0000000000000000\n");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
}

TEST(Preflight, ReportsMissingCapabilityLine) {
  auto caps = waitprof::parse_effective_caps("Name:\tbash\n");
  ASSERT_FALSE(caps);
  EXPECT_NE(caps.error().message.find("CapEff"), std::string::npos);
}

TEST(Preflight, MissingBtfSaysWhatIsNeeded) {
  waitprof::Status s = waitprof::check_btf("/nonexistent/vmlinux");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("CONFIG_DEBUG_INFO_BTF"), std::string::npos);
}

}  // namespace
