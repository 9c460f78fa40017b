package cljwasi.engine;

import cljwasi.Engine;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.interp.Machines;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.util.function.Function;

/**
 * Builds the machine factory the plan's route calls for ({@link ModulePlan#route}): an
 * interpreter, or the project's compiler ({@link OwnCompiler}) for the whole module or for
 * its hot functions. Decides nothing itself.
 */
public final class MachineFactories {
  private MachineFactories() {}

  /**
   * The machine factory for {@code engine}. Under AUTO a function the compiler refuses is
   * interpreted; under COMPILER it is a WasmException of type "compile" (see OwnCompiler).
   */
  public static Function<Instance, Machine> create(
      ModulePlan plan, Engine engine, String name, CompileCache cache) {
    switch (plan.route(engine)) {
      case CHICORY_INTERPRETER:
        return new Machines.ChicoryInterpreted();
      case INTERPRETER:
        return new Machines.Interpreted(plan.patchedBodies());
      case HOT_FUNCTIONS:
        return OwnCompiler.hotFunctions(plan, name, cache);
      case COMPILED:
      default:
        return OwnCompiler.create(plan, engine, name, cache);
    }
  }
}
