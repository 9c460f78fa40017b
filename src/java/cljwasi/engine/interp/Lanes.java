package cljwasi.engine.interp;

import com.dylibso.chicory.wasm.types.OpCode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lane-wise SIMD operations of {@link Interpreter}, on one 64-bit half of a v128 at a
 * time (lane 0 in the least significant bits).
 *
 * <p>Each opcode is decoded once, into a lane operation and a lane shape ({@link #decode}),
 * from its name: {@code I16x8_ADD_SAT_S} is {@link Op#ADD_SAT_S} on 16-bit integer lanes,
 * {@code F32x4_PMIN} is {@link Op#PMIN} on 32-bit float lanes. Every operation is then
 * written once, for any lane width: integer lanes are sign- or zero-extended to a long,
 * float lanes widened to a double (exact, and f32 arithmetic done in double and rounded
 * once gives the f32 result: a double has more than twice an f32's precision).
 */
public final class Lanes {
  private Lanes() {}

  /** How an operation takes its operands from the stack. */
  public enum Arity {
    /** v128 v128 -> v128. */
    BINARY,
    /** v128 -> v128. */
    UNARY,
    /** v128 i32 -> v128. */
    SHIFT,
    /** v128 -> i32. */
    TEST
  }

  /** Lane operations, independent of the lane shape. */
  public enum Op {
    AND(Arity.BINARY), ANDNOT(Arity.BINARY), OR(Arity.BINARY), XOR(Arity.BINARY),
    EQ(Arity.BINARY), NE(Arity.BINARY),
    LT_S(Arity.BINARY), LT_U(Arity.BINARY), GT_S(Arity.BINARY), GT_U(Arity.BINARY),
    LE_S(Arity.BINARY), LE_U(Arity.BINARY), GE_S(Arity.BINARY), GE_U(Arity.BINARY),
    LT(Arity.BINARY), GT(Arity.BINARY), LE(Arity.BINARY), GE(Arity.BINARY),
    ADD(Arity.BINARY), SUB(Arity.BINARY), MUL(Arity.BINARY), DIV(Arity.BINARY),
    ADD_SAT_S(Arity.BINARY), ADD_SAT_U(Arity.BINARY),
    SUB_SAT_S(Arity.BINARY), SUB_SAT_U(Arity.BINARY),
    MIN_S(Arity.BINARY), MIN_U(Arity.BINARY), MAX_S(Arity.BINARY), MAX_U(Arity.BINARY),
    MIN(Arity.BINARY), MAX(Arity.BINARY), PMIN(Arity.BINARY), PMAX(Arity.BINARY),
    AVGR_U(Arity.BINARY), Q15MULR_SAT_S(Arity.BINARY), DOT_S(Arity.BINARY),
    ABS(Arity.UNARY), NEG(Arity.UNARY), POPCNT(Arity.UNARY),
    SQRT(Arity.UNARY), CEIL(Arity.UNARY), FLOOR(Arity.UNARY), TRUNC(Arity.UNARY),
    NEAREST(Arity.UNARY),
    EXTADD_PAIRWISE_S(Arity.UNARY), EXTADD_PAIRWISE_U(Arity.UNARY),
    TRUNC_SAT_S(Arity.UNARY), TRUNC_SAT_U(Arity.UNARY),
    CONVERT_S(Arity.UNARY), CONVERT_U(Arity.UNARY),
    SHL(Arity.SHIFT), SHR_S(Arity.SHIFT), SHR_U(Arity.SHIFT),
    ALL_TRUE(Arity.TEST), BITMASK(Arity.TEST);

    public final Arity arity;
    /** EQ ... GE_U: a comparison, giving all ones or all zeros per lane. */
    final boolean compare;
    /** Compares (or saturates, averages ...) as unsigned: the _U operations. */
    final boolean unsigned;

    Op(Arity arity) {
      this.arity = arity;
      this.compare = name().matches("(EQ|NE|LT|GT|LE|GE)(_S|_U)?");
      this.unsigned = name().endsWith("_U");
    }
  }

  /** Whether comparison {@code op} holds for the three-way comparison result {@code c}. */
  private static boolean holds(Op op, int c) {
    switch (op) {
      case EQ:
        return c == 0;
      case NE:
        return c != 0;
      case LT_S:
      case LT_U:
      case LT:
        return c < 0;
      case GT_S:
      case GT_U:
      case GT:
        return c > 0;
      case LE_S:
      case LE_U:
      case LE:
        return c <= 0;
      default:
        return c >= 0;
    }
  }

  /** Lane shapes: the width in bits and whether lanes are floats. */
  public enum Shape {
    I8(8, false), I16(16, false), I32(32, false), I64(64, false), F32(32, true), F64(64, true);

    public final int bits;
    final boolean isFloat;
    /** The bits of one lane (all ones for 64). */
    final long mask;
    /** The sign bit of every lane of a half. */
    final long signs;

    Shape(int bits, boolean isFloat) {
      this.bits = bits;
      this.isFloat = isFloat;
      this.mask = bits == 64 ? -1L : (1L << bits) - 1;
      long s = 0;
      for (int i = bits - 1; i < 64; i += bits) s |= 1L << i;
      this.signs = s;
    }
  }

  /** A decoded opcode: what to do, on which lanes. */
  public static final class Decoded {
    public final Op op;
    public final Shape shape;

    Decoded(Op op, Shape shape) {
      this.op = op;
      this.shape = shape;
    }
  }

  private static final Decoded[] DECODED = new Decoded[OpCode.values().length];

  /** SHAPE_OP, with any operand shape inside OP dropped ({@code DOT_I16x8_S} is DOT_S). */
  private static final Pattern NAME =
      Pattern.compile("(V128|I8x16|I16x8|I32x4|I64x2|F32x4|F64x2)_(.+)");
  private static final Pattern INNER_SHAPE = Pattern.compile("_(I8x16|I16x8|I32x4|I64x2|F32[xX]4|F64x2)");

  static {
    for (OpCode code : OpCode.values()) {
      Matcher m = NAME.matcher(code.name());
      if (!m.matches()) continue;
      String op = INNER_SHAPE.matcher(m.group(2)).replaceAll("");
      Op lane;
      try {
        lane = Op.valueOf(op);
      } catch (IllegalArgumentException e) {
        continue; // not lane-wise: loads, shuffles, extends ... (Interpreter's own cases)
      }
      Shape shape;
      switch (m.group(1)) {
        case "I8x16": shape = Shape.I8; break;
        case "I16x8": shape = Shape.I16; break;
        case "I32x4": shape = Shape.I32; break;
        case "F32x4": shape = Shape.F32; break;
        case "F64x2": shape = Shape.F64; break;
        default: shape = Shape.I64; // I64x2, and the bitwise V128 operations
      }
      if (m.group(1).equals("V128") && lane.arity != Arity.BINARY) continue; // V128_ANY_TRUE...
      DECODED[code.ordinal()] = new Decoded(lane, shape);
    }
  }

  /** By opcode: the lane width it works on (see {@link #width}); 0 for the others. */
  private static final int[] WIDTH = new int[OpCode.values().length];
  /** By opcode: whether it takes its lanes as signed (all but the _U ones). */
  private static final boolean[] SIGNED = new boolean[OpCode.values().length];
  private static final Pattern MEMORY = Pattern.compile("V128_(LOAD|STORE)(8|16|32|64).*");

  static {
    for (OpCode code : OpCode.values()) {
      String n = code.name();
      Matcher mem = MEMORY.matcher(n);
      int w;
      if (mem.matches()) {
        w = Integer.parseInt(mem.group(2)); // load8x8: 8, load32_zero: 32, store16_lane: 16
      } else if (n.contains("EXTEND_") || n.contains("EXTMUL_")) {
        w = shapeBits(n) / 2; // the narrow source lanes
      } else if (n.contains("NARROW_")) {
        w = shapeBits(n); // the narrow result lanes
      } else {
        w = shapeBits(n);
      }
      WIDTH[code.ordinal()] = w;
      SIGNED[code.ordinal()] = !n.endsWith("_U");
    }
  }

  private static int shapeBits(String name) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) return 0;
    switch (m.group(1)) {
      case "I8x16": return 8;
      case "I16x8": return 16;
      case "I32x4": case "F32x4": return 32;
      case "I64x2": case "F64x2": return 64;
      default: return 0; // V128
    }
  }

  /**
   * The lane width {@code op} works on: its shape's for splat, extract and replace lane;
   * the memory width for loads and stores of lanes (load8x8: 8, load32_zero: 32); the
   * narrow lanes of extend, extmul (source) and narrow (result).
   */
  public static int width(OpCode op) {
    return WIDTH[op.ordinal()];
  }

  /** Whether {@code op} takes its lanes as signed (all but the _U opcodes). */
  public static boolean signed(OpCode op) {
    return SIGNED[op.ordinal()];
  }

  /** The lane operation and shape of {@code op}, or null when it is not lane-wise. */
  public static Decoded decode(OpCode op) {
    return DECODED[op.ordinal()];
  }

  // ---- binary -------------------------------------------------------------------------------

  /** {@code op} on the lanes of one half of two v128 values. */
  public static long binary(Op op, Shape shape, long a, long b) {
    switch (op) {
      case AND:
        return a & b;
      case ANDNOT:
        return a & ~b;
      case OR:
        return a | b;
      case XOR:
        return a ^ b;
      default:
        break;
    }
    if (shape == Shape.I8 && op == Op.ADD) return Swar.add8(a, b);
    if (shape == Shape.I8 && op == Op.SUB) return Swar.sub8(a, b);
    int bits = shape.bits;
    if (bits == 64) return shape.isFloat ? floatLane(op, false, a, b) : intLane(op, 64, a, b);
    long r = 0;
    for (int s = 0; s < 64; s += bits) {
      long x = (a >>> s) & shape.mask;
      long y = (b >>> s) & shape.mask;
      long v = shape.isFloat ? floatLane(op, true, x, y) : intLane(op, bits, x, y);
      r |= (v & shape.mask) << s;
    }
    return r;
  }

  /** {@code op} on one integer lane of {@code bits} bits (in the low bits of a and b). */
  private static long intLane(Op op, int bits, long a, long b) {
    int sh = 64 - bits;
    long x = (a << sh) >> sh; // signed
    long y = (b << sh) >> sh;
    long ux = (a << sh) >>> sh; // unsigned
    long uy = (b << sh) >>> sh;
    long max = (1L << (bits - 1)) - 1; // signed range, used for bits < 64 only
    long min = -max - 1;
    if (op.compare) {
      return holds(op, op.unsigned ? Long.compareUnsigned(ux, uy) : Long.compare(x, y)) ? -1 : 0;
    }
    switch (op) {
      case ADD:
        return x + y;
      case SUB:
        return x - y;
      case MUL:
        return x * y;
      case ADD_SAT_S:
        return Math.max(min, Math.min(max, x + y));
      case ADD_SAT_U:
        return Math.min(2 * max + 1, ux + uy);
      case SUB_SAT_S:
        return Math.max(min, Math.min(max, x - y));
      case SUB_SAT_U:
        return Math.max(0, ux - uy);
      case MIN_S:
        return Math.min(x, y);
      case MIN_U:
        return Long.compareUnsigned(ux, uy) <= 0 ? ux : uy;
      case MAX_S:
        return Math.max(x, y);
      case MAX_U:
        return Long.compareUnsigned(ux, uy) >= 0 ? ux : uy;
      case AVGR_U:
        return (ux + uy + 1) >>> 1;
      case Q15MULR_SAT_S:
        return Math.max(min, Math.min(max, (x * y + 0x4000) >> 15));
      case DOT_S: // i32x4.dot_i16x8_s: the two 16-bit halves of each 32-bit lane
        return (short) a * (short) b + (short) (a >>> 16) * (short) (b >>> 16);
      default:
        throw new IllegalStateException(op + " on integer lanes");
    }
  }

  /** {@code op} on one float lane (f32 bits in the low 32 bits when {@code f32}). */
  private static long floatLane(Op op, boolean f32, long ab, long bb) {
    double x = f32 ? Float.intBitsToFloat((int) ab) : Double.longBitsToDouble(ab);
    double y = f32 ? Float.intBitsToFloat((int) bb) : Double.longBitsToDouble(bb);
    if (op.compare) { // unordered (a NaN): only NE holds; -0.0 equals +0.0
      if (x != x || y != y) return op == Op.NE ? -1 : 0;
      return holds(op, x < y ? -1 : x > y ? 1 : 0) ? -1 : 0;
    }
    switch (op) {
      case ADD:
        return floatBits(f32, x + y);
      case SUB:
        return floatBits(f32, x - y);
      case MUL:
        return floatBits(f32, x * y);
      case DIV:
        return floatBits(f32, x / y);
      case MIN:
        return floatBits(f32, Math.min(x, y)); // NaN if either is NaN; -0.0 < +0.0
      case MAX:
        return floatBits(f32, Math.max(x, y));
      case PMIN:
        return y < x ? bb : ab;
      case PMAX:
        return x < y ? bb : ab;
      default:
        throw new IllegalStateException(op + " on float lanes");
    }
  }

  /** The bits of a float result; any NaN comes out quiet (an "arithmetic NaN" in Wasm's terms). */
  private static long floatBits(boolean f32, double d) {
    return f32 ? f32((float) d) & 0xFFFF_FFFFL : f64(d);
  }

  public static int f32(float f) {
    int bits = Float.floatToRawIntBits(f);
    return f != f ? bits | 0x0040_0000 : bits;
  }

  public static long f64(double d) {
    long bits = Double.doubleToRawLongBits(d);
    return d != d ? bits | 0x0008_0000_0000_0000L : bits;
  }

  // ---- unary --------------------------------------------------------------------------------

  /** {@code op} on the lanes of one half. */
  public static long unary(Op op, Shape shape, long v) {
    if (shape.isFloat && op == Op.ABS) return v & ~shape.signs; // bits only, NaNs kept
    if (shape.isFloat && op == Op.NEG) return v ^ shape.signs;
    int bits = shape.bits;
    long r = 0;
    for (int s = 0; s < 64; s += bits) {
      r |= (unaryLane(op, shape, (v >>> s) & shape.mask) & shape.mask) << s;
    }
    return r;
  }

  private static long unaryLane(Op op, Shape shape, long v) {
    int bits = shape.bits;
    int sh = 64 - bits;
    long x = (v << sh) >> sh;
    if (shape.isFloat) {
      boolean f32 = bits == 32;
      switch (op) {
        case CONVERT_S: // f32x4.convert_i32x4_s: the lane holds an i32
          return Float.floatToRawIntBits((float) (int) v);
        case CONVERT_U:
          return Float.floatToRawIntBits((float) v);
        default:
          break;
      }
      double d = f32 ? Float.intBitsToFloat((int) v) : Double.longBitsToDouble(v);
      switch (op) {
        case SQRT:
          return floatBits(f32, Math.sqrt(d)); // in double, then rounded: exact for f32
        case CEIL:
          return floatBits(f32, Math.ceil(d));
        case FLOOR:
          return floatBits(f32, Math.floor(d));
        case TRUNC:
          return floatBits(f32, d < 0 ? Math.ceil(d) : Math.floor(d));
        case NEAREST:
          return floatBits(f32, Math.rint(d));
        default:
          throw new IllegalStateException(op + " on float lanes");
      }
    }
    int half = bits / 2;
    switch (op) {
      case ABS:
        return Math.abs(x);
      case NEG:
        return -x;
      case POPCNT:
        return Long.bitCount(v);
      case EXTADD_PAIRWISE_S: // the two signed half-width lanes inside this lane
        return ((v << (64 - half)) >> (64 - half)) + (x >> half);
      case EXTADD_PAIRWISE_U:
        return (v & ((1L << half) - 1)) + (v >>> half);
      case TRUNC_SAT_S: // i32x4.trunc_sat_f32x4_s: the lane holds an f32
        return (int) Float.intBitsToFloat((int) v); // Java saturates and maps NaN to 0
      case TRUNC_SAT_U:
        return truncSatU32(Float.intBitsToFloat((int) v));
      default:
        throw new IllegalStateException(op + " on integer lanes");
    }
  }

  public static int truncSatU32(double d) {
    if (!(d > -1.0)) return 0; // NaN, or <= -1
    if (d >= 4294967296.0) return -1;
    return (int) (long) d;
  }

  // ---- shifts and tests ---------------------------------------------------------------------

  /** Shifts every integer lane of one half by {@code n} (modulo the lane width). */
  public static long shift(Op op, Shape shape, long v, int n) {
    int bits = shape.bits;
    n &= bits - 1;
    if (bits == 64) return op == Op.SHL ? v << n : op == Op.SHR_S ? v >> n : v >>> n;
    int sh = 64 - bits;
    long r = 0;
    for (int s = 0; s < 64; s += bits) {
      long lane = (v >>> s) & shape.mask;
      long out = op == Op.SHL ? lane << n : op == Op.SHR_S ? ((lane << sh) >> sh) >> n : lane >>> n;
      r |= (out & shape.mask) << s;
    }
    return r;
  }

  /** all_true (1 when no lane is zero) or bitmask (the lanes' sign bits) of a v128. */
  public static long test(Op op, Shape shape, long lo, long hi) {
    int bits = shape.bits;
    int perHalf = 64 / bits;
    long r = op == Op.ALL_TRUE ? 1 : 0;
    for (int i = 0; i < 2 * perHalf; i++) {
      long lane = ((i < perHalf ? lo : hi) >>> ((i % perHalf) * bits)) & shape.mask;
      if (op == Op.ALL_TRUE) {
        if (lane == 0) return 0;
      } else {
        r |= (lane >>> (bits - 1)) << i;
      }
    }
    return r;
  }

  // ---- lanes moved between the halves ---------------------------------------------------------

  /** Two 32-bit lanes as one half: a in the low bits. */
  public static long pack32(int a, int b) {
    return (a & 0xFFFF_FFFFL) | ((long) b << 32);
  }

  private static int byteAt(long lo, long hi, int i) {
    return (int) ((i < 8 ? lo : hi) >>> ((i & 7) * 8)) & 0xFF;
  }

  /**
   * Eight bytes picked by the byte indices in {@code sel} from a (indices 0-15) and b
   * (16-31); an index at or past limit picks 0 (shuffle: 32, swizzle: 16).
   */
  public static long pick(long sel, long al, long ah, long bl, long bh, int limit) {
    long r = 0;
    for (int i = 0; i < 8; i++) {
      int s = (int) (sel >>> (i * 8)) & 0xFF;
      if (s < limit) r |= (long) (s < 16 ? byteAt(al, ah, s) : byteAt(bl, bh, s - 16)) << (i * 8);
    }
    return r;
  }

  /** f32x4.demote_f64x2_zero: the low half of the result (the high half is 0). */
  public static long demote(long lo, long hi) {
    float a = (float) Double.longBitsToDouble(lo);
    float b = (float) Double.longBitsToDouble(hi);
    return pack32(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b));
  }

  /** f64x2.promote_low_f32x4: the f64 of the f32 in the low 32 bits of {@code lane}. */
  public static long promote(long lane) {
    return Double.doubleToRawLongBits(Float.intBitsToFloat((int) lane));
  }

  /** f64x2.convert_low_i32x4_s/u: the f64 of the i32 in the low 32 bits of {@code lane}. */
  public static long convertLow(long lane, boolean unsigned) {
    return Double.doubleToRawLongBits(unsigned ? lane & 0xFFFF_FFFFL : (int) lane);
  }

  /** i32x4.trunc_sat_f64x2_s/u_zero: the low half of the result (the high half is 0). */
  public static long truncSatZero(long lo, long hi, boolean unsigned) {
    double a = Double.longBitsToDouble(lo);
    double b = Double.longBitsToDouble(hi);
    return pack32(unsigned ? truncSatU32(a) : (int) a, unsigned ? truncSatU32(b) : (int) b);
  }

  // ---- widening and narrowing ----------------------------------------------------------------

  /** The low {@code bits} bits of {@code lane} in every lane of a half. */
  public static long splat(long lane, int bits) {
    long r = 0;
    for (int s = 0; s < 64; s += bits) r |= (lane & mask(bits)) << s;
    return r;
  }

  /** The lanes of {@code bits} bits in the low 32 bits of {@code v}, at twice their width. */
  public static long widen(long v, int bits, boolean signed) {
    long r = 0;
    for (int i = 0; i < 32 / bits; i++) r |= (lane(v, i, bits, signed) & mask(2 * bits)) << (2 * i * bits);
    return r;
  }

  /** The products of the lanes of {@code bits} bits in the low 32 bits of a and b, widened. */
  public static long widenMul(long a, long b, int bits, boolean signed) {
    long r = 0;
    for (int i = 0; i < 32 / bits; i++) {
      long p = lane(a, i, bits, signed) * lane(b, i, bits, signed);
      r |= (p & mask(2 * bits)) << (2 * i * bits);
    }
    return r;
  }

  /** The signed lanes of {@code bits} bits in v, saturated to half width (in the low 32 bits). */
  public static long narrow(long v, int bits, boolean unsigned) {
    int half = bits / 2;
    long max = unsigned ? (1L << half) - 1 : (1L << (half - 1)) - 1;
    long min = unsigned ? 0 : -max - 1;
    long r = 0;
    for (int i = 0; i < 64 / bits; i++) {
      long x = Math.max(min, Math.min(max, lane(v, i, bits, true)));
      r |= (x & mask(half)) << (i * half);
    }
    return r;
  }

  /** Lane {@code i} of {@code bits} bits of v, sign- or zero-extended. */
  private static long lane(long v, int i, int bits, boolean signed) {
    long x = v << (64 - bits - i * bits);
    return signed ? x >> (64 - bits) : x >>> (64 - bits);
  }

  public static long mask(int bits) {
    return bits == 64 ? -1L : (1L << bits) - 1;
  }
}
