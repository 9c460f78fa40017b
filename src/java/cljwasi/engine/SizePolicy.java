package cljwasi.engine;

import java.util.Locale;

/**
 * Which modules count as <em>large</em>, read from system properties when a module is parsed
 * (its {@link ModulePlan} keeps the answer, so a property set before parsing a module applies
 * to it). A large module is parsed lazily (each body decoded at its first use) and, under
 * {@code :auto}, never compiled whole: it starts interpreted and its hot functions are
 * compiled in the background ({@code cljwasi.engine.compiler.BackgroundCompile}).
 *
 * <ul>
 *   <li>{@code clj-wasi.large} - {@code auto} (default): large when the code section is at
 *       least {@code min-code-bytes}; {@code on}: every module is large; {@code off}: none.
 *   <li>{@code clj-wasi.large.min-code-bytes} - default 4 MiB (compiling a module that size
 *       whole takes a few seconds before its first instruction).
 * </ul>
 */
public record SizePolicy(Mode mode, long minCodeBytes) {
  public enum Mode { AUTO, ON, OFF }

  public static final String PROPERTY = "clj-wasi.large";
  public static final String MIN_CODE_BYTES_PROPERTY = "clj-wasi.large.min-code-bytes";

  /** The policy the system properties give now. */
  public static SizePolicy fromSystemProperties() {
    String m = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    Mode mode = m.equals("on") || m.equals("true") ? Mode.ON
        : m.equals("off") || m.equals("false") ? Mode.OFF : Mode.AUTO;
    return new SizePolicy(mode, longProperty(MIN_CODE_BYTES_PROPERTY, 4L << 20));
  }

  /** Whether a module whose code section has {@code codeBytes} bytes is large. */
  public boolean isLarge(long codeBytes) {
    return switch (mode) {
      case ON -> true;
      case OFF -> false;
      default -> codeBytes >= minCodeBytes;
    };
  }

  private static long longProperty(String name, long dflt) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) return dflt;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
