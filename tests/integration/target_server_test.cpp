// Starts the real target-server binary prefork and drives it over loopback: responses,
// pipelining, error statuses, slow clients, worker replacement and a clean stop.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/child_process.h"
#include "support/http_client.h"

namespace {

using waitprof_test::ChildProcess;
using waitprof_test::http_get;
using waitprof_test::HttpConnection;

class TargetServer : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& extra) {
    port_ = waitprof_test::free_port();
    std::vector<std::string> argv{TARGET_SERVER_PATH, "--port", std::to_string(port_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ChildProcess>(argv);
    ASSERT_TRUE(server_->wait_for_line("listening on")) << "target-server did not start";
  }
  nlohmann::json stats() { return nlohmann::json::parse(http_get(port_, "/stats").body); }

  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

TEST_F(TargetServer, ServesProductsWithExactLengths) {
  start({"--workers", "2", "--threads", "2"});
  for (int i = 0; i < 20; ++i) {
    auto r = http_get(port_, "/read");
    ASSERT_EQ(r.status, 200) << r.head;
    EXPECT_NE(r.head.find("Content-Type: application/json"), std::string::npos);
    auto product = nlohmann::json::parse(r.body);  // Content-Length framed the whole document
    EXPECT_TRUE(product.contains("name"));
    EXPECT_GT(r.body.size(), 4000u);
  }
  HttpConnection head(port_);
  head.send_raw("HEAD /read HTTP/1.1\r\n\r\nGET /stats HTTP/1.1\r\n\r\n");
  // A HEAD response announces the length but sends no body: the next response follows at once.
  auto h = head.read_response(/*head_request=*/true);
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.head.find("Content-Length: 4"), std::string::npos);
  auto next = head.read_response();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body.front(), '{') << "HEAD leaked a body into the next response";
}

TEST_F(TargetServer, PipelinedRequestsAnswerInOrder) {
  start({"--workers", "1", "--threads", "1"});
  HttpConnection c(port_);
  ASSERT_TRUE(c.ok());
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += "GET /read HTTP/1.1\r\nHost: x\r\n\r\n";
  burst += "GET /missing HTTP/1.1\r\n\r\nGET /stats HTTP/1.1\r\n\r\n";
  ASSERT_TRUE(c.send_raw(burst));
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.read_response().status, 200) << "response " << i;
  EXPECT_EQ(c.read_response().status, 404);
  auto s = c.read_response();
  ASSERT_EQ(s.status, 200);
  EXPECT_GE(nlohmann::json::parse(s.body)["total"]["requests"].get<int>(), 52);
}

TEST_F(TargetServer, RefusesBadRequestsWithTheRightStatus) {
  start({"--workers", "1", "--threads", "1"});
  struct Case {
    std::string request;
    int status;
  } cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET /read HTTP/2.0\r\n\r\n", 400},
      {"POST /read HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
      {"GET /read HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", 431},
      {"POST /read HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", 413},
      {"POST /read HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
  };
  for (const auto& tc : cases) {
    HttpConnection c(port_);
    ASSERT_TRUE(c.send_raw(tc.request));
    EXPECT_EQ(c.read_response().status, tc.status) << tc.request.substr(0, 40);
    EXPECT_TRUE(c.wait_closed()) << "connection left open after " << tc.status;
  }
  EXPECT_EQ(http_get(port_, "/read").status, 200);  // still serving
}

TEST_F(TargetServer, SlowAndHalfOpenClientsDoNotBlockOthers) {
  start({"--workers", "1", "--threads", "1", "--idle-timeout", "2"});
  HttpConnection slow(port_);
  ASSERT_TRUE(slow.send_raw("GET /re"));  // stalls mid request line
  HttpConnection silent(port_);           // connects and never sends
  for (int i = 0; i < 10; ++i) EXPECT_EQ(http_get(port_, "/read").status, 200);
  ASSERT_TRUE(slow.send_raw("ad HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(slow.read_response().status, 200);
  EXPECT_TRUE(silent.wait_closed()) << "idle connection outlived --idle-timeout";

  // Half-close after a request: the response still arrives, then the server closes.
  HttpConnection half(port_);
  ASSERT_TRUE(half.send_raw("GET /read HTTP/1.1\r\n\r\n"));
  half.shutdown_write();
  EXPECT_EQ(half.read_response().status, 200);
  EXPECT_TRUE(half.wait_closed());
}

TEST_F(TargetServer, ReplacesKilledWorkerAndStopsTheWholeTree) {
  start({"--workers", "2", "--threads", "2"});
  auto s = stats();
  ASSERT_EQ(s["workers"].size(), 2u);
  const pid_t victim = s["workers"][0]["pid"];
  const pid_t survivor = s["workers"][1]["pid"];
  EXPECT_EQ(waitprof_test::parent_of(victim), server_->pid());
  EXPECT_EQ(waitprof_test::parent_of(survivor), server_->pid());
  ASSERT_EQ(kill(victim, SIGKILL), 0);

  pid_t replacement = 0;
  for (int i = 0; i < 100 && (replacement == 0 || replacement == victim); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto now = stats();
    replacement = now["workers"][0]["pid"];
    if (replacement != victim && replacement != 0) {
      EXPECT_EQ(now["workers_replaced"], 1);
    }
  }
  ASSERT_NE(replacement, victim);
  ASSERT_NE(replacement, 0);
  EXPECT_EQ(waitprof_test::parent_of(replacement), server_->pid());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(http_get(port_, "/read").status, 200);

  const int status = server_->stop(SIGTERM);
  ASSERT_NE(status, -1) << "supervisor did not exit within 10 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(waitprof_test::process_alive(replacement));
  EXPECT_FALSE(waitprof_test::process_alive(survivor));
}

TEST_F(TargetServer, SingleProcessModeServesAndStops) {
  start({"--workers", "0", "--threads", "2", "--rng", "pool"});
  EXPECT_EQ(http_get(port_, "/read").status, 200);
  auto s = stats();
  EXPECT_EQ(s["rng"], "pool");
  EXPECT_EQ(s["workers"][0]["pid"], server_->pid());
  const int status = server_->stop(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(TargetServerStartup, PortInUseExitsNonZero) {
  const int port = waitprof_test::free_port();
  // A plain listener (no SO_REUSEPORT) owns the port: the server's bind must fail.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ChildProcess server({TARGET_SERVER_PATH, "--port", std::to_string(port), "--workers", "2"});
  EXPECT_FALSE(server.wait_for_line("listening on", 5000));
  const int status = server.stop(0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status;
  close(fd);
}

TEST(TargetServerStartup, InvalidBindAddressExitsNonZero) {
  ChildProcess server({TARGET_SERVER_PATH, "--bind", "not-an-ip", "--workers", "1"});
  EXPECT_FALSE(server.wait_for_line("listening on", 5000));
  const int status = server.stop(0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status;
}

}  // namespace
