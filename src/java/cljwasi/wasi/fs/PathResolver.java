package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The only code that turns a guest path into a host location. A guest path is resolved
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
 * <p>The walk goes through open directory handles ({@link HostDir}, a
 * SecureDirectoryStream where the provider has one): the fd's own handle, then
 * openat(dir, name, O_NOFOLLOW) per directory component, lstat as fstatat on the
 * handle. The result is a handle on the directory holding the final component plus one
 * plain name (no "/", never "." or ".."), and the operation acts on that pair
 * (openat, unlinkat, renameat, fstatat, futimens), so a directory swapped for a symlink
 * after it was checked is never followed: TOCTOU-free. The few calls java.nio only has
 * in path form (readlink, mkdir, symlink, link, lutimes) are made on the handle's raw
 * fd where {@link NativeFs} is in use, else made safe by the callers as docs/WASI.md
 * ("The filesystem sandbox") describes; {@link #readlink} is one.
 *
 * <p>With {@link NativeFs}, the directories before the final component are first
 * opened in one openat2 call with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (as cap-std
 * does for wasmtime); when the kernel lacks it or refuses the path (an escape, a
 * loop, a missing directory), or the final component is a symlink to follow, the
 * component-wise walk above decides, so errnos are the same either way.
 */
public final class PathResolver {
  private PathResolver() {}

  /** Linux's MAXSYMLINKS. */
  public static final int MAX_FOLLOWS = 40;

  /** How often a component that changed between its lstat and its openat is re-examined. */
  static final int MAX_RETRIES = 40;

  /** Where a guest path led; close it to release the directory handle. */
  public static final class Resolved implements AutoCloseable {
    /** The directory holding the final component (or the final directory itself). */
    public final HostDir dir;
    /** The final component, or null when the path names {@link #dir} itself ("." or ".."). */
    public final String name;
    /** True when the path ended in "/" (or a followed final symlink's target did). */
    public final boolean trailingSlash;
    /** lstat of the final entry, or null when it does not exist (or name is null). */
    public final BasicFileAttributes attrs;

    Resolved(HostDir dir, String name, boolean trailingSlash, BasicFileAttributes attrs) {
      this.dir = dir.retain();
      this.name = name;
      this.trailingSlash = trailingSlash;
      this.attrs = attrs;
    }

    /** The host path named, for messages and path-only calls (see {@link HostDir#path}). */
    public Path path() {
      return name == null ? dir.path : dir.resolve(name);
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

    @Override
    public void close() {
      dir.release();
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
    // dirs.get(0) is the fd's own handle (not ours to release); the others were opened here
    HostDir start = dir.handle();
    Resolved fast = beneath(start, path, followFinal);
    if (fast != null) return fast;
    ArrayList<HostDir> dirs = new ArrayList<>();
    dirs.add(start);
    try {
      return walk(dirs, path, followFinal);
    } finally {
      for (int i = 1; i < dirs.size(); i++) dirs.get(i).release();
    }
  }

  /**
   * The openat2 shortcut: the parent directories in one call, then the final component
   * as {@link #walk} treats it; null whenever the walk must decide.
   */
  private static Resolved beneath(HostDir start, String path, boolean followFinal)
      throws IOException {
    if (start.fd < 0) return null;
    int cut = path.endsWith("/") ? path.length() - 1 : path.length();
    int slash = path.lastIndexOf('/', cut - 1);
    if (slash <= 0) return null; // one component: nothing to gain
    String last = path.substring(slash + 1, cut);
    if (last.isEmpty() || last.equals(".") || last.equals("..") || last.indexOf('/') >= 0) {
      return null;
    }
    // without "..": the handle's host path (start's + these names) then names it the
    // way the walk's would, which path_rename's "into itself" check compares
    StringBuilder rel = new StringBuilder();
    for (String c : split(path.substring(0, slash))) {
      if (c.equals("..")) return null;
      if (c.equals(".")) continue;
      if (rel.length() > 0) rel.append('/');
      rel.append(c);
    }
    if (rel.length() == 0) return null;
    HostDir parent = start.openBeneath(rel.toString());
    if (parent == null) return null;
    try {
      boolean trailing = cut < path.length();
      BasicFileAttributes a = parent.lstat(last);
      if (a == null) return new Resolved(parent, last, trailing, null);
      if (a.isSymbolicLink()) {
        return followFinal || trailing ? null : new Resolved(parent, last, false, a);
      }
      if (a.isDirectory()) return new Resolved(parent, last, trailing, a);
      if (trailing) throw new WasiException(Errno.NOTDIR);
      return new Resolved(parent, last, false, a);
    } finally {
      parent.release(); // a Resolved holds its own reference
    }
  }

  private static Resolved walk(ArrayList<HostDir> dirs, String path, boolean followFinal)
      throws IOException {
    ArrayDeque<String> queue = new ArrayDeque<>(split(path));
    boolean trailing = path.endsWith("/");
    int follows = 0;
    int retries = 0;
    while (true) {
      String c = queue.pollFirst();
      boolean last = queue.isEmpty();
      HostDir cur = dirs.get(dirs.size() - 1);
      if (c == null) return new Resolved(cur, null, trailing, null); // e.g. "a/" fully consumed
      if (c.equals(".")) {
        if (last) return new Resolved(cur, null, trailing, null);
        continue;
      }
      if (c.equals("..")) {
        if (dirs.size() == 1) throw new WasiException(Errno.PERM);
        dirs.remove(dirs.size() - 1).release();
        if (last) return new Resolved(dirs.get(dirs.size() - 1), null, trailing, null);
        continue;
      }
      BasicFileAttributes a = cur.lstat(c);
      if (a == null) {
        if (last) return new Resolved(cur, c, trailing, null);
        throw new WasiException(Errno.NOENT);
      }
      if (a.isSymbolicLink()) {
        if (last && !followFinal && !trailing) return new Resolved(cur, c, false, a);
        if (++follows > MAX_FOLLOWS) throw new WasiException(Errno.LOOP);
        String target = readlink(cur, c, a);
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
        HostDir next;
        try {
          next = cur.openDir(c); // openat(O_NOFOLLOW): refuses what replaced the directory
        } catch (IOException e) {
          // it changed since the lstat (a symlink, a file, gone): look at it again
          if (++retries > MAX_RETRIES) throw e;
          queue.addFirst(c);
          continue;
        }
        dirs.add(next);
        continue;
      }
      // a file, device, fifo or socket: only valid as the last component, without "/"
      if (!last || trailing) throw new WasiException(Errno.NOTDIR);
      return new Resolved(cur, c, false, a);
    }
  }

  /**
   * The target of the symlink {@code name} in {@code d}, whose lstat through the handle
   * was {@code seen}: readlinkat on the handle's fd where there is one. java.nio has no
   * readlinkat, so without one the link is read by host path; the
   * path is checked to name the very link seen through the handle (same dev and inode)
   * just before and just after, and the target's length to be the link's size, else the
   * link is looked at again (at most 3 times, then EIO). Outside the window between the
   * two checks, swapping a directory on the path cannot make this read another link.
   */
  public static String readlink(HostDir d, String name, BasicFileAttributes seen)
      throws IOException {
    if (d.fd >= 0) {
      if (seen == null) throw new WasiException(Errno.NOENT);
      if (!seen.isSymbolicLink()) throw new WasiException(Errno.INVAL);
      return d.nat().readlink(d.fd, name); // readlinkat on the handle: no window
    }
    Path p = d.resolve(name);
    if (!d.secure()) return Files.readSymbolicLink(p).toString();
    for (int attempt = 0; attempt < 3; attempt++) {
      if (seen == null) throw new WasiException(Errno.NOENT);
      if (!seen.isSymbolicLink()) throw new WasiException(Errno.INVAL);
      Object k = HostDir.key(seen);
      if (k != null && k.equals(HostDir.key(lstat(p)))) {
        String t = Files.readSymbolicLink(p).toString();
        if (k.equals(HostDir.key(lstat(p))) && sizeFits(t, seen)) return t;
      }
      seen = d.lstat(name);
    }
    throw new WasiException(Errno.IO);
  }

  private static boolean sizeFits(String target, BasicFileAttributes a) {
    // a symlink's st_size is its target's length in bytes (0 on some providers); a
    // target that was not valid in the JVM's file-name encoding cannot be compared
    return a.size() == 0 || target.indexOf('\uFFFD') >= 0
        || target.getBytes(StandardCharsets.UTF_8).length == a.size();
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
