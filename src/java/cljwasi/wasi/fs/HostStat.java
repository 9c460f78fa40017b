package cljwasi.wasi.fs;

import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A host file's metadata as a WASI {@link Filestat}, read from a java.nio Path or through
 * a directory handle, and its times set. Uses the "unix" attribute view (dev, ino,
 * nlink, ctime, mode) where the FileSystem has one, else the basic view (dev 0, ino from
 * the file key's hash, nlink 1, ctim = mtim), so any FileSystem provider works.
 */
public final class HostStat {
  private HostStat() {}

  /** The metadata of {@code p}, of the link itself when {@code follow} is false. */
  public static Filestat of(Path p, boolean follow) throws IOException {
    LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    if (p.getFileSystem().supportedFileAttributeViews().contains("unix")) {
      return ofUnix(Files.readAttributes(p, "unix:*", opts));
    }
    return ofBasic(Files.readAttributes(p, BasicFileAttributes.class, opts));
  }

  /**
   * The metadata of {@code name} in {@code d} itself (of {@code d} when name is null),
   * looked up through the handle (statx on its fd where it has one, else
   * fstatat/fstat): NoSuchFileException when it is gone. Without an fd the "unix" attributes (nlink, ctime, mode: no handle-relative form in java.nio) are
   * read by host path and used only when that path names the same file (dev and
   * inode); otherwise nlink is 1, ctim = mtim and the type comes from the basic view.
   */
  public static Filestat of(HostDir d, String name) throws IOException {
    if (d.fd >= 0) return d.nat().stat(d.fd, name); // statx on the handle: everything, ns
    BasicFileAttributes b = name == null ? d.self() : d.lstat(name);
    if (b == null) throw new NoSuchFileException(d.resolve(name).toString());
    Path p = name == null ? d.path : d.resolve(name);
    if (p.getFileSystem().supportedFileAttributeViews().contains("unix")) {
      Object key = b.fileKey();
      try {
        // d's own path may be a symlink (a preopen given as one): follow it, not a name
        Map<String, Object> a = name == null
            ? Files.readAttributes(p, "unix:*")
            : Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        if (key != null && key.equals(a.get("fileKey"))) return ofUnix(a);
      } catch (IOException e) {
        // the path no longer leads to it: the handle's view below
      }
      Filestat s = ofBasic(b);
      long[] devIno = unixKey(key);
      if (devIno != null) {
        s.dev = devIno[0];
        s.ino = devIno[1];
      }
      return s;
    }
    return ofBasic(b);
  }

  private static Filestat ofUnix(Map<String, Object> a) {
    Filestat s = new Filestat();
    s.dev = num(a.get("dev"));
    s.ino = num(a.get("ino"));
    s.nlink = num(a.get("nlink"));
    s.size = num(a.get("size"));
    s.atim = nanos((FileTime) a.get("lastAccessTime"));
    s.mtim = nanos((FileTime) a.get("lastModifiedTime"));
    Object ct = a.get("ctime");
    s.ctim = ct instanceof FileTime ? nanos((FileTime) ct) : s.mtim;
    Object mode = a.get("mode");
    // Jimfs's unix:mode has only the permission bits, not the file type's
    s.filetype = mode instanceof Integer && ((Integer) mode & 0170000) != 0
        ? typeOfMode((Integer) mode)
        : typeOf((Boolean) a.get("isDirectory"), (Boolean) a.get("isRegularFile"),
            (Boolean) a.get("isSymbolicLink"));
    return s;
  }

  private static Filestat ofBasic(BasicFileAttributes b) {
    Filestat s = new Filestat();
    Object key = b.fileKey();
    s.dev = 0;
    s.ino = key == null ? 0 : key.hashCode() & 0xffffffffL;
    s.nlink = 1;
    s.size = b.size();
    s.atim = nanos(b.lastAccessTime());
    s.mtim = nanos(b.lastModifiedTime());
    s.ctim = s.mtim;
    s.filetype = typeOf(b.isDirectory(), b.isRegularFile(), b.isSymbolicLink());
    return s;
  }

  /** dev and ino from the default provider's Unix file key "(dev=HEX,ino=DEC)", else null. */
  static long[] unixKey(Object key) {
    if (key == null) return null;
    String k = key.toString();
    int d = k.indexOf("(dev="), i = k.indexOf(",ino=");
    if (d != 0 || i < 0 || !k.endsWith(")")) return null;
    try {
      return new long[] {
        Long.parseUnsignedLong(k.substring(5, i), 16),
        Long.parseUnsignedLong(k.substring(i + 5, k.length() - 1))
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The WASI filetype of an attribute set. */
  public static byte typeOf(BasicFileAttributes a) {
    return typeOf(a.isDirectory(), a.isRegularFile(), a.isSymbolicLink());
  }

  private static byte typeOf(Boolean dir, Boolean reg, Boolean link) {
    if (Boolean.TRUE.equals(dir)) return Rights.FT_DIRECTORY;
    if (Boolean.TRUE.equals(reg)) return Rights.FT_REGULAR_FILE;
    if (Boolean.TRUE.equals(link)) return Rights.FT_SYMBOLIC_LINK;
    return Rights.FT_UNKNOWN;
  }

  /** The WASI filetype of a POSIX st_mode. */
  public static byte typeOfMode(int mode) {
    switch (mode & 0170000) {
      case 0040000:
        return Rights.FT_DIRECTORY;
      case 0100000:
        return Rights.FT_REGULAR_FILE;
      case 0120000:
        return Rights.FT_SYMBOLIC_LINK;
      case 0020000:
        return Rights.FT_CHARACTER_DEVICE;
      case 0060000:
        return Rights.FT_BLOCK_DEVICE;
      case 0140000:
        return Rights.FT_SOCKET_STREAM;
      default:
        return Rights.FT_UNKNOWN; // fifo: preview1 has no code for it
    }
  }

  private static long num(Object o) {
    return o instanceof Number ? ((Number) o).longValue() : 0;
  }

  /** {@code t} in ns since the epoch. */
  public static long nanos(FileTime t) {
    return t == null ? 0 : t.to(TimeUnit.NANOSECONDS);
  }

  /** Sets the times through {@code view} (a handle's view of a file, never following it). */
  public static void setTimes(BasicFileAttributeView view, FileTime[] times) throws IOException {
    if (times[0] == null && times[1] == null) {
      view.readAttributes(); // nothing to change, but it must still exist
      return;
    }
    view.setTimes(times[1], times[0], null);
  }
}
