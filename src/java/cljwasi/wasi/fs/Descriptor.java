package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

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

  /** Flushes buffered output, if any. */
  public void flush() throws IOException {}

  @Override
  public void close() throws IOException {}
}
