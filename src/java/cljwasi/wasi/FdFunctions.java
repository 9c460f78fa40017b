package cljwasi.wasi;

import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.fs.DirectoryDescriptor;
import cljwasi.wasi.fs.RegularFileDescriptor;
import cljwasi.wasi.fs.StreamDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The fd_* functions. Errnos follow wasmtime's WASIp1 (crates/wasi/src/preview1.rs):
 * positional calls on stdio are ESPIPE, file-only calls on directories and streams
 * EBADF, and rights (which wasmtime no longer checks) are enforced as legacy
 * wasi-common did: a missing right is ENOTCAPABLE. Data moves in bulk,
 * straight between the descriptor and views of guest memory ({@link Iovecs}).
 */
final class FdFunctions {
  private FdFunctions() {}

  static void register(WasiHost.Registry r) {
    // fd_advise(fd, offset:u64, len:u64, advice)
    // reads/writes no memory. errnos: success, inval (advice > 5), badf (not a file),
    // notcapable (no FD_ADVISE). The advice is accepted and ignored.
    r.fn("fd_advise", "fd offset:i64 len:i64 advice", (ctx, mem, a) -> {
      if (a[3] < 0 || a[3] > 5) return Errno.INVAL;
      ctx.fds.get((int) a[0]).advise(a[1], a[2], (int) a[3]);
      return Errno.SUCCESS;
    });

    // fd_allocate(fd, offset:u64, len:u64)
    // errnos: badf (not a file), notsup (always for files, as wasmtime).
    r.fn("fd_allocate", "fd offset:i64 len:i64", (ctx, mem, a) -> {
      ctx.fds.get((int) a[0]).allocate(a[1], a[2]);
      return Errno.SUCCESS;
    });

    // fd_close(fd)
    // errnos: success, badf. Closing a preopen is allowed; its number is reused.
    r.fn("fd_close", "fd", (ctx, mem, a) -> {
      ctx.fds.remove((int) a[0]).close();
      return Errno.SUCCESS;
    });

    // fd_datasync(fd)
    // errnos: success, badf (not a file), notcapable (no FD_DATASYNC), io.
    r.fn("fd_datasync", "fd", (ctx, mem, a) -> {
      ctx.fds.get((int) a[0]).sync(true);
      return Errno.SUCCESS;
    });

    // fd_fdstat_get(fd, stat_ptr)
    // writes: fdstat (24 bytes: filetype u8 @0, fdflags u16 @2, rights_base u64 @8,
    // rights_inheriting u64 @16). errnos: success, badf, fault.
    r.fn("fd_fdstat_get", "fd stat_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      int p = (int) a[1];
      mem.writeLong(p, 0);
      mem.writeByte(p, d.filetype());
      mem.writeShort(p + 2, (short) d.fdflags());
      mem.writeLong(p + 8, d.rightsBase());
      mem.writeLong(p + 16, d.rightsInheriting());
      return Errno.SUCCESS;
    });

    // fd_fdstat_set_flags(fd, flags:u16)
    // errnos: success, inval (unknown bits), badf (directory), notcapable
    // (no FD_FDSTAT_SET_FLAGS). Files honour APPEND, SYNC, DSYNC; RSYNC and NONBLOCK
    // are recorded (files never block). Streams and sockets decide for themselves.
    r.fn("fd_fdstat_set_flags", "fd flags", (ctx, mem, a) -> {
      int flags = (int) a[1];
      if ((flags & ~0x1f) != 0) return Errno.INVAL;
      ctx.fds.get((int) a[0]).setFdflags(flags);
      return Errno.SUCCESS;
    });

    // fd_fdstat_set_rights(fd, rights_base:u64, rights_inheriting:u64)
    // errnos: success, badf, inval (unknown bits), notcapable (an attempt to gain a
    // right). Rights only shrink, and are enforced from then on.
    r.fn("fd_fdstat_set_rights", "fd fs_rights_base:i64 fs_rights_inheriting:i64",
        (ctx, mem, a) -> {
          Descriptor d = ctx.fds.get((int) a[0]);
          if ((a[1] & ~Rights.ALL) != 0 || (a[2] & ~Rights.ALL) != 0) return Errno.INVAL;
          d.setRights(a[1], a[2]);
          return Errno.SUCCESS;
        });

    // fd_filestat_get(fd, buf_ptr)
    // writes: filestat (64 bytes, see Filestat). errnos: success, badf, notcapable
    // (no FD_FILESTAT_GET), fault, io. Stdio reports zeros and its filetype.
    r.fn("fd_filestat_get", "fd buf_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      d.require(Rights.FD_FILESTAT_GET);
      d.filestat().write(mem, (int) a[1]);
      return Errno.SUCCESS;
    });

    // fd_filestat_set_size(fd, size:u64)
    // errnos: success, badf (not a file), notcapable (no FD_FILESTAT_SET_SIZE), inval
    // (size > 2^63-1), rofs (read-only preopen). Grows with zeros; keeps the position.
    r.fn("fd_filestat_set_size", "fd size:i64", (ctx, mem, a) -> {
      ctx.fds.get((int) a[0]).setSize(a[1]);
      return Errno.SUCCESS;
    });

    // fd_filestat_set_times(fd, atim:u64, mtim:u64, fst_flags:u16)
    // errnos: success, inval (ATIM with ATIM_NOW, MTIM with MTIM_NOW, unknown bits;
    // checked first, as wasmtime), badf (stdio), notcapable, rofs.
    r.fn("fd_filestat_set_times", "fd atim:i64 mtim:i64 fst_flags", (ctx, mem, a) -> {
      var times = Filestat.newTimes(a[1], a[2], (int) a[3], ctx.clock().realtimeNanos());
      ctx.fds.get((int) a[0]).setTimes(times);
      return Errno.SUCCESS;
    });

    // fd_pread(fd, iovs, iovs_len, offset:u64, nread_ptr)
    // reads: iovs_len iovecs (ptr u32, len u32) at iovs; writes: the bytes read into
    // them, u32 nread. errnos: success, badf (directory, not readable), spipe (stdio),
    // notcapable (no FD_READ|FD_SEEK), inval (offset >= 2^63), fault.
    r.fn("fd_pread", "fd iovs iovs_len offset:i64 nread_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      long off = a[3];
      long total = Iovecs.readInto(mem, (int) a[1], (int) a[2], false,
          (b, done) -> d.pread(b, off + done));
      mem.writeI32((int) a[4], (int) total);
      return Errno.SUCCESS;
    });

    // fd_prestat_get(fd, prestat_ptr)
    // writes: prestat (tag u8 @0 = 0 dir, pr_name_len u32 @4).
    // errnos: success, badf (not a preopen), fault.
    r.fn("fd_prestat_get", "fd prestat_ptr", (ctx, mem, a) -> {
      byte[] name = preopenName(ctx, a[0], Errno.BADF);
      mem.writeI32((int) a[1], 0);
      mem.writeI32((int) a[1] + 4, name.length);
      return Errno.SUCCESS;
    });

    // fd_prestat_dir_name(fd, path, path_len)
    // writes: the preopen's guest path (no NUL) at path. errnos: success, badf (no such
    // fd), notdir (not a preopen; wasmtime's choice), nametoolong (path_len too small).
    r.fn("fd_prestat_dir_name", "fd path path_len", (ctx, mem, a) -> {
      byte[] name = preopenName(ctx, a[0], Errno.NOTDIR);
      if (name.length > Integer.toUnsignedLong((int) a[2])) return Errno.NAMETOOLONG;
      mem.write((int) a[1], name, 0, name.length);
      return Errno.SUCCESS;
    });

    // fd_pwrite(fd, iovs, iovs_len, offset:u64, nwritten_ptr)
    // reads: iovs_len ciovecs and their bytes; writes: u32 nwritten. The position is
    // unchanged; on an APPEND fd the bytes go to the end of file (Linux, wasmtime).
    // errnos: success, badf, spipe (stdio), notcapable (no FD_WRITE|FD_SEEK), inval,
    // nospc, fault.
    r.fn("fd_pwrite", "fd iovs iovs_len offset:i64 nwritten_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      long off = a[3];
      long total = Iovecs.writeFrom(mem, (int) a[1], (int) a[2], (b, done) -> d.pwrite(b, off + done));
      mem.writeI32((int) a[4], (int) total);
      return Errno.SUCCESS;
    });

    // fd_read(fd, iovs, iovs_len, nread_ptr)
    // reads: iovs_len iovecs at iovs; writes: the bytes read into them, u32 nread.
    // A file fills iovec after iovec until a short read; a stream (stdin, socket)
    // returns after the first non-empty iovec, so it never blocks for more than it had.
    // errnos: success, badf (directory, write-only stream), notcapable (no FD_READ),
    // again (NONBLOCK stream with nothing ready), fault, io.
    r.fn("fd_read", "fd iovs iovs_len nread_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      if (d instanceof DirectoryDescriptor) return Errno.BADF;
      if (d instanceof StreamDescriptor && !((StreamDescriptor) d).isInput()) return Errno.BADF;
      d.require(Rights.FD_READ);
      boolean file = d instanceof RegularFileDescriptor;
      long total = Iovecs.readInto(mem, (int) a[1], (int) a[2], !file, (b, done) -> d.read(b));
      mem.writeI32((int) a[3], (int) total);
      return Errno.SUCCESS;
    });

    // fd_readdir(fd, buf, buf_len, cookie:u64, bufused_ptr)
    // writes: dirents (d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20,
    // then the name) from entry `cookie` on, the last one truncated to fill buf_len;
    // u32 bufused (== buf_len means "call again"). Entries: ".", "..", then the rest
    // in the host's directory order; cookies are entry indexes valid until the next cookie-0 call.
    // errnos: success, badf (not a directory), notcapable (no FD_READDIR), fault.
    r.fn("fd_readdir", "fd buf buf_len cookie:i64 bufused_ptr", (ctx, mem, a) -> {
      DirectoryDescriptor d = ctx.fds.get((int) a[0], DirectoryDescriptor.class, Errno.BADF);
      long cap = Integer.toUnsignedLong((int) a[2]);
      long cookie = a[3];
      List<DirectoryDescriptor.Entry> es = d.entries(cookie);
      long need = 0;
      for (long i = cookie; i >= 0 && i < es.size() && need < cap; i++) {
        need += 24 + es.get((int) i).name.length;
      }
      int size = (int) Math.min(need, cap);
      ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      for (long i = cookie; i >= 0 && i < es.size() && out.hasRemaining(); i++) {
        DirectoryDescriptor.Entry e = es.get((int) i);
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(i + 1).putLong(e.ino).putInt(e.name.length).put(e.type).put(new byte[3]);
        out.put(h.array(), 0, Math.min(24, out.remaining()));
        out.put(e.name, 0, Math.min(e.name.length, out.remaining()));
      }
      mem.write((int) a[1], out.array(), 0, size);
      mem.writeI32((int) a[4], size);
      return Errno.SUCCESS;
    });

    // fd_renumber(fd, to)
    // Moves fd onto `to`, closing what `to` held; both must be open (wasmtime).
    // errnos: success, badf (fd or to not open).
    r.fn("fd_renumber", "fd to", (ctx, mem, a) -> {
      ctx.fds.renumber((int) a[0], (int) a[1]);
      return Errno.SUCCESS;
    });

    // fd_seek(fd, offset:i64, whence, newoffset_ptr)
    // writes: u64 new offset. errnos: success, inval (unknown whence, negative result),
    // badf (directory, as wasmtime), spipe (stdio), notcapable (no FD_SEEK; FD_TELL
    // suffices for offset 0 from CUR), fault.
    r.fn("fd_seek", "fd offset:i64 whence newoffset_ptr", (ctx, mem, a) -> {
      int whence = (int) a[2];
      if (whence < 0 || whence > 2) return Errno.INVAL;
      long pos = ctx.fds.get((int) a[0]).seek(a[1], whence);
      mem.writeLong((int) a[3], pos);
      return Errno.SUCCESS;
    });

    // fd_sync(fd)
    // errnos: success, badf (not a file), notcapable (no FD_SYNC), io.
    r.fn("fd_sync", "fd", (ctx, mem, a) -> {
      ctx.fds.get((int) a[0]).sync(false);
      return Errno.SUCCESS;
    });

    // fd_tell(fd, offset_ptr)
    // writes: u64 offset. errnos: success, badf (directory), spipe (stdio),
    // notcapable (no FD_TELL), fault.
    r.fn("fd_tell", "fd offset_ptr", (ctx, mem, a) -> {
      long pos = ctx.fds.get((int) a[0]).tell();
      mem.writeLong((int) a[1], pos);
      return Errno.SUCCESS;
    });

    // fd_write(fd, iovs, iovs_len, nwritten_ptr)
    // reads: iovs_len ciovecs at iovs and the bytes they point to; writes: u32 nwritten
    // (a partial count when a later iovec failed). On an APPEND fd each write goes to
    // the end of file. errnos: success, badf (directory, read-only stream),
    // notcapable (no FD_WRITE), nospc, fault, io.
    r.fn("fd_write", "fd iovs iovs_len nwritten_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      if (d instanceof DirectoryDescriptor) return Errno.BADF;
      if (d instanceof StreamDescriptor && ((StreamDescriptor) d).isInput()) return Errno.BADF;
      d.require(Rights.FD_WRITE);
      long total = Iovecs.writeFrom(mem, (int) a[1], (int) a[2], (b, done) -> d.write(b));
      mem.writeI32((int) a[3], (int) total);
      return Errno.SUCCESS;
    });
  }

  /**
   * The guest path of the preopen at {@code fd}, UTF-8; EBADF when no fd is open there,
   * {@code notPreopen} when it is not a preopened directory.
   */
  private static byte[] preopenName(WasiContext ctx, long fd, int notPreopen) {
    Descriptor d = ctx.fds.get((int) fd);
    if (!(d instanceof DirectoryDescriptor) || ((DirectoryDescriptor) d).preopen == null) {
      throw new WasiException(notPreopen);
    }
    return ((DirectoryDescriptor) d).preopen.guestPath().getBytes(StandardCharsets.UTF_8);
  }
}
