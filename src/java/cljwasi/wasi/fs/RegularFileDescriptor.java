package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Set;

/**
 * A regular file opened by path_open, over a FileChannel. The channel's position is the
 * fd's position. APPEND is emulated (FileChannel refuses READ together with APPEND):
 * each fd_write and fd_pwrite lands at the current end of file, and fd_write leaves the
 * position there, as wasmtime does. SYNC and DSYNC force data (and metadata) to disk
 * after each write; RSYNC and NONBLOCK are recorded only (files never block). Every
 * operation checks the fd's rights; a file under a read-only preopen refuses metadata
 * changes with EROFS (it cannot have been opened for writing).
 */
public final class RegularFileDescriptor extends Descriptor {
  private final FileChannel ch;
  /**
   * The directory it was opened in and its name there; used (through the handle) for
   * metadata while that name still holds the same file.
   */
  private final HostDir dir;
  private final String name;
  private final boolean readOnly;
  private final Filestat opened;
  private boolean closed;

  private RegularFileDescriptor(FileChannel ch, HostDir dir, String name, boolean readOnly,
      Filestat opened, long base, long inheriting, int fdflags) {
    super(base, inheriting, fdflags);
    this.ch = ch;
    this.dir = dir;
    this.name = name;
    this.readOnly = readOnly;
    this.opened = opened;
  }

  /**
   * Opens {@code name} in {@code dir} (openat, never following a final symlink: the
   * resolver already did). Reads when {@code read}, writes when {@code write};
   * {@code create}/{@code excl}/{@code trunc} as O_CREAT/O_EXCL/O_TRUNC (they need a
   * writable channel in java.nio, so they imply one; the fd's rights still decide what
   * the guest may do).
   */
  public static RegularFileDescriptor open(HostDir dir, String name, boolean read, boolean write,
      boolean create, boolean excl, boolean trunc, boolean readOnly, long base,
      long inheriting, int fdflags) throws IOException {
    Set<OpenOption> o = new HashSet<>();
    boolean w = write || create || trunc;
    if (read || !w) o.add(StandardOpenOption.READ);
    if (w) o.add(StandardOpenOption.WRITE);
    if (create) o.add(excl ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
    if (trunc) o.add(StandardOpenOption.TRUNCATE_EXISTING);
    FileChannel ch = dir.openFile(name, o);
    try {
      Filestat st;
      try {
        st = HostStat.of(dir, name);
      } catch (NoSuchFileException e) {
        // some FileSystems (zipfs) show a created entry only once it is closed
        st = Filestat.ofStream(Rights.FT_REGULAR_FILE);
        st.nlink = 1;
      }
      return new RegularFileDescriptor(ch, dir.retain().track(), name, readOnly, st, base, inheriting,
          fdflags);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  @Override
  public byte filetype() {
    return opened.filetype;
  }

  @Override
  public void setFdflags(int flags) throws IOException {
    require(Rights.FD_FDSTAT_SET_FLAGS);
    fdflags = flags;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    require(Rights.FD_READ);
    return Math.max(ch.read(dst), 0);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    require(Rights.FD_WRITE);
    int n;
    if ((fdflags & Rights.FDFLAG_APPEND) != 0) {
      long end = ch.size();
      n = ch.write(src, end);
      ch.position(end + n);
    } else {
      n = ch.write(src);
    }
    afterWrite();
    return n;
  }

  @Override
  public int pread(ByteBuffer dst, long offset) throws IOException {
    require(Rights.FD_READ | Rights.FD_SEEK);
    if (offset < 0) throw new WasiException(Errno.INVAL);
    return Math.max(ch.read(dst, offset), 0);
  }

  @Override
  public int pwrite(ByteBuffer src, long offset) throws IOException {
    require(Rights.FD_WRITE | Rights.FD_SEEK);
    if (offset < 0) throw new WasiException(Errno.INVAL);
    if (!src.hasRemaining()) return 0; // a 0-byte pwrite never grows the file
    // Linux pwrite on an O_APPEND fd ignores the offset; wasmtime keeps that.
    long at = (fdflags & Rights.FDFLAG_APPEND) != 0 ? ch.size() : offset;
    int n = ch.write(src, at);
    afterWrite();
    return n;
  }

  private void afterWrite() throws IOException {
    if ((fdflags & Rights.FDFLAG_SYNC) != 0) ch.force(true);
    else if ((fdflags & Rights.FDFLAG_DSYNC) != 0) ch.force(false);
  }

  @Override
  public long seek(long offset, int whence) throws IOException {
    // lseek(fd, 0, SEEK_CUR) is a tell: FD_TELL suffices, as in legacy wasmtime
    require(whence == Rights.WHENCE_CUR && offset == 0 ? Rights.FD_TELL : Rights.FD_SEEK);
    long base;
    switch (whence) {
      case Rights.WHENCE_SET:
        base = 0;
        break;
      case Rights.WHENCE_CUR:
        base = ch.position();
        break;
      case Rights.WHENCE_END:
        base = ch.size();
        break;
      default:
        throw new WasiException(Errno.INVAL);
    }
    long pos;
    try {
      pos = Math.addExact(base, offset);
    } catch (ArithmeticException e) {
      throw new WasiException(Errno.INVAL);
    }
    if (pos < 0) throw new WasiException(Errno.INVAL);
    ch.position(pos);
    return pos;
  }

  @Override
  public long tell() throws IOException {
    require(Rights.FD_TELL);
    return ch.position();
  }

  @Override
  public Filestat filestat() throws IOException {
    Filestat now = null;
    try {
      now = HostStat.of(dir, name);
    } catch (IOException e) {
      // renamed or unlinked since it was opened
    }
    if (now != null && now.dev == opened.dev && now.ino == opened.ino) return now;
    Filestat s = new Filestat();
    s.dev = opened.dev;
    s.ino = opened.ino;
    s.filetype = opened.filetype;
    s.nlink = now == null ? 0 : opened.nlink;
    s.size = ch.size();
    s.atim = opened.atim;
    s.mtim = opened.mtim;
    s.ctim = opened.ctim;
    return s;
  }

  @Override
  public void setSize(long size) throws IOException {
    require(Rights.FD_FILESTAT_SET_SIZE);
    if (readOnly) throw new WasiException(Errno.ROFS);
    if (size < 0) throw new WasiException(Errno.INVAL);
    long pos = ch.position();
    long cur = ch.size();
    if (size < cur) {
      ch.truncate(size);
      ch.position(pos); // ftruncate leaves the offset alone; FileChannel would clamp it
    } else if (size > cur) {
      ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
  }

  @Override
  public void setTimes(FileTime[] times) throws IOException {
    require(Rights.FD_FILESTAT_SET_TIMES);
    if (readOnly) throw new WasiException(Errno.ROFS);
    Filestat now = HostStat.of(dir, name);
    if (now.dev != opened.dev || now.ino != opened.ino) throw new WasiException(Errno.NOENT);
    if (dir.fd >= 0 || opened.filetype == Rights.FT_REGULAR_FILE
        || opened.filetype == Rights.FT_DIRECTORY) {
      PathOps.setTimes(dir, name, times); // utimensat(AT_SYMLINK_NOFOLLOW), or openat + futimens
    } else {
      HostStat.setTimes(Files.getFileAttributeView(dir.resolve(name),
          BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS), times);
    }
  }

  @Override
  public void sync(boolean dataOnly) throws IOException {
    require(dataOnly ? Rights.FD_DATASYNC : Rights.FD_SYNC);
    ch.force(!dataOnly);
  }

  @Override
  public void advise(long offset, long len, int advice) throws IOException {
    require(Rights.FD_ADVISE);
    // advisory only; java.nio has no posix_fadvise
  }

  @Override
  public void allocate(long offset, long len) throws IOException {
    // wasmtime: fd_allocate is not supported on any file
    throw new WasiException(Errno.NOTSUP);
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      ch.close();
    } finally {
      dir.release();
    }
  }
}
