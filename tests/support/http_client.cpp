#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace waitprof_test {

namespace {
constexpr int kTimeoutMs = 5000;

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}
}  // namespace

HttpConnection::HttpConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(port);
  if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

bool HttpConnection::send_raw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool HttpConnection::fill() {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, kTimeoutMs) != 1) return false;
  char chunk[65536];
  ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

void HttpConnection::shutdown_write() {
  shutdown(fd_, SHUT_WR);
}

HttpResponse HttpConnection::read_response(bool head_request) {
  HttpResponse r;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return r;
  }
  r.head = buffer_.substr(0, head_end + 4);
  size_t length = 0;
  const size_t cl = r.head.find("Content-Length: ");
  if (cl != std::string::npos && !head_request) {
    length = std::strtoul(r.head.c_str() + cl + 16, nullptr, 10);
  }
  while (buffer_.size() < head_end + 4 + length) {
    if (!fill()) return r;
  }
  r.body = buffer_.substr(head_end + 4, length);
  buffer_.erase(0, head_end + 4 + length);
  r.status = std::atoi(r.head.c_str() + 9);  // "HTTP/1.1 200"
  return r;
}

bool HttpConnection::wait_closed() {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kTimeoutMs) != 1) return false;
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

HttpResponse http_get(int port, const std::string& path) {
  HttpConnection c(port);
  if (!c.ok() || !c.send_raw("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) return {};
  return c.read_response();
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace waitprof_test
