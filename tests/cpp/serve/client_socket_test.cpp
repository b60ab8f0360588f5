// find_connected_socket / peer_closed on real loopback TCP connections: the accepted socket is
// found by the client's address and the server's port, and a close by the client is seen at once
// while unread data alone is not a close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "serve/client_socket.hpp"

namespace tock::serve {
namespace {

int port_of(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return rc == 0 ? ntohs(a.sin_port) : -1;
}

struct Loopback {  // a listener, a client connected to it and the server's end of that connection
  int listener = -1, client = -1, server = -1;
  Loopback() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listener, 4), 0);
    a.sin_port = htons(uint16_t(port_of(listener, false)));
    client = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    server = accept(listener, nullptr, nullptr);
    EXPECT_GE(server, 0);
  }
  ~Loopback() {
    for (int fd : {listener, client, server})
      if (fd >= 0) close(fd);
  }
};

TEST(ClientSocket, FindsTheAcceptedSocketByItsAddresses) {
  Loopback a, b;  // two connections to tell apart
  EXPECT_EQ(find_connected_socket("127.0.0.1", port_of(a.client, false), port_of(a.listener, false)), a.server);
  EXPECT_EQ(find_connected_socket("127.0.0.1", port_of(b.client, false), port_of(b.listener, false)), b.server);
  // The client's end matches the mirrored addresses, and a wrong address or port matches nothing.
  EXPECT_EQ(find_connected_socket("127.0.0.1", port_of(a.listener, false), port_of(a.client, false)), a.client);
  EXPECT_EQ(find_connected_socket("127.0.0.2", port_of(a.client, false), port_of(a.listener, false)), -1);
  EXPECT_EQ(find_connected_socket("127.0.0.1", port_of(b.client, false), port_of(a.listener, false)), -1);
}

TEST(ClientSocket, PeerClosedSeesACloseButNotPendingData) {
  Loopback c;
  EXPECT_FALSE(peer_closed(c.server));
  ASSERT_EQ(write(c.client, "GET / HTTP/1.1\r\n", 16), 16);  // a pipelined request, unread
  usleep(10000);
  EXPECT_FALSE(peer_closed(c.server));
  close(c.client);
  c.client = -1;
  usleep(10000);
  EXPECT_TRUE(peer_closed(c.server));
}

}  // namespace
}  // namespace tock::serve
