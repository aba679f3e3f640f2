#include "util/read_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_dir.h"

namespace {

using ::testing::HasSubstr;
using waitprof::read_text_file;

// /proc files report size 0; a reader that trusts stat would return nothing.
TEST(ReadTextFile, ReadsProcFilesWhoseSizeIsZero) {
  ASSERT_EQ(std::filesystem::file_size("/proc/self/status"), 0u);
  auto text = read_text_file("/proc/self/status");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_THAT(*text, HasSubstr("\nPid:\t" + std::to_string(getpid()) + "\n"));
  EXPECT_EQ(text->back(), '\n');
}

TEST(ReadTextFile, ReadsBinaryFilesLargerThanOneBuffer) {
  waitprof_test::ScratchDir dir;
  std::string data(300000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 253);
  std::ofstream(dir / "bin", std::ios::binary) << data;
  auto back = read_text_file(dir / "bin");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, data);
}

TEST(ReadTextFile, ErrorsNameThePathAndErrno) {
  waitprof_test::ScratchDir dir;
  auto missing = read_text_file(dir / "absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "reading " + (dir / "absent").string() + ": No such file or directory");
  auto directory = read_text_file(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, HasSubstr("Is a directory"));
}

}  // namespace
