// The SVG as a file: geometry, text, escaping and what is left out. The browser test
// (tests/browser) checks what a user sees and does with it.
#include "flamegraph/svg_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

#include "fixture_profile.h"
#include "flamegraph/flamegraph.h"
#include "flamegraph/palette.h"
#include "flamegraph/xml_text.h"
#include "pprof/profile_builder.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using waitprof::FlamegraphOptions;
using waitprof::Frame;
using waitprof::frame_label;
using waitprof::StackTree;
using waitprof::SvgLayout;
using waitprof::xml_escape;
using waitprof_test::fixture_frame;
using waitprof_test::fixture_module;
namespace pb = perftools::profiles;

std::string svg_of(const pb::Profile& p, FlamegraphOptions o = {}) {
  auto r = waitprof::render_svg(p, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : "";
}

struct DrawnFrame {
  int64_t x = 0, v = 0;
  std::string title, rect_x, width, label;
};

// Frame name → what the SVG says about it.
std::map<std::string, DrawnFrame> drawn_frames(const std::string& svg) {
  static const std::regex frame_re(
      "<g class=\"f\"(?: id=\"root\")? data-x=\"(\\d+)\" data-v=\"(\\d+)\"><title>([^\\n]*)\\n"
      "([^<]*)</title><rect x=\"([\\d.]+)\" y=\"\\d+\" width=\"([\\d.]+)\"[^>]*/><text[^>]*>"
      "([^<]*)</text></g>");
  std::map<std::string, DrawnFrame> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), frame_re);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out[m[3]] = {std::stoll(m[1]), std::stoll(m[2]), m[4], m[5], m[6], m[7]};
  }
  return out;
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(XmlText, EscapesMarkupAndReplacesWhatXmlCannotHold) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
  EXPECT_EQ(xml_escape("operator&&"), "operator&amp;&amp;");
  EXPECT_EQ(xml_escape("µs — ✓ 🔥"), "µs — ✓ 🔥");
  EXPECT_EQ(xml_escape("a\xff"
                       "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(xml_escape("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong '/'
  EXPECT_EQ(xml_escape("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(xml_escape("x\x01y"), "x\xef\xbf\xbdy");
  EXPECT_EQ(xml_escape("cut \xe2\x82"), "cut \xef\xbf\xbd\xef\xbf\xbd");
}

TEST(XmlText, Utf8LengthAndPrefixCountCodePoints) {
  EXPECT_EQ(waitprof::utf8_length("µs✓🔥"), 4u);
  EXPECT_EQ(waitprof::utf8_prefix("µs✓🔥", 3), "µs✓");
  EXPECT_EQ(waitprof::utf8_prefix("ab", 5), "ab");
}

TEST(SvgRender, LabelsAreCutToFitWithTwoDots) {
  EXPECT_EQ(frame_label("handle_request", 1180), "handle_request");
  // (50 - 6) / 7.08 = 6.2 characters fit.
  EXPECT_EQ(frame_label("handle_request", 50), "hand..");
  EXPECT_EQ(frame_label("µµµµµµµµµµ", 50), "µµµµ..");
  EXPECT_EQ(frame_label("handle_request", 27.3), "h..");
  EXPECT_EQ(frame_label("handle_request", 27.2), "");
  EXPECT_EQ(frame_label("abc", 27.3), "abc");
}

TEST(SvgRender, TitleSubtitleAndNotesComeFromTheProfile) {
  FlamegraphOptions o;
  o.source = "out/lock.pb.gz";
  const std::string svg = svg_of(waitprof_test::fixture_profile(), o);
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("<text id=\"title\" x=\"600\" y=\"24\">lock: delay</text>"));
  EXPECT_THAT(svg, HasSubstr(">Total delay: 5.00 s  ·  profile duration 10.0 s  ·  "
                             "lock.pb.gz</text>"));
  EXPECT_THAT(svg, HasSubstr("<desc>waitprof fixture\ndrops: none\n"));
  EXPECT_THAT(svg, HasSubstr(">waitprof fixture  ·  drops: none</text>"));
  EXPECT_THAT(svg, HasSubstr("data-unit=\"nanoseconds\""));
  EXPECT_THAT(svg, HasSubstr("data-palette=\"cold\""));
  EXPECT_THAT(svg, HasSubstr("<![CDATA["));
  EXPECT_THAT(svg, Not(HasSubstr("http://www.w3.org/1999/xlink")));  // nothing external
  EXPECT_THAT(svg, Not(HasSubstr("src=")));
  EXPECT_THAT(svg, Not(HasSubstr("href=")));

  o.title = "RNG <lock> & friends";
  o.sample_index = "contentions";
  const std::string counts = svg_of(waitprof_test::fixture_profile(), o);
  EXPECT_THAT(counts, HasSubstr(">RNG &lt;lock&gt; &amp; friends</text>"));
  EXPECT_THAT(counts, HasSubstr(">Total contentions: 48  ·  "));
  EXPECT_THAT(counts, HasSubstr("data-unit=\"count\""));
}

TEST(SvgRender, FramesAreProportionalAndNamesEscaped) {
  const std::string svg = svg_of(waitprof_test::fixture_profile());
  auto frames = drawn_frames(svg);
  // Every frame but tiny_frame (1 µs of 5 s, far below a pixel) is drawn.
  EXPECT_EQ(frames.size(), 11u);
  EXPECT_EQ(count_of(svg, "<g class=\"f\""), 11u);
  EXPECT_EQ(frames.count("tiny_frame"), 0u);
  EXPECT_THAT(svg, Not(HasSubstr("tiny_frame")));
  const DrawnFrame& all = frames["all"];
  EXPECT_EQ(all.v, waitprof_test::kFixtureTotalNs);
  EXPECT_EQ(all.width, "1180.00");
  EXPECT_EQ(all.title, "5.00 s (100.0%)");
  // accept_loop keeps the left-out frame's value: totals stay what the profile says.
  EXPECT_EQ(frames["accept_loop"].v, 750'001'000);
  EXPECT_EQ(frames["accept_loop"].x, 0);
  EXPECT_EQ(frames["handle_request"].x, 750'001'000);
  EXPECT_EQ(frames["handle_request"].width, "944.00");  // 4 / 5.000001 * 1180
  EXPECT_EQ(frames["handle_request"].rect_x, "187.00");
  EXPECT_EQ(frames["tsrv::LockedRng::next_index()"].title, "3.00 s (60.0%)");
  EXPECT_EQ(frames["std::mutex::lock()"].v, 3'000'000'000);
  EXPECT_EQ(frames["render_json"].title, "1.00 s (20.0%)");
  // 0.25 s is 59 px: the name is cut to fit.
  const DrawnFrame& worker =
      frames["tsrv::Worker&lt;std::map&lt;int, int&gt;&gt;::run() &amp;&amp;"];
  EXPECT_EQ(worker.v, 250'000'000);
  EXPECT_EQ(worker.label, "tsrv:..");  // (59 - 6) / 7.08: 7 characters fit
  EXPECT_THAT(svg, Not(HasSubstr("Worker<")));
}

TEST(SvgRender, NarrowFramesAreLeftOutButEveryTotalStays) {
  auto bin = fixture_module("/bin/x", 0x400000);
  waitprof::ProfileHeader h;
  h.sample_types = {{"samples", "count"}};
  waitprof::ProfileBuilder b(h);
  const Frame main_f = fixture_frame(bin, 0x401000, {"main"});
  const int64_t one[] = {1}, big[] = {5000};
  std::vector<std::string> names;
  for (int i = 0; i < 5000; ++i) {
    const std::string name = "leaf_" + std::to_string(i);
    b.add_sample(std::vector<Frame>{fixture_frame(bin, 0x402000 + i, {name.c_str()}), main_f}, one,
                 {});
  }
  b.add_sample(std::vector<Frame>{fixture_frame(bin, 0x500000, {"big"}), main_f}, big, {});
  const pb::Profile p = std::move(b).build();
  const std::string svg = svg_of(p);
  auto frames = drawn_frames(svg);
  EXPECT_EQ(frames.size(), 3u);  // all, main, big
  EXPECT_EQ(frames["all"].v, 10000);
  EXPECT_EQ(frames["main"].v, 10000);
  EXPECT_EQ(frames["big"].title, "5,000 (50.0%)");
  EXPECT_THAT(svg, HasSubstr(">Total samples: 10,000</text>"));
  EXPECT_LT(svg.size(), 20000u);
  // The folded output leaves nothing out.
  auto folded = waitprof::render_folded(p, {});
  ASSERT_TRUE(folded);
  EXPECT_EQ(count_of(*folded, "\n"), 5001u);
}

TEST(SvgRender, HugeProfilesAreCappedAndStayConnectedToTheRoot) {
  // A 25,000-frame-deep stack: every frame is full width, too many to draw.
  auto bin = fixture_module("/bin/x", 0x400000);
  waitprof::ProfileHeader h;
  h.sample_types = {{"samples", "count"}};
  waitprof::ProfileBuilder b(h);
  std::vector<Frame> stack;
  for (int i = 0; i < 25000; ++i) {
    const std::string name = "f" + std::to_string(i);
    stack.push_back(fixture_frame(bin, 0x400000 + static_cast<uint64_t>(i), {name.c_str()}));
  }
  const int64_t v[] = {3};
  b.add_sample(stack, v, {});
  const pb::Profile p = std::move(b).build();
  const StackTree tree = StackTree::build(p, 0);
  const std::vector<bool> draw = waitprof::frames_to_draw(tree);
  size_t drawn = 0;
  for (size_t i = 0; i < tree.size(); ++i) {
    if (!draw[i]) continue;
    ++drawn;
    const int32_t parent = tree.node(static_cast<int32_t>(i)).parent;
    if (parent >= 0) {
      EXPECT_TRUE(draw[static_cast<size_t>(parent)]) << i;
    }
  }
  EXPECT_EQ(drawn, SvgLayout::kMaxFrames);
  const std::string svg = svg_of(p);
  EXPECT_EQ(count_of(svg, "<g class=\"f\""), SvgLayout::kMaxFrames);
  EXPECT_THAT(svg, HasSubstr(">f24999\n"));   // the outermost frame (root side) is drawn
  EXPECT_THAT(svg, Not(HasSubstr(">f0\n")));  // the leaf end is cut
}

TEST(SvgRender, AProfileWithoutSamplesStillRenders) {
  waitprof::ProfileHeader h;
  h.sample_types = {{"bytes", "bytes"}};
  const std::string svg = svg_of(waitprof::ProfileBuilder(h).build());
  EXPECT_THAT(svg, HasSubstr("No samples with a positive value"));
  EXPECT_THAT(svg, HasSubstr(">Total bytes: 0 B</text>"));
  EXPECT_EQ(count_of(svg, "<g class=\"f\""), 0u);
  auto folded = waitprof::render_folded(waitprof::ProfileBuilder(h).build(), {});
  ASSERT_TRUE(folded);
  EXPECT_EQ(*folded, "");
}

TEST(SvgRender, BadOptionsAndBrokenProfilesAreErrors) {
  FlamegraphOptions o;
  o.palette = "rainbow";
  auto r = waitprof::render_svg(waitprof_test::fixture_profile(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown palette \"rainbow\": use hot, cold or io");
  o = {};
  o.sample_index = "bytes";
  r = waitprof::render_svg(waitprof_test::fixture_profile(), o);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("unknown sample index \"bytes\""));
  pb::Profile broken = waitprof_test::fixture_profile();
  broken.mutable_sample(0)->add_location_id(999);
  r = waitprof::render_svg(broken, {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("invalid profile"));
}

TEST(Palette, DerivedFromWhatTheProfileMeasures) {
  using waitprof::Palette;
  auto palette_of = [](std::vector<waitprof::ValueType> types, std::string wanted = "") {
    waitprof::ProfileHeader h;
    h.sample_types = std::move(types);
    const pb::Profile p = waitprof::ProfileBuilder(h).build();
    auto index = waitprof::select_sample_index(p, wanted);
    EXPECT_TRUE(index);
    return waitprof::derive_palette(p, *index);
  };
  EXPECT_EQ(palette_of({{"samples", "count"}, {"cpu", "nanoseconds"}}), Palette::kHot);
  EXPECT_EQ(palette_of({{"samples", "count"}, {"cpu", "nanoseconds"}}, "samples"), Palette::kHot);
  EXPECT_EQ(palette_of({{"switches", "count"}, {"delay", "nanoseconds"}}), Palette::kCold);
  EXPECT_EQ(palette_of({{"contentions", "count"}, {"delay", "nanoseconds"}}, "contentions"),
            Palette::kCold);
  EXPECT_EQ(palette_of({{"calls", "count"}, {"bytes", "bytes"}}), Palette::kIo);
  EXPECT_EQ(palette_of({{"alloc_objects", "count"}, {"alloc_space", "bytes"}}), Palette::kIo);
  EXPECT_EQ(palette_of({{"wall", "nanoseconds"}}), Palette::kCold);
  EXPECT_EQ(palette_of({{"widgets", "count"}}), Palette::kHot);
}

TEST(Palette, ColorsArePerNameAndStayInTheirRange) {
  using waitprof::frame_color;
  using waitprof::Palette;
  EXPECT_EQ(frame_color(Palette::kHot, "main"), frame_color(Palette::kHot, "main"));
  EXPECT_NE(frame_color(Palette::kHot, "main"), frame_color(Palette::kHot, "serve"));
  const std::regex rgb(R"(rgb\((\d+),(\d+),(\d+)\))");
  for (const char* name : {"main", "serve", "futex_wait", "runtime.mcall", "", "x"}) {
    std::smatch m;
    const std::string hot = frame_color(Palette::kHot, name),
                      cold = frame_color(Palette::kCold, name),
                      io = frame_color(Palette::kIo, name);
    ASSERT_TRUE(std::regex_match(hot, m, rgb)) << hot;
    EXPECT_GE(std::stoi(m[1]), 205) << hot;  // red dominates warm colors
    EXPECT_LE(std::stoi(m[3]), 55) << hot;
    ASSERT_TRUE(std::regex_match(cold, m, rgb)) << cold;
    EXPECT_GT(std::stoi(m[3]), std::stoi(m[1])) << cold;  // blue over red
    ASSERT_TRUE(std::regex_match(io, m, rgb)) << io;
    EXPECT_GT(std::stoi(m[2]), std::stoi(m[1])) << io;  // green over red and blue
    EXPECT_GT(std::stoi(m[2]), std::stoi(m[3])) << io;
  }
}

}  // namespace
