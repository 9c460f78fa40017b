package cljwasi.wasi;

import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.net.ChannelDescriptor;
import cljwasi.wasi.net.ListenerDescriptor;
import cljwasi.wasi.net.SocketDescriptor;
import java.nio.ByteBuffer;

/**
 * sock_accept, sock_recv, sock_send, sock_shutdown over the preopened TCP listeners
 * (:listen) and the connections accepted from them. An fd that is not a socket gives
 * ENOTSOCK, a closed one EBADF; a listener where a connection is needed ENOTCONN.
 */
final class SockFunctions {
  private SockFunctions() {}

  static final int RIFLAGS_RECV_PEEK = 1, RIFLAGS_RECV_WAITALL = 2;
  static final int SDFLAGS_RD = 1, SDFLAGS_WR = 2;

  static void register(WasiHost.Registry r) {
    // sock_accept(fd, flags, ro_fd_ptr)
    // fd: a listener; flags: fdflags for the new socket (only NONBLOCK allowed).
    // writes: u32 new fd at ro_fd_ptr.
    // errnos: success, badf (no such fd), notsock (not a socket), inval (fd is a
    // connected socket, or flags other than NONBLOCK), again (listener NONBLOCK and no
    // connection pending), notcapable (no SOCK_ACCEPT right), intr, fault.
    r.fn("sock_accept", "fd flags ro_fd_ptr", (ctx, mem, a) -> {
      Descriptor d = socket(ctx, (int) a[0]);
      if (!(d instanceof ListenerDescriptor)) throw new WasiException(Errno.INVAL);
      d.require(Rights.SOCK_ACCEPT);
      int flags = (int) a[1] & 0xffff;
      mem.readInt((int) a[2]); // fault before accepting, not after
      int fd = ctx.fds.addOrClose(((ListenerDescriptor) d).accept(flags));
      mem.writeI32((int) a[2], fd);
      return Errno.SUCCESS;
    });

    // sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr)
    // reads: the iovec array (ptr u32, len u32) at ri_data; fills those buffers with
    // what is available (waits for >= 1 byte unless NONBLOCK; RECV_WAITALL waits for all
    // or end of stream; RECV_PEEK leaves the bytes to be read again).
    // writes: u32 byte count at ro_datalen_ptr, u16 roflags (0: TCP never truncates) at
    // ro_flags_ptr.
    // errnos: success, badf, notsock, notconn (a listener), notsup (unknown ri_flags),
    // again (NONBLOCK, nothing to read), connreset, notcapable (no FD_READ), intr, fault.
    r.fn("sock_recv", "fd ri_data ri_data_len ri_flags ro_datalen_ptr ro_flags_ptr",
        (ctx, mem, a) -> {
          SocketDescriptor s = connected(ctx, (int) a[0]);
          s.require(Rights.FD_READ);
          int riFlags = (int) a[3] & 0xffff;
          if ((riFlags & ~(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL)) != 0) {
            throw new WasiException(Errno.NOTSUP);
          }
          // every iovec is checked before any input is consumed, so a bad one loses nothing
          long total = Iovecs.check(mem, (int) a[1], (int) a[2]);
          // Java has no MSG_PEEK or MSG_WAITALL: the bytes come into one buffer, then go
          // to the iovecs in order
          ByteBuffer bb = ByteBuffer.allocate((int) Math.min(total, 1 << 24));
          boolean peek = (riFlags & RIFLAGS_RECV_PEEK) != 0;
          int n = s.recv(bb, peek);
          if ((riFlags & RIFLAGS_RECV_WAITALL) != 0 && !peek) {
            // MSG_WAITALL: keep reading until full or end of stream (a short count then)
            while (n > 0 && bb.hasRemaining()) {
              int more;
              try {
                more = s.recv(bb, false);
              } catch (WasiException e) {
                if (e.errno == Errno.AGAIN) break; // NONBLOCK: what there is
                throw e;
              }
              if (more == 0) break;
              n += more;
            }
          }
          bb.flip();
          Iovecs.readInto(mem, (int) a[1], (int) a[2], false, (b, done) -> Iovecs.move(bb, b));
          mem.writeI32((int) a[4], n);
          mem.writeShort((int) a[5], (short) 0);
          return Errno.SUCCESS;
        });

    // sock_send(fd, si_data, si_data_len, si_flags, so_datalen_ptr)
    // reads: the ciovec array (ptr u32, len u32) at si_data and the bytes it names;
    // sends them all (waiting for room) unless NONBLOCK, which sends what fits now.
    // si_flags has no defined bits and is ignored.
    // writes: u32 bytes sent at so_datalen_ptr.
    // errnos: success, badf, notsock, notconn (a listener), again (NONBLOCK, no room),
    // pipe (writes shut down or peer gone), connreset, notcapable (no FD_WRITE), intr,
    // fault.
    r.fn("sock_send", "fd si_data si_data_len si_flags so_datalen_ptr", (ctx, mem, a) -> {
      SocketDescriptor s = connected(ctx, (int) a[0]);
      s.require(Rights.FD_WRITE);
      if (Iovecs.check(mem, (int) a[1], (int) a[2]) > Integer.MAX_VALUE) {
        throw new WasiException(Errno.INVAL);
      }
      // straight from guest memory; a socket write takes all unless NONBLOCK, whose
      // EAGAIN after some bytes ends the call with their count
      long n = Iovecs.writeFrom(mem, (int) a[1], (int) a[2], (b, done) -> s.write(b));
      mem.writeI32((int) a[4], (int) n);
      return Errno.SUCCESS;
    });

    // sock_shutdown(fd, how)
    // how: SDFLAGS_RD (1), SDFLAGS_WR (2) or both (3). No memory.
    // errnos: success, badf, notsock, notconn (a listener, or not connected), inval (how
    // not 1..3), notcapable (no SOCK_SHUTDOWN right).
    r.fn("sock_shutdown", "fd how", (ctx, mem, a) -> {
      int how = (int) a[1] & 0xff;
      SocketDescriptor s = connected(ctx, (int) a[0]);
      s.require(Rights.SOCK_SHUTDOWN);
      s.shutdown(how);
      return Errno.SUCCESS;
    });
  }

  private static Descriptor socket(WasiContext ctx, int fd) {
    Descriptor d = ctx.fds.get(fd);
    if (!(d instanceof ChannelDescriptor)) {
      throw new WasiException(Errno.NOTSOCK);
    }
    return d;
  }

  private static SocketDescriptor connected(WasiContext ctx, int fd) {
    Descriptor d = socket(ctx, fd);
    if (!(d instanceof SocketDescriptor)) throw new WasiException(Errno.NOTCONN);
    return (SocketDescriptor) d;
  }
}
