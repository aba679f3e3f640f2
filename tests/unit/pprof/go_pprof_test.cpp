// `go tool pprof` is what our users open profiles with, so it is the independent judge of
// what we write: each test writes the demo profile and checks what pprof reports from it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "demo_profile.h"
#include "pprof/profile_writer.h"
#include "scratch_dir.h"
#include "support/child_process.h"
#include "support/privileges.h"
#include "util/atomic_file.h"

namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) {
      return candidate.string();
    }
  }
  return {};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class GoPprof : public ::testing::Test {
 protected:
  void SetUp() override {
    go_ = find_on_path("go");
    if (go_.empty()) {
      if (waitprof_test::running_in_ci()) {
        FAIL() << "CI=true but `go` is not on PATH: cannot check profiles with go tool pprof";
      }
      GTEST_SKIP() << "`go` is not on PATH (apt install golang-go)";
    }
    profile_ = dir_ / "delay.pb.gz";
    const auto st = waitprof::write_profile(waitprof_test::demo_builder().build(), profile_);
    ASSERT_TRUE(st) << st.error().message;
  }

  // stdout of `go tool pprof -symbolize=none <args> <profile>`; fails the test on a nonzero
  // exit. Go's cache and pprof's files go to the scratch dir, and nothing is fetched.
  std::string pprof(std::vector<std::string> args, const fs::path& file = {}) {
    std::vector<std::string> argv{"/usr/bin/env",
                                  "HOME=" + (dir_ / "home").string(),
                                  "GOCACHE=" + (dir_ / "gocache").string(),
                                  "GOPATH=" + (dir_ / "gopath").string(),
                                  "GOFLAGS=",
                                  "GOPROXY=off",
                                  "GOTOOLCHAIN=local",
                                  "PPROF_TMPDIR=" + (dir_ / "pprof").string(),
                                  go_,
                                  "tool",
                                  "pprof",
                                  "-symbolize=none"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back((file.empty() ? profile_ : file).string());
    waitprof_test::ChildProcess child(argv);
    std::string out = child.read_all(60000);
    const int status = child.stop(0, 10000);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "go tool pprof " << args.front() << " failed (status " << status << "):\n"
        << out;
    return out;
  }

  waitprof_test::ScratchDir dir_;
  std::string go_;
  fs::path profile_;
};

// -raw lists samples by location ID and then the locations: the closest view of the file.
TEST_F(GoPprof, RawShowsValuesStacksLabelsAndMappings) {
  const std::string out = pprof({"-raw"});
  EXPECT_THAT(out, HasSubstr("Comment: waitprof demo"));
  EXPECT_THAT(out, HasSubstr("PeriodType: contentions count"));
  EXPECT_THAT(out, HasSubstr("Duration: 5s"));
  EXPECT_THAT(out, HasSubstr("contentions/count delay/nanoseconds[dflt]"));

  struct RawSample {
    std::vector<int64_t> values;
    std::vector<int> locations;
    std::string labels;
  };
  std::vector<RawSample> samples;
  std::map<int, std::vector<std::string>> functions;  // location → names, innermost first
  std::vector<std::string> mappings;
  enum { kNone, kSamples, kLocations, kMappings } section = kNone;
  int current_location = 0;
  const std::regex sample_re(R"(^\s+(\d+)\s+(\d+): ([\d ]*)$)");
  const std::regex location_re(R"(^\s+(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*)$)");
  const std::regex line_re(R"(^\s*(.*) \S*:\d+ s=\d+.*$)");
  for (const std::string& l : lines_of(out)) {
    std::smatch m;
    if (l == "Samples:") {
      section = kSamples;
    } else if (l == "Locations") {
      section = kLocations;
    } else if (l == "Mappings") {
      section = kMappings;
    } else if (section == kSamples && std::regex_match(l, m, sample_re)) {
      RawSample s{{std::stoll(m[1]), std::stoll(m[2])}, {}, {}};
      std::istringstream ids(m[3].str());
      for (int id; ids >> id;) s.locations.push_back(id);
      samples.push_back(s);
    } else if (section == kSamples && !samples.empty() && l.find(":[") != std::string::npos) {
      samples.back().labels += (samples.back().labels.empty() ? "" : " ") +
                               std::regex_replace(l, std::regex(R"(^\s+)"), "");
    } else if (section == kLocations && std::regex_match(l, m, location_re)) {
      current_location = std::stoi(m[1]);
      std::smatch fn;
      const std::string rest = m[2];
      functions[current_location];
      if (std::regex_match(rest, fn, line_re)) functions[current_location].push_back(fn[1]);
    } else if (section == kLocations && std::regex_match(l, m, line_re)) {
      functions[current_location].push_back(m[1]);  // an inlined caller
    } else if (section == kMappings && !l.empty()) {
      mappings.push_back(l);
    }
  }

  auto stack = [&](const RawSample& s) {
    std::vector<std::string> names;
    for (int id : s.locations) {
      const auto& fns = functions[id];
      names.insert(names.end(), fns.begin(), fns.end());
      if (fns.empty()) names.push_back("?");
    }
    return names;
  };
  ASSERT_EQ(samples.size(), 4u) << out;
  EXPECT_THAT(samples[0].values, ElementsAre(3, 3000));
  EXPECT_THAT(stack(samples[0]), ElementsAre("futex_wait_queue", "std::mutex::lock()",
                                             "tsrv::LockedRng::next_index()", "main"));
  EXPECT_EQ(samples[0].labels, "thread:[worker-1] tid:[101]");
  EXPECT_THAT(samples[1].values, ElementsAre(1, 500));
  EXPECT_THAT(stack(samples[1]), ElementsAre("tsrv::ProductPool::take()", "main"));
  EXPECT_EQ(samples[1].labels, "thread:[worker-2] request_size:[2048 bytes] tid:[102]");
  EXPECT_THAT(samples[2].values, ElementsAre(4, 40000));
  EXPECT_EQ(stack(samples[2]), stack(samples[0]));
  EXPECT_EQ(samples[2].labels, "thread:[worker-2] tid:[102]");
  EXPECT_THAT(samples[3].values, ElementsAre(1, 7));
  EXPECT_THAT(stack(samples[3]), ElementsAre("?"));
  EXPECT_EQ(samples[3].labels, "");

  ASSERT_EQ(mappings.size(), 2u) << out;
  EXPECT_THAT(mappings[0], HasSubstr("0x400000/0x500000/0x1000 /usr/bin/target-server "
                                     "0123456789abcdef0123456789abcdef01234567 [FN][FL][LN][IN]"));
  EXPECT_THAT(mappings[1],
              HasSubstr("0xffffffff81000000/0xffffffff83000000/0x0 [kernel.kallsyms]"));
}

struct TopRow {
  std::string flat, cum;
};

std::map<std::string, TopRow> parse_top(const std::string& out) {
  std::map<std::string, TopRow> rows;
  const std::regex row_re(R"(^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+)$)");
  for (const std::string& l : lines_of(out)) {
    std::smatch m;
    if (std::regex_match(l, m, row_re)) rows[m[3]] = {m[1], m[2]};
  }
  return rows;
}

TEST_F(GoPprof, TopAddsUpDelayAndContentionsPerFunction) {
  const std::string out = pprof({"-top", "-unit=ns", "-nodefraction=0", "-nodecount=100"});
  EXPECT_THAT(out, HasSubstr("File: target-server"));
  EXPECT_THAT(out, HasSubstr("Type: delay"));
  EXPECT_THAT(out, HasSubstr("Total samples = 43507ns"));
  auto rows = parse_top(out);
  EXPECT_EQ(rows.size(), 6u) << out;
  EXPECT_EQ(rows["futex_wait_queue"].flat, "43000ns");
  EXPECT_EQ(rows["std::mutex::lock() (inline)"].cum, "43000ns");
  EXPECT_EQ(rows["tsrv::LockedRng::next_index()"].cum, "43000ns");
  EXPECT_EQ(rows["tsrv::ProductPool::take()"].flat, "500ns");
  EXPECT_EQ(rows["main"].flat, "0");
  EXPECT_EQ(rows["main"].cum, "43500ns");
  EXPECT_EQ(rows["<unknown>"].flat, "7ns");

  const std::string counts = pprof({"-top", "-sample_index=contentions", "-nodefraction=0"});
  EXPECT_THAT(counts, HasSubstr("Type: contentions"));
  rows = parse_top(counts);
  EXPECT_EQ(rows["futex_wait_queue"].flat, "7");
  EXPECT_EQ(rows["tsrv::ProductPool::take()"].flat, "1");
  EXPECT_EQ(rows["main"].cum, "8");
}

struct Trace {
  std::map<std::string, std::string> labels;
  std::string value;
  std::vector<std::string> frames;
};

TEST_F(GoPprof, TracesShowEachStackWithItsLabels) {
  const std::string out = pprof({"-traces", "-unit=ns"});
  std::vector<Trace> traces;
  bool in_trace = false;
  const std::regex label_re(R"(^\s*(\S+):  (.+)$)");
  const std::regex value_re(R"(^\s*(\d+\S*)   (.+)$)");
  const std::regex frame_re(R"(^ {13}(\S.*)$)");
  for (const std::string& l : lines_of(out)) {
    std::smatch m;
    if (l.rfind("-----------+", 0) == 0) {
      traces.emplace_back();
      in_trace = true;
    } else if (!in_trace) {
      continue;
    } else if (traces.back().value.empty() && std::regex_match(l, m, label_re)) {
      traces.back().labels[m[1]] = m[2];
    } else if (traces.back().value.empty() && std::regex_match(l, m, value_re)) {
      traces.back().value = m[1];
      traces.back().frames.push_back(m[2]);
    } else if (std::regex_match(l, m, frame_re)) {
      traces.back().frames.push_back(m[1]);
    }
  }
  if (!traces.empty() && traces.back().value.empty()) traces.pop_back();  // closing rule
  ASSERT_EQ(traces.size(), 4u) << out;

  auto find = [&](const std::string& value) -> const Trace* {
    for (const Trace& t : traces) {
      if (t.value == value) return &t;
    }
    ADD_FAILURE() << "no trace with value " << value << " in:\n" << out;
    return nullptr;
  };
  const std::vector<std::string> lock{"futex_wait_queue", "std::mutex::lock() (inline)",
                                      "tsrv::LockedRng::next_index()", "main"};
  if (const Trace* t = find("3000ns")) {
    EXPECT_EQ(t->frames, lock);
    EXPECT_EQ(t->labels,
              (std::map<std::string, std::string>{{"thread", "worker-1"}, {"tid", "101"}}));
  }
  if (const Trace* t = find("40000ns")) {
    EXPECT_EQ(t->frames, lock);
    EXPECT_EQ(t->labels.at("thread"), "worker-2");
  }
  if (const Trace* t = find("500ns")) {
    EXPECT_THAT(t->frames, ElementsAre("tsrv::ProductPool::take()", "main"));
    EXPECT_EQ(t->labels.at("thread"), "worker-2");
    EXPECT_EQ(t->labels.at("tid"), "102");
    EXPECT_EQ(t->labels.count("request_size"), 1u);
  }
  if (const Trace* t = find("7ns")) {
    EXPECT_THAT(t->frames, ElementsAre("<unknown>"));
    EXPECT_TRUE(t->labels.empty());
  }
}

TEST_F(GoPprof, TagsBreakDownDelayByLabel) {
  const std::string out = pprof({"-tags"});
  // key → value → weight, as pprof prints them.
  std::map<std::string, std::map<std::string, std::string>> tags;
  std::map<std::string, std::string> totals;
  std::string key;
  const std::regex key_re(R"(^\s*(\S+): Total (\S+)$)");
  const std::regex value_re(R"(^\s*(\S+) \(\s*[\d.]+%\): (.+)$)");
  for (const std::string& l : lines_of(out)) {
    std::smatch m;
    if (std::regex_match(l, m, key_re)) {
      key = m[1];
      totals[key] = m[2];
    } else if (!key.empty() && std::regex_match(l, m, value_re)) {
      tags[key][m[2]] = m[1];
    }
  }
  EXPECT_EQ(totals, (std::map<std::string, std::string>{
                        {"request_size", "500.0ns"}, {"thread", "43.5us"}, {"tid", "43.5us"}}))
      << out;
  EXPECT_EQ(tags["thread"],
            (std::map<std::string, std::string>{{"worker-1", "3.0us"}, {"worker-2", "40.5us"}}));
  EXPECT_EQ(tags["tid"], (std::map<std::string, std::string>{{"101", "3.0us"}, {"102", "40.5us"}}));
  // The unit made it through: pprof scales bytes.
  EXPECT_EQ(tags["request_size"], (std::map<std::string, std::string>{{"2kB", "500.0ns"}}));
}

// The other direction: a profile Go encoded (its own gzip and protobuf writer) reads back with
// read_profile, values and labels intact.
TEST_F(GoPprof, ReadProfileReadsWhatGoWrites) {
  const std::string go_written = pprof({"-proto"});
  ASSERT_TRUE(waitprof::write_file_atomically(dir_ / "go.pb.gz", go_written));
  auto p = waitprof::read_profile(dir_ / "go.pb.gz");
  ASSERT_TRUE(p) << p.error().message;
  int64_t contentions = 0, delay = 0, worker1_delay = 0;
  for (const auto& s : p->sample()) {
    contentions += s.value(0);
    delay += s.value(1);
    for (const auto& l : s.label()) {
      if (p->string_table(static_cast<int>(l.str())) == "worker-1") worker1_delay += s.value(1);
    }
  }
  EXPECT_EQ(contentions, 9);
  EXPECT_EQ(delay, 43507);
  EXPECT_EQ(worker1_delay, 3000);
  EXPECT_EQ(p->string_table(static_cast<int>(p->default_sample_type())), "delay");
}

}  // namespace
