/*
 * hello.c -- start-up benchmark: the smallest useful WASI command (printf + exit 0).
 */
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 0;
}
