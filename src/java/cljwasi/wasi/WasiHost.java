package cljwasi.wasi;

import cljwasi.WasmException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wasi_snapshot_preview1 import module: every host function, registered by its area
 * class (ArgsFunctions, EnvironFunctions, ClockFunctions, FdFunctions, PathFunctions,
 * PollFunctions, ProcFunctions, RandomFunctions, SchedFunctions, SockFunctions: the
 * functions named {@code path_*} are in PathFunctions, and so on), wrapped by one
 * dispatcher that turns escaping exceptions into errnos ({@link Errno#of}), bad guest
 * pointers into EFAULT, and reports each call to the context's tracer.
 */
public final class WasiHost {
  public static final String MODULE = "wasi_snapshot_preview1";

  /** A host function body: reads its arguments, returns an errno. */
  @FunctionalInterface
  public interface Body {
    int call(WasiContext ctx, Memory mem, long[] args) throws Exception;
  }

  /** A host function with no result (proc_exit). */
  @FunctionalInterface
  public interface VoidBody {
    void call(WasiContext ctx, Memory mem, long[] args) throws Exception;
  }

  /** One registered function: name, parameter names and types, body. */
  static final class Def {
    final String name;
    final List<String> paramNames;
    final FunctionType type;
    final Body body;
    final VoidBody voidBody;

    Def(String name, List<String> paramNames, FunctionType type, Body body, VoidBody voidBody) {
      this.name = name;
      this.paramNames = paramNames;
      this.type = type;
      this.body = body;
      this.voidBody = voidBody;
    }
  }

  /** Collects definitions from the area classes. */
  public static final class Registry {
    private final Map<String, Def> defs = new LinkedHashMap<>();

    /**
     * Registers a function returning an errno. {@code params} lists its parameters as
     * space-separated names, each optionally suffixed ":i64" (default i32).
     */
    public void fn(String name, String params, Body body) {
      add(name, params, List.of(ValType.I32), body, null);
    }

    public void voidFn(String name, String params, VoidBody body) {
      add(name, params, List.of(), null, body);
    }

    private void add(String name, String params, List<ValType> results, Body b, VoidBody vb) {
      List<String> names = new ArrayList<>();
      List<ValType> types = new ArrayList<>();
      for (String p : params.trim().isEmpty() ? new String[0] : params.trim().split("\\s+")) {
        boolean wide = p.endsWith(":i64");
        names.add(wide ? p.substring(0, p.length() - 4) : p);
        types.add(wide ? ValType.I64 : ValType.I32);
      }
      if (defs.put(name, new Def(name, List.copyOf(names), FunctionType.of(types, results), b, vb))
          != null) {
        throw new IllegalStateException("WASI function registered twice: " + name);
      }
    }
  }

  private static final Map<String, Def> DEFS;

  static {
    Registry r = new Registry();
    ArgsFunctions.register(r);
    EnvironFunctions.register(r);
    ClockFunctions.register(r);
    FdFunctions.register(r);
    PathFunctions.register(r);
    PollFunctions.register(r);
    ProcFunctions.register(r);
    RandomFunctions.register(r);
    SchedFunctions.register(r);
    SockFunctions.register(r);
    DEFS = Collections.unmodifiableMap(r.defs);
  }

  private WasiHost() {}

  /** Host functions bound to one instance's context. */
  public static List<HostFunction> functions(WasiContext ctx) {
    List<HostFunction> out = new ArrayList<>(DEFS.size());
    for (Def d : DEFS.values()) {
      out.add(new HostFunction(MODULE, d.name, d.type, (inst, args) -> dispatch(ctx, d, inst, args)));
    }
    return out;
  }

  private static final long[] VOID = new long[0];

  static long[] dispatch(WasiContext ctx, Def d, Instance inst, long[] args) {
    WasiTracer tracer = ctx.tracer();
    long t0 = tracer == null ? 0 : System.nanoTime();
    int errno;
    try {
      ctx.checkNotCancelled();
      Memory mem = inst.memory();
      if (d.voidBody != null) {
        d.voidBody.call(ctx, mem, args);
        if (tracer != null) trace(tracer, d, args, -1, t0);
        return VOID;
      }
      errno = d.body.call(ctx, mem, args);
    } catch (ProcExit | WasiTrap | WasmException e) {
      // a limit (WasmException) stops the guest as a trap does
      if (tracer != null) trace(tracer, d, args, -1, t0);
      throw e;
    } catch (WasmRuntimeException e) {
      // Chicory's memory throws this for an access outside linear memory.
      errno = Errno.FAULT;
    } catch (IndexOutOfBoundsException e) {
      errno = Errno.FAULT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      errno = Errno.INTR;
    } catch (Exception | OutOfMemoryError e) {
      errno = Errno.of(e);
    }
    if (tracer != null) trace(tracer, d, args, errno, t0);
    // an interrupted wait returns EINTR; when the instance was cancelled (its timeout
    // fired), the guest must not get to retry it
    if (errno == Errno.INTR) ctx.checkNotCancelled();
    return new long[] {errno};
  }

  private static void trace(WasiTracer tracer, Def d, long[] args, int errno, long t0) {
    tracer.onCall(WasiCall.of(d.name, d.paramNames, args, errno, System.nanoTime() - t0));
  }
}
