// A profile's samples merged into one tree of frames, root first: what a flamegraph draws
// and what the folded format lists. Two samples share a node as long as their frame names
// agree from the root down, whatever their labels or addresses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "profile.pb.h"

namespace waitprof {

struct StackNode {
  int32_t name = -1;    // index into StackTree::name(); -1 for the root
  int32_t parent = -1;  // -1 for the root
  int32_t depth = 0;    // 0 for the root, 1 for the outermost frames
  int64_t total = 0;    // value of every sample through this frame
  int64_t self = 0;     // value of the samples whose leaf is this frame
  // Sorted by name, as flamegraph.pl does: the same function sits at the same place in
  // every profile, and a frame's place says nothing about its value (its width does).
  std::vector<int32_t> children;
};

class StackTree {
 public:
  // Sums value[sample_index] of every sample. Samples whose value is 0 add nothing; negative
  // ones (diff profiles) cannot be drawn as widths and are counted in skipped_samples().
  // `profile` must have passed check_profile (read_profile does that).
  static StackTree build(const perftools::profiles::Profile& profile, int sample_index);

  const StackNode& root() const { return nodes_[0]; }
  const StackNode& node(int32_t i) const { return nodes_[static_cast<size_t>(i)]; }
  size_t size() const { return nodes_.size(); }
  int64_t total() const { return nodes_[0].total; }
  // "" for the root.
  const std::string& name(const StackNode& n) const;
  int64_t skipped_samples() const { return skipped_samples_; }
  int32_t max_depth() const { return max_depth_; }

 private:
  std::vector<StackNode> nodes_;
  std::vector<std::string> names_;
  int64_t skipped_samples_ = 0;
  int32_t max_depth_ = 0;
};

}  // namespace waitprof
