#include "output_queue.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

std::string drain(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out.data() + got, n - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

TEST(OutputQueue, WritesBorrowedAndOwnedInOrder) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  static const std::string kStatic = "static-bytes|";
  tsrv::OutputQueue q;
  q.push_borrowed(kStatic);
  q.push_owned("owned-1|");
  q.push_borrowed(kStatic);
  q.push_owned("owned-2");
  EXPECT_EQ(q.pending_bytes(), 2 * kStatic.size() + 15);
  while (!q.empty()) ASSERT_GT(q.write_to(sv[0]), 0);
  EXPECT_EQ(drain(sv[1], 2 * kStatic.size() + 15), "static-bytes|owned-1|static-bytes|owned-2");
  close(sv[0]);
  close(sv[1]);
}

TEST(OutputQueue, PartialWritesResumeMidSegment) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  std::string big;
  for (int i = 0; i < 200000; ++i) big += static_cast<char>('a' + i % 26);
  tsrv::OutputQueue q;
  q.push_owned(big);
  q.push_owned("tail");
  std::string received;
  while (!q.empty()) {
    ASSERT_GE(q.write_to(sv[0]), 0);  // 0: would block; the reader below makes room
    char buf[65536];
    ssize_t r = read(sv[1], buf, sizeof(buf));
    if (r > 0) received.append(buf, static_cast<size_t>(r));
  }
  char buf[65536];
  ssize_t r;
  while ((r = read(sv[1], buf, sizeof(buf))) > 0) received.append(buf, static_cast<size_t>(r));
  EXPECT_EQ(received, big + "tail");
  close(sv[0]);
  close(sv[1]);
}

TEST(OutputQueue, WriteErrorIsReported) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  close(sv[1]);
  signal(SIGPIPE, SIG_IGN);
  tsrv::OutputQueue q;
  q.push_owned("x");
  EXPECT_EQ(q.write_to(sv[0]), -1);
  close(sv[0]);
}

}  // namespace
