#include "symbolize/symbol_index.h"

#include <gtest/gtest.h>

#include <string>

namespace waitprof {
namespace {

constexpr int kGlobal = 3, kWeak = 2, kLocal = 1;

std::string name_at(const SymbolIndex& index, uint64_t addr) {
  const SymbolIndex::Symbol* s = index.lookup(addr);
  return s ? s->name : "(none)";
}

TEST(SymbolIndex, SizedSymbolsCoverTheirRangeOnly) {
  const SymbolIndex index({
      {0x2000, 0x100, kGlobal, "second"},
      {0x1000, 0x80, kGlobal, "first"},  // out of order on purpose
  });
  EXPECT_EQ(name_at(index, 0xfff), "(none)");
  EXPECT_EQ(name_at(index, 0x1000), "first");
  EXPECT_EQ(name_at(index, 0x107f), "first");
  EXPECT_EQ(name_at(index, 0x1080), "(none)");  // padding after first
  EXPECT_EQ(name_at(index, 0x20ff), "second");
  EXPECT_EQ(name_at(index, 0x2100), "(none)");
}

TEST(SymbolIndex, AliasesPreferBindingThenTableOrder) {
  const SymbolIndex index({
      {0x1000, 0x40, kLocal, "__GI_getpid"},
      {0x1000, 0x40, kWeak, "getpid"},
      {0x1000, 0x40, kGlobal, "__getpid"},
      {0x1000, 0x40, kGlobal, "__getpid_alias"},
      {0x2000, 0x40, kLocal, "local_a"},
      {0x2000, 0x40, kLocal, "local_b"},
  });
  EXPECT_EQ(name_at(index, 0x1010), "__getpid");
  EXPECT_EQ(name_at(index, 0x2010), "local_a");
}

TEST(SymbolIndex, ClosestCoveringStartWinsOverEnclosing) {
  const SymbolIndex index({
      {0x1000, 0x1000, kGlobal, "outer"},
      {0x1400, 0x100, kLocal, "inner"},
      {0x1600, 0x10, kLocal, "tiny"},
  });
  EXPECT_EQ(name_at(index, 0x1450), "inner");
  EXPECT_EQ(name_at(index, 0x1500), "outer");  // past inner, still in outer
  EXPECT_EQ(name_at(index, 0x1605), "tiny");
  EXPECT_EQ(name_at(index, 0x1700), "outer");  // a scan past tiny must reach outer
}

TEST(SymbolIndex, LabelsOnlyPastSizedSymbols) {
  const SymbolIndex index({
      {0x1000, 0x100, kGlobal, "func"},
      {0x1010, 0, kLocal, "inside_label"},
      {0x1200, 0, kLocal, "asm_local"},
      {0x1200, 0, kGlobal, "asm_entry"},
      {0x1300, 0x10, kGlobal, "after"},
  });
  EXPECT_EQ(name_at(index, 0x1020), "func");       // a sized symbol covers it
  EXPECT_EQ(name_at(index, 0x1150), "(none)");     // label inside func does not extend it
  EXPECT_EQ(name_at(index, 0x1250), "asm_entry");  // label past func, global preferred
  EXPECT_EQ(name_at(index, 0x1310), "(none)");     // "after" ended past the label
}

TEST(SymbolIndex, Empty) {
  const SymbolIndex index({});
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.lookup(0x1000), nullptr);
}

}  // namespace
}  // namespace waitprof
