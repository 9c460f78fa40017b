/*
 * cat.c -- copy stdin to stdout until EOF using raw read(0)/write(1)
 * with a 4096-byte buffer (no stdio buffering, so every chunk read is
 * written immediately: output streams line by line when input arrives
 * slowly, e.g. from a pipe).
 *
 * Tests feed stdin (string, bytes, or a stream) and compare stdout.
 * Exit 0 at EOF, 1 on a read/write error.
 */
#include <unistd.h>
#include <errno.h>

int main(void) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return 1;
        }
        char *p = buf;
        while (n > 0) {
            ssize_t w = write(1, p, (size_t)n);
            if (w < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return 1;
            }
            p += w;
            n -= w;
        }
    }
}
