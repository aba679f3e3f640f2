// Draws a StackTree as a self-contained interactive SVG: everything (style, script, the search
// box) is inline, so the file works opened straight from disk (file://) with no network.
// Root at the bottom, callees above, width proportional to value, as flamegraph.pl draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flamegraph/palette.h"
#include "flamegraph/stack_tree.h"

namespace waitprof {

// The page's geometry, shared by the renderer and its tests.
struct SvgLayout {
  static constexpr int kWidth = 1200;  // px; the frames span kWidth - 2 * kPad
  static constexpr int kPad = 10;
  static constexpr int kRowHeight = 16;
  static constexpr int kFontSize = 12;
  static constexpr double kCharWidth = 0.59 * kFontSize;  // flamegraph.pl's estimate for Verdana
  static constexpr int kTop = 72;     // title, subtitle, notes and the search box above the frames
  static constexpr int kBottom = 34;  // the details line below them
  // Frames narrower than one pixel of the full-width drawing are left out, with everything
  // above them, so a profile with 100k distinct stacks stays a file a browser opens quickly.
  // Their value still counts in every frame below them and in the total.
  static constexpr double kMinFrameFraction = 1.0 / (kWidth - 2 * kPad);
  // And at most this many frames (the widest are kept), whatever the profile.
  static constexpr size_t kMaxFrames = 20000;
};

struct SvgPage {
  std::string title;
  std::string subtitle;            // the total, with its unit
  std::vector<std::string> notes;  // the profile's comments: one small line and <desc>
  std::string unit;                // the sample type's unit, for values in tooltips
  Palette palette = Palette::kHot;
};

// The label a frame `width_px` wide shows: the whole name if it fits, else its beginning and
// "..", or nothing when not even three characters fit. The script applies the same rule when
// a zoom widens frames.
std::string frame_label(std::string_view name, double width_px);

// Which nodes of `tree` get drawn (indexed by node; the root always, when the total is > 0).
std::vector<bool> frames_to_draw(const StackTree& tree);

std::string render_svg_document(const StackTree& tree, const SvgPage& page);

}  // namespace waitprof
