// Runs symbolize_target (built -g -O2 next to this test), takes the addresses and __LINE__s
// it prints, and checks what the Symbolizer makes of them.
#include "symbolize/go_build_info.h"
#include "symbolize/symbolizer.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "symbolize/maps_snapshot.h"

namespace waitprof {
namespace {

namespace fs = std::filesystem;
using waitprof_test::ChildProcess;

std::string basename_of(const std::string& path) {
  return fs::path(path).filename().string();
}

// A running symbolize_target and the name=value lines it printed.
class Target {
 public:
  explicit Target(const std::string& exe, const std::string& mode = "") {
    std::vector<std::string> argv{exe};
    if (!mode.empty()) argv.push_back(mode);
    child_ = std::make_unique<ChildProcess>(argv);
    std::istringstream lines(child_->read_all(10000));
    for (std::string line; std::getline(lines, line);) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  bool ready() const { return values_.count("ready") != 0; }
  pid_t pid() const { return child_->pid(); }
  uint64_t addr(const std::string& name) const {
    return std::stoull(values_.at(name), nullptr, 16);
  }
  int64_t number(const std::string& name) const { return std::stoll(values_.at(name)); }
  void kill() { child_->stop(SIGKILL); }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::map<std::string, std::string> values_;
};

struct MapsLine {
  uint64_t start = 0, end = 0, offset = 0;
  std::string perms, path;
};

// The /proc/PID/maps line covering addr, read independently of the code under test.
MapsLine maps_line_for(pid_t pid, uint64_t addr) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(in, line);) {
    MapsLine m;
    char perms[8] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*x:%*x %*u %n",
                    &m.start, &m.end, perms, &m.offset, &path_at) < 4) {
      continue;
    }
    if (addr < m.start || addr >= m.end) continue;
    m.perms = perms;
    m.path = line.substr(static_cast<size_t>(path_at));
    return m;
  }
  return {};
}

// "Build ID: <hex>" from binutils' readelf, a second opinion on the ELF note.
std::string readelf_build_id(const std::string& path) {
  const std::string cmd = "readelf -n '" + path + "' 2>/dev/null";
  std::unique_ptr<FILE, decltype(&pclose)> p(popen(cmd.c_str(), "r"), &pclose);
  if (!p) return {};
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p.get())) {
    std::string line(buf);
    const size_t at = line.find("Build ID: ");
    if (at == std::string::npos) continue;
    std::string id = line.substr(at + 10);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }
  return {};
}

// A copy of the target somewhere odd (a directory with spaces), removed afterwards.
class TargetCopy {
 public:
  TargetCopy() {
    char tmpl[] = "/tmp/symbolize test XXXXXX";
    if (!mkdtemp(tmpl)) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
      return;
    }
    dir_ = tmpl;
    path_ = dir_ + "/target copy";
    fs::copy_file(SYMBOLIZE_TARGET_PATH, path_);
  }
  ~TargetCopy() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

const SourceLine& outermost(const Frame& f) {
  return f.lines.back();
}

TEST(Symbolizer, NamesMangledFunctionWithLinesAndModule) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  ASSERT_TRUE(sym.remember(t.pid()).ok());
  const uint64_t fn = t.addr("mangled_function");
  const std::vector<uint64_t> addrs{fn};
  const auto frames = sym.user_stack(t.pid(), addrs);
  ASSERT_EQ(frames.size(), 1u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.address, fn);
  ASSERT_EQ(f.lines.size(), 1u);
  EXPECT_EQ(f.lines[0].function, "waitprof_target::mangled_function(int)");
  EXPECT_EQ(f.lines[0].system_name, "_ZN15waitprof_target16mangled_functionEi");
  EXPECT_EQ(basename_of(f.lines[0].file), "symbolize_target.cpp");
  // The entry belongs to the signature's line when there is a prologue (as with
  // sanitizers) and to the only statement when there is none (plain -O2).
  EXPECT_TRUE(f.lines[0].line == t.number("mangled_line") ||
              f.lines[0].line == t.number("mangled_body_line"))
      << f.lines[0].line;
  EXPECT_EQ(f.lines[0].start_line, t.number("mangled_line"));

  ASSERT_NE(f.module, nullptr);
  const MapsLine m = maps_line_for(t.pid(), fn);
  EXPECT_EQ(m.perms, "r-xp");
  EXPECT_EQ(f.module->path, m.path);
  EXPECT_EQ(f.module->path, fs::canonical(SYMBOLIZE_TARGET_PATH).string());
  EXPECT_EQ(f.module->start, m.start);
  EXPECT_EQ(f.module->limit, m.end);
  EXPECT_EQ(f.module->file_offset, m.offset);
  const std::string id = readelf_build_id(SYMBOLIZE_TARGET_PATH);
  ASSERT_FALSE(id.empty()) << "the target was linked without a build id";
  EXPECT_EQ(f.module->build_id, id);
  EXPECT_TRUE(f.module->has_functions);
  EXPECT_TRUE(f.module->has_filenames);
  EXPECT_TRUE(f.module->has_line_numbers);
  EXPECT_TRUE(f.module->has_inline_frames);
}

TEST(Symbolizer, InlinedFrameAndCallerLines) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  // As a return address (index 1): looked up at addr-1, the call inside the inlined leaf.
  const uint64_t ret = t.addr("inline_return");
  const std::vector<uint64_t> addrs{t.addr("main_return"), ret};
  const auto frames = sym.user_stack(t.pid(), addrs);  // without remember(): done on demand
  ASSERT_EQ(frames.size(), 2u);
  const Frame& f = frames[1];
  EXPECT_EQ(f.address, ret);
  ASSERT_EQ(f.lines.size(), 2u);
  EXPECT_EQ(f.lines[0].function, "waitprof_target::inlined_leaf(int)");
  EXPECT_EQ(f.lines[0].line, t.number("leaf_call_line"));
  EXPECT_EQ(basename_of(f.lines[0].file), "symbolize_target.cpp");
  EXPECT_EQ(f.lines[0].start_line, t.number("leaf_line"));
  EXPECT_EQ(f.lines[0].system_name, "_ZN15waitprof_target12inlined_leafEi");
  EXPECT_EQ(f.lines[1].function, "waitprof_target::inline_caller(int)");
  EXPECT_EQ(f.lines[1].system_name, "_ZN15waitprof_target13inline_callerEi");
  EXPECT_EQ(f.lines[1].line, t.number("caller_call_line"));
  EXPECT_EQ(basename_of(f.lines[1].file), "symbolize_target.cpp");
  EXPECT_EQ(f.lines[1].start_line, t.number("caller_line"));

  // main_return sits at index 0 here, so it is looked up as is: still in main, and the
  // same address as a return address (index 1) gives the call's line.
  ASSERT_FALSE(frames[0].lines.empty());
  EXPECT_EQ(outermost(frames[0]).function, "main");
  EXPECT_EQ(outermost(frames[0]).system_name, "main");
  const std::vector<uint64_t> as_return{0, t.addr("main_return")};
  const auto call = sym.user_stack(t.pid(), as_return);
  ASSERT_FALSE(call[1].lines.empty());
  EXPECT_EQ(outermost(call[1]).line, t.number("main_call_line"));
  EXPECT_EQ(call[1].address, t.addr("main_return"));
}

TEST(Symbolizer, LibcFramesGetLinesFromTheSeparateDebugFile) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  const uint64_t ret = t.addr("libc_return");
  const std::vector<uint64_t> addrs{0, ret};
  const auto frames = sym.user_stack(t.pid(), addrs);
  const Frame& f = frames[1];
  ASSERT_NE(f.module, nullptr);
  const MapsLine m = maps_line_for(t.pid(), ret);
  EXPECT_EQ(f.module->path, m.path);
  EXPECT_NE(basename_of(m.path).find("libc.so"), std::string::npos) << m.path;
  EXPECT_EQ(f.module->build_id, readelf_build_id(m.path));
  EXPECT_FALSE(f.module->build_id.empty());
  EXPECT_TRUE(f.module->has_functions);
  EXPECT_TRUE(f.module->has_line_numbers) << "is libc6-dbg installed?";
  ASSERT_FALSE(f.lines.empty());
  // glibc's lfind (misc/lsearch.c) calls the comparator itself.
  EXPECT_EQ(basename_of(f.lines[0].file), "lsearch.c");
  EXPECT_GT(f.lines[0].line, 0);
  for (const SourceLine& l : f.lines) EXPECT_FALSE(l.function.empty());
  // DWARF's linkage name, as gdb prints it: glibc gives lfind an internal alias by asm label.
  EXPECT_EQ(outermost(f).function, "__GI_lfind");
  EXPECT_EQ(outermost(f).system_name, "__GI_lfind");
}

TEST(Symbolizer, GlobalInBssResolvesToItsSymbol) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  // Near the end of a 64 KiB zero-initialized global: past the data segment's file pages.
  const uint64_t addr = t.addr("big_state") + static_cast<uint64_t>(t.number("big_state_size")) - 8;
  const MapsLine m = maps_line_for(t.pid(), addr);
  EXPECT_EQ(m.path, "") << "expected the anonymous .bss mapping";
  Symbolizer sym;
  const std::vector<uint64_t> addrs{addr};
  const auto frames = sym.user_stack(t.pid(), addrs);
  ASSERT_NE(frames[0].module, nullptr);
  EXPECT_EQ(frames[0].module->path, fs::canonical(SYMBOLIZE_TARGET_PATH).string());
  EXPECT_EQ(frames[0].module->start, m.start);
  EXPECT_EQ(frames[0].module->build_id, readelf_build_id(SYMBOLIZE_TARGET_PATH));
  ASSERT_EQ(frames[0].lines.size(), 1u);
  EXPECT_EQ(frames[0].lines[0].function, "waitprof_target::g_big_state");
  EXPECT_EQ(frames[0].lines[0].system_name, "_ZN15waitprof_target11g_big_stateE");
}

// No build info, no Go version: a C++ program, a shell, a file that is not there. (A Go
// program is checked with one Debian's Go builds: Record.GoProgramIsNamed... .)
TEST(GoBuildInfo, NonGoExecutablesHaveNoGoVersion) {
  EXPECT_FALSE(waitprof::go_version_of(SYMBOLIZE_TARGET_PATH));
  EXPECT_FALSE(waitprof::go_version_of("/bin/sh"));
  EXPECT_FALSE(waitprof::go_version_of("/nonexistent"));
}

// A lock's name: the symbol and the offset of the word inside it, in .bss past the file pages.
TEST(Symbolizer, DataSymbolNamesAWordInsideAGlobal) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  const auto size = static_cast<uint64_t>(t.number("big_state_size"));
  Symbolizer sym;
  EXPECT_EQ(sym.data_symbol(t.pid(), t.addr("big_state")), "waitprof_target::g_big_state");
  EXPECT_EQ(sym.data_symbol(t.pid(), t.addr("big_state") + size - 8),
            "waitprof_target::g_big_state+" + std::to_string(size - 8));
  // The heap has no symbol.
  EXPECT_EQ(sym.data_symbol(t.pid(), 0x10), "");
}

TEST(Symbolizer, ExitedProcessResolvesAfterRemember) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  const pid_t pid = t.pid();
  const std::vector<uint64_t> addrs{t.addr("mangled_function")};
  Symbolizer remembered;
  ASSERT_TRUE(remembered.remember(pid).ok());
  t.kill();
  ASSERT_FALSE(waitprof_test::process_alive(pid));

  const auto frames = remembered.user_stack(pid, addrs);
  ASSERT_FALSE(frames[0].lines.empty());
  EXPECT_EQ(frames[0].lines[0].function, "waitprof_target::mangled_function(int)");

  Symbolizer late;
  EXPECT_FALSE(late.remember(pid).ok());
  const auto unknown = late.user_stack(pid, addrs);
  EXPECT_EQ(unknown[0].module, nullptr);
  EXPECT_TRUE(unknown[0].lines.empty());
  EXPECT_EQ(unknown[0].address, addrs[0]);
}

TEST(Symbolizer, ForkedChildrenShareOneSessionAndInherit) {
  Target t(SYMBOLIZE_TARGET_PATH, "fork");
  ASSERT_TRUE(t.ready());
  const pid_t worker = static_cast<pid_t>(t.number("waiting_child"));
  const pid_t gone = static_cast<pid_t>(t.number("exited_child"));
  ASSERT_TRUE(waitprof_test::process_alive(worker));
  const std::vector<uint64_t> addrs{t.addr("mangled_function"), t.addr("libc_return")};

  Symbolizer sym;
  ASSERT_TRUE(sym.remember(t.pid()).ok());
  ASSERT_TRUE(sym.remember(worker).ok());
  EXPECT_EQ(sym.session_count(), 1u);
  const auto parent_frames = sym.user_stack(t.pid(), addrs);
  const auto worker_frames = sym.user_stack(worker, addrs);
  ASSERT_NE(parent_frames[0].module, nullptr);
  EXPECT_EQ(parent_frames[0].module.get(), worker_frames[0].module.get());
  EXPECT_EQ(parent_frames[1].module.get(), worker_frames[1].module.get());
  EXPECT_NE(parent_frames[0].module.get(), parent_frames[1].module.get());
  EXPECT_EQ(worker_frames[0].lines[0].function, "waitprof_target::mangled_function(int)");

  // A process with other mappings (this test binary) is a session of its own.
  ASSERT_TRUE(sym.remember(getpid()).ok());
  EXPECT_EQ(sym.session_count(), 2u);

  // The child that exited at once has no maps; inherit() lends it the parent's.
  EXPECT_FALSE(sym.remember(gone).ok());
  EXPECT_EQ(sym.user_stack(gone, addrs)[0].module, nullptr);
  sym.inherit(gone, t.pid());
  const auto inherited = sym.user_stack(gone, addrs);
  EXPECT_EQ(inherited[0].module.get(), parent_frames[0].module.get());
  ASSERT_FALSE(inherited[0].lines.empty());
  EXPECT_EQ(inherited[0].lines[0].function, "waitprof_target::mangled_function(int)");
  EXPECT_EQ(sym.session_count(), 2u);
}

TEST(Symbolizer, SameMappingInTwoSessionsIsOneModule) {
  // Two snapshots of one process differ in key only if code moved; re-remembering after a
  // dlopen-free interval gives the same session, and the same Module either way.
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  const std::vector<uint64_t> addrs{t.addr("mangled_function")};
  ASSERT_TRUE(sym.remember(t.pid()).ok());
  const auto first = sym.user_stack(t.pid(), addrs);
  ASSERT_TRUE(sym.remember(t.pid()).ok());
  const auto second = sym.user_stack(t.pid(), addrs);
  EXPECT_EQ(sym.session_count(), 1u);
  EXPECT_EQ(first[0].module.get(), second[0].module.get());
}

TEST(Symbolizer, PathWithSpacesResolves) {
  TargetCopy copy;
  Target t(copy.path());
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  const std::vector<uint64_t> addrs{t.addr("mangled_function")};
  const auto frames = sym.user_stack(t.pid(), addrs);
  ASSERT_NE(frames[0].module, nullptr);
  EXPECT_EQ(frames[0].module->path, copy.path());
  EXPECT_EQ(frames[0].module->build_id, readelf_build_id(SYMBOLIZE_TARGET_PATH));
  ASSERT_FALSE(frames[0].lines.empty());
  EXPECT_EQ(frames[0].lines[0].function, "waitprof_target::mangled_function(int)");
}

TEST(Symbolizer, DeletedFileKeepsModuleAndItsOffsets) {
  auto copy = std::make_unique<TargetCopy>();
  const std::string path = copy->path();
  Target t(path);
  ASSERT_TRUE(t.ready());
  copy.reset();  // the binary is gone while the process runs
  Symbolizer sym;
  ASSERT_TRUE(sym.remember(t.pid()).ok());
  const std::vector<uint64_t> addrs{t.addr("mangled_function"), t.addr("libc_return")};
  const auto frames = sym.user_stack(t.pid(), addrs);
  ASSERT_NE(frames[0].module, nullptr);
  EXPECT_EQ(frames[0].module->path, path + " (deleted)");
  // Named by module and file offset only: nothing of the file can be read any more.
  ASSERT_EQ(frames[0].lines.size(), 1u);
  EXPECT_EQ(frames[0].lines[0].function.rfind(basename_of(path) + " (deleted)+0x", 0), 0u)
      << frames[0].lines[0].function;
  EXPECT_TRUE(frames[0].lines[0].file.empty());
  EXPECT_TRUE(frames[0].module->build_id.empty());
  EXPECT_FALSE(frames[0].module->has_functions);
  EXPECT_FALSE(frames[0].module->has_line_numbers);
  // libc is still there and still resolves in the same session.
  ASSERT_FALSE(frames[1].lines.empty());
  EXPECT_EQ(basename_of(frames[1].lines[0].file), "lsearch.c");
}

TEST(Symbolizer, UnknownAddressesAndPids) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  Symbolizer sym;
  // Null, a low address, the top of the address space: nothing maps them.
  const std::vector<uint64_t> addrs{0, 0x10, ~0ull, 0x1000};
  const auto frames = sym.user_stack(t.pid(), addrs);
  ASSERT_EQ(frames.size(), addrs.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].address, addrs[i]);
    EXPECT_EQ(frames[i].module, nullptr);
    EXPECT_TRUE(frames[i].lines.empty());
  }
  EXPECT_TRUE(sym.user_stack(t.pid(), {}).empty());
  // A pid that cannot exist (above pid_max).
  EXPECT_FALSE(sym.remember(0x7ffffff0).ok());
  EXPECT_EQ(sym.user_stack(0x7ffffff0, addrs)[1].module, nullptr);
}

// The kernel's address for `name` from /proc/kallsyms, 0 when hidden or absent.
uint64_t kallsyms_address(const std::string& name) {
  std::ifstream in("/proc/kallsyms");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string addr, type, sym;
    fields >> addr >> type >> sym;
    if (sym == name && (type == "T" || type == "t")) return std::stoull(addr, nullptr, 16);
  }
  return 0;
}

TEST(Symbolizer, KernelSymbols) {
  const uint64_t schedule = kallsyms_address("schedule");
  Symbolizer sym;
  if (schedule == 0) {
    // Hidden addresses must not name anything (every symbol would be at 0).
    const std::vector<uint64_t> hidden{0xffffffff81000000ull, 0};
    for (const Frame& f : sym.kernel_stack(hidden)) EXPECT_EQ(f.module, nullptr);
    GTEST_SKIP() << "/proc/kallsyms hides addresses (kptr_restrict)";
  }
  // Index 0 inside schedule; a return address right after schedule's first byte is looked
  // up at schedule itself; the byte before schedule as the IP belongs to another function.
  const std::vector<uint64_t> addrs{schedule + 4, schedule + 1, schedule - 1};
  const auto frames = sym.kernel_stack(addrs);
  ASSERT_EQ(frames.size(), 3u);
  for (int i : {0, 1}) {
    ASSERT_EQ(frames[i].lines.size(), 1u);
    EXPECT_EQ(frames[i].lines[0].function, "schedule");
    EXPECT_EQ(frames[i].lines[0].system_name, "schedule");
    EXPECT_EQ(frames[i].address, addrs[i]);
  }
  ASSERT_NE(frames[0].module, nullptr);
  EXPECT_EQ(frames[0].module->path, "[kernel.kallsyms]");
  EXPECT_EQ(frames[0].module.get(), frames[1].module.get());
  EXPECT_TRUE(frames[0].module->has_functions);
  EXPECT_LE(frames[0].module->start, schedule);
  ASSERT_EQ(frames[2].lines.size(), 1u);
  EXPECT_NE(frames[2].lines[0].function, "schedule");

  // The build id, when found, is the one in the kernel's notes.
  const std::string& id = frames[0].module->build_id;
  if (!id.empty()) {
    std::ifstream notes("/sys/kernel/notes", std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(notes)),
                          std::istreambuf_iterator<char>());
    std::string bytes;
    for (size_t i = 0; i + 1 < id.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(id.substr(i, 2), nullptr, 16)));
    }
    EXPECT_NE(raw.find(bytes), std::string::npos) << id;
  }

  const std::vector<uint64_t> user{0x400000, 0};
  for (const Frame& f : sym.kernel_stack(user)) {
    EXPECT_EQ(f.module, nullptr);
    EXPECT_TRUE(f.lines.empty());
  }
}

// Resolve cost on real code: up to 4000 addresses spread over the target's and libc's
// executable mappings, first uncached then cached. Reported, with a loose bound as a regression
// guard.
TEST(Symbolizer, ResolveSpeed) {
  Target t(SYMBOLIZE_TARGET_PATH);
  ASSERT_TRUE(t.ready());
  auto maps = read_maps(t.pid());
  ASSERT_TRUE(maps.ok());
  const MapsSnapshot snap = make_maps_snapshot(*maps);
  for (const char* which_name : {"symbolize_target", "libc.so"}) {
    const std::string which = which_name;
    std::vector<uint64_t> addrs;
    for (const MapEntry& e : snap.entries) {
      if (!e.executable || e.path.find(which) == std::string::npos) continue;
      const uint64_t step = std::max<uint64_t>(1, (e.end - e.start) / 4000);
      for (uint64_t a = e.start; a < e.end && addrs.size() < 4000; a += step) addrs.push_back(a);
    }
    ASSERT_FALSE(addrs.empty()) << which;
    Symbolizer sym;
    using clock = std::chrono::steady_clock;
    size_t named = 0;
    const auto t0 = clock::now();
    for (uint64_t a : addrs) {
      const uint64_t one[] = {a};
      named += !sym.user_stack(t.pid(), one)[0].lines.empty();
    }
    const auto t1 = clock::now();
    for (uint64_t a : addrs) {
      const uint64_t one[] = {a};
      (void)sym.user_stack(t.pid(), one);
    }
    const auto t2 = clock::now();
    const double uncached_us = std::chrono::duration<double, std::micro>(t1 - t0).count() /
                               static_cast<double>(addrs.size());
    const double cached_us = std::chrono::duration<double, std::micro>(t2 - t1).count() /
                             static_cast<double>(addrs.size());
    std::printf(
        "%s: %zu addresses, %zu named; %.1f us uncached (incl. first load), "
        "%.2f us cached\n",
        which.c_str(), addrs.size(), named, uncached_us, cached_us);
    RecordProperty(which + "_uncached_us", std::to_string(uncached_us));
    RecordProperty(which + "_cached_us", std::to_string(cached_us));
    // The target's code fills a fraction of its one page; libc's is dense.
    EXPECT_GT(named, which == "libc.so" ? addrs.size() * 9 / 10 : 100);
    EXPECT_LT(uncached_us, 2000.0);
    EXPECT_LT(cached_us, 50.0);
  }
}

}  // namespace
}  // namespace waitprof
