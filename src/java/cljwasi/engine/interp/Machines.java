package cljwasi.engine.interp;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.util.Set;
import java.util.function.Function;

/**
 * The machine factories that involve the interpreter: Chicory's own for plain modules,
 * {@link Interpreter} for everything, and the hybrid of compiled code with some functions
 * interpreted. Named classes, so that what a module runs on can be seen (and tested).
 */
public final class Machines {
  private Machines() {}

  /**
   * Runs every function in Chicory's interpreter (modules it can run alone), on a stack with
   * a {@link StackFloor}.
   */
  public static final class ChicoryInterpreted implements Function<Instance, Machine> {
    @Override
    public Machine apply(Instance instance) {
      return new FlooredInterpreterMachine(instance);
    }
  }

  /** Chicory's interpreter as it is, but for the {@link StackFloor} under its stack. */
  static final class FlooredInterpreterMachine extends InterpreterMachine {
    FlooredInterpreterMachine(Instance instance) {
      super(instance);
      StackFloor.lay(stack(), instance);
    }
  }

  /**
   * Runs every function in {@link Interpreter}. {@code patched}: the plan's replacement
   * bodies by code-section index (null entries: unchanged).
   */
  public static final class Interpreted implements Function<Instance, Machine> {
    private final FunctionBody[] patched;

    public Interpreted(FunctionBody[] patched) {
      this.patched = patched;
    }

    @Override
    public Machine apply(Instance instance) {
      return new Interpreter(instance, null, patched);
    }
  }

  /**
   * The hybrid mode: the functions in {@code interpreted} (function index space, imports
   * first, of {@code functionCount} functions) run in an {@link Interpreter}, all others in
   * the machine {@code compiled} makes (which must have been compiled with those functions
   * left to the interpreter, e.g. {@code MachineFactoryCompiler.Builder.withInterpretedFunctions}).
   * Calls in either direction go through {@code instance.getMachine()}, the dispatching
   * machine.
   */
  public static final class Hybrid implements Function<Instance, Machine> {
    private final boolean[] mask;
    private final FunctionBody[] patched;
    private final Function<Instance, Machine> compiled;

    public Hybrid(Set<Integer> interpreted, int functionCount, FunctionBody[] patched,
        Function<Instance, Machine> compiled) {
      this.mask = new boolean[functionCount];
      for (int f : interpreted) if (f >= 0 && f < functionCount) mask[f] = true;
      this.patched = patched;
      this.compiled = compiled;
    }

    @Override
    public Machine apply(Instance instance) {
      Machine c = compiled.apply(instance);
      return new Dispatch(c, new Interpreter(instance, mask, patched), mask);
    }
  }

  /** Routes each call to the compiled machine or the interpreter by function index. */
  static final class Dispatch implements Machine {
    private final Machine compiled;
    private final Interpreter interpreter;
    private final boolean[] interpreted;

    Dispatch(Machine compiled, Interpreter interpreter, boolean[] interpreted) {
      this.compiled = compiled;
      this.interpreter = interpreter;
      this.interpreted = interpreted;
    }

    @Override
    public long[] call(int funcId, long[] args) {
      if (funcId >= 0 && funcId < interpreted.length && interpreted[funcId]) {
        return interpreter.call(funcId, args);
      }
      return compiled.call(funcId, args);
    }
  }
}
