package cljwasi.wasi.fd;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import com.dylibso.chicory.runtime.Memory;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * A WASI filestat (64 bytes: dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64 @24,
 * size u64 @32, atim @40, mtim @48, ctim @56, times in ns), as fd_filestat_get and
 * path_filestat_get write it, and the times fd/path_filestat_set_times ask for. Read
 * from the host by {@code cljwasi.wasi.fs.HostStat}.
 */
public final class Filestat {
  public long dev, ino, nlink, size, atim, mtim, ctim;
  public byte filetype;

  public static final int SIZE = 64;

  /** Stdio and sockets: everything zero but the filetype, as wasmtime reports them. */
  public static Filestat ofStream(byte filetype) {
    Filestat s = new Filestat();
    s.filetype = filetype;
    return s;
  }

  public void write(Memory mem, int p) {
    mem.writeLong(p, dev);
    mem.writeLong(p + 8, ino);
    mem.writeLong(p + 16, 0); // filetype byte and padding
    mem.writeByte(p + 16, filetype);
    mem.writeLong(p + 24, nlink);
    mem.writeLong(p + 32, size);
    mem.writeLong(p + 40, atim);
    mem.writeLong(p + 48, mtim);
    mem.writeLong(p + 56, ctim);
  }

  /**
   * The new access and modification times of fd/path_filestat_set_times: {atime, mtime},
   * each null when unchanged. EINVAL for a time both given and NOW, or unknown flag bits.
   */
  public static FileTime[] newTimes(long atim, long mtim, int fst, long nowNanos) {
    if ((fst & ~0xf) != 0) throw new WasiException(Errno.INVAL);
    return new FileTime[] {
      one(atim, fst & Rights.FST_ATIM, fst & Rights.FST_ATIM_NOW, nowNanos),
      one(mtim, fst & Rights.FST_MTIM, fst & Rights.FST_MTIM_NOW, nowNanos)
    };
  }

  private static FileTime one(long ts, int set, int now, long nowNanos) {
    if (set != 0 && now != 0) throw new WasiException(Errno.INVAL);
    if (set != 0) {
      // u64 nanoseconds; values past 2262 do not fit a signed long
      if (ts < 0) throw new WasiException(Errno.OVERFLOW);
      return FileTime.from(ts, TimeUnit.NANOSECONDS);
    }
    if (now != 0) return FileTime.from(nowNanos, TimeUnit.NANOSECONDS);
    return null;
  }
}
