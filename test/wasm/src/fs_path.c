/*
 * fs_path.c -- checks the path_* functions with raw WASI calls.
 *
 * Usage: fs_path MODE   with an empty scratch directory preopened as fd 3 ("/sandbox");
 *        mode "readonly" also wants fd 4 = a read-only preopen ("/ro") holding the
 *        file "f" (content "ro\n"), the directory "d" and the symlink "l" -> "f".
 * MODE: open | symlinks | dirs | links | rename | times | readonly | stamp A M | peek
 * Prints "ok LABEL" / "FAIL LABEL: ..." per check (see fs_util.h), exit 1 on failure.
 */
#include "fs_util.h"

#define D 3

/* path_open taking an explicit path length, to pass bytes C strings cannot hold. */
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                      int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                      int32_t fd_out)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("path_open")));

static int open_bytes(const char *bytes, size_t len) {
    __wasi_fd_t fd;
    int e = raw_path_open(D, 0, (int32_t)(intptr_t)bytes, (int32_t)len, 0,
                          (int64_t)ALL_RIGHTS, (int64_t)ALL_RIGHTS, 0,
                          (int32_t)(intptr_t)&fd);
    if (e == 0) (void)__wasi_fd_close(fd);
    return e;
}

static void mode_open(void) {
    __wasi_fd_t fd;
    EXPECT("open missing", try_open(D, "f", 0, 0), __WASI_ERRNO_NOENT);
    OK("creat", mkfile(D, "f", "abc"));
    EXPECT("creat|excl existing", try_open(D, "f", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL),
           __WASI_ERRNO_EXIST);
    OK("creat existing keeps content", try_open(D, "f", 0, __WASI_OFLAGS_CREAT));
    CHECK("content kept", has_content(D, "f", "abc"));
    OK("trunc", try_open(D, "f", 0, __WASI_OFLAGS_TRUNC));
    int e;
    __wasi_filestat_t st = lstat_(D, "f", &e);
    CHECK("truncated to 0", e == 0 && st.size == 0);
    OK("creat|excl new", try_open(D, "g", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL));
    CHECK("g exists", exists(D, "g"));
    EXPECT("missing parent", try_open(D, "nodir/x", 0, __WASI_OFLAGS_CREAT), __WASI_ERRNO_NOENT);
    EXPECT("file as a parent", try_open(D, "f/x", 0, __WASI_OFLAGS_CREAT), __WASI_ERRNO_NOTDIR);

    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    EXPECT("O_DIRECTORY on a file", try_open(D, "f", 0, __WASI_OFLAGS_DIRECTORY),
           __WASI_ERRNO_NOTDIR);
    EXPECT("O_DIRECTORY|O_CREAT", try_open(D, "d2", 0, __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT),
           __WASI_ERRNO_INVAL);
    EXPECT("O_DIRECTORY|O_EXCL", try_open(D, "d", 0, __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_EXCL),
           __WASI_ERRNO_INVAL);
    EXPECT("O_DIRECTORY|O_TRUNC", try_open(D, "d", 0, __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_TRUNC),
           __WASI_ERRNO_INVAL);
    OK("O_DIRECTORY on a dir", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
    __wasi_fdstat_t fst;
    OK("fdstat", __wasi_fd_fdstat_get(fd, &fst));
    CHECK("a directory fd", fst.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    OK("close", __wasi_fd_close(fd));
    OK("dir without O_DIRECTORY", op(D, "d", 0, 0, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    EXPECT("dir with FD_WRITE", op(D, "d", 0, 0, ALL_RIGHTS, 0, &fd), __WASI_ERRNO_ISDIR);
    EXPECT("dir with O_TRUNC", op(D, "d", 0, __WASI_OFLAGS_TRUNC, DIR_RIGHTS, 0, &fd),
           __WASI_ERRNO_ISDIR);
    EXPECT("dir with O_CREAT", op(D, "d", 0, __WASI_OFLAGS_CREAT, DIR_RIGHTS, 0, &fd),
           __WASI_ERRNO_ISDIR);
    EXPECT("dir with O_CREAT|O_EXCL",
           op(D, "d", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, DIR_RIGHTS, 0, &fd),
           __WASI_ERRNO_EXIST);
    OK("open . ", op(D, ".", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));

    /* trailing slashes */
    EXPECT("file/", try_open(D, "f/", 0, 0), __WASI_ERRNO_NOTDIR);
    EXPECT("file///", try_open(D, "f///", 0, 0), __WASI_ERRNO_NOTDIR);
    OK("dir/", op(D, "d/", 0, 0, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    OK("dir///", op(D, "d///", 0, 0, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    EXPECT("new/ with O_CREAT", try_open(D, "new/", 0, __WASI_OFLAGS_CREAT), __WASI_ERRNO_ISDIR);
    CHECK("new/ not created", !exists(D, "new"));

    /* escapes and odd paths */
    EXPECT("absolute path", try_open(D, "/f", 0, 0), __WASI_ERRNO_PERM);
    EXPECT("absolute /", try_open(D, "/", 0, 0), __WASI_ERRNO_PERM);
    EXPECT("..", try_open(D, "..", 0, 0), __WASI_ERRNO_PERM);
    EXPECT("../f", try_open(D, "../f", 0, 0), __WASI_ERRNO_PERM);
    EXPECT("d/../../f", try_open(D, "d/../../f", 0, 0), __WASI_ERRNO_PERM);
    EXPECT("../ even to create", try_open(D, "../x", 0, __WASI_OFLAGS_CREAT), __WASI_ERRNO_PERM);
    OK("d/./../f inside", try_open(D, "d/./../f", 0, 0));
    OK("d/.//..//./d/../f", try_open(D, "d/.//..//./d/../f", 0, 0));
    EXPECT("empty path", try_open(D, "", 0, 0), __WASI_ERRNO_NOENT);
    EXPECT("NUL inside", open_bytes("f\0x", 3), __WASI_ERRNO_INVAL);
    EXPECT("trailing NUL", open_bytes("f\0", 2), __WASI_ERRNO_INVAL);
    EXPECT("invalid UTF-8", open_bytes("f\xff", 2), __WASI_ERRNO_ILSEQ);
    OK("no NUL needed", open_bytes("fxyz", 1));

    /* a sub-directory fd is its own sandbox: ".." cannot climb above it */
    __wasi_fd_t sub;
    OK("open d", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &sub));
    EXPECT("../f from d's fd", try_open(sub, "../f", 0, 0), __WASI_ERRNO_PERM);
    OK("create in d", mkfile(sub, "inner", "in"));
    CHECK("visible from the preopen", has_content(D, "d/inner", "in"));
    OK("close d", __wasi_fd_close(sub));

    __wasi_fd_t file;
    OK("open a file", op(D, "f", 0, 0, ALL_RIGHTS, 0, &file));
    EXPECT("path_open with a file fd", try_open(file, "x", 0, 0), __WASI_ERRNO_NOTDIR);
    EXPECT("mkdir with a file fd", __wasi_path_create_directory(file, "x"), __WASI_ERRNO_BADF);
    OK("close", __wasi_fd_close(file));
    EXPECT("path_open with a closed fd", try_open(99, "f", 0, 0), __WASI_ERRNO_BADF);
    EXPECT("unknown oflags", __wasi_path_open(D, 0, "f", 0x10, 0, 0, 0, &fd), __WASI_ERRNO_INVAL);
    EXPECT("unknown lookupflags", __wasi_path_open(D, 2, "f", 0, 0, 0, 0, &fd), __WASI_ERRNO_INVAL);
}

/* f, d/, d/x, lf -> f, ld -> d */
static void mk_tree(void) {
    OK("mk f", mkfile(D, "f", "file f"));
    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    OK("mk d/x", mkfile(D, "d/x", "x in d"));
    OK("ln -s f lf", __wasi_path_symlink("f", D, "lf"));
    OK("ln -s d ld", __wasi_path_symlink("d", D, "ld"));
}

static void mode_symlinks(void) {
    __wasi_fd_t fd;
    mk_tree();
    EXPECT("nofollow on a symlink", try_open(D, "lf", 0, 0), __WASI_ERRNO_LOOP);
    EXPECT("nofollow O_DIRECTORY on a symlink", try_open(D, "ld", 0, __WASI_OFLAGS_DIRECTORY),
           __WASI_ERRNO_NOTDIR);
    EXPECT("nofollow O_CREAT on a symlink", try_open(D, "lf", 0, __WASI_OFLAGS_CREAT),
           __WASI_ERRNO_LOOP);
    EXPECT("nofollow O_CREAT|O_EXCL on a symlink",
           try_open(D, "lf", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL), __WASI_ERRNO_EXIST);
    CHECK("follow reads the target", has_content(D, "lf", "file f"));
    OK("follow O_DIRECTORY", op(D, "ld", 1, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    EXPECT("follow O_DIRECTORY to a file", try_open(D, "lf", 1, __WASI_OFLAGS_DIRECTORY),
           __WASI_ERRNO_NOTDIR);
    CHECK("intermediate symlinks are always followed", has_content(D, "ld/x", "x in d"));
    OK("ld/ with trailing slash follows", op(D, "ld/", 0, 0, DIR_RIGHTS, 0, &fd));
    OK("close", __wasi_fd_close(fd));
    CHECK("ld/../f is physical: back in the preopen", has_content(D, "ld/../f", "file f"));

    /* a symlink in d pointing up, relative to its own directory */
    OK("ln -s ../f d/up", __wasi_path_symlink("../f", D, "d/up"));
    CHECK("d/up reaches f", has_content(D, "d/up", "file f"));
    __wasi_fd_t dfd;
    OK("open d", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &dfd));
    EXPECT("but from d's own fd it escapes", try_open(dfd, "up", 1, 0), __WASI_ERRNO_PERM);
    OK("close d", __wasi_fd_close(dfd));

    /* dangling */
    OK("ln -s nothere dl", __wasi_path_symlink("nothere", D, "dl"));
    EXPECT("follow dangling", try_open(D, "dl", 1, 0), __WASI_ERRNO_NOENT);
    EXPECT("nofollow dangling", try_open(D, "dl", 0, 0), __WASI_ERRNO_LOOP);
    OK("follow dangling with O_CREAT creates the target", try_open(D, "dl", 1, __WASI_OFLAGS_CREAT));
    CHECK("nothere now exists", exists(D, "nothere"));
    int e;
    __wasi_filestat_t st = lstat_(D, "dl", &e);
    CHECK("dl still a symlink", e == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);

    /* loops */
    OK("ln -s loop loop", __wasi_path_symlink("loop", D, "loop"));
    EXPECT("follow a self loop", try_open(D, "loop", 1, 0), __WASI_ERRNO_LOOP);
    OK("ln -s b a", __wasi_path_symlink("lb", D, "la"));
    OK("ln -s a b", __wasi_path_symlink("la", D, "lb"));
    EXPECT("follow a 2-cycle", try_open(D, "la", 1, 0), __WASI_ERRNO_LOOP);
    EXPECT("a loop in the middle", try_open(D, "la/x", 0, 0), __WASI_ERRNO_LOOP);
    char a[16], b[16];
    for (int i = 1; i <= 40; i++) {
        snprintf(a, sizeof a, "s%d", i);
        if (i == 40) snprintf(b, sizeof b, "f");
        else snprintf(b, sizeof b, "s%d", i + 1);
        if (__wasi_path_symlink(b, D, a) != 0) printf("symlink %s failed\n", a);
    }
    CHECK("a chain of 40 symlinks resolves", has_content(D, "s1", "file f"));
    OK("ln -s s1 s0", __wasi_path_symlink("s1", D, "s0"));
    EXPECT("41 symlinks are too many", try_open(D, "s0", 1, 0), __WASI_ERRNO_LOOP);

    /* escapes through symlinks */
    OK("ln -s ../outside esc", __wasi_path_symlink("../outside", D, "esc"));
    EXPECT("follow ../outside", try_open(D, "esc", 1, 0), __WASI_ERRNO_PERM);
    EXPECT("create through ../outside", try_open(D, "esc", 1, __WASI_OFLAGS_CREAT),
           __WASI_ERRNO_PERM);
    OK("ln -s d/../../x esc2", __wasi_path_symlink("d/../../x", D, "esc2"));
    EXPECT("follow d/../../x", try_open(D, "esc2", 1, 0), __WASI_ERRNO_PERM);
    EXPECT("escape as intermediate", try_open(D, "esc/x", 0, __WASI_OFLAGS_CREAT),
           __WASI_ERRNO_PERM);
    EXPECT("absolute target refused at creation", __wasi_path_symlink("/etc/passwd", D, "abs"),
           __WASI_ERRNO_PERM);
    EXPECT("empty target", __wasi_path_symlink("", D, "empty"), __WASI_ERRNO_NOENT);
    __wasi_filestat_t fs;
    EXPECT("stat through escape", __wasi_path_filestat_get(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                                           "esc", &fs),
           __WASI_ERRNO_PERM);
    OK("lstat of the escaping link itself", __wasi_path_filestat_get(D, 0, "esc", &fs));
    CHECK("it is a symlink", fs.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);

    /* readlink */
    uint8_t buf[16];
    size_t n;
    memset(buf, 0, sizeof buf);
    OK("readlink lf", __wasi_path_readlink(D, "lf", buf, sizeof buf, &n));
    CHECK("lf -> f", n == 1 && buf[0] == 'f' && buf[1] == 0);
    OK("readlink esc", __wasi_path_readlink(D, "esc", buf, sizeof buf, &n));
    CHECK("esc -> ../outside", n == 10 && memcmp(buf, "../outside", 10) == 0);
    memset(buf, 0, sizeof buf);
    OK("readlink into 4 bytes", __wasi_path_readlink(D, "esc", buf, 4, &n));
    CHECK("silently truncated", n == 4 && memcmp(buf, "../o", 4) == 0 && buf[4] == 0);
    EXPECT("readlink a file", __wasi_path_readlink(D, "f", buf, sizeof buf, &n),
           __WASI_ERRNO_INVAL);
    EXPECT("readlink missing", __wasi_path_readlink(D, "nope", buf, sizeof buf, &n),
           __WASI_ERRNO_NOENT);
    OK("readlink through a dir symlink", __wasi_path_readlink(D, "ld/up", buf, sizeof buf, &n));
    EXPECT("readlink absolute", __wasi_path_readlink(D, "/lf", buf, sizeof buf, &n),
           __WASI_ERRNO_PERM);

    /* path_symlink trailing slashes (wasmtime's test) */
    EXPECT("symlink to new/", __wasi_path_symlink("source", D, "target/"), __WASI_ERRNO_NOENT);
    EXPECT("symlink over a dir", __wasi_path_symlink("source", D, "d"), __WASI_ERRNO_EXIST);
    EXPECT("symlink over a dir/", __wasi_path_symlink("source", D, "d/"), __WASI_ERRNO_EXIST);
    EXPECT("symlink over a file", __wasi_path_symlink("source", D, "f"), __WASI_ERRNO_EXIST);
    EXPECT("symlink over a file/", __wasi_path_symlink("source", D, "f/"), __WASI_ERRNO_NOTDIR);
    EXPECT("symlink over a symlink", __wasi_path_symlink("source", D, "lf"), __WASI_ERRNO_EXIST);
    EXPECT("symlink outside", __wasi_path_symlink("source", D, "../x"), __WASI_ERRNO_PERM);
}

static void mode_dirs(void) {
    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    EXPECT("mkdir d again", __wasi_path_create_directory(D, "d"), __WASI_ERRNO_EXIST);
    OK("mkdir d/e", __wasi_path_create_directory(D, "d/e"));
    EXPECT("mkdir missing parent", __wasi_path_create_directory(D, "x/y/z"), __WASI_ERRNO_NOENT);
    OK("mk f", mkfile(D, "f", ""));
    EXPECT("mkdir under a file", __wasi_path_create_directory(D, "f/x"), __WASI_ERRNO_NOTDIR);
    EXPECT("mkdir over a file", __wasi_path_create_directory(D, "f"), __WASI_ERRNO_EXIST);
    EXPECT("mkdir .", __wasi_path_create_directory(D, "."), __WASI_ERRNO_EXIST);
    EXPECT("mkdir /x", __wasi_path_create_directory(D, "/x"), __WASI_ERRNO_PERM);
    EXPECT("mkdir ../x", __wasi_path_create_directory(D, "../x"), __WASI_ERRNO_PERM);
    OK("mkdir t/ (trailing slash)", __wasi_path_create_directory(D, "t/"));
    OK("ln -s d ld", __wasi_path_symlink("d", D, "ld"));
    EXPECT("mkdir over a symlink", __wasi_path_create_directory(D, "ld"), __WASI_ERRNO_EXIST);
    OK("mkdir through a symlinked parent", __wasi_path_create_directory(D, "ld/g"));

    EXPECT("rmdir non-empty", __wasi_path_remove_directory(D, "d"), __WASI_ERRNO_NOTEMPTY);
    EXPECT("rmdir a file", __wasi_path_remove_directory(D, "f"), __WASI_ERRNO_NOTDIR);
    EXPECT("rmdir a file/", __wasi_path_remove_directory(D, "f/"), __WASI_ERRNO_NOTDIR);
    EXPECT("rmdir missing", __wasi_path_remove_directory(D, "nope"), __WASI_ERRNO_NOENT);
    EXPECT("rmdir a symlink to a dir", __wasi_path_remove_directory(D, "ld"), __WASI_ERRNO_NOTDIR);
    EXPECT("rmdir .", __wasi_path_remove_directory(D, "."), __WASI_ERRNO_INVAL);
    EXPECT("rmdir d/..", __wasi_path_remove_directory(D, "d/.."), __WASI_ERRNO_INVAL);
    EXPECT("rmdir ..", __wasi_path_remove_directory(D, ".."), __WASI_ERRNO_PERM);
    OK("rmdir d/e", __wasi_path_remove_directory(D, "d/e"));
    OK("rmdir d/g", __wasi_path_remove_directory(D, "d/g"));
    OK("rmdir t/", __wasi_path_remove_directory(D, "t/"));
    OK("rmdir d", __wasi_path_remove_directory(D, "d"));
    CHECK("d gone", !exists(D, "d"));

    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    EXPECT("unlink a dir", __wasi_path_unlink_file(D, "d"), __WASI_ERRNO_ISDIR);
    EXPECT("unlink a dir/", __wasi_path_unlink_file(D, "d/"), __WASI_ERRNO_ISDIR);
    EXPECT("unlink a file/", __wasi_path_unlink_file(D, "f/"), __WASI_ERRNO_NOTDIR);
    EXPECT("unlink missing", __wasi_path_unlink_file(D, "nope"), __WASI_ERRNO_NOENT);
    EXPECT("unlink .", __wasi_path_unlink_file(D, "."), __WASI_ERRNO_ISDIR);
    EXPECT("unlink outside", __wasi_path_unlink_file(D, "../f"), __WASI_ERRNO_PERM);
    OK("unlink the symlink", __wasi_path_unlink_file(D, "ld"));
    CHECK("its target stays", exists(D, "d"));
    OK("unlink f", __wasi_path_unlink_file(D, "f"));
    CHECK("f gone", !exists(D, "f"));
    OK("ln -s nothere dl", __wasi_path_symlink("nothere", D, "dl"));
    OK("unlink a dangling symlink", __wasi_path_unlink_file(D, "dl"));
}

static void mode_links(void) {
    OK("mk f", mkfile(D, "f", "shared"));
    OK("link f h", __wasi_path_link(D, 0, "f", D, "h"));
    int e;
    __wasi_filestat_t sf = lstat_(D, "f", &e), sh = lstat_(D, "h", &e);
    CHECK("same inode, 2 links", sf.ino == sh.ino && sf.nlink == 2 && sh.nlink == 2);
    CHECK("same content", has_content(D, "h", "shared"));
    EXPECT("link over existing", __wasi_path_link(D, 0, "f", D, "h"), __WASI_ERRNO_EXIST);
    EXPECT("link to itself", __wasi_path_link(D, 0, "f", D, "f"), __WASI_ERRNO_EXIST);
    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    EXPECT("link over a dir", __wasi_path_link(D, 0, "f", D, "d"), __WASI_ERRNO_EXIST);
    EXPECT("link a dir", __wasi_path_link(D, 0, "d", D, "dl"), __WASI_ERRNO_PERM);
    EXPECT("link to new/", __wasi_path_link(D, 0, "f", D, "new/"), __WASI_ERRNO_NOENT);
    EXPECT("link missing", __wasi_path_link(D, 0, "nope", D, "x"), __WASI_ERRNO_NOENT);
    EXPECT("link with SYMLINK_FOLLOW", __wasi_path_link(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "f", D, "x"),
           __WASI_ERRNO_INVAL);
    EXPECT("link outside (source)", __wasi_path_link(D, 0, "../f", D, "x"), __WASI_ERRNO_PERM);
    EXPECT("link outside (target)", __wasi_path_link(D, 0, "f", D, "../x"), __WASI_ERRNO_PERM);
    OK("link into d", __wasi_path_link(D, 0, "f", D, "d/f2"));
    sf = lstat_(D, "f", &e);
    CHECK("3 links", sf.nlink == 3);

    OK("ln -s nothere dangling", __wasi_path_symlink("nothere", D, "dangling"));
    OK("link a dangling symlink", __wasi_path_link(D, 0, "dangling", D, "dl2"));
    __wasi_filestat_t s = lstat_(D, "dl2", &e);
    CHECK("the link is the symlink itself", e == 0 && s.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    uint8_t buf[16];
    size_t n;
    OK("readlink dl2", __wasi_path_readlink(D, "dl2", buf, sizeof buf, &n));
    CHECK("dl2 -> nothere", n == 7 && memcmp(buf, "nothere", 7) == 0);
    OK("ln -s loop loop", __wasi_path_symlink("loop", D, "loop"));
    OK("link a symlink loop", __wasi_path_link(D, 0, "loop", D, "loop2"));
    EXPECT("link over a dangling symlink", __wasi_path_link(D, 0, "f", D, "dangling"),
           __WASI_ERRNO_EXIST);

    /* across directory fds */
    __wasi_fd_t dfd;
    OK("open d", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &dfd));
    OK("link from d's fd to the preopen", __wasi_path_link(dfd, 0, "f2", D, "f3"));
    CHECK("f3 content", has_content(D, "f3", "shared"));
    OK("close d", __wasi_fd_close(dfd));
    EXPECT("link with a bad fd", __wasi_path_link(99, 0, "f", D, "x"), __WASI_ERRNO_BADF);
}

static void mode_rename(void) {
    OK("mk a", mkfile(D, "a", "A"));
    OK("rename a b", __wasi_path_rename(D, "a", D, "b"));
    CHECK("a gone, b has A", !exists(D, "a") && has_content(D, "b", "A"));
    OK("mk c", mkfile(D, "c", "C"));
    OK("rename c over b", __wasi_path_rename(D, "c", D, "b"));
    CHECK("b replaced", !exists(D, "c") && has_content(D, "b", "C"));
    OK("mkdir d", __wasi_path_create_directory(D, "d"));
    OK("mkdir e", __wasi_path_create_directory(D, "e"));
    EXPECT("file over dir", __wasi_path_rename(D, "b", D, "d"), __WASI_ERRNO_ISDIR);
    EXPECT("dir over file", __wasi_path_rename(D, "d", D, "b"), __WASI_ERRNO_NOTDIR);
    OK("mk e/x", mkfile(D, "e/x", "x"));
    EXPECT("dir over non-empty dir", __wasi_path_rename(D, "d", D, "e"), __WASI_ERRNO_NOTEMPTY);
    OK("rmdir... no: unlink e/x", __wasi_path_unlink_file(D, "e/x"));
    OK("dir over empty dir", __wasi_path_rename(D, "d", D, "e"));
    CHECK("d gone, e there", !exists(D, "d") && exists(D, "e"));
    OK("mkdir e/sub", __wasi_path_create_directory(D, "e/sub"));
    EXPECT("dir into itself", __wasi_path_rename(D, "e", D, "e/sub/e"), __WASI_ERRNO_INVAL);
    OK("dir/ with trailing slashes", __wasi_path_rename(D, "e/", D, "d/"));
    OK("and back", __wasi_path_rename(D, "d", D, "e/"));
    EXPECT("file/ as source", __wasi_path_rename(D, "b/", D, "x"), __WASI_ERRNO_NOTDIR);
    EXPECT("file to new/", __wasi_path_rename(D, "b", D, "x/"), __WASI_ERRNO_NOTDIR);
    EXPECT("missing source", __wasi_path_rename(D, "nope", D, "x"), __WASI_ERRNO_NOENT);
    EXPECT("missing target dir", __wasi_path_rename(D, "b", D, "nope/x"), __WASI_ERRNO_NOENT);
    EXPECT("rename .", __wasi_path_rename(D, ".", D, "x"), __WASI_ERRNO_BUSY);
    EXPECT("rename out", __wasi_path_rename(D, "b", D, "../b"), __WASI_ERRNO_PERM);
    EXPECT("rename in", __wasi_path_rename(D, "../x", D, "x"), __WASI_ERRNO_PERM);
    OK("rename onto itself", __wasi_path_rename(D, "b", D, "b"));
    OK("link b b2", __wasi_path_link(D, 0, "b", D, "b2"));
    OK("rename onto a hard link of itself", __wasi_path_rename(D, "b", D, "b2"));
    CHECK("both names remain (rename(2))", exists(D, "b") && exists(D, "b2"));

    OK("ln -s b lb", __wasi_path_symlink("b", D, "lb"));
    OK("rename the symlink", __wasi_path_rename(D, "lb", D, "lb2"));
    uint8_t buf[8];
    size_t n;
    OK("readlink lb2", __wasi_path_readlink(D, "lb2", buf, sizeof buf, &n));
    CHECK("the link moved, not its target", n == 1 && buf[0] == 'b' && exists(D, "b"));
    OK("ln -s nothere dl", __wasi_path_symlink("nothere", D, "dl"));
    OK("rename a dangling symlink", __wasi_path_rename(D, "dl", D, "dl2"));

    __wasi_fd_t efd;
    OK("open e", op(D, "e", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &efd));
    OK("rename across fds", __wasi_path_rename(D, "b", efd, "moved"));
    CHECK("moved into e", has_content(D, "e/moved", "C") && !exists(D, "b"));
    OK("close e", __wasi_fd_close(efd));
    EXPECT("rename with a bad fd", __wasi_path_rename(D, "b2", 99, "x"), __WASI_ERRNO_BADF);
}

static void mode_times(void) {
    OK("mk f", mkfile(D, "f", "12345"));
    OK("ln -s f lf", __wasi_path_symlink("f", D, "lf"));
    __wasi_filestat_t st;
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("f: regular, 5 bytes, 1 link", st.filetype == __WASI_FILETYPE_REGULAR_FILE &&
                                             st.size == 5 && st.nlink == 1 && st.ino != 0);
    __wasi_filestat_t sl, slf;
    OK("lstat lf", __wasi_path_filestat_get(D, 0, "lf", &sl));
    CHECK("lf is a symlink of 1 byte", sl.filetype == __WASI_FILETYPE_SYMBOLIC_LINK && sl.size == 1);
    OK("stat lf following", __wasi_path_filestat_get(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "lf", &slf));
    CHECK("following gives f", slf.ino == st.ino && slf.filetype == __WASI_FILETYPE_REGULAR_FILE);
    OK("stat .", __wasi_path_filestat_get(D, 0, ".", &sl));
    CHECK(". is a directory", sl.filetype == __WASI_FILETYPE_DIRECTORY);
    EXPECT("stat missing", __wasi_path_filestat_get(D, 0, "nope", &sl), __WASI_ERRNO_NOENT);
    EXPECT("stat f/", __wasi_path_filestat_get(D, 0, "f/", &sl), __WASI_ERRNO_NOTDIR);
    EXPECT("stat ..", __wasi_path_filestat_get(D, 0, "..", &sl), __WASI_ERRNO_PERM);
    EXPECT("bad lookupflags", __wasi_path_filestat_get(D, 4, "f", &sl), __WASI_ERRNO_INVAL);

    __wasi_timestamp_t t1 = 1500000000ULL * 1000000000ULL, t2 = 1600000000ULL * 1000000000ULL;
    OK("set mtim of f", __wasi_path_filestat_set_times(D, 0, "f", 0, t1, __WASI_FSTFLAGS_MTIM));
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("mtim set", st.mtim == t1);
    OK("set atim of f", __wasi_path_filestat_set_times(D, 0, "f", t2, 0, __WASI_FSTFLAGS_ATIM));
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("atim set, mtim kept", st.atim == t2 && st.mtim == t1);
    EXPECT("ATIM with ATIM_NOW",
           __wasi_path_filestat_set_times(D, 0, "f", 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
           __WASI_ERRNO_INVAL);
    EXPECT("MTIM with MTIM_NOW",
           __wasi_path_filestat_set_times(D, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_INVAL);
    EXPECT("checked before the fd",
           __wasi_path_filestat_set_times(99, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_INVAL);
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("times untouched by the refused calls", st.atim == t2 && st.mtim == t1);

    OK("set the symlink's own mtim", __wasi_path_filestat_set_times(D, 0, "lf", 0, t2, __WASI_FSTFLAGS_MTIM));
    OK("lstat lf", __wasi_path_filestat_get(D, 0, "lf", &sl));
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("symlink changed, target not", sl.mtim == t2 && st.mtim == t1);
    OK("set through the symlink", __wasi_path_filestat_set_times(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "lf", 0, t2 + 1000000000ULL, __WASI_FSTFLAGS_MTIM));
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    CHECK("target changed", st.mtim == t2 + 1000000000ULL);
    OK("MTIM_NOW and ATIM_NOW", __wasi_path_filestat_set_times(D, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM_NOW | __WASI_FSTFLAGS_ATIM_NOW));
    OK("stat f", __wasi_path_filestat_get(D, 0, "f", &st));
    __wasi_timestamp_t now;
    OK("clock", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now));
    CHECK("now", st.mtim > now - 60000000000ULL && st.mtim <= now + 1000000000ULL &&
                     st.atim > now - 60000000000ULL);
    EXPECT("set times of missing", __wasi_path_filestat_set_times(D, 0, "nope", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_NOENT);
    EXPECT("set times outside", __wasi_path_filestat_set_times(D, 0, "../f", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_PERM);
}

/* Prints "got LABEL ATIM MTIM" as fd_filestat_get / path_filestat_get read them back. */
static void show_times(const char *label, int e, __wasi_filestat_t st) {
    if (e) printf("FAIL %s: errno %d\n", label, e);
    else printf("got %s %llu %llu\n", label, (unsigned long long)st.atim, (unsigned long long)st.mtim);
}

static void show_path(const char *label, int follow, const char *p) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(D, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, &st);
    show_times(label, e, st);
}

static void show_fd(const char *label, __wasi_fd_t fd) {
    __wasi_filestat_t st;
    int e = __wasi_fd_filestat_get(fd, &st);
    show_times(label, e, st);
}

#define BOTH (__WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM)

/* path_filestat_set_times(D, P) (following a final symlink when FOLLOW), then shows
   the times of SHOW (not following it) as LABEL. */
static void set_path(const char *label, int follow, const char *p, __wasi_timestamp_t at,
                     __wasi_timestamp_t mt, __wasi_fstflags_t flags, const char *show) {
    expect_errno(label, __wasi_path_filestat_set_times(
                            D, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, at, mt, flags), 0);
    show_path(label, 0, show);
}

/* fd_filestat_set_times(FD), then shows its times as LABEL. */
static void set_fd(const char *label, __wasi_fd_t fd, __wasi_timestamp_t at, __wasi_timestamp_t mt) {
    expect_errno(label, __wasi_fd_filestat_set_times(fd, at, mt, BOTH), 0);
    show_fd(label, fd);
}

/* Sets times through every call, on files, directories and symlinks, variant i with
   atim A + i*7919 and mtim M + i*104729, and prints what reads back (the test knows
   the expected precision). argv: stamp A M */
static void mode_stamp(__wasi_timestamp_t a0, __wasi_timestamp_t m0) {
#define AT(i) (a0 + (i) * 7919ULL)
#define MT(i) (m0 + (i) * 104729ULL)
    __wasi_fd_t fd;
    mk_tree();
    OK("ln -s x d/lx", __wasi_path_symlink("x", D, "d/lx"));

    OK("open f", op(D, "f", 0, 0, FILE_RW | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES, 0, &fd));
    set_fd("1-fd-file", fd, AT(1), MT(1));
    show_path("1-fd-file/path", 0, "f");
    OK("close f", __wasi_fd_close(fd));
    OK("open d", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
    set_fd("2-fd-dir", fd, AT(2), MT(2));
    show_path("2-fd-dir/path", 0, "d");
    OK("close d", __wasi_fd_close(fd));

    set_path("3-path-file", 0, "f", AT(3), MT(3), BOTH, "f");
    set_path("4-path-dir", 0, "d", AT(4), MT(4), BOTH, "d");
    set_path("5-path-symlink", 0, "lf", AT(5), MT(5), BOTH, "lf");
    show_path("5-path-symlink/target", 0, "f"); /* still variant 3's */
    set_path("6-follow-file", 1, "lf", AT(6), MT(6), BOTH, "f");
    show_path("6-follow-file/via-link", 1, "lf");
    show_path("6-follow-file/link", 0, "lf"); /* still variant 5's */
    set_path("7-follow-dir", 1, "ld", AT(7), MT(7), BOTH, "d");
    set_path("8-nested-file", 0, "d/x", AT(8), MT(8), BOTH, "d/x");
    set_path("9-nested-symlink", 0, "d/lx", AT(9), MT(9), BOTH, "d/lx");
    show_path("9-nested-symlink/target", 0, "d/x"); /* still variant 8's */
    set_fd("10-preopen", D, AT(10), MT(10));
    set_path("11-dot", 0, ".", AT(11), MT(11), BOTH, ".");
    set_path("12-mtim-only", 0, "f", 0, MT(12), __WASI_FSTFLAGS_MTIM, "f"); /* atim: variant 6's */
    /* the intermediate symlink is followed, the final one not: mtim still variant 9's */
    set_path("13-atim-only", 0, "ld/lx", AT(13), 0, __WASI_FSTFLAGS_ATIM, "d/lx");
#undef AT
#undef MT
}

/* Prints the times of f, d and the symlink l (made by the host) as path_filestat_get
   and fd_filestat_get read them. */
static void mode_peek(void) {
    __wasi_fd_t fd;
    show_path("path-f", 0, "f");
    show_path("path-d", 0, "d");
    show_path("path-l", 0, "l");
    OK("open f", op(D, "f", 0, 0, __WASI_RIGHTS_FD_FILESTAT_GET, 0, &fd));
    show_fd("fd-f", fd);
    OK("close f", __wasi_fd_close(fd));
    OK("open d", op(D, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
    show_fd("fd-d", fd);
    OK("close d", __wasi_fd_close(fd));
}

/* fd 3 = /sandbox (writable, empty), fd 4 = /ro (read-only: f, d/, l -> f) */
static void mode_readonly(void) {
    const __wasi_fd_t R = 4;
    __wasi_fd_t fd;
    __wasi_fdstat_t fst, fst3;
    OK("fdstat ro", __wasi_fd_fdstat_get(R, &fst));
    OK("fdstat rw", __wasi_fd_fdstat_get(D, &fst3));
    CHECK("same rights advertised", fst.fs_rights_base == fst3.fs_rights_base);
    CHECK("reading works", has_content(R, "f", "ro\n") && has_content(R, "l", "ro\n"));
    __wasi_filestat_t st;
    OK("stat works", __wasi_path_filestat_get(R, 0, "f", &st));
    uint8_t buf[256];
    size_t n;
    OK("readdir works", __wasi_fd_readdir(R, buf, sizeof buf, 0, &n));
    OK("readlink works", __wasi_path_readlink(R, "l", buf, sizeof buf, &n));
    EXPECT("open for writing", op(R, "f", 0, 0, ALL_RIGHTS, 0, &fd), __WASI_ERRNO_ROFS);
    EXPECT("O_CREAT", op(R, "new", 0, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, &fd),
           __WASI_ERRNO_ROFS);
    EXPECT("O_TRUNC", op(R, "f", 0, __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0, &fd),
           __WASI_ERRNO_ROFS);
    EXPECT("mkdir", __wasi_path_create_directory(R, "x"), __WASI_ERRNO_ROFS);
    EXPECT("rmdir", __wasi_path_remove_directory(R, "d"), __WASI_ERRNO_ROFS);
    EXPECT("unlink", __wasi_path_unlink_file(R, "f"), __WASI_ERRNO_ROFS);
    EXPECT("rename within", __wasi_path_rename(R, "f", R, "g"), __WASI_ERRNO_ROFS);
    EXPECT("rename out of it", __wasi_path_rename(R, "f", D, "g"), __WASI_ERRNO_ROFS);
    OK("mk w", mkfile(D, "w", "w"));
    EXPECT("rename into it", __wasi_path_rename(D, "w", R, "w"), __WASI_ERRNO_ROFS);
    EXPECT("link within", __wasi_path_link(R, 0, "f", R, "g"), __WASI_ERRNO_ROFS);
    EXPECT("link out of it", __wasi_path_link(R, 0, "f", D, "g"), __WASI_ERRNO_ROFS);
    EXPECT("symlink", __wasi_path_symlink("f", R, "s"), __WASI_ERRNO_ROFS);
    EXPECT("path set_times", __wasi_path_filestat_set_times(R, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_ROFS);
    EXPECT("dir fd set_times", __wasi_fd_filestat_set_times(R, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_ROFS);
    OK("open read-only with every other right",
       op(R, "f", 0, 0, ALL_RIGHTS & ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE, 0, &fd));
    EXPECT("fd set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           __WASI_ERRNO_ROFS);
    EXPECT("fd set_size", __wasi_fd_filestat_set_size(fd, 0), __WASI_ERRNO_ROFS);
    EXPECT("fd write", write_all(fd, "x", 1), __WASI_ERRNO_NOTCAPABLE);
    OK("close", __wasi_fd_close(fd));
    __wasi_fd_t dfd;
    OK("open ro/d", op(R, "d", 0, __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &dfd));
    EXPECT("create in ro/d", op(dfd, "x", 0, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, &fd),
           __WASI_ERRNO_ROFS);
    EXPECT("mkdir in ro/d", __wasi_path_create_directory(dfd, "x"), __WASI_ERRNO_ROFS);
    OK("close", __wasi_fd_close(dfd));
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "open")) mode_open();
    else if (!strcmp(m, "symlinks")) mode_symlinks();
    else if (!strcmp(m, "dirs")) mode_dirs();
    else if (!strcmp(m, "links")) mode_links();
    else if (!strcmp(m, "rename")) mode_rename();
    else if (!strcmp(m, "times")) mode_times();
    else if (!strcmp(m, "readonly")) mode_readonly();
    else if (!strcmp(m, "peek")) mode_peek();
    else if (!strcmp(m, "stamp") && argc > 3)
        mode_stamp(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
    else {
        printf("unknown mode %s\n", m);
        return 2;
    }
    return finish();
}
