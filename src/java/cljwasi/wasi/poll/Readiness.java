package cljwasi.wasi.poll;

/**
 * What poll_oneoff reports for one ready FD_READ or FD_WRITE subscription: the event's
 * error, its nbytes (bytes available to read, or a hint for writes) and whether the
 * stream has hung up (end of input, or the peer closed).
 */
public final class Readiness {
  public final int errno;
  public final long nbytes;
  public final boolean hangup;

  private Readiness(int errno, long nbytes, boolean hangup) {
    this.errno = errno;
    this.nbytes = nbytes;
    this.hangup = hangup;
  }

  /** Ready with {@code nbytes} available (at least 1 is reported, as wasmtime does). */
  public static Readiness ready(long nbytes) {
    return new Readiness(0, Math.max(1, nbytes), false);
  }

  /** End of stream: ready, nbytes 0, FD_READWRITE_HANGUP set. */
  public static Readiness hangup() {
    return new Readiness(0, 0, true);
  }

  /** The subscription fails with {@code errno} (EBADF for an fd that cannot be polled). */
  public static Readiness error(int errno) {
    return new Readiness(errno, 0, false);
  }

  /** Ready with one byte hint: regular files, output streams. */
  public static final Readiness ALWAYS = ready(1);
}
