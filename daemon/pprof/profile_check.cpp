#include "pprof/profile_check.h"

#include <cstdint>
#include <string>
#include <unordered_set>

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

Error invalid(const std::string& what) {
  return Error{"invalid profile: " + what};
}

// Collects the IDs of one kind of entry, rejecting 0 and duplicates.
class IdSet {
 public:
  explicit IdSet(const char* kind) : kind_(kind) {}
  Status add(uint64_t id) {
    if (id == 0) return invalid(std::string(kind_) + " with id 0");
    if (!ids_.insert(id).second) {
      return invalid("duplicate " + std::string(kind_) + " id " + std::to_string(id));
    }
    return {};
  }
  bool contains(uint64_t id) const { return ids_.contains(id); }

 private:
  const char* kind_;
  std::unordered_set<uint64_t> ids_;
};

}  // namespace

Status check_profile(const pb::Profile& p) {
  const int64_t strings = p.string_table_size();
  if (strings == 0 || !p.string_table(0).empty()) {
    return invalid("string_table[0] must be the empty string");
  }
  auto str_ok = [&](int64_t index) { return index >= 0 && index < strings; };
  auto bad_str = [&](const std::string& where, int64_t index) {
    return invalid(where + " has string index " + std::to_string(index) + ", table has " +
                   std::to_string(strings));
  };

  for (int i = 0; i < p.sample_type_size(); ++i) {
    const pb::ValueType& vt = p.sample_type(i);
    if (!str_ok(vt.type()) || !str_ok(vt.unit())) {
      return bad_str("sample_type " + std::to_string(i), str_ok(vt.type()) ? vt.unit() : vt.type());
    }
  }
  for (int64_t index : {p.period_type().type(), p.period_type().unit(), p.drop_frames(),
                        p.keep_frames(), p.default_sample_type(), p.doc_url()}) {
    if (!str_ok(index)) return bad_str("the profile header", index);
  }
  for (int64_t index : p.comment()) {
    if (!str_ok(index)) return bad_str("a comment", index);
  }

  IdSet mappings("mapping");
  for (const pb::Mapping& m : p.mapping()) {
    if (Status st = mappings.add(m.id()); !st) return st;
    if (!str_ok(m.filename()) || !str_ok(m.build_id())) {
      return bad_str("mapping " + std::to_string(m.id()),
                     str_ok(m.filename()) ? m.build_id() : m.filename());
    }
  }
  IdSet functions("function");
  for (const pb::Function& f : p.function()) {
    if (Status st = functions.add(f.id()); !st) return st;
    for (int64_t index : {f.name(), f.system_name(), f.filename()}) {
      if (!str_ok(index)) return bad_str("function " + std::to_string(f.id()), index);
    }
  }
  IdSet locations("location");
  for (const pb::Location& l : p.location()) {
    if (Status st = locations.add(l.id()); !st) return st;
    if (l.mapping_id() != 0 && !mappings.contains(l.mapping_id())) {
      return invalid("location " + std::to_string(l.id()) + " refers to missing mapping " +
                     std::to_string(l.mapping_id()));
    }
    for (const pb::Line& line : l.line()) {
      if (!functions.contains(line.function_id())) {
        return invalid("location " + std::to_string(l.id()) + " refers to missing function " +
                       std::to_string(line.function_id()));
      }
    }
  }

  if (p.sample_size() > 0 && p.sample_type_size() == 0)
    return invalid("samples but no sample_type");
  for (int i = 0; i < p.sample_size(); ++i) {
    const pb::Sample& s = p.sample(i);
    const std::string where = "sample " + std::to_string(i);
    if (s.value_size() != p.sample_type_size()) {
      return invalid(where + " has " + std::to_string(s.value_size()) + " values for " +
                     std::to_string(p.sample_type_size()) + " sample types");
    }
    for (uint64_t id : s.location_id()) {
      if (!locations.contains(id)) {
        return invalid(where + " refers to missing location " + std::to_string(id));
      }
    }
    for (const pb::Label& l : s.label()) {
      for (int64_t index : {l.key(), l.str(), l.num_unit()}) {
        if (!str_ok(index)) return bad_str(where + "'s label", index);
      }
    }
  }
  return {};
}

}  // namespace waitprof
