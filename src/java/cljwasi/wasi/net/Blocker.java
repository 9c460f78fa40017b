package cljwasi.wasi.net;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.poll.Waiter;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * A socket descriptor's own waiter for blocking operations on its non-blocking channel
 * (output the guest wrote before is flushed first, so a server's log shows as it waits):
 * opened on the first wait, reused after, closed with the descriptor (which wakes a
 * guest thread blocked in it; the operation then fails with EBADF).
 */
final class Blocker {
  private final SelectableChannel channel;
  private final Runnable beforeWait;
  private Waiter waiter;
  private volatile boolean closed;

  /** {@code beforeWait} runs before each wait (flushes the guest's stdout; may be null). */
  Blocker(SelectableChannel channel, Runnable beforeWait) {
    this.channel = channel;
    this.beforeWait = beforeWait;
  }

  /** Waits until the channel may be ready for {@code ops}; EINTR when interrupted. */
  void await(int ops) throws IOException {
    Waiter w;
    synchronized (this) {
      if (closed) throw new WasiException(Errno.BADF);
      if (waiter == null) waiter = new Waiter();
      w = waiter;
    }
    if (beforeWait != null) beforeWait.run();
    try {
      w.watchOnly(channel, ops);
      w.await(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WasiException(Errno.INTR);
    } catch (IOException | RuntimeException e) {
      if (closed || !channel.isOpen()) throw new WasiException(Errno.BADF);
      throw e;
    }
    if (closed) throw new WasiException(Errno.BADF);
  }

  void close() throws IOException {
    Waiter w;
    synchronized (this) {
      closed = true;
      w = waiter;
      waiter = null;
    }
    if (w != null) w.close();
  }
}
