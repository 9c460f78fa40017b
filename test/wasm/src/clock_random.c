/*
 * clock_random.c -- read clocks and random bytes via WASI.
 *
 * Prints, one per line:
 *   realtime=<ns>     clock_gettime(CLOCK_REALTIME) in nanoseconds since epoch
 *   monotonic=<ns>    clock_gettime(CLOCK_MONOTONIC) in nanoseconds
 *   random=<32 hex>   16 bytes from getentropy() as lowercase hex
 *
 * Tests parse the lines and check realtime is close to host time,
 * monotonic is non-negative, and random looks random / matches a
 * deterministic random source if one is configured. Exit 0, or 1 on error.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) { perror("clock_gettime"); return -1; }
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
    long long rt = ns(CLOCK_REALTIME);
    long long mt = ns(CLOCK_MONOTONIC);
    if (rt < 0 || mt < 0) return 1;
    unsigned char r[16];
    if (getentropy(r, sizeof r) != 0) { perror("getentropy"); return 1; }
    printf("realtime=%lld\n", rt);
    printf("monotonic=%lld\n", mt);
    printf("random=");
    for (size_t i = 0; i < sizeof r; i++) printf("%02x", r[i]);
    printf("\n");
    return 0;
}
