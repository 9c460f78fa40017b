package cljwasi.engine.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * What an eager parse established about a module, kept in the compile cache (its
 * {@code facts} variant, checksummed like every entry) so that the next run of the same bytes
 * need not decode and validate every function body again: that every body validated, the
 * result of the module plan's scan (which functions use SIMD, which make tail calls), and the
 * module's digest (the compile cache's key). With it, {@code ModulePlan} parses the module
 * lazily, each body decoded at its first use, and still routes it as the eager parse did.
 *
 * <p>The entry is found by a cheap fingerprint of the bytes (CRC-32C and length) and holds
 * a copy of them, compared byte for byte: a fresh JVM runs SHA-256 in its bytecode
 * interpreter (~50 ms per 250 KB), CRC-32C and the comparison as intrinsics or nearly (~1 ms
 * per MB), so a warm run does not hash the module at all; the digest it needs as the compile
 * cache key is the one recorded. Two modules with the same fingerprint only evict each other.
 *
 * <p>Only an eager parse that succeeded writes facts: an invalid module never has any, so it
 * is refused at load on every run. An entry that is corrupt, of another format, or holds
 * other bytes counts as absent (the module is parsed eagerly again and the entry rewritten).
 *
 * @param usesSimd whether any function or global of the module uses v128
 * @param patchedFunctions the code-section indices of the bodies the project's interpreter
 *     runs patched (ModulePlan's scan): the next parse decodes and patches just those
 * @param simdFunctions the functions (function index space) that use SIMD
 * @param tailCallFunctions the functions that make a tail call
 */
public record ModuleFacts(boolean usesSimd, Set<Integer> simdFunctions,
    Set<Integer> tailCallFunctions, Set<Integer> patchedFunctions) {
  /** The entry format; a different one reads as absent. */
  private static final int FORMAT = 0x63776634; // "cwf4": cwf3 predates the branch fix's patches

  private static final String VARIANT = "facts";

  /** Facts found for a module, with its digest as the run that recorded them computed it. */
  public record Recorded(ModuleFacts facts, String digest) {}

  /** The facts recorded for a module of exactly these {@code bytes}, or null. */
  public static Recorded lookup(CompileCache cache, byte[] bytes) {
    byte[] b = cache.variant(VARIANT).get(fingerprint(bytes));
    if (b == null) return null;
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      if (in.readInt() != FORMAT) return null;
      String digest = in.readUTF();
      int n = in.readInt();
      if (n != bytes.length || n > in.available()) return null;
      byte[] recorded = new byte[n];
      in.readFully(recorded);
      if (!Arrays.equals(recorded, bytes)) return null; // another module, same fingerprint
      boolean simd = in.readBoolean();
      Set<Integer> simdFunctions = readSet(in);
      Set<Integer> tailCalls = readSet(in);
      Set<Integer> patched = readSet(in);
      return in.available() == 0
          ? new Recorded(new ModuleFacts(simd, simdFunctions, tailCalls, patched), digest)
          : null;
    } catch (IOException | RuntimeException e) {
      return null; // checksummed but not ours (an older format): parse eagerly again
    }
  }

  /**
   * Records these facts for the module of {@code bytes}, whose digest is {@code digest}
   * (best effort, as the cache is).
   */
  public void write(CompileCache cache, byte[] bytes, String digest) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 256);
    try (DataOutputStream o = new DataOutputStream(out)) {
      o.writeInt(FORMAT);
      o.writeUTF(digest);
      o.writeInt(bytes.length);
      o.write(bytes);
      o.writeBoolean(usesSimd);
      writeSet(o, simdFunctions);
      writeSet(o, tailCallFunctions);
      writeSet(o, patchedFunctions);
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory: cannot happen
    }
    cache.variant(VARIANT).put(fingerprint(bytes), out.toByteArray());
  }

  /** The entry's key: CRC-32C and length of the bytes. */
  private static String fingerprint(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length);
    return "crc32c:" + Long.toHexString(crc.getValue()) + ":" + bytes.length;
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
