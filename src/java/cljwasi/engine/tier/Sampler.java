package cljwasi.engine.tier;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The profiler: one daemon thread that, every sample period, charges one sample to the
 * innermost interpreted function of each live {@link TierMachine}. A function that has
 * collected enough samples is hot even when it is called rarely (its time goes into
 * loops). Machines are held weakly; the thread exits when none are left.
 */
final class Sampler {
  private static final List<WeakReference<TierMachine>> MACHINES = new ArrayList<>();
  private static Thread thread;

  private Sampler() {}

  static void register(TierMachine m) {
    synchronized (MACHINES) {
      MACHINES.add(new WeakReference<>(m));
      if (thread == null) {
        thread = new Thread(Sampler::run, "clj-wasi-tier-profiler");
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  private static void run() {
    List<TierMachine> live = new ArrayList<>();
    while (true) {
      long period = 1000;
      live.clear();
      synchronized (MACHINES) {
        for (int i = MACHINES.size() - 1; i >= 0; i--) {
          TierMachine m = MACHINES.get(i).get();
          if (m == null) {
            MACHINES.set(i, MACHINES.get(MACHINES.size() - 1));
            MACHINES.remove(MACHINES.size() - 1);
          } else {
            live.add(m);
          }
        }
        if (MACHINES.isEmpty()) {
          thread = null;
          return;
        }
      }
      for (TierMachine m : live) {
        int f = m.currentFunction();
        if (f >= 0) m.tiering().sample(f);
        period = Math.min(period, m.tiering().config().sampleMicros());
      }
      live.clear(); // drop strong references while sleeping
      LockSupport.parkNanos(period * 1000L);
    }
  }
}
