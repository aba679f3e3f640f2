#include "pprof/profile_builder.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

// Order-sensitive, unlike XOR: stacks A→B and B→A must hash differently.
void hash_combine(size_t& seed, uint64_t v) {
  seed ^= std::hash<uint64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

// What a label means, for sorting: a string label's num and num_unit are not written, so
// they must neither split nor order samples.
std::tuple<std::string_view, std::string_view, int64_t, std::string_view> label_order(
    const Label& l) {
  if (!l.str.empty()) return {l.key, l.str, 0, {}};
  return {l.key, {}, l.num, l.num_unit};
}

bool looks_like_main_binary(std::string_view path) {
  if (path.empty() || path.front() == '[') return false;
  const std::string_view name = path.substr(path.rfind('/') + 1);
  // "libc.so.6", "libfoo.so", "libbar.so_1": pprof's own shared-library test, simplified.
  for (size_t pos = name.find(".so"); pos != std::string_view::npos;
       pos = name.find(".so", pos + 1)) {
    const size_t after = pos + 3;
    if (after == name.size() || name[after] == '.' || name[after] == '_') return false;
  }
  return true;
}

}  // namespace

size_t ProfileBuilder::KeyHash::operator()(const LocationKey& k) const {
  size_t seed = 0;
  hash_combine(seed, k.first);
  hash_combine(seed, k.second);
  return seed;
}

size_t ProfileBuilder::KeyHash::operator()(const SampleKey& k) const {
  size_t seed = k.locations.size();
  for (uint64_t id : k.locations) hash_combine(seed, id);
  for (const LabelKey& l : k.labels) {
    hash_combine(seed, static_cast<uint64_t>(l.key));
    hash_combine(seed, static_cast<uint64_t>(l.str));
    hash_combine(seed, static_cast<uint64_t>(l.num));
    hash_combine(seed, static_cast<uint64_t>(l.num_unit));
  }
  return seed;
}

ProfileBuilder::ProfileBuilder(const ProfileHeader& header) {
  intern("");  // pprof requires string_table[0] == ""
  for (const ValueType& vt : header.sample_types) {
    pb::ValueType* out = profile_.add_sample_type();
    out->set_type(intern(vt.type));
    out->set_unit(intern(vt.unit));
  }
  if (!header.default_sample_type.empty()) {
    profile_.set_default_sample_type(intern(header.default_sample_type));
  }
  if (!header.period_type.type.empty() || !header.period_type.unit.empty()) {
    profile_.mutable_period_type()->set_type(intern(header.period_type.type));
    profile_.mutable_period_type()->set_unit(intern(header.period_type.unit));
  }
  profile_.set_period(header.period);
  profile_.set_time_nanos(header.time_nanos);
  profile_.set_duration_nanos(header.duration_nanos);
  for (const std::string& c : header.comments) profile_.add_comment(intern(c));
}

int64_t ProfileBuilder::intern(std::string_view s) {
  if (auto it = strings_.find(s); it != strings_.end()) return it->second;
  const auto index = static_cast<int64_t>(profile_.string_table_size());
  profile_.add_string_table(std::string(s));
  strings_.emplace(std::string(s), index);
  return index;
}

uint64_t ProfileBuilder::mapping_id(const std::shared_ptr<const Module>& module) {
  if (!module) return 0;
  if (auto it = mapping_by_module_.find(module.get()); it != mapping_by_module_.end()) {
    return it->second;
  }
  const MappingKey key{intern(module->path), module->start, module->limit, module->file_offset,
                       intern(module->build_id)};
  uint64_t id = 0;
  if (auto it = mapping_by_key_.find(key); it != mapping_by_key_.end()) {
    id = it->second;
    // The same file seen through another Module: keep what either knew about its symbols.
    pb::Mapping* m = profile_.mutable_mapping(static_cast<int>(id - 1));
    m->set_has_functions(m->has_functions() || module->has_functions);
    m->set_has_filenames(m->has_filenames() || module->has_filenames);
    m->set_has_line_numbers(m->has_line_numbers() || module->has_line_numbers);
    m->set_has_inline_frames(m->has_inline_frames() || module->has_inline_frames);
  } else {
    id = static_cast<uint64_t>(profile_.mapping_size()) + 1;
    pb::Mapping* m = profile_.add_mapping();
    m->set_id(id);
    m->set_memory_start(module->start);
    m->set_memory_limit(module->limit);
    m->set_file_offset(module->file_offset);
    m->set_filename(std::get<0>(key));
    m->set_build_id(std::get<4>(key));
    m->set_has_functions(module->has_functions);
    m->set_has_filenames(module->has_filenames);
    m->set_has_line_numbers(module->has_line_numbers);
    m->set_has_inline_frames(module->has_inline_frames);
    mapping_by_key_.emplace(key, id);
  }
  mapping_by_module_.emplace(module.get(), id);
  modules_.push_back(module);
  return id;
}

uint64_t ProfileBuilder::function_id(const SourceLine& line) {
  // pprof shows a Function by its name alone; without a demangled name the symbol is better
  // than an empty string.
  const std::string& name = line.function.empty() ? line.system_name : line.function;
  const FunctionKey key{intern(name), intern(line.system_name), intern(line.file), line.start_line};
  if (auto it = function_by_key_.find(key); it != function_by_key_.end()) return it->second;
  const auto id = static_cast<uint64_t>(profile_.function_size()) + 1;
  pb::Function* f = profile_.add_function();
  f->set_id(id);
  f->set_name(std::get<0>(key));
  f->set_system_name(std::get<1>(key));
  f->set_filename(std::get<2>(key));
  f->set_start_line(line.start_line);
  function_by_key_.emplace(key, id);
  return id;
}

uint64_t ProfileBuilder::location_id(const Frame& frame) {
  const LocationKey key{mapping_id(frame.module), frame.address};
  if (auto it = location_by_key_.find(key); it != location_by_key_.end()) return it->second;
  const auto id = static_cast<uint64_t>(profile_.location_size()) + 1;
  pb::Location* loc = profile_.add_location();
  loc->set_id(id);
  loc->set_mapping_id(key.first);
  loc->set_address(frame.address);
  // Frame::lines and pprof's Location.line agree: innermost inlined function first.
  for (const SourceLine& sl : frame.lines) {
    pb::Line* line = loc->add_line();
    line->set_function_id(function_id(sl));
    line->set_line(sl.line);
  }
  location_by_key_.emplace(key, id);
  return id;
}

void ProfileBuilder::add_sample(std::span<const Frame> frames, std::span<const int64_t> values,
                                std::span<const Label> labels) {
  if (values.size() != static_cast<size_t>(profile_.sample_type_size())) {
    ++rejected_samples_;
    return;
  }

  SampleKey key;
  key.locations.reserve(frames.size());
  for (const Frame& f : frames) key.locations.push_back(location_id(f));

  std::vector<const Label*> sorted;
  sorted.reserve(labels.size());
  for (const Label& l : labels) sorted.push_back(&l);
  std::sort(sorted.begin(), sorted.end(),
            [](const Label* a, const Label* b) { return label_order(*a) < label_order(*b); });
  key.labels.reserve(sorted.size());
  for (const Label* l : sorted) {
    LabelKey lk;
    lk.key = intern(l->key);
    if (!l->str.empty()) {
      lk.str = intern(l->str);
    } else {
      lk.num = l->num;
      if (!l->num_unit.empty()) lk.num_unit = intern(l->num_unit);
    }
    key.labels.push_back(lk);
  }

  if (auto it = sample_by_key_.find(key); it != sample_by_key_.end()) {
    pb::Sample* s = profile_.mutable_sample(it->second);
    for (size_t i = 0; i < values.size(); ++i) {
      // Saturate instead of overflowing (undefined for int64_t); a pinned maximum is visible.
      int64_t sum = 0;
      if (__builtin_add_overflow(s->value(static_cast<int>(i)), values[i], &sum)) {
        sum = values[i] > 0 ? INT64_MAX : INT64_MIN;
      }
      s->set_value(static_cast<int>(i), sum);
    }
    return;
  }

  pb::Sample* s = profile_.add_sample();
  for (uint64_t id : key.locations) s->add_location_id(id);
  for (int64_t v : values) s->add_value(v);
  for (const LabelKey& lk : key.labels) {
    pb::Label* l = s->add_label();
    l->set_key(lk.key);
    l->set_str(lk.str);
    l->set_num(lk.num);
    l->set_num_unit(lk.num_unit);
  }
  sample_by_key_.emplace(std::move(key), profile_.sample_size() - 1);
}

pb::Profile ProfileBuilder::build() && {
  auto* mappings = profile_.mutable_mapping();
  const auto main_it = std::find_if(mappings->begin(), mappings->end(), [&](const pb::Mapping& m) {
    return looks_like_main_binary(profile_.string_table(static_cast<int>(m.filename())));
  });
  // Rotating (not swapping) keeps the others in first-use order.
  if (main_it != mappings->end()) std::rotate(mappings->begin(), main_it, main_it + 1);
  return std::move(profile_);
}

}  // namespace waitprof
