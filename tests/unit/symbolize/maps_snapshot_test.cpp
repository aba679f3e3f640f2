#include "symbolize/maps_snapshot.h"

#include <gtest/gtest.h>

namespace waitprof {
namespace {

TEST(ParseMapsLine, FileMapping) {
  auto e = parse_maps_line(
      "7f1c2a228000-7f1c2a3bd000 r-xp 00028000 fe:01 1312086                    "
      "/usr/lib/x86_64-linux-gnu/libc.so.6\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->start, 0x7f1c2a228000u);
  EXPECT_EQ(e->end, 0x7f1c2a3bd000u);
  EXPECT_TRUE(e->executable);
  EXPECT_EQ(e->offset, 0x28000u);
  EXPECT_EQ(e->dev_major, 0xfeu);
  EXPECT_EQ(e->dev_minor, 1u);
  EXPECT_EQ(e->inode, 1312086u);
  EXPECT_EQ(e->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_TRUE(e->file_backed());
  EXPECT_FALSE(e->deleted());
}

TEST(ParseMapsLine, PathWithSpacesAndDeleted) {
  auto e = parse_maps_line("400000-401000 r-xp 00001000 08:02 77 /tmp/my dir/a  b (deleted)");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->path, "/tmp/my dir/a  b (deleted)");
  EXPECT_TRUE(e->deleted());
  EXPECT_TRUE(e->file_backed());
}

TEST(ParseMapsLine, AnonymousAndSpecial) {
  auto anon = parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->path, "");
  EXPECT_FALSE(anon->file_backed());
  EXPECT_FALSE(anon->executable);

  auto noblank = parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0");
  ASSERT_TRUE(noblank);
  EXPECT_EQ(noblank->path, "");

  auto heap = parse_maps_line("55d0c000-55d2d000 rw-p 00000000 00:00 0          [heap]");
  ASSERT_TRUE(heap);
  EXPECT_EQ(heap->path, "[heap]");
  EXPECT_FALSE(heap->file_backed());

  // A path-looking name with no device and inode is not a file (libdwfl's rule too).
  auto fake = parse_maps_line("1000-2000 r-xp 00000000 00:00 0 /SYSV00000000 (deleted)");
  ASSERT_TRUE(fake);
  EXPECT_FALSE(fake->file_backed());
}

TEST(ParseMapsLine, RejectsMalformed) {
  EXPECT_FALSE(parse_maps_line(""));
  EXPECT_FALSE(parse_maps_line("garbage"));
  EXPECT_FALSE(parse_maps_line("1000-2000"));
  EXPECT_FALSE(parse_maps_line("1000-2000 r-xp"));
  EXPECT_FALSE(parse_maps_line("1000-2000 r-xp 0 fe:01"));
  EXPECT_FALSE(parse_maps_line("2000-1000 r-xp 00000000 fe:01 5 /bin/x"));  // end < start
  EXPECT_FALSE(parse_maps_line("1000-2000 r-x 00000000 fe:01 5 /bin/x"));   // short perms
  EXPECT_FALSE(parse_maps_line("1000-2000 r-xp 00000000 fe:01 5x /bin/x"));
  EXPECT_FALSE(parse_maps_line("-1000-2000 r-xp 00000000 fe:01 5 /bin/x"));
}

constexpr char kProcessA[] =
    "55d0a000-55d0b000 r--p 00000000 fe:01 100 /usr/bin/prog\n"
    "55d0b000-55d0c000 r-xp 00001000 fe:01 100 /usr/bin/prog\n"
    "55d0c000-55d0d000 rw-p 00002000 fe:01 100 /usr/bin/prog\n"
    "55d0d000-55d2d000 rw-p 00000000 00:00 0          [heap]\n"
    "7f000000-7f100000 r--p 00000000 fe:01 200 /usr/lib/locale/locale-archive\n"
    "7f100000-7f101000 rw-p 00000000 00:00 0 \n"
    "7f200000-7f228000 r--p 00000000 fe:01 300 /usr/lib/libc.so.6\n"
    "7f228000-7f3bd000 r-xp 00028000 fe:01 300 /usr/lib/libc.so.6\n"
    "7f3bd000-7f415000 r--p 001bd000 fe:01 300 /usr/lib/libc.so.6\n"
    "7f415000-7f417000 rw-p 00214000 fe:01 300 /usr/lib/libc.so.6\n"
    "7f417000-7f424000 rw-p 00000000 00:00 0 \n"
    "7f500000-7f501000 rw-p 00000000 00:00 0 \n"
    "7ffd1000-7ffd2000 rw-p 00000000 00:00 0          [stack]\n"
    "7ffd3000-7ffd4000 r-xp 00000000 00:00 0          [vdso]\n";

TEST(MapsSnapshot, KeepsWholeFilesThatHoldCode) {
  const MapsSnapshot snap = make_maps_snapshot(kProcessA);
  // prog x3, libc x4 and its .bss; no heap, locale archive, stack, vdso.
  ASSERT_EQ(snap.entries.size(), 8u);
  EXPECT_EQ(snap.entries[0].path, "/usr/bin/prog");
  EXPECT_EQ(snap.entries[3].start, 0x7f200000u);
  EXPECT_EQ(snap.dwfl_text.find("locale"), std::string::npos);
  EXPECT_EQ(snap.dwfl_text.find("[heap]"), std::string::npos);
  EXPECT_NE(snap.dwfl_text.find("7f200000-7f228000 r--p 00000000 fe:01 300 /usr/lib/libc.so.6\n"),
            std::string::npos);
  EXPECT_NE(snap.key.find("/usr/bin/prog"), std::string::npos);
  EXPECT_EQ(snap.key.find("7f200000"), std::string::npos);  // only code mappings
}

TEST(MapsSnapshot, BssAfterDataSegmentJoinsTheFile) {
  const MapsSnapshot snap = make_maps_snapshot(kProcessA);
  const MapEntry* bss = snap.find(0x7f420000);
  ASSERT_NE(bss, nullptr);
  EXPECT_EQ(bss->path, "/usr/lib/libc.so.6");
  EXPECT_EQ(bss->start, 0x7f417000u);
  EXPECT_EQ(bss->end, 0x7f424000u);
  EXPECT_EQ(bss->offset, 0x216000u);  // the data segment's offsets, continued
  EXPECT_EQ(bss->inode, 300u);
  EXPECT_FALSE(bss->executable);
  // libdwfl sees it as part of the same file, so its module covers the .bss.
  EXPECT_NE(snap.dwfl_text.find("7f417000-7f424000 rw-p 00216000 fe:01 300 /usr/lib/libc.so.6\n"),
            std::string::npos);
  // Not after a read-only or data-only file, nor a mapping further away, nor [heap].
  EXPECT_EQ(snap.find(0x7f100000), nullptr);
  EXPECT_EQ(snap.find(0x7f500000), nullptr);
  EXPECT_EQ(snap.find(0x55d0d000), nullptr);
}

TEST(MapsSnapshot, FindCoversOnlyKeptMappings) {
  const MapsSnapshot snap = make_maps_snapshot(kProcessA);
  ASSERT_NE(snap.find(0x7f228000), nullptr);
  EXPECT_EQ(snap.find(0x7f228000)->offset, 0x28000u);
  EXPECT_EQ(snap.find(0x7f3bcfff)->start, 0x7f228000u);
  EXPECT_EQ(snap.find(0x7f3bd000)->start, 0x7f3bd000u);
  EXPECT_EQ(snap.find(0x55d0e000), nullptr);  // heap
  EXPECT_EQ(snap.find(0x7f000100), nullptr);  // locale archive
  EXPECT_EQ(snap.find(0x7f424000), nullptr);  // just past libc's .bss
  EXPECT_EQ(snap.find(0x7ffd3000), nullptr);  // vdso
  EXPECT_EQ(snap.find(0x1000), nullptr);
}

TEST(MapsSnapshot, KeyIgnoresPerProcessMappings) {
  // A forked worker: other heap and stack, a thread stack, a data file mapped; same code.
  std::string worker = kProcessA;
  worker.replace(worker.find("55d0d000-55d2d000"), 17, "55d0d000-55f00000");
  worker.replace(worker.find("7f417000-7f424000"), 17, "7f417000-7f425000");
  worker += "7f600000-7f700000 rw-p 00000000 00:00 0 \n";
  worker += "7f700000-7f800000 r--s 00000000 fe:01 999 /var/log/data file.bin\n";
  EXPECT_EQ(make_maps_snapshot(worker).key, make_maps_snapshot(kProcessA).key);

  // Another exec of the same program: libc's code elsewhere (ASLR).
  std::string other = kProcessA;
  other.replace(other.find("7f228000-7f3bd000 r-xp"), 22, "7f228000-7f3be000 r-xp");
  EXPECT_NE(make_maps_snapshot(other).key, make_maps_snapshot(kProcessA).key);

  // Same path and addresses, another file (ASLR off, another container's libc).
  std::string replaced = kProcessA;
  replaced.replace(replaced.find("r-xp 00028000 fe:01 300"), 23, "r-xp 00028000 fe:01 301");
  EXPECT_NE(make_maps_snapshot(replaced).key, make_maps_snapshot(kProcessA).key);
}

TEST(MapsSnapshot, DeletedFileKeptWithItsPath) {
  const MapsSnapshot snap = make_maps_snapshot(
      "400000-401000 r--p 00000000 08:02 77 /tmp/x y/prog (deleted)\n"
      "401000-402000 r-xp 00001000 08:02 77 /tmp/x y/prog (deleted)\n");
  ASSERT_EQ(snap.entries.size(), 2u);
  EXPECT_EQ(snap.entries[1].path, "/tmp/x y/prog (deleted)");
  EXPECT_TRUE(snap.entries[1].deleted());
}

TEST(MapsSnapshot, EmptyAndGarbage) {
  EXPECT_TRUE(make_maps_snapshot("").entries.empty());
  const MapsSnapshot snap = make_maps_snapshot("not a maps line\n\n1-2\n");
  EXPECT_TRUE(snap.entries.empty());
  EXPECT_TRUE(snap.key.empty());
}

TEST(ReadMaps, MissingProcessIsAnError) {
  auto text = read_maps(12345, "/nonexistent-proc");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("/nonexistent-proc/12345/maps"), std::string::npos);
}

}  // namespace
}  // namespace waitprof
