#include "flamegraph/stack_tree.h"

#include <algorithm>
#include <unordered_map>

#include "flamegraph/frame_names.h"

namespace waitprof {

const std::string& StackTree::name(const StackNode& n) const {
  static const std::string kRoot;
  return n.name < 0 ? kRoot : names_[static_cast<size_t>(n.name)];
}

StackTree StackTree::build(const perftools::profiles::Profile& profile, int sample_index) {
  StackTree tree;
  tree.nodes_.emplace_back();
  FrameNames names(profile);
  // (parent node, frame name) → child node, while building; afterwards the sorted children
  // vectors are all a reader needs.
  std::unordered_map<uint64_t, int32_t> child_of;
  std::vector<int32_t> path;
  for (const auto& sample : profile.sample()) {
    const int64_t v = sample.value(sample_index);
    if (v == 0) continue;
    if (v < 0) {
      ++tree.skipped_samples_;
      continue;
    }
    path.clear();
    // location_id[0] is the leaf; the tree grows from the root.
    for (auto it = sample.location_id().rbegin(); it != sample.location_id().rend(); ++it) {
      const std::vector<int32_t>& frames = names.frames(*it);
      path.insert(path.end(), frames.begin(), frames.end());
    }
    // A sample without a stack still counts, and the folded lines must add up to the total.
    if (path.empty()) path.push_back(names.intern("[no stack]"));
    int32_t at = 0;
    tree.nodes_[0].total += v;
    for (int32_t name : path) {
      const uint64_t key = (static_cast<uint64_t>(at) << 32) | static_cast<uint32_t>(name);
      auto [it, inserted] = child_of.try_emplace(key, static_cast<int32_t>(tree.nodes_.size()));
      if (inserted) {
        StackNode child;
        child.name = name;
        child.parent = at;
        child.depth = tree.nodes_[static_cast<size_t>(at)].depth + 1;
        tree.max_depth_ = std::max(tree.max_depth_, child.depth);
        tree.nodes_[static_cast<size_t>(at)].children.push_back(it->second);
        tree.nodes_.push_back(std::move(child));
      }
      at = it->second;
      tree.nodes_[static_cast<size_t>(at)].total += v;
    }
    tree.nodes_[static_cast<size_t>(at)].self += v;
  }
  tree.names_.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i)
    tree.names_.push_back(names.name(static_cast<int32_t>(i)));
  for (StackNode& n : tree.nodes_) {
    std::sort(n.children.begin(), n.children.end(), [&](int32_t a, int32_t b) {
      return tree.names_[static_cast<size_t>(tree.nodes_[static_cast<size_t>(a)].name)] <
             tree.names_[static_cast<size_t>(tree.nodes_[static_cast<size_t>(b)].name)];
    });
  }
  return tree;
}

}  // namespace waitprof
