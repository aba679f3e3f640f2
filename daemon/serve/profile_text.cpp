#include "serve/profile_text.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

class ProfileView {
 public:
  explicit ProfileView(const pb::Profile& p) : p_(p) {
    for (const pb::Location& l : p.location()) locations_[l.id()] = &l;
    for (const pb::Function& f : p.function()) functions_[f.id()] = &f;
  }

  const std::string& str(int64_t i) const {
    static const std::string kEmpty;
    return i >= 0 && i < p_.string_table_size() ? p_.string_table(static_cast<int>(i)) : kEmpty;
  }

  std::string label(const pb::Sample& s, const std::string& key) const {
    for (const pb::Label& l : s.label()) {
      if (str(l.key()) == key) return l.str() ? str(l.str()) : std::to_string(l.num());
    }
    return {};
  }

  // "0x1 0x2 …", the sample's addresses leaf first.
  std::string addresses(const pb::Sample& s) const {
    std::string out;
    char buf[24];
    for (uint64_t id : s.location_id()) {
      auto it = locations_.find(id);
      snprintf(buf, sizeof(buf), "%s0x%" PRIx64, out.empty() ? "" : " ",
               it != locations_.end() ? it->second->address() : 0);
      out += buf;
    }
    return out;
  }

  // Calls fn(address, function, file, line) for every frame, inlined ones first.
  template <typename Fn>
  void frames(const pb::Sample& s, Fn&& fn) const {
    for (uint64_t id : s.location_id()) {
      auto it = locations_.find(id);
      if (it == locations_.end()) continue;
      const pb::Location& loc = *it->second;
      if (loc.line_size() == 0) fn(loc.address(), std::string("?"), std::string(), int64_t{0});
      for (const pb::Line& line : loc.line()) {
        auto f = functions_.find(line.function_id());
        const std::string name = f != functions_.end() ? str(f->second->name()) : "?";
        const std::string file = f != functions_.end() ? str(f->second->filename()) : "";
        fn(loc.address(), name, file, line.line());
      }
    }
  }

 private:
  const pb::Profile& p_;
  std::unordered_map<uint64_t, const pb::Location*> locations_;
  std::unordered_map<uint64_t, const pb::Function*> functions_;
};

std::string frame_comment(uint64_t address, const std::string& function, const std::string& file,
                          int64_t line) {
  char buf[40];
  snprintf(buf, sizeof(buf), "#\t0x%" PRIx64 "\t", address);
  std::string out = buf + function;
  if (!file.empty()) out += "\t" + file + ":" + std::to_string(line);
  return out + "\n";
}

// Go prints how long a goroutine has waited once it is a minute or more.
std::string waited(int64_t ns) {
  const int64_t s = ns / 1'000'000'000;
  if (s >= 60) return std::to_string(s / 60) + (s >= 120 ? " minutes" : " minute");
  return std::to_string(s) + (s == 1 ? " second" : " seconds");
}

}  // namespace

std::string contention_text(const pb::Profile& profile) {
  ProfileView view(profile);
  std::string out = "--- contention:\ncycles/second=1000000000\n";
  for (const pb::Sample& s : profile.sample()) {
    const int64_t count = s.value_size() > 0 ? s.value(0) : 0;
    const int64_t delay = s.value_size() > 1 ? s.value(1) : 0;
    out += std::to_string(delay) + " " + std::to_string(count) + " @ " + view.addresses(s) + "\n";
    view.frames(s, [&](uint64_t a, const std::string& f, const std::string& file, int64_t line) {
      out += frame_comment(a, f, file, line);
    });
    out += "\n";
  }
  return out;
}

std::string goroutine_text(const ThreadSnapshot& snapshot, int debug) {
  const pb::Profile& profile = snapshot.profile;
  ProfileView view(profile);
  std::string out;
  if (debug == 1) {
    // Threads with the same stack and labels other than their own ids are one entry.
    struct Group {
      int64_t count = 0;
      const pb::Sample* sample = nullptr;
      std::string labels;
    };
    std::map<std::string, Group> groups;
    int64_t total = static_cast<int64_t>(snapshot.running.size());
    for (const pb::Sample& s : profile.sample()) {
      std::string labels = "{\"pid\":\"" + view.label(s, "pid") + "\", \"process\":\"" +
                           view.label(s, "process") + "\", \"syscall\":\"" +
                           view.label(s, "syscall") + "\", \"wait\":\"" + view.label(s, "wait") +
                           "\"}";
      Group& g = groups[view.addresses(s) + "|" + labels];
      g.count += s.value(0);
      g.sample = &s;
      g.labels = std::move(labels);
      total += s.value(0);
    }
    out = "goroutine profile: total " + std::to_string(total) + "\n";
    for (const auto& [key, g] : groups) {
      out += std::to_string(g.count) + " @ " + view.addresses(*g.sample) + "\n";
      out += "# labels: " + g.labels + "\n";
      view.frames(*g.sample, [&](uint64_t a, const std::string& f, const std::string& file,
                                 int64_t line) { out += frame_comment(a, f, file, line); });
      out += "\n";
    }
    if (!snapshot.running.empty()) {
      out += std::to_string(snapshot.running.size()) + " @\n# labels: {\"state\":\"running\"}\n\n";
    }
    return out;
  }
  for (const pb::Sample& s : profile.sample()) {
    out += "goroutine " + view.label(s, "tid") + " [" + view.label(s, "syscall") + ", " +
           view.label(s, "wait") + ", " + waited(s.value_size() > 1 ? s.value(1) : 0) +
           ", pid " + view.label(s, "pid") + " " + view.label(s, "process") + ", thread " +
           view.label(s, "thread") + "]:\n";
    view.frames(s, [&](uint64_t, const std::string& f, const std::string& file, int64_t line) {
      // Go prints each call with its arguments; C++ names carry their parameter list already.
      const bool has_parameters = !f.empty() && f.back() == ')';
      out += f + (has_parameters ? "" : "(...)") + "\n\t" + (file.empty() ? "?" : file) + ":" +
             std::to_string(line) + "\n";
    });
    out += "\n";
  }
  for (const ThreadSnapshot::Running& r : snapshot.running) {
    out += "goroutine " + std::to_string(r.tid) + " [running, pid " + std::to_string(r.tgid) +
           " " + r.process + ", thread " + r.thread + "]:\n\n";
  }
  return out;
}

}  // namespace waitprof
