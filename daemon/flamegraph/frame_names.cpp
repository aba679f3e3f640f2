#include "flamegraph/frame_names.h"

#include <charconv>

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

std::string hex(uint64_t v) {
  char buf[24] = "0x";
  const auto [end, ec] = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
  return std::string(buf, end);
}

}  // namespace

std::string sanitize_frame_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == ';') {
      c = ':';
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return out;
}

FrameNames::FrameNames(const pb::Profile& profile) : profile_(profile) {
  for (int i = 0; i < profile.location_size(); ++i) location_index_[profile.location(i).id()] = i;
  for (int i = 0; i < profile.function_size(); ++i) function_index_[profile.function(i).id()] = i;
  for (int i = 0; i < profile.mapping_size(); ++i) mapping_index_[profile.mapping(i).id()] = i;
}

int32_t FrameNames::intern(std::string name) {
  auto [it, inserted] =
      id_by_name_.try_emplace(std::move(name), static_cast<int32_t>(names_.size()));
  if (inserted) names_.push_back(it->first);
  return it->second;
}

std::string FrameNames::unsymbolized(const pb::Location& loc) const {
  if (auto m = mapping_index_.find(loc.mapping_id()); m != mapping_index_.end()) {
    const pb::Mapping& mapping = profile_.mapping(m->second);
    std::string file = profile_.string_table(static_cast<int>(mapping.filename()));
    if (size_t slash = file.rfind('/'); slash != std::string::npos) file.erase(0, slash + 1);
    if (!file.empty() && loc.address() >= mapping.memory_start()) {
      return file + "+" + hex(loc.address() - mapping.memory_start() + mapping.file_offset());
    }
  }
  return hex(loc.address());
}

const std::vector<int32_t>& FrameNames::frames(uint64_t location_id) {
  auto cached = frames_by_location_.find(location_id);
  if (cached != frames_by_location_.end()) return cached->second;
  std::vector<int32_t>& out = frames_by_location_[location_id];
  auto li = location_index_.find(location_id);
  if (li == location_index_.end()) {
    // check_profile rules this out; a name still beats a crash.
    out.push_back(intern("<unknown location " + std::to_string(location_id) + ">"));
    return out;
  }
  const pb::Location& loc = profile_.location(li->second);
  for (int i = loc.line_size() - 1; i >= 0; --i) {
    auto fi = function_index_.find(loc.line(i).function_id());
    if (fi == function_index_.end()) continue;
    const pb::Function& fn = profile_.function(fi->second);
    // Go writes name and system_name alike; a symbolizer may leave only the mangled one.
    std::string_view name = profile_.string_table(static_cast<int>(fn.name()));
    if (name.empty()) name = profile_.string_table(static_cast<int>(fn.system_name()));
    if (!name.empty()) out.push_back(intern(sanitize_frame_name(name)));
  }
  if (out.empty()) out.push_back(intern(sanitize_frame_name(unsymbolized(loc))));
  return out;
}

}  // namespace waitprof
