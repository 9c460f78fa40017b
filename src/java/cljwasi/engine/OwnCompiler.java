package cljwasi.engine;

import cljwasi.Engine;
import cljwasi.WasmException;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.compiler.BackgroundCompile;
import cljwasi.engine.compiler.CodeCache;
import cljwasi.engine.compiler.CompiledCode;
import cljwasi.engine.compiler.CompiledMachine;
import cljwasi.engine.compiler.ModuleCompiler;
import cljwasi.engine.compiler.Signatures;
import cljwasi.engine.interp.Machines;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The project's compiler ({@code cljwasi.engine.compiler}) as the compiled routes use it.
 *
 * <p>{@link #create} (route COMPILED): the whole module. Under {@code :compiler} every
 * function must compile (else a "compile" error naming each one that did not, and why);
 * under {@code :auto} a function that does not compile (or whose method would be over
 * {@link ModuleCompiler#maxMethodBytes}, when that property is set) is interpreted.
 * {@code :auto} compiles before the first instruction, as {@code :compiler} does, unless
 * {@code -Dclj-wasi.compiler.background=on}: then, when the compile cache does not hold the
 * module's code, the module starts interpreted at once and is compiled in the background
 * ({@link BackgroundCompile}; its calls switch to the compiled code when it is ready, which is
 * stored in the cache so that the next run starts compiled; a loop already running when the
 * code arrives enters it at its next back-edge through the function's loop entry). Not the
 * default: measured from the command line (docs/PERFORMANCE.md "Background compile"), a
 * cold run of a long-running program still costs 0.5-1 s more than compiling first (n-body
 * 1.7 -> 2.7 s, sieve 2.0 -> 2.5 s; before loop entries sieve was 4.6x slower, cmark 1.7x)
 * while a short run gains the compile time (hello, sqlite3 1.67 s -> 1.04 s cold).
 *
 * <p>{@link #hotFunctions} (route HOT_FUNCTIONS, a large module under {@code :auto}):
 * interpreted at once, the hot functions compiled in the background in batches (the looping
 * ones with loop entries, so that a running loop moves to the code), each batch cached
 * ({@link BackgroundCompile#startHot}).
 */
public final class OwnCompiler {
  private OwnCompiler() {}

  /** The module's area of the compile cache (variant "own"), or null when there is none. */
  private static CodeCache codeCache(ModulePlan plan, Signatures sigs, CompileCache cache,
      int maxBytes) {
    if (cache == null || !CompiledCode.cacheable() || plan.cacheKey() == null) return null;
    return new CodeCache(cache.variant("own"), sigs, plan.cacheKey(), maxBytes);
  }

  /**
   * Compiles {@code candidates} now (with loop entries for the functions {@code loopEntries},
   * which the interpreter is running) and stores the code in {@code cache} (when given).
   */
  private static CompiledCode compileAndStore(ModulePlan plan, Signatures sigs,
      Set<Integer> candidates, int maxBytes, CodeCache cache, Set<Integer> loopEntries) {
    CompiledCode code = ModuleCompiler.compile(plan.module(), sigs, candidates, maxBytes,
        loopEntries);
    if (cache != null) cache.store(candidates, code);
    return code;
  }

  /**
   * Route HOT_FUNCTIONS: the module runs interpreted at once; what gets hot is compiled in
   * the background (the method size limit as under {@code :auto}).
   */
  static Function<Instance, Machine> hotFunctions(ModulePlan plan, String name,
      CompileCache cache) {
    int maxBytes = ModuleCompiler.maxMethodBytes();
    Signatures sigs = new Signatures(plan.module());
    return BackgroundCompile.startHot(name, plan.module(), plan.importedFunctions(),
        plan.functionCount(), plan.patchedBodies(),
        (batch, looping) -> ModuleCompiler.compile(plan.module(), sigs, batch, maxBytes, looping),
        codeCache(plan, sigs, cache, maxBytes));
  }

  static Function<Instance, Machine> create(ModulePlan plan, Engine engine, String name,
      CompileCache cache) {
    Set<Integer> candidates = new TreeSet<>();
    // every function is tried: SIMD and tail calls compile (Trampolines: constant stack)
    for (int f = plan.importedFunctions(); f < plan.functionCount(); f++) candidates.add(f);
    // a function over HotSpot's 8000-byte JIT limit is split into methods under it (see
    // ModuleCompiler#splitBytes); :auto honours the clj-wasi.compiler.max-method-bytes
    // property, :compiler compiles everything it can
    int maxBytes = engine == Engine.COMPILER ? Integer.MAX_VALUE : ModuleCompiler.maxMethodBytes();
    Signatures sigs = new Signatures(plan.module());
    CodeCache own = codeCache(plan, sigs, cache, maxBytes);
    CompiledCode code = own == null ? null : own.load(candidates);
    if (code == null && engine == Engine.AUTO && BackgroundCompile.enabled()) {
      // a miss under :auto: run interpreted at once, switch to the code when it is ready
      return BackgroundCompile.start(name, plan.module(), plan.importedFunctions(),
          plan.functionCount(), plan.patchedBodies(),
          (batch, looping) -> ModuleCompiler.compile(plan.module(), sigs, batch, maxBytes, looping),
          looping -> compileAndStore(plan, sigs, candidates, maxBytes, own, looping));
    }
    if (code == null) code = compileAndStore(plan, sigs, candidates, maxBytes, own, Set.of());
    if (engine == Engine.COMPILER && !code.refused().isEmpty()) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("name", name);
      data.put("engine", "compiler");
      List<Map<String, Object>> functions = new ArrayList<>();
      for (Map.Entry<Integer, String> e : code.refused().entrySet()) {
        functions.add(Map.of("function", e.getKey(), "why", e.getValue()));
      }
      data.put("functions", functions);
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
