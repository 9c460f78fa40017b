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
import java.util.Collections;
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
  private final Map<Integer, String> refused;
  /** The class of each function compiled here (null: not compiled; null array: merged). */
  private final String[] owners;
  /** Defines {@link #classes} (null: merged). */
  private final Loader loader;
  /** Each function's boxed entry, resolved at its first call (classes load when used). */
  private final MethodHandle[] entries;
  /**
   * Each function's loop entry once looked up ({@link #loopEntry}; null array: merged), and
   * whether it was (racy, as lookups agree).
   */
  private final MethodHandle[] loopEntries;
  private final boolean[] loopEntryLooked;
  /** What it was loaded from, for {@link #bytes} (null: {@link #merged} code). */
  private final Map<String, byte[]> classes;
  /** Merged code: the compilation that holds each function (null: none); else null. */
  private final CompiledCode[] parts;

  private CompiledCode(Signatures signatures, Map<Integer, String> refused, String[] owners,
      Map<String, byte[]> classes, CompiledCode[] parts) {
    this.signatures = signatures;
    this.refused = refused;
    this.owners = owners;
    this.classes = classes;
    this.loader = classes == null ? null : new Loader(Support.class.getClassLoader(), classes);
    this.entries = owners == null ? null : new MethodHandle[owners.length];
    this.loopEntries = owners == null ? null : new MethodHandle[owners.length];
    this.loopEntryLooked = owners == null ? null : new boolean[owners.length];
    this.parts = parts;
  }

  /**
   * The classes, the class of each function and the refusals, as one blob for the compile
   * cache ({@link #read} loads it back).
   */
  public byte[] bytes() {
    if (classes == null) throw new IllegalStateException("merged code is cached by its parts");
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

  /** The generated classes by internal name (their bytes: to inspect, e.g. method sizes). */
  public Map<String, byte[]> classes() {
    return Collections.unmodifiableMap(classes);
  }

  /** Loads a blob {@link #bytes} made for {@code module}; throws when it is not one. */
  public static CompiledCode read(WasmModule module, byte[] blob) throws IOException {
    return read(new Signatures(module), blob);
  }

  /** As {@link #read(WasmModule, byte[])}, for the module of {@code sigs}. */
  public static CompiledCode read(Signatures sigs, byte[] blob) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(blob));
    if (in.readInt() != FORMAT) throw new IOException("another format");
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

  /**
   * The code of one compilation. Its classes are defined when a function of theirs is first
   * called (a warm start of a large module loads hundreds of compiled functions it may not
   * call soon: defining and verifying them all first cost seconds before the first output).
   */
  static CompiledCode load(Signatures sigs, Map<String, byte[]> classes, String[] owners,
      Map<Integer, String> refused) {
    return new CompiledCode(sigs, Map.copyOf(refused), owners, classes, null);
  }

  /**
   * The code of {@code added} over {@code base} (two compilations of one module's functions):
   * each function's entry from {@code added} when it compiled it, else from {@code base}. Each
   * part's code calls what the other compiled through the machine (boxed). Not for the
   * cache ({@link #bytes}): each part is cached on its own.
   */
  static CompiledCode merged(CompiledCode base, CompiledCode added) {
    CompiledCode[] parts = new CompiledCode[base.functionCount()];
    for (int f = 0; f < parts.length; f++) {
      CompiledCode a = added.partOf(f);
      parts[f] = a != null ? a : base.partOf(f);
    }
    Map<Integer, String> refused = new TreeMap<>(base.refused);
    refused.putAll(added.refused);
    refused.keySet().removeIf(f -> f >= 0 && f < parts.length && parts[f] != null);
    return new CompiledCode(base.signatures, Map.copyOf(refused), null, null, parts);
  }

  /** The compilation that holds function {@code f}, or null when none does. */
  private CompiledCode partOf(int f) {
    if (f < 0 || f >= functionCount()) return null;
    if (parts != null) return parts[f];
    return owners[f] != null ? this : null;
  }

  /** The boxed entry of function {@code f}, or null when it is not compiled. */
  MethodHandle entry(int f) {
    CompiledCode p = partOf(f);
    return p == null ? null : p.resolved(f);
  }

  /** Function {@code f}'s entry in this compilation, resolved at its first use. */
  private MethodHandle resolved(int f) {
    MethodHandle h = entries[f];
    if (h == null) {
      // racy: two threads resolve the same method; a MethodHandle is safely published
      try {
        h = MethodHandles.publicLookup().findStatic(classOf(f), FunctionCompiler.entryName(f),
            ENTRY);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("clj-wasi: cannot load compiled code", e);
      }
      entries[f] = h;
    }
    return h;
  }

  /**
   * Function {@code f}'s loop entry {@code (long[] locals, long[] params, int loop, Context)
   * -> long[]} (see {@code FunctionCompiler.forLoopEntry}), or null when it has none (not
   * compiled, no loop that can be entered, or compiled without loop entries).
   */
  MethodHandle loopEntry(int f) {
    CompiledCode p = partOf(f);
    return p == null ? null : p.resolvedLoopEntry(f);
  }

  /** Function {@code f}'s loop entry in this compilation, looked up at its first use. */
  private MethodHandle resolvedLoopEntry(int f) {
    if (!loopEntryLooked[f]) {
      try {
        loopEntries[f] = MethodHandles.publicLookup().findStatic(classOf(f),
            FunctionCompiler.loopEntryName(f), LOOP_ENTRY);
      } catch (NoSuchMethodException e) {
        loopEntries[f] = null;
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("clj-wasi: cannot load compiled code", e);
      }
      loopEntryLooked[f] = true;
    }
    return loopEntries[f];
  }

  /** Whether function {@code f} is compiled with a loop entry. */
  public boolean hasLoopEntry(int f) {
    return loopEntry(f) != null;
  }

  /** The class of function {@code f} of this compilation (defined at its first use). */
  private Class<?> classOf(int f) throws ClassNotFoundException {
    return loader.loadClass(owners[f].replace('/', '.'));
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
    return partOf(f) != null;
  }

  /** How many functions are compiled. */
  public int compiledCount() {
    int n = 0;
    for (int f = 0; f < functionCount(); f++) n += partOf(f) == null ? 0 : 1;
    return n;
  }

  public int functionCount() {
    return parts != null ? parts.length : owners.length;
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
