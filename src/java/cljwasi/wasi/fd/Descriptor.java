package cljwasi.wasi.fd;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;

/**
 * An open WASI file descriptor: a file, a directory, a stdio stream or a socket. Holds
 * the rights and fdflags that fd_fdstat_get reports. Operations a kind does not support
 * throw the errno wasmtime gives for them.
 */
public abstract class Descriptor implements Closeable {
  protected long rightsBase;
  protected long rightsInheriting;
  protected int fdflags;

  protected Descriptor(long rightsBase, long rightsInheriting, int fdflags) {
    this.rightsBase = rightsBase;
    this.rightsInheriting = rightsInheriting;
    this.fdflags = fdflags;
  }

  /** One of the Rights.FT_* filetypes. */
  public abstract byte filetype();

  public final long rightsBase() {
    return rightsBase;
  }

  public final long rightsInheriting() {
    return rightsInheriting;
  }

  public final int fdflags() {
    return fdflags;
  }

  /** Throws ENOTCAPABLE unless every bit of {@code rights} is held. */
  public final void require(long rights) {
    if ((rightsBase & rights) != rights) throw new WasiException(Errno.NOTCAPABLE);
  }

  /** fd_fdstat_set_rights: rights may only shrink. */
  public void setRights(long base, long inheriting) {
    if ((base & ~rightsBase) != 0 || (inheriting & ~rightsInheriting) != 0) {
      throw new WasiException(Errno.NOTCAPABLE);
    }
    rightsBase = base;
    rightsInheriting = inheriting;
  }

  /** fd_fdstat_set_flags. Subclasses that honour a flag override this. */
  public void setFdflags(int flags) throws IOException {
    fdflags = flags;
  }

  /** Reads into {@code dst}; returns bytes read, 0 at end of stream. */
  public int read(ByteBuffer dst) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** Writes from {@code src}; returns bytes written. */
  public int write(ByteBuffer src) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  // The operations below default to the errno wasmtime gives for a stream (stdio, pipe,
  // socket): positions make no sense on it (ESPIPE); file-only operations are EBADF.
  // RegularFileDescriptor and DirectoryDescriptor override them and check rights themselves.

  /** fd_seek: moves the position; returns the new one. */
  public long seek(long offset, int whence) throws IOException {
    throw new WasiException(Errno.SPIPE);
  }

  /** fd_tell: the current position. */
  public long tell() throws IOException {
    throw new WasiException(Errno.SPIPE);
  }

  /** fd_pread: reads at {@code offset} without moving the position; 0 at end of file. */
  public int pread(ByteBuffer dst, long offset) throws IOException {
    throw new WasiException(Errno.SPIPE);
  }

  /** fd_pwrite: writes at {@code offset} without moving the position. */
  public int pwrite(ByteBuffer src, long offset) throws IOException {
    throw new WasiException(Errno.SPIPE);
  }

  /** fd_filestat_get. A stream reports zeros and its filetype, as wasmtime does. */
  public Filestat filestat() throws IOException {
    return Filestat.ofStream(filetype());
  }

  /** fd_filestat_set_size. */
  public void setSize(long size) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** fd_filestat_set_times, with {atime, mtime} as computed by Filestat.newTimes. */
  public void setTimes(FileTime[] times) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** fd_sync ({@code dataOnly} false) and fd_datasync (true). */
  public void sync(boolean dataOnly) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** fd_advise (advice already validated). */
  public void advise(long offset, long len, int advice) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** fd_allocate. */
  public void allocate(long offset, long len) throws IOException {
    throw new WasiException(Errno.BADF);
  }

  /** Flushes buffered output, if any. */
  public void flush() throws IOException {}

  @Override
  public void close() throws IOException {}
}
