// Walks through the socket calls one by one against a client driven by the test. Each
// step prints a line; a line ending in "..." means the program now waits for the client
// (the host flushes stdout before a socket wait, so the client sees that line first):
//   1. listener facts and errors, with no client yet  -> "waiting for a connection..."
//   2. accept (NONBLOCK): client connects
//   3. recv without data -> EAGAIN; then blocking       -> "send hello..."
//   4. client sends "hello world\n": PEEK then recv see it
//   5. RECV_WAITALL of 10 bytes                         -> "send 10 bytes..."
//   6. client sends them in two pieces
//   7. fd_write and sock_send to the client: "via-write\n", "via-send\n"
//   8. fd_read                                         -> "send via-read..."
//   9. shutdown(WR): the client sees end of stream; send then fails with EPIPE
//  10. poll() for input                                -> "close now..."
//  11. client closes: POLLIN|POLLHUP, recv returns 0; close the socket
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_common.h"

static void say(const char *s) {
  // write(2), not stdio: the line reaches the host before the next call
  if (write(1, s, strlen(s)) < 0) _exit(3);
}

int main(void) {
  char line[512], buf[256];
  int lfd = find_listener();
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get((__wasi_fd_t)lfd, &st)) say("fdstat failed\n");
  snprintf(line, sizeof line, "listener fd=%d filetype=%d\n", lfd, st.fs_filetype);
  say(line);

  // 1. errors and the non-blocking accept, before any client
  __wasi_fd_t c = 0;
  __wasi_size_t n = 0;
  __wasi_roflags_t ro = 0;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  snprintf(line, sizeof line, "accept-bad-fd=%d accept-stdout=%d recv-stdout=%d recv-listener=%d "
           "shutdown-listener=%d accept-bad-flags=%d\n",
           __wasi_sock_accept(99, 0, &c), __wasi_sock_accept(1, 0, &c),
           __wasi_sock_recv(1, &iov, 1, 0, &n, &ro), __wasi_sock_recv((__wasi_fd_t)lfd, &iov, 1, 0, &n, &ro),
           __wasi_sock_shutdown((__wasi_fd_t)lfd, __WASI_SDFLAGS_WR),
           __wasi_sock_accept((__wasi_fd_t)lfd, __WASI_FDFLAGS_APPEND, &c));
  say(line);
  fcntl(lfd, F_SETFL, O_NONBLOCK);
  snprintf(line, sizeof line, "accept-nonblocking=%d\n", __wasi_sock_accept((__wasi_fd_t)lfd, 0, &c));
  say(line);
  fcntl(lfd, F_SETFL, 0);
  say("waiting for a connection...\n");

  // 2. accept, the new socket non-blocking
  __wasi_errno_t err = __wasi_sock_accept((__wasi_fd_t)lfd, __WASI_FDFLAGS_NONBLOCK, &c);
  if (__wasi_fd_fdstat_get(c, &st)) say("fdstat failed\n");
  snprintf(line, sizeof line, "accepted errno=%d filetype=%d nonblock=%d\n", err, st.fs_filetype,
           (st.fs_flags & __WASI_FDFLAGS_NONBLOCK) != 0);
  say(line);
  int fd = (int)c;

  // 3. nothing to read yet
  ssize_t k = recv(fd, buf, sizeof buf, 0);
  snprintf(line, sizeof line, "recv-nonblocking=%zd errno=%d\n", k, k < 0 ? errno : 0);
  say(line);
  fcntl(fd, F_SETFL, 0);
  say("send hello...\n");

  // 4. peek, then read the same bytes
  k = recv(fd, buf, sizeof buf, MSG_PEEK);
  snprintf(line, sizeof line, "peek=%zd %.*s", k, (int)(k > 0 ? k : 0), buf);
  say(line);
  k = recv(fd, buf, sizeof buf, 0);
  snprintf(line, sizeof line, "recv=%zd %.*s", k, (int)(k > 0 ? k : 0), buf);
  say(line);

  // 5-6. wait for all 10 bytes, through two iovecs, with the raw call for ro_flags
  say("send 10 bytes...\n");
  char a[4], b[6];
  __wasi_iovec_t two[2] = {{(uint8_t *)a, sizeof a}, {(uint8_t *)b, sizeof b}};
  err = __wasi_sock_recv(c, two, 2, __WASI_RIFLAGS_RECV_WAITALL, &n, &ro);
  snprintf(line, sizeof line, "waitall errno=%d n=%u roflags=%d %.4s%.6s\n", err, (unsigned)n, ro, a, b);
  say(line);

  // 7. both ways of writing
  if (write(fd, "via-write\n", 10) != 10) say("write failed\n");
  if (send(fd, "via-send\n", 9, 0) != 9) say("send failed\n");

  // 8. fd_read on the socket
  say("send via-read...\n");
  k = read(fd, buf, sizeof buf);
  snprintf(line, sizeof line, "read=%zd %.*s", k, (int)(k > 0 ? k : 0), buf);
  say(line);

  // 9. no more writes
  snprintf(line, sizeof line, "shutdown-bad-how=%d shutdown-0=%d\n", __wasi_sock_shutdown(c, 7),
           __wasi_sock_shutdown(c, 0));
  say(line);
  int r = shutdown(fd, SHUT_WR);
  k = send(fd, "late\n", 5, 0);
  snprintf(line, sizeof line, "shutdown-wr=%d send-after=%zd errno=%d\n", r, k, k < 0 ? errno : 0);
  say(line);

  // 10-11. the client's close shows as POLLIN|POLLHUP, then end of stream
  say("close now...\n");
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int ready = poll(&p, 1, 10000);
  snprintf(line, sizeof line, "poll=%d pollin=%d pollhup=%d\n", ready, (p.revents & POLLIN) != 0,
           (p.revents & POLLHUP) != 0);
  say(line);
  k = recv(fd, buf, sizeof buf, 0);
  snprintf(line, sizeof line, "recv-at-eof=%zd\n", k);
  say(line);
  r = close(fd);
  snprintf(line, sizeof line, "close=%d fdstat-after=%d\n", r, __wasi_fd_fdstat_get(c, &st));
  say(line);
  return 0;
}
