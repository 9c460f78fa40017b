package cljwasi.engine.compiler;

import cljwasi.engine.interp.Interpreter;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Deque;

/**
 * One instance's machine while its module compiles in the background
 * ({@link BackgroundCompile}): every call is interpreted (and counted, so the hot functions
 * can be compiled first) until compiled code is published, then goes to a
 * {@link CompiledMachine} over the newest code (made at the first such call: compiled
 * entry, host function, or the interpreter for a function that code does not hold). Calls
 * from the interpreter to a function compiled meanwhile come back here through
 * {@code instance.getMachine()} (the shared mask, see {@link BackgroundCompile}).
 */
final class SwitchingMachine implements Machine {
  private final BackgroundCompile compile;
  private final Instance instance;
  /** Made at the first interpreted call (an instance made after the switch needs none). */
  private Interpreter interpreter;
  /** The machine over {@link #compiledFor} (an instance runs on one thread at a time). */
  private CompiledMachine compiled;
  private CompiledCode compiledFor;

  SwitchingMachine(BackgroundCompile compile, Instance instance) {
    this.compile = compile;
    this.instance = instance;
  }

  @Override
  public long[] call(int funcId, long[] args) {
    CompiledCode code = compile.code();
    if (code == null) {
      if (interpreter == null) interpreter = new Counting(instance, compile);
      return interpreter.call(funcId, args);
    }
    if (code != compiledFor) {
      compiled = new CompiledMachine(instance, code, compile.patched());
      compiledFor = code;
    }
    return compiled.call(funcId, args);
  }

  /** The interpreter, counting the calls it interprets of this instance's functions. */
  private static final class Counting extends Interpreter {
    private final Instance self;
    private final BackgroundCompile compile;

    Counting(Instance instance, BackgroundCompile compile) {
      super(instance, compile.interpretedMask(), compile.patched());
      this.self = instance;
      this.compile = compile;
    }

    @Override
    protected long[] call(MStack stack, Instance instance, Deque<StackFrame> callStack, int funcId,
        long[] args, FunctionType callType, boolean popResults) throws ChicoryException {
      if (instance == self) compile.countCall(funcId);
      return super.call(stack, instance, callStack, funcId, args, callType, popResults);
    }
  }
}
