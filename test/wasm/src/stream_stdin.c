// Reads stdin without blocking: sets O_NONBLOCK on fd 0, reports the EAGAIN of a read
// with nothing there yet, then loops on poll() and echoes each chunk as "got N: ...".
// At end of input prints "eof pollhup=H eagain=E" (E: reads that found nothing) and exits.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s, size_t n) {
  if (write(1, s, n) < 0) _exit(3);
}

int main(void) {
  char buf[4096], line[4200];
  if (fcntl(0, F_SETFL, O_NONBLOCK) != 0) {
    perror("fcntl");
    return 1;
  }
  int flags = fcntl(0, F_GETFL);
  int eagain = 0, hup = 0;
  ssize_t k = read(0, buf, sizeof buf);
  int n = snprintf(line, sizeof line, "nonblock=%d first-read=%zd errno=%d\n",
                   (flags & O_NONBLOCK) != 0, k, k < 0 ? errno : 0);
  say(line, (size_t)n);
  if (k > 0) {
    n = snprintf(line, sizeof line, "got %zd: %.*s", k, (int)k, buf);
    say(line, (size_t)n);
  }
  if (k == 0) {
    say("eof at once\n", 12);
    return 0;
  }
  for (;;) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      perror("poll");
      return 1;
    }
    if (p.revents & POLLHUP) hup = 1;
    k = read(0, buf, sizeof buf);
    if (k < 0) {
      if (errno == EAGAIN) {
        eagain++;
        continue;
      }
      perror("read");
      return 1;
    }
    if (k == 0) break;
    n = snprintf(line, sizeof line, "got %zd: %.*s", k, (int)k, buf);
    say(line, (size_t)n);
  }
  n = snprintf(line, sizeof line, "eof pollhup=%d eagain=%d\n", hup, eagain);
  say(line, (size_t)n);
  return 0;
}
