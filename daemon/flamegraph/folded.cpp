#include "flamegraph/folded.h"

#include <vector>

namespace waitprof {

std::string folded_stacks(const StackTree& tree) {
  // Depth-first by hand: a pathological profile may be deeper than the thread's stack.
  struct Item {
    int32_t node;
    size_t parent_len;  // length of the parent's path in `path`
  };
  std::string out, path;
  std::vector<Item> todo;
  for (auto c = tree.root().children.rbegin(); c != tree.root().children.rend(); ++c) {
    todo.push_back({*c, 0});
  }
  while (!todo.empty()) {
    const Item item = todo.back();
    todo.pop_back();
    const StackNode& n = tree.node(item.node);
    path.resize(item.parent_len);
    if (!path.empty()) path += ';';
    path += tree.name(n);
    if (n.self > 0) {
      out += path;
      out += ' ';
      out += std::to_string(n.self);
      out += '\n';
    }
    for (auto c = n.children.rbegin(); c != n.children.rend(); ++c) {
      todo.push_back({*c, path.size()});
    }
  }
  return out;
}

}  // namespace waitprof
