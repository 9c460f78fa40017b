/*
 * grow_until_fail.c -- allocates 1 MiB blocks (touching each) until malloc fails,
 * prints how many it got to stdout, then calls abort() (a trap) when argv[1] is
 * "abort", else exits 0. Tests drive it under :max-memory-pages to check that a
 * guest cannot grow memory past the cap and that the JVM heap stays bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The blocks form a list reachable from a global, so the compiler cannot drop the
   allocations (an unused malloc may be elided, and then it "never fails"). */
void *volatile head;

int main(int argc, char **argv) {
    size_t n = 0;
    for (;;) {
        char *p = malloc(1 << 20);
        if (!p) break;
        memset(p, 1, 1 << 20);
        *(void **)p = head;
        head = p;
        n++;
    }
    printf("allocated %zu MiB\n", n);
    if (argc > 1 && strcmp(argv[1], "abort") == 0) abort();
    return 0;
}
