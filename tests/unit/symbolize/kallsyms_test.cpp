#include "symbolize/kallsyms.h"

#include <gtest/gtest.h>

namespace waitprof {
namespace {

TEST(ParseKallsymsLine, KernelAndModuleSymbols) {
  auto s = parse_kallsyms_line("ffffffff821f88a0 T schedule\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->address, 0xffffffff821f88a0u);
  EXPECT_EQ(s->type, 'T');
  EXPECT_EQ(s->name, "schedule");
  EXPECT_EQ(s->module, "");

  auto m = parse_kallsyms_line("ffffffffc0a01230 t ext4_file_write_iter\t[ext4]");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, 't');
  EXPECT_EQ(m->name, "ext4_file_write_iter");
  EXPECT_EQ(m->module, "ext4");
}

TEST(ParseKallsymsLine, RejectsMalformed) {
  EXPECT_FALSE(parse_kallsyms_line(""));
  EXPECT_FALSE(parse_kallsyms_line("ffffffff821f88a0"));
  EXPECT_FALSE(parse_kallsyms_line("ffffffff821f88a0 T"));
  EXPECT_FALSE(parse_kallsyms_line("ffffffff821f88a0 T "));
  EXPECT_FALSE(parse_kallsyms_line("zzzz T schedule"));
  EXPECT_FALSE(parse_kallsyms_line("ffffffff821f88a0 T sched ule"));
  EXPECT_FALSE(parse_kallsyms_line("ffffffffc0a01230 t foo\text4"));
}

constexpr char kKallsyms[] =
    "ffffffff81000000 T _stext\n"
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 t __pfx_startup\n"
    "ffffffff81000100 T startup_64\n"
    "ffffffff81002000 D some_data\n"
    "ffffffff81001000 W __x64_sys_foo\n"
    "ffffffff81001000 t do_sys_foo\n"
    "ffffffff81001000 T __do_sys_foo\n"
    "ffffffff81003000 T schedule\n"
    "ffffffff81003400 T io_schedule\n"
    "ffffffffc0a01230 t ext4_file_write_iter\t[ext4]\n"
    "ffffffffc0a01000 t ext4_llseek\t[ext4]\n"
    "this line is garbage\n";

TEST(KernelSymbols, BinarySearchBetweenSymbols) {
  const KernelSymbols syms = KernelSymbols::parse(kKallsyms);
  // Text only, one per address: 81000000, 81000100, 81001000, 81003000, 81003400, and the
  // two ext4 symbols.
  EXPECT_EQ(syms.size(), 7u);
  EXPECT_EQ(syms.lowest_address(), 0xffffffff81000000u);

  EXPECT_EQ(syms.lookup(0xffffffff80ffffff), nullptr);
  EXPECT_EQ(syms.lookup(0x400000), nullptr);
  EXPECT_EQ(syms.lookup(0xffffffff81003000)->name, "schedule");
  EXPECT_EQ(syms.lookup(0xffffffff810033ff)->name, "schedule");
  EXPECT_EQ(syms.lookup(0xffffffff81003400)->name, "io_schedule");
  // Data symbols do not end the preceding function.
  EXPECT_EQ(syms.lookup(0xffffffff81002500)->name, "__do_sys_foo");
  // Module symbols were out of order in the text.
  EXPECT_EQ(syms.lookup(0xffffffffc0a01100)->name, "ext4_llseek");
  EXPECT_EQ(syms.lookup(0xffffffffc0a01300)->name, "ext4_file_write_iter");
  EXPECT_EQ(syms.lookup(0xffffffffc0a01300)->module, "ext4");
}

TEST(KernelSymbols, AliasesPreferGlobalPublicNames) {
  const KernelSymbols syms = KernelSymbols::parse(kKallsyms);
  // Global beats local; among globals fewer leading underscores wins; first seen breaks ties.
  EXPECT_EQ(syms.lookup(0xffffffff81000000)->name, "_stext");
  // Global T (even with underscores) beats weak W and local t.
  EXPECT_EQ(syms.lookup(0xffffffff81001000)->name, "__do_sys_foo");
}

TEST(KernelSymbols, RestrictedKallsymsIsEmpty) {
  const KernelSymbols syms = KernelSymbols::parse(
      "0000000000000000 T _stext\n0000000000000000 T schedule\n0000000000000000 t x\t[m]\n");
  EXPECT_TRUE(syms.empty());
  EXPECT_EQ(syms.lookup(0xffffffff81003000), nullptr);
}

}  // namespace
}  // namespace waitprof
