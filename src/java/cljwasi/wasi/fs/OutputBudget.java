package cljwasi.wasi.fs;

import cljwasi.WasmException;
import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import java.util.Map;

/**
 * How many more bytes an instance may write to its stdout and stderr together
 * (:max-output-bytes). Shared by both streams of one instance.
 *
 * <p>The first write past the cap fails with ENOSPC, as on a full disk, so a program can
 * react; a guest that writes again after being told is flooding, and is stopped with a
 * "limit" WasmException. A write refused right after one that emptied the budget is
 * not counted as telling: fd_write swallows that ENOSPC when the same call already
 * wrote something (the guest sees a short write), so the guest is stopped only after
 * an ENOSPC it certainly saw.
 */
public final class OutputBudget {
  private final long max;
  private long remaining;
  /** The budget was emptied by a write that the guest may have seen succeed. */
  private boolean justEmptied;
  /** The guest has been refused with ENOSPC. */
  private boolean told;

  public OutputBudget(long max) {
    this.max = max;
    remaining = max;
  }

  /**
   * Takes up to {@code n} bytes of the budget; returns how many were granted (n when
   * n is 0). Throws ENOSPC when nothing is left, or the "limit" WasmException when the
   * guest was told so before.
   */
  public synchronized int take(int n) {
    if (n == 0) return 0;
    if (remaining == 0) {
      if (justEmptied) {
        justEmptied = false;
      } else if (told) {
        throw new WasmException("limit",
            "the guest kept writing after its output reached :max-output-bytes (" + max
                + " bytes) and a write failed with ENOSPC",
            Map.of("limit", "max-output-bytes", "max-output-bytes", max));
      } else {
        told = true;
      }
      throw new WasiException(Errno.NOSPC);
    }
    int granted = (int) Math.min(n, remaining);
    remaining -= granted;
    if (remaining == 0) justEmptied = true;
    return granted;
  }
}
