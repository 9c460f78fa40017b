/*
 * copy.c -- I/O benchmark: copies a file with read(2)/write(2) through a 64 KiB buffer.
 *
 *   copy.wasm SRC DST [BUFSIZE]     (e.g. copy.wasm /in/data.bin /out/data.bin)
 *
 * SRC and DST are guest paths under preopened directories. Prints
 * "copied N bytes" to stdout; exits 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fputs("usage: copy SRC DST [BUFSIZE]\n", stderr); return 2; }
    size_t bufsize = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 65536;
    char *buf = malloc(bufsize);
    int in = open(argv[1], O_RDONLY);
    if (in < 0) { fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno)); return 1; }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) { fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno)); return 1; }
    long long total = 0;
    for (;;) {
        ssize_t n = read(in, buf, bufsize);
        if (n < 0) { fprintf(stderr, "read: %s\n", strerror(errno)); return 1; }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w <= 0) { fprintf(stderr, "write: %s\n", strerror(errno)); return 1; }
            off += w;
        }
        total += n;
    }
    if (close(out) != 0) { fprintf(stderr, "close: %s\n", strerror(errno)); return 1; }
    close(in);
    printf("copied %lld bytes\n", total);
    return 0;
}
