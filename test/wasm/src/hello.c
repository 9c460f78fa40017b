/*
 * hello.c -- the simplest WASI command.
 *
 * Prints "hello, world\n" to stdout and returns 0.
 * Tests run it with no args/env/preopens and assert on captured stdout and
 * exit code 0.
 */
#include <stdio.h>

int main(void) {
    fputs("hello, world\n", stdout);
    return 0;
}
