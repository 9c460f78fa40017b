package cljwasi.wasi.net;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.poll.Readiness;
import cljwasi.wasi.poll.Waiter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A preopened TCP listener (the :listen option, wasmtime's --tcplisten): a bound
 * ServerSocketChannel the guest accepts connections from with sock_accept. It reads as
 * SOCKET_STREAM in fd_fdstat_get and is FD_READ-ready in poll_oneoff while a connection
 * is pending. The channel is always non-blocking underneath; a blocking accept waits on
 * a selector, so close() from another thread wakes it.
 */
public final class ListenerDescriptor extends ChannelDescriptor {
  static final long RIGHTS = Rights.SOCK_ACCEPT | Rights.POLL_FD_READWRITE
      | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET | Rights.FD_READ | Rights.FD_WRITE;

  private final ServerSocketChannel channel;
  private final InetSocketAddress address;
  private final Runnable beforeWait;

  /** {@code beforeWait} runs before a blocking wait here or on accepted sockets (may be null). */
  public ListenerDescriptor(ServerSocketChannel channel, Runnable beforeWait) throws IOException {
    super(channel, RIGHTS, Rights.SOCKET, 0, beforeWait);
    this.channel = channel;
    this.beforeWait = beforeWait;
    this.address = (InetSocketAddress) channel.getLocalAddress();
  }

  /** The address the listener is bound to (with the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return address;
  }

  public ServerSocketChannel channel() {
    return channel;
  }

  /**
   * sock_accept: the next pending connection as a socket descriptor with {@code flags}.
   * With NONBLOCK on the listener and none pending: EAGAIN; else waits for one.
   */
  public SocketDescriptor accept(int flags) throws IOException {
    checkSocketFlags(flags);
    while (true) {
      SocketChannel sc = channel.accept();
      if (sc != null) {
        // the new socket gets the rights the listener passes on (fd_fdstat_set_rights)
        return new SocketDescriptor(sc, rightsInheriting(), flags, beforeWait);
      }
      if (nonblocking()) throw new WasiException(Errno.AGAIN);
      blocker.await(SelectionKey.OP_ACCEPT);
    }
  }

  /** A listening socket has no data stream: ENOTCONN, as from read(2) on Linux. */
  @Override
  public int read(ByteBuffer dst) {
    throw new WasiException(Errno.NOTCONN);
  }

  @Override
  public int write(ByteBuffer src) {
    throw new WasiException(Errno.NOTCONN);
  }

  /** FD_READ: ready while a connection is pending; FD_WRITE never fires (as on Linux). */
  @Override
  public Readiness poll(boolean read, Waiter w) {
    if (!channel.isOpen()) return Readiness.error(Errno.BADF);
    if (read && w != null && w.ready(channel, SelectionKey.OP_ACCEPT)) return Readiness.ready(1);
    return null;
  }

  @Override
  public void watch(Waiter w, boolean read) throws IOException {
    if (read) w.watch(channel, SelectionKey.OP_ACCEPT);
  }
}
