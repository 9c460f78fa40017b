package cljwasi.engine.interp;

/**
 * Integer lane operations on one 64-bit half of a v128 as word-parallel bit tricks (SIMD
 * within a register): a few long operations for all lanes instead of a loop over them. Each
 * method is small and branch-free so that HotSpot inlines it into compiled SIMD code and keeps
 * the halves in registers; the lane width is a constant at every call site, so the generic
 * helpers fold to the width's masks. Lane 0 is in the least significant bits.
 */
public final class Swar {
  private Swar() {}

  /** The low bit of every 8-, 16- and 32-bit lane. */
  public static final long LOW8 = 0x0101_0101_0101_0101L;
  public static final long LOW16 = 0x0001_0001_0001_0001L;
  public static final long LOW32 = 0x0000_0001_0000_0001L;
  /** The sign bit of every 8- and 16-bit lane. */
  private static final long H8 = 0x8080_8080_8080_8080L;
  private static final long H16 = 0x8000_8000_8000_8000L;

  // ---- add, sub: the carry out of a lane's top bit must not reach the next lane -------------

  public static long add8(long a, long b) {
    return ((a & ~H8) + (b & ~H8)) ^ ((a ^ b) & H8);
  }

  public static long sub8(long a, long b) {
    return ((a | H8) - (b & ~H8)) ^ ((a ^ ~b) & H8);
  }

  public static long add32(long a, long b) {
    return Lanes.pack32((int) a + (int) b, (int) (a >>> 32) + (int) (b >>> 32));
  }

  public static long sub32(long a, long b) {
    return Lanes.pack32((int) a - (int) b, (int) (a >>> 32) - (int) (b >>> 32));
  }

  public static long mul32(long a, long b) {
    return Lanes.pack32((int) a * (int) b, (int) (a >>> 32) * (int) (b >>> 32));
  }

  public static long add16(long a, long b) {
    return ((a & ~H16) + (b & ~H16)) ^ ((a ^ b) & H16);
  }

  public static long sub16(long a, long b) {
    return ((a | H16) - (b & ~H16)) ^ ((a ^ ~b) & H16);
  }

  /** i16x8.mul: the low 16 bits of each lane's product (the lanes' other bits do not matter). */
  public static long mul16(long a, long b) {
    return mulLow16(a, b) | mulLow16(a >>> 16, b >>> 16) << 16;
  }

  /** The products of lanes 0 and 2 (16 bits each, in place); lanes 1 and 3 zero. */
  private static long mulLow16(long a, long b) {
    return ((int) a * (int) b & 0xFFFFL) | ((int) (a >>> 32) * (int) (b >>> 32) & 0xFFFFL) << 32;
  }

  /** v128.bitselect: the bits of a where c has ones, those of b elsewhere. */
  public static long bitselect(long a, long b, long c) {
    return (a & c) | (b & ~c);
  }

  // ---- comparisons ----------------------------------------------------------------------------

  /** i8x16.eq: 0xFF in every byte where a and b are equal, 0 elsewhere. */
  public static long eq8(long a, long b) {
    long x = a ^ b;
    // top bit of each byte set when the byte of x is not zero (no carry crosses a byte)
    long nonzero = (((x & ~H8) + ~H8) | x) & H8;
    return ((nonzero ^ H8) >>> 7) * 0xFF;
  }

  // ---- shifts (n already taken modulo the lane width) ----------------------------------------

  /** The lane mask {@code bits} wide, in every lane ({@code low}: the low bit of every lane). */
  private static long lanes(long laneBits, long low) {
    return laneBits * low;
  }

  public static long shl(long v, int n, int bits, long low) {
    long mask = (1L << bits) - 1;
    return (v << n) & lanes((mask << n) & mask, low);
  }

  public static long shrU(long v, int n, int bits, long low) {
    long mask = (1L << bits) - 1;
    return (v >>> n) & lanes(mask >>> n, low);
  }

  public static long shrS(long v, int n, int bits, long low) {
    long mask = (1L << bits) - 1;
    long kept = lanes(mask >>> n, low);
    long negative = ((v >>> (bits - 1)) & low) * mask; // all ones in the negative lanes
    return ((v >>> n) & kept) | (negative & ~kept);
  }

  // ---- widening, narrowing, splat ------------------------------------------------------------

  /** i16x8.extadd_pairwise_i8x16_u: each 16-bit lane the sum of its two unsigned bytes. */
  public static long pairwiseU8(long v) {
    long m = 0x00FF_00FF_00FF_00FFL;
    return (v & m) + ((v >>> 8) & m);
  }

  /** i32x4.extadd_pairwise_i16x8_u: each 32-bit lane the sum of its two unsigned 16-bit lanes. */
  public static long pairwiseU16(long v) {
    long m = 0x0000_FFFF_0000_FFFFL;
    return (v & m) + ((v >>> 16) & m);
  }

  private static long clamp(int x, int min, int max) {
    return Math.max(min, Math.min(max, x));
  }

  /** The two i32 lanes of v saturated to [min, max], as two 16-bit lanes (the low 32 bits). */
  public static long narrow32(long v, int min, int max) {
    return (clamp((int) v, min, max) & 0xFFFFL) | (clamp((int) (v >>> 32), min, max) & 0xFFFFL) << 16;
  }

  /** The four i16 lanes of v saturated to [min, max], as four bytes (the low 32 bits). */
  public static long narrow16(long v, int min, int max) {
    return narrow16Pair(v, min, max) | narrow16Pair(v >>> 32, min, max) << 16;
  }

  private static long narrow16Pair(long v, int min, int max) {
    return (clamp((short) v, min, max) & 0xFFL) | (clamp((short) (v >>> 16), min, max) & 0xFFL) << 8;
  }

  /** The low {@code bits} bits of x in every lane ({@code low}: the low bit of every lane). */
  public static long splat(long x, int bits, long low) {
    return bits == 64 ? x : (x & ((1L << bits) - 1)) * low;
  }
}
