package cljwasi.engine.compiler;

import cljwasi.engine.interp.Interpreter;
import cljwasi.engine.interp.LoopEntry;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * One instance's machine while its module compiles in the background
 * ({@link BackgroundCompile}): a call of a function the newest published code holds goes to
 * a {@link CompiledMachine} over that code (made at the first such call); every other call
 * is interpreted, and counted (and, in the hot-functions mode, sampled: {@link HotSampler}),
 * so that the hot functions get compiled. Calls from the interpreter to a function compiled
 * meanwhile, and from compiled code to a function it does not hold, come back here through
 * {@code instance.getMachine()} (the shared mask, see {@link BackgroundCompile}).
 *
 * <p>A function already running interpreted moves to the compiled code at its next
 * back-edge once that code is published (on-stack replacement): the interpreter runs the
 * bodies with back-edges made visible ({@link cljwasi.engine.interp.BackEdges}) and hands
 * the frame to the function's loop entry ({@link #enter}); a loop that cannot be entered is
 * remembered (per code) and keeps running interpreted.
 */
final class SwitchingMachine implements Machine, LoopEntry {
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
      int saved = (int) CURRENT.getOpaque(this);
      CURRENT.setOpaque(this, -1);
      try {
        return compiledFor(code).call(funcId, args);
      } finally {
        CURRENT.setOpaque(this, saved);
      }
    }
    if (interpreter == null) interpreter = new Counting(this);
    return interpreter.call(funcId, args);
  }

  private CompiledMachine compiledFor(CompiledCode code) {
    if (code != compiledFor) {
      compiled = new CompiledMachine(instance, code, compile.patched());
      compiledFor = code;
    }
    return compiled;
  }

  @Override
  public long[] enter(int funcId, int loop, long[] locals, long[] params) {
    CompiledCode code = compile.code();
    if (code == null) return NOT_ENTERED;
    // counted as it starts (the loop may never return); taken back if it did not enter
    compile.countLoopEntry(1);
    // the sampler charges nothing while the function runs compiled
    int saved = (int) CURRENT.getOpaque(this);
    CURRENT.setOpaque(this, -1);
    long[] results;
    try {
      results = compiledFor(code).enterLoop(funcId, loop, locals, params);
    } finally {
      CURRENT.setOpaque(this, saved);
    }
    if (results == NOT_ENTERED) compile.countLoopEntry(-1);
    return results;
  }

  /**
   * The interpreter, counting the calls and back-edges it interprets of this instance's
   * functions, and moving a running function to compiled code at a back-edge.
   */
  private static final class Counting extends Interpreter {
    private final Instance self;
    private final BackgroundCompile compile;
    private final SwitchingMachine machine;
    /** Back-edges interpreted so far (all functions). */
    private long backEdges;
    /** Loops (function << 32 | loop) that could not be entered in {@link #refusalsOf}. */
    private final Set<Long> refused = new HashSet<>();
    private CompiledCode refusalsOf;

    Counting(SwitchingMachine machine) {
      super(machine.instance, machine.compile.interpretedMask(), machine.compile.interpreterBodies());
      this.self = machine.instance;
      this.compile = machine.compile;
      this.machine = machine;
    }

    @Override
    protected void onBackEdge(MStack stack, Instance instance, Deque<StackFrame> callStack,
        StackFrame frame, int funcId, int loop) {
      if (instance != self) return;
      compile.countBackEdge(funcId);
      backEdges++;
      CompiledCode code = compile.code();
      long forced = BackgroundCompile.enterAt();
      if (forced > 0) {
        if (backEdges != forced) return;
        code = compile.awaitCode();
      }
      // (most functions of a large module are in no hot batch: no boxing, no set lookup)
      if (code == null || !code.isCompiled(funcId)) return;
      if (code != refusalsOf) {
        refused.clear();
        refusalsOf = code;
      }
      Long key = (long) funcId << 32 | loop;
      if (refused.contains(key)) return;
      if (!enterLoop(stack, instance, callStack, frame, funcId, loop, machine)) refused.add(key);
    }

    @Override
    protected long[] call(MStack stack, Instance instance, Deque<StackFrame> callStack, int funcId,
        long[] args, FunctionType callType, boolean popResults) throws ChicoryException {
      if (instance != self) {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      }
      compile.countCall(funcId);
      int saved = (int) CURRENT.getOpaque(machine);
      CURRENT.setOpaque(machine, funcId);
      try {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      } finally {
        CURRENT.setOpaque(machine, saved);
      }
    }
  }
}
