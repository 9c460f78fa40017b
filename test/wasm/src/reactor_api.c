// reactor_api.c -- a WASI reactor (built with -mexec-model=reactor) for the API tests:
// strings passed through the guest's own allocator, snapshots, and the state an
// instance is left in after a trap.
//
// Exports:
//   malloc(n), free(p)           the guest's allocator, for wasm/call
//   count_vowels(s, n)           vowels in the n bytes at s
//   c_strlen(s)                  strlen of a NUL-terminated string
//   sum_bytes(p, n)              sum of n unsigned bytes
//   greet(s, n)                  prints "hello, <s>\n" to stdout, returns n
//   prime(i)                     the i-th prime (i < 2000), from a table built at start-up
//   init_runs()                  how many times the start-up code ran in this memory
//   bump(by)                     adds `by` to an accumulator in memory, returns it
//   recurse(n)                   recursion with 1 KiB of stack per level: a large n
//                                overruns the C stack in linear memory and traps
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("malloc") void *api_malloc(size_t n) { return malloc(n); }
EXPORT("free") void api_free(void *p) { free(p); }

EXPORT("count_vowels") int count_vowels(const char *s, size_t n) {
  int c = 0;
  for (size_t i = 0; i < n; i++) c += strchr("aeiouAEIOU", s[i]) != NULL && s[i] != 0;
  return c;
}

EXPORT("c_strlen") int c_strlen(const char *s) { return (int)strlen(s); }

EXPORT("sum_bytes") int sum_bytes(const unsigned char *p, size_t n) {
  int sum = 0;
  for (size_t i = 0; i < n; i++) sum += p[i];
  return sum;
}

EXPORT("greet") int greet(const char *s, size_t n) {
  printf("hello, %.*s\n", (int)n, s);
  fflush(stdout);
  return (int)n;
}

static int primes[2000];
static int runs;

// the "expensive initialization" a snapshot saves: runs in _initialize
__attribute__((constructor)) static void init(void) {
  runs++;
  int count = 0;
  for (int c = 2; count < 2000; c++) {
    int is_prime = 1;
    for (int i = 0; i < count && primes[i] * primes[i] <= c; i++)
      if (c % primes[i] == 0) { is_prime = 0; break; }
    if (is_prime) primes[count++] = c;
  }
}

EXPORT("prime") int prime(int i) { return i >= 0 && i < 2000 ? primes[i] : -1; }
EXPORT("init_runs") int init_runs(void) { return runs; }

static long long acc;
EXPORT("bump") long long bump(int by) { acc += by; return acc; }

EXPORT("recurse") int recurse(int n) {
  volatile char buf[1024];
  buf[0] = (char)n;
  buf[1023] = 1;
  return n <= 0 ? 0 : recurse(n - 1) + buf[0] + buf[1023];
}
