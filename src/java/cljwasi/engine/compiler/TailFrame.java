package cljwasi.engine.compiler;

/**
 * Where a compiled function leaves a tail call for its trampoline ({@link Trampolines}): the
 * callee and its arguments in the boxed {@code long[]} convention. A function that makes tail
 * calls to other functions stores them here and returns a dummy value; the trampoline, which
 * runs at that function's entry, makes the call, so that a chain of tail calls of any length
 * runs in constant JVM stack.
 *
 * <p>One frame per thread and instance ({@link Context#tailFrame}): a pending call lives only
 * from the store to the trampoline's next read, with no call in between (the store is the
 * function's last act), so nested trampolines of the same thread share the frame. Each call
 * of a tail-calling function clears it first, so that a call left pending by a trampoline
 * an interrupt or a stack overflow cut short never runs. Fields are public for the
 * generated classes.
 */
public final class TailFrame {
  /** No call pending. */
  public static final int NONE = -1;

  /** The function index of the pending tail call, or {@link #NONE}. */
  public int callee = NONE;

  /** The thread this frame belongs to (frames are never shared between threads). */
  final Thread owner;

  private long[] args = new long[8];

  TailFrame(Thread owner) {
    this.owner = owner;
  }

  /** The argument buffer, at least {@code n} longs long (reused across tail calls). */
  public long[] args(int n) {
    long[] a = args;
    if (a.length < n) {
      a = new long[Math.max(n, 2 * a.length)];
      args = a;
    }
    return a;
  }

  /** The buffer as it is, for the trampoline that reads what {@link #args(int)} stored. */
  public long[] args() {
    return args;
  }

  /** A pending callee no trampoline case names: a compiler bug, never the module's fault. */
  public static RuntimeException unknownCallee(int funcIdx) {
    return new IllegalStateException("clj-wasi: no trampoline case for function " + funcIdx);
  }
}
