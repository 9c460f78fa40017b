package cljwasi.engine.tier;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.ModulePlan;
import cljwasi.engine.TailCalls;
import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Tiered execution of one module (engine :auto for large modules): every instance starts
 * in the interpreter at once; functions that become hot (many calls, or much time by the
 * profiler's samples) are compiled to JVM bytecode by Chicory's compiler in the
 * background, and calls switch to the compiled code at the next call of the function.
 *
 * <p>Compiled code lives in <em>layers</em>: each a separate compilation of the whole
 * module with every function but the layer's own left "interpreted"
 * ({@code MachineFactoryCompiler.Builder.withInterpretedFunctions}): Chicory then emits
 * for those only a stub that calls {@code instance.getMachine()}, i.e. the
 * {@link TierMachine}, which routes the call on (see {@link LayerCompiler} for how the
 * layer's other functions become such stubs). The compiler thread lets hot functions
 * gather for a moment, adds their direct callees, and adds the batch to the newest layer
 * (recompiled with it, so calls among hot functions stay direct JVM calls) while the batch
 * is at least a quarter of that layer and the layer stays under
 * {@link TierConfig#layerFunctions}; otherwise the batch becomes a new layer. Superseded
 * layers stay valid for code still running in them.
 *
 * <p>One compiler thread for the whole JVM compiles one layer at a time, which bounds
 * the heap compilation needs. Functions the compiler refuses (e.g. JVM method too large,
 * or SIMD) stay interpreted for good.
 *
 * <p>With a {@link Cache}, each layer's classes are stored under the module digest plus
 * the hash of the layer's function set, and the list of live layers (the profile) under
 * the digest plus {@code #tier-profile}: the next run of the same module loads those
 * layers before it starts, so it runs its hot code compiled from the first call, and
 * compiles only what is newly hot. A corrupt entry reads as absent and is rebuilt.
 */
public final class Tiering {
  /** A compiled layer: a machine factory for a set of functions. */
  static final class Layer {
    final int index;
    final Function<Instance, Machine> factory;
    final int[] functions;
    /** The layer this one replaces (-1: none): instances drop their machine for it. */
    final int supersedes;

    Layer(int index, Function<Instance, Machine> factory, int[] functions, int supersedes) {
      this.index = index;
      this.factory = factory;
      this.functions = functions;
      this.supersedes = supersedes;
    }
  }

  private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "clj-wasi-tier-compiler");
    t.setDaemon(true);
    return t;
  });

  private static final byte COLD = 0, QUEUED = 1, COMPILED = 2, REFUSED = 3;

  private final WasmModule module;
  private final ModulePlan plan;
  private final String name;
  private final TierConfig config;
  private final Cache cache; // null: none
  private final int imports;
  private final int total;

  /** Shared with every instance's interpreter: true = interpret the function there. */
  private final boolean[] interpreted;
  private final int[] calls;
  private final int[] samples;
  private final byte[] state;
  /** Layer owning each function, published as a new array copy on every change. */
  private volatile Layer[] owner;

  // guarded by this
  private final List<Integer> pending = new ArrayList<>();
  private boolean scheduled;
  private boolean running;
  private int layerCount;
  private BitSet openLayer = new BitSet(); // functions of the newest (growing) layer
  private int openLayerIndex = -1;
  private boolean disabled; // the compiler refused the module as a whole
  private boolean anySuccess;

  // statistics
  private final AtomicLong compiledFunctions = new AtomicLong();
  private final AtomicLong compileNanos = new AtomicLong();
  private final AtomicLong cacheLoads = new AtomicLong();
  private final AtomicLong layerCompiles = new AtomicLong();
  private volatile Throwable lastFailure;

  private Tiering(ModulePlan plan, String name, Cache cache) {
    this.module = plan.module();
    this.plan = plan;
    this.name = name;
    this.config = plan.tierConfig();
    this.cache = cache;
    this.imports = plan.importedFunctions();
    this.total = plan.functionCount();
    this.interpreted = new boolean[total];
    Arrays.fill(interpreted, true);
    this.calls = new int[total];
    this.samples = new int[total];
    this.state = new byte[total];
    for (int i = 0; i < imports; i++) state[i] = REFUSED;
    for (int f : plan.interpretedOnly()) if (f >= 0 && f < total) state[f] = REFUSED;
    this.owner = new Layer[total];
    this.functionsPerClass = config.functionsPerClass();
  }

  /**
   * The tiered machine factory for the module {@code plan} describes; its
   * {@link ModulePlan#interpretedOnly()} functions are never compiled (e.g. those using SIMD),
   * its {@link ModulePlan#tierConfig()} holds the knobs. {@code cache}: where layers and the
   * profile are kept (null: nowhere). The cached layers of a previous run load in the
   * background (before returning when {@code config.sync()}).
   */
  public static TierMachine.Factory create(ModulePlan plan, String name, Cache cache) {
    TierConfig config = plan.tierConfig();
    Tiering t = new Tiering(plan, name, cache);
    if (config.sync()) {
      JitPolicy.c1OnlyForLayers();
      t.warmStart();
    } else {
      // on the compiler thread, before any layer loads or compiles: the guest starts at
      // once, interpreted, and its hot code switches to the cached layers as they load
      COMPILER.execute(JitPolicy::c1OnlyForLayers); // starting JMX costs ~0.1 s
      COMPILER.execute(t::warmStart);
    }
    return new TierMachine.Factory(t);
  }

  TierConfig config() {
    return config;
  }

  ModulePlan plan() {
    return plan;
  }

  boolean[] interpretedMask() {
    return interpreted;
  }

  Layer layerOf(int funcId) {
    Layer[] o = owner;
    return funcId >= 0 && funcId < o.length ? o[funcId] : null;
  }

  // ---- hotness ------------------------------------------------------------------------

  void countCall(int funcId) {
    if (funcId < imports || funcId >= total) return;
    int c = calls[funcId] + 1; // racy across threads: a lost count only delays compiling
    calls[funcId] = c;
    if (c == config.callThreshold()) hot(funcId, config.sync());
  }

  void sample(int funcId) {
    if (funcId < imports || funcId >= total) return;
    int s = samples[funcId] + 1;
    samples[funcId] = s;
    if (s == config.sampleThreshold()) hot(funcId, false); // never on the profiler's thread
  }

  private void hot(int funcId, boolean sync) {
    boolean compileNow = false;
    synchronized (this) {
      if (state[funcId] != COLD || disabled) return;
      if (mustStayInterpreted(funcId)) {
        state[funcId] = REFUSED;
        return;
      }
      state[funcId] = QUEUED;
      pending.add(funcId);
      if (sync) {
        compileNow = !running;
      } else if (!scheduled) {
        scheduled = true;
        COMPILER.execute(this::compilePending);
      }
    }
    if (compileNow) compilePending();
  }

  /**
   * Functions that make tail calls stay interpreted (the compiler would run them as
   * ordinary calls, see TailCalls), as do bodies that fail to decode (their error is the
   * interpreter's to report). Known up front for eagerly parsed modules (the refused set);
   * a lazily parsed module's bodies are looked at here, one at a time.
   */
  private boolean mustStayInterpreted(int funcId) {
    if (plan.scanned()) return false; // the refused set has them
    try {
      return TailCalls.in(module.codeSection().getFunctionBody(funcId - imports));
    } catch (RuntimeException e) {
      return true;
    }
  }

  // ---- compiling ------------------------------------------------------------------------

  private void compilePending() {
    while (true) {
      int[] batch;
      BitSet layerSet;
      int layerIndex;
      if (!config.sync()) {
        // let hot functions gather: each layer compilation costs at least the stubs of
        // every other function of the module, so fewer, larger batches are cheaper
        long wait = Math.min(2_000_000_000L, Math.max(50_000_000L, lastCompileNanos / 2));
        java.util.concurrent.locks.LockSupport.parkNanos(wait);
      }
      synchronized (this) {
        if (pending.isEmpty() || disabled) {
          scheduled = false;
          running = false;
          notifyAll();
          return;
        }
        running = true;
        BitSet add = new BitSet();
        if (oneAtATime > 0) {
          oneAtATime--;
          int f = pending.remove(0);
          if (state[f] == QUEUED) add.set(f);
        } else {
          for (int f : pending) if (state[f] == QUEUED) add.set(f); // not loaded meanwhile
          pending.clear();
          addCallees(add);
        }
        int open = openLayer.cardinality();
        // extend the newest layer (recompiling it) only while the addition is large next to
        // it: recompiling a big layer for a few late functions costs a full compilation and
        // a new JIT warm-up of all its code, so a few late functions get a layer of their own
        if (openLayerIndex >= 0 && open + add.cardinality() <= config.layerFunctions()
            && (open < 64 || add.cardinality() * 4 >= open)) {
          layerSet = (BitSet) openLayer.clone();
          layerSet.or(add);
          layerIndex = openLayerIndex;
        } else {
          layerSet = add;
          layerIndex = -1; // a new layer
        }
        batch = add.stream().toArray();
      }
      if (batch.length == 0) continue; // every one of them loaded from the cache meanwhile
      compileLayer(layerSet, layerIndex, batch);
    }
  }

  private volatile long lastCompileNanos;
  private volatile int functionsPerClass;

  /**
   * Adds to {@code add} the functions its functions call directly (two levels deep, at
   * most as many again plus 64): callees of hot code are likely hot too, and compiled in
   * the same layer their calls are direct JVM calls.
   */
  private void addCallees(BitSet add) {
    int budget = Math.min(config.layerFunctions() / 2, add.cardinality() + 64);
    BitSet frontier = (BitSet) add.clone();
    for (int depth = 0; depth < 2 && budget > 0 && !frontier.isEmpty(); depth++) {
      BitSet next = new BitSet();
      for (int f = frontier.nextSetBit(0); f >= 0 && budget > 0; f = frontier.nextSetBit(f + 1)) {
        if (f < imports) continue;
        for (var ins : module.codeSection().getFunctionBody(f - imports).instructions()) {
          if (ins.opcode() != com.dylibso.chicory.wasm.types.OpCode.CALL) continue;
          int g = (int) ins.operand(0);
          if (g < imports || g >= total || state[g] != COLD || add.get(g)) continue;
          if (mustStayInterpreted(g)) {
            state[g] = REFUSED;
            continue;
          }
          state[g] = QUEUED;
          add.set(g);
          next.set(g);
          if (--budget == 0) break;
        }
      }
      frontier = next;
    }
  }

  /** Compiles the layer {@code set} (replacing layer {@code index}, or a new one if -1). */
  private void compileLayer(BitSet set, int index, int[] added) {
    long t0 = System.nanoTime();
    Function<Instance, Machine> factory;
    try {
      factory = compile(set, true);
    } catch (RuntimeException | LinkageError e) {
      lastFailure = e;
      if (VERBOSE) System.err.println("clj-wasi tier: " + name + ": compile failed: " + e);
      refusedIn(set, index, added, e);
      return;
    } finally {
      lastCompileNanos = System.nanoTime() - t0;
      compileNanos.addAndGet(System.nanoTime() - t0);
    }
    publish(set, index, factory);
    if (VERBOSE) {
      System.err.printf("clj-wasi tier: %s: layer of %d functions (+%d) compiled in %.3f s%n",
          name, set.cardinality(), added.length, (System.nanoTime() - t0) / 1e9);
    }
    saveProfile();
  }

  private static final boolean VERBOSE = Boolean.getBoolean("clj-wasi.tier.verbose");

  /** Compiles a layer (see {@link LayerCompiler}), or loads it from the cache. */
  private Function<Instance, Machine> compile(BitSet set, boolean readCache) {
    if (readCache) {
      Function<Instance, Machine> cached = loadCached(set);
      if (cached != null) return cached;
    }
    layerCompiles.incrementAndGet();
    LayerCompiler.Classes classes;
    while (true) {
      try {
        classes = LayerCompiler.compile(module, imports, set, functionsPerClass);
        break;
      } catch (org.objectweb.asm.ClassTooLargeException e) {
        // the layer's real functions crowd one class: split the module into smaller classes
        int now = functionsPerClass > 0 ? functionsPerClass : 12 * 1024;
        if (now <= 64) throw e;
        functionsPerClass = now / 2;
      }
    }
    Function<Instance, Machine> f = classes.load();
    String key = layerKey(set);
    if (key != null) {
      try {
        cache.putIfAbsent(key, classes.serialize());
      } catch (java.io.IOException | RuntimeException ignored) {
        // an unwritable cache only costs the next run a compilation
      }
    }
    return f;
  }

  private String layerKey(BitSet set) {
    return cache == null || plan.cacheKey() == null ? null : plan.cacheKey() + "#tier:" + setHash(set);
  }

  /** The layer's classes from the cache; null when absent, corrupt or unloadable. */
  private Function<Instance, Machine> loadCached(BitSet set) {
    String key = layerKey(set);
    if (key == null) return null;
    try {
      byte[] b = cache.get(key); // CompileCache checks its SHA-256: corrupt reads as absent
      if (b == null) return null;
      Function<Instance, Machine> f = LayerCompiler.Classes.deserialize(b).load();
      cacheLoads.incrementAndGet();
      return f;
    } catch (java.io.IOException | RuntimeException | LinkageError e) {
      return null; // rebuilt (and overwritten) by the next compilation of this layer
    }
  }

  private synchronized void publish(BitSet set, int index, Function<Instance, Machine> factory) {
    int[] fs = set.stream().toArray();
    // a fresh index even when replacing the open layer: instances make new machines for it
    Layer layer = new Layer(layerCount++, factory, fs, index);
    openLayer = set;
    openLayerIndex = layer.index;
    Layer[] o = owner.clone();
    int added = 0;
    for (int f : fs) {
      if (state[f] != COMPILED) added++;
      o[f] = layer;
      state[f] = COMPILED;
    }
    owner = o; // publish the routes (volatile) before the interpreters' mask bits
    for (int f : fs) interpreted[f] = false;
    compiledFunctions.addAndGet(added);
    anySuccess = true;
  }

  /** A compilation failed: find the function to blame, refuse it, and compile the rest. */
  private void refusedIn(BitSet set, int index, int[] added, Throwable e) {
    Integer blamed = ChicoryInternals.blamedFunction(e);
    synchronized (this) {
      if (blamed != null && set.get(blamed) && state[blamed] == QUEUED) {
        state[blamed] = REFUSED;
        for (int f : added) if (f != blamed) pending.add(f);
        return;
      }
      if (added.length > 1) {
        // no culprit named: try this batch's functions one at a time
        for (int f : added) pending.add(f);
        oneAtATime += added.length;
        return;
      }
      for (int f : added) state[f] = REFUSED;
      if (!anySuccess && ++failuresWithoutSuccess >= 3) {
        disabled = true; // the compiler cannot take this module at all: interpret it
        for (int f : pending) state[f] = REFUSED;
        pending.clear();
      }
    }
  }

  private int oneAtATime;
  private int failuresWithoutSuccess;

  // ---- cache: profile and warm start -----------------------------------------------------

  private static final String PROFILE_HEADER = "clj-wasi tier profile v1";

  private String profileKey() {
    return plan.cacheKey() + "#tier-profile";
  }

  private void saveProfile() {
    if (cache == null || plan.cacheKey() == null) return;
    StringBuilder sb = new StringBuilder(PROFILE_HEADER).append('\n');
    synchronized (this) {
      // live layers: those still owning at least one function
      Layer[] o = owner;
      BitSet seen = new BitSet();
      for (int f = 0; f < total; f++) {
        Layer l = o[f];
        if (l != null && !seen.get(l.index)) {
          seen.set(l.index);
          for (int i = 0; i < l.functions.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(l.functions[i]);
          }
          sb.append('\n');
        }
      }
    }
    try {
      cache.putIfAbsent(profileKey(), sb.toString().getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException | RuntimeException ignored) {
      // an unwritable cache only costs the next run its warm start
    }
  }

  private List<BitSet> loadProfile() {
    List<BitSet> out = new ArrayList<>();
    if (cache == null || plan.cacheKey() == null) return out;
    byte[] b;
    try {
      b = cache.get(profileKey());
    } catch (java.io.IOException | RuntimeException e) {
      return out;
    }
    if (b == null) return out;
    String[] lines = new String(b, StandardCharsets.UTF_8).split("\n");
    if (lines.length == 0 || !lines[0].equals(PROFILE_HEADER)) return out;
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isBlank()) continue;
      BitSet s = new BitSet();
      try {
        for (String x : lines[i].split(",")) {
          int f = Integer.parseInt(x.trim());
          if (f >= imports && f < total && state[f] == COLD) s.set(f);
        }
      } catch (NumberFormatException e) {
        continue;
      }
      if (!s.isEmpty()) out.add(s);
    }
    return out;
  }

  /** Loads the layers a previous run left in the cache; recompiles missing ones in the background. */
  private void warmStart() {
    for (BitSet set : loadProfile()) {
      long t0 = System.nanoTime();
      Function<Instance, Machine> f = loadCached(set);
      compileNanos.addAndGet(System.nanoTime() - t0);
      if (f != null) {
        publish(set, -1, f);
        continue;
      }
      for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) hot(i, false);
    }
  }

  private static String setHash(BitSet set) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(set.toByteArray());
      byte[] d = md.digest();
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 12; i++) sb.append(String.format("%02x", d[i]));
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- observing ---------------------------------------------------------------------------

  /** Waits until no compilation is pending or running (or {@code millis} pass); true if idle. */
  public synchronized boolean awaitIdle(long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (scheduled || running || !pending.isEmpty()) {
      long left = end - System.currentTimeMillis();
      if (left <= 0) return false;
      wait(left);
    }
    return true;
  }

  /** True when function {@code funcId} runs compiled. */
  public boolean isCompiled(int funcId) {
    return layerOf(funcId) != null;
  }

  /** True when the compiler refused function {@code funcId} (it stays interpreted). */
  public synchronized boolean isRefused(int funcId) {
    return funcId >= imports && funcId < total && state[funcId] == REFUSED;
  }

  /** Counters: functions compiled, layers, cache loads, compile seconds, refused functions. */
  public synchronized Map<String, Object> stats() {
    int refused = 0;
    for (int f = imports; f < total; f++) if (state[f] == REFUSED) refused++;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("functions", total - imports);
    m.put("compiled-functions", compiledFunctions.get());
    m.put("layers", layerCount);
    m.put("layer-compiles", layerCompiles.get());
    m.put("cache-loads", cacheLoads.get());
    m.put("compile-seconds", compileNanos.get() / 1e9);
    m.put("refused-functions", refused);
    long interp = 0;
    int top = -1;
    for (int f = imports; f < total; f++) {
      interp += calls[f];
      if (top < 0 || calls[f] > calls[top]) top = f;
    }
    m.put("interpreted-calls", interp);
    if (top >= 0) m.put("most-interpreted", top + ":" + calls[top] + (isCompiled(top) ? " (now compiled)" : ""));
    m.put("disabled", disabled);
    Throwable f = lastFailure;
    if (f != null) m.put("last-failure", String.valueOf(f));
    return m;
  }

  public String name() {
    return name;
  }
}
