/*
 * sort_lines.c -- reads a file of lines, writes it sorted, shuffled and counted, for
 * the in-memory-files property test (clj-wasi's :files and :random options).
 *
 * Usage: sort_lines [DIR]          (DIR defaults to /data; it must be preopened)
 *
 * Reads DIR/in.txt (any bytes). Its lines are the pieces between '\n' bytes; a final
 * piece without '\n' is a line too, an empty one after a final '\n' is not. Makes the
 * directory DIR/out (EEXIST is fine) and writes, each first as DIR/out/.NAME.tmp and
 * then renamed into place:
 *
 *   DIR/out/sorted.txt    the lines sorted as unsigned bytes (a prefix first), each
 *                         followed by '\n';
 *   DIR/out/shuffled.txt  the lines in a Fisher-Yates order drawn from a 64-bit seed
 *                         obtained from getentropy (random_get), each followed by '\n';
 *   DIR/out/wc.txt        "LINES WORDS BYTES\n" as wc(1) counts them in the C locale
 *                         (LINES = number of '\n' bytes, WORDS = runs of bytes that are
 *                         not space, \t, \n, \v, \f or \r).
 *
 * Exit 0; on failure a perror() message on stderr and exit 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const unsigned char *p;
    size_t n;
} line_t;

static char path[4096];
static char tmp[4096];

static int cmp_line(const void *a, const void *b) {
    const line_t *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c) return c;
    return x->n < y->n ? -1 : x->n > y->n ? 1 : 0;
}

static unsigned char *slurp(const char *name, size_t *len) {
    FILE *f = fopen(name, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    if (!buf || ferror(f)) { fclose(f); return NULL; }
    fclose(f);
    *len = n;
    return buf;
}

/* Writes DIR/out/NAME via a temporary file and a rename. */
static int put(const char *dir, const char *name, const line_t *lines, size_t count,
               const char *text) {
    snprintf(tmp, sizeof tmp, "%s/out/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/out/%s", dir, name);
    FILE *f = fopen(tmp, "wb");
    if (!f) { perror(tmp); return -1; }
    for (size_t i = 0; i < count; i++) {
        if (fwrite(lines[i].p, 1, lines[i].n, f) != lines[i].n || fputc('\n', f) == EOF) {
            perror(tmp);
            return -1;
        }
    }
    if (text && fputs(text, f) == EOF) { perror(tmp); return -1; }
    if (fclose(f) != 0) { perror(tmp); return -1; }
    if (rename(tmp, path) != 0) { perror(path); return -1; }
    return 0;
}

static uint64_t next(uint64_t *s) { /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/data";
    snprintf(path, sizeof path, "%s/in.txt", dir);
    size_t len = 0;
    unsigned char *in = slurp(path, &len);
    if (!in) { perror(path); return 1; }

    size_t count = 0, cap = 16, start = 0, words = 0, nl = 0;
    line_t *lines = malloc(cap * sizeof *lines);
    for (size_t i = 0; i <= len && lines; i++) {
        if (i < len && !is_space(in[i]) && (i == 0 || is_space(in[i - 1]))) words++;
        if (i == len ? i > start : in[i] == '\n') {
            if (count == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
            if (!lines) break;
            lines[count].p = in + start;
            lines[count].n = i - start;
            count++;
            start = i + 1;
            if (i < len) nl++;
        }
    }
    if (!lines) { perror("malloc"); return 1; }

    snprintf(path, sizeof path, "%s/out", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) { perror(path); return 1; }

    line_t *sorted = malloc((count ? count : 1) * sizeof *sorted);
    if (!sorted) { perror("malloc"); return 1; }
    memcpy(sorted, lines, count * sizeof *lines);
    qsort(sorted, count, sizeof *sorted, cmp_line);
    if (put(dir, "sorted.txt", sorted, count, NULL)) return 1;

    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0) { perror("getentropy"); return 1; }
    if (seed == 0) seed = 1;
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)(next(&seed) % i);
        line_t t = lines[i - 1];
        lines[i - 1] = lines[j];
        lines[j] = t;
    }
    if (put(dir, "shuffled.txt", lines, count, NULL)) return 1;

    char wc[96];
    snprintf(wc, sizeof wc, "%zu %zu %zu\n", nl, words, len);
    if (put(dir, "wc.txt", NULL, 0, wc)) return 1;
    return 0;
}
