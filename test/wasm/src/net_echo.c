// A line-echo server on the preopened listener (--listen / :listen): accepts one
// connection at a time, sends back every complete line it receives, and closes the
// connection when the client does. Serves argv[1] connections (0: forever), then prints
// "served N" and exits.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_common.h"

int main(int argc, char **argv) {
  int max = argc > 1 ? atoi(argv[1]) : 0;
  int lfd = find_listener();
  if (lfd < 0) {
    fprintf(stderr, "no listener\n");
    return 1;
  }
  int served = 0;
  while (max == 0 || served < max) {
    __wasi_fd_t c;
    __wasi_errno_t err = __wasi_sock_accept((__wasi_fd_t)lfd, 0, &c);
    if (err) {
      fprintf(stderr, "accept: errno %d\n", err);
      return 1;
    }
    char buf[8192];
    size_t have = 0;
    for (;;) {
      ssize_t n = recv((int)c, buf + have, sizeof buf - have, 0);
      if (n <= 0) break;
      have += (size_t)n;
      size_t start = 0;
      for (size_t i = 0; i < have; i++) {
        if (buf[i] == '\n') {
          if (send_all((int)c, buf + start, i + 1 - start) < 0) goto done;
          start = i + 1;
        }
      }
      memmove(buf, buf + start, have - start);
      have -= start;
      if (have == sizeof buf) {  // a line longer than the buffer: pass it on as is
        if (send_all((int)c, buf, have) < 0) break;
        have = 0;
      }
    }
  done:
    close((int)c);
    served++;
  }
  printf("served %d\n", served);
  return 0;
}
