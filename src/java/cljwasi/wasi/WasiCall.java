package cljwasi.wasi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One WASI call an instance made, as its {@link WasiTracer} receives it: the function,
 * its arguments by parameter name (as the guest passed them: pointers, lengths, flags),
 * the errno it returned and the time it took in the host.
 */
public final class WasiCall {
  private final String function;
  private final Map<String, Long> args;
  private final String errno;
  private final long nanos;

  WasiCall(String function, List<String> paramNames, long[] args, int errno, long nanos) {
    this.function = function;
    Map<String, Long> named = new LinkedHashMap<>();
    for (int i = 0; i < paramNames.size(); i++) named.put(paramNames.get(i), args[i]);
    this.args = Collections.unmodifiableMap(named);
    this.errno = errno < 0 ? null : Errno.name(errno);
    this.nanos = nanos;
  }

  /** The function's name, e.g. "fd_write". */
  public String function() {
    return function;
  }

  /** The arguments by the parameter names of wasi_snapshot_preview1's witx, in order. */
  public Map<String, Long> args() {
    return args;
  }

  /**
   * The errno's name ("success", "badf", ...), or null when the call returned none:
   * proc_exit, or a call that trapped or was stopped.
   */
  public String errno() {
    return errno;
  }

  /** Time spent in the host function, in nanoseconds. */
  public long nanos() {
    return nanos;
  }

  @Override
  public String toString() {
    return function + args + " -> " + errno + " (" + nanos + " ns)";
  }
}
