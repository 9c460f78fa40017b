package cljwasi.wasi;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;

/** clock_res_get, clock_time_get: realtime, monotonic, process and thread CPU time. */
final class ClockFunctions {
  private ClockFunctions() {}

  static final int REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME = 2, THREAD_CPUTIME = 3;

  static void register(WasiHost.Registry r) {
    // clock_res_get(id, resolution_ptr)
    // writes: u64 resolution in ns. errnos: success, inval (unknown clock), fault.
    r.fn("clock_res_get", "id resolution_ptr", (ctx, mem, a) -> {
      mem.writeLong((int) a[1], resolution((int) a[0]));
      return Errno.SUCCESS;
    });
    // clock_time_get(id, precision:u64, time_ptr)
    // writes: u64 time in ns. errnos: success, inval (unknown clock), fault.
    r.fn("clock_time_get", "id precision:i64 time_ptr", (ctx, mem, a) -> {
      mem.writeLong((int) a[2], now(ctx, (int) a[0]));
      return Errno.SUCCESS;
    });
  }

  static long resolution(int id) {
    switch (id) {
      case REALTIME:
        return 1_000L; // Instant.now() is microsecond-precise on Linux
      case MONOTONIC:
      case PROCESS_CPUTIME:
      case THREAD_CPUTIME:
        return 1L;
      default:
        throw new WasiException(Errno.INVAL);
    }
  }

  /** The time on clock {@code id} in nanoseconds; EINVAL for an unknown clock. */
  static long now(WasiContext ctx, int id) {
    switch (id) {
      case REALTIME:
        return ctx.clock().realtimeNanos();
      case MONOTONIC:
        return ctx.clock().monotonicNanos();
      case PROCESS_CPUTIME:
        return ctx.clock() == WasiClock.SYSTEM ? processCpuNanos() : ctx.clock().monotonicNanos();
      case THREAD_CPUTIME:
        return ctx.clock() == WasiClock.SYSTEM ? threadCpuNanos() : ctx.clock().monotonicNanos();
      default:
        throw new WasiException(Errno.INVAL);
    }
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static long threadCpuNanos() {
    long t = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    return t >= 0 ? t : System.nanoTime();
  }

  private static long processCpuNanos() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      long t = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
      if (t >= 0) return t;
    }
    return System.nanoTime();
  }
}
