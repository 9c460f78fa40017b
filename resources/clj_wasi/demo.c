/*
 * demo.c -- the clj-wasi demo program (built into demo.wasm, shipped next to
 * this file on the classpath as clj_wasi/demo.wasm).
 *
 * Shows off each WASI capability in its own section:
 *   == Arguments ==      each argv entry, numbered
 *   == Environment ==    the value of CLJ_WASI_DEMO, or "(unset)"
 *   == Clock ==          current UTC time as ISO-8601 (clock_gettime+gmtime)
 *   == Random ==         8 random bytes in hex (getentropy)
 *   == Files ==          in the preopened directory named by env DEMO_DIR
 *                        (default "/tmp"): writes hello.txt, reads it back,
 *                        lists the directory entries (sorted)
 *
 * Exit 0 on success; on failure prints "demo: <what>: <strerror>" to stderr
 * and exits 1. Rebuild with test/wasm/build.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
    int e = errno;
    fflush(stdout);
    if (arg)
        fprintf(stderr, "demo: %s %s: %s\n", what, arg, strerror(e));
    else
        fprintf(stderr, "demo: %s: %s\n", what, strerror(e));
    if (e == ENOENT || e == ENOTCAPABLE || e == EBADF)
        fprintf(stderr, "demo: hint: is the directory preopened? "
                        "(set DEMO_DIR to a preopened guest path)\n");
    return 1;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    puts("== Arguments ==");
    printf("argc = %d\n", argc);
    for (int i = 0; i < argc; i++) printf("  [%d] %s\n", i, argv[i]);

    puts("\n== Environment ==");
    const char *v = getenv("CLJ_WASI_DEMO");
    printf("CLJ_WASI_DEMO = %s\n", v ? v : "(unset)");

    puts("\n== Clock ==");
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return fail("clock_gettime", NULL);
    time_t secs = ts.tv_sec;
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) return fail("gmtime", NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    printf("now (UTC) = %s.%03ldZ\n", when, (long)(ts.tv_nsec / 1000000));

    puts("\n== Random ==");
    unsigned char r[8];
    if (getentropy(r, sizeof r) != 0) return fail("getentropy", NULL);
    printf("8 random bytes = ");
    for (size_t i = 0; i < sizeof r; i++) printf("%02x", r[i]);
    putchar('\n');

    const char *dir = getenv("DEMO_DIR");
    if (!dir || !*dir) dir = "/tmp";
    printf("\n== Files (%s) ==\n", dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/hello.txt", dir);

    FILE *f = fopen(path, "w");
    if (!f) return fail("cannot create", path);
    fprintf(f, "Hello from WebAssembly! (argc=%d)\n", argc);
    if (fclose(f) != 0) return fail("cannot write", path);
    printf("wrote %s\n", path);

    f = fopen(path, "r");
    if (!f) return fail("cannot open", path);
    char line[256];
    printf("read back: ");
    if (fgets(line, sizeof line, f)) fputs(line, stdout);
    else putchar('\n');
    fclose(f);

    DIR *d = opendir(dir);
    if (!d) return fail("cannot list", dir);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[n] = strdup(e->d_name);
        if (!names[n]) return fail("out of memory", NULL);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("entries in %s (%zu):\n", dir, n);
    for (size_t i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }

    puts("\nDone.");
    return 0;
}
