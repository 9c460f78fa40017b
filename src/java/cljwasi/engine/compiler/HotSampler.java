package cljwasi.engine.compiler;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The profiler of the hot-functions mode: one daemon thread that, every millisecond,
 * charges a sample to the innermost interpreted function of each live
 * {@link SwitchingMachine} that asks for it. A function that collects enough samples is hot
 * even when it is called rarely (its time goes into loops). Machines are held weakly; the
 * thread ends when none is left.
 */
final class HotSampler {
  private static final long PERIOD_NANOS = 1_000_000L;
  private static final List<WeakReference<SwitchingMachine>> MACHINES = new ArrayList<>();
  private static Thread thread;

  private HotSampler() {}

  static void register(SwitchingMachine m) {
    synchronized (MACHINES) {
      MACHINES.add(new WeakReference<>(m));
      if (thread == null) {
        thread = new Thread(HotSampler::run, "clj-wasi-hot-sampler");
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  private static void run() {
    List<SwitchingMachine> live = new ArrayList<>();
    while (true) {
      synchronized (MACHINES) {
        for (int i = MACHINES.size() - 1; i >= 0; i--) {
          SwitchingMachine m = MACHINES.get(i).get();
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
      for (SwitchingMachine m : live) {
        int f = m.currentFunction();
        if (f >= 0) m.compile().sample(f);
      }
      live.clear(); // no strong references while sleeping
      LockSupport.parkNanos(PERIOD_NANOS);
    }
  }
}
