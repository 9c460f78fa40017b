/*
 * simd_scan.c -- SIMD kernel (wasm_simd128.h intrinsics, -msimd128): a memchr-like scan
 * counting bytes 16 at a time (i8x16.eq, subtracting the -1 masks into byte counters that
 * are widened before they can overflow).
 *
 *   simd_scan.wasm [KIB [REPS]]      (default 4096 KiB of text, scanned 40 times)
 *
 * The text is bytes from a 32-symbol alphabet (letters, spaces, line breaks) picked by
 * xorshift64*, 8 bytes per draw. Each repetition counts '\n', ' ' and 'e'. Prints
 * "simd_scan(KIB KiB x REPS) = LINES SPACES ES" (totals over all repetitions); the runner
 * regenerates the text on the JVM and counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasm_simd128.h>
#include "xorshift.h"

static const char alphabet[32] = "etaoinshrdlucmfwypvbgkqjx  \n  \n ";

/* Occurrences of c in p[0..n), n a multiple of 16. */
static uint64_t count_byte(const uint8_t *p, size_t n, uint8_t c) {
    v128_t needle = wasm_i8x16_splat((int8_t)c);
    uint64_t total = 0;
    size_t i = 0;
    while (i < n) {
        size_t end = n - i > 16 * 255 ? i + 16 * 255 : n;   /* byte lanes count to 255 at most */
        v128_t counts = wasm_i8x16_splat(0);
        for (; i < end; i += 16)
            counts = wasm_i8x16_sub(counts, wasm_i8x16_eq(wasm_v128_load(p + i), needle));
        v128_t pairs = wasm_u16x8_extadd_pairwise_u8x16(counts);
        v128_t quads = wasm_u32x4_extadd_pairwise_u16x8(pairs);
        total += wasm_u32x4_extract_lane(quads, 0) + wasm_u32x4_extract_lane(quads, 1) +
                 wasm_u32x4_extract_lane(quads, 2) + wasm_u32x4_extract_lane(quads, 3);
    }
    return total;
}

int main(int argc, char **argv) {
    size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 4096) * 1024;
    int reps = argc > 2 ? atoi(argv[2]) : 40;
    uint8_t *text = aligned_alloc(16, n);
    if (!text) { fputs("out of memory\n", stderr); return 1; }
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = xorshift_next();
        for (int k = 0; k < 8; k++) text[i + k] = (uint8_t)alphabet[(r >> (8 * k)) & 31];
    }
    uint64_t lines = 0, spaces = 0, es = 0;
    for (int r = 0; r < reps; r++) {
        lines += count_byte(text, n, '\n');
        spaces += count_byte(text, n, ' ');
        es += count_byte(text, n, 'e');
    }
    printf("simd_scan(%zu KiB x %d) = %llu %llu %llu\n", n / 1024, reps, (unsigned long long)lines,
           (unsigned long long)spaces, (unsigned long long)es);
    return 0;
}
