package cljwasi.engine.interp;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.util.function.Function;

/**
 * The machine factories of the interpreters: Chicory's own for plain modules, and
 * {@link Interpreter} for everything. Named classes, so that what a module runs on can be
 * seen (and tested).
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
}
