package cljwasi.wasi;

import cljwasi.engine.LinearMemory;
import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Moves bytes between a guest's iovec lists and a descriptor with at most one copy:
 * the descriptor reads into (or writes from) ByteBuffers that are views of guest
 * memory itself (a {@link LinearMemory}'s array; any other Memory falls back to a
 * bounce array).
 * The one iovec loop that fd_read, fd_pread, fd_write, fd_pwrite, sock_recv and
 * sock_send share.
 */
final class Iovecs {
  private Iovecs() {}

  /** One transfer of a descriptor: moves bytes into or out of {@code b}. */
  @FunctionalInterface
  interface Op {
    /**
     * @param b a view of guest memory (position..limit is the room or the data)
     * @param done bytes already moved by this call (for positional reads and writes)
     * @return bytes moved, which may be fewer than b.remaining()
     */
    int apply(ByteBuffer b, long done) throws IOException;
  }

  private static final int PAGE = Memory.PAGE_SIZE;
  /** Without page views, one iovec reads at most this much at once (a short read). */
  private static final int MAX_BOUNCE = 16 << 20;

  /** The array of {@code mem} if it is a LinearMemory, else null (the bounce path). */
  private static byte[] array(Memory mem) {
    return mem instanceof LinearMemory ? ((LinearMemory) mem).array() : null;
  }

  private static void checkBounds(Memory mem, int ptr, int len) {
    long end = Integer.toUnsignedLong(ptr) + Integer.toUnsignedLong(len);
    if (end > (long) mem.pages() * PAGE) throw new WasiException(Errno.FAULT);
  }

  /** The most iovecs one socket call takes (Linux's IOV_MAX): EINVAL beyond. */
  private static final int MAX_IOVECS = 1024;

  /**
   * Checks a whole iovec list before anything moves (sockets, where input consumed and
   * then not delivered would be lost): EINVAL for more than {@link #MAX_IOVECS} or a
   * length of 2^31 or more, EFAULT for a buffer outside memory. Returns the total length.
   */
  static long check(Memory mem, int iovs, int count) {
    if (count < 0 || count > MAX_IOVECS) throw new WasiException(Errno.INVAL);
    long total = 0;
    for (int i = 0; i < count; i++) {
      int ptr = mem.readInt(iovs + i * 8);
      int len = mem.readInt(iovs + i * 8 + 4);
      if (len < 0) throw new WasiException(Errno.INVAL);
      if (len > 0) checkBounds(mem, ptr, len); // an empty one is never touched
      total += len;
    }
    return total;
  }

  /** An {@link Op} body that moves what it can from {@code src} into {@code dst}. */
  static int move(ByteBuffer src, ByteBuffer dst) {
    int n = Math.min(src.remaining(), dst.remaining());
    int limit = src.limit();
    src.limit(src.position() + n);
    dst.put(src);
    src.limit(limit);
    return n;
  }

  /**
   * Reads from {@code op} into the guest buffers described by {@code count} iovecs at
   * {@code iovs}, iovec after iovec, until a short read (or after the first non-empty
   * iovec when {@code firstOnly}, so a stream never waits for more than it has).
   * An error after some bytes arrived ends the call with the partial count.
   */
  static long readInto(Memory mem, int iovs, int count, boolean firstOnly, Op op)
      throws IOException {
    long total = 0;
    byte[] array = array(mem);
    for (int i = 0; i < count; i++) {
      int ptr = mem.readInt(iovs + i * 8);
      int len = mem.readInt(iovs + i * 8 + 4);
      if (len == 0) continue;
      checkBounds(mem, ptr, len);
      boolean full;
      try {
        if (array != null) {
          int n = op.apply(ByteBuffer.wrap(array, ptr, len), total);
          total += n;
          full = n == len;
        } else {
          byte[] bounce = new byte[Math.min(len, MAX_BOUNCE)];
          int n = op.apply(ByteBuffer.wrap(bounce), total);
          mem.write(ptr, bounce, 0, n);
          total += n;
          full = n == bounce.length && n == len;
        }
      } catch (IOException | WasiException e) {
        if (total == 0) throw e;
        break;
      }
      if (!full || firstOnly) break;
    }
    return total;
  }

  /**
   * Writes every byte of the guest buffers described by the ciovecs to {@code op}
   * (looping until each is taken). An error after some bytes went out ends the call
   * with the partial count.
   */
  static long writeFrom(Memory mem, int iovs, int count, Op op) throws IOException {
    long total = 0;
    byte[] array = array(mem);
    try {
      for (int i = 0; i < count; i++) {
        int ptr = mem.readInt(iovs + i * 8);
        int len = mem.readInt(iovs + i * 8 + 4);
        if (len == 0) continue;
        checkBounds(mem, ptr, len);
        if (array != null) {
          ByteBuffer view = ByteBuffer.wrap(array, ptr, len);
          while (view.hasRemaining()) total += op.apply(view, total);
        } else {
          ByteBuffer buf = ByteBuffer.wrap(mem.readBytes(ptr, len));
          while (buf.hasRemaining()) total += op.apply(buf, total);
        }
      }
    } catch (IOException | WasiException e) {
      if (total == 0) throw e;
    }
    return total;
  }
}
