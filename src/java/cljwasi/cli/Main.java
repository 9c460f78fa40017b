package cljwasi.cli;

import cljwasi.Engine;
import cljwasi.Module;
import cljwasi.ModuleInstance;
import cljwasi.WasmException;
import cljwasi.engine.cache.CompileCache;
import cljwasi.wasi.WasiOptions;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The command-line runner's entry point ({@code bin/clj-wasi}). Loading Clojure and
 * clj-wasi's namespaces is most of a short program's time (~0.25 s of a 0.45 s hello world on
 * 2 cores), so a plain run, a module with directories, environment, cache and engine flags,
 * is made here in Java, with the flags read by {@link CommandLine} as the Clojure runner
 * reads them. Everything else goes to the Clojure runner ({@code clj-wasi.main}) in this same
 * JVM, which then does the whole run itself: usage text, the bundled demo, {@code .wat},
 * {@code --invoke}, {@code --trace}, {@code --timeout-ms}, {@code --listen}, a value that
 * needs its option's check, and any failure before the guest starts (the runner reports it
 * with the API's message). So every message about options and set-up comes from one place.
 */
public final class Main {
  private Main() {}

  /** Options the Java path leaves to the Clojure runner (see the class comment). */
  private static final Set<String> CLOJURE_ONLY =
      Set.of("invoke", "trace", "timeout-ms", "listen");

  /** The guest thread's stack: real programs recurse deeply (as in clj-wasi.main). */
  private static final long GUEST_STACK_BYTES = 1L << 30;

  public static void main(String[] argv) {
    Run run = prepare(argv);
    if (run == null) {
      clojureRunner(argv);
      return;
    }
    System.exit(run.start());
  }

  /**
   * The process exit code for an error of type {@code type} (a WasmException's type, or
   * "usage" for a command line that cannot be read): 2 for a bad option or usage, 134 for a
   * trap, 124 for a timeout, else 1. The Clojure runner uses it too.
   */
  public static int exitCode(String type) {
    return switch (type == null ? "" : type) {
      case "usage", "bad-option" -> 2;
      case "trap" -> 134;
      case "timeout" -> 124;
      default -> 1;
    };
  }

  /** An instance ready to run its _start. */
  private record Run(ModuleInstance instance) {
    int start() {
      int[] exit = {0};
      Thread guest = new Thread(null, () -> exit[0] = runGuest(instance), "clj-wasi-guest",
          GUEST_STACK_BYTES);
      guest.setDaemon(true);
      guest.start();
      try {
        guest.join();
      } catch (InterruptedException e) {
        return 130;
      }
      return exit[0];
    }
  }

  private static int runGuest(ModuleInstance inst) {
    try (inst) {
      return inst.runCommand("_start");
    } catch (WasmException e) {
      System.err.println("clj-wasi: " + e.getMessage());
      return exitCode(e.type());
    } catch (Throwable t) {
      System.err.println("clj-wasi: internal error: " + t);
      return 70;
    }
  }

  /** The instance this command line runs, or null when it is the Clojure runner's to run. */
  private static Run prepare(String[] argv) {
    CommandLine cl;
    try {
      cl = CommandLine.parse(Arrays.asList(argv));
    } catch (UsageException e) {
      return null;
    }
    Map<String, Object> o = cl.options();
    if (cl.help() || cl.module() == null
        || cl.module().toLowerCase(Locale.ROOT).endsWith(".wat")
        || o.keySet().stream().anyMatch(CLOJURE_ONLY::contains)) {
      return null;
    }
    try {
      Engine engine = engine((String) o.getOrDefault("engine", "auto"));
      Long pages = (Long) o.get("max-memory-pages");
      if (engine == null || (pages != null && pages > 65536)) return null;
      Object dir = o.get("cache-dir");
      CompileCache cache = Boolean.FALSE.equals(dir) ? null
          : new CompileCache(dir == null ? CompileCache.defaultRoot() : Path.of((String) dir));
      Path path = Path.of(cl.module());
      Module module = Module.parse(path, cache);
      if (!module.exports().containsKey("_start")) return null;

      List<String> args = new ArrayList<>();
      args.add(path.getFileName().toString());
      args.addAll(cl.args());
      boolean tty = System.console() != null;
      WasiOptions.Builder w = WasiOptions.builder().args(args)
          .stdin(() -> new FileInputStream(FileDescriptor.in), tty)
          .stdout(() -> new FileOutputStream(FileDescriptor.out), tty)
          .stderr(() -> new FileOutputStream(FileDescriptor.err), tty);
      @SuppressWarnings("unchecked")
      Map<String, String> env = (Map<String, String>) o.getOrDefault("env", Map.of());
      env.forEach(w::env);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> preopens =
          (List<Map<String, Object>>) o.getOrDefault("preopens", List.of());
      for (Map<String, Object> p : preopens) {
        String host = (String) p.get("host");
        String guest = (String) p.get("guest");
        if (host.indexOf('\0') >= 0 || guest.indexOf('\0') >= 0
            || !Files.isDirectory(Path.of(host))) {
          return null; // the option's check says what is wrong
        }
        w.preopen(guest, Path.of(host).toAbsolutePath(), (Boolean) p.get("read-only"));
      }
      Long maxOutput = (Long) o.get("max-output-bytes");
      if (maxOutput != null) w.maxOutputBytes(maxOutput);

      ModuleInstance.Builder b = ModuleInstance.builder(module).engine(engine)
          .compileCache(cache).wasi(w.build());
      if (pages != null) b.maxMemoryPages(pages.intValue());
      return new Run(b.build());
    } catch (RuntimeException | LinkageError e) {
      return null; // the Clojure runner redoes it and reports why, as the API would
    }
  }

  private static Engine engine(String name) {
    return switch (name) {
      case "auto" -> Engine.AUTO;
      case "compiler" -> Engine.COMPILER;
      case "interpreter" -> Engine.INTERPRETER;
      default -> null;
    };
  }

  /** Runs the Clojure runner, clj-wasi.main, on {@code argv} (it exits the JVM). */
  private static void clojureRunner(String[] argv) {
    String[] main = new String[argv.length + 2];
    main[0] = "-m";
    main[1] = "clj-wasi.main";
    System.arraycopy(argv, 0, main, 2, argv.length);
    try {
      Class.forName("clojure.main").getMethod("main", String[].class).invoke(null, (Object) main);
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable t = e.getCause();
      if (t instanceof RuntimeException r) throw r;
      if (t instanceof Error err) throw err;
      throw new IllegalStateException(t);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("clj-wasi: Clojure is not on the classpath", e);
    }
  }
}
