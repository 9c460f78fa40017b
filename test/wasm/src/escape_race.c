/*
 * escape_race.c -- hammers paths that lead through a directory the host swaps with a
 * symlink to a directory outside the sandbox (escape_test.clj's race). Every path is
 * beneath the preopen at fd 3, whose "sw" directory holds secret.txt ("inside"),
 * victim.txt and lnk -> inside-target; the host keeps replacing "sw" with a symlink to
 * an outside directory holding files of the same names (different content).
 *
 * Usage: escape_race MODE INO_FILE INO_DIR
 *   MODE      "ro" (reads, stats, listings, readlinks) or "rw" (also creates, mkdir,
 *             symlink, link, rename, unlink, set_times through "sw")
 *   INO_FILE  st_ino of sw/secret.txt, INO_DIR st_ino of sw (as the host sees them)
 * Loops until the file "stop" appears in the preopen. Anything it sees that is not the
 * inside tree is printed as "LEAK <op> <data>" (at most 200 lines); finally
 * "attempts N ok M leaks L".
 */
#include "fs_util.h"

#define D 3
#define INSIDE "inside"

static unsigned long long ino_file, ino_dir;
static long leaks, oks, attempts;

static void leak(const char *what, const char *data) {
    leaks++;
    if (leaks <= 200) printf("LEAK %s %s\n", what, data);
}

static void count(int e) {
    attempts++;
    if (e == 0) oks++;
}

/* Reads what fd holds (up to cap-1 bytes). */
static int read_fd(__wasi_fd_t fd, char *buf, size_t cap) {
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};
    size_t n = 0;
    int e = __wasi_fd_read(fd, &iov, 1, &n);
    buf[e == 0 ? n : 0] = 0;
    return e;
}

static void check_read(const char *what, __wasi_fd_t dir, const char *p) {
    __wasi_fd_t fd;
    int e = op(dir, p, 0, 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_GET, 0, &fd);
    count(e);
    if (e) return;
    char buf[256];
    if (read_fd(fd, buf, sizeof buf) == 0 && strcmp(buf, INSIDE) != 0) leak(what, buf);
    __wasi_filestat_t st;
    if (__wasi_fd_filestat_get(fd, &st) == 0 && st.ino != ino_file) {
        char s[64];
        snprintf(s, sizeof s, "ino=%llu size=%llu", (unsigned long long)st.ino,
                 (unsigned long long)st.size);
        leak("fstat", s);
    }
    (void)__wasi_fd_close(fd);
}

static void check_stat(const char *what, const char *p, unsigned long long want) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(D, 0, p, &st);
    count(e);
    if (e == 0 && st.ino != want) {
        char s[64];
        snprintf(s, sizeof s, "ino=%llu size=%llu", (unsigned long long)st.ino,
                 (unsigned long long)st.size);
        leak(what, s);
    }
}

static void check_list(__wasi_fd_t fd, const char *what) {
    static uint8_t buf[8192];
    size_t used = 0;
    int e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
    count(e);
    if (e) return;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t de;
        memcpy(&de, buf + off, sizeof de);
        off += sizeof de;
        if (off + de.d_namlen > used) break;
        char name[256];
        size_t n = de.d_namlen < 255 ? de.d_namlen : 255;
        memcpy(name, buf + off, n);
        name[n] = 0;
        off += de.d_namlen;
        if (strstr(name, "outside")) leak(what, name);
    }
}

static int stopped(void) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(D, 0, "stop", &st) == 0;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    int rw = !strcmp(argv[1], "rw");
    ino_file = strtoull(argv[2], NULL, 10);
    ino_dir = strtoull(argv[3], NULL, 10);
    char buf[256];
    for (long i = 0; i < 5000000 && !stopped(); i++) {
        check_read("open", D, "sw/secret.txt");
        check_stat("stat", "sw/secret.txt", ino_file);
        check_stat("stat-dir", "sw/.", ino_dir);

        /* a directory fd opened through the swapped name, used a little later */
        __wasi_fd_t dfd;
        int e = op(D, "sw", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &dfd);
        count(e);
        if (e == 0) {
            check_list(dfd, "readdir");
            check_read("open-at", dfd, "secret.txt");
            __wasi_filestat_t st;
            if (__wasi_fd_filestat_get(dfd, &st) == 0 && st.ino != ino_dir) leak("fstat-dir", "");
            (void)__wasi_fd_close(dfd);
        }

        size_t used = 0;
        e = __wasi_path_readlink(D, "sw/lnk", (uint8_t *)buf, sizeof buf - 1, &used);
        count(e);
        if (e == 0) {
            buf[used] = 0;
            if (strcmp(buf, "inside-target") != 0) leak("readlink", buf);
        }
        if (!rw) continue;

        __wasi_fd_t fd;
        e = op(D, "sw/new.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
               __WASI_RIGHTS_FD_WRITE, 0, &fd);
        count(e);
        if (e == 0) {
            (void)write_all(fd, "x", 1);
            (void)__wasi_fd_close(fd);
            (void)__wasi_path_unlink_file(D, "sw/new.txt");
        }
        e = __wasi_path_create_directory(D, "sw/newdir");
        count(e);
        if (e == 0) (void)__wasi_path_remove_directory(D, "sw/newdir");
        e = __wasi_path_symlink("target", D, "sw/newlink");
        count(e);
        if (e == 0) (void)__wasi_path_unlink_file(D, "sw/newlink");
        /* a hard link from a source through the swapped name, then read it */
        e = __wasi_path_link(D, 0, "sw/secret.txt", D, "hl");
        count(e);
        if (e == 0) {
            check_read("link-src", D, "hl");
            (void)__wasi_path_unlink_file(D, "hl");
        }
        /* a hard link created through the swapped name */
        e = __wasi_path_link(D, 0, "f1", D, "sw/hl2");
        count(e);
        if (e == 0) (void)__wasi_path_unlink_file(D, "sw/hl2");
        e = __wasi_path_filestat_set_times(D, 0, "sw/victim.txt", 0, 0,
                                           __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_ATIM);
        count(e);
        e = __wasi_path_unlink_file(D, "sw/victim.txt");
        count(e);
        if (e == 0) {
            /* put it back through the handle-free path until "sw" is the directory again */
            for (int k = 0; k < 100000 && mkfile(D, "sw/victim.txt", "victim") != 0; k++) {}
        }
        /* steal the secret: rename it out, read it, put it back */
        e = __wasi_path_rename(D, "sw/secret.txt", D, "stolen");
        count(e);
        if (e == 0) {
            check_read("rename", D, "stolen");
            for (int k = 0; k < 100000 && __wasi_path_rename(D, "stolen", D, "sw/secret.txt") != 0; k++) {}
        }
    }
    printf("attempts %ld ok %ld leaks %ld\n", attempts, oks, leaks);
    fflush(stdout);
    return 0;
}
