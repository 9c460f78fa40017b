package cljwasi.wasi;

/**
 * A host function's way to trap the guest (wasmtime traps in the same places, e.g.
 * proc_exit with a status outside [0, 126)). Passes through the dispatcher unchanged.
 */
public final class WasiTrap extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public final String kind;

  public WasiTrap(String kind, String message) {
    super(message);
    this.kind = kind;
  }
}
