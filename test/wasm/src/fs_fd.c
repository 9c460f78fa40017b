/*
 * fs_fd.c -- checks the fd_* functions with raw WASI calls.
 *
 * Usage: fs_fd MODE   with an empty scratch directory preopened as fd 3 ("/sandbox").
 * MODE: stdio | rw | append | flags | rights | meta | misc | readdir | close-preopen
 * Prints "ok LABEL" / "FAIL LABEL: ..." per check (see fs_util.h), exit 1 on failure.
 */
#include "fs_util.h"

#define D 3

static void mode_stdio(void) {
    __wasi_fdstat_t st;
    OK("fdstat stdin", __wasi_fd_fdstat_get(0, &st));
    CHECK("stdin filetype unknown (not a tty)", st.fs_filetype == __WASI_FILETYPE_UNKNOWN);
    CHECK("stdin readable", (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0);
    OK("fdstat stdout", __wasi_fd_fdstat_get(1, &st));
    CHECK("stdout writable", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    __wasi_filesize_t pos;
    EXPECT("seek stdin", __wasi_fd_seek(0, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE);
    EXPECT("tell stdout", __wasi_fd_tell(1, &pos), __WASI_ERRNO_SPIPE);
    char b[4];
    __wasi_iovec_t iov = {(uint8_t *)b, 4};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    size_t n;
    EXPECT("pread stdin", __wasi_fd_pread(0, &iov, 1, 0, &n), __WASI_ERRNO_SPIPE);
    EXPECT("pwrite stdout", __wasi_fd_pwrite(1, &ciov, 1, 0, &n), __WASI_ERRNO_SPIPE);
    EXPECT("read stdout", __wasi_fd_read(1, &iov, 1, &n), __WASI_ERRNO_BADF);
    __wasi_filestat_t fs;
    memset(&fs, 0xff, sizeof fs);
    OK("filestat stdout", __wasi_fd_filestat_get(1, &fs));
    CHECK("stdout filestat zeros", fs.size == 0 && fs.ino == 0 && fs.nlink == 0 &&
                                       fs.filetype == __WASI_FILETYPE_UNKNOWN);
    uint8_t buf[64];
    EXPECT("readdir stdout", __wasi_fd_readdir(1, buf, sizeof buf, 0, &n), __WASI_ERRNO_BADF);
    EXPECT("sync stdout", __wasi_fd_sync(1), __WASI_ERRNO_BADF);
    EXPECT("datasync stdout", __wasi_fd_datasync(1), __WASI_ERRNO_BADF);
    EXPECT("allocate stdout", __wasi_fd_allocate(1, 0, 1), __WASI_ERRNO_BADF);
    EXPECT("advise stdout", __wasi_fd_advise(1, 0, 1, __WASI_ADVICE_NORMAL), __WASI_ERRNO_BADF);
    EXPECT("set_size stdout", __wasi_fd_filestat_set_size(1, 0), __WASI_ERRNO_BADF);
    EXPECT("set_times stdout", __wasi_fd_filestat_set_times(1, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_BADF);
    __wasi_prestat_t ps;
    EXPECT("prestat stdin", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
    EXPECT("prestat_dir_name stdin", __wasi_fd_prestat_dir_name(0, buf, sizeof buf),
           __WASI_ERRNO_NOTDIR);
    EXPECT("path_open on stdout", try_open(1, "x", 0, 0), __WASI_ERRNO_BADF);
}

static void mode_rw(void) {
    __wasi_fd_t fd;
    OK("create f", op(D, "f", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &fd));
    __wasi_ciovec_t w[2] = {{(const uint8_t *)"hello ", 6}, {(const uint8_t *)"world", 5}};
    size_t n;
    OK("write 2 iovecs", __wasi_fd_write(fd, w, 2, &n));
    CHECK("wrote 11", n == 11);
    __wasi_filesize_t pos;
    OK("tell", __wasi_fd_tell(fd, &pos));
    CHECK("tell is 11", pos == 11);
    OK("seek set 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    char a[5], b[100];
    memset(b, 0, sizeof b);
    __wasi_iovec_t r[2] = {{(uint8_t *)a, 5}, {(uint8_t *)b, sizeof b}};
    OK("read 2 iovecs", __wasi_fd_read(fd, r, 2, &n));
    CHECK("read 11", n == 11);
    CHECK("read content", memcmp(a, "hello", 5) == 0 && strcmp(b, " world") == 0);
    OK("read at eof", __wasi_fd_read(fd, r, 2, &n));
    CHECK("eof reads 0", n == 0);

    char p[16];
    memset(p, 0, sizeof p);
    __wasi_iovec_t pr = {(uint8_t *)p, 5};
    OK("pread at 6", __wasi_fd_pread(fd, &pr, 1, 6, &n));
    CHECK("pread content", n == 5 && memcmp(p, "world", 5) == 0);
    __wasi_ciovec_t pw = {(const uint8_t *)"HELLO", 5};
    OK("pwrite at 0", __wasi_fd_pwrite(fd, &pw, 1, 0, &n));
    CHECK("pwrite 5", n == 5);
    OK("tell after p-ops", __wasi_fd_tell(fd, &pos));
    CHECK("position unchanged by pread/pwrite", pos == 11);
    CHECK("pwrite landed", has_content(D, "f", "HELLO world"));
    __wasi_iovec_t pr2 = {(uint8_t *)p, sizeof p};
    OK("pread past end", __wasi_fd_pread(fd, &pr2, 1, 1000, &n));
    CHECK("pread past end reads 0", n == 0);

    EXPECT("seek before start", __wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos),
           __WASI_ERRNO_INVAL);
    EXPECT("seek bad whence", __wasi_fd_seek(fd, 0, 3, &pos), __WASI_ERRNO_INVAL);
    OK("seek end -5", __wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &pos));
    CHECK("seek end -5 is 6", pos == 6);
    OK("seek cur +2", __wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &pos));
    CHECK("seek cur is 8", pos == 8);
    OK("seek past end", __wasi_fd_seek(fd, 100, __WASI_WHENCE_SET, &pos));
    OK("write past end", write_all(fd, "x", 1));
    __wasi_filestat_t st;
    OK("filestat", __wasi_fd_filestat_get(fd, &st));
    CHECK("hole grows file to 101", st.size == 101);
    __wasi_ciovec_t empty = {(const uint8_t *)"", 0};
    OK("0-byte pwrite far away", __wasi_fd_pwrite(fd, &empty, 1, 5000, &n));
    OK("filestat again", __wasi_fd_filestat_get(fd, &st));
    CHECK("0-byte pwrite does not grow", n == 0 && st.size == 101);
    OK("close f", __wasi_fd_close(fd));

    /* rights: a write-only fd cannot read, a read-only one cannot write */
    OK("open write-only", op(D, "f", 0, 0, __WASI_RIGHTS_FD_WRITE, 0, &fd));
    EXPECT("read on write-only", __wasi_fd_read(fd, r, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("seek without FD_SEEK", __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &pos),
           __WASI_ERRNO_NOTCAPABLE);
    EXPECT("tell without FD_TELL", __wasi_fd_tell(fd, &pos), __WASI_ERRNO_NOTCAPABLE);
    OK("write on write-only", write_all(fd, "J", 1));
    OK("close", __wasi_fd_close(fd));
    CHECK("write-only wrote at 0", has_content(D, "f", "JELLO world"));
    OK("open read-only", op(D, "f", 0, 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    EXPECT("write on read-only", write_all(fd, "x", 1), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("pwrite on read-only", __wasi_fd_pwrite(fd, &pw, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    OK("close", __wasi_fd_close(fd));

    /* directories have no data */
    EXPECT("read on dir", __wasi_fd_read(D, r, 1, &n), __WASI_ERRNO_BADF);
    EXPECT("write on dir", __wasi_fd_write(D, w, 1, &n), __WASI_ERRNO_BADF);
    EXPECT("pread on dir", __wasi_fd_pread(D, r, 1, 0, &n), __WASI_ERRNO_BADF);
    EXPECT("seek on dir", __wasi_fd_seek(D, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_BADF);
    EXPECT("tell on dir", __wasi_fd_tell(D, &pos), __WASI_ERRNO_BADF);

    /* a large write and read in one call each */
    size_t big = 3 << 20;
    uint8_t *src = malloc(big), *dst = malloc(big);
    for (size_t i = 0; i < big; i++) src[i] = (uint8_t)(i * 7 + (i >> 11));
    OK("create big", op(D, "big", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &fd));
    __wasi_ciovec_t bw = {src, big};
    OK("write 3 MiB", __wasi_fd_write(fd, &bw, 1, &n));
    CHECK("wrote 3 MiB", n == big);
    OK("rewind", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    __wasi_iovec_t br = {dst, big};
    OK("read 3 MiB", __wasi_fd_read(fd, &br, 1, &n));
    CHECK("read back 3 MiB", n == big && memcmp(src, dst, big) == 0);
    OK("close big", __wasi_fd_close(fd));
    EXPECT("write to closed fd", write_all(fd, "x", 1), __WASI_ERRNO_BADF);
}

static void mode_append(void) {
    __wasi_fd_t fd;
    OK("open append", op(D, "a", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, __WASI_FDFLAGS_APPEND, &fd));
    __wasi_fdstat_t fst;
    OK("fdstat", __wasi_fd_fdstat_get(fd, &fst));
    CHECK("APPEND reported", fst.fs_flags == __WASI_FDFLAGS_APPEND);
    OK("write one", write_all(fd, "one", 3));
    __wasi_filesize_t pos;
    OK("seek 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    OK("write two", write_all(fd, "two", 3));
    OK("tell", __wasi_fd_tell(fd, &pos));
    CHECK("position at end after append", pos == 6);
    OK("seek 0 again", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    char buf[16];
    memset(buf, 0, sizeof buf);
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    size_t n;
    OK("read on append fd", __wasi_fd_read(fd, &iov, 1, &n));
    CHECK("read onetwo", n == 6 && strcmp(buf, "onetwo") == 0);
    __wasi_ciovec_t x = {(const uint8_t *)"X", 1};
    OK("pwrite at 0 on append fd", __wasi_fd_pwrite(fd, &x, 1, 0, &n));
    CHECK("pwrite appended (Linux/wasmtime)", has_content(D, "a", "onetwoX"));
    OK("clear APPEND", __wasi_fd_fdstat_set_flags(fd, 0));
    OK("seek 0 once more", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    OK("overwrite", write_all(fd, "ON", 2));
    CHECK("no longer appends", has_content(D, "a", "ONetwoX"));
    OK("set APPEND", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    OK("write Y", write_all(fd, "Y", 1));
    CHECK("appends again", has_content(D, "a", "ONetwoXY"));
    OK("close", __wasi_fd_close(fd));
}

static void mode_flags(void) {
    __wasi_fd_t fd;
    __wasi_fdstat_t st;
    int all = __WASI_FDFLAGS_DSYNC | __WASI_FDFLAGS_NONBLOCK | __WASI_FDFLAGS_RSYNC |
              __WASI_FDFLAGS_SYNC;
    OK("open with sync flags", op(D, "g", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, all, &fd));
    OK("fdstat", __wasi_fd_fdstat_get(fd, &st));
    CHECK("flags reported", st.fs_flags == all);
    CHECK("filetype regular", st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    OK("synced write", write_all(fd, "sync", 4));
    OK("set NONBLOCK only", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK));
    OK("fdstat", __wasi_fd_fdstat_get(fd, &st));
    CHECK("NONBLOCK reported", st.fs_flags == __WASI_FDFLAGS_NONBLOCK);
    EXPECT("unknown flag bit", __wasi_fd_fdstat_set_flags(fd, 0x20), __WASI_ERRNO_INVAL);
    EXPECT("set flags on a directory", __wasi_fd_fdstat_set_flags(D, 0), __WASI_ERRNO_BADF);
    OK("drop FD_FDSTAT_SET_FLAGS",
       __wasi_fd_fdstat_set_rights(fd, FILE_RW, 0));
    EXPECT("set flags without the right", __wasi_fd_fdstat_set_flags(fd, 0),
           __WASI_ERRNO_NOTCAPABLE);
    OK("close", __wasi_fd_close(fd));
    EXPECT("fdstat of closed fd", __wasi_fd_fdstat_get(fd, &st), __WASI_ERRNO_BADF);
}

static void mode_rights(void) {
    __wasi_fdstat_t st;
    OK("fdstat preopen", __wasi_fd_fdstat_get(D, &st));
    CHECK("preopen is a directory", st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    printf("preopen base %llx inheriting %llx\n", (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
    __wasi_fd_t fd;
    __wasi_rights_t want = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK;
    OK("open with chosen rights",
       __wasi_path_open(D, 0, "r", __WASI_OFLAGS_CREAT,
                        want | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_SOCK_ACCEPT,
                        __WASI_RIGHTS_FD_READ, 0, &fd));
    OK("fdstat file", __wasi_fd_fdstat_get(fd, &st));
    CHECK("file base = requested file rights", st.fs_rights_base == want);
    CHECK("file inheriting = requested", st.fs_rights_inheriting == __WASI_RIGHTS_FD_READ);
    OK("shrink: drop FD_WRITE", __wasi_fd_fdstat_set_rights(fd, want & ~__WASI_RIGHTS_FD_WRITE, 0));
    OK("fdstat", __wasi_fd_fdstat_get(fd, &st));
    CHECK("shrunk", st.fs_rights_base == (want & ~__WASI_RIGHTS_FD_WRITE) &&
                        st.fs_rights_inheriting == 0);
    EXPECT("write after shrink", write_all(fd, "x", 1), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("grow back", __wasi_fd_fdstat_set_rights(fd, want, 0), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("grow inheriting", __wasi_fd_fdstat_set_rights(fd, 0, __WASI_RIGHTS_FD_READ),
           __WASI_ERRNO_NOTCAPABLE);
    EXPECT("unknown right bit", __wasi_fd_fdstat_set_rights(fd, 1ULL << 40, 0),
           __WASI_ERRNO_INVAL);
    OK("close", __wasi_fd_close(fd));
    EXPECT("set rights on closed fd", __wasi_fd_fdstat_set_rights(fd, 0, 0), __WASI_ERRNO_BADF);

    /* a directory whose inheriting rights lack FD_WRITE hands out read-only files */
    OK("mkdir sub", __wasi_path_create_directory(D, "sub"));
    __wasi_fd_t sub;
    OK("open sub", __wasi_path_open(D, 0, "sub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS,
                                    ALL_RIGHTS, 0, &sub));
    OK("fdstat sub", __wasi_fd_fdstat_get(sub, &st));
    CHECK("sub has readdir", (st.fs_rights_base & __WASI_RIGHTS_FD_READDIR) != 0);
    CHECK("sub has no FD_SEEK", (st.fs_rights_base & __WASI_RIGHTS_FD_SEEK) == 0);
    __wasi_rights_t dirbase = st.fs_rights_base;
    OK("sub: no FD_WRITE to inherit",
       __wasi_fd_fdstat_set_rights(sub, dirbase, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE & st.fs_rights_inheriting));
    OK("create in sub", __wasi_path_open(sub, 0, "x", __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, 0, &fd));
    OK("fdstat x", __wasi_fd_fdstat_get(fd, &st));
    CHECK("x has no FD_WRITE", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) == 0);
    EXPECT("write x", write_all(fd, "x", 1), __WASI_ERRNO_NOTCAPABLE);
    OK("close x", __wasi_fd_close(fd));
    OK("sub: drop PATH_CREATE_FILE",
       __wasi_fd_fdstat_set_rights(sub, dirbase & ~__WASI_RIGHTS_PATH_CREATE_FILE, 0));
    EXPECT("create without PATH_CREATE_FILE",
           __wasi_path_open(sub, 0, "y", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd),
           __WASI_ERRNO_NOTCAPABLE);
    OK("open existing still allowed", __wasi_path_open(sub, 0, "x", 0, ALL_RIGHTS, 0, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    OK("sub: drop PATH_OPEN", __wasi_fd_fdstat_set_rights(sub, __WASI_RIGHTS_FD_READDIR, 0));
    EXPECT("open without PATH_OPEN", __wasi_path_open(sub, 0, "x", 0, 0, 0, 0, &fd),
           __WASI_ERRNO_NOTCAPABLE);
    EXPECT("mkdir without right", __wasi_path_create_directory(sub, "z"),
           __WASI_ERRNO_NOTCAPABLE);
    EXPECT("unlink without right", __wasi_path_unlink_file(sub, "x"), __WASI_ERRNO_NOTCAPABLE);
    __wasi_filestat_t fs;
    EXPECT("fd_filestat_get without right", __wasi_fd_filestat_get(sub, &fs),
           __WASI_ERRNO_NOTCAPABLE);
    OK("close sub", __wasi_fd_close(sub));
}

static void mode_meta(void) {
    __wasi_fd_t fd;
    OK("create m", op(D, "m", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &fd));
    OK("write", write_all(fd, "abcdef", 6));
    __wasi_filestat_t st, ps;
    OK("fd_filestat_get", __wasi_fd_filestat_get(fd, &st));
    int e;
    ps = lstat_(D, "m", &e);
    OK("path_filestat_get", e);
    CHECK("regular file, 6 bytes, 1 link", st.filetype == __WASI_FILETYPE_REGULAR_FILE &&
                                               st.size == 6 && st.nlink == 1);
    CHECK("same dev and ino by fd and by path", st.dev == ps.dev && st.ino == ps.ino && st.ino != 0);
    __wasi_timestamp_t now;
    OK("clock", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now));
    CHECK("mtim is recent (ns)", st.mtim > now - 600000000000ULL && st.mtim <= now + 600000000000ULL);
    CHECK("ctim is recent (ns)", st.ctim > now - 600000000000ULL);

    __wasi_filesize_t pos;
    OK("grow to 10", __wasi_fd_filestat_set_size(fd, 10));
    OK("stat", __wasi_fd_filestat_get(fd, &st));
    CHECK("size 10", st.size == 10);
    char buf[16];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    size_t n;
    OK("pread grown", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    CHECK("grown with zeros", n == 10 && memcmp(buf, "abcdef\0\0\0\0", 10) == 0);
    OK("shrink to 3", __wasi_fd_filestat_set_size(fd, 3));
    OK("tell", __wasi_fd_tell(fd, &pos));
    CHECK("position kept past the end", pos == 6);
    OK("stat", __wasi_fd_filestat_get(fd, &st));
    CHECK("size 3", st.size == 3);
    EXPECT("set_size on dir", __wasi_fd_filestat_set_size(D, 0), __WASI_ERRNO_BADF);

    __wasi_timestamp_t at = 1000000000ULL * 1000000, mt = 1000000000ULL * 2000000;
    OK("set atim and mtim",
       __wasi_fd_filestat_set_times(fd, at, mt, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    OK("stat", __wasi_fd_filestat_get(fd, &st));
    CHECK("times set", st.atim == at && st.mtim == mt);
    OK("set mtim only", __wasi_fd_filestat_set_times(fd, 0, mt + 1000000000ULL, __WASI_FSTFLAGS_MTIM));
    OK("stat", __wasi_fd_filestat_get(fd, &st));
    CHECK("atim untouched", st.atim == at && st.mtim == mt + 1000000000ULL);
    EXPECT("ATIM with ATIM_NOW",
           __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
           __WASI_ERRNO_INVAL);
    EXPECT("MTIM with MTIM_NOW",
           __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_INVAL);
    EXPECT("unknown fst bit", __wasi_fd_filestat_set_times(fd, 0, 0, 0x10), __WASI_ERRNO_INVAL);
    EXPECT("invalid flags checked before the fd",
           __wasi_fd_filestat_set_times(99, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
           __WASI_ERRNO_INVAL);
    OK("MTIM_NOW", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    OK("stat", __wasi_fd_filestat_get(fd, &st));
    OK("clock", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now));
    CHECK("mtim is now", st.mtim > now - 60000000000ULL && st.mtim <= now + 1000000000ULL);
    CHECK("atim still set", st.atim == at);

    OK("dir fd filestat", __wasi_fd_filestat_get(D, &st));
    CHECK("dir filetype", st.filetype == __WASI_FILETYPE_DIRECTORY);
    OK("dir fd set_times", __wasi_fd_filestat_set_times(D, 0, mt, __WASI_FSTFLAGS_MTIM));
    OK("dir fd filestat again", __wasi_fd_filestat_get(D, &st));
    CHECK("dir mtim set", st.mtim == mt);

    OK("drop set_size right", __wasi_fd_fdstat_set_rights(fd, FILE_RW, 0));
    EXPECT("set_size without right", __wasi_fd_filestat_set_size(fd, 0), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("set_times without right", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_NOTCAPABLE);
    OK("close", __wasi_fd_close(fd));
}

static void mode_misc(void) {
    __wasi_prestat_t ps;
    OK("prestat", __wasi_fd_prestat_get(D, &ps));
    CHECK("prestat dir /sandbox", ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8);
    uint8_t name[16];
    memset(name, 0, sizeof name);
    OK("prestat_dir_name", __wasi_fd_prestat_dir_name(D, name, 8));
    CHECK("name is /sandbox", memcmp(name, "/sandbox", 8) == 0 && name[8] == 0);
    EXPECT("prestat_dir_name too small", __wasi_fd_prestat_dir_name(D, name, 7),
           __WASI_ERRNO_NAMETOOLONG);
    EXPECT("prestat of a closed fd", __wasi_fd_prestat_get(99, &ps), __WASI_ERRNO_BADF);
    EXPECT("prestat_dir_name of a closed fd", __wasi_fd_prestat_dir_name(99, name, 16),
           __WASI_ERRNO_BADF);

    __wasi_fd_t a, b, sub;
    OK("open a", op(D, "a", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &a));
    OK("open b", op(D, "b", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &b));
    CHECK("fds are 4 and 5", a == 4 && b == 5);
    OK("mkdir sub", __wasi_path_create_directory(D, "sub"));
    OK("open sub", op(D, "sub", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &sub));
    EXPECT("prestat of a non-preopen dir", __wasi_fd_prestat_get(sub, &ps), __WASI_ERRNO_BADF);
    EXPECT("prestat_dir_name of a non-preopen dir", __wasi_fd_prestat_dir_name(sub, name, 16),
           __WASI_ERRNO_NOTDIR);
    OK("close sub", __wasi_fd_close(sub));
    OK("write A to a", write_all(a, "A", 1));
    OK("renumber a onto b", __wasi_fd_renumber(a, b));
    EXPECT("old number closed", __wasi_fd_close(a), __WASI_ERRNO_BADF);
    OK("write via b", write_all(b, "B", 1));
    CHECK("b now is file a", has_content(D, "a", "AB") && has_content(D, "b", ""));
    __wasi_filesize_t pos;
    OK("tell b", __wasi_fd_tell(b, &pos));
    CHECK("position travelled", pos == 2);
    /* as wasmtime: both numbers must be open, so a guest never picks a number itself */
    EXPECT("renumber onto an unused number", __wasi_fd_renumber(b, 50), __WASI_ERRNO_BADF);
    EXPECT("nothing at the unused number", __wasi_fd_tell(50, &pos), __WASI_ERRNO_BADF);
    OK("from is still open", __wasi_fd_tell(b, &pos));
    EXPECT("renumber from closed fd", __wasi_fd_renumber(77, b), __WASI_ERRNO_BADF);
    OK("to is still open", __wasi_fd_tell(b, &pos));
    EXPECT("renumber between closed fds", __wasi_fd_renumber(77, 78), __WASI_ERRNO_BADF);
    EXPECT("renumber a closed fd onto itself", __wasi_fd_renumber(77, 77), __WASI_ERRNO_BADF);
    OK("renumber onto itself", __wasi_fd_renumber(b, b));
    OK("still open after renumbering onto itself", __wasi_fd_tell(b, &pos));
    __wasi_fd_t c;
    OK("open c", op(D, "c", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &c));
    CHECK("freed numbers are reused (highest first)", c == 6);

    EXPECT("advise bad advice", __wasi_fd_advise(b, 0, 10, 6), __WASI_ERRNO_INVAL);
    OK("advise", __wasi_fd_advise(b, 0, 10, __WASI_ADVICE_SEQUENTIAL));
    OK("advise dontneed", __wasi_fd_advise(b, 0, 0, __WASI_ADVICE_DONTNEED));
    EXPECT("advise dir", __wasi_fd_advise(D, 0, 10, __WASI_ADVICE_NORMAL), __WASI_ERRNO_BADF);
    EXPECT("allocate file", __wasi_fd_allocate(b, 0, 100), __WASI_ERRNO_NOTSUP);
    EXPECT("allocate dir", __wasi_fd_allocate(D, 0, 100), __WASI_ERRNO_BADF);
    OK("sync", __wasi_fd_sync(b));
    OK("datasync", __wasi_fd_datasync(b));
    EXPECT("sync dir", __wasi_fd_sync(D), __WASI_ERRNO_BADF);
    EXPECT("sync closed", __wasi_fd_sync(99), __WASI_ERRNO_BADF);
    OK("drop sync rights", __wasi_fd_fdstat_set_rights(b, FILE_RW, 0));
    EXPECT("sync without FD_SYNC", __wasi_fd_sync(b), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("datasync without FD_DATASYNC", __wasi_fd_datasync(b), __WASI_ERRNO_NOTCAPABLE);
    EXPECT("advise without FD_ADVISE", __wasi_fd_advise(b, 0, 0, 0), __WASI_ERRNO_NOTCAPABLE);
    OK("close b", __wasi_fd_close(b));
    OK("close c", __wasi_fd_close(c));
    EXPECT("close twice", __wasi_fd_close(c), __WASI_ERRNO_BADF);
}

/* The program is given a second, unused preopen at fd 4 to close. */
static void mode_close_preopen(void) {
    __wasi_prestat_t ps;
    OK("prestat 4", __wasi_fd_prestat_get(4, &ps));
    OK("close preopen 4", __wasi_fd_close(4));
    EXPECT("prestat of closed preopen", __wasi_fd_prestat_get(4, &ps), __WASI_ERRNO_BADF);
    EXPECT("path_open on closed preopen", try_open(4, "x", 0, __WASI_OFLAGS_CREAT),
           __WASI_ERRNO_BADF);
    EXPECT("mkdir on closed preopen", __wasi_path_create_directory(4, "x"), __WASI_ERRNO_BADF);
    __wasi_fd_t fd;
    OK("open reuses 4", op(D, "f", 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, 0, &fd));
    CHECK("new fd is 4", fd == 4);
    EXPECT("path_open on a file fd", try_open(4, "x", 0, 0), __WASI_ERRNO_NOTDIR);
    EXPECT("mkdir on a file fd", __wasi_path_create_directory(4, "x"), __WASI_ERRNO_BADF);
    OK("close 3 too", __wasi_fd_close(D));
    EXPECT("3 is gone", try_open(D, "f", 0, 0), __WASI_ERRNO_BADF);
}

/* ---- fd_readdir ---- */

typedef struct {
    char name[64];
    uint64_t next, ino;
    int type;
} entry_t;

/* Parses whole entries out of buf[0..used); returns how many. */
static int parse(const uint8_t *buf, size_t used, entry_t *out, int max) {
    int k = 0;
    size_t off = 0;
    while (off + sizeof(__wasi_dirent_t) <= used && k < max) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        if (off + sizeof d + d.d_namlen > used) break;
        memset(out[k].name, 0, sizeof out[k].name);
        memcpy(out[k].name, buf + off + sizeof d, d.d_namlen < 63 ? d.d_namlen : 63);
        out[k].next = d.d_next;
        out[k].ino = d.d_ino;
        out[k].type = d.d_type;
        k++;
        off += sizeof d + d.d_namlen;
    }
    return k;
}

/* All entries of fd read with a buf_len-byte buffer, following cookies. */
static int read_all(__wasi_fd_t fd, size_t buf_len, entry_t *out, int max, int *err) {
    uint8_t buf[4096];
    __wasi_dircookie_t cookie = 0;
    int total = 0;
    for (int rounds = 0; rounds < 10000; rounds++) {
        size_t used;
        *err = __wasi_fd_readdir(fd, buf, buf_len, cookie, &used);
        if (*err) return total;
        int k = parse(buf, used, out + total, max - total);
        total += k;
        if (used < buf_len) return total;
        if (k == 0) { *err = __WASI_ERRNO_NOBUFS; return total; }
        cookie = out[total - 1].next;
    }
    return total;
}

static void mode_readdir(void) {
    static entry_t es[1100];
    int e;
    OK("mkdir e", __wasi_path_create_directory(D, "e"));
    __wasi_fd_t ed;
    OK("open e", op(D, "e", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &ed));
    int k = read_all(ed, 256, es, 1100, &e);
    OK("readdir empty", e);
    __wasi_filestat_t st;
    OK("stat e", __wasi_fd_filestat_get(ed, &st));
    CHECK("empty dir lists . and ..", k == 2 && strcmp(es[0].name, ".") == 0 &&
                                          strcmp(es[1].name, "..") == 0 &&
                                          es[0].type == __WASI_FILETYPE_DIRECTORY &&
                                          es[1].type == __WASI_FILETYPE_DIRECTORY);
    CHECK(". has the dir's inode", es[0].ino == st.ino);

    OK("mk b", mkfile(ed, "b", "b"));
    OK("mk a", mkfile(ed, "a", "a"));
    OK("mk c", mkfile(ed, "c", "c"));
    OK("mkdir z", __wasi_path_create_directory(ed, "z"));
    OK("symlink l", __wasi_path_symlink("a", ed, "l"));
    k = read_all(ed, 4096, es, 1100, &e);
    OK("readdir", e);
    CHECK("7 entries", k == 7);
    /* entries after . and .. come in the host's directory order (as in wasmtime) */
    const char *names[] = {"a", "b", "c", "l", "z"};
    int types[] = {4, 4, 4, 7, 3};
    int good = k == 7 && strcmp(es[0].name, ".") == 0 && strcmp(es[1].name, "..") == 0;
    for (int i = 0; good && i < 7; i++) good = es[i].next == (uint64_t)i + 1;
    for (int n = 0; good && n < 5; n++) {
        int found = 0;
        for (int i = 2; i < 7; i++)
            if (strcmp(es[i].name, names[n]) == 0) found += es[i].type == types[n] ? 1 : 100;
        good = found == 1;
    }
    CHECK("names (each once), types, cookies", good);
    static entry_t all[8];
    memcpy(all, es, sizeof all);
    int ia = -1;
    for (int i = 2; i < 7; i++) if (strcmp(es[i].name, "a") == 0) ia = i;
    __wasi_filestat_t sa = lstat_(ed, "a", &e);
    CHECK("a's d_ino is its inode", ia > 0 && es[ia].ino == sa.ino);

    uint8_t buf[64];
    size_t used;
    OK("readdir into 30 bytes", __wasi_fd_readdir(ed, buf, 30, 0, &used));
    CHECK("buffer filled exactly (last entry truncated)", used == 30);
    OK("readdir from cookie 5", __wasi_fd_readdir(ed, buf, sizeof buf, 5, &used));
    k = parse(buf, used, es, 10);
    CHECK("cookie 5 starts at the sixth entry", k == 2 && strcmp(es[0].name, all[5].name) == 0 &&
                                                    strcmp(es[1].name, all[6].name) == 0 && used == 50);
    OK("readdir past the end", __wasi_fd_readdir(ed, buf, sizeof buf, 100, &used));
    CHECK("nothing past the end", used == 0);
    OK("readdir into 0 bytes", __wasi_fd_readdir(ed, buf, 0, 0, &used));
    CHECK("0 bytes used", used == 0);

    /* cookies stay valid while the directory changes */
    OK("readdir first page", __wasi_fd_readdir(ed, buf, 60, 0, &used));
    k = parse(buf, used, es, 10);
    CHECK("page 1 has . and ..", k == 2);
    OK("add aa meanwhile", mkfile(ed, "aa", ""));
    OK("readdir page 2", __wasi_fd_readdir(ed, buf, sizeof buf, es[1].next, &used));
    k = parse(buf, used, es, 10);
    CHECK("page 2 continues the snapshot", k >= 2 && strcmp(es[0].name, all[2].name) == 0 &&
                                               strcmp(es[1].name, all[3].name) == 0);
    k = read_all(ed, 4096, es, 1100, &e);
    int seen_aa = 0;
    for (int i = 0; i < k; i++) seen_aa += strcmp(es[i].name, "aa") == 0;
    CHECK("a fresh listing (cookie 0) sees aa", k == 8 && seen_aa == 1);

    __wasi_fd_t f;
    OK("open a file", op(ed, "a", 0, 0, ALL_RIGHTS, 0, &f));
    EXPECT("readdir a file", __wasi_fd_readdir(f, buf, sizeof buf, 0, &used), __WASI_ERRNO_BADF);
    OK("close", __wasi_fd_close(f));
    EXPECT("readdir bad fd", __wasi_fd_readdir(99, buf, sizeof buf, 0, &used), __WASI_ERRNO_BADF);

    /* many entries through a small buffer */
    OK("mkdir many", __wasi_path_create_directory(D, "many"));
    __wasi_fd_t md;
    OK("open many", op(D, "many", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &md));
    char nm[32];
    int made = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(nm, sizeof nm, "file.%d", i);
        if (mkfile(md, nm, "") == 0) made++;
    }
    CHECK("made 1000 files", made == 1000);
    k = read_all(md, 256, es, 1100, &e);
    OK("readdir many", e);
    CHECK("1002 entries through 256-byte pages", k == 1002);
    OK("drop FD_READDIR", __wasi_fd_fdstat_set_rights(md, __WASI_RIGHTS_PATH_OPEN, 0));
    EXPECT("readdir without right", __wasi_fd_readdir(md, buf, sizeof buf, 0, &used),
           __WASI_ERRNO_NOTCAPABLE);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "stdio")) mode_stdio();
    else if (!strcmp(m, "rw")) mode_rw();
    else if (!strcmp(m, "append")) mode_append();
    else if (!strcmp(m, "flags")) mode_flags();
    else if (!strcmp(m, "rights")) mode_rights();
    else if (!strcmp(m, "meta")) mode_meta();
    else if (!strcmp(m, "misc")) mode_misc();
    else if (!strcmp(m, "readdir")) mode_readdir();
    else if (!strcmp(m, "close-preopen")) mode_close_preopen();
    else {
        printf("unknown mode %s\n", m);
        return 2;
    }
    return finish();
}
