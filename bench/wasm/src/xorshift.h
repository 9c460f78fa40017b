/*
 * xorshift.h -- the kernels' pseudo-random generator: xorshift64* with the seed sha256.c
 * uses, so the runner (bench/clj_wasi/bench.clj, `xorshift64*`) can regenerate every
 * kernel's input on the JVM and compute the expected checksum independently.
 */
#ifndef XORSHIFT_H
#define XORSHIFT_H
#include <stdint.h>

static uint64_t xorshift_state = 0x9E3779B97F4A7C15ull;

static inline uint64_t xorshift_next(void) {
    uint64_t x = xorshift_state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    xorshift_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
#endif
