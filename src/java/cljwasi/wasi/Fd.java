package cljwasi.wasi;

import cljwasi.wasi.fs.Descriptor;
import cljwasi.wasi.fs.DirectoryDescriptor;
import cljwasi.wasi.fs.Rights;
import com.dylibso.chicory.runtime.Memory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The fd_* functions. (Skeleton: stdio and prestat; the fs owner completes it.) */
final class Fd {
  private Fd() {}

  static void register(WasiHost.Registry r) {
    // fd_write(fd, iovs, iovs_len, nwritten_ptr)
    // reads: iovs_len ciovecs at iovs and the bytes they point to; writes: u32 nwritten.
    // errnos: success, badf, notcapable, fault, nospc, io.
    r.fn("fd_write", "fd iovs iovs_len nwritten_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      d.require(Rights.FD_WRITE);
      long total = 0;
      for (int i = 0; i < (int) a[2]; i++) {
        int iov = (int) a[1] + i * 8;
        int ptr = mem.readInt(iov);
        int len = mem.readInt(iov + 4);
        ByteBuffer buf = ByteBuffer.wrap(mem.readBytes(ptr, len));
        while (buf.hasRemaining()) total += d.write(buf);
      }
      mem.writeI32((int) a[3], (int) total);
      return Errno.SUCCESS;
    });
    // fd_read(fd, iovs, iovs_len, nread_ptr)
    r.fn("fd_read", "fd iovs iovs_len nread_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      d.require(Rights.FD_READ);
      long total = 0;
      for (int i = 0; i < (int) a[2]; i++) {
        int iov = (int) a[1] + i * 8;
        int ptr = mem.readInt(iov);
        int len = mem.readInt(iov + 4);
        byte[] tmp = new byte[len];
        int n = d.read(ByteBuffer.wrap(tmp));
        mem.write(ptr, tmp, 0, n);
        total += n;
        if (n < len) break;
      }
      mem.writeI32((int) a[3], (int) total);
      return Errno.SUCCESS;
    });
    r.fn("fd_fdstat_get", "fd stat_ptr", (ctx, mem, a) -> {
      Descriptor d = ctx.fds.get((int) a[0]);
      int p = (int) a[1];
      mem.writeByte(p, d.filetype());
      mem.writeShort(p + 2, (short) d.fdflags());
      mem.writeLong(p + 8, d.rightsBase());
      mem.writeLong(p + 16, d.rightsInheriting());
      return Errno.SUCCESS;
    });
    r.fn("fd_prestat_get", "fd prestat_ptr", (ctx, mem, a) -> {
      DirectoryDescriptor d = ctx.fds.get((int) a[0], DirectoryDescriptor.class, Errno.BADF);
      if (d.preopen == null) return Errno.BADF;
      mem.writeI32((int) a[1], 0);
      mem.writeI32((int) a[1] + 4, d.preopen.guestPath.getBytes(StandardCharsets.UTF_8).length);
      return Errno.SUCCESS;
    });
    r.fn("fd_prestat_dir_name", "fd path path_len", (ctx, mem, a) -> {
      DirectoryDescriptor d = ctx.fds.get((int) a[0], DirectoryDescriptor.class, Errno.BADF);
      if (d.preopen == null) return Errno.BADF;
      byte[] name = d.preopen.guestPath.getBytes(StandardCharsets.UTF_8);
      if (name.length > (int) a[2]) return Errno.NAMETOOLONG;
      mem.write((int) a[1], name, 0, name.length);
      return Errno.SUCCESS;
    });
    r.fn("fd_close", "fd", (ctx, mem, a) -> {
      ctx.fds.remove((int) a[0]).close();
      return Errno.SUCCESS;
    });
  }

  static Memory unused(Memory m) {
    return m;
  }
}
