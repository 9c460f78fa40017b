package cljwasi.engine.compiler;

import cljwasi.engine.interp.Interpreter;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;

/**
 * One instance's machine while its module compiles in the background
 * ({@link BackgroundCompile}): every call is interpreted until the compiled code is published,
 * then goes to a {@link CompiledMachine} over it (made at the first such call: compiled entry,
 * host function, or the interpreter for a function the compiler refused). Calls from the
 * interpreter to a function compiled meanwhile come back here through
 * {@code instance.getMachine()} (the shared mask, see {@link BackgroundCompile}).
 */
final class SwitchingMachine implements Machine {
  private final BackgroundCompile compile;
  private final Instance instance;
  private final Interpreter interpreter;
  /** Made at the first call after the code is published (an instance runs on one thread at a time). */
  private CompiledMachine compiled;

  SwitchingMachine(BackgroundCompile compile, Instance instance) {
    this.compile = compile;
    this.instance = instance;
    this.interpreter = new Interpreter(instance, compile.interpretedMask(), compile.patched());
  }

  @Override
  public long[] call(int funcId, long[] args) {
    CompiledCode code = compile.code();
    if (code == null) return interpreter.call(funcId, args);
    CompiledMachine m = compiled;
    if (m == null) {
      m = new CompiledMachine(instance, code, compile.patched());
      compiled = m;
    }
    return m.call(funcId, args);
  }
}
