package cljwasi.wasi;

/** proc_exit, proc_raise. */
final class ProcFunctions {
  private ProcFunctions() {}

  static void register(WasiHost.Registry r) {
    // proc_exit(rval): ends the command with exit code rval (unwinds the guest; never
    // exits the JVM). As in wasmtime, a status outside [0, 126) is not an exit code but
    // a trap. Reads and writes no memory. Does not return.
    r.voidFn("proc_exit", "rval", (ctx, mem, a) -> {
      long status = a[0] & 0xFFFFFFFFL;
      if (status >= 126) {
        throw new WasiTrap("invalid-exit-status",
            "exit with invalid exit status outside of [0..126): " + status);
      }
      throw new ProcExit((int) status);
    });
    // proc_raise(sig): wasmtime refuses it on purpose (WASI has no signals) and returns
    // ENOTSUP; so do we. Reads and writes no memory. errnos: notsup.
    r.fn("proc_raise", "sig", (ctx, mem, a) -> Errno.NOTSUP);
  }
}
