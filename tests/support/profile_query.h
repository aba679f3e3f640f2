// Questions the record tests ask of a pprof file, answered from the file itself (parsed with
// the same profile.proto, independent of how waitprof built it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "profile.pb.h"

namespace waitprof_test {

struct QueriedSample {
  std::vector<std::string> functions;  // leaf first, inlined frames expanded
  std::vector<uint64_t> addresses;     // each function's location address (inlined: shared)
  std::map<std::string, std::string> labels;
  std::vector<int64_t> values;
};

class ProfileQuery {
 public:
  // Reads path (gzipped profile.proto); ok() false with error() when it can't.
  explicit ProfileQuery(const std::string& path);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const perftools::profiles::Profile& profile() const { return profile_; }
  const std::vector<QueriedSample>& samples() const { return samples_; }

  // Index of the sample type named `type` ("delay"), or -1.
  int value_index(const std::string& type) const;
  // Sum of value `type` over samples for which `keep` holds (all when null).
  int64_t total(const std::string& type,
                const std::function<bool(const QueriedSample&)>& keep = nullptr) const;
  // Sum of value `type` per value of label `key`.
  std::map<std::string, int64_t> total_by_label(const std::string& type,
                                                const std::string& key) const;
  std::string string_at(int64_t index) const;

 private:
  perftools::profiles::Profile profile_;
  std::vector<QueriedSample> samples_;
  std::string error_;
};

// True when `stack` (leaf first) has, leaf-ward to root-ward, frames containing each of
// `chain` in that order (not necessarily adjacent). Names match as substrings.
bool has_call_chain(const std::vector<std::string>& stack, const std::vector<std::string>& chain);

}  // namespace waitprof_test
