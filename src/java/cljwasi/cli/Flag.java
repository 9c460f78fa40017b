package cljwasi.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The command line's flags, in usage order: each with its argument, its help line, the
 * option it sets (the key of clj-wasi.impl.options' table, or {@code invoke}, the runner's
 * own) and how its text becomes that option's value. The one declaration of the flags:
 * {@link CommandLine} parses with it in Java and clj-wasi's options table takes its
 * {@code :cli} rows from it, so the Java entry point ({@link Main}) and the Clojure runner
 * read a command line the same way. Values are plain Java (strings, longs, booleans, lists,
 * maps); whether a value is acceptable is the option's spec's business, not the flag's.
 */
public enum Flag {
  INVOKE("--invoke", "FUNC", "invoke", Add.SET,
      "call export FUNC with ARGS instead of running _start", text -> {
        if (text.isBlank()) throw new UsageException("--invoke needs the name of an export");
        return text;
      }),
  ENGINE("--engine", "E", "engine", Add.SET, "auto (default), compiler or interpreter",
      text -> text),
  CACHE_DIR("--cache-dir", "DIR", "cache-dir", Add.SET,
      "keep compiled classes in DIR (default ~/.cache/clj-wasi)", text -> text),
  NO_CACHE("--no-cache", null, "cache-dir", Add.SET, "compile afresh, store nothing",
      text -> Boolean.FALSE),
  MAX_MEMORY_PAGES("--max-memory-pages", "N", "max-memory-pages", Add.SET,
      "cap linear memory at N 64 KiB pages", text -> nat("--max-memory-pages", text)),
  // takes 0 too, as the shortest timeout there is (the option: 1 ms)
  TIMEOUT_MS("--timeout-ms", "N", "timeout-ms", Add.SET,
      "stop the module N milliseconds after it starts running",
      text -> Math.max(1L, nat("--timeout-ms", text))),
  ENV("--env", "NAME=VALUE", "env", Add.MERGE, "set an environment variable (repeatable)",
      Flag::envVar),
  /** A second usage line for --env: no flag of its own. */
  ENV_PASSED("--env", "NAME", "env", Add.MERGE,
      "pass NAME on from this process's environment (if set)", null),
  DIR("--dir", "HOST[::GUEST]", "preopens", Add.CONJ,
      "preopen host directory HOST as GUEST (default: HOST as written)",
      text -> preopen("--dir", text, false)),
  DIR_RO("--dir-ro", "HOST[::GUEST]", "preopens", Add.CONJ, "the same, read-only",
      text -> preopen("--dir-ro", text, true)),
  MAX_OUTPUT_BYTES("--max-output-bytes", "N", "max-output-bytes", Add.SET,
      "cap stdout+stderr: the first write past it fails with ENOSPC, a module that writes"
          + " again is stopped (exit 1)",
      text -> nat("--max-output-bytes", text)),
  TRACE("--trace", null, "trace", Add.SET, "print every WASI call to stderr as EDN",
      text -> Boolean.TRUE),
  LISTEN("--listen", "HOST:PORT", "listen", Add.CONJ,
      "preopen a TCP listener (after the directories)", text -> text);

  /** How a repeated flag adds up: the last one counts, a list of all, a map of all. */
  public enum Add { SET, CONJ, MERGE }

  public final String flag;
  /** The argument's name in the usage text; null for a flag that takes none. */
  public final String arg;
  public final String option;
  public final Add add;
  public final String help;
  /** Text to value (null: none, as for an unset --env NAME); null for a usage line only. */
  public final Function<String, Object> value;

  Flag(String flag, String arg, String option, Add add, String help,
      Function<String, Object> value) {
    this.flag = flag;
    this.arg = arg;
    this.option = option;
    this.add = add;
    this.help = help;
    this.value = value;
  }

  /** Flag text as a non-negative integer (up to 18 digits, so that it fits a long). */
  private static long nat(String flag, String text) {
    if (text.matches("\\d{1,18}")) return Long.parseLong(text);
    throw new UsageException(flag + " needs a non-negative integer, got " + quoted(text));
  }

  /** --dir text: {host, guest (default: host as written), read-only}. */
  private static Object preopen(String flag, String text, boolean readOnly) {
    String[] parts = text.split("::", 2);
    if (parts[0].isBlank()) throw new UsageException(flag + " needs HOST[::GUEST]");
    String guest = parts.length < 2 || parts[1].isBlank() ? parts[0] : parts[1];
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("host", parts[0]);
    p.put("guest", guest);
    p.put("read-only", readOnly);
    return p;
  }

  /**
   * --env text as a map to merge: NAME=VALUE, or NAME alone to pass this process's variable
   * on, as wasmtime does (null, no variable at all, when it is unset).
   */
  private static Object envVar(String text) {
    String[] parts = text.split("=", 2);
    if (parts[0].isBlank()) {
      throw new UsageException("--env needs NAME=VALUE or NAME, got " + quoted(text));
    }
    String v = parts.length == 2 ? parts[1] : System.getenv(parts[0]);
    if (v == null) return null;
    Map<String, String> m = new LinkedHashMap<>();
    m.put(parts[0], v);
    return m;
  }

  /** {@code s} as Clojure's pr-str prints a string (the messages quote text that way). */
  static String quoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        case '\f' -> b.append("\\f");
        case '\b' -> b.append("\\b");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** The flags that set option {@code option}, usage lines included, in order. */
  public static List<Flag> of(String option) {
    return java.util.Arrays.stream(values()).filter(f -> f.option.equals(option)).toList();
  }
}
