#include "flamegraph/svg_render.h"

#include <algorithm>
#include <cstdio>

#include "flamegraph/svg_script.h"
#include "flamegraph/units.h"
#include "flamegraph/xml_text.h"

namespace waitprof {

namespace {

using L = SvgLayout;

std::string px(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Background as flamegraph.pl paints it: pale yellow under warm frames, grey under cool ones.
const char* background_end(Palette p) {
  return p == Palette::kHot ? "#eeeeb0" : "#e0e0e0";
}

class Writer {
 public:
  Writer(const StackTree& tree, const SvgPage& page, std::vector<bool> draw)
      : tree_(tree), page_(page), draw_(std::move(draw)) {
    for (size_t i = 0; i < tree.size(); ++i) {
      if (draw_[i]) {
        max_depth_ = std::max(max_depth_, tree.node(static_cast<int32_t>(i)).depth);
        ++drawn_;
      }
    }
    scale_ = tree.total() > 0 ? (L::kWidth - 2 * L::kPad) / static_cast<double>(tree.total()) : 0;
  }

  std::string render() {
    const int frames_height =
        tree_.total() > 0 ? (max_depth_ + 1) * L::kRowHeight : 2 * L::kRowHeight;
    const int height = L::kTop + frames_height + L::kBottom;
    out_.reserve(4096 + drawn_ * 220);
    header(height);
    if (tree_.total() > 0) {
      frames();
    } else {
      out_ += "<text x=\"" + std::to_string(L::kWidth / 2) + "\" y=\"" +
              std::to_string(L::kTop + L::kRowHeight) +
              "\" text-anchor=\"middle\">No samples with a positive value in this profile</text>\n";
    }
    out_ += "<text id=\"details\" x=\"" + std::to_string(L::kPad) + "\" y=\"" +
            std::to_string(height - 12) + "\"> </text>\n";
    out_ += "<text id=\"matched\" x=\"" + std::to_string(L::kWidth - L::kPad) + "\" y=\"" +
            std::to_string(height - 12) + "\"> </text>\n";
    // Last, so the frames exist when it runs.
    out_ += "<script type=\"text/ecmascript\"><![CDATA[\n";
    out_ += kSvgScript;
    out_ += "]]></script>\n</svg>\n";
    return std::move(out_);
  }

 private:
  void header(int height) {
    const std::string w = std::to_string(L::kWidth), h = std::to_string(height);
    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
    out_ += "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
            "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" data-total=\"" +
            std::to_string(tree_.total()) + "\" data-unit=\"" + xml_escape(page_.unit) +
            "\" data-palette=\"" + palette_name(page_.palette) + "\">\n";
    out_ += "<title>" + xml_escape(page_.title) + "</title>\n<desc>";
    for (const std::string& n : page_.notes) out_ += xml_escape(n) + "\n";
    out_ += "waitprof flamegraph: " + std::to_string(drawn_) + " of " +
            std::to_string(tree_.total() > 0 ? tree_.size() : 0) +
            " frames drawn (the others are narrower than a pixel, or past the " +
            std::to_string(L::kMaxFrames) + "-frame cap)</desc>\n";
    out_ +=
        "<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
        "<stop stop-color=\"#eeeeee\" offset=\"5%\"/><stop stop-color=\"" +
        std::string(background_end(page_.palette)) +
        "\" offset=\"95%\"/></linearGradient></defs>\n";
    out_ += "<style type=\"text/css\"><![CDATA[\n";
    out_ += kSvgStyle;
    out_ += "]]></style>\n";
    out_ += "<rect x=\"0\" y=\"0\" width=\"" + w + "\" height=\"" + h +
            "\" fill=\"url(#background)\"/>\n";
    out_ += "<text id=\"title\" x=\"" + std::to_string(L::kWidth / 2) + "\" y=\"24\">" +
            xml_escape(page_.title) + "</text>\n";
    out_ += "<text id=\"subtitle\" x=\"" + std::to_string(L::kWidth / 2) + "\" y=\"44\">" +
            xml_escape(page_.subtitle) + "</text>\n";
    if (!page_.notes.empty()) {
      std::string line;
      for (const std::string& n : page_.notes) line += (line.empty() ? "" : "  ·  ") + n;
      // One line across the page at most; the whole text is in <desc> and the tooltip.
      const size_t max_chars = static_cast<size_t>((L::kWidth - 2 * L::kPad) / (0.55 * 11));
      std::string shown(utf8_prefix(line, max_chars));
      if (shown.size() < line.size()) shown += "…";
      out_ += "<text id=\"notes\" x=\"" + std::to_string(L::kWidth / 2) + "\" y=\"60\"><title>" +
              xml_escape(line) + "</title>" + xml_escape(shown) + "</text>\n";
    }
    out_ += "<text id=\"unzoom\" class=\"hide\" x=\"" + std::to_string(L::kPad) +
            "\" y=\"24\">Reset Zoom</text>\n";
    // An HTML input in a foreignObject: typing filters as you go, in a standalone SVG too
    // (tests/browser checks Chromium). Where a viewer draws no foreignObject, Ctrl-F falls back
    // to prompt().
    out_ += "<foreignObject id=\"searchbox\" x=\"" + std::to_string(L::kWidth - L::kPad - 250) +
            "\" y=\"8\" width=\"250\" height=\"26\"><input xmlns=\"http://www.w3.org/1999/xhtml\" "
            "id=\"search\" type=\"search\" placeholder=\"Search (Ctrl-F)\" autocomplete=\"off\" "
            "spellcheck=\"false\"/></foreignObject>\n";
  }

  // Draws the drawn nodes depth-first, children in name order, each starting at the sum of
  // its elder siblings' values; by hand, as a pathological profile may be deeper than the
  // thread's stack.
  void frames() {
    std::vector<std::pair<int32_t, int64_t>> todo{{0, 0}};  // node, x in value units
    while (!todo.empty()) {
      const auto [i, x] = todo.back();
      todo.pop_back();
      frame(i, x);
      const StackNode& n = tree_.node(i);
      int64_t end = x + n.total - n.self;  // children fill the parent from its left edge
      for (auto c = n.children.rbegin(); c != n.children.rend(); ++c) {
        end -= tree_.node(*c).total;
        if (draw_[static_cast<size_t>(*c)]) todo.emplace_back(*c, end);
      }
    }
  }

  void frame(int32_t i, int64_t x) {
    const StackNode& n = tree_.node(i);
    const std::string& raw = i == 0 ? kRootName : tree_.name(n);
    const double left = L::kPad + static_cast<double>(x) * scale_;
    const double width = static_cast<double>(n.total) * scale_;
    const int top = L::kTop + (max_depth_ - n.depth) * L::kRowHeight;
    out_ += i == 0 ? "<g class=\"f\" id=\"root\"" : "<g class=\"f\"";
    out_ += " data-x=\"" + std::to_string(x) + "\" data-v=\"" + std::to_string(n.total) + "\">";
    out_ += "<title>" + xml_escape(raw) + "\n" + format_value(n.total, page_.unit) + " (" +
            format_percent(n.total, tree_.total()) + ")</title>";
    out_ += "<rect x=\"" + px(left) + "\" y=\"" + std::to_string(top) + "\" width=\"" + px(width) +
            "\" height=\"" + std::to_string(L::kRowHeight - 1) + "\" fill=\"" +
            frame_color(page_.palette, raw) + "\" rx=\"2\" ry=\"2\"/>";
    out_ += "<text x=\"" + px(left + 3) + "\" y=\"" + std::to_string(top + 11) + "\">" +
            xml_escape(frame_label(raw, width)) + "</text></g>\n";
  }

  static inline const std::string kRootName = "all";
  const StackTree& tree_;
  const SvgPage& page_;
  std::vector<bool> draw_;
  int32_t max_depth_ = 0;
  size_t drawn_ = 0;
  double scale_ = 0;
  std::string out_;
};

}  // namespace

std::string frame_label(std::string_view name, double width_px) {
  const double fit = (width_px - 6) / L::kCharWidth;
  if (fit < 3) return {};
  const size_t chars = static_cast<size_t>(fit);
  if (utf8_length(name) <= chars) return std::string(name);
  return std::string(utf8_prefix(name, chars - 2)) + "..";
}

std::vector<bool> frames_to_draw(const StackTree& tree) {
  std::vector<bool> draw(tree.size(), false);
  if (tree.total() <= 0) return draw;
  const double min_value = static_cast<double>(tree.total()) * L::kMinFrameFraction;
  // A child is never wider than its parent, so a too-narrow frame ends its branch.
  std::vector<int32_t> candidates, todo{0};
  while (!todo.empty()) {
    const int32_t i = todo.back();
    todo.pop_back();
    candidates.push_back(i);
    for (int32_t c : tree.node(i).children) {
      if (static_cast<double>(tree.node(c).total) >= min_value) todo.push_back(c);
    }
  }
  if (candidates.size() > L::kMaxFrames) {
    // Widest first, and of equal width the shallower: a parent always ranks before its
    // children, so what is kept stays connected to the root.
    std::sort(candidates.begin(), candidates.end(), [&](int32_t a, int32_t b) {
      const StackNode &na = tree.node(a), &nb = tree.node(b);
      if (na.total != nb.total) return na.total > nb.total;
      if (na.depth != nb.depth) return na.depth < nb.depth;
      return a < b;
    });
    candidates.resize(L::kMaxFrames);
  }
  for (int32_t i : candidates) draw[static_cast<size_t>(i)] = true;
  return draw;
}

std::string render_svg_document(const StackTree& tree, const SvgPage& page) {
  return Writer(tree, page, frames_to_draw(tree)).render();
}

}  // namespace waitprof
