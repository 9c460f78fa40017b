/* hello.c -- the smallest WASI command: greets its first argument (default "world"),
 * and lists the environment variables it was given. */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("hello, %s\n", argc > 1 ? argv[1] : "world");
    for (char **e = environ; *e; e++) printf("env: %s\n", *e);
    return 0;
}
