// The catalogue GET /read serves: products generated from a seed and serialized to JSON once
// at startup, so a request costs an index and a write, never serialization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tsrv {

inline constexpr size_t kDefaultProductCount = 500;

class ProductPool {
 public:
  // Deterministic: the same seed and count give byte-identical documents.
  static ProductPool generate(uint64_t seed, size_t count = kDefaultProductCount);

  size_t size() const { return json_.size(); }
  std::string_view json(size_t index) const { return json_[index]; }

 private:
  std::vector<std::string> json_;
};

}  // namespace tsrv
