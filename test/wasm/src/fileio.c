/*
 * fileio.c -- exercise WASI filesystem access through a preopened directory.
 *
 * Usage: fileio <dir>      e.g. fileio /sandbox   (<dir> must be a preopen
 *                          guest path, or lie beneath one)
 *
 * 1. writes <dir>/out.txt with "written by wasm\n", reads it back and prints
 *    it verbatim to stdout;
 * 2. if <dir>/in.txt exists, prints "in: " followed by its content;
 * 3. lists <dir> (opendir/readdir), sorted by name, skipping "." and "..",
 *    printing one "entry: NAME\n" line per entry.
 *
 * Exit 0 on success; on any failure prints a perror() message to stderr and
 * exits 1 (also 1 with a usage message if <dir> is missing). Tests preopen
 * a host temp dir, optionally seed in.txt, then check stdout and that
 * out.txt appeared on the host.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[4096];

static const char *join(const char *dir, const char *name) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copy a whole file to stdout. Returns 0 on success, -1 on error. */
static int dump_file(FILE *f) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) return -1;
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fileio <dir>\n");
        return 1;
    }
    const char *dir = argv[1];

    /* 1. write + read back out.txt */
    FILE *f = fopen(join(dir, "out.txt"), "w");
    if (!f) { perror("fopen out.txt for write"); return 1; }
    if (fputs("written by wasm\n", f) < 0) { perror("write out.txt"); return 1; }
    if (fclose(f) != 0) { perror("close out.txt"); return 1; }

    f = fopen(join(dir, "out.txt"), "r");
    if (!f) { perror("fopen out.txt for read"); return 1; }
    if (dump_file(f) != 0) { perror("read out.txt"); return 1; }
    fclose(f);

    /* 2. optional in.txt */
    f = fopen(join(dir, "in.txt"), "r");
    if (f) {
        fputs("in: ", stdout);
        if (dump_file(f) != 0) { perror("read in.txt"); return 1; }
        fclose(f);
    } else if (errno != ENOENT) {
        perror("fopen in.txt");
        return 1;
    }

    /* 3. sorted directory listing */
    DIR *d = opendir(dir);
    if (!d) { perror("opendir"); return 1; }
    size_t cap = 16, n = 0;
    char **names = malloc(cap * sizeof *names);
    if (!names) { perror("malloc"); return 1; }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            cap *= 2;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) { perror("realloc"); return 1; }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) { perror("strdup"); return 1; }
        n++;
        errno = 0;
    }
    if (errno != 0) { perror("readdir"); return 1; }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        printf("entry: %s\n", names[i]);
        free(names[i]);
    }
    free(names);
    if (fflush(stdout) != 0) { perror("fflush"); return 1; }
    return 0;
}
