package cljwasi.wasi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One WASI call an instance made, as its {@link WasiTracer} receives it.
 *
 * @param function the function's name, e.g. "fd_write"
 * @param args the arguments by the parameter names of wasi_snapshot_preview1's witx, in
 *     order, as the guest passed them (pointers, lengths, flags; an i32 sign-extended)
 * @param errno the errno's name ("success", "badf", ...), or null when the call returned
 *     none: proc_exit, or a call that trapped or was stopped
 * @param nanos time spent in the host function
 */
public record WasiCall(String function, Map<String, Long> args, String errno, long nanos) {
  static WasiCall of(String function, List<String> paramNames, long[] args, int errno,
      long nanos) {
    Map<String, Long> named = new LinkedHashMap<>();
    for (int i = 0; i < paramNames.size(); i++) named.put(paramNames.get(i), args[i]);
    return new WasiCall(function, Collections.unmodifiableMap(named),
        errno < 0 ? null : Errno.name(errno), nanos);
  }
}
