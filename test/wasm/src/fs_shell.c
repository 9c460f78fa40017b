/*
 * fs_shell.c -- performs filesystem operations given as arguments, for the sandbox
 * property test. Every path is relative to the preopen at fd 3.
 *
 * Usage: fs_shell OP... where OP is one of
 *   open:P  opennf:P   read P (following / not following a final symlink), print it
 *   write:P            open P for writing (no create), write "pwned"
 *   create:P           create/truncate P (following symlinks), write "data"
 *   trunc:P            open P with O_TRUNC
 *   stat:P  lstat:P    path_filestat_get with / without SYMLINK_FOLLOW
 *   times:P            path_filestat_set_times(P, follow, mtim = 0)
 *   readlink:P         print the link's target
 *   readdir:P          list the directory P (following symlinks), names sorted
 *   mkdir:P  rmdir:P  unlink:P
 *   link:A:B  rename:A:B  symlink:TARGET:B
 * and prints one line per op: "<op> <errno> [data]". Exit 0.
 */
#include "fs_util.h"

#define D 3

static void show(const char *lbl, int e, const char *data) {
    printf("%s %s%s%s\n", lbl, ename(e), data ? " " : "", data ? data : "");
}

static void do_read(const char *lbl, const char *p, int follow) {
    __wasi_fd_t fd;
    int e = op(D, p, follow, 0, __WASI_RIGHTS_FD_READ, 0, &fd);
    char buf[4096];
    buf[0] = 0;
    if (e == 0) {
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        size_t n = 0;
        e = __wasi_fd_read(fd, &iov, 1, &n);
        buf[e == 0 ? n : 0] = 0;
        (void)__wasi_fd_close(fd);
    }
    show(lbl, e, buf);
}

static void do_write(const char *lbl, const char *p, int oflags, const char *text) {
    __wasi_fd_t fd;
    int e = op(D, p, 1, oflags, __WASI_RIGHTS_FD_WRITE, 0, &fd);
    if (e == 0) {
        if (text) e = write_all(fd, text, strlen(text));
        (void)__wasi_fd_close(fd);
    }
    show(lbl, e, NULL);
}

static void do_stat(const char *lbl, const char *p, int follow) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(D, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, &st);
    char buf[64];
    snprintf(buf, sizeof buf, "type=%d size=%llu nlink=%llu", e ? 0 : st.filetype,
             e ? 0ULL : (unsigned long long)st.size, e ? 0ULL : (unsigned long long)st.nlink);
    show(lbl, e, e ? NULL : buf);
}

static int cmp_names(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lists P's entries sorted by name (the host's order varies between file systems),
   so tests can compare listings as text. */
static void do_readdir(const char *lbl, const char *p) {
    __wasi_fd_t fd;
    int e = op(D, p, 1, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &fd);
    static char pool[4096];
    char *entries[256];
    int n = 0;
    size_t pooled = 0;
    char names[4096];
    names[0] = 0;
    if (e == 0) {
        uint8_t buf[4096];
        size_t used;
        e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
        size_t off = 0;
        while (e == 0 && off + sizeof(__wasi_dirent_t) <= used && n < 256) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used) break;
            if (pooled + d.d_namlen + 1 <= sizeof pool) {
                memcpy(pool + pooled, buf + off + sizeof d, d.d_namlen);
                pool[pooled + d.d_namlen] = 0;
                entries[n++] = pool + pooled;
                pooled += d.d_namlen + 1;
            }
            off += sizeof d + d.d_namlen;
        }
        (void)__wasi_fd_close(fd);
    }
    qsort(entries, (size_t)n, sizeof entries[0], cmp_names);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names), k = strlen(entries[i]);
        if (len + k + 2 < sizeof names) {
            memcpy(names + len, entries[i], k);
            names[len + k] = ',';
            names[len + k + 1] = 0;
        }
    }
    show(lbl, e, names);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char op[1024];
        snprintf(op, sizeof op, "%s", argv[i]);
        char *a = strchr(op, ':');
        if (!a) {
            show(argv[i], __WASI_ERRNO_INVAL, NULL);
            continue;
        }
        *a++ = 0;
        char *b = strchr(a, ':');
        if (b) *b++ = 0;
        const char *o = argv[i];
        if (!strcmp(op, "open")) do_read(o, a, 1);
        else if (!strcmp(op, "opennf")) do_read(o, a, 0);
        else if (!strcmp(op, "write")) do_write(o, a, 0, "pwned");
        else if (!strcmp(op, "create")) do_write(o, a, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, "data");
        else if (!strcmp(op, "trunc")) do_write(o, a, __WASI_OFLAGS_TRUNC, NULL);
        else if (!strcmp(op, "stat")) do_stat(o, a, 1);
        else if (!strcmp(op, "lstat")) do_stat(o, a, 0);
        else if (!strcmp(op, "times"))
            show(o, __wasi_path_filestat_set_times(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, a, 0, 0,
                                                   __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_ATIM),
                 NULL);
        else if (!strcmp(op, "readlink")) {
            uint8_t buf[1024];
            size_t n = 0;
            int e = __wasi_path_readlink(D, a, buf, sizeof buf - 1, &n);
            buf[e ? 0 : n] = 0;
            show(o, e, (const char *)buf);
        } else if (!strcmp(op, "readdir")) do_readdir(o, a);
        else if (!strcmp(op, "mkdir")) show(o, __wasi_path_create_directory(D, a), NULL);
        else if (!strcmp(op, "rmdir")) show(o, __wasi_path_remove_directory(D, a), NULL);
        else if (!strcmp(op, "unlink")) show(o, __wasi_path_unlink_file(D, a), NULL);
        else if (b && !strcmp(op, "link")) show(o, __wasi_path_link(D, 0, a, D, b), NULL);
        else if (b && !strcmp(op, "rename")) show(o, __wasi_path_rename(D, a, D, b), NULL);
        else if (b && !strcmp(op, "symlink")) show(o, __wasi_path_symlink(a, D, b), NULL);
        else show(o, __WASI_ERRNO_INVAL, NULL);
    }
    fflush(stdout);
    return 0;
}
