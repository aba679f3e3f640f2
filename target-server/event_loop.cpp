#include "event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tsrv {

namespace {

constexpr size_t kInitialInputBytes = 16 * 1024;
// A client that pipelines requests but does not read its responses stops being read once
// this much is queued for it, so it cannot grow the server's memory without bound.
constexpr size_t kMaxPendingOutputBytes = 1024 * 1024;
// After a response that closes the connection, unread input is drained for this long so the
// close does not turn into a reset that destroys the response in flight.
constexpr uint64_t kLingerSeconds = 2;

std::string errno_text(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

int open_listener(const ServerConfig& config, std::string* error) {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, config.bind_address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(config.port);
    addr_len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, config.bind_address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(config.port);
    addr_len = sizeof(*v6);
  } else {
    *error = "bind address '" + config.bind_address + "' is not an IPv4 or IPv6 address";
    return -1;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno_text("socket");
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    *error =
        errno_text(("bind " + config.bind_address + ":" + std::to_string(config.port)).c_str());
    close(fd);
    return -1;
  }
  if (listen(fd, 4096) != 0) {
    *error = errno_text("listen");
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct EventLoop::Connection {
  int fd = -1;
  std::vector<char> input;
  size_t input_len = 0;
  size_t scanned = 0;  // bytes of the current request the parser has already seen
  OutputQueue output;
  uint64_t last_active_s = 0;
  bool close_after_output = false;  // a response said "close", or the peer sent EOF
  bool lingering = false;           // our side is shut down; draining until the peer closes
  uint32_t interest = 0;            // events registered with epoll
};

std::unique_ptr<EventLoop> EventLoop::create(const ServerConfig& config,
                                             const RequestHandler& handler,
                                             ThreadCounters& counters, std::string* error) {
  std::unique_ptr<EventLoop> loop(new EventLoop(config, handler, counters));
  loop->listen_fd_ = open_listener(config, error);
  if (loop->listen_fd_ < 0) return nullptr;
  loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  loop->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  loop->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->epoll_fd_ < 0 || loop->timer_fd_ < 0 || loop->stop_fd_ < 0) {
    *error = errno_text("creating the event loop's epoll/timer/eventfd");
    return nullptr;
  }
  itimerspec tick{{1, 0}, {1, 0}};
  timerfd_settime(loop->timer_fd_, 0, &tick, nullptr);
  for (int fd : {loop->listen_fd_, loop->timer_fd_, loop->stop_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      *error = errno_text("epoll_ctl");
      return nullptr;
    }
  }
  return loop;
}

EventLoop::EventLoop(const ServerConfig& config, const RequestHandler& handler,
                     ThreadCounters& counters)
    : config_(config), handler_(handler), counters_(counters) {}

EventLoop::~EventLoop() {
  for (auto& c : connections_) {
    if (c) close(c->fd);
  }
  for (int fd : {listen_fd_, timer_fd_, stop_fd_, epoll_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void EventLoop::stop() {
  uint64_t one = 1;
  // The eventfd counter cannot overflow from a handful of stops; nothing to recover if it did.
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
}

void EventLoop::run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) return;
      if (fd == listen_fd_) {
        accept_all();
      } else if (fd == timer_fd_) {
        uint64_t expirations = 0;
        if (read(timer_fd_, &expirations, sizeof(expirations)) == sizeof(expirations)) {
          now_s_ += expirations;
        }
        sweep_idle();
      } else if (static_cast<size_t>(fd) < connections_.size() && connections_[fd]) {
        on_connection_event(*connections_[fd], events[i].events);
      }
    }
  }
}

void EventLoop::accept_all() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Level-triggered: a pending connection we cannot accept would wake us forever.
        // Stop listening until a connection closes and frees a descriptor.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listening_ = false;
      }
      return;  // EAGAIN, or a connection that died in the backlog (ECONNABORTED...)
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (static_cast<size_t>(fd) >= connections_.size()) connections_.resize(fd + 1);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->input.resize(kInitialInputBytes);
    c->last_active_s = now_s_;
    c->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    connections_[fd] = std::move(c);
  }
}

void EventLoop::on_connection_event(Connection& c, uint32_t events) {
  const int fd = c.fd;
  if (events & (EPOLLERR | EPOLLHUP)) {
    close_connection(c);
    return;
  }
  if (events & EPOLLIN) read_input(c);
  if (!connections_[fd]) return;
  if ((events & EPOLLOUT) || !c.output.empty()) {
    if (!flush_output(c)) return;
    // Output drained below the cap: requests held back in the buffer can go on.
    if (!c.close_after_output && c.input_len > 0) {
      process_input(c);
      if (!flush_output(c)) return;
    }
  }
  update_interest(c);
}

void EventLoop::read_input(Connection& c) {
  if (c.lingering) {
    char discard[4096];
    ssize_t n = read(c.fd, discard, sizeof(discard));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) close_connection(c);
    return;
  }
  if (c.input_len == c.input.size()) {
    // The parser bounds a request to head + body limits, so the buffer never needs more.
    const size_t cap = config_.limits.max_head_bytes + config_.limits.max_body_bytes;
    if (c.input.size() >= cap) return;
    c.input.resize(std::min(cap, c.input.size() * 2));
  }
  ssize_t n = read(c.fd, c.input.data() + c.input_len, c.input.size() - c.input_len);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_connection(c);
    return;
  }
  c.last_active_s = now_s_;
  if (n == 0) {
    // Half-close: answer what already arrived, then close.
    c.close_after_output = true;
    if (c.output.empty()) close_connection(c);
    return;
  }
  c.input_len += static_cast<size_t>(n);
  process_input(c);
}

void EventLoop::process_input(Connection& c) {
  HttpRequest req;
  size_t offset = 0;
  while (offset < c.input_len && !c.close_after_output &&
         c.output.pending_bytes() < kMaxPendingOutputBytes) {
    const ParseResult r = parse_request(c.input.data() + offset, c.input_len - offset, req,
                                        config_.limits, c.scanned);
    if (r.status == ParseStatus::kIncomplete) {
      // Once the head is complete only body bytes are missing: resuming the head search
      // inside the body would never find its end.
      c.scanned = req.head_bytes != 0 ? req.head_bytes : c.input_len - offset;
      break;
    }
    c.scanned = 0;
    if (r.status == ParseStatus::kComplete) {
      if (!handler_.handle(req, c.output, counters_)) c.close_after_output = true;
      offset += r.consumed;
    } else {
      c.output.push_borrowed(RequestHandler::error_response(r.status));
      c.close_after_output = true;
      offset = c.input_len;
    }
  }
  if (offset > 0) {
    // Keep the unparsed tail at the front; `scanned` counts from the request's start.
    memmove(c.input.data(), c.input.data() + offset, c.input_len - offset);
    c.input_len -= offset;
  }
}

// Returns false when the connection was closed.
bool EventLoop::flush_output(Connection& c) {
  while (!c.output.empty()) {
    ssize_t n = c.output.write_to(c.fd);
    if (n < 0) {
      close_connection(c);
      return false;
    }
    if (n == 0) break;  // socket buffer full: EPOLLOUT will resume
    ThreadCounters::add(counters_.bytes_written, static_cast<uint64_t>(n));
    c.last_active_s = now_s_;
  }
  if (c.output.empty() && c.close_after_output && !c.lingering) {
    shutdown(c.fd, SHUT_WR);
    c.lingering = true;
    c.input_len = 0;
  }
  return true;
}

void EventLoop::update_interest(Connection& c) {
  uint32_t want = 0;
  if (c.lingering || (!c.close_after_output && c.output.pending_bytes() < kMaxPendingOutputBytes)) {
    want |= EPOLLIN;
  }
  if (!c.output.empty()) want |= EPOLLOUT;
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = c.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void EventLoop::close_connection(Connection& c) {
  const int fd = c.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  connections_[fd].reset();
  if (!listening_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0) listening_ = true;
  }
}

void EventLoop::sweep_idle() {
  for (auto& slot : connections_) {
    if (!slot) continue;
    const uint64_t idle_s = now_s_ - slot->last_active_s;
    if (idle_s >= config_.idle_timeout_s || (slot->lingering && idle_s >= kLingerSeconds)) {
      close_connection(*slot);
    }
  }
}

}  // namespace tsrv
