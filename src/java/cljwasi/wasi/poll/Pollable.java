package cljwasi.wasi.poll;

import java.io.IOException;

/**
 * A descriptor poll_oneoff can wait on. {@link #poll} answers without blocking;
 * {@link #watch} tells a {@link Waiter} what will wake it when the answer may change
 * (a socket channel for its selector, an input pump's listener list).
 */
public interface Pollable {
  /**
   * FD_READ ({@code read}) or FD_WRITE readiness now, or null when not ready yet. {@code w}
   * carries what the waiter's last select saw for channels registered through it (may be
   * null when the caller has no waiter).
   */
  Readiness poll(boolean read, Waiter w) throws IOException;

  /** Registers with {@code w} whatever will wake it when {@link #poll} may turn ready. */
  void watch(Waiter w, boolean read) throws IOException;
}
