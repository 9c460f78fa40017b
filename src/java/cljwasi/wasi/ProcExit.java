package cljwasi.wasi;

/**
 * Unwinds the guest's stack when it calls proc_exit (or proc_raise terminates it).
 * Caught where the export was called and turned into an exit code; it never reaches
 * System.exit, whatever the code.
 */
public final class ProcExit extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public final int code;

  public ProcExit(int code) {
    super("proc_exit(" + code + ")", null, false, false);
    this.code = code;
  }
}
