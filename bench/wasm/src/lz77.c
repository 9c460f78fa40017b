/*
 * lz77.c -- real-code kernel: LZ77-style compression with hash chains (the matcher of
 * deflate-like compressors), then decompression and a round-trip check.
 *
 *   lz77.wasm [KIB [REPS]]      (default 2048 KiB of generated text, compressed 3 times)
 *
 * The input is "text": words drawn with xorshift64* from a small vocabulary, with spaces,
 * commas and line breaks. The matcher hashes every 4-byte prefix into a chain of earlier
 * positions in a 32 KiB window, follows up to 64 links for the longest match (3..258
 * bytes), and emits literal runs and (length, distance) pairs as bytes. Exits 1 if the
 * decompressed text differs. Prints "lz77(KIB KiB x REPS) = COMPRESSED HASH" (size in
 * bytes, FNV-1a 32 of the compressed stream). The expected line comes from the same C
 * built natively (bench/wasm/native-expected.sh), not from an independent implementation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xorshift.h"

enum { WINDOW = 1 << 15, HASH_BITS = 15, MIN_MATCH = 3, MAX_MATCH = 258, MAX_CHAIN = 64 };

static const char *const words[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be",
    "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but",
    "have", "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her",
    "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
    "memory", "module", "function", "table", "import", "export", "instance", "compiler",
    "interpreter", "benchmark", "kernel", "window", "match", "length", "distance", "literal"};

static size_t make_text(uint8_t *out, size_t n) {
    size_t len = 0;
    while (len < n) {
        uint64_t r = xorshift_next();
        const char *w = words[(r & 0xffff) % (sizeof words / sizeof words[0])];
        while (*w && len < n) out[len++] = (uint8_t)*w++;
        if (len < n) out[len++] = (r >> 16) % 11 == 0 ? '\n' : (r >> 20) % 7 == 0 ? ',' : ' ';
    }
    return len;
}

static inline uint32_t hash4(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Stream: 0x00 LEN(1..255) bytes... = literals; 0x01 LEN-3 DIST(2 bytes, LE) = match. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev) {
    size_t o = 0, lit_start = 0, i = 0;
    for (int k = 0; k < (1 << HASH_BITS); k++) head[k] = -1;
#define FLUSH_LITERALS(end)                                                        \
    while (lit_start < (end)) {                                                    \
        size_t run = (end) - lit_start > 255 ? 255 : (end) - lit_start;            \
        out[o++] = 0; out[o++] = (uint8_t)run;                                     \
        memcpy(out + o, in + lit_start, run); o += run; lit_start += run;          \
    }
    while (i + 4 <= n) {
        uint32_t h = hash4(in + i);
        int32_t cand = head[h];
        size_t best = 0, best_dist = 0;
        size_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
        for (int chain = 0; cand >= 0 && i - (size_t)cand <= WINDOW - 1 && chain < MAX_CHAIN; chain++) {
            const uint8_t *a = in + cand, *b = in + i;
            if (a[best] == b[best]) {
                size_t len = 0;
                while (len < limit && a[len] == b[len]) len++;
                if (len > best) { best = len; best_dist = i - (size_t)cand; if (len == limit) break; }
            }
            cand = prev[cand & (WINDOW - 1)];
        }
        prev[i & (WINDOW - 1)] = head[h];
        head[h] = (int32_t)i;
        if (best >= MIN_MATCH) {
            FLUSH_LITERALS(i);
            out[o++] = 1; out[o++] = (uint8_t)(best - MIN_MATCH);
            out[o++] = (uint8_t)best_dist; out[o++] = (uint8_t)(best_dist >> 8);
            /* insert the matched positions into the chains too */
            for (size_t j = i + 1; j < i + best && j + 4 <= n; j++) {
                uint32_t hj = hash4(in + j);
                prev[j & (WINDOW - 1)] = head[hj];
                head[hj] = (int32_t)j;
            }
            i += best;
            lit_start = i;
        } else {
            i++;
        }
    }
    FLUSH_LITERALS(n);
#undef FLUSH_LITERALS
    return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        if (in[i] == 0) {
            size_t run = in[i + 1];
            memcpy(out + o, in + i + 2, run);
            o += run; i += 2 + run;
        } else {
            size_t len = (size_t)in[i + 1] + MIN_MATCH, dist = in[i + 2] | (size_t)in[i + 3] << 8;
            for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];   /* may overlap */
            i += 4;
        }
    }
    return o;
}

int main(int argc, char **argv) {
    size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 2048) * 1024;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    uint8_t *text = malloc(n), *packed = malloc(n + n / 128 + 16), *back = malloc(n);
    int32_t *head = malloc(sizeof(int32_t) << HASH_BITS), *prev = malloc(sizeof(int32_t) * WINDOW);
    if (!text || !packed || !back || !head || !prev) { fputs("out of memory\n", stderr); return 1; }
    make_text(text, n);
    size_t size = 0;
    for (int r = 0; r < reps; r++) size = compress(text, n, packed, head, prev);
    if (decompress(packed, size, back) != n || memcmp(back, text, n) != 0) {
        fputs("round trip failed\n", stderr);
        return 1;
    }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) h = (h ^ packed[i]) * 16777619u;
    printf("lz77(%zu KiB x %d) = %zu %08x\n", n / 1024, reps, size, h);
    return 0;
}
