package cljwasi.simd;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * Which functions of a module use 128-bit SIMD, and the machine factories that run them.
 *
 * <p>A function "uses SIMD" when anything in it touches a v128 value: a 0xFD-prefixed
 * instruction, a v128 parameter, result or local, a call or block whose type mentions
 * v128, a v128 global, or a drop/select of a v128. Chicory's compiler cannot run such
 * functions and its interpreter does not know the instructions; {@link SimdInterpreterMachine}
 * runs them.
 *
 * <p>Analysis results are cached per {@link WasmModule} (weakly), so instantiating a
 * module many times scans its code once.
 */
public final class SimdSupport {
  private SimdSupport() {}

  /** What a scan of one module found. Immutable. */
  public static final class Analysis {
    private final boolean usesSimd;
    private final boolean[] simdFunctions; // by function index (imports first)
    private final Set<Integer> simdFunctionSet;
    /** Replacement bodies by code-section index (null: unchanged), see {@link #rewrite}. */
    private final FunctionBody[] patchedBodies;

    Analysis(boolean usesSimd, boolean[] simdFunctions, FunctionBody[] patchedBodies) {
      this.usesSimd = usesSimd;
      this.simdFunctions = simdFunctions;
      Set<Integer> s = new TreeSet<>();
      for (int i = 0; i < simdFunctions.length; i++) if (simdFunctions[i]) s.add(i);
      this.simdFunctionSet = Collections.unmodifiableSet(s);
      this.patchedBodies = patchedBodies;
    }

    /** True when any function or global of the module uses v128. */
    public boolean usesSimd() {
      return usesSimd;
    }

    /** The indices (function index space, imports first) of the functions that use SIMD. */
    public Set<Integer> simdFunctions() {
      return simdFunctionSet;
    }

    FunctionBody[] patchedBodies() {
      return patchedBodies;
    }
  }

  private static final Map<WasmModule, Analysis> CACHE = new WeakHashMap<>();

  /**
   * The module analysed last, checked by identity first: WasmModule's hashCode, which
   * the weak map needs, hashes every instruction, too costly for each instantiation of
   * a large module.
   */
  private static volatile Object[] last = {null, null};

  /** The (cached) analysis of {@code module}. */
  public static Analysis analyze(WasmModule module) {
    Object[] l = last;
    if (l[0] == module) return (Analysis) l[1];
    synchronized (CACHE) {
      Analysis a = CACHE.get(module);
      if (a == null) {
        a = scan(module);
        CACHE.put(module, a);
      }
      last = new Object[] {module, a};
      return a;
    }
  }

  /** True for the 0xFD-prefixed (SIMD) opcodes. */
  public static boolean isSimdOpcode(OpCode op) {
    return (op.opcode() & 0xFF00) == 0xFD00;
  }

  /** A machine factory running every function in {@link SimdInterpreterMachine}. */
  public static Function<Instance, Machine> interpreterFactory() {
    return new InterpreterFactory();
  }

  /** Runs every function in a {@link SimdInterpreterMachine}. */
  public static final class InterpreterFactory implements Function<Instance, Machine> {
    @Override
    public Machine apply(Instance instance) {
      return new SimdInterpreterMachine(instance);
    }
  }

  /**
   * A machine factory for the hybrid mode: the functions in {@code interpreted} (function
   * index space, imports first, of {@code functionCount} functions) run in a
   * {@link SimdInterpreterMachine}, all others in the machine {@code compiled} makes (which
   * must have been compiled with those functions left to the interpreter, e.g.
   * {@code MachineFactoryCompiler.Builder.withInterpretedFunctions}). Calls in either
   * direction go through {@code instance.getMachine()}, i.e. the dispatching machine.
   */
  public static Function<Instance, Machine> hybridFactory(
      Set<Integer> interpreted, int functionCount, Function<Instance, Machine> compiled) {
    boolean[] mask = new boolean[functionCount];
    for (int f : interpreted) if (f >= 0 && f < functionCount) mask[f] = true;
    return new HybridFactory(mask, compiled);
  }

  /** Compiled code for most functions, {@link SimdInterpreterMachine} for the SIMD ones. */
  public static final class HybridFactory implements Function<Instance, Machine> {
    private final boolean[] mask;
    private final Function<Instance, Machine> compiled;

    HybridFactory(boolean[] mask, Function<Instance, Machine> compiled) {
      this.mask = mask;
      this.compiled = compiled;
    }

    @Override
    public Machine apply(Instance instance) {
      Machine c = compiled.apply(instance);
      return new Dispatch(c, new SimdInterpreterMachine(instance, mask), mask);
    }
  }

  /** Routes each call to the compiled machine or the SIMD interpreter by function index. */
  static final class Dispatch implements Machine {
    private final Machine compiled;
    private final SimdInterpreterMachine simd;
    private final boolean[] simdFunctions;

    Dispatch(Machine compiled, SimdInterpreterMachine simd, boolean[] simdFunctions) {
      this.compiled = compiled;
      this.simd = simd;
      this.simdFunctions = simdFunctions;
    }

    @Override
    public long[] call(int funcId, long[] args) {
      if (funcId >= 0 && funcId < simdFunctions.length && simdFunctions[funcId]) {
        return simd.call(funcId, args);
      }
      return compiled.call(funcId, args);
    }
  }

  // ---- scanning ------------------------------------------------------------------

  private static boolean hasV128(List<ValType> ts) {
    for (ValType t : ts) if (ValType.V128.equals(t)) return true;
    return false;
  }

  private static boolean hasV128(FunctionType t) {
    return t != null && (hasV128(t.params()) || hasV128(t.returns()));
  }

  private static FunctionType typeAt(WasmModule m, long idx) {
    try {
      if (idx < 0 || idx >= m.typeSection().typeCount()) return null;
      return m.typeSection().getType((int) idx);
    } catch (RuntimeException e) {
      return null; // not a function type (GC proposal)
    }
  }

  private static Analysis scan(WasmModule m) {
    if (cljwasi.LazyParser.isLazy(m)) {
      // bodies decoded on first use: not scanned (that would decode them all); the decoder
      // applies the v128-local fix itself, and the compiler refuses SIMD functions one by one
      int n = m.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION)
          + m.functionSection().functionCount();
      return new Analysis(false, new boolean[n], new FunctionBody[m.codeSection().functionBodyCount()]);
    }
    List<FunctionType> funcTypes = new ArrayList<>();
    List<Boolean> globalIsV128 = new ArrayList<>();
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp instanceof FunctionImport) {
        funcTypes.add(typeAt(m, ((FunctionImport) imp).typeIndex()));
      } else if (imp instanceof GlobalImport) {
        globalIsV128.add(ValType.V128.equals(((GlobalImport) imp).type()));
      }
    }
    int imported = funcTypes.size();
    int bodies = m.codeSection().functionBodyCount();
    for (int i = 0; i < bodies; i++) {
      funcTypes.add(m.functionSection().getFunctionType(i, m.typeSection()));
    }
    boolean anyV128Global = false;
    for (int i = 0; i < m.globalSection().globalCount(); i++) {
      boolean v = ValType.V128.equals(m.globalSection().getGlobal(i).valueType());
      globalIsV128.add(v);
      anyV128Global |= v;
    }
    for (Boolean b : globalIsV128) anyV128Global |= b;

    boolean[] simd = new boolean[funcTypes.size()];
    FunctionBody[] patched = new FunctionBody[bodies];
    boolean any = anyV128Global;
    for (int i = 0; i < bodies; i++) {
      FunctionBody body = m.codeSection().getFunctionBody(i);
      FunctionType type = funcTypes.get(imported + i);
      boolean uses = hasV128(type) || hasV128(body.localTypes())
          || bodyUsesV128(m, body, funcTypes, globalIsV128);
      simd[imported + i] = uses;
      any |= uses;
      if (uses) patched[i] = rewriteV128Locals(type, body);
    }
    return new Analysis(any, simd, patched);
  }

  private static boolean bodyUsesV128(
      WasmModule m, FunctionBody body, List<FunctionType> funcTypes, List<Boolean> globalIsV128) {
    long v128 = ValType.V128.id();
    for (AnnotatedInstruction ins : body.instructions()) {
      OpCode op = ins.opcode();
      if (isSimdOpcode(op)) return true;
      switch (op) {
        case DROP:
        case SELECT:
        case SELECT_T:
          if (ins.operandCount() > 0 && ins.operand(0) == v128) return true;
          break;
        case CALL:
        case RETURN_CALL: {
          long f = ins.operand(0);
          if (f >= 0 && f < funcTypes.size() && hasV128(funcTypes.get((int) f))) return true;
          break;
        }
        case CALL_INDIRECT:
        case RETURN_CALL_INDIRECT:
          if (hasV128(typeAt(m, ins.operand(0)))) return true;
          break;
        case BLOCK:
        case LOOP:
        case IF:
        case TRY_TABLE:
          if (ins.operandCount() > 0) {
            long bt = ins.operand(0);
            if (bt == v128 || hasV128(typeAt(m, bt))) return true;
          }
          break;
        case GLOBAL_GET:
        case GLOBAL_SET: {
          long g = ins.operand(0);
          if (g >= 0 && g < globalIsV128.size() && globalIsV128.get((int) g)) return true;
          break;
        }
        default:
          break;
      }
    }
    return false;
  }

  // ---- the local.set / local.tee fix -----------------------------------------------

  /**
   * Marks a rewritten {@code local.set}/{@code local.tee} of a v128 local. Chicory 1.7.5's
   * interpreter stores the two halves of a v128 in the opposite order from the one its
   * {@code local.get} (and parameter passing) reads them in, so a v128 that goes through
   * {@code local.set} comes back with its halves swapped. Such instructions are replaced
   * by a carrier instruction (opcode {@link #CARRIER}, operands {@code [MAGIC, local, tee]})
   * that {@link SimdInterpreterMachine} executes with the right order.
   */
  static final long MAGIC = 0x5349_4D44_4C4F_4341L; // "SIMDLOCA"

  static final OpCode CARRIER = OpCode.V128_ANY_TRUE; // takes no operands of its own

  /**
   * {@code body} with its {@code local.set}/{@code local.tee} of v128 locals replaced by
   * carriers (see {@link #MAGIC}), or null when it has none (also used for bodies decoded
   * one at a time, see LazyParser).
   */
  public static FunctionBody rewriteV128Locals(FunctionType type, FunctionBody body) {
    List<ValType> locals = new ArrayList<>(type.params());
    locals.addAll(body.localTypes());
    List<AnnotatedInstruction> code = body.instructions();
    List<AnnotatedInstruction> out = null;
    for (int pc = 0; pc < code.size(); pc++) {
      AnnotatedInstruction ins = code.get(pc);
      OpCode op = ins.opcode();
      if ((op == OpCode.LOCAL_SET || op == OpCode.LOCAL_TEE)
          && ValType.V128.equals(locals.get((int) ins.operand(0)))) {
        if (out == null) out = new ArrayList<>(code);
        Instruction carrier = new Instruction(ins.address(), CARRIER,
            new long[] {MAGIC, ins.operand(0), op == OpCode.LOCAL_TEE ? 1 : 0});
        out.set(pc, AnnotatedInstruction.builder().from(carrier).withDepth(ins.depth()).build());
      }
    }
    return out == null ? null : new FunctionBody(body.localTypes(), List.copyOf(out));
  }

  private static final VarHandle INSTANCE_FUNCTIONS;

  static {
    VarHandle h = null;
    try {
      h = MethodHandles.privateLookupIn(Instance.class, MethodHandles.lookup())
          .findVarHandle(Instance.class, "functions", FunctionBody[].class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      h = null;
    }
    INSTANCE_FUNCTIONS = h;
  }

  /** Installs the rewritten bodies into {@code instance} (its own array of function bodies). */
  static void patch(Instance instance, Analysis analysis) {
    FunctionBody[] patched = analysis.patchedBodies();
    boolean needed = false;
    for (FunctionBody b : patched) needed |= b != null;
    if (!needed) return;
    if (INSTANCE_FUNCTIONS == null) {
      throw new IllegalStateException("clj-wasi SIMD: cannot reach Chicory's Instance.functions"
          + " (is Chicory on the module path without opening com.dylibso.chicory.runtime?)");
    }
    FunctionBody[] fs = (FunctionBody[]) INSTANCE_FUNCTIONS.get(instance);
    WasmModule m = instance.module();
    for (int i = 0; i < patched.length && i < fs.length; i++) {
      if (patched[i] != null && fs[i] == m.codeSection().getFunctionBody(i)) fs[i] = patched[i];
    }
  }
}
