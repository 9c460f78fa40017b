package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Filestat;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * An open host directory: the handle every path operation beneath a directory fd acts
 * through. Where the FileSystem provides a {@link SecureDirectoryStream} (Linux's
 * default provider, Jimfs) this holds one, i.e. an open directory file descriptor, and
 * each operation is relative to it: lstat is fstatat(dfd, name, AT_SYMLINK_NOFOLLOW),
 * opening is openat(dfd, name, O_NOFOLLOW), deleting unlinkat, renaming renameat. So a
 * directory once reached stays the directory acted in, whatever is renamed or swapped
 * on the host meanwhile. Providers without one (e.g. zipfs) fall back to host paths.
 *
 * <p>Where {@link NativeFs#INSTANCE} is in use (JDK 22+) a handle on the default file
 * system also holds {@link #fd}, a raw directory file descriptor on the very same
 * directory (checked by dev and inode while both are open), through which the calls
 * java.nio lacks are made relative to the handle: mkdirat, symlinkat, linkat,
 * readlinkat, utimensat, statx. Without it, {@link #path}, the host path the
 * directory was reached by, serves those few calls (readlink, mkdir, symlink, link,
 * lutimes, and the "unix" attributes nlink/ctime/mode), each of them checked against
 * the handle (see PathOps and docs/WASI.md). It may go stale when the directory is
 * renamed; {@link Anchor#moved} keeps it current for the guest's renames.
 *
 * <p>Handles are reference counted: a descriptor holds one reference, a resolution in
 * progress holds its own; the directory stream closes with the last reference.
 */
public final class HostDir {
  /** The host path this directory was reached by (maybe stale, see above). */
  volatile Path path;
  /** The open directory, or null when the provider has no SecureDirectoryStream. */
  final SecureDirectoryStream<Path> sds;
  /** The same directory as a raw file descriptor for {@link NativeFs}, else -1. */
  final int fd;
  /** The preopen this handle lies beneath (itself for a preopen's root). */
  final Anchor anchor;
  private int refs = 1;
  private boolean tracked;

  private HostDir(Path path, SecureDirectoryStream<Path> sds, int fd, Anchor anchor) {
    this.path = path;
    this.sds = sds;
    this.fd = fd;
    this.anchor = anchor == null ? new Anchor(this) : anchor;
  }

  /** The native calls for handles on {@code p}'s file system, or null for java.nio only. */
  private static NativeFs nativeFor(Path p) {
    return p.getFileSystem() == FileSystems.getDefault() ? NativeFs.INSTANCE : null;
  }

  /**
   * The root of a preopen: opens {@code p} (following it if it is itself a symlink: the
   * preopen's own host path is the host's choice, not the guest's).
   */
  static HostDir openRoot(Path p) throws IOException {
    DirectoryStream<Path> ds = Files.newDirectoryStream(p);
    if (!(ds instanceof SecureDirectoryStream)) {
      ds.close();
      return new HostDir(p, null, -1, null);
    }
    SecureDirectoryStream<Path> sds = (SecureDirectoryStream<Path>) ds;
    NativeFs n = nativeFor(p);
    int fd = -1;
    try {
      if (n != null) fd = paired(n, sds, n.openRoot(p.toString()));
    } catch (IOException | RuntimeException e) {
      // swapped between the two opens, or refused: this preopen keeps to java.nio
      // rather than fail the run
      fd = -1;
    }
    return new HostDir(p, sds, fd, null);
  }

  /**
   * {@code fd} when it is the directory {@code sds} has open (same dev and inode, both
   * open, so neither can have been reused), else closes it and fails: the directory
   * was swapped between the two opens.
   */
  private static int paired(NativeFs n, SecureDirectoryStream<Path> sds, int fd)
      throws IOException {
    try {
      Filestat viaFd = n.stat(fd, null);
      long[] viaSds = HostStat.unixKey(
          sds.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey());
      if (viaSds != null && viaSds[0] == viaFd.dev && viaSds[1] == viaFd.ino) return fd;
    } catch (IOException | RuntimeException e) {
      n.close(fd);
      throw e;
    }
    n.close(fd);
    throw new FileSystemException("directory changed while it was opened");
  }

  /** True when this provider gives race-free handles. */
  boolean secure() {
    return sds != null;
  }

  /** The native calls to make on {@link #fd}, or null when this handle has no fd. */
  NativeFs nat() {
    return fd >= 0 ? NativeFs.INSTANCE : null;
  }

  /** The preopen's root handle itself: its path is the host's, trusted. */
  boolean isRoot() {
    return anchor.root == this;
  }

  public synchronized HostDir retain() {
    if (refs <= 0) throw new WasiException(Errno.BADF);
    refs++;
    return this;
  }

  /** Drops one reference; the last one closes the directory. */
  public void release() {
    synchronized (this) {
      if (--refs > 0) return;
    }
    if (tracked) anchor.untrack(this);
    if (fd >= 0) NativeFs.INSTANCE.close(fd);
    if (sds != null) {
      try {
        sds.close();
      } catch (IOException e) {
        // nothing to do about it
      }
    }
  }

  /** Registers a descriptor-held handle so that the guest's renames update its path. */
  HostDir track() {
    if (!isRoot() && !tracked) {
      tracked = true;
      anchor.track(this);
    }
    return this;
  }

  private Path name(String name) {
    return path.getFileSystem().getPath(name);
  }

  /** The host path of {@code name} in this directory (for the path-based calls only). */
  Path resolve(String name) {
    return path.resolve(name);
  }

  /** lstat of {@code name} in this directory, or null when nothing is there. */
  BasicFileAttributes lstat(String name) throws IOException {
    try {
      if (sds == null) {
        return Files.readAttributes(resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      }
      return sds.getFileAttributeView(name(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** fstat of this directory itself. */
  BasicFileAttributes self() throws IOException {
    if (sds == null) return Files.readAttributes(path, BasicFileAttributes.class);
    return sds.getFileAttributeView(BasicFileAttributeView.class).readAttributes();
  }

  /** The attribute view of {@code name} itself (never following it). */
  BasicFileAttributeView view(String name) {
    if (sds == null) {
      return Files.getFileAttributeView(resolve(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }
    return sds.getFileAttributeView(name(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
  }

  /** The attribute view of this directory itself. */
  BasicFileAttributeView selfView() {
    if (sds == null) return Files.getFileAttributeView(path, BasicFileAttributeView.class);
    return sds.getFileAttributeView(BasicFileAttributeView.class);
  }

  /**
   * Opens the sub-directory {@code name} (openat with O_NOFOLLOW): fails when it is a
   * symlink (ELOOP), not a directory (ENOTDIR) or gone (ENOENT). The caller has seen a
   * directory there with lstat (openat without O_DIRECTORY would block on a FIFO).
   */
  public HostDir openDir(String name) throws IOException {
    if (sds == null) return new HostDir(resolve(name), null, -1, anchor);
    SecureDirectoryStream<Path> sub = sds.newDirectoryStream(name(name), LinkOption.NOFOLLOW_LINKS);
    int subFd = -1;
    if (fd >= 0) {
      try {
        subFd = paired(nat(), sub, nat().openDir(fd, name));
      } catch (IOException | RuntimeException e) {
        sub.close();
        throw e;
      }
    }
    return new HostDir(resolve(name), sub, subFd, anchor);
  }

  /**
   * The directory {@code rel} (several components, no final "." or "..") names beneath
   * this one, opened in one openat2 call with RESOLVE_BENEATH, or null when there is no
   * native path or the kernel refused it for any reason (the caller then walks it one
   * component at a time). Its directory stream is opened by host path and kept only
   * when it is the directory openat2 reached.
   */
  HostDir openBeneath(String rel) {
    if (fd < 0) return null;
    NativeFs n = nat();
    int sub = n.openBeneath(fd, rel);
    if (sub < 0) return null;
    Path p = resolve(rel);
    try {
      DirectoryStream<Path> ds = Files.newDirectoryStream(p, e -> true);
      if (!(ds instanceof SecureDirectoryStream)) {
        ds.close();
        n.close(sub);
        return null;
      }
      SecureDirectoryStream<Path> s = (SecureDirectoryStream<Path>) ds;
      try {
        return new HostDir(p, s, paired(n, s, sub), anchor);
      } catch (IOException | RuntimeException e) {
        s.close();
        return null; // paired closed sub
      }
    } catch (IOException | RuntimeException e) {
      n.close(sub);
      return null;
    }
  }

  /** A second handle on this same directory (for listing it: a stream lists only once). */
  DirectoryStream<Path> list() throws IOException {
    if (sds == null) return Files.newDirectoryStream(path);
    return sds.newDirectoryStream(name("."), LinkOption.NOFOLLOW_LINKS);
  }

  /** Opens the file {@code name} with {@code options}, never following a final symlink. */
  FileChannel openFile(String name, Set<OpenOption> options) throws IOException {
    Set<OpenOption> o = new HashSet<>(options);
    o.add(LinkOption.NOFOLLOW_LINKS);
    if (sds == null) {
      Path p = resolve(name);
      try {
        return FileChannel.open(p, o);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // A FileSystem without symlinks (e.g. zipfs) may refuse the option: nothing to follow.
        if (p.getFileSystem().provider() == FileSystems.getDefault().provider()) throw e;
        return FileChannel.open(p, options);
      }
    }
    SeekableByteChannel ch = sds.newByteChannel(name(name), o);
    if (ch instanceof FileChannel) return (FileChannel) ch;
    ch.close();
    throw new WasiException(Errno.NOTSUP);
  }

  public void deleteFile(String name) throws IOException {
    if (sds == null) Files.delete(resolve(name));
    else sds.deleteFile(name(name));
  }

  public void deleteDirectory(String name) throws IOException {
    if (sds == null) Files.delete(resolve(name));
    else sds.deleteDirectory(name(name));
  }

  /**
   * rename(2) of {@code from} here to {@code toName} in {@code to}: renameat between
   * the two handles on the default provider. Elsewhere by host path: Jimfs's
   * SecureDirectoryStream.move follows a symlink it moves and never replaces, and a
   * Jimfs tree is the instance's own, changed by nothing else while the guest runs.
   */
  public void move(String from, HostDir to, String toName) throws IOException {
    if (sds != null && to.sds != null && path.getFileSystem() == FileSystems.getDefault()) {
      sds.move(name(from), to.sds, name(toName));
    } else {
      // REPLACE_EXISTING: with ATOMIC_MOVE alone, whether an existing target is
      // replaced is up to the provider (Linux's is, Jimfs's refuses with EEXIST)
      Files.move(resolve(from), to.resolve(toName),
          StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The identity of a file (dev and inode on Unix), null when the provider has none. */
  static Object key(BasicFileAttributes a) {
    return a == null ? null : a.fileKey();
  }

  /**
   * The preopen a handle lies beneath: its root handle (whose host path is the host's
   * own, so path-based calls on a plain name in it cannot be redirected by anything
   * inside the sandbox) and the descriptor-held handles whose paths the guest's renames
   * must update.
   */
  static final class Anchor {
    final HostDir root;
    private final Set<HostDir> live = new HashSet<>();

    Anchor(HostDir root) {
      this.root = root;
    }

    synchronized void track(HostDir d) {
      live.add(d);
    }

    synchronized void untrack(HostDir d) {
      live.remove(d);
    }

    /** The guest renamed the directory at host path {@code from} to {@code to}. */
    synchronized void moved(Path from, Path to) {
      for (HostDir d : live) {
        Path p = d.path;
        if (p.startsWith(from)) d.path = to.resolve(from.relativize(p));
      }
    }
  }
}
