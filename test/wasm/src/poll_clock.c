// poll_oneoff on clocks, stdio and bad fds, through the raw WASI call.
//   poll_clock sleep MS        one relative monotonic sleep; prints "slept NS"
//   poll_clock clocks          relative/absolute, realtime/monotonic, several at once
//   poll_clock errors          EINVAL cases and per-subscription EBADF events
//   poll_clock stdin MS        waits for stdin with a timeout, echoing what arrives
//   poll_clock cpu MS          a lone relative sleep on the process CPU-time clock
//   poll_clock race MS...      one poll on several relative timeouts (userdata = index)
//   poll_clock files           a regular file and a directory (preopened as fd 3)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static __wasi_timestamp_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(id, 1, &t)) return 0;
  return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id,
                                       __wasi_timestamp_t timeout, int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

static void show(const char *label, __wasi_errno_t err, __wasi_event_t *ev, __wasi_size_t n) {
  printf("%s: errno=%d n=%d", label, err, (int)(err ? 0 : n));
  for (__wasi_size_t i = 0; !err && i < n; i++) {
    printf(" [ud=%llu type=%d error=%d nbytes=%llu flags=%d]", (unsigned long long)ev[i].userdata,
           ev[i].type, ev[i].error, (unsigned long long)ev[i].fd_readwrite.nbytes,
           ev[i].fd_readwrite.flags);
  }
  printf("\n");
}

#define MS 1000000ull

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "clocks";
  setvbuf(stdout, NULL, _IOLBF, 0);  // each line reaches the host as it is printed
  __wasi_subscription_t subs[8];
  __wasi_event_t ev[8];
  __wasi_size_t n = 0;
  __wasi_errno_t err;

  if (strcmp(mode, "sleep") == 0 || strcmp(mode, "cpu") == 0) {
    unsigned long long ms = argc > 2 ? strtoull(argv[2], 0, 10) : 50;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    __wasi_clockid_t id = mode[0] == 'c' ? __WASI_CLOCKID_PROCESS_CPUTIME_ID : __WASI_CLOCKID_MONOTONIC;
    for (int r = 0; r < reps; r++) {
      subs[0] = clock_sub(7, id, ms * MS, 0);
      __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
      err = __wasi_poll_oneoff(subs, ev, 1, &n);
      __wasi_timestamp_t t1 = now(__WASI_CLOCKID_MONOTONIC);
      show("sleep", err, ev, n);
      printf("slept %llu\n", (unsigned long long)(t1 - t0));
    }
    return 0;
  }

  if (strcmp(mode, "clocks") == 0) {
    // three clocks: the 20 ms ones fire first (relative and absolute), not the 200 ms one
    __wasi_timestamp_t m = now(__WASI_CLOCKID_MONOTONIC);
    subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 200 * MS, 0);
    subs[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, m + 20 * MS, 1);
    subs[2] = clock_sub(3, __WASI_CLOCKID_REALTIME, 200 * MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 3, &n);
    __wasi_timestamp_t el = now(__WASI_CLOCKID_MONOTONIC) - m;
    show("abs-monotonic-first", err, ev, n);
    printf("elapsed %llu\n", (unsigned long long)el);
    // absolute realtime 30 ms ahead
    __wasi_timestamp_t rt = now(__WASI_CLOCKID_REALTIME);
    m = now(__WASI_CLOCKID_MONOTONIC);
    subs[0] = clock_sub(4, __WASI_CLOCKID_REALTIME, rt + 30 * MS, 1);
    subs[1] = clock_sub(5, __WASI_CLOCKID_MONOTONIC, 300 * MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    el = now(__WASI_CLOCKID_MONOTONIC) - m;
    show("abs-realtime", err, ev, n);
    printf("elapsed %llu\n", (unsigned long long)el);
    // deadlines in the past fire at once, both of them
    subs[0] = clock_sub(6, __WASI_CLOCKID_REALTIME, 1, 1);
    subs[1] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 0, 0);
    subs[2] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 3, &n);
    show("past", err, ev, n);
    // a writable stdout beats a zero timeout: only the fd event is reported
    subs[0] = clock_sub(9, __WASI_CLOCKID_MONOTONIC, 0, 0);
    subs[1] = fd_sub(10, __WASI_EVENTTYPE_FD_WRITE, 1);
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    show("fd-beats-timeout", err, ev, n);
    return 0;
  }

  if (strcmp(mode, "race") == 0) {
    int k = 0;
    for (int i = 2; i < argc && k < 8; i++, k++)
      subs[k] = clock_sub((__wasi_userdata_t)k, __WASI_CLOCKID_MONOTONIC, strtoull(argv[i], 0, 10) * MS, 0);
    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    err = __wasi_poll_oneoff(subs, ev, (__wasi_size_t)k, &n);
    __wasi_timestamp_t t1 = now(__WASI_CLOCKID_MONOTONIC);
    show("race", err, ev, n);
    printf("slept %llu\n", (unsigned long long)(t1 - t0));
    return 0;
  }

  if (strcmp(mode, "files") == 0) {
    __wasi_fd_t f;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                             __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET |
                             __WASI_RIGHTS_POLL_FD_READWRITE;
    err = __wasi_path_open(3, 0, "poll.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, rights, rights, 0, &f);
    if (err) {
      printf("open errno=%d\n", err);
      return 1;
    }
    __wasi_ciovec_t iov = {(const uint8_t *)"abcdef", 6};
    __wasi_size_t w;
    __wasi_filesize_t pos;
    if (__wasi_fd_write(f, &iov, 1, &w) || __wasi_fd_seek(f, 2, __WASI_WHENCE_SET, &pos)) return 1;
    subs[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, f);
    subs[1] = fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, f);
    subs[2] = fd_sub(3, __WASI_EVENTTYPE_FD_READ, 3);
    subs[3] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 4, &n);
    show("file", err, ev, n);
    if (__wasi_fd_seek(f, 0, __WASI_WHENCE_END, &pos)) return 1;
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    show("file-at-end", err, ev, n);
    return 0;
  }

  if (strcmp(mode, "errors") == 0) {
    err = __wasi_poll_oneoff(subs, ev, 0, &n);
    printf("nsubscriptions-0: errno=%d\n", err);
    subs[0] = clock_sub(1, 9, MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    printf("bad-clock: errno=%d\n", err);
    subs[0] = clock_sub(1, __WASI_CLOCKID_THREAD_CPUTIME_ID, MS, 0);
    subs[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    printf("cputime-with-others: errno=%d\n", err);
    subs[0] = clock_sub(1, __WASI_CLOCKID_PROCESS_CPUTIME_ID, MS, 1);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    printf("cputime-absolute: errno=%d\n", err);
    subs[0] = fd_sub(1, 7, 0);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    printf("bad-tag: errno=%d\n", err);
    subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
    err = __wasi_poll_oneoff(subs, (__wasi_event_t *)0xffffff00, 1, &n);
    printf("bad-pointer: errno=%d\n", err);
    // bad fd, stdin for writing, stdout for reading: EBADF events at once; the clock waits
    subs[0] = fd_sub(11, __WASI_EVENTTYPE_FD_READ, 99);
    subs[1] = fd_sub(12, __WASI_EVENTTYPE_FD_WRITE, 0);
    subs[2] = fd_sub(13, __WASI_EVENTTYPE_FD_READ, 1);
    subs[3] = clock_sub(14, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    err = __wasi_poll_oneoff(subs, ev, 4, &n);
    show("bad-fds", err, ev, n);
    return 0;
  }

  if (strcmp(mode, "stdin") == 0) {
    unsigned long long ms = argc > 2 ? strtoull(argv[2], 0, 10) : 100;
    int timeouts = 0;
    for (;;) {
      subs[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
      subs[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, ms * MS, 0);
      err = __wasi_poll_oneoff(subs, ev, 2, &n);
      if (err) {
        printf("poll errno=%d\n", err);
        return 1;
      }
      if (n == 1 && ev[0].userdata == 2) {
        timeouts++;
        printf("timeout\n");
        continue;
      }
      if (n != 1 || ev[0].userdata != 1) {
        show("unexpected", err, ev, n);
        return 1;
      }
      char buf[256];
      ssize_t k = read(0, buf, sizeof buf);
      if (k <= 0) {
        printf("eof hangup=%d nbytes=%llu timeouts=%d\n", ev[0].fd_readwrite.flags,
               (unsigned long long)ev[0].fd_readwrite.nbytes, timeouts);
        return 0;
      }
      printf("data nbytes=%llu: %.*s", (unsigned long long)ev[0].fd_readwrite.nbytes, (int)k, buf);
      fflush(stdout);
    }
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
