package cljwasi.engine.tier;

import cljwasi.engine.interp.Interpreter;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Deque;
import java.util.function.Function;

/**
 * One instance's machine under tiered execution: routes each call by function index to
 * the compiled layer that owns the function, or to the interpreter.
 *
 * <p>The interpreter is {@link Interpreter} (so SIMD functions work too) given
 * the module's shared "interpreted here" mask: a call from interpreted code to a function
 * whose mask bit was cleared goes to {@code instance.getMachine()}, i.e. back here, and so
 * to compiled code; compiled code calls functions outside its layer through
 * {@code instance.getMachine()} as well (Chicory's stubs for "interpreted" functions).
 * A layer is published before the mask bits of its functions are cleared, and either
 * check falls back to interpreting, so a call racing with a switch runs correctly in one
 * tier or the other. Functions already on the stack finish in the tier they started in
 * (no on-stack replacement).
 */
public final class TierMachine implements Machine {
  private final Tiering tiering;
  private final Instance instance;
  private final Interp interp;
  /** This instance's machine for each layer (made on first use), by layer index. */
  private Machine[] layerMachines = new Machine[4];

  /** Innermost interpreted function now running (-1: none or compiled code), for the profiler. */
  @SuppressWarnings("unused")
  private int current = -1;

  private static final VarHandle CURRENT;

  static {
    try {
      CURRENT = MethodHandles.lookup().findVarHandle(TierMachine.class, "current", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  TierMachine(Tiering tiering, Instance instance) {
    this.tiering = tiering;
    this.instance = instance;
    this.interp = new Interp(instance, tiering.interpretedMask(), this);
    Sampler.register(this);
  }

  Tiering tiering() {
    return tiering;
  }

  /** The function the profiler should charge now (opaque read: racy by design). */
  int currentFunction() {
    return (int) CURRENT.getOpaque(this);
  }

  @Override
  public long[] call(int funcId, long[] args) {
    Tiering.Layer layer = tiering.layerOf(funcId);
    if (layer == null) return interp.call(funcId, args);
    Machine m = machineFor(layer);
    int saved = (int) CURRENT.getOpaque(this);
    CURRENT.setOpaque(this, -1);
    try {
      return m.call(funcId, args);
    } finally {
      CURRENT.setOpaque(this, saved);
    }
  }

  private Machine machineFor(Tiering.Layer layer) {
    Machine[] ms = layerMachines;
    if (layer.index >= ms.length) {
      ms = java.util.Arrays.copyOf(ms, Math.max(layer.index + 1, ms.length * 2));
      layerMachines = ms;
    }
    Machine m = ms[layer.index];
    if (m == null) {
      m = layer.factory.apply(instance);
      ms[layer.index] = m;
      // code still running in the superseded layer keeps its own machine
      if (layer.supersedes >= 0 && layer.supersedes < ms.length) ms[layer.supersedes] = null;
    }
    return m;
  }

  /** The interpreter: counts calls, tells the profiler where it is. */
  static final class Interp extends Interpreter {
    private final Instance self;
    private final TierMachine owner;
    private final Tiering tiering;

    Interp(Instance instance, boolean[] interpreted, TierMachine owner) {
      super(instance, interpreted, owner.tiering.plan().patchedBodies());
      this.self = instance;
      this.owner = owner;
      this.tiering = owner.tiering;
    }

    @Override
    protected long[] call(MStack stack, Instance instance, Deque<StackFrame> callStack, int funcId,
        long[] args, FunctionType callType, boolean popResults) throws ChicoryException {
      if (instance != self) {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      }
      tiering.countCall(funcId);
      int saved = (int) CURRENT.getOpaque(owner);
      CURRENT.setOpaque(owner, funcId);
      try {
        return super.call(stack, instance, callStack, funcId, args, callType, popResults);
      } finally {
        CURRENT.setOpaque(owner, saved);
      }
    }
  }

  /** Makes a {@link TierMachine} per instance. */
  public static final class Factory implements Function<Instance, Machine> {
    private final Tiering tiering;

    Factory(Tiering tiering) {
      this.tiering = tiering;
    }

    public Tiering tiering() {
      return tiering;
    }

    @Override
    public Machine apply(Instance instance) {
      return new TierMachine(tiering, instance);
    }
  }
}
