package cljwasi;

import java.util.Locale;

/** Names the kind of a trap from what Chicory (or the JVM) threw. */
final class Traps {
  private Traps() {}

  static String kind(Throwable t) {
    if (t instanceof StackOverflowError) return "stack-overflow";
    String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
    if (m.contains("unreachable")) return "unreachable";
    if (m.contains("divide by zero")) return "integer-divide-by-zero";
    if (m.contains("integer overflow")) return "integer-overflow";
    if (m.contains("invalid conversion to integer")) return "invalid-conversion-to-integer";
    if (m.contains("out of bounds memory access")) return "out-of-bounds-memory-access";
    if (m.contains("out of bounds table access")) return "out-of-bounds-table-access";
    if (m.contains("indirect call type mismatch")) return "indirect-call-type-mismatch";
    if (m.contains("undefined element") || m.contains("uninitialized element")) {
      return "undefined-element";
    }
    if (m.contains("call stack exhausted")) return "stack-overflow";
    if (m.contains("unaligned atomic")) return "unaligned-atomic";
    return "trap";
  }
}
