package cljwasi.wasi.net;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.poll.Readiness;
import cljwasi.wasi.poll.Waiter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A connected TCP socket (from sock_accept). fd_read/sock_recv and fd_write/sock_send
 * work on it; it reads as SOCKET_STREAM in fd_fdstat_get.
 *
 * <p>The channel is always non-blocking underneath; without NONBLOCK in the fdflags a
 * read waits (on a selector, never spinning) for at least one byte and a write for all
 * its bytes to be taken. Java has no MSG_PEEK, so peeked bytes (RECV_PEEK, and bytes
 * read ahead when poll_oneoff checks readiness) wait in a small buffer that later reads
 * drain first.
 */
public final class SocketDescriptor extends ChannelDescriptor {
  private final SocketChannel channel;
  /** Bytes read from the channel but not yet by the guest. */
  private ByteBuffer ahead = ByteBuffer.allocate(0);
  private boolean eof;
  private IOException error;
  private boolean inputShut, outputShut;

  /** {@code beforeWait} runs before a blocking wait (flushes the guest's stdout; may be null). */
  public SocketDescriptor(SocketChannel channel, int fdflags, Runnable beforeWait)
      throws IOException {
    this(channel, Rights.SOCKET, fdflags, beforeWait);
  }

  /** A socket with the rights {@code rights} (those of Rights.SOCKET it may have). */
  public SocketDescriptor(SocketChannel channel, long rights, int fdflags, Runnable beforeWait)
      throws IOException {
    super(channel, rights & Rights.SOCKET, 0, fdflags, beforeWait);
    this.channel = channel;
    channel.socket().setTcpNoDelay(true);
  }

  public SocketChannel channel() {
    return channel;
  }

  public InetSocketAddress remoteAddress() throws IOException {
    return (InetSocketAddress) channel.getRemoteAddress();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return recv(dst, false);
  }

  /**
   * Reads into {@code dst}: what is available, at least one byte unless at end of stream
   * (0) or NONBLOCK with nothing available (EAGAIN). With {@code peek} the bytes stay to
   * be read again.
   */
  public int recv(ByteBuffer dst, boolean peek) throws IOException {
    if (!dst.hasRemaining()) return 0;
    while (!ahead.hasRemaining() && !eof && error == null) {
      if (!peek) {
        int n = readChannel(dst);
        if (n != 0) return Math.max(n, 0);
      } else if (fill(dst.remaining()) != 0) {
        break;
      }
      if (nonblocking()) throw new WasiException(Errno.AGAIN);
      blocker.await(SelectionKey.OP_READ);
    }
    if (ahead.hasRemaining()) {
      int n = Math.min(ahead.remaining(), dst.remaining());
      ByteBuffer part = ahead.duplicate();
      part.limit(part.position() + n);
      dst.put(part);
      if (!peek) ahead.position(ahead.position() + n);
      return n;
    }
    if (error != null) {
      IOException e = error;
      error = null;
      eof = true;
      throw e;
    }
    return 0;
  }

  /** One non-blocking channel read; -1 at EOF (remembered), 0 when nothing is there. */
  private int readChannel(ByteBuffer dst) throws IOException {
    if (inputShut) {
      eof = true;
      return -1;
    }
    int n;
    try {
      n = channel.read(dst);
    } catch (ClosedChannelException e) {
      throw new WasiException(channel.isOpen() ? Errno.NOTCONN : Errno.BADF);
    }
    if (n < 0) eof = true;
    return n;
  }

  /** Reads ahead up to {@code max} bytes into the peek buffer; returns the channel's count. */
  private int fill(int max) throws IOException {
    ByteBuffer tmp = ByteBuffer.allocate(Math.max(1, Math.min(max, 1 << 16)));
    int n;
    try {
      n = readChannel(tmp);
    } catch (WasiException e) {
      throw e;
    } catch (IOException e) {
      error = e;
      return -1;
    }
    if (n > 0) {
      tmp.flip();
      ByteBuffer grown = ByteBuffer.allocate(ahead.remaining() + tmp.remaining());
      grown.put(ahead).put(tmp).flip();
      ahead = grown;
    }
    return n;
  }

  /**
   * Writes all of {@code src}, waiting for room as needed; with NONBLOCK writes what fits
   * now, EAGAIN when nothing does. EPIPE after shutdown of the write side.
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    if (outputShut) throw new WasiException(Errno.PIPE);
    int total = 0;
    while (src.hasRemaining()) {
      int n;
      try {
        n = channel.write(src);
      } catch (ClosedChannelException e) {
        throw new WasiException(!channel.isOpen() ? Errno.BADF : outputShut ? Errno.PIPE : Errno.NOTCONN);
      }
      total += n;
      if (n == 0) {
        if (nonblocking()) {
          if (total == 0) throw new WasiException(Errno.AGAIN);
          break;
        }
        blocker.await(SelectionKey.OP_WRITE);
      }
    }
    return total;
  }

  /** sock_shutdown: {@code how} is SDFLAGS_RD (1), SDFLAGS_WR (2) or both; else EINVAL. */
  public void shutdown(int how) throws IOException {
    if (how < 1 || how > 3) throw new WasiException(Errno.INVAL);
    if (!channel.isConnected()) throw new WasiException(Errno.NOTCONN);
    if ((how & 1) != 0 && !inputShut) {
      channel.shutdownInput();
      inputShut = true;
    }
    if ((how & 2) != 0 && !outputShut) {
      channel.shutdownOutput();
      outputShut = true;
    }
  }

  /**
   * FD_READ: ready with the bytes read ahead, hangup at end of stream or after an error;
   * FD_WRITE: ready while the send buffer has room, hangup after shutdown of writes.
   */
  @Override
  public Readiness poll(boolean read, Waiter w) throws IOException {
    if (!channel.isOpen()) return Readiness.error(Errno.BADF);
    if (read) {
      if (ahead.hasRemaining()) return Readiness.ready(ahead.remaining());
      if (eof || error != null || inputShut) return Readiness.hangup();
      // a non-blocking read ahead answers without the selector (and finds EOF)
      int n = fill(1 << 16);
      if (n > 0) return Readiness.ready(ahead.remaining());
      if (n < 0) return Readiness.hangup();
      return null;
    }
    if (outputShut) return Readiness.hangup();
    if (w != null && w.ready(channel, SelectionKey.OP_WRITE)) return Readiness.ready(1);
    return null;
  }

  @Override
  public void watch(Waiter w, boolean read) throws IOException {
    if (read) {
      if (!eof && !inputShut) w.watch(channel, SelectionKey.OP_READ);
    } else if (!outputShut) {
      w.watch(channel, SelectionKey.OP_WRITE);
    }
  }
}
