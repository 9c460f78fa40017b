package cljwasi.engine.compiler;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;

/**
 * A module's compiled functions, loaded: the boxed entry of each ({@code long[] -> long[]},
 * null for a function not compiled) and why each refused function was refused.
 */
public final class CompiledCode {
  private static final MethodType ENTRY =
      MethodType.methodType(long[].class, long[].class, Context.class);

  private final Signatures signatures;
  private final MethodHandle[] entries;
  private final Map<Integer, String> refused;

  private CompiledCode(Signatures signatures, MethodHandle[] entries, Map<Integer, String> refused) {
    this.signatures = signatures;
    this.entries = entries;
    this.refused = refused;
  }

  static CompiledCode load(Signatures sigs, Map<String, byte[]> classes, String[] owners,
      Map<Integer, String> refused) {
    Loader loader = new Loader(Support.class.getClassLoader(), classes);
    MethodHandle[] entries = new MethodHandle[owners.length];
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    try {
      for (int f = 0; f < owners.length; f++) {
        if (owners[f] == null) continue;
        Class<?> c = loader.loadClass(owners[f].replace('/', '.'));
        entries[f] = lookup.findStatic(c, FunctionCompiler.entryName(f), ENTRY);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("clj-wasi: cannot load compiled code", e);
    }
    return new CompiledCode(sigs, entries, Map.copyOf(refused));
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
