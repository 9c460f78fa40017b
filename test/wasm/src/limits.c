/*
 * limits.c -- guests that push against the host's limits, one per mode:
 *   limits spin           prints "started", then computes forever (no WASI calls)
 *   limits sleep          prints "started", then sleeps in poll_oneoff for an hour
 *   limits flood          writes 64 KiB blocks to stdout forever, ignoring every error
 *   limits polite         writes 64 KiB blocks until a write fails, then exits with
 *                         the errno as status (ENOSPC is 51), writing nothing more
 * "started" goes out with one write(2), unbuffered, so a test can tell when the
 * guest's own code began.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long counter;
static char block[65536];

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  memset(block, 'x', sizeof block);
  if (!strcmp(mode, "spin") || !strcmp(mode, "sleep")) {
    write(1, "started\n", 8);
    if (mode[1] == 'p') for (;;) counter++;
    sleep(3600);
    return 3;
  }
  if (!strcmp(mode, "flood")) {
    for (;;) write(1, block, sizeof block);
  }
  if (!strcmp(mode, "polite")) {
    for (;;) {
      if (write(1, block, sizeof block) < 0) return errno;
    }
  }
  fprintf(stderr, "usage: limits spin|sleep|flood|polite\n");
  return 2;
}
