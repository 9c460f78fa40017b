package cljwasi.engine.compiler;

/**
 * A function the compiler does not take (an instruction it does not compile, a method over
 * the size limit, an ASM failure): the function stays interpreted (:auto) or is named in
 * the :wasm/compile error (:compiler).
 */
public final class Unsupported extends Exception {
  private static final long serialVersionUID = 1L;

  public Unsupported(String why) {
    super(why, null, false, false);
  }
}
