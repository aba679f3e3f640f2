// Turns symbolized stacks into a pprof Profile: strings, mappings, locations and functions are
// deduplicated, and samples with the same stack and labels are merged. IDs are handed out in
// first-use order and samples kept in first-insertion order, so the same sequence of
// add_sample calls always yields the same Profile, byte for byte once serialized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "profile.pb.h"
#include "symbolize/frame.h"

namespace waitprof {

struct ValueType {
  std::string type, unit;
};

// A string label when `str` is non-empty, else a numeric one (num, in num_unit if given).
struct Label {
  std::string key;
  std::string str;
  int64_t num = 0;
  std::string num_unit;

  // Spelled-out constructors: brace-initializing a string label ({"thread", "w1"}) draws
  // -Wmissing-field-initializers, and {"tid", "", 7} reads poorly.
  static Label string(std::string key, std::string value) {
    return Label{std::move(key), std::move(value), 0, {}};
  }
  static Label number(std::string key, int64_t num, std::string unit = {}) {
    return Label{std::move(key), {}, num, std::move(unit)};
  }
};

// write_profile rejects a default_sample_type that names none of the sample_types (pprof would
// quietly show the last sample type instead).
struct ProfileHeader {
  std::vector<ValueType> sample_types;  // e.g. {"contentions","count"},{"delay","nanoseconds"}
  std::string default_sample_type;      // empty, or one of sample_types[].type
  ValueType period_type;                // e.g. {"cpu","nanoseconds"}
  int64_t period = 0;
  int64_t time_nanos = 0, duration_nanos = 0;
  std::vector<std::string> comments;
};

class ProfileBuilder {
 public:
  explicit ProfileBuilder(const ProfileHeader& header);

  // frames are leaf first (frames[0] is where the sample was taken). values.size() must equal
  // sample_types.size(); a sample that breaks this is dropped and counted in
  // rejected_samples(). Labels may come in any order: they are sorted, so the same set merges.
  // A frame with a null module becomes a Location with mapping_id 0 and just its address
  // (plus its lines, should it carry any). For each (mapping, address) the first frame seen
  // decides the Location's lines.
  void add_sample(std::span<const Frame> frames, std::span<const int64_t> values,
                  std::span<const Label> labels);

  // Samples dropped by add_sample for having the wrong number of values.
  size_t rejected_samples() const { return rejected_samples_; }

  // Mapping IDs stay in first-use order, but the main program's Mapping is listed first:
  // readers take mapping[0] as "the" binary (pprof prints it as "File:"), and a kernel or
  // libc frame is often the first one seen. The main program is the first mapping that is
  // neither a pseudo file ("[kernel.kallsyms]", "[vdso]") nor a shared library.
  perftools::profiles::Profile build() &&;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // What makes two Mappings one: identical path, range, offset and build ID, even when the
  // symbolizer handed us two Module objects for them.
  using MappingKey = std::tuple<int64_t, uint64_t, uint64_t, uint64_t, int64_t>;
  // A Location is an address in a mapping (0: none); its lines follow from the address.
  using LocationKey = std::pair<uint64_t, uint64_t>;
  // Function (name, system_name, filename) as string indices, and start_line.
  using FunctionKey = std::tuple<int64_t, int64_t, int64_t, int64_t>;
  struct LabelKey {
    int64_t key = 0, str = 0, num = 0, num_unit = 0;
    bool operator==(const LabelKey&) const = default;
  };
  // Two samples merge exactly when their location lists (in order: a stack is a sequence)
  // and their sorted label lists are equal.
  struct SampleKey {
    std::vector<uint64_t> locations;
    std::vector<LabelKey> labels;
    bool operator==(const SampleKey&) const = default;
  };
  struct KeyHash {
    size_t operator()(const LocationKey& k) const;
    size_t operator()(const SampleKey& k) const;
  };

  int64_t intern(std::string_view s);
  uint64_t mapping_id(const std::shared_ptr<const Module>& module);
  uint64_t location_id(const Frame& frame);
  uint64_t function_id(const SourceLine& line);

  perftools::profiles::Profile profile_;
  size_t rejected_samples_ = 0;

  std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> strings_;
  // Keyed by address, so the Modules are kept alive here: a freed Module's address could be
  // reused by a different one.
  std::unordered_map<const Module*, uint64_t> mapping_by_module_;
  std::vector<std::shared_ptr<const Module>> modules_;
  std::map<MappingKey, uint64_t> mapping_by_key_;
  std::unordered_map<LocationKey, uint64_t, KeyHash> location_by_key_;
  std::map<FunctionKey, uint64_t> function_by_key_;
  // Index into profile_.sample.
  std::unordered_map<SampleKey, int, KeyHash> sample_by_key_;
};

}  // namespace waitprof
