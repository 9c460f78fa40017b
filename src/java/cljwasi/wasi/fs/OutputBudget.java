package cljwasi.wasi.fs;

/**
 * How many more bytes an instance may write to its stdout and stderr together
 * (:max-output-bytes). Shared by both streams of one instance.
 */
public final class OutputBudget {
  private long remaining;

  public OutputBudget(long max) {
    remaining = max;
  }

  /** Takes up to {@code n} bytes of the budget; returns how many were granted. */
  public synchronized int take(int n) {
    int granted = (int) Math.min(n, remaining);
    remaining -= granted;
    return granted;
  }
}
