package cljwasi.engine.compiler;

import java.lang.ref.SoftReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compiled code already loaded in this JVM, by its compile-cache key ({@link CodeCache}:
 * module digest, code format, limits, functions compiled). A module instantiated again in the
 * same JVM (a new parse of the same bytes included) runs the classes its last instance ran, so
 * HotSpot's compiled code and profiles for them carry over. With a fresh class loader per
 * instance HotSpot interpreted, profiled and compiled the new classes all over again,
 * deoptimising and recompiling them several times per instance: sha256 of 64 MiB run
 * repeatedly in one JVM had its block function C2-compiled 4-5 times per run (JFR: loop
 * predicate deoptimisations at its first loop's header) and took 0.64 s of CPU per run,
 * 0.43 s sharing. The generated classes hold no state (every call takes its instance's
 * {@code Context}), so instances on any thread can share them.
 *
 * <p>The compile cache stays the authority: code is shared only when the cache still holds a
 * valid entry under the key (a corrupt or removed entry is compiled and stored again, as
 * before; without a compile cache nothing is shared). The values are soft references:
 * classes no instance runs go when memory is short.
 */
final class LoadedCode {
  private LoadedCode() {}

  private static final Map<String, SoftReference<CompiledCode>> BY_KEY = new ConcurrentHashMap<>();

  /** The code loaded under {@code key}, or null. */
  static CompiledCode get(String key) {
    SoftReference<CompiledCode> ref = BY_KEY.get(key);
    return ref == null ? null : ref.get();
  }

  /** Remembers {@code code} under {@code key} (and forgets the entries the GC cleared). */
  static void put(String key, CompiledCode code) {
    BY_KEY.values().removeIf(ref -> ref.get() == null);
    BY_KEY.put(key, new SoftReference<>(code));
  }
}
