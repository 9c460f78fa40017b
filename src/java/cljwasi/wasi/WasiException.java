package cljwasi.wasi;

/**
 * Thrown inside a host function to return an errno to the guest. Never escapes a
 * host function: the dispatcher in {@link WasiHost} turns it into the function's
 * return value. No stack trace is filled in: it is a return path, not a failure.
 */
public final class WasiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public final int errno;

  public WasiException(int errno) {
    super(Errno.name(errno), null, false, false);
    this.errno = errno;
  }
}
