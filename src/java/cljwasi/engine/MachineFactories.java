package cljwasi.engine;

import cljwasi.Engine;
import cljwasi.WasmException;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.interp.Machines;
import cljwasi.engine.tier.Tiering;
import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the machine factory the plan's route calls for ({@link ModulePlan#route}):
 * compiling with Chicory's compiler (through the compile cache when given), and falling
 * back to the interpreter where {@code :auto} allows it. Decides nothing itself.
 */
public final class MachineFactories {
  private MachineFactories() {}

  /**
   * The machine factory for {@code engine}. AUTO falls back to the interpreter per function
   * when the compiler refuses one, and for the whole module when the compiler fails outright;
   * COMPILER throws a WasmException of type "compile" instead.
   */
  public static Function<Instance, Machine> create(
      ModulePlan plan, Engine engine, String name, CompileCache cache) {
    switch (plan.route(engine)) {
      case CHICORY_INTERPRETER:
        return new Machines.ChicoryInterpreted();
      case INTERPRETER:
        return new Machines.Interpreted(plan.patchedBodies());
      case TIERED:
        // interpret at once, compile what gets hot (SIMD and tail-calling functions stay
        // interpreted)
        return Tiering.create(plan, name, cache == null ? null : cache.variant("tier"));
      case REFUSED:
        // the own compiler compiles SIMD and runs tail calls in constant stack: it decides
        // per function
        if (OwnCompiler.selected()) return OwnCompiler.create(plan, engine, name, cache);
        String why = plan.usesSimd()
            ? "the module uses 128-bit SIMD (v128), which the compiler cannot run"
            : "the module makes tail calls (return_call), which the compiler would run as"
                + " ordinary calls";
        throw new WasmException("compile",
            name + ": " + why + "; use engine :auto (compiled code, those functions"
                + " interpreted) or :interpreter",
            Map.of("name", name, "engine", "compiler", "simd", plan.usesSimd(),
                "simd-functions", plan.simdFunctions().size(),
                "tail-call-functions", plan.tailCallFunctions().size()));
      case HYBRID:
        if (OwnCompiler.selected()) return OwnCompiler.create(plan, engine, name, cache);
        try {
          Set<Integer> interpreted = plan.interpretedOnly();
          return new Machines.Hybrid(interpreted, plan.functionCount(), plan.patchedBodies(),
              compile(plan, InterpreterFallback.FAIL, cache, interpreted));
        } catch (RuntimeException | LinkageError e) {
          // the compiler cannot take the module (e.g. a v128 in a function signature)
          return new Machines.Interpreted(plan.patchedBodies());
        }
      case COMPILED:
      default:
        if (OwnCompiler.selected()) return OwnCompiler.create(plan, engine, name, cache);
        InterpreterFallback fallback =
            engine == Engine.COMPILER ? InterpreterFallback.FAIL : InterpreterFallback.SILENT;
        try {
          return compile(plan, fallback, cache, null);
        } catch (RuntimeException | LinkageError e) {
          if (engine == Engine.COMPILER) {
            throw new WasmException("compile",
                name + ": the compiler refused this module: " + e.getMessage(),
                Map.of("name", name, "engine", "compiler"), e);
          }
          return new Machines.ChicoryInterpreted();
        }
    }
  }

  /** {@code interpreted}: functions left to the interpreter (then fallback must be FAIL). */
  private static Function<Instance, Machine> compile(ModulePlan plan,
      InterpreterFallback fallback, CompileCache shared, Set<Integer> interpreted) {
    if (shared == null) return builder(plan, fallback, interpreted).compile();
    CompileCache cache = shared.variant(fallback.name().toLowerCase(Locale.ROOT)
        + (interpreted == null ? "" : "-hybrid"));
    try {
      return builder(plan, fallback, interpreted).withCache(cache).compile();
    } catch (RuntimeException | LinkageError e) {
      // a stale entry Chicory could not load: drop it and compile afresh
      try {
        cache.remove(plan.cacheKey());
      } catch (IOException ignored) {
        // an unwritable cache only costs the next run a compilation
      }
      return builder(plan, fallback, interpreted).withCache(cache).compile();
    }
  }

  private static MachineFactoryCompiler.Builder builder(
      ModulePlan plan, InterpreterFallback fallback, Set<Integer> interpreted) {
    MachineFactoryCompiler.Builder b =
        MachineFactoryCompiler.builder(plan.module()).withInterpreterFallback(fallback);
    return interpreted == null ? b : b.withInterpretedFunctions(interpreted);
  }
}
