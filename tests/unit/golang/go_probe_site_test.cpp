// Where the mutex uprobe goes in a Go function: at the stack check's jump (emulated by the
// kernel, one trap) when the function opens with Go's stack check, else at its entry.
#include "golang/go_probe_site.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(GoProbeSite, JumpAfterTheStackCheck) {
  // sync.runtime_Semrelease as Go 1.19 builds it: CMPQ 0x10(R14), SP; JBE rel8.
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x49, 0x3b, 0x66, 0x10, 0x76, 0x1d})), 4u);
  // A JBE rel32 (a function whose morestack call lies far).
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86})), 4u);
}

TEST(GoProbeSite, EntryOtherwise) {
  // A large frame's check: LEAQ -N(SP), R12 first.
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x4c, 0x8d, 0x64, 0x24, 0xe0, 0x4d})), 0u);
  // The check followed by something not a JBE.
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x49, 0x3b, 0x66, 0x10, 0x90, 0x90})), 0u);
  // A frameless function (no check), and too few bytes.
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x48, 0x89, 0xc3, 0xc3, 0x90, 0x90})), 0u);
  EXPECT_EQ(waitprof::go_probe_offset_in(bytes({0x49, 0x3b, 0x66, 0x10, 0x76})), 0u);
}

}  // namespace
