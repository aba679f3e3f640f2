#include "output_queue.h"

#include <limits.h>

#include <cerrno>

namespace tsrv {

void OutputQueue::push_borrowed(std::string_view bytes) {
  if (bytes.empty()) return;
  segments_.push_back({{const_cast<char*>(bytes.data()), bytes.size()}, false});
  pending_bytes_ += bytes.size();
}

void OutputQueue::push_owned(std::string bytes) {
  if (bytes.empty()) return;
  owned_.push_back(std::move(bytes));
  std::string& s = owned_.back();
  segments_.push_back({{s.data(), s.size()}, true});
  pending_bytes_ += s.size();
}

ssize_t OutputQueue::write_to(int fd) {
  // Pipelined requests queue many segments; one writev sends them together.
  constexpr size_t kMaxIov = 64;
  static_assert(kMaxIov <= IOV_MAX);
  iovec iov[kMaxIov];
  size_t n = 0;
  for (auto it = segments_.begin(); it != segments_.end() && n < kMaxIov; ++it) iov[n++] = it->iov;
  if (n == 0) return 0;
  ssize_t written = writev(fd, iov, static_cast<int>(n));
  if (written < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  consume(static_cast<size_t>(written));
  return written;
}

void OutputQueue::consume(size_t n) {
  pending_bytes_ -= n;
  while (n > 0) {
    Segment& s = segments_.front();
    if (n < s.iov.iov_len) {
      s.iov.iov_base = static_cast<char*>(s.iov.iov_base) + n;
      s.iov.iov_len -= n;
      return;
    }
    n -= s.iov.iov_len;
    if (s.owned) owned_.pop_front();  // owned segments leave in the order they came
    segments_.pop_front();
  }
}

}  // namespace tsrv
