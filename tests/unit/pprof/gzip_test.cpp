#include "util/gzip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

using ::testing::HasSubstr;
using waitprof::gzip_compress;
using waitprof::gzip_decompress;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string compress(std::string_view s) {
  auto r = gzip_compress(s);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : std::string();
}

TEST(Gzip, RoundTripsEmptySmallRepetitiveAndIncompressible) {
  const std::string inputs[] = {"", "x", "hello, pprof", std::string(10 << 20, 'z'),
                                random_bytes(3 << 20, 1)};
  for (const std::string& in : inputs) {
    auto out = gzip_decompress(compress(in));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, in) << "size " << in.size();
  }
}

// pprof readers require the gzip wrapper (not zlib's), and byte-identical profiles need a
// header without timestamp: ID1 ID2 CM=8 FLG=0 MTIME=0.
TEST(Gzip, WritesPlainDeterministicGzipHeader) {
  const std::string gz = compress("abc");
  ASSERT_GE(gz.size(), 10u);
  EXPECT_EQ(gz.substr(0, 8), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
  EXPECT_EQ(compress("abc"), gz);
  EXPECT_TRUE(waitprof::looks_gzipped(gz));
  EXPECT_FALSE(waitprof::looks_gzipped("abc"));
}

TEST(Gzip, ReadsConcatenatedMembers) {
  auto out = gzip_decompress(compress("first,") + compress("") + compress("second"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "first,second");
}

TEST(Gzip, RejectsNonGzipTruncatedCorruptAndTrailingGarbage) {
  const std::string gz = compress(random_bytes(100000, 2));
  EXPECT_THAT(gzip_decompress("plain text").error().message, HasSubstr("not gzip"));
  EXPECT_THAT(gzip_decompress("").error().message, HasSubstr("not gzip"));
  EXPECT_THAT(gzip_decompress(gz.substr(0, gz.size() / 2)).error().message, HasSubstr("truncated"));
  EXPECT_THAT(gzip_decompress(gz.substr(0, gz.size() - 1)).error().message, HasSubstr("truncated"));
  std::string corrupt = gz;
  corrupt[gz.size() - 6] ^= 0x55;  // inside the CRC32 trailer
  EXPECT_FALSE(gzip_decompress(corrupt));
  EXPECT_THAT(gzip_decompress(gz + "junk").error().message, HasSubstr("trailing garbage"));
}

TEST(Gzip, StopsAtMaxSize) {
  const std::string gz = compress(std::string(1 << 20, '\0'));
  EXPECT_THAT(gzip_decompress(gz, 1000).error().message, HasSubstr("exceeds 1000 bytes"));
  auto exact = gzip_decompress(gz, 1 << 20);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->size(), size_t{1} << 20);
}

}  // namespace
