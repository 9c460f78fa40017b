/*
 * vcall.c -- real-code kernel: virtual calls through function pointers (a vtable per
 * kind of object; the kinds are mixed at random, so every call site sees all four).
 *
 *   vcall.wasm [ROUNDS [OBJECTS]]      (default 20000 rounds over 4096 objects)
 *
 * Every round calls step(object, x) on each object in turn through its vtable, feeding
 * each result into the next call. Prints "vcall(ROUNDS x OBJECTS) = X SUM" (u32 x, u64
 * sum of all results); the runner replays the objects' arithmetic on the JVM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "xorshift.h"

typedef struct object object;
typedef struct {
    uint32_t (*step)(object *self, uint32_t x);
    void (*reset)(object *self, uint32_t seed);
} vtable;
struct object { const vtable *vt; uint32_t a, b; };

static uint32_t counter_step(object *o, uint32_t x) { o->a += x; return o->a; }
static uint32_t mixer_step(object *o, uint32_t x) { o->a = (o->a ^ x) * 0x9E3779B1u; return o->a >> 7; }
static uint32_t rotator_step(object *o, uint32_t x) {
    uint32_t n = x & 31;
    o->a = (n ? (o->a << n) | (o->a >> (32 - n)) : o->a) + o->b;
    return o->a;
}
static uint32_t accumulator_step(object *o, uint32_t x) { o->b += x & 0xff; o->a += o->b; return o->a ^ o->b; }

static void plain_reset(object *o, uint32_t seed) { o->a = seed; o->b = 0; }
static void rotator_reset(object *o, uint32_t seed) { o->a = seed; o->b = seed | 1; }

static const vtable kinds[4] = {
    {counter_step, plain_reset},
    {mixer_step, plain_reset},
    {rotator_step, rotator_reset},
    {accumulator_step, plain_reset},
};

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    int n = argc > 2 ? atoi(argv[2]) : 4096;
    object *objs = malloc(sizeof(object) * (size_t)n);
    if (!objs) { fputs("out of memory\n", stderr); return 1; }
    for (int i = 0; i < n; i++) {
        uint64_t r = xorshift_next();
        objs[i].vt = &kinds[r & 3];
        objs[i].vt->reset(&objs[i], (uint32_t)(r >> 32));
    }
    uint32_t x = 1;
    uint64_t sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            object *o = &objs[i];
            x = o->vt->step(o, x);
            sum += x;
        }
    }
    printf("vcall(%d x %d) = %u %llu\n", rounds, n, x, (unsigned long long)sum);
    free(objs);
    return 0;
}
