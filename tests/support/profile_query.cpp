#include "support/profile_query.h"

#include <unordered_map>

#include "pprof/profile_writer.h"

namespace waitprof_test {

ProfileQuery::ProfileQuery(const std::string& path) {
  auto read = waitprof::read_profile(path);
  if (!read) {
    error_ = read.error().message;
    return;
  }
  profile_ = std::move(*read);
  std::unordered_map<uint64_t, const perftools::profiles::Function*> functions;
  for (const auto& f : profile_.function()) functions[f.id()] = &f;
  std::unordered_map<uint64_t, const perftools::profiles::Location*> locations;
  for (const auto& l : profile_.location()) locations[l.id()] = &l;
  for (const auto& s : profile_.sample()) {
    QueriedSample q;
    for (uint64_t loc_id : s.location_id()) {
      const auto* loc = locations[loc_id];
      if (!loc || loc->line_size() == 0) {
        q.functions.push_back("?");
        q.addresses.push_back(loc ? loc->address() : 0);
        continue;
      }
      for (const auto& line : loc->line()) {
        const auto* f = functions[line.function_id()];
        q.functions.push_back(f ? string_at(f->name()) : "?");
        q.addresses.push_back(loc->address());
      }
    }
    for (const auto& label : s.label()) {
      q.labels[string_at(label.key())] =
          label.str() ? string_at(label.str()) : std::to_string(label.num());
    }
    q.values.assign(s.value().begin(), s.value().end());
    samples_.push_back(std::move(q));
  }
}

std::string ProfileQuery::string_at(int64_t index) const {
  if (index < 0 || index >= profile_.string_table_size()) return {};
  return profile_.string_table(static_cast<int>(index));
}

int ProfileQuery::value_index(const std::string& type) const {
  for (int i = 0; i < profile_.sample_type_size(); ++i) {
    if (string_at(profile_.sample_type(i).type()) == type) return i;
  }
  return -1;
}

int64_t ProfileQuery::total(const std::string& type,
                            const std::function<bool(const QueriedSample&)>& keep) const {
  const int i = value_index(type);
  if (i < 0) return -1;
  int64_t sum = 0;
  for (const QueriedSample& s : samples_) {
    if (!keep || keep(s)) sum += s.values[static_cast<size_t>(i)];
  }
  return sum;
}

std::map<std::string, int64_t> ProfileQuery::total_by_label(const std::string& type,
                                                            const std::string& key) const {
  std::map<std::string, int64_t> out;
  const int i = value_index(type);
  if (i < 0) return out;
  for (const QueriedSample& s : samples_) {
    auto it = s.labels.find(key);
    if (it != s.labels.end()) out[it->second] += s.values[static_cast<size_t>(i)];
  }
  return out;
}

bool has_call_chain(const std::vector<std::string>& stack, const std::vector<std::string>& chain) {
  size_t next = 0;
  for (const std::string& frame : stack) {
    if (next < chain.size() && frame.find(chain[next]) != std::string::npos) ++next;
  }
  return next == chain.size();
}

}  // namespace waitprof_test
