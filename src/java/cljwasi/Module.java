package cljwasi;

import cljwasi.engine.MachineFactories;
import cljwasi.engine.ModulePlan;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.compiler.BackgroundCompile;
import cljwasi.engine.eh.LegacyEh;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A parsed and validated module: made once, instantiated many times from any thread.
 * Compilation to JVM bytecode happens once per engine, from the first instantiation on
 * (before it under {@code :compiler}; in the background under {@code :auto} when the
 * compile cache lacks the code, see {@link #awaitCompiled}), and is shared by every
 * instance, those made before it was ready included. How the module runs under each engine is
 * decided once, at parse, by its {@link ModulePlan}.
 */
public final class Module {
  private final ModulePlan plan;
  private final WasmModule parsed;
  private final String name;
  private final List<Signature> imports;
  private final Map<String, Signature> exports;
  private final Map<Table, Long> tableMinimums = new IdentityHashMap<>();
  private final Map<Engine, Function<Instance, Machine>> machines = new EnumMap<>(Engine.class);

  private Module(ModulePlan plan, String name) {
    this.plan = plan;
    this.parsed = plan.module();
    this.name = name;
    this.imports = Collections.unmodifiableList(describeImports(parsed));
    this.exports = Collections.unmodifiableMap(describeExports(parsed));
    for (int i = 0; i < parsed.tableSection().tableCount(); i++) {
      Table t = parsed.tableSection().getTable(i);
      tableMinimums.put(t, t.limits().min());
    }
  }

  /**
   * Fresh tables for each instance. Chicory's table.grow raises the size recorded in the
   * parsed module's own (shared) TableLimits, so without this an instance would start
   * with the tables a previous instance grew.
   */
  public TableFactory tableFactory() {
    return (table, init) -> {
      Long min = tableMinimums.get(table);
      TableLimits l = table.limits();
      Table fresh = new Table(table.elementType(),
          new TableLimits(min != null ? min : l.min(), l.max(), l.shared()), table.initialize());
      return new TableInstance(fresh, init);
    };
  }

  /** Parses and validates {@code bytes}; {@code name} is used in messages and as argv[0]. */
  public static Module parse(byte[] bytes, String name) {
    return parse(bytes, name, null);
  }

  /**
   * Parses and validates {@code bytes}, consulting the compile {@code cache} (may be null):
   * a module whose bytes an earlier parse validated is decoded lazily, each function at its
   * first use ({@link ModulePlan#parse(byte[], CompileCache)}).
   */
  public static Module parse(byte[] bytes, String name, CompileCache cache) {
    checkHeader(bytes, name);
    bytes = LegacyEh.translateIfNeeded(bytes, name); // legacy EH -> exnref form
    try {
      return new Module(ModulePlan.parse(bytes, cache), name);
    } catch (InvalidException e) {
      throw malformed(name, "invalid module: " + e.getMessage(), e);
    } catch (ChicoryException e) {
      throw malformed(name, "malformed module: " + e.getMessage(), e);
    } catch (RuntimeException | StackOverflowError e) {
      // a truncated or corrupt file can fail deep inside the parser with any exception
      throw malformed(name, "malformed module: " + e, e);
    }
  }

  public static Module parse(Path path) {
    return parse(path, null);
  }

  /** The module in file {@code path}; {@code cache} as in {@link #parse(byte[], String, CompileCache)}. */
  public static Module parse(Path path, CompileCache cache) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new WasmException("not-found", "no such module file: " + path,
          Map.of("path", path.toString()), e);
    } catch (IOException e) {
      throw new WasmException("io", "cannot read module file " + path + ": " + e.getMessage(),
          Map.of("path", path.toString()), e);
    }
    return parse(bytes, path.getFileName().toString(), cache);
  }

  public static Module parse(InputStream in, String name) {
    return parse(in, name, null);
  }

  public static Module parse(InputStream in, String name, CompileCache cache) {
    try {
      return parse(in.readAllBytes(), name, cache);
    } catch (IOException e) {
      throw new WasmException("io", "cannot read module " + name + ": " + e.getMessage(),
          Map.of("name", name), e);
    }
  }

  /**
   * Refuses bytes that are not a Wasm binary at all (a text file, a .wat, an executable)
   * with that reason first: Chicory's message for them lists every failure the spec
   * tests expect ("section size mismatch, unexpected end of section or function, magic
   * header not detected"), leading with two that do not apply.
   */
  private static void checkHeader(byte[] bytes, String name) {
    byte[] magic = {0x00, 0x61, 0x73, 0x6d};
    for (int i = 0; i < magic.length; i++) {
      if (i >= bytes.length || bytes[i] != magic[i]) {
        int n = Math.min(bytes.length, 8);
        StringBuilder found = new StringBuilder();
        for (int j = 0; j < n; j++) found.append(String.format("%s%02x", j == 0 ? "" : " ", bytes[j]));
        String hint = bytes.length > 0 && bytes[0] == '(' ? " (WebAssembly text? convert it with wat2wasm)" : "";
        throw malformed(name, "not a WebAssembly module: magic header \\0asm not found (first bytes: "
            + (n == 0 ? "none" : found) + ")" + hint, null);
      }
    }
    if (bytes.length < 8 || bytes[4] != 1 || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) {
      throw malformed(name, "not a WebAssembly module of version 1 (unknown binary version)", null);
    }
  }

  private static WasmException malformed(String name, String message, Throwable cause) {
    return new WasmException("malformed", name + ": " + message, Map.of("name", name), cause);
  }

  public WasmModule parsed() {
    return parsed;
  }

  /** The engine's decisions about this module (lazy parsing, large or not, SIMD and tail-calling functions). */
  public ModulePlan plan() {
    return plan;
  }

  public String name() {
    return name;
  }

  public List<Signature> imports() {
    return imports;
  }

  /** Exports by name, in the module's order. */
  public Map<String, Signature> exports() {
    return exports;
  }

  /**
   * The machine factory for {@code engine}, compiling on first use (and reusing compiled
   * classes from {@code cache} when given); which machine is the plan's decision
   * ({@link ModulePlan#route}), made by {@link MachineFactories}.
   */
  public synchronized Function<Instance, Machine> machineFactory(Engine engine, CompileCache cache) {
    Function<Instance, Machine> m = machines.get(engine);
    if (m == null) {
      m = MachineFactories.create(plan, engine, name, cache);
      machines.put(engine, m);
    }
    return m;
  }

  /**
   * Waits until the compilations this module runs in the background have finished (engine
   * {@code :auto} compiles a module whose code the compile cache lacks while it runs
   * interpreted), {@code millis} at most; true when none is left running. Nothing needs to
   * wait (calls switch to the compiled code by themselves): for benchmarks that want
   * compiled code from the first call, and for tests.
   */
  public boolean awaitCompiled(long millis) throws InterruptedException {
    List<Function<Instance, Machine>> made;
    synchronized (this) {
      made = new ArrayList<>(machines.values());
    }
    long end = System.nanoTime() + millis * 1_000_000L;
    for (Function<Instance, Machine> m : made) {
      if (m instanceof BackgroundCompile
          && !((BackgroundCompile) m).awaitDone(Math.max(0, (end - System.nanoTime()) / 1_000_000L))) {
        return false;
      }
    }
    return true;
  }

  /** The value type's name as clj-wasi spells it ("i32", "funcref"...). */
  public static String typeName(ValType t) {
    if (t.equals(ValType.I32)) return "i32";
    if (t.equals(ValType.I64)) return "i64";
    if (t.equals(ValType.F32)) return "f32";
    if (t.equals(ValType.F64)) return "f64";
    if (t.equals(ValType.V128)) return "v128";
    if (t.equals(ValType.FuncRef)) return "funcref";
    if (t.equals(ValType.ExternRef)) return "externref";
    return t.toString().toLowerCase(Locale.ROOT);
  }

  static List<String> typeNames(List<ValType> ts) {
    List<String> out = new ArrayList<>(ts.size());
    for (ValType t : ts) out.add(typeName(t));
    return Collections.unmodifiableList(out);
  }

  private static String kindName(ExternalType t) {
    return t.name().toLowerCase(Locale.ROOT);
  }

  private static List<Signature> describeImports(WasmModule m) {
    List<Signature> out = new ArrayList<>();
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp instanceof FunctionImport) {
        FunctionType t = m.typeSection().getType(((FunctionImport) imp).typeIndex());
        out.add(new Signature(imp.module(), imp.name(), "function", typeNames(t.params()),
            typeNames(t.returns())));
      } else {
        out.add(new Signature(imp.module(), imp.name(), kindName(imp.importType()), List.of(), List.of()));
      }
    }
    return out;
  }

  /** The type of function {@code idx} in the module's function index space. */
  static FunctionType functionType(WasmModule m, int idx) {
    int imported = 0;
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp instanceof FunctionImport) {
        if (imported == idx) return m.typeSection().getType(((FunctionImport) imp).typeIndex());
        imported++;
      }
    }
    return m.functionSection().getFunctionType(idx - imported, m.typeSection());
  }

  private static Map<String, Signature> describeExports(WasmModule m) {
    Map<String, Signature> out = new LinkedHashMap<>();
    for (int i = 0; i < m.exportSection().exportCount(); i++) {
      Export e = m.exportSection().getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        FunctionType t = functionType(m, e.index());
        out.put(e.name(), new Signature(null, e.name(), "function", typeNames(t.params()),
            typeNames(t.returns())));
      } else {
        out.put(e.name(), new Signature(null, e.name(), kindName(e.exportType()), List.of(), List.of()));
      }
    }
    return out;
  }
}
