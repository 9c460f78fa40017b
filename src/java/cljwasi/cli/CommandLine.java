package cljwasi.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command line read with {@link Flag}: {@code [OPTIONS] [--] MODULE [ARGS...]}, options
 * ending at the first argument that is not one (or after {@code --}); {@code -h} or
 * {@code --help} anywhere among them asks for the usage text.
 *
 * @param help whether the usage text was asked for (then nothing else is read)
 * @param options each option given, by key, its value as {@link Flag} makes it (a list for
 *     repeatable flags, a map for --env), in the order first given
 * @param module the module's path, or null (the bundled demo)
 * @param args the arguments after the module
 */
public record CommandLine(boolean help, Map<String, Object> options, String module,
    List<String> args) {

  /** Reads {@code argv}; throws {@link UsageException} for a flag it cannot read. */
  @SuppressWarnings("unchecked")
  public static CommandLine parse(List<String> argv) {
    Map<String, Object> opts = new LinkedHashMap<>();
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals("--")) {
        return new CommandLine(false, opts, i + 1 < argv.size() ? argv.get(i + 1) : null,
            rest(argv, i + 2));
      }
      if (a.equals("-h") || a.equals("--help")) return new CommandLine(true, opts, null, List.of());
      if (!a.startsWith("-")) return new CommandLine(false, opts, a, rest(argv, i + 1));
      String name = a;
      String inline = null;
      if (a.startsWith("--") && a.indexOf('=') >= 0) {
        name = a.substring(0, a.indexOf('='));
        inline = a.substring(a.indexOf('=') + 1);
      }
      Flag f = find(name);
      if (f == null) throw new UsageException("unknown option " + a);
      String text = null;
      if (f.arg != null) {
        if (inline != null) {
          text = inline;
        } else if (i + 1 < argv.size()) {
          text = argv.get(++i);
        } else {
          throw new UsageException(name + " needs a value");
        }
      }
      Object v = f.value.apply(text);
      if (v == null) continue;
      switch (f.add) {
        case SET -> opts.put(f.option, v);
        case CONJ -> ((List<Object>) opts.computeIfAbsent(f.option, k -> new ArrayList<>())).add(v);
        case MERGE -> ((Map<Object, Object>) opts.computeIfAbsent(f.option, k -> new LinkedHashMap<>()))
            .putAll((Map<?, ?>) v);
      }
    }
    return new CommandLine(false, opts, null, List.of());
  }

  private static Flag find(String name) {
    for (Flag f : Flag.values()) if (f.flag.equals(name) && f.value != null) return f;
    return null;
  }

  private static List<String> rest(List<String> argv, int from) {
    return from >= argv.size() ? List.of() : List.copyOf(argv.subList(from, argv.size()));
  }
}
