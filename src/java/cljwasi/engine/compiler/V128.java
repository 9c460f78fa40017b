package cljwasi.engine.compiler;

/**
 * A v128 value in compiled code: immutable, its two 64-bit halves in the order of Chicory's
 * boxed convention ({@code lo}: bytes 0..7, lane 0 in the least significant bits; {@code hi}:
 * bytes 8..15). One JVM reference per Wasm value keeps the compiler's stack tracking, locals,
 * {@code select} and branches as they are for scalars; HotSpot's escape analysis removes the
 * allocation of a value that does not outlive the code it is made in.
 */
public final class V128 {
  public static final V128 ZERO = new V128(0, 0);

  public final long lo;
  public final long hi;

  public V128(long lo, long hi) {
    this.lo = lo;
    this.hi = hi;
  }

  public static V128 of(long lo, long hi) {
    return new V128(lo, hi);
  }

  /** Stores {@code v} into {@code longs[i]} and {@code longs[i + 1]} (the boxed convention). */
  public static void box(long[] longs, int i, V128 v) {
    longs[i] = v.lo;
    longs[i + 1] = v.hi;
  }

  /** The v128 at {@code longs[i]}, {@code longs[i + 1]}. */
  public static V128 unbox(long[] longs, int i) {
    return new V128(longs[i], longs[i + 1]);
  }
}
