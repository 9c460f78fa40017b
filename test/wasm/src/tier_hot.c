/* Large modules (test/clj_wasi/hot_functions_test.clj): hot functions get compiled mid-run.
 *
 *   tier_hot.wasm sum N        prints a checksum over N rounds of hot functions
 *   tier_hot.wasm trap N       as sum, but the hot function traps (division by zero) in round N-1
 *   tier_hot.wasm exit N       as sum, but the hot function calls exit(7) in round N-1
 *   tier_hot.wasm big N        also calls big() (too large for one JVM method: split, or interpreted
 *                              when clj-wasi.compiler.split-bytes=0) N times
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int zero = 0;

__attribute__((noinline)) unsigned mix(unsigned a, unsigned b) {
  a ^= b + 0x9e3779b9u + (a << 6) + (a >> 2);
  return a * 2654435761u;
}

__attribute__((noinline)) double scale(double x, int i) { return x * 1.0000001 + (double)(i & 7); }

__attribute__((noinline)) unsigned hot(unsigned acc, int i, int n, int mode) {
  for (int k = 0; k < 8; k++) acc = mix(acc, (unsigned)(i * 8 + k));
  if (i == n - 1) {
    if (mode == 1) return acc / (unsigned)zero; /* integer division by zero: a trap */
    if (mode == 2) { printf("exiting %u\n", acc); exit(7); }
  }
  return acc;
}

/* ~10,000 dependent statements: more JVM bytecode than one method may hold (unsplit) */
#define S a = a * 31u + b; b ^= a >> 3;
#define S10 S S S S S S S S S S
#define S100 S10 S10 S10 S10 S10 S10 S10 S10 S10 S10
#define S1000 S100 S100 S100 S100 S100 S100 S100 S100 S100 S100
__attribute__((noinline)) unsigned big(unsigned a, unsigned b) {
  S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000 S1000
  return a ^ b;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "sum";
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  int mode = strcmp(what, "trap") == 0 ? 1 : strcmp(what, "exit") == 0 ? 2 : 0;
  unsigned acc = 1;
  double d = 1.0;
  for (int i = 0; i < n; i++) {
    acc = hot(acc, i, n, mode);
    d = scale(d, i);
    if (strcmp(what, "big") == 0) acc = big(acc, (unsigned)i);
  }
  printf("%s %d %u %.6f\n", what, n, acc, d);
  return 0;
}
