package cljwasi.engine.compiler;

import cljwasi.engine.interp.Interpreter;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Deque;

/**
 * One instance's machine while its module compiles in the background
 * ({@link BackgroundCompile}): a call of a function the newest published code holds goes to
 * a {@link CompiledMachine} over that code (made at the first such call); every other call
 * is interpreted, and counted (and, in the hot-functions mode, sampled: {@link HotSampler}),
 * so that the hot functions get compiled. Calls from the interpreter to a function compiled
 * meanwhile, and from compiled code to a function it does not hold, come back here through
 * {@code instance.getMachine()} (the shared mask, see {@link BackgroundCompile}).
 */
final class SwitchingMachine implements Machine {
  private final BackgroundCompile compile;
  private final Instance instance;
  /** Made at the first interpreted call (an instance made after the switch may need none). */
  private Counting interpreter;
  /** The machine over {@link #compiledFor} (an instance runs on one thread at a time). */
  private CompiledMachine compiled;
  private CompiledCode compiledFor;

  /** Innermost interpreted function now running (-1: none), for the sampler: racy by design. */
  @SuppressWarnings("unused")
  private int current = -1;

  private static final VarHandle CURRENT;

  static {
    try {
      CURRENT = MethodHandles.lookup().findVarHandle(SwitchingMachine.class, "current", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  SwitchingMachine(BackgroundCompile compile, Instance instance) {
    this.compile = compile;
    this.instance = instance;
    if (compile.sampled()) HotSampler.register(this);
  }

  BackgroundCompile compile() {
    return compile;
  }

  /** The function the sampler charges now (opaque read). */
  int currentFunction() {
    return (int) CURRENT.getOpaque(this);
  }

  @Override
  public long[] call(int funcId, long[] args) {
    CompiledCode code = compile.code();
    if (code != null && code.isCompiled(funcId)) {
      if (code != compiledFor) {
        compiled = new CompiledMachine(instance, code, compile.patched());
        compiledFor = code;
      }
      int saved = (int) CURRENT.getOpaque(this);
      CURRENT.setOpaque(this, -1);
      try {
        return compiled.call(funcId, args);
      } finally {
        CURRENT.setOpaque(this, saved);
      }
    }
    if (interpreter == null) interpreter = new Counting(instance, compile, this);
    return interpreter.call(funcId, args);
  }

  /** The interpreter, counting the calls it interprets of this instance's functions. */
  private static final class Counting extends Interpreter {
    private final Instance self;
    private final BackgroundCompile compile;
    private final SwitchingMachine owner;

    Counting(Instance instance, BackgroundCompile compile, SwitchingMachine owner) {
      super(instance, compile.interpretedMask(), compile.patched());
      this.self = instance;
      this.compile = compile;
      this.owner = owner;
    }

    @Override
    protected long[] call(MStack stack, Instance instance, Deque<StackFrame> callStack, int funcId,
        long[] args, FunctionType callType, boolean popResults) throws ChicoryException {
      if (instance != self) {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      }
      compile.countCall(funcId);
      int saved = (int) CURRENT.getOpaque(owner);
      CURRENT.setOpaque(owner, funcId);
      try {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      } finally {
        CURRENT.setOpaque(owner, saved);
      }
    }
  }
}
