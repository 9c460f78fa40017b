package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.poll.InputPump;
import cljwasi.wasi.poll.Pollable;
import cljwasi.wasi.poll.Readiness;
import cljwasi.wasi.poll.Waiter;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A stdio stream: stdin reads from an InputStream, stdout and stderr write to an
 * OutputStream through a buffer that is flushed when an export call returns, before
 * stdin is read, and on close. A read returns what is available (at least one byte, or
 * end of stream), so input that arrives bit by bit streams to the guest.
 *
 * <p>Blocking reads go straight to the InputStream. Polling stdin, or reading it with
 * NONBLOCK when the stream reports nothing available, starts an {@link InputPump}: a
 * daemon thread that reads ahead into a buffer and wakes waiting polls; from then on
 * every read takes from that buffer (so input stays in order). Closing the descriptor
 * stops the pump.
 */
public final class StreamDescriptor extends Descriptor implements Pollable {
  private final InputStream in;
  private final OutputStream out;
  private final boolean tty;
  private final boolean closeUnderlying;
  private final OutputBudget budget;
  /** Flushed before a read of this input (stdout, so prompts appear before input is awaited). */
  private StreamDescriptor flushBeforeRead;
  /** Set by write, cleared by flush: calls that wrote nothing cost no flush. */
  private boolean unflushed;
  /** When the oldest unflushed output was written. */
  private long firstUnflushed;
  /** Buffered output is flushed by the next write once it is this old. */
  private static final long MAX_DELAY_NANOS = 100_000_000L;
  /** Reads ahead once stdin is polled or read without blocking; null until then. */
  private volatile InputPump pump;
  private boolean closed;

  private StreamDescriptor(
      InputStream in, OutputStream out, boolean tty, boolean closeUnderlying, OutputBudget budget) {
    super(Rights.STREAM & ~(in == null ? Rights.FD_READ : Rights.FD_WRITE), 0, 0);
    this.in = in;
    // A file descriptor (the process's own stdout, :inherit) is written straight through,
    // as wasmtime does: output appears as the guest writes it. Other targets (a Writer
    // such as *out*, a capture buffer) get a buffer, flushed as described above and
    // whenever it has held output for MAX_DELAY_NANOS, so progress still shows.
    this.out = out == null ? null
        : out instanceof FileOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
    this.tty = tty;
    this.closeUnderlying = closeUnderlying;
    this.budget = budget;
  }

  public static StreamDescriptor input(InputStream in, boolean tty, boolean closeUnderlying) {
    return new StreamDescriptor(in, null, tty, closeUnderlying, null);
  }

  /** An output stream; writes past {@code budget} fail with ENOSPC, as on a full disk. */
  public static StreamDescriptor output(
      OutputStream out, boolean tty, boolean closeUnderlying, OutputBudget budget) {
    return new StreamDescriptor(null, out, tty, closeUnderlying, budget);
  }

  public void flushBeforeRead(StreamDescriptor d) {
    this.flushBeforeRead = d;
  }

  public boolean isInput() {
    return in != null;
  }

  @Override
  public byte filetype() {
    return tty ? Rights.FT_CHARACTER_DEVICE : Rights.FT_UNKNOWN;
  }

  /** The read-ahead pump, if stdin has been polled or read without blocking (for tests). */
  public InputPump pump() {
    return pump;
  }

  private synchronized InputPump startPump() {
    if (pump == null) {
      if (closed) throw new WasiException(Errno.BADF);
      pump = new InputPump(in, "clj-wasi-stdin-pump");
    }
    return pump;
  }

  private int availableNow() {
    try {
      return in.available();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (in == null) throw new WasiException(Errno.BADF);
    if (flushBeforeRead != null) flushBeforeRead.flush();
    int want = dst.remaining();
    if (want == 0) return 0;
    boolean nonblock = (fdflags & Rights.FDFLAG_NONBLOCK) != 0;
    InputPump p = pump;
    if (p == null && nonblock) {
      int avail = availableNow();
      if (avail > 0) {
        // available() promises this much can be read without blocking
        ByteBuffer part = dst.duplicate();
        part.limit(part.position() + Math.min(want, avail));
        int n = readDirect(part);
        dst.position(part.position());
        return n;
      }
      p = startPump();
    }
    if (p == null) return readDirect(dst);
    try {
      int n = p.read(dst, !nonblock);
      if (n == -2) throw new WasiException(Errno.AGAIN);
      return Math.max(n, 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WasiException(Errno.INTR);
    }
  }

  private int readDirect(ByteBuffer dst) throws IOException {
    int want = dst.remaining();
    int n;
    if (dst.hasArray()) {
      n = in.read(dst.array(), dst.arrayOffset() + dst.position(), want);
      if (n > 0) dst.position(dst.position() + n);
    } else {
      byte[] tmp = new byte[Math.min(want, 1 << 16)];
      n = in.read(tmp);
      if (n > 0) dst.put(tmp, 0, n);
    }
    return Math.max(n, 0);
  }

  /**
   * FD_READ on stdin: ready with the bytes available, hangup at end of input; FD_WRITE on
   * stdout/stderr: always ready. The other direction is EBADF, as in wasmtime.
   */
  @Override
  public Readiness poll(boolean read, Waiter w) {
    if (read != (in != null)) return Readiness.error(Errno.BADF);
    if (!read) return Readiness.ALWAYS;
    InputPump p = pump;
    if (p == null) {
      int avail = availableNow();
      if (avail > 0) return Readiness.ready(avail);
      p = startPump();
    }
    return p.readiness();
  }

  @Override
  public void watch(Waiter w, boolean read) {
    if (!read || in == null) return;
    InputPump p = startPump();
    Runnable wake = w::wake;
    p.addListener(wake);
    w.onClose(() -> p.removeListener(wake));
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (out == null) throw new WasiException(Errno.BADF);
    int n = budget == null ? src.remaining() : budget.take(src.remaining());
    if (src.hasArray()) {
      out.write(src.array(), src.arrayOffset() + src.position(), n);
      src.position(src.position() + n);
    } else {
      byte[] tmp = new byte[n];
      src.get(tmp);
      out.write(tmp);
    }
    if (!unflushed) {
      unflushed = true;
      firstUnflushed = System.nanoTime();
    } else if (System.nanoTime() - firstUnflushed > MAX_DELAY_NANOS) {
      flush();
    }
    return n;
  }

  /** Flushes what the guest wrote since the last flush (nothing to do when nothing was). */
  @Override
  public void flush() throws IOException {
    if (out != null && unflushed) {
      unflushed = false;
      out.flush();
    }
  }

  @Override
  public void close() throws IOException {
    InputPump p;
    synchronized (this) {
      closed = true;
      p = pump;
    }
    try {
      if (p != null) p.close();
      flush();
    } finally {
      if (closeUnderlying) {
        if (in != null) in.close();
        if (out != null) out.close();
      }
    }
  }
}
