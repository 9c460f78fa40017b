package cljwasi.wasi;

/** sock_accept, sock_recv, sock_send, sock_shutdown. (Skeleton; the poll/socket owner completes it.) */
final class Sock {
  private Sock() {}

  static void register(WasiHost.Registry r) {}

  /** Opens the :listen sockets as fds after the preopened directories. */
  static void openListeners(WasiContext ctx) {}
}
