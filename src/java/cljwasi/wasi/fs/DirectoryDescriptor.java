package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * An open directory: a preopen, or one opened by path_open. It holds an open handle on
 * the host directory ({@link HostDir}: a directory file descriptor where the provider
 * has SecureDirectoryStream), so like a POSIX fd it stays on the directory it was opened
 * on, whatever is renamed or swapped on the host afterwards; paths given with it are
 * resolved beneath that handle by {@link PathResolver} only. Directories opened
 * beneath a read-only preopen are read-only too: every mutation fails with EROFS.
 * A directory is not seekable (EBADF, as wasmtime) and has no data to read or write.
 */
public final class DirectoryDescriptor extends Descriptor {
  /** The preopen this fd is, or null for a directory opened by path_open. */
  public final Preopen preopen;
  /** The open host directory. */
  private final HostDir handle;
  /** True beneath a read-only preopen. */
  public final boolean readOnly;
  /** The entries fd_readdir serves cookies from; taken afresh at cookie 0. */
  private List<Entry> snapshot;
  private boolean closed;

  private DirectoryDescriptor(
      Preopen preopen, HostDir handle, boolean readOnly, long base, long inheriting) {
    super(base, inheriting, 0);
    this.preopen = preopen;
    this.handle = handle;
    this.readOnly = readOnly;
  }

  /** The fd of a preopened directory; its host path must be an existing directory. */
  public static DirectoryDescriptor preopen(Preopen p) {
    if (!Files.isDirectory(p.hostPath())) {
      throw new IllegalArgumentException("preopen " + p.guestPath() + ": not a directory: " + p.hostPath());
    }
    HostDir h;
    try {
      h = HostDir.openRoot(p.hostPath());
    } catch (IOException e) {
      throw new UncheckedIOException("preopen " + p.guestPath() + ": " + p.hostPath(), e);
    }
    return new DirectoryDescriptor(
        p, h, p.readOnly(), Rights.DIRECTORY, Rights.DIRECTORY | Rights.FILE);
  }

  /** A directory opened beneath this one: takes over the handle {@code h}. */
  public DirectoryDescriptor child(HostDir h, long base, long inheriting) {
    h.anchor.root.retain(); // path-based calls below it go through the preopen's root
    return new DirectoryDescriptor(null, h.track(), readOnly, base, inheriting);
  }

  /** The handle paths are resolved beneath (PathResolver's start). */
  HostDir handle() {
    if (closed) throw new WasiException(Errno.BADF);
    return handle;
  }

  /** The host path this fd was reached by (it may have been renamed since). */
  public Path hostPath() {
    return handle.path;
  }

  @Override
  public byte filetype() {
    return Rights.FT_DIRECTORY;
  }

  /** Throws EROFS when this directory is beneath a read-only preopen. */
  public void requireWritable() {
    if (readOnly) throw new WasiException(Errno.ROFS);
  }

  @Override
  public void setFdflags(int flags) {
    throw new WasiException(Errno.BADF); // wasmtime: only files take fdflags
  }

  @Override
  public long seek(long offset, int whence) {
    throw new WasiException(Errno.BADF);
  }

  @Override
  public long tell() {
    throw new WasiException(Errno.BADF);
  }

  @Override
  public int pread(ByteBuffer dst, long offset) {
    throw new WasiException(Errno.BADF);
  }

  @Override
  public int pwrite(ByteBuffer src, long offset) {
    throw new WasiException(Errno.BADF);
  }

  @Override
  public Filestat filestat() throws IOException {
    return HostStat.of(handle(), null);
  }

  @Override
  public void setTimes(FileTime[] times) throws IOException {
    require(Rights.FD_FILESTAT_SET_TIMES);
    requireWritable();
    PathOps.setTimes(handle(), null, times); // futimens on the handle
  }

  /** One fd_readdir entry. */
  public static final class Entry {
    public final byte[] name;
    public final long ino;
    public final byte type;

    Entry(byte[] name, long ino, byte type) {
      this.name = name;
      this.ino = ino;
      this.type = type;
    }
  }

  /**
   * The entries for fd_readdir: ".", "..", then the directory's entries in the order the
   * host file system lists them (as wasmtime does), listed when {@code cookie} is 0 (or no listing was taken yet) and kept so that the
   * cookies handed out stay valid across calls. Cookie n is the index of the next entry.
   */
  public List<Entry> entries(long cookie) throws IOException {
    require(Rights.FD_READDIR);
    if (cookie == 0 || snapshot == null) snapshot = list();
    return snapshot;
  }

  private List<Entry> list() throws IOException {
    HostDir h = handle();
    Filestat self = HostStat.of(h, null);
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = h.list()) { // a fresh stream on this same directory
      for (Path c : ds) names.add(c.getFileName().toString());
    }
    List<Entry> out = new ArrayList<>(names.size() + 2);
    // wasmtime reports the directory's own inode for ".." too (it never looks above)
    out.add(new Entry(new byte[] {'.'}, self.ino, Rights.FT_DIRECTORY));
    out.add(new Entry(new byte[] {'.', '.'}, self.ino, Rights.FT_DIRECTORY));
    for (String n : names) {
      long ino = 0;
      byte type = Rights.FT_UNKNOWN;
      try {
        Filestat st = HostStat.of(h, n);
        ino = st.ino;
        type = st.filetype;
      } catch (IOException e) {
        // removed since it was listed: keep the name, unknown type
        try {
          BasicFileAttributes a = h.lstat(n);
          if (a != null) type = HostStat.typeOf(a);
        } catch (IOException e2) {
          // leave unknown
        }
      }
      out.add(new Entry(n.getBytes(StandardCharsets.UTF_8), ino, type));
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    HostDir root = handle.anchor.root;
    handle.release();
    if (preopen == null) root.release();
  }
}
