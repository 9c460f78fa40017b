package cljwasi.wasi.fd;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The descriptors of one instance, indexed by fd. Numbering follows wasmtime: a new fd
 * reuses the highest freed number, else takes one past the highest in use.
 */
public final class FdTable {
  private final TreeMap<Integer, Descriptor> used = new TreeMap<>();
  private final TreeSet<Integer> free = new TreeSet<>();

  /** The descriptor at {@code fd}, or EBADF. */
  public Descriptor get(int fd) {
    Descriptor d = used.get(fd);
    if (d == null) throw new WasiException(Errno.BADF);
    return d;
  }

  /** The descriptor at {@code fd} if it is of {@code kind}, else the errno {@code wrongKind}. */
  public <T extends Descriptor> T get(int fd, Class<T> kind, int wrongKind) {
    Descriptor d = get(fd);
    if (!kind.isInstance(d)) throw new WasiException(wrongKind);
    return kind.cast(d);
  }

  /** Adds {@code d} under a new fd and returns the fd (EMFILE when none is left). */
  public int add(Descriptor d) {
    Integer fd = free.pollLast();
    if (fd == null) {
      fd = used.isEmpty() ? 0 : used.lastKey() + 1;
      if (fd < 0) throw new WasiException(Errno.MFILE);
    }
    used.put(fd, d);
    return fd;
  }

  /**
   * Adds {@code d}, which the caller has just opened, under a new fd; when that fails
   * (EMFILE) closes it, so the host resource does not leak, and rethrows.
   */
  public int addOrClose(Descriptor d) throws IOException {
    try {
      return add(d);
    } catch (RuntimeException e) {
      try {
        d.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Removes {@code fd} from the table (without closing it) and returns it. */
  public Descriptor remove(int fd) {
    Descriptor d = get(fd);
    used.remove(fd);
    free.add(fd);
    return d;
  }

  /**
   * fd_renumber: moves {@code from} onto {@code to}, closing what {@code to} held. As in
   * wasmtime, both must be open (EBADF otherwise), so a guest can only replace one of its
   * descriptors, never pick a number of its own; renumbering an fd onto itself does nothing.
   */
  public void renumber(int from, int to) throws IOException {
    Descriptor dst = get(to);
    Descriptor src = get(from);
    if (from == to) return;
    used.put(to, src);
    used.remove(from);
    free.add(from);
    dst.close();
  }

  /** The open fds, lowest first. */
  public List<Integer> openFds() {
    return new ArrayList<>(used.keySet());
  }


  /** Closes every descriptor; reports the first failure after trying all. */
  public void closeAll() throws IOException {
    IOException first = null;
    for (Map.Entry<Integer, Descriptor> e : used.descendingMap().entrySet()) {
      try {
        e.getValue().close();
      } catch (IOException | RuntimeException ex) {
        if (first == null) first = ex instanceof IOException ? (IOException) ex : new IOException(ex);
      }
    }
    used.clear();
    free.clear();
    if (first != null) throw first;
  }
}
