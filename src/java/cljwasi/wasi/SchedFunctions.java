package cljwasi.wasi;

/** sched_yield. */
final class SchedFunctions {
  private SchedFunctions() {}

  static void register(WasiHost.Registry r) {
    // sched_yield(): reads and writes no memory. errnos: success.
    r.fn("sched_yield", "", (ctx, mem, a) -> {
      Thread.yield();
      return Errno.SUCCESS;
    });
  }
}
