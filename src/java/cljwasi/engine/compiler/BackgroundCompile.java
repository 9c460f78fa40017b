package cljwasi.engine.compiler;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.interp.BackEdges;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.OpCode;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One module's compilation in the background: the machine factory of the module, whose
 * instances ({@link SwitchingMachine}) start in the project's interpreter at once, while
 * the module's code is compiled on a daemon thread; once compiled code is published every
 * instance calls it from the next call of each function on, and a function already running
 * moves to it at its next back-edge (on-stack replacement through the function's loop
 * entry, see {@link SwitchingMachine}; a loop that cannot be entered, or a function
 * compiled without a loop entry, finishes interpreted). Two modes:
 *
 * <ul>
 *   <li><em>Hot functions</em> ({@link #startHot}; engine {@code :auto} on a large module):
 *       only what gets hot is compiled, in small batches, as long as the module runs, and
 *       never the whole module ({@link HotBatches}). A function is hot after
 *       {@link #HOT_CALLS_PROPERTY} interpreted calls, or after {@link #HOT_SAMPLES_PROPERTY}
 *       samples of the innermost interpreted function of a running instance, taken every
 *       millisecond ({@link HotSampler}: a function that spends its time in loops, such as a
 *       {@code main}, is called once).
 *   <li><em>Whole module</em> ({@link #start}; engine {@code :auto} on a compile-cache miss
 *       of a module below the size, opt-in with {@link #PROPERTY}): described below.
 * </ul>
 *
 * <p>What the whole-module mode compiles when: the compiler thread first lets the guest run for a moment
 * ({@link #DELAY_PROPERTY}, default {@value #DEFAULT_DELAY_MILLIS} ms: a run shorter than that,
 * such as hello world, never pays for a compilation it would not use; {@link #awaitDone}
 * cuts the moment short, as someone wants the code now). Then, in a module of
 * at least {@value #MIN_FUNCTIONS_FOR_BATCH} functions, the functions the interpreter has
 * already called {@value #DEFAULT_HOT_CALLS} times or looped {@value #HOT_BACK_EDGES} times
 * (counts of every instance) and their direct
 * callees are compiled first, as a small batch, and published; then the whole module is
 * compiled, published and stored in the compile cache (by the supplier), so the next run
 * starts compiled. A module smaller than that, or with nothing hot yet, is compiled whole
 * at once.
 *
 * <p>How the switch stays correct: every instance's interpreter is given this module's shared
 * "interpret here" mask, all true at first. Publishing stores the code (volatile) first and
 * then clears the mask bits of the compiled functions, so an interpreter that sees a cleared
 * bit sends the call to {@code instance.getMachine()}, the {@link SwitchingMachine}, which
 * runs it compiled; one that still sees the old bit interprets it, which is as correct. The
 * functions the compiler refused keep their bits and stay interpreted. A later publication
 * (the whole module after a batch, or another batch of hot functions, merged over the
 * earlier ones: {@link CompiledCode#merged}) replaces the code: calls out of one
 * compilation's code to functions it did not compile go through
 * {@code instance.getMachine()} too, and so reach the newest code.
 *
 * <p>One compiler thread for the JVM, at the lowest priority, compiles one module at a time
 * (bounding the heap and the CPU the compilations take); a module that nobody references
 * any longer by the time its turn comes is not compiled. The thread is a daemon: a process
 * that ends before a compilation finishes does not wait for it (what the supplier stores in
 * the compile cache is written atomically, so an interrupted write leaves no entry).
 */
public final class BackgroundCompile implements Function<Instance, Machine> {
  /**
   * System property: {@code off} (the default: compile before the first call, as
   * {@code :compiler} does), {@code on} or {@code hold} (for tests: on, and background
   * compilations wait for {@link #release}, so a process that never calls it runs
   * interpreted and must not wait). Off by default: even with loop entries a cold run of a
   * long-running program costs more than compiling first (OwnCompiler says how much).
   */
  public static final String PROPERTY = "clj-wasi.compiler.background";

  private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "clj-wasi-background-compiler");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    return t;
  });

  /** System property: how long the guest runs before the compiler thread starts (ms). */
  public static final String DELAY_PROPERTY = "clj-wasi.compiler.background.delay-ms";

  static final int DEFAULT_DELAY_MILLIS = 50;

  /** System property: interpreted calls after which a function is hot (default 1000). */
  public static final String HOT_CALLS_PROPERTY = "clj-wasi.compiler.hot-calls";

  static final int DEFAULT_HOT_CALLS = 1000;

  /**
   * System property: samples (one a millisecond, of the innermost interpreted function of each
   * running instance) after which a function is hot in the hot-functions mode (default 4;
   * 0: no sampling, only calls count).
   */
  public static final String HOT_SAMPLES_PROPERTY = "clj-wasi.compiler.hot-samples";

  static final int DEFAULT_HOT_SAMPLES = 4;

  /** Interpreted back-edges after which a function is compiled in the first batch. */
  static final int HOT_BACK_EDGES = 10_000;

  /** For tests: the back-edge at which interpreters enter compiled code (0: at once). */
  private static volatile long enterAt;

  /** Modules with fewer functions are compiled whole at once (a batch would save little). */
  static final int MIN_FUNCTIONS_FOR_BATCH = 32;

  /**
   * For tests: while set, each step of a background compilation (the start, and the whole
   * module after a first batch) takes a permit of it first.
   */
  private static volatile Semaphore gate =
      "hold".equals(System.getProperty(PROPERTY, "off").trim()) ? new Semaphore(0) : null;

  private final String name;
  private final WasmModule module;
  private final int imports;
  private final FunctionBody[] patched;
  /** What the instances' interpreters run: {@link #patched} with back-edges made visible. */
  private final FunctionBody[] interpreterBodies;
  /** Shared with every instance's interpreter: true = interpret the function there. */
  private final boolean[] interpreted;
  /** Interpreted calls by function, of every instance (racy: a lost count costs nothing). */
  private final int[] calls;
  /** Profiler samples by function (hot-functions mode; racy as calls). */
  private final int[] samples;
  private final int hotCalls = Math.max(1, Integer.getInteger(HOT_CALLS_PROPERTY, DEFAULT_HOT_CALLS));
  private final int hotSamples = Integer.getInteger(HOT_SAMPLES_PROPERTY, DEFAULT_HOT_SAMPLES);
  /** Interpreted back-edges by function, of every instance (racy, as calls). */
  private final int[] backEdges;
  private final AtomicLong loopsEntered = new AtomicLong();
  /** Hot functions not yet handed to a compilation. */
  private final Set<Integer> hot = ConcurrentHashMap.newKeySet();
  /** The hot-functions mode's compilations; null in the whole-module mode. */
  private HotBatches hotBatches;
  private final CountDownLatch done = new CountDownLatch(1);
  /** Counted down by a waiter ({@link #awaitDone}): it wants the code now, not after the delay. */
  private final CountDownLatch hurry = new CountDownLatch(1);
  /** Null until published; never published when nothing compiled. */
  private volatile CompiledCode code;
  /** The functions of the first batch (empty: none was compiled). */
  private volatile Set<Integer> firstBatch = Set.of();
  private volatile Throwable failure;

  private BackgroundCompile(String name, WasmModule module, int imports, int functionCount,
      FunctionBody[] patched) {
    this.name = name;
    this.module = module;
    this.imports = imports;
    this.patched = patched;
    this.interpreterBodies = ChicoryInternals.canEnterLoops()
        ? BackEdges.rewriteAll(module.codeSection(), module.typeSection(), patched,
            imports) : patched;
    this.interpreted = new boolean[functionCount];
    Arrays.fill(interpreted, true);
    this.calls = new int[functionCount];
    this.samples = new int[functionCount];
    this.backEdges = new int[functionCount];
  }

  /** Whether {@code :auto} compiles in the background (system property {@link #PROPERTY}). */
  public static boolean enabled() {
    String v = System.getProperty(PROPERTY, "off").trim();
    return v.equals("on") || v.equals("hold");
  }

  /**
   * Starts compiling {@code module} (of {@code imports} imported and {@code functionCount}
   * functions in all) in the background and returns its machine factory: {@code batch}
   * compiles a set of functions (the hot ones first), {@code whole} the whole module (and
   * stores the code in the compile cache when there is one). {@code patched}: the plan's
   * replacement bodies for the interpreter.
   */
  public static BackgroundCompile start(String name, WasmModule module, int imports,
      int functionCount, FunctionBody[] patched,
      BiFunction<Set<Integer>, Set<Integer>, CompiledCode> batch,
      Function<Set<Integer>, CompiledCode> whole) {
    BackgroundCompile bc = new BackgroundCompile(name, module, imports, functionCount, patched);
    submit(bc, wanted -> wanted.run(batch, whole));
    return bc;
  }

  /**
   * The hot-functions mode for {@code module}: instances start interpreted; the batches a
   * previous run compiled are loaded from {@code cache} (null: none) before this returns,
   * so they run compiled from the first call; then what gets hot is compiled by
   * {@code batch} (the functions, those of them that get loop entries) in the background, a
   * batch at a time, each stored in {@code cache}.
   */
  public static BackgroundCompile startHot(String name, WasmModule module, int imports,
      int functionCount, FunctionBody[] patched,
      BiFunction<Set<Integer>, Set<Integer>, CompiledCode> batch, CodeCache cache) {
    BackgroundCompile bc = new BackgroundCompile(name, module, imports, functionCount, patched);
    bc.hotBatches = new HotBatches(bc, batch, cache);
    bc.hotBatches.loadCached();
    return bc;
  }

  /** Runs {@code step} on the compiler thread, unless {@code bc} is gone by then. */
  static void submit(BackgroundCompile bc, java.util.function.Consumer<BackgroundCompile> step) {
    WeakReference<BackgroundCompile> ref = new WeakReference<>(bc);
    COMPILER.execute(() -> {
      BackgroundCompile wanted = ref.get();
      if (wanted != null) step.accept(wanted); // else no instance can use the code
    });
  }

  private void run(BiFunction<Set<Integer>, Set<Integer>, CompiledCode> batch,
      Function<Set<Integer>, CompiledCode> whole) {
    try {
      passGate();
      gather();
      Set<Integer> first = interpreted.length - imports >= MIN_FUNCTIONS_FOR_BATCH
          ? withCallees(new TreeSet<>(hot)) : Set.of();
      if (!first.isEmpty()) {
        try {
          publish(batch.apply(first, looping()));
          firstBatch = Collections.unmodifiableSet(first);
        } catch (RuntimeException | Error e) {
          failure = e; // the whole module may still compile
        }
      }
      passGate();
      publish(whole.apply(looping()));
      failure = null;
    } catch (InterruptedException e) {
      // nothing interrupts this thread but a test's hold; the flag is not kept, so that the
      // next module's compilation runs
      failure = e;
    } catch (RuntimeException | Error e) {
      // the module keeps running interpreted (or on the first batch), as :auto does for
      // whatever does not compile
      failure = e;
    } finally {
      done.countDown();
    }
  }

  static void passGate() throws InterruptedException {
    Semaphore g = gate;
    if (g != null) g.acquire();
  }

  /** Lets the guest run (and hot functions gather) for a moment, unless someone waits. */
  void gather() throws InterruptedException {
    gather(1);
  }

  /** As {@link #gather()}, {@code times} as long. */
  void gather(int times) throws InterruptedException {
    long delay = Long.getLong(DELAY_PROPERTY, DEFAULT_DELAY_MILLIS) * times;
    if (delay > 0) hurry.await(delay, TimeUnit.MILLISECONDS);
  }

  /**
   * {@code fs} and the functions they call directly (calls among them are then direct, and
   * tail calls among them run in constant stack: Trampolines).
   */
  Set<Integer> withCallees(Set<Integer> fs) {
    Set<Integer> out = new TreeSet<>(fs);
    for (int f : fs) {
      for (AnnotatedInstruction ins : module.codeSection().getFunctionBody(f - imports).instructions()) {
        if (ins.opcode() != OpCode.CALL && ins.opcode() != OpCode.RETURN_CALL) continue;
        long callee = ins.operand(0);
        if (callee >= imports && callee < interpreted.length) out.add((int) callee);
      }
    }
    return out;
  }

  /**
   * The functions that get loop entries: every one (that has a loop the entry can enter).
   * Only those whose loops had run when a step started was tried and measured: on a loaded
   * machine a step can start before the guest's first call, and then a sieve whose work is
   * one loop in main stayed interpreted to the end (86 s instead of 3 s).
   */
  private Set<Integer> looping() {
    Set<Integer> out = new TreeSet<>();
    for (int f = imports; f < backEdges.length; f++) out.add(f);
    return out;
  }

  /**
   * The functions of {@code batch} (hot-functions mode) that get loop entries: those whose
   * loops the interpreter has run or that the sampler has found running (a main made hot by
   * samples is in its loop, and is to leave it for the compiled code at its next back-edge).
   * Not every function with a loop: an entry is a second compilation of the function, and a
   * callee that has not run yet starts compiled at its first call anyway.
   */
  Set<Integer> loopingIn(Set<Integer> batch) {
    Set<Integer> out = new TreeSet<>();
    for (int f : batch) {
      if (f >= imports && f < backEdges.length && (backEdges[f] > 0 || samples[f] > 0)) {
        out.add(f);
      }
    }
    return out;
  }

  /** Counts an interpreted call of function {@code f} (from any instance's interpreter). */
  void countCall(int f) {
    count(calls, f, hotCalls);
  }

  /**
   * Counts one more event of function {@code f} in {@code counts} (racy: a lost count costs
   * nothing); the count reaching {@code hotAt} makes the function hot. Imports are not counted.
   */
  private void count(int[] counts, int f, int hotAt) {
    if (f < imports || f >= counts.length) return;
    int c = counts[f] + 1;
    counts[f] = c;
    if (c == hotAt) hot(f);
  }

  /** Whether the instances' interpreters are to be sampled ({@link HotSampler}). */
  boolean sampled() {
    return hotBatches != null && hotSamples > 0;
  }

  /** Charges a profiler sample to function {@code f} (the sampler's thread). */
  void sample(int f) {
    count(samples, f, hotSamples);
  }

  /** Function {@code f} is hot: compiled in the next batch (or first, whole-module mode). */
  void hot(int f) {
    hot.add(f);
    HotBatches h = hotBatches;
    if (h != null) h.wake();
  }

  /** The hot functions not yet handed to a compilation, handed over now. */
  Set<Integer> takeHot() {
    Set<Integer> out = new TreeSet<>();
    for (Integer f : hot) if (hot.remove(f)) out.add(f);
    return out;
  }

  /**
   * Counts an interpreted back-edge of function {@code f}: a function whose loop runs long
   * is hot too (a main loop is called once): in the first batch, or the next hot batch.
   */
  void countBackEdge(int f) {
    count(backEdges, f, HOT_BACK_EDGES);
  }

  void countLoopEntry(int n) {
    loopsEntered.addAndGet(n);
  }

  /**
   * For {@link #enterAtBackEdge}: the published code, letting a held compilation go and
   * waiting for it to finish first (a minute at most; null if it did not, or on an
   * interrupt, which is kept for the interpreter's next check).
   */
  CompiledCode awaitCode() {
    release();
    try {
      awaitDone(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return code;
  }

  private void publish(CompiledCode c) {
    if (c.compiledCount() == 0) return; // nothing to switch to
    code = c; // before the mask bits (see the class comment)
    for (int f = 0; f < interpreted.length; f++) if (c.isCompiled(f)) interpreted[f] = false;
  }

  /** Publishes {@code c} over what is published already (hot-functions mode). */
  synchronized void publishMore(CompiledCode c) {
    if (c.compiledCount() == 0) return;
    CompiledCode now = code;
    publish(now == null ? c : CompiledCode.merged(now, c));
  }

  void failed(Throwable t) {
    failure = t;
  }

  int functionCount() {
    return interpreted.length;
  }

  int imports() {
    return imports;
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

  FunctionBody[] interpreterBodies() {
    return interpreterBodies;
  }

  // ---- observing (tests, benchmarks) -------------------------------------------------------

  /**
   * Waits until the compilation has finished (or failed) or {@code millis} pass; true if it
   * has. In the hot-functions mode: until no batch is waiting or being compiled.
   */
  public boolean awaitDone(long millis) throws InterruptedException {
    hurry.countDown();
    HotBatches h = hotBatches;
    if (h != null) return h.awaitIdle(millis);
    return done.await(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * The hot-functions mode's counters (batches compiled, batches loaded from the compile
   * cache, functions compiled, compile seconds, interpreted calls, loop entries); empty in
   * the whole-module mode.
   */
  public java.util.Map<String, Object> stats() {
    HotBatches h = hotBatches;
    if (h == null) return java.util.Map.of();
    java.util.Map<String, Object> m = h.stats();
    long interp = 0;
    for (int c : calls) interp += c;
    m.put("interpreted-calls", interp);
    m.put("loops-entered", loopsEntered.get());
    return m;
  }

  /** Whether the hot-functions mode compiles this module (else: the whole module). */
  public boolean hotFunctionsOnly() {
    return hotBatches != null;
  }

  /** Whether the compiled code is published: calls from now on run compiled functions compiled. */
  public boolean isCompiled() {
    return code != null;
  }

  /**
   * The functions compiled first, as a batch of hot ones (empty: the module was compiled
   * whole at once; the hot-functions mode: see {@link #stats}).
   */
  public Set<Integer> firstBatch() {
    return firstBatch;
  }

  /** The compiled code once published, else null. */
  public CompiledCode compiledCode() {
    return code;
  }

  /**
   * How many times a function running interpreted continued in compiled code at a loop
   * (on-stack replacement), in every instance of the module (counted as the compiled code
   * starts: the loop may still be running).
   */
  public long loopsEntered() {
    return loopsEntered.get();
  }

  /**
   * For tests: from now on each instance's interpreter enters compiled code at its
   * {@code k}-th back-edge exactly (counted over all its functions), waiting there for the
   * compilation to finish, instead of at the first back-edge after the code is published;
   * 0 restores that. Pair with {@code enterAtBackEdge(0)} in a finally.
   */
  public static void enterAtBackEdge(long k) {
    enterAt = k;
  }

  static long enterAt() {
    return enterAt;
  }

  /** Why the compilation failed (the module then stays interpreted), or null. */
  public Throwable failure() {
    return failure;
  }

  public String name() {
    return name;
  }

  /**
   * For tests: holds every background compilation step that has not started yet until
   * {@link #allow} or {@link #release} (a deterministic switch point). Pair with release in
   * a finally.
   */
  public static void hold() {
    gate = new Semaphore(0);
  }

  /** Lets {@code steps} held compilation steps run (a first batch: one step). */
  public static void allow(int steps) {
    Semaphore g = gate;
    if (g != null) g.release(steps);
  }

  /** Lets held compilations (and later ones) run. */
  public static void release() {
    Semaphore g = gate;
    gate = null;
    if (g != null) g.release(Integer.MAX_VALUE / 2);
  }
}
