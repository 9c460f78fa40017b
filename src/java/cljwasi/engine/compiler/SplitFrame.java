package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.types.Value;

/**
 * Stores into the frame array of a split function ({@link FunctionCompiler#compileSplit}),
 * the value first: what the generated code has on its stack when it sets a local or hands
 * values to another method of the function. The encoding is the boxed {@code long[]}
 * convention's ({@link JvmTypes#storeBoxed}), which the loads undo. Each is a few bytes of
 * bytecode, inlined by HotSpot; a v128 takes the generic path in the compiler.
 */
public final class SplitFrame {
  private SplitFrame() {}

  public static void put(int v, long[] frame, int at) {
    frame[at] = v;
  }

  public static void put(long v, long[] frame, int at) {
    frame[at] = v;
  }

  public static void put(float v, long[] frame, int at) {
    frame[at] = Value.floatToLong(v);
  }

  public static void put(double v, long[] frame, int at) {
    frame[at] = Value.doubleToLong(v);
  }
}
