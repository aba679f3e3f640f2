#include "symbolize/demangle.h"

#include <gtest/gtest.h>

namespace waitprof {
namespace {

TEST(Demangle, CxxNames) {
  EXPECT_EQ(demangle("_ZN4tsrv9LockedRng10next_indexEv"), "tsrv::LockedRng::next_index()");
  EXPECT_EQ(demangle("_ZL12inlined_leafi"), "inlined_leaf(int)");
  EXPECT_EQ(demangle("_Z3fooi.constprop.0"), "foo(int) [clone .constprop.0]");
}

TEST(Demangle, PlainNamesUnchanged) {
  EXPECT_EQ(demangle("main"), "main");
  EXPECT_EQ(demangle("i"), "i");  // would be "int" as a type encoding
  EXPECT_EQ(demangle("v"), "v");
  EXPECT_EQ(demangle(""), "");
  EXPECT_EQ(demangle("_Zgarbage"), "_Zgarbage");
}

}  // namespace
}  // namespace waitprof
