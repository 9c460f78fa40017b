/*
 * biquad.c -- real-code kernel: dense floating-point loops with many live locals: a bank
 * of 4 channels, each a cascade of 4 biquad sections (transposed direct form II, f64).
 *
 *   biquad.wasm [SAMPLES]      (default 2000000)
 *
 * The input is white noise from xorshift64* (53-bit fractions, exact); channel c sees it
 * scaled by gain[c]. clang unrolls the 4 x 4 sections, so 32 filter states and 20
 * coefficients stay in locals. Prints "biquad(SAMPLES) = BITS (VALUE)": the sum of all
 * outputs as the bits of an f64 in hex and as %.6f; the runner recomputes it on the JVM in
 * the same order (IEEE f64, no FMA), so the bits must match exactly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xorshift.h"

enum { CH = 4, SEC = 4 };

/* b0, b1, b2, a1, a2 of each section: stable (poles inside the unit circle) */
static const double coef[SEC][5] = {
    {0.0675, 0.135, 0.0675, -1.143, 0.4128},
    {0.2, 0.0, -0.2, -1.2, 0.6},
    {0.8, -1.6, 0.8, -1.5, 0.64},
    {0.5, 0.3, 0.1, -0.3, 0.2},
};
static const double gain[CH] = {1.0, 0.5, -0.75, 0.25};

int main(int argc, char **argv) {
    long samples = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    double z1[CH][SEC], z2[CH][SEC];
    memset(z1, 0, sizeof z1);
    memset(z2, 0, sizeof z2);
    double sum = 0;
    for (long n = 0; n < samples; n++) {
        double in = (double)(xorshift_next() >> 11) * 0x1.0p-53 - 0.5;
        for (int c = 0; c < CH; c++) {
            double x = in * gain[c];
            for (int s = 0; s < SEC; s++) {
                double y = coef[s][0] * x + z1[c][s];
                z1[c][s] = coef[s][1] * x - coef[s][3] * y + z2[c][s];
                z2[c][s] = coef[s][2] * x - coef[s][4] * y;
                x = y;
            }
            sum += x;
        }
    }
    union { double d; uint64_t u; } bits = {sum};
    printf("biquad(%ld) = %016llx (%.6f)\n", samples, (unsigned long long)bits.u, sum);
    return 0;
}
