/* tac.c -- reads /data/in.txt and writes its lines in reverse order to /data/out.txt
 * (a final line without '\n' gets one). Exit 0; on failure perror() and exit 1. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    FILE *in = fopen("/data/in.txt", "rb");
    if (!in) { perror("/data/in.txt"); return 1; }
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len, in)) > 0)
        if ((len += n) == cap) buf = realloc(buf, cap *= 2);
    fclose(in);
    if (!buf) { perror("malloc"); return 1; }

    FILE *out = fopen("/data/out.txt", "wb");
    if (!out) { perror("/data/out.txt"); return 1; }
    size_t end = len;
    if (end > 0 && buf[end - 1] == '\n') end--;      /* the last line's '\n' */
    while (len > 0) {
        size_t start = end;
        while (start > 0 && buf[start - 1] != '\n') start--;
        fwrite(buf + start, 1, end - start, out);
        fputc('\n', out);
        if (start == 0) break;
        end = start - 1;
    }
    if (fclose(out) != 0) { perror("/data/out.txt"); return 1; }
    return 0;
}
