package cljwasi.wasi.fs;

import cljwasi.wasi.fd.Filestat;
import cljwasi.wasi.fd.Rights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link NativeFs} through the foreign function API (final since JDK 22): libc's *at
 * calls on Linux, x86-64 and AArch64. Compiled from src/java22 with --release 22 and
 * loaded only by name from {@link NativeFs.Loader}, so JDK 17 never sees this class.
 * {@link #create} returns null unless every check passes, and then nothing else runs:
 * the caller keeps to java.nio.
 */
public final class FfmFs implements NativeFs {
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int O_CLOEXEC = 02000000;
  private static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_BENEATH = 0x08;
  private static final long SYS_OPENAT2 = 437; // the same number on every Linux architecture
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final long UTIME_OMIT = (1L << 30) - 2;
  private static final long NANOS = 1_000_000_000L;

  private final int oDirectory, oNofollow;
  /** File names are encoded as java.nio encodes them, so both name the same entries. */
  private final Charset names;
  private final MethodHandle openat, syscall, close, mkdirat, symlinkat, linkat, readlinkat,
      utimensat, futimens, statx;
  private final long errnoOffset;
  private final StructLayout state;
  /** False when the kernel (or a seccomp filter) refuses openat2. */
  private volatile boolean openat2 = true;

  private FfmFs(int oDirectory, int oNofollow) {
    this.oDirectory = oDirectory;
    this.oNofollow = oNofollow;
    String enc = System.getProperty("sun.jnu.encoding");
    this.names = enc != null && Charset.isSupported(enc) ? Charset.forName(enc) : Charset.defaultCharset();
    Linker linker = Linker.nativeLinker();
    SymbolLookup libc = linker.defaultLookup();
    Linker.Option errno = Linker.Option.captureCallState("errno");
    this.state = Linker.Option.captureStateLayout();
    this.errnoOffset = state.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    openat = handle(linker, libc, "openat",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
        errno, Linker.Option.firstVariadicArg(3));
    syscall = handle(linker, libc, "syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
        errno, Linker.Option.firstVariadicArg(1));
    close = handle(linker, libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    mkdirat = handle(linker, libc, "mkdirat",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
    symlinkat = handle(linker, libc, "symlinkat",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), errno);
    linkat = handle(linker, libc, "linkat",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), errno);
    readlinkat = handle(linker, libc, "readlinkat",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), errno);
    utimensat = handle(linker, libc, "utimensat",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), errno);
    futimens = handle(linker, libc, "futimens",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), errno);
    statx = handle(linker, libc, "statx",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), errno);
  }

  @SuppressWarnings("restricted") // enabled by --enable-native-access, checked in create()
  private static MethodHandle handle(Linker linker, SymbolLookup libc, String name,
      FunctionDescriptor fd, Linker.Option... options) {
    MemorySegment sym = libc.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
    return linker.downcallHandle(sym, fd, options);
  }

  /**
   * The implementation, or null when it cannot be used here: not Linux on x86-64 or
   * AArch64, native access not enabled for this code (then no restricted method is
   * called, so the JDK prints no warning), a libc symbol missing, or a statx of "/"
   * failing (e.g. a seccomp filter). Never throws.
   */
  public static FfmFs create() {
    try {
      if (!System.getProperty("os.name", "").equals("Linux")) return null;
      if (ADDRESS.byteSize() != 8) return null;
      if (!FfmFs.class.getModule().isNativeAccessEnabled()) return null;
      FfmFs fs;
      switch (System.getProperty("os.arch", "")) {
        case "amd64":
        case "x86_64":
          fs = new FfmFs(0200000, 0400000);
          break;
        case "aarch64":
          fs = new FfmFs(040000, 0100000);
          break;
        default:
          return null;
      }
      Filestat root = fs.stat(AT_FDCWD, "/");
      if (root.filetype != Rights.FT_DIRECTORY) return null;
      int probe = fs.openBeneath(AT_FDCWD, ".");
      if (probe >= 0) fs.close(probe);
      else fs.openat2 = false;
      return fs;
    } catch (Throwable t) {
      return null;
    }
  }

  private MemorySegment cstr(Arena a, String s) {
    return a.allocateFrom(s, names);
  }

  private int errno(MemorySegment st) {
    return st.get(JAVA_INT, errnoOffset);
  }

  /** Invokes a handle; a Throwable from it can only be a bug here, so it is not checked. */
  private static long call(MethodHandle h, Object... args) {
    try {
      Object r = h.invokeWithArguments(args);
      return r instanceof Integer ? (Integer) r : (Long) r;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private int open(int dirfd, String path, int flags) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      int fd = (int) call(openat, st, dirfd, cstr(a, path), flags | oDirectory | O_CLOEXEC, 0);
      if (fd < 0) throw NativeFs.failure(errno(st), path);
      return fd;
    }
  }

  @Override
  public int openRoot(String path) throws IOException {
    return open(AT_FDCWD, path, 0);
  }

  @Override
  public int openDir(int dirfd, String name) throws IOException {
    return open(dirfd, name, oNofollow);
  }

  @Override
  public int openBeneath(int dirfd, String path) {
    if (!openat2) return -1;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      MemorySegment how = a.allocate(24, 8); // struct open_how {u64 flags, mode, resolve}
      how.set(JAVA_LONG, 0, (long) (oDirectory | O_CLOEXEC));
      how.set(JAVA_LONG, 8, 0L);
      how.set(JAVA_LONG, 16, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
      long fd = call(syscall, st, SYS_OPENAT2, dirfd, cstr(a, path), how, 24L);
      if (fd >= 0) return (int) fd;
      int e = errno(st);
      if (e == 38 || e == 1) openat2 = false; // ENOSYS, or EPERM from a seccomp filter
      return -1;
    }
  }

  @Override
  public void close(int fd) {
    call(close, fd);
  }

  @Override
  public void mkdir(int dirfd, String name) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      if (call(mkdirat, st, dirfd, cstr(a, name), 0777) != 0) throw NativeFs.failure(errno(st), name);
    }
  }

  @Override
  public void symlink(String target, int dirfd, String name) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      if (call(symlinkat, st, cstr(a, target), dirfd, cstr(a, name)) != 0) {
        throw NativeFs.failure(errno(st), name);
      }
    }
  }

  @Override
  public void link(int fromDir, String from, int toDir, String to) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      if (call(linkat, st, fromDir, cstr(a, from), toDir, cstr(a, to), 0) != 0) {
        throw NativeFs.failure(errno(st), to);
      }
    }
  }

  @Override
  public String readlink(int dirfd, String name) throws IOException {
    for (long cap = 256; ; cap *= 2) {
      try (Arena a = Arena.ofConfined()) {
        MemorySegment st = a.allocate(state);
        MemorySegment buf = a.allocate(cap);
        long n = call(readlinkat, st, dirfd, cstr(a, name), buf, cap);
        if (n < 0) throw NativeFs.failure(errno(st), name);
        if (n < cap) return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), names);
      }
    }
  }

  @Override
  public void setTimes(int dirfd, String name, long atimNanos, long mtimNanos)
      throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      MemorySegment ts = a.allocate(32, 8); // struct timespec[2] {i64 tv_sec, i64 tv_nsec}
      timespec(ts, 0, atimNanos);
      timespec(ts, 16, mtimNanos);
      long r = name == null
          ? call(futimens, st, dirfd, ts)
          : call(utimensat, st, dirfd, cstr(a, name), ts, AT_SYMLINK_NOFOLLOW);
      if (r != 0) throw NativeFs.failure(errno(st), name);
    }
  }

  private static void timespec(MemorySegment ts, long at, long nanos) {
    if (nanos < 0) {
      ts.set(JAVA_LONG, at, 0L);
      ts.set(JAVA_LONG, at + 8, UTIME_OMIT);
    } else {
      ts.set(JAVA_LONG, at, nanos / NANOS);
      ts.set(JAVA_LONG, at + 8, nanos % NANOS);
    }
  }

  @Override
  public Filestat stat(int dirfd, String name) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(state);
      MemorySegment b = a.allocate(256, 8); // struct statx
      int flags = AT_SYMLINK_NOFOLLOW | (name == null ? AT_EMPTY_PATH : 0);
      if (call(statx, st, dirfd, cstr(a, name == null ? "" : name), flags, STATX_BASIC_STATS, b) != 0) {
        throw NativeFs.failure(errno(st), name);
      }
      Filestat s = new Filestat();
      s.nlink = Integer.toUnsignedLong(b.get(JAVA_INT, 16));
      int mode = Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT, 28));
      s.ino = b.get(JAVA_LONG, 32);
      s.size = b.get(JAVA_LONG, 40);
      s.atim = nanos(b, 64);
      s.ctim = nanos(b, 96);
      s.mtim = nanos(b, 112);
      s.dev = makedev(Integer.toUnsignedLong(b.get(JAVA_INT, 136)),
          Integer.toUnsignedLong(b.get(JAVA_INT, 140)));
      s.filetype = HostStat.typeOfMode(mode);
      return s;
    }
  }

  /** A statx_timestamp {i64 tv_sec, u32 tv_nsec} in ns, saturating as FileTime does. */
  private static long nanos(MemorySegment b, long at) {
    long sec = b.get(JAVA_LONG, at);
    long ns = Integer.toUnsignedLong(b.get(JAVA_INT, at + 8));
    if (sec > (Long.MAX_VALUE - ns) / NANOS) return Long.MAX_VALUE;
    if (sec < Long.MIN_VALUE / NANOS + 1) return Long.MIN_VALUE;
    return sec * NANOS + ns;
  }

  /** glibc's makedev: st_dev as stat(2) and java.nio's file keys report it. */
  private static long makedev(long major, long minor) {
    return ((major & 0xfffL) << 8) | ((major & 0xfffff000L) << 32)
        | (minor & 0xffL) | ((minor & 0xffffff00L) << 12);
  }
}
