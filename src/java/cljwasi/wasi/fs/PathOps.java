package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fs.PathResolver.Resolved;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;

/**
 * The operations java.nio has no handle-relative form of (mkdirat, symlinkat, linkat,
 * readlinkat; utimensat on a symlink), done on a {@link Resolved} so that they cannot
 * act outside the sandbox even while the tree changes under them. Where the handle has
 * a raw fd ({@link NativeFs}, JDK 22+) each is that one *at call on it, with no window.
 * Otherwise (JDK 17-21, or a file system other than the default one):
 *
 * <ul>
 *   <li>mkdir, symlink, link create the new entry by host path in the preopen's root
 *       directory under a random temporary name ({@code .clj-wasi-…}): a path whose
 *       components are the host's own, not the sandbox's, so nothing inside the sandbox
 *       can redirect it. A link is then checked through the root's handle to be the
 *       file seen through the source's handle (its source is a host path, so a swapped
 *       directory could have made it another file), else removed. Finally the entry is
 *       renamed into place with renameat between the handles. In the root itself the
 *       entry is made under its own name directly (link excepted).
 *   <li>Where the target directory is on another file system than the root (a mount
 *       point inside the preopen) the entry is made by host path in place, between a
 *       check that the path names the handle's directory and a check that the entry
 *       appeared in the handle's directory (else EIO).
 *   <li>set_times on a symlink, a special file or a file the host cannot open: by host
 *       path, right after checking that the path names the entry seen through the
 *       handle.
 * </ul>
 *
 * docs/WASI.md ("The filesystem sandbox") states the windows that remain.
 */
public final class PathOps {
  private PathOps() {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Makes a new entry at a host path. */
  @FunctionalInterface
  private interface Maker {
    void make(Path p) throws IOException;
  }

  /** path_create_directory's effect: the directory {@code r.name} in {@code r.dir}. */
  public static void mkdir(Resolved r) throws IOException {
    if (r.dir.fd >= 0) {
      r.dir.nat().mkdir(r.dir.fd, r.name);
      return;
    }
    create(r.dir, r.name, true, false, Files::createDirectory, null);
  }

  /** path_symlink's effect: {@code r.name} in {@code r.dir}, holding {@code target}. */
  public static void symlink(Resolved r, String target) throws IOException {
    if (r.dir.fd >= 0) {
      r.dir.nat().symlink(target, r.dir.fd, r.name);
      return;
    }
    create(r.dir, r.name, false, false,
        p -> Files.createSymbolicLink(p, p.getFileSystem().getPath(target)), null);
  }

  /** path_link's effect: {@code to.name} in {@code to.dir}, a hard link to {@code from}. */
  public static void link(Resolved from, Resolved to) throws IOException {
    if (from.dir.fd >= 0 && to.dir.fd >= 0) {
      to.dir.nat().link(from.dir.fd, from.name, to.dir.fd, to.name);
      return;
    }
    Object want = HostDir.key(from.attrs);
    create(to.dir, to.name, false, true, p -> Files.createLink(p, from.path()),
        (where, name) -> {
          // the source was named by host path: it must be the file the handle saw
          BasicFileAttributes got = where.lstat(name);
          return want != null && got != null && want.equals(HostDir.key(got));
        });
  }

  /** Checks a created entry; false makes {@link #create} remove it and fail. */
  @FunctionalInterface
  private interface Check {
    boolean ok(HostDir where, String name) throws IOException;
  }

  private static void create(HostDir d, String name, boolean directory, boolean viaTemp,
      Maker maker, Check check) throws IOException {
    if (!d.secure()) {
      maker.make(d.resolve(name));
      return;
    }
    HostDir root = d.anchor.root;
    requireSameDirectory(root.path, root, true);
    if (d == root && !viaTemp) {
      maker.make(root.resolve(name));
      return;
    }
    String tmp = ".clj-wasi-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
    try {
      maker.make(root.resolve(tmp));
    } catch (IOException e) {
      if (Errno.of(e) == Errno.XDEV) {
        inPlace(d, name, maker, check);
        return;
      }
      throw e;
    }
    try {
      if (check != null && !check.ok(root, tmp)) throw new WasiException(Errno.PERM);
      if (d.lstat(name) != null) throw new FileAlreadyExistsException(name);
      root.move(tmp, d, name);
    } catch (IOException | RuntimeException e) {
      remove(root, tmp, directory);
      if (e instanceof IOException && Errno.of(e) == Errno.XDEV) {
        inPlace(d, name, maker, check);
        return;
      }
      throw e;
    }
  }

  /** On another file system than the root: by host path in place, checked before and after. */
  private static void inPlace(HostDir d, String name, Maker maker, Check check)
      throws IOException {
    requireSameDirectory(d.path, d, false);
    maker.make(d.resolve(name));
    BasicFileAttributes a = d.lstat(name);
    if (a == null) throw new WasiException(Errno.IO); // it went elsewhere
    if (check != null && !check.ok(d, name)) {
      remove(d, name, a.isDirectory());
      throw new WasiException(Errno.PERM);
    }
  }

  private static void remove(HostDir d, String name, boolean directory) {
    try {
      if (directory) d.deleteDirectory(name);
      else d.deleteFile(name);
    } catch (IOException | RuntimeException e) {
      // already gone
    }
  }

  /** EIO unless host path {@code p} names the directory {@code d} has open. */
  private static void requireSameDirectory(Path p, HostDir d, boolean follow) throws IOException {
    BasicFileAttributes a;
    try {
      a = follow
          ? Files.readAttributes(p, BasicFileAttributes.class)
          : Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new WasiException(Errno.IO);
    }
    Object k = HostDir.key(d.self());
    if (k == null || !k.equals(a.fileKey())) throw new WasiException(Errno.IO);
  }

  /** path_readlink's effect (see {@link PathResolver#readlink}). */
  public static String readlink(Resolved r) throws IOException {
    return PathResolver.readlink(r.dir, r.name, r.attrs);
  }

  /** path_filestat_set_times' effect, on the entry itself (never following it). */
  public static void setTimes(Resolved r, FileTime[] times) throws IOException {
    if (r.dir.fd >= 0 || r.name == null) {
      // utimensat(fd, name, AT_SYMLINK_NOFOLLOW) or futimens on the directory handle
      setTimes(r.dir, r.name, times);
      return;
    }
    BasicFileAttributes a = r.attrs;
    if (!r.dir.secure() || a.isRegularFile() || a.isDirectory()) {
      try {
        HostStat.setTimes(r.dir.view(r.name), times); // openat(O_NOFOLLOW) + futimens
        return;
      } catch (AccessDeniedException e) {
        if (!r.dir.secure()) throw e;
        // not readable by the host: utimensat by path below
      }
    }
    Path p = r.path();
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new WasiException(Errno.IO);
    }
    Object k = HostDir.key(a);
    if (k == null || !k.equals(now.fileKey())) throw new WasiException(Errno.IO);
    HostStat.setTimes(
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS), times);
  }

  /**
   * Sets the times of {@code name} in {@code d} itself (of {@code d} when name is null)
   * through the handle: with one *at call on its fd where it has one (ns exact),
   * else through java.nio's handle-relative view (open O_NOFOLLOW + futimens, or the
   * directory stream's own fd): whole microseconds on JDK 17, whose
   * SecureDirectoryStream sets times with futimes (ns on JDK 25, measured).
   */
  static void setTimes(HostDir d, String name, FileTime[] times) throws IOException {
    if (d.fd < 0) {
      HostStat.setTimes(name == null ? d.selfView() : d.view(name), times);
    } else if (times[0] == null && times[1] == null) {
      d.nat().stat(d.fd, name); // nothing to change, but it must still exist
    } else {
      d.nat().setTimes(d.fd, name, nanosOrOmit(times[0]), nanosOrOmit(times[1]));
    }
  }

  private static long nanosOrOmit(FileTime t) {
    return t == null ? -1 : HostStat.nanos(t);
  }

  /** After path_rename moved a directory: descriptors beneath it now have new host paths. */
  public static void moved(Resolved from, Resolved to) {
    from.dir.anchor.moved(from.path(), to.path());
  }

  /** True when the directory {@code name} in {@code d} has no entries. */
  public static boolean isEmptyDirectory(HostDir d, String name) throws IOException {
    HostDir sub = d.openDir(name);
    try (var ds = sub.list()) {
      return !ds.iterator().hasNext();
    } finally {
      sub.release();
    }
  }
}
