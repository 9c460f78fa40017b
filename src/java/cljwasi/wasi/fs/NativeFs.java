package cljwasi.wasi.fs;

import cljwasi.wasi.fd.Filestat;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The POSIX *at calls java.nio lacks (mkdirat, symlinkat, linkat, readlinkat,
 * utimensat with AT_SYMLINK_NOFOLLOW, statx, openat2 with RESOLVE_BENEATH), made on
 * raw directory file descriptors. The one place that decides how the sandbox reaches
 * the host: {@link #INSTANCE} is chosen once, when this class is first used. On JDK 22+
 * it is the foreign-function implementation ({@code cljwasi.wasi.fs.FfmFs}, compiled
 * from src/java22 and loaded only by name, so JDK 17 never touches it) provided it
 * passes its self-check: Linux on a 64-bit JVM, native access enabled for this code
 * ({@code --enable-native-access=ALL-UNNAMED}; without it no native call is made, so
 * the JDK never prints its restricted-method warning), the libc symbols present and a
 * real call succeeding. Otherwise, and always on JDK 17-21, it is null and every
 * {@link HostDir} works through java.nio alone (docs/WASI.md, "The filesystem
 * sandbox", says what that path guarantees). The system property
 * {@code cljwasi.native-fs=false} forces the java.nio path.
 *
 * <p>Failures are thrown as IOExceptions that {@code Errno.of} maps: {@link #failure}.
 */
public interface NativeFs {
  /** The implementation in use, or null for java.nio only. */
  NativeFs INSTANCE = Loader.load();

  /** open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), following symlinks (a preopen's root). */
  int openRoot(String path) throws IOException;

  /** openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC). */
  int openDir(int dirfd, String name) throws IOException;

  /**
   * openat2(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, RESOLVE_BENEATH |
   * RESOLVE_NO_MAGICLINKS): the directory {@code path} names beneath {@code dirfd}
   * (symlinks followed only while they stay beneath), or -1 when the kernel lacks
   * openat2 or refuses the path for any reason (the caller then walks it itself, which
   * gives the exact errno, as cap-std does).
   */
  int openBeneath(int dirfd, String path);

  void close(int fd);

  /** mkdirat(dirfd, name, 0777). */
  void mkdir(int dirfd, String name) throws IOException;

  /** symlinkat(target, dirfd, name). */
  void symlink(String target, int dirfd, String name) throws IOException;

  /** linkat(fromDir, from, toDir, to, 0): links the entry itself, never following it. */
  void link(int fromDir, String from, int toDir, String to) throws IOException;

  /** readlinkat(dirfd, name), the whole target whatever its length. */
  String readlink(int dirfd, String name) throws IOException;

  /**
   * utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW), or futimens(dirfd) when
   * {@code name} is null. Times in ns since the epoch; a negative one is left unchanged
   * (UTIME_OMIT).
   */
  void setTimes(int dirfd, String name, long atimNanos, long mtimNanos) throws IOException;

  /**
   * statx(dirfd, name, AT_SYMLINK_NOFOLLOW) (of dirfd itself, with AT_EMPTY_PATH, when
   * {@code name} is null): dev, ino, nlink, size, the three times in ns and the type.
   */
  Filestat stat(int dirfd, String name) throws IOException;

  /** The exception for host errno {@code errno} (Linux numbering) on {@code name}. */
  static IOException failure(int errno, String name) {
    String n = name == null ? "." : name;
    switch (errno) {
      case 2:
        return new NoSuchFileException(n);
      case 17:
        return new FileAlreadyExistsException(n);
      default:
        return new HostErrnoException(errno, n);
    }
  }

  /** A failed native call: {@code Errno.of} maps {@link #errno} (a Linux errno). */
  final class HostErrnoException extends FileSystemException {
    private static final long serialVersionUID = 1L;
    public final int errno;

    public HostErrnoException(int errno, String file) {
      super(file, null, "errno " + errno);
      this.errno = errno;
    }
  }

  /** Chooses {@link #INSTANCE}, once. */
  final class Loader {
    private Loader() {}

    static NativeFs load() {
      if ("false".equals(System.getProperty("cljwasi.native-fs"))) return null;
      if (Runtime.version().feature() < 22) return null;
      try {
        Object impl = Class.forName("cljwasi.wasi.fs.FfmFs").getMethod("create").invoke(null);
        return (NativeFs) impl; // null when its self-check failed
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        return null; // not compiled in (no JDK 22+ javac at build time), or unusable here
      }
    }
  }
}
