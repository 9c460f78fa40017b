/*
 * simd_blend.c -- SIMD kernel (clang's auto-vectoriser, -msimd128; plain C, no
 * intrinsics): alpha-blending two RGBA images with rounding division by 255.
 *
 *   simd_blend.wasm [PIXELS [REPS]]      (default 262144 pixels, 400 times)
 *
 * Both images are bytes from xorshift64*. Repetition r blends with alpha = (r * 37) & 255:
 * t = a*alpha + b*(255 - alpha) + 128; out = (t + (t >> 8)) >> 8 (exact round(t'/255)),
 * then sums the output bytes; the sums are folded as h = h*31 + sum (u64). Prints
 * "simd_blend(PIXELS x REPS) = H"; the runner computes H on the JVM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "xorshift.h"

static void blend(uint8_t *restrict out, const uint8_t *restrict a, const uint8_t *restrict b,
                  size_t n, uint16_t alpha) {
    for (size_t i = 0; i < n; i++) {
        uint16_t t = (uint16_t)(a[i] * alpha + b[i] * (255 - alpha) + 128);
        out[i] = (uint8_t)((t + (t >> 8)) >> 8);
    }
}

static uint32_t byte_sum(const uint8_t *p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s;
}

int main(int argc, char **argv) {
    size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 262144) * 4;
    int reps = argc > 2 ? atoi(argv[2]) : 400;
    uint8_t *a = malloc(n), *b = malloc(n), *out = malloc(n);
    if (!a || !b || !out) { fputs("out of memory\n", stderr); return 1; }
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = xorshift_next(), s = xorshift_next();
        for (size_t k = 0; k < 8 && i + k < n; k++) {
            a[i + k] = (uint8_t)(r >> (8 * k));
            b[i + k] = (uint8_t)(s >> (8 * k));
        }
    }
    uint64_t h = 0;
    for (int r = 0; r < reps; r++) {
        blend(out, a, b, n, (uint16_t)((r * 37) & 255));
        h = h * 31 + byte_sum(out, n);
    }
    printf("simd_blend(%zu x %d) = %llu\n", n / 4, reps, (unsigned long long)h);
    return 0;
}
