/*
 * sieve.c -- CPU kernel: sieve of Eratosthenes over a byte array (memory-heavy).
 *
 *   sieve.wasm [LIMIT [REPS]]     (default: primes below 20000000, 5 times)
 *
 * Prints "primes below LIMIT: COUNT (xREPS)". The runner checks COUNT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    unsigned limit = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000000u;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    unsigned char *s = malloc(limit);
    if (!s) { fputs("out of memory\n", stderr); return 1; }
    unsigned count = 0;
    for (int r = 0; r < reps; r++) {
        memset(s, 1, limit);
        s[0] = 0;
        if (limit > 1) s[1] = 0;
        for (unsigned i = 2; (unsigned long long)i * i < limit; i++)
            if (s[i])
                for (unsigned j = i * i; j < limit; j += i) s[j] = 0;
        unsigned c = 0;
        for (unsigned i = 0; i < limit; i++) c += s[i];
        if (r > 0 && c != count) { fputs("inconsistent count\n", stderr); return 1; }
        count = c;
    }
    printf("primes below %u: %u (x%d)\n", limit, count, reps);
    free(s);
    return 0;
}
