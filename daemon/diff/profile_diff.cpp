#include "diff/profile_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "flamegraph/sample_index.h"
#include "flamegraph/stack_tree.h"
#include "flamegraph/units.h"
#include "record/record_report.h"

namespace waitprof {

namespace {

constexpr double kNanosPerMinute = 60e9;

struct Side {
  double total = 0;
  std::map<std::vector<std::string>, double> by_stack;  // frames leaf first
};

// Every stack's value (the tree's self values: the samples with exactly that stack), scaled
// by `scale`.
Side side_of(const perftools::profiles::Profile& p, int index, double scale) {
  const StackTree tree = StackTree::build(p, index);
  Side side;
  side.total = static_cast<double>(tree.total()) * scale;
  for (size_t i = 1; i < tree.size(); ++i) {
    const StackNode& n = tree.node(static_cast<int32_t>(i));
    if (n.self <= 0) continue;
    std::vector<std::string> frames;
    for (int32_t j = static_cast<int32_t>(i); j > 0; j = tree.node(j).parent) {
      frames.push_back(tree.name(tree.node(j)));
    }
    side.by_stack[std::move(frames)] += static_cast<double>(n.self) * scale;
  }
  return side;
}

std::string signed_percent(double pct) {
  if (std::isinf(pct)) return "new";
  char buf[32];
  snprintf(buf, sizeof(buf), "%+.1f%%", pct);
  return buf;
}

}  // namespace

Result<ProfileDiff> diff_profiles(const perftools::profiles::Profile& base,
                                  const perftools::profiles::Profile& next,
                                  std::string_view sample_type, size_t top) {
  Result<SampleIndex> bi = select_sample_index(base, sample_type);
  if (!bi) return Error{"BASE: " + bi.error().message};
  // The new profile's value of the same name: its default may differ from the base's.
  Result<SampleIndex> ni = select_sample_index(next, sample_type.empty() ? bi->type : sample_type);
  if (!ni) {
    return Error{"NEW cannot be compared with BASE (" + ni.error().message +
                 "): compare two profiles of one kind"};
  }
  if (bi->type != ni->type || bi->unit != ni->unit) {
    return Error{"the profiles' values differ (BASE " + bi->type + "/" + bi->unit + ", NEW " +
                 ni->type + "/" + ni->unit + "): compare profiles of one kind"};
  }
  ProfileDiff d;
  d.type = bi->type;
  d.unit = bi->unit;
  d.per_minute = base.duration_nanos() > 0 && next.duration_nanos() > 0;
  const double base_scale =
      d.per_minute ? kNanosPerMinute / static_cast<double>(base.duration_nanos()) : 1;
  const double next_scale =
      d.per_minute ? kNanosPerMinute / static_cast<double>(next.duration_nanos()) : 1;
  const Side b = side_of(base, bi->index, base_scale);
  const Side n = side_of(next, ni->index, next_scale);
  d.base_total = b.total;
  d.next_total = n.total;
  d.total_change_pct = b.total > 0 ? (n.total - b.total) / b.total * 100
                       : n.total > 0 ? std::numeric_limits<double>::infinity()
                                     : 0;

  std::map<std::vector<std::string>, StackChange> changes;
  for (const auto& [frames, v] : b.by_stack) changes[frames].base = v;
  for (const auto& [frames, v] : n.by_stack) changes[frames].next = v;
  std::vector<StackChange> all;
  for (auto& [frames, c] : changes) {
    c.frames = frames;
    c.line = stack_line(frames);
    c.base_share = b.total > 0 ? c.base / b.total : 0;
    c.next_share = n.total > 0 ? c.next / n.total : 0;
    const double points = (c.next_share - c.base_share) * 100;
    if (points > d.max_share_growth_points) {
      d.max_share_growth_points = points;
      d.max_share_growth_line = c.line;
    }
    all.push_back(std::move(c));
  }
  auto delta = [](const StackChange& c) { return c.next - c.base; };
  std::vector<StackChange> grown, shrunk;
  for (const StackChange& c : all) {
    if (delta(c) > 0) grown.push_back(c);
    if (delta(c) < 0) shrunk.push_back(c);
  }
  std::stable_sort(grown.begin(), grown.end(),
                   [&](const auto& x, const auto& y) { return delta(x) > delta(y); });
  std::stable_sort(shrunk.begin(), shrunk.end(),
                   [&](const auto& x, const auto& y) { return delta(x) < delta(y); });
  if (grown.size() > top) grown.resize(top);
  if (shrunk.size() > top) shrunk.resize(top);
  d.grown = std::move(grown);
  d.shrunk = std::move(shrunk);
  return d;
}

std::string diff_report(const ProfileDiff& d, const std::string& base_name,
                        const std::string& next_name) {
  auto value = [&](double v) { return format_value(static_cast<int64_t>(std::llround(v)), d.unit); };
  const char* per = d.per_minute ? " per 60 s" : "";
  std::string out;
  out += d.type + per + ": " + value(d.base_total) + " in " + base_name + " -> " +
         value(d.next_total) + " in " + next_name + " (" + signed_percent(d.total_change_pct) +
         ")\n";
  if (!d.per_minute) out += "  (a profile has no duration: values as recorded, not per 60 s)\n";
  auto section = [&](const char* title, const std::vector<StackChange>& stacks) {
    if (stacks.empty()) return;
    out += std::string(title) + ":\n";
    for (const StackChange& c : stacks) {
      char shares[96];
      snprintf(shares, sizeof(shares), "%5.1f%% -> %5.1f%%", c.base_share * 100,
               c.next_share * 100);
      const double diff = c.next - c.base;
      out += "  " + std::string(diff > 0 ? "+" : "-") + value(std::fabs(diff)) + "  (" +
             shares + " of the profile)  " + c.line + "\n";
    }
  };
  section("Grew", d.grown);
  section("Shrank", d.shrunk);
  if (d.grown.empty() && d.shrunk.empty()) out += "No stack changed.\n";
  return out;
}

std::vector<std::string> gate_failures(const ProfileDiff& d, double pct) {
  std::vector<std::string> out;
  char line[512];
  if (d.total_change_pct > pct) {
    if (std::isinf(d.total_change_pct)) {
      snprintf(line, sizeof(line), "the total %s grew from none to %s", d.type.c_str(),
               format_value(static_cast<int64_t>(std::llround(d.next_total)), d.unit).c_str());
    } else {
      snprintf(line, sizeof(line), "the total %s grew %s, more than %.1f%%", d.type.c_str(),
               signed_percent(d.total_change_pct).c_str(), pct);
    }
    out.push_back(line);
  }
  if (d.max_share_growth_points > pct) {
    snprintf(line, sizeof(line), "a stack's share grew %.1f points, more than %.1f: %s",
             d.max_share_growth_points, pct, d.max_share_growth_line.c_str());
    out.push_back(line);
  }
  return out;
}

}  // namespace waitprof
