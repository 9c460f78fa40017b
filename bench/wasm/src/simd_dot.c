/*
 * simd_dot.c -- SIMD kernel (wasm_simd128.h intrinsics, -msimd128): saxpy and a dot
 * product over f32 vectors, four lanes at a time.
 *
 *   simd_dot.wasm [N [REPS]]      (default 4096 floats, 100000 times)
 *
 * x and y hold 24-bit fractions from xorshift64* minus 0.5 (exact in f32). Each
 * repetition does y = a*x + y (a = +-2^-10, alternating; f32x4.mul then f32x4.add, no FMA)
 * and a dot product x.y with four lane sums, folded as (l0 + l1) + (l2 + l3) and added to
 * an f64 total. Prints "simd_dot(N x REPS) = BITS (VALUE)": the total's bits in hex and
 * %.6f; the runner repeats the f32 arithmetic on the JVM (each operation rounded to f32).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasm_simd128.h>
#include "xorshift.h"

int main(int argc, char **argv) {
    int n = (argc > 1 ? atoi(argv[1]) : 4096) & ~3;
    int reps = argc > 2 ? atoi(argv[2]) : 100000;
    float *x = aligned_alloc(16, sizeof(float) * (size_t)n), *y = aligned_alloc(16, sizeof(float) * (size_t)n);
    if (!x || !y) { fputs("out of memory\n", stderr); return 1; }
    for (int i = 0; i < n; i++) x[i] = (float)(xorshift_next() >> 40) * 0x1.0p-24f - 0.5f;
    for (int i = 0; i < n; i++) y[i] = (float)(xorshift_next() >> 40) * 0x1.0p-24f - 0.5f;
    double total = 0;
    for (int r = 0; r < reps; r++) {
        v128_t a = wasm_f32x4_splat(r & 1 ? -0x1.0p-10f : 0x1.0p-10f);
        v128_t acc = wasm_f32x4_splat(0);
        for (int i = 0; i < n; i += 4) {
            v128_t xv = wasm_v128_load(x + i);
            v128_t yv = wasm_f32x4_add(wasm_f32x4_mul(a, xv), wasm_v128_load(y + i));
            wasm_v128_store(y + i, yv);
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(xv, yv));
        }
        float d = (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) +
                  (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
        total += d;
    }
    union { double d; uint64_t u; } bits = {total};
    printf("simd_dot(%d x %d) = %016llx (%.6f)\n", n, reps, (unsigned long long)bits.u, total);
    return 0;
}
