#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>

#include "util/unique_fd.h"

namespace waitprof {

namespace {

// Distinguishes temporaries of concurrent writers in this process; the pid separates
// processes. A stale temporary left by a crash only costs one more O_EXCL attempt.
std::atomic<unsigned> temp_counter{0};

// Callers copy errno before building `step`: allocating the message may clobber errno.
Error failure(const std::filesystem::path& path, const std::string& step, int err) {
  return errno_error("writing " + path.string() + (step.empty() ? "" : ": " + step), err);
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  // Linux writes at most ~2 GiB per call; stay below that so a short count means "again".
  constexpr size_t kMaxChunk = size_t{1} << 30;
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), std::min(data.size(), kMaxChunk));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return failure(path, "", err);
    }
    if (n == 0) return failure(path, "", EIO);  // no progress and no errno: do not spin
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status sync_directory(const std::filesystem::path& dir, const std::filesystem::path& path) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return failure(path, "opening directory " + dir.string() + " to sync it", err);
  }
  // Some filesystems cannot sync directories (EINVAL); the rename is still done there.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    const int err = errno;
    return failure(path, "syncing directory " + dir.string(), err);
  }
  return {};
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path name = path.filename();
  if (name.empty() || name == "." || name == "..") {
    return failure(path, "not a file name", EINVAL);
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";

  // Same directory as the target, so rename() stays within one filesystem and is atomic.
  // The leading dot keeps globs like out/*.pb.gz from picking up an unfinished file.
  std::filesystem::path temp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd.valid(); ++attempt) {
    temp = dir / ("." + name.string() + ".tmp." + std::to_string(::getpid()) + "." +
                  std::to_string(temp_counter.fetch_add(1)));
    fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid() && errno != EEXIST) break;
  }
  if (!fd.valid()) {
    const int err = errno;
    return failure(path, "creating temporary file " + temp.string(), err);
  }

  // Everything below has created `temp`; any failure must remove it again.
  auto fail = [&](Error error) -> Status {
    ::unlink(temp.c_str());
    return error;
  };
  if (Status st = write_all(fd.get(), contents, path); !st) return fail(st.error());
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    return fail(failure(path, "syncing " + temp.string(), err));
  }
  // close() can report a deferred write error (NFS); EINTR still closes the fd on Linux.
  if (::close(fd.release()) != 0 && errno != EINTR) {
    const int err = errno;
    return fail(failure(path, "closing " + temp.string(), err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    return fail(failure(path, "renaming " + temp.string() + " over it", err));
  }
  // Without this, a crash soon after could lose the rename and bring back the old file.
  return sync_directory(dir, path);
}

}  // namespace waitprof
