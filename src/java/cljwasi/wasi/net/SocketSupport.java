package cljwasi.wasi.net;

import cljwasi.WasmException;
import cljwasi.wasi.WasiContext;
import cljwasi.wasi.WasiException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Preopened listeners: opens the :listen addresses of a context as fds, and says where
 * they ended up bound (kept by the context: {@link WasiContext#boundAddresses}), e.g.
 * the real port behind "127.0.0.1:0".
 */
public final class SocketSupport {
  private SocketSupport() {}

  private static final int BACKLOG = 1024;

  /**
   * Binds a TCP listener for each of {@code ctx.options.listens}, in order, and adds each
   * to the fd table (after the preopened directories). A failure is a WasmException
   * naming the address: "bad-option" (key listen) for an address that cannot name a
   * local socket (unresolved host, nothing to bind), "io" for one the system refuses
   * (port in use, not a local address, not permitted). Listeners already opened stay in
   * the fd table for the context's close to release. Returns the addresses bound, in
   * order (the actual port where port 0 was asked for).
   */
  public static List<InetSocketAddress> openListeners(WasiContext ctx) {
    List<InetSocketAddress> bound = new ArrayList<>();
    for (InetSocketAddress a : ctx.options.listens) {
      ServerSocketChannel ch = null;
      try {
        ch = ServerSocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        ch.bind(a, BACKLOG);
        ListenerDescriptor d = new ListenerDescriptor(ch, ctx::flush);
        ctx.fds.add(d);
        bound.add(d.address());
      } catch (IOException | RuntimeException e) {
        if (ch != null) {
          try {
            ch.close();
          } catch (IOException ignored) {
            // already failing
          }
        }
        throw failure(a, e);
      }
    }
    return List.copyOf(bound);
  }

  private static WasmException failure(InetSocketAddress a, Exception e) {
    String where = a.getHostString() + ":" + a.getPort();
    boolean badAddress = e instanceof UnresolvedAddressException
        || e instanceof UnsupportedAddressTypeException;
    String why = e instanceof WasiException ? "no descriptor left"
        : e.getMessage() != null ? e.getMessage()
        : badAddress ? "cannot resolve the host" : e.getClass().getSimpleName();
    String message = "cannot listen on " + where + ": " + why;
    return badAddress
        ? new WasmException("bad-option", "option :listen: " + message,
            Map.of("key", "listen", "value", where, "expected", "a local host:port to listen on"), e)
        : new WasmException("io", message, Map.of("listen", where), e);
  }
}
