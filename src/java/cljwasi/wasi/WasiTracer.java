package cljwasi.wasi;

/** Receives every WASI call an instance makes (the :trace option). */
@FunctionalInterface
public interface WasiTracer {
  /** Called on the guest's thread after each call, before its result goes back. */
  void onCall(WasiCall call);
}
