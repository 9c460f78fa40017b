package cljwasi.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;

/**
 * Keeps tail calls interruptible in the interpreter.
 *
 * <p>Chicory's interpreter checks for a thread interrupt on branches and on calls, but not on
 * {@code return_call}, {@code return_call_indirect} and {@code return_call_ref}, which reuse
 * the caller's frame. A loop made only of tail calls (a state machine written with
 * {@code musttail}, or a corrupted module) would then ignore {@code :timeout-ms} and
 * {@code ModuleInstance.close()} forever. For modules that may contain a tail call
 * ({@link ModulePlan#mayMakeTailCalls()}), instances get {@link #INTERRUPT_CHECK} as their
 * execution listener; modules without one pay nothing.
 *
 * <p>Chicory's compiler turns a tail call into an ordinary call, so deep tail recursion would
 * exhaust the JVM stack where wasmtime runs it in constant space. The {@code :auto} engine
 * therefore leaves the functions that make tail calls to the interpreter (the module plan
 * finds them, {@link ModulePlan#tailCallFunctions()}), as it does for SIMD functions, and
 * {@code :compiler} refuses such modules. (That is the route of
 * {@code -Dclj-wasi.compiler=chicory}; the project's own compiler, the default, compiles them
 * in constant stack: {@code compiler.Trampolines}.)
 */
public final class TailCalls {
  private TailCalls() {}

  /** Throws Chicory's own interrupt exception when a tail call runs on an interrupted thread. */
  public static final ExecutionListener INTERRUPT_CHECK = (Instruction ins, MStack stack) -> {
    if (isTailCall(ins.opcode()) && Thread.currentThread().isInterrupted()) {
      throw new ChicoryInterruptedException("Thread interrupted");
    }
  };

  /** Whether {@code body} makes a tail call. */
  public static boolean in(FunctionBody body) {
    for (Instruction ins : body.instructions()) {
      if (isTailCall(ins.opcode())) return true;
    }
    return false;
  }

  /**
   * Whether {@code body} (of function {@code self}) makes a tail call that may reach another
   * function: a {@code return_call} of another, or any {@code return_call_indirect} (the own
   * compiler runs those through a trampoline; a tail call to itself is a loop).
   */
  public static boolean toOtherFunctions(FunctionBody body, int self) {
    for (Instruction ins : body.instructions()) {
      OpCode op = ins.opcode();
      if (op == OpCode.RETURN_CALL_INDIRECT
          || (op == OpCode.RETURN_CALL && ins.operand(0) != self)) {
        return true;
      }
    }
    return false;
  }

  public static boolean isTailCall(OpCode op) {
    return op == OpCode.RETURN_CALL || op == OpCode.RETURN_CALL_INDIRECT
        || op == OpCode.RETURN_CALL_REF;
  }
}
