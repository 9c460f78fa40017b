package cljwasi.wasi.fs;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A stdio stream: stdin reads from an InputStream, stdout and stderr write to an
 * OutputStream through a buffer that is flushed when an export call returns, before
 * stdin is read, and on close. A read returns what is available (at least one byte, or
 * end of stream), so input that arrives bit by bit streams to the guest.
 */
public final class StreamDescriptor extends Descriptor {
  private final InputStream in;
  private final OutputStream out;
  private final boolean tty;
  private final boolean closeUnderlying;
  private final OutputBudget budget;
  /** Flushed before a read of this input (stdout, so prompts appear before input is awaited). */
  private StreamDescriptor flushBeforeRead;

  private StreamDescriptor(
      InputStream in, OutputStream out, boolean tty, boolean closeUnderlying, OutputBudget budget) {
    super(Rights.STREAM & ~(in == null ? Rights.FD_READ : Rights.FD_WRITE), 0, 0);
    this.in = in;
    this.out = out == null ? null : new BufferedOutputStream(out, 1 << 16);
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

  public InputStream inputStream() {
    return in;
  }

  public boolean isInput() {
    return in != null;
  }

  @Override
  public byte filetype() {
    return tty ? Rights.FT_CHARACTER_DEVICE : Rights.FT_UNKNOWN;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (in == null) throw new WasiException(Errno.BADF);
    if (flushBeforeRead != null) flushBeforeRead.flush();
    if ((fdflags & Rights.FDFLAG_NONBLOCK) != 0 && in.available() <= 0) {
      throw new WasiException(Errno.AGAIN);
    }
    int want = dst.remaining();
    if (want == 0) return 0;
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

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (out == null) throw new WasiException(Errno.BADF);
    int n = budget == null ? src.remaining() : budget.take(src.remaining());
    if (n == 0 && src.hasRemaining()) throw new WasiException(Errno.NOSPC);
    if (src.hasArray()) {
      out.write(src.array(), src.arrayOffset() + src.position(), n);
      src.position(src.position() + n);
    } else {
      byte[] tmp = new byte[n];
      src.get(tmp);
      out.write(tmp);
    }
    return n;
  }

  @Override
  public void flush() throws IOException {
    if (out != null) out.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      if (closeUnderlying) {
        if (in != null) in.close();
        if (out != null) out.close();
      }
    }
  }
}
