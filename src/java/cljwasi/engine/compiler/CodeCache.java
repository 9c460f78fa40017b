package cljwasi.engine.compiler;

import cljwasi.engine.cache.CompileCache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One module's compiled code in the compile cache: an entry per compiled set of functions
 * (the whole module, or one batch of hot functions), keyed by the module's digest, the code
 * format ({@link CompiledCode#FORMAT}), the method size limit, the split limit
 * ({@link ModuleCompiler#splitBytes}: it changes the code) and the set; and, for a module
 * compiled in batches, the list of its batches (so that the next run loads them all before
 * its first call). An entry that does not load is dropped and compiled again.
 */
public final class CodeCache {
  private static final String BATCHES_HEADER = "clj-wasi batches v1";

  private final CompileCache cache;
  private final Signatures signatures;
  private final String prefix;

  /**
   * {@code cache}: the compile cache's area for the project's compiler; {@code signatures}:
   * the module's; {@code moduleKey}: its digest; {@code maxBytes}: the method size limit the
   * code is compiled with (the split limit is read here, as ModuleCompiler reads it).
   */
  public CodeCache(CompileCache cache, Signatures signatures, String moduleKey, int maxBytes) {
    this.cache = cache;
    this.signatures = signatures;
    this.prefix = moduleKey + "|" + CompiledCode.FORMAT + "|" + maxBytes + "|split"
        + ModuleCompiler.splitBytes();
  }

  private String key(Set<Integer> functions) {
    return prefix + "|" + new TreeSet<>(functions);
  }

  /**
   * The code compiled for {@code functions}, or null when it is not cached (or does not load).
   * Code this JVM loaded under the same key is shared while the entry is there
   * ({@link LoadedCode}).
   */
  public CompiledCode load(Set<Integer> functions) {
    String key = key(functions);
    byte[] blob = cache.get(key); // checksummed: null when absent or corrupt
    if (blob == null) return null;
    CompiledCode loaded = LoadedCode.get(key);
    if (loaded != null) return loaded;
    try {
      CompiledCode code = CompiledCode.read(signatures, blob);
      LoadedCode.put(key, code);
      return code;
    } catch (IOException | RuntimeException | LinkageError e) {
      remove(key);
      return null;
    }
  }

  /** Stores {@code code}, compiled for {@code functions} (atomically: see CompileCache). */
  public void store(Set<Integer> functions, CompiledCode code) {
    String key = key(functions);
    cache.put(key, code.bytes());
    LoadedCode.put(key, code);
  }

  /** The batches a previous run compiled, in order (empty when none is recorded). */
  List<Set<Integer>> batches() {
    List<Set<Integer>> out = new ArrayList<>();
    byte[] b = cache.get(prefix + "|batches");
    if (b == null) return out;
    String[] lines = new String(b, StandardCharsets.UTF_8).split("\n");
    if (lines.length == 0 || !lines[0].equals(BATCHES_HEADER)) return out;
    try {
      for (int i = 1; i < lines.length; i++) {
        if (lines[i].isBlank()) continue;
        Set<Integer> s = new TreeSet<>();
        for (String f : lines[i].split(",")) s.add(Integer.parseInt(f.trim()));
        out.add(s);
      }
    } catch (NumberFormatException e) {
      return new ArrayList<>(); // the checksum matched: written by another format
    }
    return out;
  }

  /** Records {@code batches} (replacing what was recorded) for the next run. */
  void storeBatches(List<Set<Integer>> batches) {
    StringBuilder sb = new StringBuilder(BATCHES_HEADER).append('\n');
    for (Set<Integer> s : batches) {
      String sep = "";
      for (int f : s) {
        sb.append(sep).append(f);
        sep = ",";
      }
      sb.append('\n');
    }
    cache.put(prefix + "|batches", sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void remove(String key) {
    try {
      cache.remove(key);
    } catch (IOException ignored) {
      // an unwritable cache only costs the next run a compilation
    }
  }
}
