package cljwasi.engine.cache;

import cljwasi.engine.ChicoryInternals;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * Compiled classes on disk, so a second run of a module skips compilation. Entries live
 * under {@code dir/<engine-version>/<module digest>.bin} and carry a CRC-32C of their
 * content: a corrupt or truncated entry reads as absent and is rebuilt, never trusted.
 * (The key is the module's SHA-256 digest; the checksum only has to catch damage. It used
 * to be a SHA-256 as well, which a fresh JVM computes in its bytecode interpreter: ~50 ms
 * for each 200 KB of compiled classes on every warm run. CRC-32C runs as an intrinsic from
 * the start, ~1 ms per MB.)
 * Writes go to a temporary file first and are moved into place atomically, so a crash
 * or a concurrent JVM never leaves a half-written entry behind.
 */
public final class CompileCache {
  /**
   * Changes whenever what we store changes: Chicory's version plus our entry format (v3:
   * CRC-32C checksums). The project's compiled code carries its own version as well
   * (CompiledCode.FORMAT, part of its keys).
   */
  static final String VERSION = "chicory-" + ChicoryInternals.chicoryVersion() + "-v3";

  /** Bytes of checksum before an entry's content. */
  private static final int CHECKSUM_BYTES = 4;

  private final Path dir;

  public CompileCache(Path root) {
    this.dir = root.resolve(VERSION);
  }

  private CompileCache(Path dir, boolean exact) {
    this.dir = dir;
  }

  /** A separate area for compilations made with other options (e.g. another fallback mode). */
  public CompileCache variant(String name) {
    return new CompileCache(dir.resolve(name), true);
  }

  /** $XDG_CACHE_HOME/clj-wasi, else ~/.cache/clj-wasi. */
  public static Path defaultRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isEmpty()
        ? Paths.get(xdg)
        : Paths.get(System.getProperty("user.home"), ".cache");
    return base.resolve("clj-wasi");
  }

  private Path entry(String key) {
    // the key (the module digest and more) is text; hex of its hash is a safe file name
    String hex = HexFormat.of().formatHex(sha256(key.getBytes(StandardCharsets.UTF_8)));
    return dir.resolve(hex + ".bin");
  }

  /** The entry for {@code key}, or null when it is absent, unreadable or corrupt. */
  public byte[] get(String key) {
    byte[] stored;
    try {
      stored = Files.readAllBytes(entry(key));
    } catch (IOException | RuntimeException e) {
      return null; // absent or unreadable: compile afresh
    }
    if (stored.length < CHECKSUM_BYTES) return null;
    ByteBuffer b = ByteBuffer.wrap(stored);
    int expected = b.getInt();
    if (checksum(stored, CHECKSUM_BYTES) != expected) return null; // corrupt: rebuild
    return Arrays.copyOfRange(stored, CHECKSUM_BYTES, stored.length);
  }

  /**
   * Stores (or replaces) the entry; a stale or corrupt one is overwritten. Caching is
   * best effort: an unwritable cache directory costs the next run a compilation, and
   * never fails this one.
   */
  public void put(String key, byte[] content) {
    try {
      store(key, content);
    } catch (IOException | RuntimeException e) {
      // read-only home, full disk, ...: run uncached
    }
  }

  private void store(String key, byte[] content) throws IOException {
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "entry", ".tmp");
    try {
      byte[] entry = ByteBuffer.allocate(CHECKSUM_BYTES + content.length)
          .putInt(0).put(content).array();
      ByteBuffer.wrap(entry).putInt(checksum(entry, CHECKSUM_BYTES));
      Files.write(tmp, entry);
      try {
        Files.move(tmp, entry(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, entry(key), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Removes the entry for {@code key} (after it failed to load). */
  public void remove(String key) throws IOException {
    Files.deleteIfExists(entry(key));
  }

  /** CRC-32C of {@code b} from {@code from} on. */
  private static int checksum(byte[] b, int from) {
    CRC32C crc = new CRC32C();
    crc.update(b, from, b.length - from);
    return (int) crc.getValue();
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
