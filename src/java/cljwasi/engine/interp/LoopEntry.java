package cljwasi.engine.interp;

/**
 * Compiled code that can continue a function from the header of one of its loops (on-stack
 * replacement): what {@link Interpreter#enterLoop} hands a loop that runs hot to.
 */
public interface LoopEntry {
  /** What {@link #enter} returns when the code has no entry at that loop. */
  long[] NOT_ENTERED = new long[0];

  /**
   * Runs function {@code funcId} from the header of loop {@code loop} (the index of its
   * {@code loop} instruction) to its end, with the Wasm locals {@code locals} and the loop's
   * parameters {@code params} (both as the interpreter keeps them: a v128 in two slots);
   * returns the function's results as the boxed entry does (null for none), or
   * {@link #NOT_ENTERED} (by identity) when it cannot enter there. Traps and Wasm exceptions
   * are thrown as from a call.
   */
  long[] enter(int funcId, int loop, long[] locals, long[] params);
}
