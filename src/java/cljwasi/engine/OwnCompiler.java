package cljwasi.engine;

import cljwasi.Engine;
import cljwasi.WasmException;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.compiler.BackgroundCompile;
import cljwasi.engine.compiler.CompiledCode;
import cljwasi.engine.compiler.CompiledMachine;
import cljwasi.engine.compiler.ModuleCompiler;
import cljwasi.engine.interp.Machines;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The route to the project's own compiler ({@code cljwasi.engine.compiler}), taken for the
 * compiled routes unless system property {@code clj-wasi.compiler} is {@code chicory}
 * (then Chicory's compiler, as before; {@code own} is the default). Under {@code :compiler} every
 * function must compile (else a "compile" error naming each one that did not, and why);
 * under {@code :auto} a function that does not compile, or whose method would be over
 * HotSpot's size limit ({@link ModuleCompiler#maxMethodBytes}), is interpreted.
 *
 * <p>Compiling never holds up a run under {@code :auto}: when the compile cache does not hold
 * the module's code, the module starts interpreted at once and is compiled in the background
 * ({@link BackgroundCompile}; its calls switch to the compiled code when it is ready, which is
 * stored in the cache so that the next run starts compiled). {@code :compiler} compiles before
 * the first instruction, as does {@code :auto} with {@code -Dclj-wasi.compiler.background=off}.
 */
public final class OwnCompiler {
  private OwnCompiler() {}

  public static final String PROPERTY = "clj-wasi.compiler";

  /** The key of the module's compiled code in the compile cache (variant "own"). */
  private static String cacheKey(ModulePlan plan, Set<Integer> candidates, int maxBytes) {
    return plan.cacheKey() + "|" + CompiledCode.FORMAT + "|" + maxBytes + "|" + candidates;
  }

  /**
   * The module's compiled code from the compile cache (variant "own", keyed by the module's
   * digest, the code format, the size limit and the functions compiled), or null when it is
   * not there. An entry that does not load is dropped (and rebuilt by the next compilation).
   */
  private static CompiledCode fromCache(ModulePlan plan, String key, CompileCache cache) {
    if (cache == null) return null;
    byte[] blob = cache.get(key);
    if (blob == null) return null;
    try {
      return CompiledCode.read(plan.module(), blob);
    } catch (IOException | RuntimeException | LinkageError e) {
      try {
        cache.remove(key);
      } catch (IOException ignored) {
        // an unwritable cache only costs the next run a compilation
      }
      return null;
    }
  }

  /** Compiles the module now and stores the code in the compile cache (when given). */
  private static CompiledCode compileAndStore(ModulePlan plan, Set<Integer> candidates,
      int maxBytes, String key, CompileCache cache) {
    CompiledCode code = ModuleCompiler.compile(plan.module(), candidates, maxBytes);
    if (cache != null) cache.putIfAbsent(key, code.bytes()); // atomic: see CompileCache
    return code;
  }

  /**
   * Whether the project's own compiler runs :compiler and :auto: the default; property
   * {@code clj-wasi.compiler=chicory} selects Chicory's compiler instead.
   */
  public static boolean selected() {
    return !"chicory".equals(System.getProperty(PROPERTY, "own"));
  }

  static Function<Instance, Machine> create(ModulePlan plan, Engine engine, String name,
      CompileCache cache) {
    Set<Integer> candidates = new TreeSet<>();
    // every function is tried: SIMD compiles; of the tail calls, one to the function itself
    for (int f = plan.importedFunctions(); f < plan.functionCount(); f++) candidates.add(f);
    // :auto leaves a function over HotSpot's size limit to the interpreter; :compiler, which
    // must compile everything, compiles it (it then runs in HotSpot's bytecode interpreter,
    // as Chicory's compiler's code does, until functions are split)
    int maxBytes = engine == Engine.COMPILER ? Integer.MAX_VALUE : ModuleCompiler.maxMethodBytes();
    CompileCache own = cache == null ? null : cache.variant("own");
    String key = cacheKey(plan, candidates, maxBytes);
    CompiledCode code = fromCache(plan, key, own);
    if (code == null && engine == Engine.AUTO && BackgroundCompile.enabled()) {
      // a miss under :auto: run interpreted at once, switch to the code when it is ready
      return BackgroundCompile.start(name, plan.module(), plan.importedFunctions(),
          plan.functionCount(), plan.patchedBodies(),
          batch -> ModuleCompiler.compile(plan.module(), batch, maxBytes),
          () -> compileAndStore(plan, candidates, maxBytes, key, own));
    }
    if (code == null) code = compileAndStore(plan, candidates, maxBytes, key, own);
    if (engine == Engine.COMPILER && !code.refused().isEmpty()) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("name", name);
      data.put("engine", "compiler");
      List<Map<String, Object>> functions = new ArrayList<>();
      for (Map.Entry<Integer, String> e : code.refused().entrySet()) {
        functions.add(Map.of("function", e.getKey(), "why", e.getValue()));
      }
      data.put("functions", functions);
      // as the refusal of Chicory's route says them
      data.put("simd", plan.usesSimd());
      data.put("simd-functions", plan.simdFunctions().size());
      data.put("tail-call-functions", plan.tailCallFunctions().size());
      throw new WasmException("compile",
          name + ": the compiler cannot take " + code.refused().size() + " function(s): "
              + code.refused(),
          Map.copyOf(data));
    }
    if (code.compiledCount() == 0) return new Machines.Interpreted(plan.patchedBodies());
    // refused functions run in CompiledMachine's interpreter (which runs SIMD too)
    return CompiledMachine.factory(code, plan.patchedBodies());
  }
}
