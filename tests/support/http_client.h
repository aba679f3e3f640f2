// A blocking loopback HTTP client for tests: raw bytes out, whole responses back.
#pragma once

#include <string>
#include <vector>

namespace waitprof_test {

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(int port);  // connects to 127.0.0.1:port; ok() tells if it did
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool send_raw(const std::string& bytes);
  void shutdown_write();
  // Reads one response (head + Content-Length body, no body for a HEAD request); status 0 on
  // EOF, error or 5 s timeout.
  HttpResponse read_response(bool head_request = false);
  // True when the server closed the connection (EOF within 5 s).
  bool wait_closed();

 private:
  bool fill();
  int fd_ = -1;
  std::string buffer_;
};

HttpResponse http_get(int port, const std::string& path);

// A TCP port on 127.0.0.1 nothing listens on right now.
int free_port();

}  // namespace waitprof_test
