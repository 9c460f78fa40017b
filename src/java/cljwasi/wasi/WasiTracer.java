package cljwasi.wasi;

/** Receives every WASI call an instance makes (the :trace option). */
@FunctionalInterface
public interface WasiTracer {
  /**
   * @param def the function called (name, parameter names)
   * @param args the raw arguments as the guest passed them
   * @param errno the errno returned, or -1 for a function without a result (proc_exit)
   * @param nanos time spent in the host function
   */
  void onCall(WasiHost.Def def, long[] args, int errno, long nanos);
}
