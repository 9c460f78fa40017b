/*
 * sortcmp.c -- real-code kernel: sorting through a comparator (libc qsort, a function
 * pointer called for every comparison).
 *
 *   sortcmp.wasm [N [REPS]]      (default 200000 records, 5 times)
 *
 * Each repetition fills N records {key: 20 random bits (so keys repeat), id: index} from
 * xorshift64* and sorts them by key, then id, with qsort; the sorted records are folded
 * into an FNV-1a-style 64-bit hash. Prints "sortcmp(N x REPS) = HASH" (hex); the runner
 * regenerates the records on the JVM, sorts them with java.util.Arrays and hashes them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "xorshift.h"

typedef struct { uint32_t key, id; } record;

static int by_key_then_id(const void *pa, const void *pb) {
    const record *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    record *rs = malloc(sizeof(record) * (size_t)n);
    if (!rs) { fputs("out of memory\n", stderr); return 1; }
    uint64_t h = 0xcbf29ce484222325ull;
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < n; i++) {
            rs[i].key = (uint32_t)(xorshift_next() >> 44);
            rs[i].id = (uint32_t)i;
        }
        qsort(rs, (size_t)n, sizeof(record), by_key_then_id);
        for (int i = 0; i < n; i++) {
            h = (h ^ rs[i].key) * 0x100000001b3ull;
            h = (h ^ rs[i].id) * 0x100000001b3ull;
        }
    }
    printf("sortcmp(%d x %d) = %016llx\n", n, reps, (unsigned long long)h);
    free(rs);
    return 0;
}
