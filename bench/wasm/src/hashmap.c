/*
 * hashmap.c -- real-code kernel: a hash map with open addressing (linear probing,
 * tombstones, rehashing) and string keys; a random mix of inserts, lookups and deletes.
 *
 *   hashmap.wasm [OPS [KEYS]]      (default 4000000 operations over 100000 distinct keys)
 *
 * Operation i draws r from xorshift64*: key "key<(r >> 8) % KEYS>" (decimal), and by
 * r & 3: 0-1 insert-or-add (value += i), 2 lookup (count hits, sum values), 3 delete.
 * Prints "hashmap(OPS/KEYS) = SIZE HITS DELETES SUM"; the runner replays the same
 * operations on a java.util.HashMap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xorshift.h"

enum { EMPTY, FULL, DELETED };
typedef struct { uint64_t value; uint32_t hash; uint8_t state, len; char key[18]; } slot;
typedef struct { slot *slots; uint32_t cap, size, used; } map;   /* used: FULL + DELETED */

static uint32_t fnv1a(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void map_init(map *m, uint32_t cap) {
    m->slots = calloc(cap, sizeof(slot));
    if (!m->slots) { fputs("out of memory\n", stderr); exit(1); }
    m->cap = cap; m->size = 0; m->used = 0;
}

/* The slot holding key, or (insert) the slot it should go into; NULL when absent. */
static slot *probe(map *m, const char *key, size_t len, uint32_t h, int insert) {
    uint32_t mask = m->cap - 1, i = h & mask;
    slot *grave = NULL;
    for (;;) {
        slot *s = &m->slots[i];
        if (s->state == EMPTY) return insert ? (grave ? grave : s) : NULL;
        if (s->state == DELETED) { if (!grave) grave = s; }
        else if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) return s;
        i = (i + 1) & mask;
    }
}

static void rehash(map *m, uint32_t cap) {
    map old = *m;
    map_init(m, cap);
    for (uint32_t i = 0; i < old.cap; i++) {
        slot *s = &old.slots[i];
        if (s->state != FULL) continue;
        slot *t = probe(m, s->key, s->len, s->hash, 1);
        *t = *s;
        m->size++; m->used++;
    }
    free(old.slots);
}

static void map_add(map *m, const char *key, size_t len, uint64_t v) {
    uint32_t h = fnv1a(key, len);
    slot *s = probe(m, key, len, h, 1);
    if (s->state == FULL) { s->value += v; return; }
    if (s->state == EMPTY) m->used++;
    s->state = FULL; s->hash = h; s->len = (uint8_t)len; s->value = v;
    memcpy(s->key, key, len);
    m->size++;
    /* keep at least a quarter of the slots EMPTY so probes end; grow only when full of live keys */
    if (m->used * 4 >= m->cap * 3) rehash(m, m->size * 2 >= m->cap ? m->cap * 2 : m->cap);
}

static slot *map_get(map *m, const char *key, size_t len) {
    return probe(m, key, len, fnv1a(key, len), 0);
}

static int map_remove(map *m, const char *key, size_t len) {
    slot *s = map_get(m, key, len);
    if (!s) return 0;
    s->state = DELETED;
    m->size--;
    return 1;
}

static size_t format_key(char *out, uint32_t k) {
    char digits[10];
    size_t n = 0, len = 3;
    memcpy(out, "key", 3);
    do { digits[n++] = (char)('0' + k % 10); k /= 10; } while (k);
    while (n) out[len++] = digits[--n];
    return len;
}

int main(int argc, char **argv) {
    uint32_t ops = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 4000000u;
    uint32_t keys = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 100000u;
    map m;
    map_init(&m, 16);
    uint64_t hits = 0, deletes = 0, sum = 0;
    char key[16];
    for (uint32_t i = 0; i < ops; i++) {
        uint64_t r = xorshift_next();
        size_t len = format_key(key, (uint32_t)((r >> 8) % keys));
        switch (r & 3) {
        case 0: case 1: map_add(&m, key, len, i); break;
        case 2: { slot *s = map_get(&m, key, len); if (s) { hits++; sum += s->value; } break; }
        default: deletes += (uint64_t)map_remove(&m, key, len);
        }
    }
    printf("hashmap(%u/%u) = %u %llu %llu %llu\n", ops, keys, m.size,
           (unsigned long long)hits, (unsigned long long)deletes, (unsigned long long)sum);
    return 0;
}
