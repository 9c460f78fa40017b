package cljwasi.engine;

/**
 * The float instructions whose Wasm result differs from the plain Java one, with the spec's
 * NaN semantics: one place for the interpreter ({@code interp.Interpreter}) and compilers to
 * call, with the signatures of Chicory's {@code OpcodeImpl} methods they replace.
 *
 * <p>The spec lets an operation that receives a NaN return any <em>arithmetic</em> NaN (quiet
 * bit set), so a signalling NaN operand must not come back as it is. Java returns it
 * unchanged from {@code Math.min}/{@code max} (f32 and f64) and from
 * {@code Math.floor}/{@code ceil}/{@code rint} of a double (f64 floor, ceil, trunc, nearest);
 * the f32 forms, which Chicory computes in {@code double}, are quieted by the widening. And
 * {@code abs} must clear the sign bit of a NaN too, which {@code Math.abs} does not on JDK 17
 * (JDK 18+ clears it). Each method here returns the operand NaN with its quiet bit set
 * (keeping the payload, as hardware does), which is arithmetic, and canonical when the
 * operand was.
 */
public final class FloatOps {
  private FloatOps() {}

  private static final int F32_QUIET = 0x0040_0000;
  private static final long F64_QUIET = 0x0008_0000_0000_0000L;

  /** {@code x} (a NaN) with its quiet bit set. */
  public static float quiet(float x) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(x) | F32_QUIET);
  }

  /** {@code x} (a NaN) with its quiet bit set. */
  public static double quiet(double x) {
    return Double.longBitsToDouble(Double.doubleToRawLongBits(x) | F64_QUIET);
  }

  /** f32.min: a NaN operand (the first when both are) quieted; -0 below +0. */
  public static float f32Min(float a, float b) {
    if (a != a) return quiet(a);
    if (b != b) return quiet(b);
    return Math.min(a, b);
  }

  /** f32.max: a NaN operand (the first when both are) quieted; +0 above -0. */
  public static float f32Max(float a, float b) {
    if (a != a) return quiet(a);
    if (b != b) return quiet(b);
    return Math.max(a, b);
  }

  /** f64.min: a NaN operand (the first when both are) quieted; -0 below +0. */
  public static double f64Min(double a, double b) {
    if (a != a) return quiet(a);
    if (b != b) return quiet(b);
    return Math.min(a, b);
  }

  /** f64.max: a NaN operand (the first when both are) quieted; +0 above -0. */
  public static double f64Max(double a, double b) {
    if (a != a) return quiet(a);
    if (b != b) return quiet(b);
    return Math.max(a, b);
  }

  /** f64.floor, a NaN quieted. */
  public static double f64Floor(double x) {
    return x != x ? quiet(x) : Math.floor(x);
  }

  /** f64.ceil, a NaN quieted. */
  public static double f64Ceil(double x) {
    return x != x ? quiet(x) : Math.ceil(x);
  }

  /** f64.trunc (toward zero, -0 kept), a NaN quieted. */
  public static double f64Trunc(double x) {
    if (x != x) return quiet(x);
    return x < 0 ? Math.ceil(x) : Math.floor(x);
  }

  /** f64.nearest (ties to even), a NaN quieted. */
  public static double f64Nearest(double x) {
    return x != x ? quiet(x) : Math.rint(x);
  }

  /** f32.abs: the sign bit cleared, a NaN's too. */
  public static float f32Abs(float x) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0x7FFF_FFFF);
  }

  /** f64.abs: the sign bit cleared, a NaN's too. */
  public static double f64Abs(double x) {
    return Double.longBitsToDouble(Double.doubleToRawLongBits(x) & 0x7FFF_FFFF_FFFF_FFFFL);
  }
}
