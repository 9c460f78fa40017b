package cljwasi.engine.compiler;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One module's compilation in the background (engine {@code :auto} on a compile-cache miss):
 * the machine factory of the module, whose instances ({@link SwitchingMachine}) start in the
 * project's interpreter at once, while the whole module is compiled on a daemon thread; once
 * the compiled code is published every instance calls it from the next call of each function
 * on (functions already running finish interpreted: there is no on-stack replacement).
 *
 * <p>How the switch stays correct: every instance's interpreter is given this module's shared
 * "interpret here" mask, all true at first. Publishing stores the code (volatile) first and
 * then clears the mask bits of the compiled functions, so an interpreter that sees a cleared
 * bit sends the call to {@code instance.getMachine()}, the {@link SwitchingMachine}, which
 * runs it compiled; one that still sees the old bit interprets it, which is as correct. The
 * functions the compiler refused keep their bits and stay interpreted.
 *
 * <p>One compiler thread for the JVM, at the lowest priority, compiles one module at a time
 * (bounding the heap and the CPU the compilations take); a module that nobody references
 * any longer by the time its turn comes is not compiled. The thread is a daemon: a process
 * that ends before a compilation finishes does not wait for it (what the supplier stores in
 * the compile cache is written atomically, so an interrupted write leaves no entry).
 */
public final class BackgroundCompile implements Function<Instance, Machine> {
  /**
   * System property: {@code on} (the default), {@code off} (compile before the first call, as
   * {@code :compiler} does) or {@code hold} (for tests: background compilations wait for
   * {@link #release}, so a process that never calls it runs interpreted and must not wait).
   */
  public static final String PROPERTY = "clj-wasi.compiler.background";

  private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "clj-wasi-background-compiler");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    return t;
  });

  /** For tests: while set, a background compilation waits for it before it starts. */
  private static volatile CountDownLatch gate =
      "hold".equals(System.getProperty(PROPERTY, "on").trim()) ? new CountDownLatch(1) : null;

  private final String name;
  private final FunctionBody[] patched;
  /** Shared with every instance's interpreter: true = interpret the function there. */
  private final boolean[] interpreted;
  private final CountDownLatch done = new CountDownLatch(1);
  /** Null until published; never published when nothing compiled. */
  private volatile CompiledCode code;
  private volatile Throwable failure;

  private BackgroundCompile(String name, int functionCount, FunctionBody[] patched) {
    this.name = name;
    this.patched = patched;
    this.interpreted = new boolean[functionCount];
    Arrays.fill(interpreted, true);
  }

  /** Whether {@code :auto} compiles in the background (system property {@link #PROPERTY}). */
  public static boolean enabled() {
    return !"off".equals(System.getProperty(PROPERTY, "on").trim());
  }

  /**
   * Starts compiling in the background with {@code compile} (which also stores the code in
   * the compile cache when there is one) and returns the module's machine factory.
   * {@code patched}: the plan's replacement bodies for the interpreter.
   */
  public static BackgroundCompile start(String name, int functionCount, FunctionBody[] patched,
      Supplier<CompiledCode> compile) {
    BackgroundCompile bc = new BackgroundCompile(name, functionCount, patched);
    WeakReference<BackgroundCompile> ref = new WeakReference<>(bc);
    COMPILER.execute(() -> {
      BackgroundCompile wanted = ref.get();
      if (wanted == null) return; // the module is gone: no instance can use the code
      wanted.run(compile);
    });
    return bc;
  }

  private void run(Supplier<CompiledCode> compile) {
    try {
      CountDownLatch g = gate;
      if (g != null) g.await();
      publish(compile.get());
    } catch (InterruptedException e) {
      failure = e;
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      // the module keeps running interpreted, as :auto does for whatever does not compile
      failure = e;
    } finally {
      done.countDown();
    }
  }

  private void publish(CompiledCode c) {
    if (c.compiledCount() == 0) return; // nothing to switch to
    code = c; // before the mask bits (see the class comment)
    for (int f = 0; f < interpreted.length; f++) if (c.isCompiled(f)) interpreted[f] = false;
  }

  @Override
  public Machine apply(Instance instance) {
    return new SwitchingMachine(this, instance);
  }

  CompiledCode code() {
    return code;
  }

  boolean[] interpretedMask() {
    return interpreted;
  }

  FunctionBody[] patched() {
    return patched;
  }

  // ---- observing (tests, benchmarks) -------------------------------------------------------

  /** Waits until the compilation has finished (or failed) or {@code millis} pass; true if it has. */
  public boolean awaitDone(long millis) throws InterruptedException {
    return done.await(millis, TimeUnit.MILLISECONDS);
  }

  /** Whether the compiled code is published: calls from now on run compiled functions compiled. */
  public boolean isCompiled() {
    return code != null;
  }

  /** The compiled code once published, else null. */
  public CompiledCode compiledCode() {
    return code;
  }

  /** Why the compilation failed (the module then stays interpreted), or null. */
  public Throwable failure() {
    return failure;
  }

  public String name() {
    return name;
  }

  /**
   * For tests: holds every background compilation that has not started yet until
   * {@link #release} (a deterministic switch point). Returns nothing; pair with release in
   * a finally.
   */
  public static void hold() {
    gate = new CountDownLatch(1);
  }

  /** Lets held compilations (and later ones) run. */
  public static void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) g.countDown();
  }
}
