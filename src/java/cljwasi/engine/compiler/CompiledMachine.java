package cljwasi.engine.compiler;

import cljwasi.engine.interp.Interpreter;
import cljwasi.engine.interp.LoopEntry;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.lang.invoke.MethodHandle;
import java.util.function.Function;

/**
 * The machine of an instance running compiled code: a call from outside (an export, the
 * interpreter, another instance) goes to the function's compiled entry, to the host for an
 * import, and to the project's interpreter for a function that is not compiled. Compiled
 * code calls compiled code directly; it reaches this machine only for the rest.
 */
public final class CompiledMachine implements Machine {
  private final Instance instance;
  private final CompiledCode code;
  private final FunctionBody[] patched;
  /** Made at the first call: tables and globals are set after the machine is. */
  private Context ctx;
  private Interpreter interpreter;

  CompiledMachine(Instance instance, CompiledCode code, FunctionBody[] patched) {
    this.instance = instance;
    this.code = code;
    this.patched = patched;
  }

  /** A machine factory over {@code code}; {@code patched}: the plan's v128-fixed bodies. */
  public static Function<Instance, Machine> factory(CompiledCode code, FunctionBody[] patched) {
    return instance -> new CompiledMachine(instance, code, patched);
  }

  private Context context() {
    Context c = ctx;
    if (c == null) {
      c = new Context(instance, code.signatures(), this);
      ctx = c;
    }
    return c;
  }

  private Interpreter interpreter(boolean all) {
    if (interpreter == null) {
      boolean[] mask = null;
      if (!all) {
        mask = new boolean[code.functionCount()];
        for (int f = 0; f < mask.length; f++) mask[f] = !code.isCompiled(f);
      }
      interpreter = new Interpreter(instance, mask, patched);
    }
    return interpreter;
  }

  /**
   * Continues function {@code funcId} at loop {@code loop} in its compiled loop entry (see
   * {@link cljwasi.engine.interp.LoopEntry#enter}); NOT_ENTERED when it has none there.
   */
  long[] enterLoop(int funcId, int loop, long[] locals, long[] params) {
    MethodHandle entry = code.loopEntry(funcId);
    Context c = context();
    if (entry == null || !c.usable()) return LoopEntry.NOT_ENTERED;
    try {
      return (long[]) entry.invokeExact(locals, params, loop, c);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public long[] call(int funcId, long[] args) {
    Context c = context();
    if (!c.usable()) return interpreter(true).call(funcId, args); // a memory we cannot read
    MethodHandle entry = code.entry(funcId);
    if (entry != null) {
      try {
        return (long[]) entry.invokeExact(args, c);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
    if (funcId < c.imports.length) return c.imports[funcId].apply(instance, args);
    return interpreter(false).call(funcId, args);
  }
}
