/*
 * upper.c -- read ALL of stdin, write it ASCII-uppercased to stdout, then
 * write "n=<byte count>\n" to stderr. Non-ASCII bytes pass through unchanged.
 *
 * Tests give stdin and check stdout and stderr separately (useful for
 * verifying the two streams are captured independently). Exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) return 1;
    for (;;) {
        if (len == cap) {
            cap *= 2;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) return 1;
            buf = nb;
        }
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0) return 1;
        if (n == 0) break;
        len += (size_t)n;
    }
    for (size_t i = 0; i < len; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 'a' - 'A';
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(1, buf + off, len - off);
        if (w < 0) return 1;
        off += (size_t)w;
    }
    fprintf(stderr, "n=%zu\n", len);
    fflush(stderr);
    free(buf);
    return 0;
}
