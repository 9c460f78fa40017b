package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A module's compiled functions, loaded: the boxed entry of each ({@code long[] -> long[]},
 * null for a function not compiled) and why each refused function was refused.
 */
public final class CompiledCode {
  private static final MethodType ENTRY =
      MethodType.methodType(long[].class, long[].class, Context.class);
  private static final MethodType LOOP_ENTRY =
      MethodType.methodType(long[].class, long[].class, long[].class, int.class, Context.class);

  /**
   * Version of the generated code and of {@link #bytes}: a cache entry of another is a miss.
   * A checksum of the compiler's own classes (and of the memory classes generated code
   * calls), so that any change to what it generates makes old entries misses without anyone
   * having to remember a version number: classes from an older compiler could otherwise
   * load and then fail at their first use of a changed field or method. The build computes
   * it (build.clj writes {@code code-version} beside this class), so a run reads one small
   * resource instead of loading and reading the classes (~30 ms of a 0.2 s command). 0 when
   * the classes were built some other way: then compiled code is not cached ({@link #cacheable}).
   */
  public static final int FORMAT = codeVersion();

  private static int codeVersion() {
    try (InputStream in = CompiledCode.class.getResourceAsStream("code-version")) {
      if (in == null) return 0;
      return (int) Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim(), 16);
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Whether compiled code may go to the compile cache: its version is known. */
  public static boolean cacheable() {
    return FORMAT != 0;
  }

  private final Signatures signatures;
  private final MethodHandle[] entries;
  private final Map<Integer, String> refused;
  /** What it was loaded from, for {@link #bytes}. */
  private final Map<String, byte[]> classes;
  private final String[] owners;
  /** The class of each compiled function (null: not compiled). */
  private final Class<?>[] functionClasses;
  /** Each function's loop entry once looked up ({@link #loopEntry}); racy, as lookups agree. */
  private final MethodHandle[] loopEntries;
  private final boolean[] loopEntryLooked;

  private CompiledCode(Signatures signatures, MethodHandle[] entries, Map<Integer, String> refused,
      Map<String, byte[]> classes, String[] owners, Class<?>[] functionClasses) {
    this.signatures = signatures;
    this.entries = entries;
    this.refused = refused;
    this.classes = classes;
    this.owners = owners;
    this.functionClasses = functionClasses;
    this.loopEntries = new MethodHandle[entries.length];
    this.loopEntryLooked = new boolean[entries.length];
  }

  /**
   * The classes, the class of each function and the refusals, as one blob for the compile
   * cache ({@link #read} loads it back).
   */
  public byte[] bytes() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bos)) {
      out.writeInt(FORMAT);
      out.writeInt(owners.length);
      for (String o : owners) out.writeUTF(o == null ? "" : o);
      out.writeInt(refused.size());
      for (Map.Entry<Integer, String> e : refused.entrySet()) {
        out.writeInt(e.getKey());
        out.writeUTF(e.getValue());
      }
      out.writeInt(classes.size());
      for (Map.Entry<String, byte[]> e : classes.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        out.write(e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: cannot happen
    }
    return bos.toByteArray();
  }

  /** Loads a blob {@link #bytes} made for {@code module}; throws when it is not one. */
  public static CompiledCode read(WasmModule module, byte[] blob) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(blob));
    if (in.readInt() != FORMAT) throw new IOException("another format");
    Signatures sigs = new Signatures(module);
    String[] owners = new String[in.readInt()];
    if (owners.length != sigs.functionCount()) throw new IOException("another module");
    for (int i = 0; i < owners.length; i++) {
      String o = in.readUTF();
      owners[i] = o.isEmpty() ? null : o;
    }
    Map<Integer, String> refused = new TreeMap<>();
    for (int n = in.readInt(); n > 0; n--) refused.put(in.readInt(), in.readUTF());
    Map<String, byte[]> classes = new LinkedHashMap<>();
    for (int n = in.readInt(); n > 0; n--) {
      String name = in.readUTF();
      byte[] b = new byte[in.readInt()];
      in.readFully(b);
      classes.put(name, b);
    }
    return load(sigs, classes, owners, refused);
  }

  static CompiledCode load(Signatures sigs, Map<String, byte[]> classes, String[] owners,
      Map<Integer, String> refused) {
    Loader loader = new Loader(Support.class.getClassLoader(), classes);
    MethodHandle[] entries = new MethodHandle[owners.length];
    Class<?>[] functionClasses = new Class<?>[owners.length];
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    try {
      for (int f = 0; f < owners.length; f++) {
        if (owners[f] == null) continue;
        Class<?> c = loader.loadClass(owners[f].replace('/', '.'));
        functionClasses[f] = c;
        entries[f] = lookup.findStatic(c, FunctionCompiler.entryName(f), ENTRY);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("clj-wasi: cannot load compiled code", e);
    }
    return new CompiledCode(sigs, entries, Map.copyOf(refused), classes, owners, functionClasses);
  }

  /**
   * Function {@code f}'s loop entry {@code (long[] locals, long[] params, int loop, Context)
   * -> long[]} (see {@code FunctionCompiler.forLoopEntry}), or null when it has none (not
   * compiled, no loop that can be entered, or compiled without loop entries).
   */
  MethodHandle loopEntry(int f) {
    if (f < 0 || f >= entries.length || functionClasses[f] == null) return null;
    if (!loopEntryLooked[f]) {
      try {
        loopEntries[f] = MethodHandles.publicLookup().findStatic(functionClasses[f],
            FunctionCompiler.loopEntryName(f), LOOP_ENTRY);
      } catch (NoSuchMethodException e) {
        loopEntries[f] = null;
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("clj-wasi: cannot load compiled code", e);
      }
      loopEntryLooked[f] = true;
    }
    return loopEntries[f];
  }

  /** The boxed entry of function {@code f}, or null when it is not compiled. */
  MethodHandle entry(int f) {
    return f >= 0 && f < entries.length ? entries[f] : null;
  }

  Signatures signatures() {
    return signatures;
  }

  /** The functions not compiled (function index to why); imports are not listed. */
  public Map<Integer, String> refused() {
    return refused;
  }

  /** Whether function {@code f} is compiled. */
  public boolean isCompiled(int f) {
    return entry(f) != null;
  }

  /** How many functions are compiled. */
  public int compiledCount() {
    int n = 0;
    for (MethodHandle h : entries) n += h == null ? 0 : 1;
    return n;
  }

  public int functionCount() {
    return entries.length;
  }

  /** Defines the classes of one compilation, each on first use. */
  private static final class Loader extends ClassLoader {
    private final Map<String, byte[]> classes;

    Loader(ClassLoader parent, Map<String, byte[]> classes) {
      super(parent);
      this.classes = classes;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = classes.get(name.replace('.', '/'));
      if (b == null) throw new ClassNotFoundException(name);
      return defineClass(name, b, 0, b.length);
    }
  }
}
