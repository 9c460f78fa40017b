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
 * under {@code :auto} a function that does not compile (or whose method would be over
 * {@link ModuleCompiler#maxMethodBytes}, when that property is set) is interpreted.
 *
 * <p>{@code :auto} compiles before the first instruction, as {@code :compiler} does, unless
 * {@code -Dclj-wasi.compiler.background=on}: then, when the compile cache does not hold the
 * module's code, the module starts interpreted at once and is compiled in the background
 * ({@link BackgroundCompile}; its calls switch to the compiled code when it is ready, which is
 * stored in the cache so that the next run starts compiled; a loop already running when the
 * code arrives enters it at its next back-edge through the function's loop entry). Not the
 * default: measured from the command line (docs/PERFORMANCE.md "Background compile"), a
 * cold run of a long-running program still costs 0.5-1 s more than compiling first (n-body
 * 1.7 -> 2.7 s, sieve 2.0 -> 2.5 s; before loop entries sieve was 4.6x slower, cmark 1.7x)
 * while a short run gains the compile time (hello, sqlite3 1.67 s -> 1.04 s cold).
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

  /**
   * Compiles the module now (with loop entries for the functions {@code loopEntries}, which
   * the interpreter is running) and stores the code in the compile cache (when given).
   */
  private static CompiledCode compileAndStore(ModulePlan plan, Set<Integer> candidates,
      int maxBytes, String key, CompileCache cache, Set<Integer> loopEntries) {
    CompiledCode code = ModuleCompiler.compile(plan.module(), candidates, maxBytes, loopEntries);
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
    // every function is tried: SIMD and tail calls compile (Trampolines: constant stack)
    for (int f = plan.importedFunctions(); f < plan.functionCount(); f++) candidates.add(f);
    // a function over HotSpot's 8000-byte JIT limit is compiled too (see maxMethodBytes: even
    // in HotSpot's bytecode interpreter it beats the Wasm interpreter); :auto honours the
    // clj-wasi.compiler.max-method-bytes property, :compiler compiles everything it can
    int maxBytes = engine == Engine.COMPILER ? Integer.MAX_VALUE : ModuleCompiler.maxMethodBytes();
    CompileCache own = cache == null || !CompiledCode.cacheable() ? null : cache.variant("own");
    String key = cacheKey(plan, candidates, maxBytes);
    CompiledCode code = fromCache(plan, key, own);
    if (code == null && engine == Engine.AUTO && BackgroundCompile.enabled()) {
      // a miss under :auto: run interpreted at once, switch to the code when it is ready
      return BackgroundCompile.start(name, plan.module(), plan.importedFunctions(),
          plan.functionCount(), plan.patchedBodies(),
          (batch, looping) -> ModuleCompiler.compile(plan.module(), batch, maxBytes, looping),
          looping -> compileAndStore(plan, candidates, maxBytes, key, own, looping));
    }
    if (code == null) code = compileAndStore(plan, candidates, maxBytes, key, own, Set.of());
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
