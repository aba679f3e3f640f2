#include "pprof/profile_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "demo_profile.h"
#include "pprof/profile_check.h"
#include "scratch_dir.h"
#include "util/atomic_file.h"
#include "util/gzip.h"
#include "util/read_file.h"

namespace {

namespace pb = perftools::profiles;
using ::testing::HasSubstr;
using waitprof::read_profile;
using waitprof::write_profile;
using waitprof_test::ScratchDir;

std::string bytes_of(const std::filesystem::path& p) {
  auto r = waitprof::read_text_file(p);
  return r ? *r : "";
}

TEST(ProfileWriter, WritesGzippedProfileThatReadsBackEqual) {
  ScratchDir dir;
  const pb::Profile p = waitprof_test::demo_builder().build();
  const auto st = write_profile(p, dir / "delay.pb.gz");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(waitprof::looks_gzipped(bytes_of(dir / "delay.pb.gz")));
  auto back = read_profile(dir / "delay.pb.gz");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->SerializeAsString(), p.SerializeAsString());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"delay.pb.gz"});
}

// Same add_sample sequence → same bytes on disk, across separate builders and writes.
TEST(ProfileWriter, OutputIsByteIdenticalForIdenticalInput) {
  ScratchDir dir;
  ASSERT_TRUE(write_profile(waitprof_test::demo_builder().build(), dir / "a.pb.gz"));
  ASSERT_TRUE(write_profile(waitprof_test::demo_builder().build(), dir / "b.pb.gz"));
  const std::string a = bytes_of(dir / "a.pb.gz");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, bytes_of(dir / "b.pb.gz"));
}

TEST(ProfileWriter, ReadsUncompressedProfilesToo) {
  ScratchDir dir;
  const pb::Profile p = waitprof_test::demo_builder().build();
  ASSERT_TRUE(waitprof::write_file_atomically(dir / "plain.pb", p.SerializeAsString()));
  auto back = read_profile(dir / "plain.pb");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->sample_size(), p.sample_size());
}

TEST(ProfileWriter, ReadErrorsNameTheFile) {
  ScratchDir dir;
  EXPECT_THAT(read_profile(dir / "none.pb.gz").error().message,
              HasSubstr((dir / "none.pb.gz").string() + ": No such file or directory"));

  ASSERT_TRUE(waitprof::write_file_atomically(dir / "text.pb", "\xff\xff\xff not a proto"));
  EXPECT_THAT(read_profile(dir / "text.pb").error().message,
              HasSubstr("reading " + (dir / "text.pb").string() + ": not a pprof profile"));

  auto gz = waitprof::gzip_compress(std::string(100, 'x'));
  ASSERT_TRUE(gz);
  ASSERT_TRUE(waitprof::write_file_atomically(dir / "cut.pb.gz", gz->substr(0, gz->size() - 4)));
  EXPECT_THAT(read_profile(dir / "cut.pb.gz").error().message,
              HasSubstr("reading " + (dir / "cut.pb.gz").string() + ": gunzip: truncated"));

  // Parses as protobuf but breaks pprof's rules: rejected before anyone indexes into it.
  pb::Profile broken = waitprof_test::demo_builder().build();
  broken.mutable_sample(0)->set_location_id(0, 999);
  ASSERT_TRUE(waitprof::write_file_atomically(dir / "broken.pb", broken.SerializeAsString()));
  EXPECT_THAT(read_profile(dir / "broken.pb").error().message,
              HasSubstr("invalid profile: sample 0 refers to missing location 999"));
}

TEST(ProfileWriter, InvalidProfileIsNotWrittenAndOldFileStays) {
  ScratchDir dir;
  ASSERT_TRUE(waitprof::write_file_atomically(dir / "delay.pb.gz", "previous"));
  pb::Profile p = waitprof_test::demo_builder().build();
  p.mutable_sample(1)->add_value(1);
  const auto st = write_profile(p, dir / "delay.pb.gz");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "writing " + (dir / "delay.pb.gz").string() +
                                    ": invalid profile: sample 1 has 3 values for 2 sample types");
  EXPECT_EQ(bytes_of(dir / "delay.pb.gz"), "previous");
}

TEST(ProfileWriter, RefusesDefaultSampleTypeThatIsNoSampleType) {
  ScratchDir dir;
  waitprof::ProfileHeader h = waitprof_test::demo_header();
  h.default_sample_type = "dealy";
  const auto st = write_profile(waitprof::ProfileBuilder(h).build(), dir / "delay.pb.gz");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message,
              HasSubstr("default_sample_type \"dealy\" is not one of the sample types"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});

  // Reading is lenient about it, as pprof is.
  pb::Profile p = waitprof_test::demo_builder().build();
  p.set_default_sample_type(p.comment(0));
  ASSERT_TRUE(waitprof::write_file_atomically(dir / "odd.pb", p.SerializeAsString()));
  EXPECT_TRUE(read_profile(dir / "odd.pb"));
}

TEST(ProfileWriter, WriteErrorsComeFromTheAtomicWriter) {
  ScratchDir dir;
  std::filesystem::create_directory(dir / "delay.pb.gz");
  const auto st = write_profile(waitprof_test::demo_builder().build(), dir / "delay.pb.gz");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("writing " + (dir / "delay.pb.gz").string()));
  EXPECT_THAT(st.error().message, HasSubstr("Is a directory"));
}

// Each broken invariant is caught and named.
TEST(CheckProfile, NamesTheBrokenInvariant) {
  const pb::Profile good = waitprof_test::demo_builder().build();
  ASSERT_TRUE(waitprof::check_profile(good));
  auto broken = [&](auto mutate) {
    pb::Profile p = good;
    mutate(p);
    const auto st = waitprof::check_profile(p);
    return st ? std::string("<valid>") : st.error().message;
  };
  EXPECT_THAT(broken([](pb::Profile& p) { p.set_string_table(0, "x"); }),
              HasSubstr("string_table[0]"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.clear_string_table(); }), HasSubstr("string_table[0]"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.mutable_function(0)->set_name(100000); }),
              HasSubstr("function 1 has string index 100000"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.mutable_sample(0)->mutable_label(0)->set_key(-1); }),
              HasSubstr("sample 0's label has string index -1"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.mutable_mapping(1)->set_id(p.mapping(0).id()); }),
              HasSubstr("duplicate mapping id"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.mutable_location(0)->set_id(0); }),
              HasSubstr("location with id 0"));
  EXPECT_THAT(broken([](pb::Profile& p) { p.mutable_location(0)->set_mapping_id(77); }),
              HasSubstr("location 1 refers to missing mapping 77"));
  EXPECT_THAT(
      broken([](pb::Profile& p) { p.mutable_location(1)->mutable_line(0)->set_function_id(88); }),
      HasSubstr("location 2 refers to missing function 88"));
  EXPECT_THAT(broken([](pb::Profile& p) {
                p.clear_sample_type();
                p.set_default_sample_type(0);
              }),
              HasSubstr("samples but no sample_type"));
}

}  // namespace
