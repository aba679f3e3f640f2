#include "record/target_registry.h"

#include <time.h>

#include <cstring>
#include <string>
#include <utility>

#include "proc_scan.h"
#include "symbolize/go_build_info.h"
#include "symbolize/maps_snapshot.h"
#include "symbolize/symbolizer.h"
#include "unwind/unwind_tables.h"
#include "util/read_file.h"

namespace waitprof {

namespace {

std::string read_comm(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text) return {};
  std::string name = std::move(*text);
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

}  // namespace

void TargetRegistry::remember(pid_t tgid, pid_t parent) {
  Result<std::string> text = read_maps(tgid);
  if (text) {
    const MapsSnapshot maps = make_maps_snapshot(*text);
    symbolizer_.remember(tgid, maps);
    if (unwind_ && unwind_->set_process(tgid, maps)) newly_unwindable_.push_back(tgid);
    processes_[tgid].mapped = true;
    return;
  }
  // A child may be gone before user space hears of its fork; it ran the parent's image.
  if (parent > 0) {
    symbolizer_.inherit(tgid, parent);
  } else if (!processes_[tgid].mapped) {
    unsymbolizable_.insert(tgid);
  }
}

void TargetRegistry::add_existing(pid_t tgid) {
  Process& p = processes_[tgid];
  p.name = read_comm("/proc/" + std::to_string(tgid) + "/comm");
  remember(tgid, 0);
  read_thread_names(tgid);
  read_go_version(tgid);
}

void TargetRegistry::read_go_version(pid_t tgid) {
  // /proc/PID/exe opens the image even when its file was deleted or replaced since.
  std::optional<std::string> v = go_version_of("/proc/" + std::to_string(tgid) + "/exe");
  if (v) {
    go_versions_[tgid] = std::move(*v);
  } else {
    go_versions_.erase(tgid);
  }
}

void TargetRegistry::on_event(const waitprof_proc_event& event) {
  const auto tgid = static_cast<pid_t>(event.tgid);
  const std::string comm(event.comm, strnlen(event.comm, sizeof(event.comm)));
  switch (event.kind) {
    case WAITPROF_PROC_FORK: {
      auto [it, inserted] = processes_.try_emplace(tgid);
      // The fork event carries the parent's comm: the child has not run yet.
      if (inserted) ++forked_;
      it->second.name = comm;
      remember(tgid, static_cast<pid_t>(event.parent_tgid));
      read_thread_names(tgid);
      read_go_version(tgid);
      break;
    }
    case WAITPROF_PROC_EXEC: {
      processes_[tgid].name = comm;
      remember(tgid, 0);
      read_go_version(tgid);
      execed_.push_back(tgid);
      break;
    }
    case WAITPROF_PROC_MAPS: {
      // Read now, while the process lives: once it is gone its libraries could not be named.
      remember(tgid, 0);
      break;
    }
    case WAITPROF_PROC_THREAD_NAME: {
      thread_names_[{tgid, static_cast<pid_t>(event.tid)}] = comm;
      break;
    }
    case WAITPROF_PROC_EXIT: {
      if (unwind_) unwind_->forget_process(tgid);
      auto it = processes_.find(tgid);
      if (it != processes_.end() && it->second.alive) {
        it->second.alive = false;
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        it->second.exited_ns =
            static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
        ++exited_;
      }
      break;
    }
    default:
      break;
  }
}

void TargetRegistry::read_thread_names(pid_t tgid) {
  const std::string task_dir = "/proc/" + std::to_string(tgid) + "/task/";
  for (pid_t tid : list_threads(tgid)) {
    std::string name = read_comm(task_dir + std::to_string(tid) + "/comm");
    if (!name.empty()) thread_names_[{tgid, tid}] = std::move(name);
  }
}

void TargetRegistry::refresh_live() {
  for (auto& [tgid, p] : processes_) {
    if (!p.alive) continue;
    (void)symbolizer_.remember(tgid);  // gone since the exit event raced: the old snapshot stays
    read_thread_names(tgid);
  }
}

std::vector<pid_t> TargetRegistry::take_newly_unwindable() {
  return std::exchange(newly_unwindable_, {});
}

std::vector<pid_t> TargetRegistry::expire_exited(uint64_t exited_by) {
  std::vector<pid_t> expired;
  for (auto it = processes_.begin(); it != processes_.end();) {
    if (it->second.alive || it->second.exited_ns > exited_by) {
      ++it;
      continue;
    }
    const pid_t tgid = it->first;
    expired.push_back(tgid);
    symbolizer_.forget(tgid);
    go_versions_.erase(tgid);
    unsymbolizable_.erase(tgid);
    thread_names_.erase(thread_names_.lower_bound({tgid, 0}),
                        thread_names_.lower_bound({tgid + 1, 0}));
    it = processes_.erase(it);
    --exited_;
  }
  return expired;
}

std::vector<pid_t> TargetRegistry::live_processes() const {
  std::vector<pid_t> live;
  for (const auto& [tgid, p] : processes_) {
    if (p.alive) live.push_back(tgid);
  }
  return live;
}

std::string TargetRegistry::process_name(pid_t tgid) const {
  auto it = processes_.find(tgid);
  return it != processes_.end() ? it->second.name : std::string();
}

std::string TargetRegistry::thread_name(pid_t tgid, pid_t tid) const {
  auto it = thread_names_.find({tgid, tid});
  return it != thread_names_.end() ? it->second : process_name(tgid);
}

}  // namespace waitprof
