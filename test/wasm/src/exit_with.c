/*
 * exit_with.c -- exit with a chosen status.
 *
 *   exit_with            -> exit(0)
 *   exit_with N          -> exit(N)           (N parsed with strtol)
 *   exit_with N stderr   -> writes "bye\n" to stderr, then exit(N)
 *
 * Tests drive it via argv and assert on the reported exit code (and on
 * captured stderr for the second form). Note that exit() goes through
 * WASI proc_exit, so the host sees a proc_exit trap/exception, not a return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    int code = 0;
    if (argc > 1) code = (int)strtol(argv[1], NULL, 10);
    if (argc > 2 && strcmp(argv[2], "stderr") == 0) {
        fputs("bye\n", stderr);
        fflush(stderr);
    }
    exit(code);
}
