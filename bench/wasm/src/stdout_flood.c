/*
 * stdout_flood.c -- I/O benchmark: writes MIB MiB to stdout, one fd_write of 4 KiB at a time.
 *
 *   stdout_flood.wasm [MIB]     (default 256)
 *
 * Uses write(2) (one fd_write with one iovec per call), never stdio buffering. Reports
 * the total on stderr; exits 1 on a short or failed write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
    static char buf[4096];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = "0123456789abcdef"[i & 15];
    buf[sizeof buf - 1] = '\n';
    long calls = mib * 256, total = 0;
    for (long i = 0; i < calls; i++) {
        ssize_t n = write(1, buf, sizeof buf);
        if (n != (ssize_t)sizeof buf) { fprintf(stderr, "short write: %ld\n", (long)n); return 1; }
        total += n;
    }
    fprintf(stderr, "wrote %ld bytes\n", total);
    return 0;
}
