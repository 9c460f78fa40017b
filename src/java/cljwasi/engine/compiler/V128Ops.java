package cljwasi.engine.compiler;

import cljwasi.engine.LinearMemory;
import cljwasi.engine.Memories;
import cljwasi.engine.interp.Lanes;

/**
 * The runtime of compiled SIMD code: one static method per kind of instruction, called with
 * the instruction's immediates as constant arguments (so that, once HotSpot inlines a call,
 * the lane shape and operation fold away). The lane semantics are the interpreter's
 * ({@link Lanes}), so both engines give the same bits, NaNs included; memory goes through
 * {@link Memories}, with its bounds checks and trap.
 */
public final class V128Ops {
  private V128Ops() {}

  // ---- lane-wise (Lanes.decode) ---------------------------------------------------------------

  public static V128 binary(V128 a, V128 b, Lanes.Op op, Lanes.Shape shape) {
    return new V128(Lanes.binary(op, shape, a.lo, b.lo), Lanes.binary(op, shape, a.hi, b.hi));
  }

  public static V128 unary(V128 a, Lanes.Op op, Lanes.Shape shape) {
    return new V128(Lanes.unary(op, shape, a.lo), Lanes.unary(op, shape, a.hi));
  }

  public static V128 shift(V128 a, int n, Lanes.Op op, Lanes.Shape shape) {
    return new V128(Lanes.shift(op, shape, a.lo, n), Lanes.shift(op, shape, a.hi, n));
  }

  public static int test(V128 a, Lanes.Op op, Lanes.Shape shape) {
    return (int) Lanes.test(op, shape, a.lo, a.hi);
  }

  // ---- float lane arithmetic on one half (SimdCompiler writes the calls in place) -------------
  // Same bits as Lanes' general code: f32/f64 results through Lanes.f32 and Lanes.f64 (a NaN
  // comes out quiet); f32 arithmetic in float gives the same result as Lanes'
  // double-then-round (a double has more than twice an f32's precision).

  private static float f32Lane(long v, int i) {
    return Float.intBitsToFloat((int) (v >>> (32 * i)));
  }

  private static long f32Lanes(float lo, float hi) {
    return Lanes.pack32(Lanes.f32(lo), Lanes.f32(hi));
  }

  private static double f64(long v) {
    return Double.longBitsToDouble(v);
  }

  public static long f32Add(long a, long b) {
    return f32Lanes(f32Lane(a, 0) + f32Lane(b, 0), f32Lane(a, 1) + f32Lane(b, 1));
  }

  public static long f32Sub(long a, long b) {
    return f32Lanes(f32Lane(a, 0) - f32Lane(b, 0), f32Lane(a, 1) - f32Lane(b, 1));
  }

  public static long f32Mul(long a, long b) {
    return f32Lanes(f32Lane(a, 0) * f32Lane(b, 0), f32Lane(a, 1) * f32Lane(b, 1));
  }

  public static long f64Add(long a, long b) {
    return Lanes.f64(f64(a) + f64(b));
  }

  public static long f64Sub(long a, long b) {
    return Lanes.f64(f64(a) - f64(b));
  }

  public static long f64Mul(long a, long b) {
    return Lanes.f64(f64(a) * f64(b));
  }

  // ---- tests ------------------------------------------------------------------------------------

  public static int anyTrue(V128 a) {
    return (a.lo | a.hi) != 0 ? 1 : 0;
  }

  // ---- lanes ------------------------------------------------------------------------------------

  public static V128 splat(long lane, int bits) {
    long v = Lanes.splat(lane, bits);
    return new V128(v, v);
  }

  /** Lane {@code lane} of {@code bits} bits, sign-extended when {@code signed}. */
  public static long extract(V128 a, int lane, int bits, boolean signed) {
    int perHalf = 64 / bits;
    long v = ((lane < perHalf ? a.lo : a.hi) >>> ((lane % perHalf) * bits)) & Lanes.mask(bits);
    int sh = 64 - bits;
    return signed ? (v << sh) >> sh : v;
  }

  /** {@code a} with lane {@code lane} of {@code bits} bits set to the low bits of x. */
  public static V128 replace(V128 a, long x, int lane, int bits) {
    int perHalf = 64 / bits;
    int sh = (lane % perHalf) * bits;
    long mask = Lanes.mask(bits) << sh;
    long v = (x << sh) & mask;
    return lane < perHalf
        ? new V128((a.lo & ~mask) | v, a.hi)
        : new V128(a.lo, (a.hi & ~mask) | v);
  }

  public static V128 swizzle(V128 a, V128 s) {
    return new V128(Lanes.pick(s.lo, a.lo, a.hi, 0, 0, 16), Lanes.pick(s.hi, a.lo, a.hi, 0, 0, 16));
  }

  // ---- widening, narrowing, conversions -----------------------------------------------------

  /** extend_low/high: the lanes of {@code bits} bits of one half, at twice their width. */
  public static V128 extend(V128 a, boolean high, int bits, boolean signed) {
    return widened(high ? a.hi : a.lo, bits, signed);
  }

  private static V128 widened(long half, int bits, boolean signed) {
    return new V128(Lanes.widen(half, bits, signed), Lanes.widen(half >>> 32, bits, signed));
  }

  public static V128 extmul(V128 a, V128 b, boolean high, int bits, boolean signed) {
    long x = high ? a.hi : a.lo;
    long y = high ? b.hi : b.lo;
    return new V128(Lanes.widenMul(x, y, bits, signed),
        Lanes.widenMul(x >>> 32, y >>> 32, bits, signed));
  }

  public static V128 demote(V128 a) {
    return new V128(Lanes.demote(a.lo, a.hi), 0);
  }

  public static V128 promote(V128 a) {
    return new V128(Lanes.promote(a.lo), Lanes.promote(a.lo >>> 32));
  }

  public static V128 convertLow(V128 a, boolean unsigned) {
    return new V128(Lanes.convertLow(a.lo, unsigned), Lanes.convertLow(a.lo >>> 32, unsigned));
  }

  public static V128 truncSatZero(V128 a, boolean unsigned) {
    return new V128(Lanes.truncSatZero(a.lo, a.hi, unsigned), 0);
  }

  // ---- memory -----------------------------------------------------------------------------------

  /** load8x8, load16x4, load32x2: 64 bits whose lanes of {@code bits} bits are widened. */
  public static V128 loadExtend(int addr, int offset, LinearMemory mem, int bits, boolean signed) {
    return widened(Memories.loadLong(addr, offset, mem), bits, signed);
  }

  /** The {@code bits}-bit value at addr + offset, zero-extended. */
  private static long read(int addr, int offset, LinearMemory mem, int bits) {
    switch (bits) {
      case 8:
        return Memories.loadByte(addr, offset, mem) & 0xFFL;
      case 16:
        return Memories.loadShort(addr, offset, mem) & 0xFFFFL;
      case 32:
        return Memories.loadInt(addr, offset, mem) & 0xFFFF_FFFFL;
      default:
        return Memories.loadLong(addr, offset, mem);
    }
  }

  public static V128 loadSplat(int addr, int offset, LinearMemory mem, int bits) {
    return splat(read(addr, offset, mem, bits), bits);
  }

  public static V128 loadZero(int addr, int offset, LinearMemory mem, int bits) {
    return new V128(read(addr, offset, mem, bits), 0);
  }

  public static V128 loadLane(int addr, V128 a, int offset, int lane, int bits, LinearMemory mem) {
    return replace(a, read(addr, offset, mem, bits), lane, bits);
  }

  public static void storeLane(int addr, V128 a, int offset, int lane, int bits, LinearMemory mem) {
    long v = extract(a, lane, bits, false);
    switch (bits) {
      case 8:
        Memories.storeByte(addr, (int) v, offset, mem);
        break;
      case 16:
        Memories.storeShort(addr, (int) v, offset, mem);
        break;
      case 32:
        Memories.storeInt(addr, (int) v, offset, mem);
        break;
      default:
        Memories.storeLong(addr, v, offset, mem);
    }
  }

  // ---- globals ----------------------------------------------------------------------------------

  public static V128 globalGet(int global, Context ctx) {
    var g = ctx.globals[global];
    return new V128(g.getValueLow(), g.getValueHigh());
  }

  public static void globalSet(V128 a, int global, Context ctx) {
    var g = ctx.globals[global];
    g.setValueLow(a.lo);
    g.setValueHigh(a.hi);
  }
}
