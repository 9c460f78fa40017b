/*
 * echo_args.c -- dump argv and environ in a length-prefixed, machine-parseable
 * form that survives arbitrary bytes (UTF-8, newlines, spaces, '=' ...).
 *
 * Output on stdout:
 *   argc=N\n
 *   a<len>:<len raw bytes>\n      (once per argv entry, argv[0] included)
 *   envc=M\n
 *   e<len>:<len raw bytes>\n      (once per environ entry, "KEY=VALUE")
 * <len> is the decimal byte length (not code points). Exit code 0.
 *
 * Tests pass args/env through the WASI config and parse stdout by reading
 * each length prefix and then exactly that many bytes.
 */
#include <stdio.h>
#include <string.h>

extern char **environ;

static void dump(char tag, const char *s) {
    size_t n = strlen(s);
    printf("%c%zu:", tag, n);
    fwrite(s, 1, n, stdout);
    fputc('\n', stdout);
}

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) dump('a', argv[i]);
    int envc = 0;
    if (environ) while (environ[envc]) envc++;
    printf("envc=%d\n", envc);
    for (int i = 0; i < envc; i++) dump('e', environ[i]);
    fflush(stdout);
    return 0;
}
