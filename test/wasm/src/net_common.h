// Shared by the net_*.c test programs: find the preopened listener, send a whole buffer.
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <wasi/api.h>

// The first fd from 3 up that is a SOCKET_STREAM with the SOCK_ACCEPT right, or -1.
static int find_listener(void) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) != 0) continue;
    if (st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM &&
        (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT))
      return (int)fd;
  }
  return -1;
}

// Sends all n bytes, waiting with poll for room when the socket is NONBLOCK. 0, or -1.
static __attribute__((unused)) int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, 0);
    if (w < 0) {
      if (errno != EAGAIN) return -1;
      struct pollfd one = {.fd = fd, .events = POLLOUT};
      poll(&one, 1, -1);
      continue;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
