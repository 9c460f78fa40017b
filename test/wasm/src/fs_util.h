/*
 * fs_util.h -- shared helpers of the fs_ test programs (header only; build.sh
 * builds every C file in src, this file is included by them).
 *
 * The programs call raw WASI functions (<wasi/api.h>) so errnos are exact, and
 * check each expectation themselves, printing one line per check:
 *     ok <label>
 *     FAIL <label>: got <errno> want <errno>      (or: FAIL <label>: <condition>)
 * and finally "checks <n> fails <m>". Exit 1 when any check failed. The Clojure
 * tests turn every FAIL line into a failed assertion.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static __attribute__((unused)) int checks, fails;

static const char *ename(int e) {
    static const char *names[] = {
        "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again",
        "already", "badf", "badmsg", "busy", "canceled", "child", "connaborted",
        "connrefused", "connreset", "deadlk", "destaddrreq", "dom", "dquot", "exist",
        "fault", "fbig", "hostunreach", "idrm", "ilseq", "inprogress", "intr", "inval",
        "io", "isconn", "isdir", "loop", "mfile", "mlink", "msgsize", "multihop",
        "nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs", "nodev",
        "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc",
        "nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup",
        "notty", "nxio", "overflow", "ownerdead", "perm", "pipe", "proto",
        "protonosupport", "prototype", "range", "rofs", "spipe", "srch", "stale",
        "timedout", "txtbsy", "xdev", "notcapable"};
    if (e >= 0 && e < (int)(sizeof names / sizeof names[0])) return names[e];
    return "?";
}

static __attribute__((unused)) void expect_errno(const char *label, int got, int want) {
    checks++;
    if (got == want) {
        printf("ok %s\n", label);
    } else {
        fails++;
        printf("FAIL %s: got %s want %s\n", label, ename(got), ename(want));
    }
}

static __attribute__((unused)) void check(const char *label, int cond, const char *text) {
    checks++;
    if (cond) {
        printf("ok %s\n", label);
    } else {
        fails++;
        printf("FAIL %s: %s\n", label, text);
    }
}

#define EXPECT(label, call, want) expect_errno(label, (call), (want))
#define OK(label, call) expect_errno(label, (call), 0)
#define CHECK(label, cond) check(label, (cond), #cond)

static __attribute__((unused)) int finish(void) {
    printf("checks %d fails %d\n", checks, fails);
    fflush(stdout);
    return fails ? 1 : 0;
}

#define ALL_RIGHTS ((__wasi_rights_t)0x3fffffff)
#define DIR_RIGHTS (ALL_RIGHTS & ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE)
#define FILE_RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | \
                 __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET)

/* path_open (inheriting all rights); returns the errno, the fd in *fd. */
static __attribute__((unused)) int op(__wasi_fd_t dir, const char *path, int follow, int oflags,
              __wasi_rights_t base, int fdflags, __wasi_fd_t *fd) {
    __wasi_fd_t tmp;
    return __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path,
                            (__wasi_oflags_t)oflags, base, ALL_RIGHTS, (__wasi_fdflags_t)fdflags,
                            fd ? fd : &tmp);
}

/* Opens (follow, no flags) and closes; returns the errno of the open. */
static __attribute__((unused)) int try_open(__wasi_fd_t dir, const char *path, int follow, int oflags) {
    __wasi_fd_t fd;
    int e = op(dir, path, follow, oflags, ALL_RIGHTS, 0, &fd);
    if (e == 0) (void)__wasi_fd_close(fd);
    return e;
}

static __attribute__((unused)) int write_all(__wasi_fd_t fd, const void *buf, size_t len) {
    __wasi_ciovec_t iov = {buf, len};
    size_t n;
    int e = __wasi_fd_write(fd, &iov, 1, &n);
    if (e == 0 && n != len) return __WASI_ERRNO_IO;
    return e;
}

/* Creates (or truncates) `path` beneath dir with `content`; returns the errno. */
static __attribute__((unused)) int mkfile(__wasi_fd_t dir, const char *path, const char *content) {
    __wasi_fd_t fd;
    int e = op(dir, path, 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, FILE_RW, 0, &fd);
    if (e) return e;
    e = write_all(fd, content, strlen(content));
    (void)__wasi_fd_close(fd);
    return e;
}

/* Reads the whole of `path` (following symlinks) into buf (NUL-terminated). */
static __attribute__((unused)) int slurp(__wasi_fd_t dir, const char *path, char *buf, size_t cap) {
    __wasi_fd_t fd;
    int e = op(dir, path, 1, 0, __WASI_RIGHTS_FD_READ, 0, &fd);
    if (e) return e;
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + total, cap - 1 - total};
        size_t n;
        e = __wasi_fd_read(fd, &iov, 1, &n);
        if (e || n == 0) break;
        total += n;
        if (total == cap - 1) break;
    }
    buf[total] = 0;
    (void)__wasi_fd_close(fd);
    return e;
}

/* 1 if reading `path` gives exactly `want`. */
static __attribute__((unused)) int has_content(__wasi_fd_t dir, const char *path, const char *want) {
    char buf[4096];
    return slurp(dir, path, buf, sizeof buf) == 0 && strcmp(buf, want) == 0;
}

static __attribute__((unused)) __wasi_filestat_t lstat_(__wasi_fd_t dir, const char *path, int *err) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    *err = __wasi_path_filestat_get(dir, 0, path, &st);
    return st;
}

static __attribute__((unused)) int exists(__wasi_fd_t dir, const char *path) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(dir, 0, path, &st) == 0;
}
