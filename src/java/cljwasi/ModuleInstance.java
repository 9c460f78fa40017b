package cljwasi;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.LinearMemory;
import cljwasi.engine.TailCalls;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.parse.LazyParser;
import cljwasi.wasi.ProcExit;
import cljwasi.wasi.WasiContext;
import cljwasi.wasi.WasiHost;
import cljwasi.wasi.WasiOptions;
import cljwasi.wasi.WasiTrap;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportTag;
import com.dylibso.chicory.runtime.ImportValue;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Locale;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One instance of a {@link Module}: its memory, globals and (for WASI modules) its WASI
 * context. Calls are serialised; a call may carry a timeout, after which the instance is
 * interrupted, closed and a "timeout" WasmException thrown. Closing releases every file
 * and socket the guest opened.
 */
public final class ModuleInstance implements Closeable {
  private final Module module;
  private final Instance instance;
  private final WasiContext wasi;
  private final long timeoutMillis;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, ExportFunction> exportFns = new HashMap<>();
  private volatile boolean closed;

  private ModuleInstance(Builder b) {
    this.module = b.module;
    this.timeoutMillis = b.timeoutMillis;
    WasiContext ctx = null;
    try {
      if (b.wasi != null) ctx = new WasiContext(b.wasi);
    } catch (WasmException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // whatever the host raises while opening stdio, preopens and listeners (unchecked
      // ones included: UncheckedIOException, SecurityException, InvalidPathException)
      throw new WasmException("io", "cannot set up WASI: " + e.getMessage(),
          Map.of("name", module.name()), e);
    }
    this.wasi = ctx;
    try {
      ImportValues imports = resolveImports(b);
      Instance.Builder ib = Instance.builder(module.parsed())
          .withImportValues(imports)
          .withStart(false) // Chicory would call _start here; we call it when asked
          .withTableFactory(module.tableFactory())
          .withMachineFactory(module.machineFactory(b.engine, b.cache))
          .withMemoryFactory(limits -> memory(limits, b.maxMemoryPages));
      if (module.plan().mayMakeTailCalls()) {
        ib.withUnsafeExecutionListener(TailCalls.INTERRUPT_CHECK);
      }
      this.instance = run(() -> link(ib), "instantiate");
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
  }

  /**
   * Builds the instance. Chicory finds some invalid modules only here (two exports of one
   * name: the spec suite's exports.wast): they are "malformed", as at parse. An atomic instruction's
   * unaligned-access trap is an InvalidException too (in a start function): a trap.
   */
  private Instance link(Instance.Builder ib) {
    try {
      return ib.build();
    } catch (InvalidException | MalformedException e) {
      if (!ChicoryInternals.trapKind(e).equals("trap")) throw e;
      throw new WasmException("malformed", module.name() + ": invalid module: " + e.getMessage(),
          Map.of("name", module.name()), e);
    }
  }

  /**
   * The instance's memory: capped at {@code maxPages} (when not negative), and grown only
   * as far as the heap affords ({@link LinearMemory}); a module whose initial memory
   * is over either is refused with a "limit".
   */
  private static Memory memory(MemoryLimits limits, int maxPages) {
    if (maxPages >= 0 && limits.initialPages() > maxPages) {
      throw new WasmException("limit",
          "the module needs " + limits.initialPages() + " memory pages at start, over the limit of "
              + maxPages,
          Map.of("limit", "max-memory-pages", "requested", limits.initialPages(), "max", maxPages));
    }
    if (!LinearMemory.canSpare((long) limits.initialPages() * Memory.PAGE_SIZE, () -> true)) {
      throw new WasmException("limit",
          "the module needs " + limits.initialPages() + " memory pages at start, more than the"
              + " JVM heap can spare",
          Map.of("limit", "heap", "requested", limits.initialPages()));
    }
    return new LinearMemory(maxPages < 0 ? limits
        : new MemoryLimits(limits.initialPages(), Math.min(limits.maximumPages(), maxPages),
            limits.shared()));
  }

  private ImportValues resolveImports(Builder b) {
    Map<String, ImportFunction> provided = new LinkedHashMap<>();
    if (wasi != null) {
      for (HostFunction f : WasiHost.functions(wasi)) provided.put(key(f.module(), f.name()), f);
    }
    for (ImportFunction f : b.hostFunctions) provided.put(key(f.module(), f.name()), f);
    Map<String, ImportValue> providedOthers = new HashMap<>();
    for (ImportValue v : b.otherImports) {
      providedOthers.put(kindName(v.type()) + "\u0000" + key(v.module(), v.name()), v);
    }
    List<Map<String, Object>> missing = new ArrayList<>();
    List<Map<String, Object>> mismatched = new ArrayList<>();
    List<ImportFunction> used = new ArrayList<>();
    ImportValues.Builder values = ImportValues.builder();
    for (Signature s : module.imports()) {
      if (!s.kind.equals("function")) {
        // a global, memory, table or tag: its type is checked by Chicory when it links
        // (an UnlinkableException, reported as import-mismatch by translate)
        ImportValue v = providedOthers.get(s.kind + "\u0000" + key(s.module, s.name));
        if (v == null) missing.add(describe(s));
        else addImport(values, v);
        continue;
      }
      ImportFunction f = provided.get(key(s.module, s.name));
      if (f == null) {
        missing.add(describe(s));
        continue;
      }
      List<String> params = Module.typeNames(f.paramTypes());
      List<String> results = Module.typeNames(f.returnTypes());
      if (!params.equals(s.params) || !results.equals(s.results)) {
        Map<String, Object> m = describe(s);
        m.put("provided-params", params);
        m.put("provided-results", results);
        mismatched.add(m);
        continue;
      }
      used.add(f);
    }
    if (!missing.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (Map<String, Object> m : missing) names.add(m.get("module") + "." + m.get("name"));
      throw new WasmException("missing-imports",
          module.name() + ": missing imports: " + String.join(", ", names),
          Map.of("name", module.name(), "missing", missing));
    }
    if (!mismatched.isEmpty()) {
      // the one check of every host function's signature, WASI's and the Clojure
      // API's :imports alike (whose declared :params/:results become its type); the
      // data names the first mismatch at the top, as README's error table says
      Map<String, Object> first = mismatched.get(0);
      Map<String, Object> data = new LinkedHashMap<>(first);
      data.put("mismatched", mismatched);
      throw new WasmException("import-mismatch",
          module.name() + ": import " + first.get("module") + "." + first.get("name")
              + ": the host function takes " + first.get("provided-params") + " -> "
              + first.get("provided-results") + ", the module imports " + first.get("params")
              + " -> " + first.get("results")
              + (mismatched.size() > 1 ? " (and " + (mismatched.size() - 1) + " more)" : ""),
          data);
    }
    return values.withFunctions(used).build();
  }

  private static String kindName(ImportValue.Type t) {
    return t.name().toLowerCase(Locale.ROOT);
  }

  private static void addImport(ImportValues.Builder values, ImportValue v) {
    switch (v.type()) {
      case GLOBAL: values.addGlobal((ImportGlobal) v); break;
      case MEMORY: values.addMemory((ImportMemory) v); break;
      case TABLE: values.addTable((ImportTable) v); break;
      case TAG: values.addTag((ImportTag) v); break;
      default: throw new IllegalArgumentException("not a global, memory, table or tag: " + v.type());
    }
  }

  private static Map<String, Object> describe(Signature s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("module", s.module);
    m.put("name", s.name);
    m.put("kind", s.kind);
    if (s.kind.equals("function")) {
      m.put("params", s.params);
      m.put("results", s.results);
    }
    return m;
  }

  private static String key(String module, String name) {
    return module + "\u0000" + name;
  }

  public Module module() {
    return module;
  }

  /**
   * Chicory's instance, for the Clojure API's globals, tables and snapshots (through
   * Chicory's public runtime API only; its internals stay behind ChicoryInternals).
   */
  public Instance chicory() {
    return instance;
  }

  /** The WASI context, or null for a module loaded without WASI. */
  public WasiContext wasi() {
    return wasi;
  }

  /**
   * The addresses the instance's :listen sockets are bound to, in order (the actual port
   * where port 0 was asked for); empty without WASI or listeners. Safe to call from any
   * thread while the guest runs, e.g. to connect a client to a guest server.
   */
  public List<InetSocketAddress> boundAddresses() {
    return wasi == null ? List.of() : wasi.boundAddresses();
  }

  public Memory memory() {
    checkOpen();
    Memory m = instance.memory();
    if (m == null) {
      throw new WasmException("no-memory", module.name() + " has no memory", Map.of("name", module.name()));
    }
    return m;
  }

  /** The export {@code name} as a Chicory function (checked to be a function export). */
  public ExportFunction export(String name) {
    Signature s = module.exports().get(name);
    if (s == null || !s.kind.equals("function")) {
      throw new WasmException("no-such-export",
          module.name() + " exports no function named " + name,
          Map.of("name", name, "exports", new ArrayList<>(module.exports().keySet())));
    }
    synchronized (exportFns) {
      return exportFns.computeIfAbsent(name, instance::export);
    }
  }

  /**
   * This instance's export {@code name} as the import {@code asModule}.{@code asName} of
   * another module (give it to {@link Builder#importValue}): the same global, memory,
   * table or tag, shared, or a function that calls this instance's. This is how
   * instances are linked, as the spec's {@code register} does.
   */
  public ImportValue exportAs(String name, String asModule, String asName) {
    Signature s = module.exports().get(name);
    if (s == null) {
      throw new WasmException("no-such-export", module.name() + " exports nothing named " + name,
          Map.of("name", name, "exports", new ArrayList<>(module.exports().keySet())));
    }
    switch (s.kind) {
      case "function":
        ExportFunction f = export(name);
        return new HostFunction(asModule, asName, instance.exportType(name),
            (caller, args) -> f.apply(args));
      case "global":
        return new ImportGlobal(asModule, asName, instance.exports().global(name));
      case "memory":
        return new ImportMemory(asModule, asName, instance.exports().memory(name));
      case "table":
        return new ImportTable(asModule, asName, instance.exports().table(name));
      case "tag":
        return new ImportTag(asModule, asName, instance.tag(exportedIndex(name)));
      default:
        throw new IllegalStateException("unknown export kind " + s.kind);
    }
  }

  /** The index (in its kind's index space) of the thing exported as {@code name}. */
  private int exportedIndex(String name) {
    var exports = module.parsed().exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(name)) return exports.getExport(i).index();
    }
    throw new IllegalArgumentException(name);
  }

  /**
   * Calls export {@code name}. proc_exit inside it throws a WasmException of type "exit"
   * carrying the code; use {@link #runCommand} for a command's _start.
   */
  public long[] call(String name, long... args) {
    ExportFunction f = export(name);
    return call(f, name, args);
  }

  /** Calls a function obtained from {@link #export}; the fast path of wasm/fn. */
  public long[] call(ExportFunction f, String name, long[] args) {
    try {
      if (timeoutMillis > 0) return guarded(() -> f.apply(args), name);
      // no timeout: no timer, no lambda, so the JIT can keep the call allocation-free
      checkOpen();
      lock.lock();
      try {
        checkOpen();
        return f.apply(args);
      } catch (ProcExit | WasmException e) {
        throw e;
      } catch (RuntimeException | Error e) {
        throw translate(e, name);
      } finally {
        if (wasi != null) wasi.flush();
        lock.unlock();
      }
    } catch (ProcExit e) {
      throw new WasmException("exit", module.name() + " exited with code " + e.code + " in " + name,
          Map.of("exit", e.code, "export", name));
    }
  }

  /** Runs a command's entry point; returns its exit code (0 when it returns normally). */
  public int runCommand(String name) {
    ExportFunction f = export(name);
    try {
      guarded(() -> f.apply(), name);
      return 0;
    } catch (ProcExit e) {
      return e.code;
    }
  }

  @FunctionalInterface
  private interface Call<T> {
    T run();
  }

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "clj-wasi-timeout");
    t.setDaemon(true);
    return t;
  });

  private <T> T guarded(Call<T> body, String what) {
    checkOpen();
    lock.lock();
    try {
      checkOpen();
      if (timeoutMillis <= 0) return run(body, what);
      Thread caller = Thread.currentThread();
      AtomicBoolean fired = new AtomicBoolean();
      ScheduledFuture<?> timer = TIMER.schedule(() -> {
        fired.set(true);
        if (wasi != null) wasi.cancel();
        caller.interrupt();
      }, timeoutMillis, TimeUnit.MILLISECONDS);
      try {
        return run(body, what);
      } catch (WasmException e) {
        if (fired.get()) throw timeout(what, e);
        throw e;
      } finally {
        timer.cancel(false);
        if (fired.get()) {
          Thread.interrupted(); // clear the flag our timer set
          closeQuietly();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private WasmException timeout(String what, Throwable cause) {
    return new WasmException("timeout",
        module.name() + ": " + what + " ran past its timeout of " + timeoutMillis + " ms",
        Map.of("timeout-ms", timeoutMillis, "export", what), cause);
  }

  /** Runs guest code, turning every failure into a WasmException (ProcExit passes). */
  private <T> T run(Call<T> body, String what) {
    try {
      return body.run();
    } catch (ProcExit | WasmException e) {
      throw e;
    } catch (RuntimeException | Error e) {
      throw translate(e, what);
    } finally {
      if (wasi != null) wasi.flush();
    }
  }

  /**
   * The exception to throw for what guest code threw: ProcExit and WasmException as
   * they are (rethrown), traps with their kind, host failures with their cause.
   */
  private RuntimeException translate(Throwable e, String what) {
    if (e instanceof WasiTrap) return trap(((WasiTrap) e).kind, e.getMessage(), what, e);
    if (e instanceof ChicoryInterruptedException) {
      return new WasmException("interrupted", module.name() + ": " + what + " was interrupted",
          Map.of("export", what), e);
    }
    if (e instanceof LazyParser.InvalidFunctionException) {
      int f = ((LazyParser.InvalidFunctionException) e).function();
      return new WasmException("malformed", module.name() + ": " + e.getMessage(),
          Map.of("name", module.name(), "function", f, "export", what), e);
    }
    if (e instanceof UnlinkableException) {
      // a global, memory, table or tag import whose type does not match the import's
      return new WasmException("import-mismatch", module.name() + ": " + e.getMessage(),
          Map.of("name", module.name()), e);
    }
    if (e instanceof ChicoryException) {
      Throwable c = e.getCause();
      if (c instanceof ProcExit) return (ProcExit) c;
      if (c instanceof WasmException) return (WasmException) c;
      return trap(ChicoryInternals.trapKind(e), e.getMessage(), what, e);
    }
    if (e instanceof com.dylibso.chicory.runtime.WasmException) {
      return trap("uncaught-exception", "a Wasm exception (throw) was not caught", what, e);
    }
    if (e instanceof StackOverflowError) return trap("stack-overflow", "call stack exhausted", what, e);
    if (e instanceof OutOfMemoryError) {
      return new WasmException("limit", module.name() + ": out of memory in " + what,
          Map.of("limit", "heap", "export", what), e);
    }
    if (e instanceof Error) throw (Error) e;
    return new WasmException("host-error",
        module.name() + ": a host function threw during " + what + ": " + e,
        Map.of("export", what), e);
  }

  private WasmException trap(String kind, String message, String what, Throwable cause) {
    return new WasmException("trap", module.name() + ": trap in " + what + ": " + message,
        Map.of("kind", kind, "export", what), cause);
  }

  private void checkOpen() {
    if (closed) {
      throw new WasmException("closed", module.name() + ": the instance is closed",
          Map.of("name", module.name()));
    }
  }

  public boolean isClosed() {
    return closed;
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException e) {
      // closing after a failure: the original failure is what the caller needs
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    if (wasi != null) wasi.close();
  }

  public static Builder builder(Module module) {
    return new Builder(module);
  }

  /** Configuration of one instantiation. */
  public static final class Builder {
    private final Module module;
    private Engine engine = Engine.AUTO;
    private WasiOptions wasi;
    private final List<ImportFunction> hostFunctions = new ArrayList<>();
    private final List<ImportValue> otherImports = new ArrayList<>();
    private int maxMemoryPages = -1;
    private long timeoutMillis;
    private CompileCache cache;

    private Builder(Module module) {
      this.module = module;
    }

    public Builder engine(Engine e) {
      engine = e;
      return this;
    }

    /** Gives the instance WASI with these options (null: no WASI). */
    public Builder wasi(WasiOptions o) {
      wasi = o;
      return this;
    }

    public Builder hostFunction(ImportFunction f) {
      hostFunctions.add(f);
      return this;
    }

    /**
     * Provides an import of any kind: a function (as {@link #hostFunction}), or a global,
     * memory, table or tag, e.g. another instance's export
     * ({@code other.chicory().exports().global("g")} wrapped in an {@code ImportGlobal}).
     * Only the imports the module declares are used; a value whose type does not match
     * its import fails instantiation as "import-mismatch".
     */
    public Builder importValue(ImportValue v) {
      if (v instanceof ImportFunction) hostFunctions.add((ImportFunction) v);
      else otherImports.add(v);
      return this;
    }

    public Builder maxMemoryPages(int pages) {
      maxMemoryPages = pages;
      return this;
    }

    /** Each call (and instantiation's start function) is stopped after this many ms; 0 = none. */
    public Builder timeoutMillis(long ms) {
      timeoutMillis = ms;
      return this;
    }

    /** Reuse compiled classes from (and store them in) this cache; null: none. */
    public Builder compileCache(CompileCache c) {
      cache = c;
      return this;
    }

    public ModuleInstance build() {
      return new ModuleInstance(this);
    }
  }
}
