// A line-echo server that multiplexes many clients in one thread with poll(): the
// listener is non-blocking, connections are accepted with NONBLOCK, and each client's
// complete lines are echoed as they arrive. Serves argv[1] connections in all, then
// prints "served N max-concurrent M" and exits.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_common.h"

#define MAXC 256
#define BUF 4096

struct client {
  int fd;
  size_t have;
  char buf[BUF];
};

static struct client clients[MAXC];
static struct pollfd pfds[MAXC + 1];

int main(int argc, char **argv) {
  int max = argc > 1 ? atoi(argv[1]) : 0;
  int lfd = find_listener();
  if (lfd < 0) {
    fprintf(stderr, "no listener\n");
    return 1;
  }
  if (fcntl(lfd, F_SETFL, O_NONBLOCK) != 0) {
    perror("fcntl");
    return 1;
  }
  int nclients = 0, accepted = 0, most = 0;
  while (max == 0 || accepted < max || nclients > 0) {
    int n = 0;
    pfds[n++] = (struct pollfd){.fd = (max == 0 || accepted < max) ? lfd : -1, .events = POLLIN};
    for (int i = 0; i < nclients; i++) pfds[n++] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    if (poll(pfds, (nfds_t)n, -1) < 0) {
      perror("poll");
      return 1;
    }
    // serve clients first (their pfds line up with clients[] before any accept below)
    for (int i = nclients - 1; i >= 0; i--) {
      short re = pfds[i + 1].revents;
      if (!re) continue;
      struct client *c = &clients[i];
      ssize_t got = recv(c->fd, c->buf + c->have, BUF - c->have, 0);
      if (got < 0 && errno == EAGAIN) continue;
      if (got > 0) {
        c->have += (size_t)got;
        size_t start = 0;
        for (size_t k = 0; k < c->have; k++) {
          if (c->buf[k] == '\n') {
            if (send_all(c->fd, c->buf + start, k + 1 - start) < 0) got = -1;
            start = k + 1;
          }
        }
        memmove(c->buf, c->buf + start, c->have - start);
        c->have -= start;
        if (c->have == BUF) {
          if (send_all(c->fd, c->buf, c->have) < 0) got = -1;
          c->have = 0;
        }
      }
      if (got <= 0) {  // end of stream or error: drop the client
        close(c->fd);
        clients[i] = clients[nclients - 1];
        nclients--;
      }
    }
    if (pfds[0].fd >= 0 && (pfds[0].revents & POLLIN)) {
      while (nclients < MAXC && (max == 0 || accepted < max)) {
        __wasi_fd_t c;
        __wasi_errno_t err = __wasi_sock_accept((__wasi_fd_t)lfd, __WASI_FDFLAGS_NONBLOCK, &c);
        if (err == __WASI_ERRNO_AGAIN) break;
        if (err) {
          fprintf(stderr, "accept: errno %d\n", err);
          return 1;
        }
        clients[nclients].fd = (int)c;
        clients[nclients].have = 0;
        nclients++;
        accepted++;
        if (nclients > most) most = nclients;
      }
    }
  }
  printf("served %d max-concurrent %d\n", accepted, most);
  return 0;
}
