// What a flamegraph calls each frame of a pprof Location. One Location can stand for several
// frames: its Lines list the functions inlined at that address, line[0] innermost (where the
// address is), the last the outermost caller; each becomes a frame of its own, as pprof shows
// them. A Location nothing is known about is named by its module and file offset
// ("libc.so.6+0x8f2a0", what addr2line takes), or its address when no mapping covers it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "profile.pb.h"

namespace waitprof {

class FrameNames {
 public:
  // `profile` must have passed check_profile (read_profile does that) and outlive this.
  explicit FrameNames(const perftools::profiles::Profile& profile);

  // Frame name IDs of a location, outermost first (the order a root-first stack needs).
  const std::vector<int32_t>& frames(uint64_t location_id);
  const std::string& name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  size_t size() const { return names_.size(); }
  // The ID of a name, added if new (for pseudo frames such as "[no stack]").
  int32_t intern(std::string name);

 private:
  std::string unsymbolized(const perftools::profiles::Location& loc) const;

  const perftools::profiles::Profile& profile_;
  std::unordered_map<uint64_t, int> location_index_, function_index_, mapping_index_;
  std::unordered_map<uint64_t, std::vector<int32_t>> frames_by_location_;
  std::unordered_map<std::string, int32_t> id_by_name_;
  std::vector<std::string> names_;
};

// Makes a name safe for the folded format, whose lines are "frame;frame;frame value": ';'
// becomes ':' and line breaks and other control characters become spaces. Used for every
// output, so a frame reads the same in the SVG as in the folded file.
std::string sanitize_frame_name(std::string_view name);

}  // namespace waitprof
