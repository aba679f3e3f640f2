// Bytes waiting to be written to one connection. Product responses are long-lived buffers
// queued by reference, so a /read costs no copy; only dynamic responses own their bytes.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace tsrv {

class OutputQueue {
 public:
  // `bytes` must outlive the queue entry (the server's pre-built responses do).
  void push_borrowed(std::string_view bytes);
  void push_owned(std::string bytes);

  bool empty() const { return pending_bytes_ == 0; }
  size_t pending_bytes() const { return pending_bytes_; }

  // Writes as much as the socket takes with one writev. Returns bytes written, 0 when the
  // socket would block, or -1 with errno set on a real error.
  ssize_t write_to(int fd);

 private:
  struct Segment {
    iovec iov;
    bool owned;
  };
  void consume(size_t n);

  std::deque<Segment> segments_;
  std::deque<std::string> owned_;  // deque: push_back never moves earlier strings
  size_t pending_bytes_ = 0;
};

}  // namespace tsrv
