package cljwasi.wasi;

import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.fs.DirectoryDescriptor;
import cljwasi.wasi.fs.HostDir;
import cljwasi.wasi.fs.HostStat;
import cljwasi.wasi.fs.PathOps;
import cljwasi.wasi.fs.PathResolver.Resolved;
import cljwasi.wasi.fs.PathResolver;
import cljwasi.wasi.fs.RegularFileDescriptor;
import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The path_* functions. Every guest path goes through {@link PathResolver} (the sandbox:
 * nothing beneath a directory fd can reach above it). Errnos follow wasmtime: escapes
 * and absolute paths EPERM, a NUL in a path EINVAL, a path that is not UTF-8 EILSEQ, a
 * non-directory fd EBADF (ENOTDIR for a file given to path_open). Beneath a read-only
 * preopen every mutation fails with EROFS before the host is touched (wasmtime says
 * EPERM; EROFS is what a program would see on a read-only mount, so it is ours).
 */
final class PathFunctions {
  private PathFunctions() {}

  static void register(WasiHost.Registry r) {
    // path_create_directory(fd, path, path_len)
    // reads: the path. errnos: success, badf, notcapable (no PATH_CREATE_DIRECTORY),
    // exist, noent, notdir, perm (escape), rofs, inval, ilseq, loop, io (the preopen's
    // host directory was replaced; see docs/WASI.md, "The filesystem sandbox").
    r.fn("path_create_directory", "fd path path_len", (ctx, mem, a) -> {
      try (Resolved res = changing(ctx, mem, a[0], a[1], a[2], Rights.PATH_CREATE_DIRECTORY)) {
        if (res.exists()) return Errno.EXIST;
        PathOps.mkdir(res);
        return Errno.SUCCESS;
      }
    });

    // path_filestat_get(fd, flags, path, path_len, buf)
    // reads: the path; writes: filestat (64 bytes) at buf. flags: SYMLINK_FOLLOW.
    // errnos: success, badf, notcapable (no PATH_FILESTAT_GET), noent, notdir, perm,
    // loop, inval, ilseq, fault.
    r.fn("path_filestat_get", "fd flags path path_len buf", (ctx, mem, a) -> {
      DirectoryDescriptor dir = dir(ctx, a[0]);
      boolean follow = lookup(a[1]);
      dir.require(Rights.PATH_FILESTAT_GET);
      try (Resolved res = PathResolver.resolve(dir, string(mem, a[2], a[3]), follow)) {
        if (!res.exists()) return Errno.NOENT;
        HostStat.of(res.dir, res.name).write(mem, (int) a[4]);
        return Errno.SUCCESS;
      }
    });

    // path_filestat_set_times(fd, flags, path, path_len, atim:u64, mtim:u64, fst_flags)
    // reads: the path. Without SYMLINK_FOLLOW a final symlink's own times change.
    // errnos: success, inval (ATIM with ATIM_NOW etc., checked first), badf,
    // notcapable (no PATH_FILESTAT_SET_TIMES), noent, notdir, perm, loop, rofs, io (a
    // symlink or special file that changed under the call).
    r.fn("path_filestat_set_times", "fd flags path path_len atim:i64 mtim:i64 fst_flags",
        (ctx, mem, a) -> {
          var times = Filestat.newTimes(a[4], a[5], (int) a[6], ctx.clock().realtimeNanos());
          DirectoryDescriptor dir = dir(ctx, a[0]);
          boolean follow = lookup(a[1]);
          dir.require(Rights.PATH_FILESTAT_SET_TIMES);
          String path = string(mem, a[2], a[3]);
          dir.requireWritable();
          try (Resolved res = PathResolver.resolve(dir, path, follow)) {
            if (!res.exists()) return Errno.NOENT;
            PathOps.setTimes(res, times);
            return Errno.SUCCESS;
          }
        });

    // path_link(old_fd, old_flags, old_path, old_path_len, new_fd, new_path, new_path_len)
    // reads: both paths. Links the old entry itself (a symlink, even a dangling one, is
    // linked, not its target). errnos: success, badf, notcapable (PATH_LINK_SOURCE /
    // PATH_LINK_TARGET), rofs, inval (SYMLINK_FOLLOW: wasmtime refuses it), noent
    // (missing source, or a new path ending in "/"), exist, perm (source is a
    // directory, or an escape, or the source path led to another file than the one
    // seen through its directory handle), notdir, loop, xdev, io.
    r.fn("path_link", "old_fd old_flags old_path old_path_len new_fd new_path new_path_len",
        (ctx, mem, a) -> {
          DirectoryDescriptor src = dir(ctx, a[0]);
          DirectoryDescriptor dst = dir(ctx, a[4]);
          boolean follow = lookup(a[1]);
          Between p = Between.check(mem, src, Rights.PATH_LINK_SOURCE, a[2], a[3],
              dst, Rights.PATH_LINK_TARGET, a[5], a[6]);
          if (follow) return Errno.INVAL;
          try (Resolved rs = PathResolver.resolve(src, p.from(), false)) {
            if (rs.name == null) return Errno.PERM;
            if (!rs.exists()) return Errno.NOENT;
            if (rs.isDirectory()) return Errno.PERM;
            try (Resolved rd = PathResolver.resolve(dst, p.to(), false)) {
              if (rd.exists()) return Errno.EXIST;
              if (rd.trailingSlash) return Errno.NOENT;
              PathOps.link(rs, rd);
              return Errno.SUCCESS;
            }
          }
        });

    // path_open(fd, dirflags, path, path_len, oflags, fs_rights_base:u64,
    //           fs_rights_inheriting:u64, fdflags, fd_ptr)
    // reads: the path; writes: u32 new fd at fd_ptr. The new fd's rights are the
    // requested ones intersected with fd's inheriting rights (and what suits a file or
    // a directory). dirflags SYMLINK_FOLLOW follows a final symlink; without it a final
    // symlink gives ELOOP (ENOTDIR with O_DIRECTORY). oflags CREAT, EXCL, TRUNC,
    // DIRECTORY; fdflags APPEND, DSYNC, NONBLOCK, RSYNC, SYNC are kept on the fd.
    // errnos: success, badf, notdir (fd is a file, or O_DIRECTORY on a non-directory, or
    // "file/"), notcapable (PATH_OPEN, PATH_CREATE_FILE, PATH_FILESTAT_SET_SIZE for
    // TRUNC), inval (DIRECTORY with CREAT/EXCL/TRUNC, unknown flag bits, NUL), noent,
    // exist (CREAT|EXCL), isdir (a directory opened for writing, truncated or created),
    // loop, perm (absolute path or escape), rofs, ilseq, mfile, fault.
    r.fn("path_open",
        "fd dirflags path path_len oflags fs_rights_base:i64 fs_rights_inheriting:i64 fdflags fd_ptr",
        (ctx, mem, a) -> {
          Descriptor d = ctx.fds.get((int) a[0]);
          if (!(d instanceof DirectoryDescriptor)) {
            return d instanceof RegularFileDescriptor ? Errno.NOTDIR : Errno.BADF;
          }
          DirectoryDescriptor dir = (DirectoryDescriptor) d;
          boolean follow = lookup(a[1]);
          int oflags = (int) a[4];
          int fdflags = (int) a[7];
          if ((oflags & ~0xf) != 0 || (fdflags & ~0x1f) != 0) return Errno.INVAL;
          if ((a[5] & ~Rights.ALL) != 0 || (a[6] & ~Rights.ALL) != 0) return Errno.INVAL;
          boolean creat = (oflags & Rights.O_CREAT) != 0;
          boolean excl = (oflags & Rights.O_EXCL) != 0;
          boolean trunc = (oflags & Rights.O_TRUNC) != 0;
          boolean directory = (oflags & Rights.O_DIRECTORY) != 0;
          dir.require(Rights.PATH_OPEN);
          if (creat) dir.require(Rights.PATH_CREATE_FILE);
          if (trunc) dir.require(Rights.PATH_FILESTAT_SET_SIZE);
          String path = string(mem, a[2], a[3]);
          long base = a[5] & dir.rightsInheriting();
          long inheriting = a[6] & dir.rightsInheriting();
          boolean write = (base & Rights.FD_WRITE) != 0;
          boolean read = (base & Rights.FD_READ) != 0;
          if (dir.readOnly && (creat || trunc || write)) return Errno.ROFS;
          if (directory && (creat || excl || trunc)) return Errno.INVAL;
          Descriptor opened;
          try (Resolved res = PathResolver.resolve(dir, path, follow)) {
            if (!res.exists()) {
              if (!creat) return Errno.NOENT;
              if (res.trailingSlash) return Errno.ISDIR; // open("new/", O_CREAT), as Linux
              opened = RegularFileDescriptor.open(res.dir, res.name, read, write, true, excl, trunc,
                  false, base & Rights.FILE, inheriting, fdflags);
            } else if (res.isSymlink()) {
              if (creat && excl) return Errno.EXIST;
              return directory ? Errno.NOTDIR : Errno.LOOP;
            } else if (res.isDirectory()) {
              if (creat && excl) return Errno.EXIST;
              if (creat || trunc || write) return Errno.ISDIR;
              // a handle of its own (openat O_NOFOLLOW), or the same one for "." and ".."
              HostDir h = res.name == null ? res.dir.retain() : res.dir.openDir(res.name);
              opened = dir.child(h, base & Rights.DIRECTORY, inheriting);
            } else {
              if (creat && excl) return Errno.EXIST;
              if (directory) return Errno.NOTDIR;
              opened = RegularFileDescriptor.open(res.dir, res.name, read, write, false, false, trunc,
                  dir.readOnly, base & Rights.FILE, inheriting, fdflags);
            }
          }
          int fd = ctx.fds.addOrClose(opened);
          try {
            mem.writeI32((int) a[8], fd);
          } catch (RuntimeException e) { // a bad fd_ptr: do not leak the new fd
            ctx.fds.remove(fd).close();
            throw e;
          }
          return Errno.SUCCESS;
        });

    // path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)
    // reads: the path; writes: the link's target (no NUL), silently truncated to buf_len
    // as wasmtime does, and u32 bufused. errnos: success, badf, notcapable
    // (PATH_READLINK), noent, inval (not a symlink), notdir, perm, loop, fault, io (the
    // link could not be read by a path proven to name it).
    r.fn("path_readlink", "fd path path_len buf buf_len bufused_ptr", (ctx, mem, a) -> {
      DirectoryDescriptor dir = dir(ctx, a[0]);
      dir.require(Rights.PATH_READLINK);
      byte[] target;
      try (Resolved res = PathResolver.resolve(dir, string(mem, a[1], a[2]), false)) {
        if (res.name == null) return Errno.INVAL;
        if (!res.exists()) return Errno.NOENT;
        if (!res.isSymlink()) return Errno.INVAL;
        target = PathOps.readlink(res).getBytes(StandardCharsets.UTF_8);
      }
      int n = (int) Math.min(target.length, Integer.toUnsignedLong((int) a[4]));
      mem.write((int) a[3], target, 0, n);
      mem.writeI32((int) a[5], n);
      return Errno.SUCCESS;
    });

    // path_remove_directory(fd, path, path_len)
    // reads: the path. errnos: success, badf, notcapable (PATH_REMOVE_DIRECTORY), noent,
    // notdir (a file or a symlink), notempty, inval ("." or ".."), perm, rofs, busy.
    r.fn("path_remove_directory", "fd path path_len", (ctx, mem, a) -> {
      try (Resolved res = changing(ctx, mem, a[0], a[1], a[2], Rights.PATH_REMOVE_DIRECTORY)) {
        if (res.name == null) return Errno.INVAL;
        if (!res.exists()) return Errno.NOENT;
        if (!res.isDirectory()) return Errno.NOTDIR;
        res.dir.deleteDirectory(res.name); // unlinkat(AT_REMOVEDIR)
        return Errno.SUCCESS;
      }
    });

    // path_rename(fd, old_path, old_path_len, new_fd, new_path, new_path_len)
    // reads: both paths. rename(2) semantics: replaces an existing file, or an empty
    // directory when moving a directory; a final symlink is renamed itself.
    // errnos: success, badf, notcapable (PATH_RENAME_SOURCE / PATH_RENAME_TARGET),
    // noent, notdir (directory over a file, "file/"), isdir (file over a directory),
    // notempty, inval (a directory into itself), busy ("." or ".."), perm, rofs, xdev.
    r.fn("path_rename", "fd old_path old_path_len new_fd new_path new_path_len",
        (ctx, mem, a) -> {
          DirectoryDescriptor src = dir(ctx, a[0]);
          DirectoryDescriptor dst = dir(ctx, a[3]);
          Between p = Between.check(mem, src, Rights.PATH_RENAME_SOURCE, a[1], a[2],
              dst, Rights.PATH_RENAME_TARGET, a[4], a[5]);
          try (Resolved rs = PathResolver.resolve(src, p.from(), false)) {
            if (rs.name == null) return Errno.BUSY;
            if (!rs.exists()) return Errno.NOENT;
            try (Resolved rd = PathResolver.resolve(dst, p.to(), false)) {
              if (rd.name == null) return Errno.BUSY;
              boolean srcDir = rs.isDirectory();
              if (!srcDir && rd.trailingSlash) return Errno.NOTDIR;
              Path sp = rs.path(), dp = rd.path();
              if (rd.exists()) {
                Object sk = rs.attrs.fileKey(), dk = rd.attrs.fileKey();
                if (sk != null && sk.equals(dk)) return Errno.SUCCESS; // same file: no-op
                if (srcDir && !rd.isDirectory()) return Errno.NOTDIR;
                if (!srcDir && rd.isDirectory()) return Errno.ISDIR;
                if (srcDir && !PathOps.isEmptyDirectory(rd.dir, rd.name)) return Errno.NOTEMPTY;
              }
              if (srcDir && !dp.equals(sp) && dp.startsWith(sp)) return Errno.INVAL;
              rs.dir.move(rs.name, rd.dir, rd.name); // renameat between the two handles
              if (srcDir) PathOps.moved(rs, rd);
              return Errno.SUCCESS;
            }
          }
        });

    // path_symlink(old_path, old_path_len, fd, new_path, new_path_len)
    // reads: both paths. Creates new_path holding old_path verbatim; a relative target
    // may point anywhere (it is checked when followed), an absolute one is refused.
    // errnos: success, badf, notcapable (PATH_SYMLINK), perm (absolute target, escape),
    // inval (NUL), exist, noent (missing parent, or "new/" that does not exist),
    // notdir ("file/"), rofs, loop, io.
    r.fn("path_symlink", "old_path old_path_len fd new_path new_path_len", (ctx, mem, a) -> {
      DirectoryDescriptor dir = dir(ctx, a[2]);
      dir.require(Rights.PATH_SYMLINK);
      String target = string(mem, a[0], a[1]);
      String path = string(mem, a[3], a[4]);
      dir.requireWritable();
      PathResolver.checkSymlinkTarget(target);
      try (Resolved res = PathResolver.resolve(dir, path, false)) {
        if (res.exists()) return Errno.EXIST;
        if (res.trailingSlash) return Errno.NOENT;
        PathOps.symlink(res, target);
        return Errno.SUCCESS;
      }
    });

    // path_unlink_file(fd, path, path_len)
    // reads: the path. Removes a file or a symlink (never its target).
    // errnos: success, badf, notcapable (PATH_UNLINK_FILE), noent, isdir, notdir
    // ("file/"), perm, rofs, loop.
    r.fn("path_unlink_file", "fd path path_len", (ctx, mem, a) -> {
      try (Resolved res = changing(ctx, mem, a[0], a[1], a[2], Rights.PATH_UNLINK_FILE)) {
        if (res.name == null) return Errno.ISDIR;
        if (!res.exists()) return Errno.NOENT;
        if (res.isDirectory()) return Errno.ISDIR;
        res.dir.deleteFile(res.name); // unlinkat
        return Errno.SUCCESS;
      }
    });
  }

  /**
   * The path at ptr/len beneath the directory at fd, for a call that changes that
   * directory: resolved without following a final symlink after the checks, in this
   * order: EBADF, ENOTCAPABLE without {@code right}, the path's own errors (EFAULT,
   * EILSEQ), EROFS beneath a read-only preopen.
   */
  private static Resolved changing(WasiContext ctx, Memory mem, long fd, long ptr, long len,
      long right) throws IOException {
    DirectoryDescriptor dir = dir(ctx, fd);
    dir.require(right);
    String path = string(mem, ptr, len);
    dir.requireWritable();
    return PathResolver.resolve(dir, path, false);
  }

  /**
   * The two paths of a call from one directory to another (path_link, path_rename),
   * read after checking each directory's right (ENOTCAPABLE) and before checking that
   * each is writable (EROFS), as the one-directory calls order them.
   */
  private record Between(String from, String to) {
    static Between check(Memory mem, DirectoryDescriptor src, long srcRight, long fromPtr,
        long fromLen, DirectoryDescriptor dst, long dstRight, long toPtr, long toLen) {
      src.require(srcRight);
      dst.require(dstRight);
      Between b = new Between(string(mem, fromPtr, fromLen), string(mem, toPtr, toLen));
      src.requireWritable();
      dst.requireWritable();
      return b;
    }
  }

  /** The directory at fd, else EBADF. */
  private static DirectoryDescriptor dir(WasiContext ctx, long fd) {
    return ctx.fds.get((int) fd, DirectoryDescriptor.class, Errno.BADF);
  }

  /** lookupflags: SYMLINK_FOLLOW or not; EINVAL for unknown bits. */
  private static boolean lookup(long flags) {
    if ((flags & ~1L) != 0) throw new WasiException(Errno.INVAL);
    return flags != 0;
  }

  /** A guest path: path_len bytes at ptr, strict UTF-8 (EILSEQ otherwise). */
  static String string(Memory mem, long ptr, long len) {
    byte[] b = mem.readBytes((int) ptr, (int) len);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new WasiException(Errno.ILSEQ);
    }
  }
}
