package cljwasi.engine.tier;

/**
 * Knobs of tiered execution, read from system properties when a module is parsed (its
 * {@code cljwasi.engine.ModulePlan} keeps them, so a property set before parsing a module
 * applies to it):
 *
 * <ul>
 *   <li>{@code clj-wasi.tier} - {@code auto} (default): tier modules whose code section is
 *       at least {@code min-code-bytes}, compile smaller ones eagerly; {@code on}: tier every
 *       module; {@code off}: never tier (engine :auto compiles the whole module first).
 *   <li>{@code clj-wasi.tier.min-code-bytes} - default 4 MiB (eager compilation of a module
 *       that size takes a few seconds).
 *   <li>{@code clj-wasi.tier.calls} - calls after which a function is hot (default 1000).
 *   <li>{@code clj-wasi.tier.samples} - profiler samples (one per
 *       {@code sample-micros}, taken of the innermost interpreted function of each running
 *       instance) after which a function is hot (default 4; catches functions that spend
 *       their time in loops rather than being called often).
 *   <li>{@code clj-wasi.tier.sample-micros} - profiler period, default 1000.
 *   <li>{@code clj-wasi.tier.layer-functions} - at most this many functions in one compiled
 *       layer; newly hot functions (with their direct callees) are added to the newest layer
 *       (recompiling it, so that calls among them stay direct JVM calls) while they are at
 *       least a quarter of its size and it stays under this; otherwise a new layer starts
 *       (default 2000).
 *   <li>{@code clj-wasi.tier.functions-per-class} - Chicory's withMaxFunctionsPerClass for
 *       layers (default: Chicory's).
 *   <li>{@code clj-wasi.tier.sync} - {@code true}: compile hot functions on the thread that
 *       found them hot, before continuing (for tests: deterministic switch points).
 * </ul>
 */
public record TierConfig(Mode mode, long minCodeBytes, int callThreshold, int sampleThreshold,
    int sampleMicros, int layerFunctions, int functionsPerClass, boolean sync) {
  public enum Mode { AUTO, ON, OFF }

  /** The configuration the system properties give now. */
  public static TierConfig fromSystemProperties() {
    String m = System.getProperty("clj-wasi.tier", "auto").trim().toLowerCase(java.util.Locale.ROOT);
    Mode mode = m.equals("on") || m.equals("true") ? Mode.ON
        : m.equals("off") || m.equals("false") ? Mode.OFF : Mode.AUTO;
    return new TierConfig(mode,
        longProp("clj-wasi.tier.min-code-bytes", 4L << 20),
        (int) longProp("clj-wasi.tier.calls", 1000),
        (int) longProp("clj-wasi.tier.samples", 4),
        (int) Math.max(100, longProp("clj-wasi.tier.sample-micros", 1000)),
        (int) Math.max(1, longProp("clj-wasi.tier.layer-functions", 2000)),
        (int) longProp("clj-wasi.tier.functions-per-class", 0),
        Boolean.getBoolean("clj-wasi.tier.sync"));
  }

  private static long longProp(String name, long dflt) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) return dflt;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
