package cljwasi.engine.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an eager parse established about a module, kept in the compile cache (its
 * {@code facts} variant, keyed by the module's digest, checksummed like every entry) so
 * that the next run of the same bytes need not decode and validate every function body
 * again: that every body validated, and the result of the module plan's scan (which
 * functions use SIMD, which make tail calls). With it, {@code ModulePlan} parses the module
 * lazily, each body decoded at its first use, and still routes it as the eager parse did.
 *
 * <p>Only an eager parse that succeeded writes facts: an invalid module never has any, so it
 * is refused at load on every run. An entry that is corrupt, of another format or does not
 * read back whole counts as absent (the module is parsed eagerly again and the entry
 * rewritten).
 *
 * @param usesSimd whether any function or global of the module uses v128
 * @param simdFunctions the functions (function index space) that use SIMD
 * @param tailCallFunctions the functions that make a tail call
 */
public record ModuleFacts(boolean usesSimd, Set<Integer> simdFunctions,
    Set<Integer> tailCallFunctions) {
  /** The entry format; a different one reads as absent. */
  private static final int FORMAT = 0x63776631; // "cwf1"

  private static final String VARIANT = "facts";

  /** The facts recorded for the module with {@code digest}, or null when there are none. */
  public static ModuleFacts read(CompileCache cache, String digest) {
    byte[] b = cache.variant(VARIANT).get(digest);
    if (b == null) return null;
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      if (in.readInt() != FORMAT) return null;
      boolean simd = in.readBoolean();
      Set<Integer> simdFunctions = readSet(in);
      Set<Integer> tailCalls = readSet(in);
      return in.available() == 0 ? new ModuleFacts(simd, simdFunctions, tailCalls) : null;
    } catch (IOException | RuntimeException e) {
      return null; // checksummed but not ours (an older format): parse eagerly again
    }
  }

  /** Records these facts for the module with {@code digest} (best effort, as the cache is). */
  public void write(CompileCache cache, String digest) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(FORMAT);
      out.writeBoolean(usesSimd);
      writeSet(out, simdFunctions);
      writeSet(out, tailCallFunctions);
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory: cannot happen
    }
    cache.variant(VARIANT).putIfAbsent(digest, bytes.toByteArray());
  }

  private static Set<Integer> readSet(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available() / 4) throw new IOException("bad count " + n);
    Set<Integer> s = new TreeSet<>();
    for (int i = 0; i < n; i++) s.add(in.readInt());
    return Collections.unmodifiableSet(s);
  }

  private static void writeSet(DataOutputStream out, Set<Integer> s) throws IOException {
    out.writeInt(s.size());
    for (int i : s) out.writeInt(i);
  }
}
