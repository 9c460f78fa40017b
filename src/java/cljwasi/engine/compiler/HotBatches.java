package cljwasi.engine.compiler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The hot-functions mode of a {@link BackgroundCompile}: each time functions get hot, the
 * compiler thread (after letting more gather for a moment) compiles them with their direct
 * callees as one batch, publishes it over the code published before, and stores it in the
 * compile cache with the list of the module's batches; the next run loads those batches
 * before its first call ({@link #loadCached}). The whole module is never compiled: a
 * 50-75 MB module would take seconds and hundreds of MB of heap, for code that mostly
 * never runs.
 *
 * <p>Calls: within a batch they are direct JVM calls, so a hot function is compiled with its
 * callees, even those an earlier batch compiled already (the newer code wins for the
 * callers that come in from outside; the older stays valid for code still running in it).
 * A call from one batch's code to a function only another batch compiled goes through
 * {@code instance.getMachine()}: the arguments boxed into a {@code long[]}, the
 * {@link SwitchingMachine}'s lookup and the callee's boxed entry: ~8 ns against ~1 ns for a
 * direct call of a one-line callee (and no inlining across the boundary).
 *
 * <p>Running loops: the batch's functions that are running loops interpreted (they have
 * looped, or the sampler found them: {@link BackgroundCompile#loopingIn}) get loop entries,
 * so that such a frame (a {@code main} called once) moves to the batch's code at its next
 * back-edge rather than at a call that never comes; the entries are in the batch's classes,
 * so a cached batch keeps them.
 */
final class HotBatches {
  private final BackgroundCompile owner;
  /** Compiles a batch, with loop entries for the functions of the second set. */
  private final BiFunction<Set<Integer>, Set<Integer>, CompiledCode> compiler;
  private final CodeCache cache; // null: none
  // guarded by this
  /** The published batches, in order: what the next run loads. */
  private final List<Set<Integer>> batches = new ArrayList<>();
  /** Functions compiled or refused by a batch (not compiled for being hot again). */
  private final Set<Integer> attempted = new HashSet<>();
  private boolean scheduled;
  private boolean running;
  private int compiledBatches;
  private int loadedBatches;
  private long compileNanos;

  HotBatches(BackgroundCompile owner,
      BiFunction<Set<Integer>, Set<Integer>, CompiledCode> compiler,
      CodeCache cache) {
    this.owner = owner;
    this.compiler = compiler;
    this.cache = cache;
  }

  /** Loads the batches a previous run compiled; those missing are compiled again as hot. */
  void loadCached() {
    if (cache == null) return;
    for (Set<Integer> batch : cache.batches()) {
      CompiledCode c = cache.load(batch);
      if (c == null) {
        for (int f : batch) owner.hot(f);
        continue;
      }
      synchronized (this) {
        loadedBatches++;
        published(batch, c);
      }
    }
  }

  /** Functions got hot: compile them (soon) on the compiler thread, if not already scheduled. */
  void wake() {
    synchronized (this) {
      if (scheduled) return;
      scheduled = true;
    }
    BackgroundCompile.submit(owner, bc -> compileHot());
  }

  private void compileHot() {
    Set<Integer> batch = Set.of();
    try {
      BackgroundCompile.passGate();
      int published;
      synchronized (this) {
        published = batches.size();
      }
      // the first batches (the hottest functions) come quickly; later ones gather longer,
      // up to 40 times the delay (2 s): fewer, larger batches mean more direct calls and
      // fewer classes to load (a 54 MB module's cpu run made 193 batches at 50 ms each)
      owner.gather(Math.min(40, published + 1));
      synchronized (this) {
        scheduled = false; // what gets hot from now on wakes another step
        running = true;
        batch = owner.takeHot();
        batch.removeAll(attempted);
      }
      if (batch.isEmpty()) return;
      batch = new TreeSet<>(owner.withCallees(batch));
      long t0 = System.nanoTime();
      CompiledCode c = cache == null ? null : cache.load(batch);
      boolean loaded = c != null;
      if (c == null) {
        c = compiler.apply(batch, owner.loopingIn(batch));
        if (cache != null) cache.store(batch, c);
      }
      List<Set<Integer>> record;
      synchronized (this) {
        if (loaded) loadedBatches++;
        else compiledBatches++;
        compileNanos += System.nanoTime() - t0;
        published(batch, c);
        record = List.copyOf(batches);
      }
      if (cache != null) cache.storeBatches(record);
    } catch (InterruptedException e) {
      owner.failed(e); // only a test's hold interrupts this thread
    } catch (RuntimeException | Error e) {
      // these functions stay interpreted, as :auto does for whatever does not compile
      owner.failed(e);
      synchronized (this) {
        attempted.addAll(batch);
      }
    } finally {
      synchronized (this) {
        running = false;
        notifyAll();
      }
    }
  }

  /** Guarded by this. */
  private void published(Set<Integer> batch, CompiledCode c) {
    attempted.addAll(batch);
    batches.add(batch);
    owner.publishMore(c);
  }

  /** Waits until no batch waits or compiles (or {@code millis} pass); true if none does. */
  synchronized boolean awaitIdle(long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (scheduled || running) {
      long left = end - System.currentTimeMillis();
      if (left <= 0) return false;
      wait(left);
    }
    return true;
  }

  synchronized Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>();
    CompiledCode c = owner.compiledCode();
    m.put("functions", owner.functionCount() - owner.imports());
    m.put("compiled-functions", c == null ? 0 : c.compiledCount());
    m.put("refused-functions", c == null ? 0 : c.refused().size());
    m.put("batches", batches.size());
    m.put("compiled-batches", compiledBatches);
    m.put("cache-loads", loadedBatches);
    m.put("compile-seconds", compileNanos / 1e9);
    return m;
  }
}
