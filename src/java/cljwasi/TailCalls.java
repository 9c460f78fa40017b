package cljwasi;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Keeps tail calls interruptible in the interpreter.
 *
 * <p>Chicory's interpreter checks for a thread interrupt on branches and on calls, but not on
 * {@code return_call}, {@code return_call_indirect} and {@code return_call_ref}, which reuse
 * the caller's frame. A loop made only of tail calls (a state machine written with
 * {@code musttail}, or a corrupted module) would then ignore {@code :timeout-ms} and
 * {@link ModuleInstance#close()} forever. For modules that contain a tail call, instances get
 * {@link #INTERRUPT_CHECK} as their execution listener; modules without one pay nothing.
 *
 * <p>Chicory's compiler turns a tail call into an ordinary call, so deep tail recursion would
 * exhaust the JVM stack where wasmtime runs it in constant space. The {@code :auto} engine
 * therefore leaves the functions that make tail calls to the interpreter ({@link #functions}),
 * as it does for SIMD functions, and {@code :compiler} refuses such modules.
 */
public final class TailCalls {
  private TailCalls() {}

  /** Throws Chicory's own interrupt exception when a tail call runs on an interrupted thread. */
  static final ExecutionListener INTERRUPT_CHECK = (Instruction ins, MStack stack) -> {
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

  static boolean isTailCall(OpCode op) {
    return op == OpCode.RETURN_CALL || op == OpCode.RETURN_CALL_INDIRECT
        || op == OpCode.RETURN_CALL_REF;
  }

  /**
   * The indices (function index space, imports first) of the functions that make a tail
   * call; none for a lazily parsed module (see {@link LazyParser}), whose bodies are not
   * scanned: its instances always get the interrupt check, and the tiered compiler looks at
   * each function before compiling it ({@link #in}).
   */
  static Set<Integer> functions(WasmModule module) {
    if (LazyParser.isLazy(module)) return Set.of();
    int imported = module.importSection().count(ExternalType.FUNCTION);
    Set<Integer> out = new TreeSet<>();
    int n = module.codeSection().functionBodyCount();
    for (int i = 0; i < n; i++) {
      if (in(module.codeSection().getFunctionBody(i))) out.add(imported + i);
    }
    return Collections.unmodifiableSet(out);
  }
}
