#include "flamegraph/units.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

using waitprof::format_percent;
using waitprof::format_value;
using waitprof::with_thousands;

TEST(Units, ThousandsSeparators) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(1234567), "1,234,567");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
  EXPECT_EQ(with_thousands(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(Units, NanosecondsScaleToTheLargestUnitBelowTheValue) {
  EXPECT_EQ(format_value(0, "nanoseconds"), "0 ns");
  EXPECT_EQ(format_value(850, "nanoseconds"), "850 ns");
  EXPECT_EQ(format_value(1230, "nanoseconds"), "1.23 µs");
  EXPECT_EQ(format_value(45'600'000, "nanoseconds"), "45.6 ms");
  EXPECT_EQ(format_value(1'234'000'000, "nanoseconds"), "1.23 s");
  EXPECT_EQ(format_value(403'900'000'000, "nanoseconds"), "403.9 s");
  EXPECT_EQ(format_value(1'234'000'000'000, "nanoseconds"), "1,234 s");
  // Rounding that would print "1000.0 ms" moves up a unit instead.
  EXPECT_EQ(format_value(999'960'000, "nanoseconds"), "1.00 s");
  EXPECT_EQ(format_value(999'940'000, "nanoseconds"), "999.9 ms");
  EXPECT_EQ(format_value(-2'500'000, "nanoseconds"), "-2.50 ms");
}

TEST(Units, OtherTimeUnitsConvert) {
  EXPECT_EQ(format_value(1500, "microseconds"), "1.50 ms");
  EXPECT_EQ(format_value(250, "milliseconds"), "250.0 ms");
  EXPECT_EQ(format_value(90, "seconds"), "90.0 s");
}

TEST(Units, BytesUseBinaryPrefixes) {
  EXPECT_EQ(format_value(512, "bytes"), "512 B");
  EXPECT_EQ(format_value(1536, "bytes"), "1.50 KiB");
  EXPECT_EQ(format_value(47'815'065, "bytes"), "45.6 MiB");
  EXPECT_EQ(format_value(int64_t{1} << 30, "bytes"), "1.00 GiB");
  EXPECT_EQ(format_value(int64_t{3} << 40, "bytes"), "3.00 TiB");
}

TEST(Units, CountsArePlainNumbersAndOtherUnitsAreNamed) {
  EXPECT_EQ(format_value(12345, "count"), "12,345");
  EXPECT_EQ(format_value(7, ""), "7");
  EXPECT_EQ(format_value(12345, "objects"), "12,345 objects");
}

TEST(Units, Percentages) {
  EXPECT_EQ(format_percent(456, 1000), "45.6%");
  EXPECT_EQ(format_percent(1, 1), "100.0%");
  EXPECT_EQ(format_percent(35, 10000), "0.35%");
  EXPECT_EQ(format_percent(1, 1'000'000), "<0.01%");
  EXPECT_EQ(format_percent(0, 10), "0%");
  EXPECT_EQ(format_percent(5, 0), "0%");
}

}  // namespace
