package cljwasi.engine.tier;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Keeps the JVM's optimizing compiler (C2) off the compiled layers of tiered modules, so that
 * their code is JIT-compiled by C1 only.
 *
 * <p>Why: a large program's hot code is thousands of big methods. On a machine with few cores
 * the JVM's single C2 thread falls behind by minutes: most of those methods then run as
 * profiled C1 code, which does not even inline the memory accessors, while they wait for C2.
 * Measured on a 77 MB module (2,700 hot functions, 2 cores, warm cache), a run took 25-31 s
 * with C2 and 16-20 s without (docs/PERFORMANCE.md). Code of small modules, compiled eagerly,
 * is not affected: layers have their own class names ({@link #LAYER_CLASS_NAME}), and the
 * compiler directive added here (through the JVM's DiagnosticCommand MBean, as
 * {@code jcmd Compiler.directives_add} would) matches only those.
 *
 * <p>Off with the system property {@code clj-wasi.tier.c2=true}. A JVM without that MBean
 * (not HotSpot) keeps its own policy.
 */
final class JitPolicy {
  private JitPolicy() {}

  /** Class name (prefix) of every class of a compiled layer. */
  static final String LAYER_CLASS_NAME = "cljwasi.engine.tier.layer.Layer";

  private static final String DIRECTIVE =
      "[{ match: [\"cljwasi/engine/tier/layer/*.*\"], c2: { Exclude: true } }]";

  private static boolean applied;

  /** Adds the directive once per JVM (unless switched off); never fails. */
  static synchronized void c1OnlyForLayers() {
    if (applied || Boolean.getBoolean("clj-wasi.tier.c2")) return;
    applied = true;
    try {
      Path f = Files.createTempFile("clj-wasi-jit", ".json");
      try {
        Files.write(f, DIRECTIVE.getBytes(StandardCharsets.US_ASCII));
        ManagementFactory.getPlatformMBeanServer().invoke(
            new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
            new Object[] {new String[] {f.toString()}}, new String[] {String[].class.getName()});
      } finally {
        Files.deleteIfExists(f);
      }
    } catch (Exception | LinkageError e) {
      // not HotSpot, or no management: layers are JIT-compiled as any other code
    }
  }
}
