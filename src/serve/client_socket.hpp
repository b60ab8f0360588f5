// The connection a request came on, to notice a client that hung up while its non-streamed reply
// is computed. cpp-httplib 0.11 hands a handler no socket and writes nothing until the handler
// returns, so without this a closed connection is only freed by --timeout (a stream notices it
// when a write fails). The socket is found by its addresses; while the handler runs the library
// keeps it open, so its descriptor cannot be reused by another connection meanwhile.
// Linux only (/proc/self/fd, POLLRDHUP).
#pragma once
#include <string>

namespace tock::serve {

// The descriptor of this process's connected TCP socket whose peer is remote_addr:remote_port
// (numeric address, as the HTTP library reports it) and whose local port is local_port; -1 if none.
int find_connected_socket(const std::string& remote_addr, int remote_port, int local_port);

// Whether the peer has closed or reset the connection (poll, no waiting). Unread data alone (a
// pipelined request) is not a close. A client that only shut down its sending side counts as gone.
bool peer_closed(int fd);

}  // namespace tock::serve
