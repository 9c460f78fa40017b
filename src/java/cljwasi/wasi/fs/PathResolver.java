package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The only code that turns a guest path into a host path. A guest path is resolved
 * beneath a directory fd physically, one component at a time, the way cap-std (and so
 * wasmtime) does: each component is looked up with lstat in a directory already reached;
 * ".." pops back to the previous directory and may never go above the fd's directory;
 * a symlink is read and its target's components are spliced in, relative to the link's
 * own directory. Absolute guest paths, absolute symlink targets (when followed) and ".."
 * past the start all fail with EPERM (cap-std's "a path led outside of the filesystem",
 * which wasmtime reports as NotPermitted). More than {@link #MAX_FOLLOWS} symlinks give
 * ELOOP; a NUL byte gives EINVAL; an empty path ENOENT; a non-directory used as a
 * directory ENOTDIR (also for a trailing slash after a non-directory).
 *
 * <p>The result is a directory reached without passing any symlink plus one plain final
 * name (no "/", never "." or ".."), so an operation on {@code parent.resolve(name)} with
 * NOFOLLOW_LINKS cannot leave the sandbox. Only java.nio Path and Files are used, so
 * any FileSystem provider works.
 */
public final class PathResolver {
  private PathResolver() {}

  /** Linux's MAXSYMLINKS. */
  public static final int MAX_FOLLOWS = 40;

  /** Where a guest path led. */
  public static final class Resolved {
    /** The directory holding the final component (or the final directory itself). */
    public final Path parent;
    /** The final component, or null when the path names {@link #parent} itself ("." or ".."). */
    public final String name;
    /** True when the path ended in "/" (or a followed final symlink's target did). */
    public final boolean trailingSlash;
    /** lstat of the final entry, or null when it does not exist (or name is null). */
    public final BasicFileAttributes attrs;

    Resolved(Path parent, String name, boolean trailingSlash, BasicFileAttributes attrs) {
      this.parent = parent;
      this.name = name;
      this.trailingSlash = trailingSlash;
      this.attrs = attrs;
    }

    /** The host path named. */
    public Path path() {
      return name == null ? parent : parent.resolve(name);
    }

    public boolean exists() {
      return name == null || attrs != null;
    }

    public boolean isDirectory() {
      return name == null || (attrs != null && attrs.isDirectory());
    }

    public boolean isSymlink() {
      return attrs != null && attrs.isSymbolicLink();
    }
  }

  /**
   * Resolves {@code path} beneath {@code dir}. A final symlink is followed only when
   * {@code followFinal} (or the path ends in "/"); a missing final component is not an
   * error (the caller may create it), a missing intermediate one is ENOENT.
   */
  public static Resolved resolve(DirectoryDescriptor dir, String path, boolean followFinal)
      throws IOException {
    if (path.isEmpty()) throw new WasiException(Errno.NOENT);
    if (path.indexOf('\0') >= 0) throw new WasiException(Errno.INVAL);
    if (path.startsWith("/")) throw new WasiException(Errno.PERM);
    ArrayList<Path> dirs = new ArrayList<>();
    dirs.add(dir.hostPath);
    ArrayDeque<String> queue = new ArrayDeque<>(split(path));
    boolean trailing = path.endsWith("/");
    int follows = 0;
    while (true) {
      String c = queue.pollFirst();
      boolean last = queue.isEmpty();
      Path cur = dirs.get(dirs.size() - 1);
      if (c == null) return new Resolved(cur, null, trailing, null); // e.g. "a/" fully consumed
      if (c.equals(".")) {
        if (last) return new Resolved(cur, null, trailing, null);
        continue;
      }
      if (c.equals("..")) {
        if (dirs.size() == 1) throw new WasiException(Errno.PERM);
        dirs.remove(dirs.size() - 1);
        if (last) return new Resolved(dirs.get(dirs.size() - 1), null, trailing, null);
        continue;
      }
      Path p = cur.resolve(c);
      BasicFileAttributes a = lstat(p);
      if (a == null) {
        if (last) return new Resolved(cur, c, trailing, null);
        throw new WasiException(Errno.NOENT);
      }
      if (a.isSymbolicLink()) {
        if (last && !followFinal && !trailing) return new Resolved(cur, c, false, a);
        if (++follows > MAX_FOLLOWS) throw new WasiException(Errno.LOOP);
        String target = Files.readSymbolicLink(p).toString();
        if (target.isEmpty()) throw new WasiException(Errno.NOENT);
        if (target.startsWith("/")) throw new WasiException(Errno.PERM);
        if (target.indexOf('\0') >= 0) throw new WasiException(Errno.INVAL);
        List<String> parts = split(target);
        if (last && target.endsWith("/")) trailing = true;
        if (parts.isEmpty()) parts = List.of(".");
        for (int i = parts.size() - 1; i >= 0; i--) queue.addFirst(parts.get(i));
        continue;
      }
      if (a.isDirectory()) {
        if (last) return new Resolved(cur, c, trailing, a);
        dirs.add(p);
        continue;
      }
      // a file, device, fifo or socket: only valid as the last component, without "/"
      if (!last || trailing) throw new WasiException(Errno.NOTDIR);
      return new Resolved(cur, c, false, a);
    }
  }

  /** The components of a path, without empty ones (from "//" or a trailing "/"). */
  static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        if (i > start) out.add(path.substring(start, i));
        start = i + 1;
      }
    }
    return out;
  }

  /** lstat, or null when nothing is there. */
  public static BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Checks a symlink target given to path_symlink: EINVAL for NUL, EPERM when absolute. */
  public static void checkSymlinkTarget(String target) {
    if (target.indexOf('\0') >= 0) throw new WasiException(Errno.INVAL);
    if (target.isEmpty()) throw new WasiException(Errno.NOENT);
    if (target.startsWith("/")) throw new WasiException(Errno.PERM);
  }
}
