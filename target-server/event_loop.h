// One epoll event loop on one thread, with its own SO_REUSEPORT listening socket: the kernel
// spreads connections across loops and workers, and loops share nothing on the hot path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http_parser.h"
#include "output_queue.h"
#include "request_handler.h"
#include "server_config.h"
#include "stats_region.h"

namespace tsrv {

class EventLoop {
 public:
  static std::unique_ptr<EventLoop> create(const ServerConfig& config,
                                           const RequestHandler& handler, ThreadCounters& counters,
                                           std::string* error);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Serves until stop() is called from any thread.
  void run();
  void stop();

 private:
  struct Connection;

  EventLoop(const ServerConfig& config, const RequestHandler& handler, ThreadCounters& counters);
  void accept_all();
  void on_connection_event(Connection& c, uint32_t events);
  void read_input(Connection& c);
  void process_input(Connection& c);
  bool flush_output(Connection& c);
  void update_interest(Connection& c);
  void close_connection(Connection& c);
  void sweep_idle();

  const ServerConfig& config_;
  const RequestHandler& handler_;
  ThreadCounters& counters_;
  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int timer_fd_ = -1;
  int stop_fd_ = -1;
  bool listening_ = true;  // false while out of file descriptors
  uint64_t now_s_ = 0;     // coarse clock for idle timeouts, advanced by the timer
  std::vector<std::unique_ptr<Connection>> connections_;  // indexed by fd
};

}  // namespace tsrv
