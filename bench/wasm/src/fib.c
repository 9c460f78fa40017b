/*
 * fib.c -- CPU kernel: naive doubly-recursive Fibonacci (call-heavy).
 *
 *   fib.wasm [N]      (default N = 38)
 *
 * Prints "fib(N) = F". The runner checks F.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned fib(unsigned n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 38;
    printf("fib(%u) = %u\n", n, fib(n));
    return 0;
}
