#include "flamegraph/sample_index.h"

#include <algorithm>
#include <cctype>

namespace waitprof {

namespace {

std::string describe_types(const perftools::profiles::Profile& p) {
  std::string out;
  for (int i = 0; i < p.sample_type_size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(i) + "=" + p.string_table(static_cast<int>(p.sample_type(i).type())) +
           "/" + p.string_table(static_cast<int>(p.sample_type(i).unit()));
  }
  return out;
}

SampleIndex at(const perftools::profiles::Profile& p, int i) {
  return SampleIndex{i, p.string_table(static_cast<int>(p.sample_type(i).type())),
                     p.string_table(static_cast<int>(p.sample_type(i).unit()))};
}

}  // namespace

Result<SampleIndex> select_sample_index(const perftools::profiles::Profile& p,
                                        std::string_view wanted) {
  const int n = p.sample_type_size();
  if (n == 0) return Error{"the profile has no sample types, so there is no value to draw"};
  if (wanted.empty()) {
    // read_profile does not insist that default_sample_type names a sample type; pprof falls
    // back to the last one when it does not, and so do we.
    if (p.default_sample_type() != 0) {
      const std::string& name = p.string_table(static_cast<int>(p.default_sample_type()));
      for (int i = 0; i < n; ++i) {
        if (at(p, i).type == name) return at(p, i);
      }
    }
    return at(p, n - 1);
  }
  // A name first: a sample type could in principle be called "1".
  for (int i = 0; i < n; ++i) {
    if (at(p, i).type == wanted) return at(p, i);
  }
  if (wanted.size() <= 9 &&
      std::all_of(wanted.begin(), wanted.end(), [](char c) { return std::isdigit(uint8_t(c)); })) {
    const int i = std::stoi(std::string(wanted));
    if (i < n) return at(p, i);
  }
  return Error{"unknown sample index \"" + std::string(wanted) + "\": the profile has " +
               describe_types(p)};
}

}  // namespace waitprof
