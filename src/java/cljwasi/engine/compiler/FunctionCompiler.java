package cljwasi.engine.compiler;

import cljwasi.engine.Memories;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.CatchOpCode;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import static org.objectweb.asm.Opcodes.*;

/**
 * Translates one validated function body into a static JVM method
 * {@code f<index>(params..., Context)}: Wasm locals are JVM locals, the operand stack is the
 * JVM's own (the types tracked here from each instruction's semantics), control flow is
 * jumps. A branch that leaves values below the ones it carries first moves the carried
 * values to temporaries, pops the rest and reloads them. Code after an unconditional
 * transfer is not emitted (it cannot run, and the JVM verifier would need frames for it).
 *
 * <p>Also writes the boxed entry {@code e<index>(long[], Context)} that the machine calls.
 * One instance compiles one method: a function, or one helper of a split function
 * ({@link #compileSplit}: a function over the split limit as a main method and helpers,
 * its locals in a frame array; the section "split functions" below).
 */
final class FunctionCompiler {
  private static final String SUPPORT = Type.getInternalName(Support.class);
  private static final String FLOAT_OPS = Type.getInternalName(cljwasi.engine.FloatOps.class);
  private static final String MEMORIES = Type.getInternalName(Memories.class);
  /** The memory operand of every access helper. */
  static final String MEM = Type.getDescriptor(cljwasi.engine.LinearMemory.class);
  private static final String OPS = "com/dylibso/chicory/runtime/OpcodeImpl";
  private static final String CTX = JvmTypes.CONTEXT_DESC;
  private static final Type LONGS = Type.getType(long[].class);

  /** OUTER: in a helper of a split function, a label outside its region (see compileSplit). */
  private enum Kind { FUNCTION, BLOCK, LOOP, IF, TRY, OUTER }

  private static final String WASM_EXCEPTION = "com/dylibso/chicory/runtime/WasmException";

  /** A {@code try_table}'s catch clause, its target resolved when the try_table is entered. */
  private static final class Catch {
    final CatchOpCode kind;
    final int tag;
    final Frame target;

    Catch(CatchOpCode kind, int tag, Frame target) {
      this.kind = kind;
      this.tag = tag;
      this.target = target;
    }
  }

  /** One entered block, loop, if or the function itself. */
  private static final class Frame {
    final Kind kind;
    final List<Type> params;
    final List<Type> results;
    /** Operand stack height below the parameters. */
    final int height;
    /** Where a branch to this frame goes: the loop header, or the end. */
    final Label label = new Label();
    final Label elseLabel = new Label();
    boolean hasElse;
    /** Whether something reaches the end: a branch, or falling through. */
    boolean endReached;
    /** Entered in unreachable code: nothing of it is emitted. */
    final boolean dead;
    /** try_table: its clauses, the stack at entry (saved: a handler starts with none). */
    List<Catch> catches;
    List<Type> savedTypes;
    int[] savedSlots;
    final Label handler = new Label();
    /** try_table: the end of its protected code range being written. */
    Label segmentEnd;
    /** OUTER: what the helper returns to say a branch went here. */
    int exitCode;

    Frame(Kind kind, List<Type> params, List<Type> results, int height, boolean dead) {
      this.kind = kind;
      this.params = params;
      this.results = results;
      this.height = height;
      this.dead = dead;
    }

    List<Type> carried() {
      return kind == Kind.LOOP ? params : results;
    }
  }

  private final ModuleView module;
  private final int funcIdx;
  private final FunctionType type;
  private final FunctionBody body;
  private final String owner;

  private MethodVisitor mv;
  private final Label tailEntry = new Label();
  /** The function's result types. */
  private List<Type> results;
  private final List<Type> stack = new ArrayList<>();
  private final Deque<Frame> frames = new ArrayDeque<>();
  private boolean reachable = true;
  /** Each local's slot; a v128 local's is that of its low half (the high half two further). */
  private int[] localSlot;
  /** The slot each parameter arrives in (a v128 parameter's V128 reference). */
  private int[] paramSlot;
  private Type[] localType;
  private boolean[] localIsRef;
  private int ctxSlot;
  /** The TailFrame parameter of a body that makes tail calls to other functions, else -1. */
  private int tailFrameSlot = -1;
  /** The instance's LinearMemory, kept in a local; -1: no memory. */
  private int memSlot = -1;
  private int countdownSlot;
  private int nextSlot;
  private final Map<String, Integer> temps = new HashMap<>();
  /** The functions of this module this one calls directly (to recompile it if one is refused). */
  private final Set<Integer> callees;
  /** The try_tables the code being written is in, innermost first. */
  private final Deque<Frame> tries = new ArrayDeque<>();
  /** The SIMD (0xFD) instructions. */
  private SimdCompiler simd;
  /**
   * Writing the loop entry {@code o<index>} instead of {@code f<index>} and {@code e<index>}
   * (see {@link #forLoopEntry}).
   */
  private final boolean loopEntry;
  /** The loops {@code o<index>} enters, by the index of their {@code loop} instruction. */
  private final Map<Integer, Frame> enterable = new TreeMap<>();
  /** The index of the instruction being translated. */
  private int pc;

  // split functions (see compileSplit): null, -1, false for a function in one method
  private Split split;
  /** The frame array's local (the main method's, a helper's parameter 0). */
  private int frameSlot = -1;
  /** A helper: its region's first and last instruction; the main method: all. */
  private int regionFrom = -1;
  private int regionTo = Integer.MAX_VALUE;
  private boolean helper;
  /** A helper: the values it gets, the ways it can return, the values it falls through with. */
  private List<Type> inputs;
  private final Set<Integer> exits = new TreeSet<>();
  private List<Type> outputs;

  FunctionCompiler(ModuleView module, int funcIdx, String owner) {
    this(module, funcIdx, owner, false);
  }

  private FunctionCompiler(ModuleView module, int funcIdx, String owner, boolean loopEntry) {
    this.module = module;
    this.funcIdx = funcIdx;
    this.type = module.signatures().functionType(funcIdx);
    this.body = module.body(funcIdx);
    this.owner = owner;
    this.callees = new TreeSet<>();
    this.loopEntry = loopEntry;
  }

  /** A helper method of split function {@code main}: the region {@code from..to}. */
  private FunctionCompiler(FunctionCompiler main, int from, int to, List<Type> inputs,
      List<Frame> outer) {
    this.module = main.module;
    this.funcIdx = main.funcIdx;
    this.type = main.type;
    this.body = main.body;
    this.owner = main.owner;
    this.callees = main.callees;
    this.loopEntry = false;
    this.split = main.split;
    this.localType = main.localType;
    this.localIsRef = main.localIsRef;
    this.localSlot = main.localSlot;
    this.results = main.results;
    this.regionFrom = from;
    this.regionTo = to;
    this.helper = true;
    this.inputs = inputs;
    // the labels outside the region, outermost at the bottom: a branch to one returns
    for (int d = outer.size() - 1; d >= 0; d--) {
      Frame p = new Frame(Kind.OUTER, List.of(), outer.get(d).carried(), 0, false);
      p.exitCode = d + 1;
      frames.push(p);
    }
  }

  /**
   * The compiler of function {@code funcIdx}'s loop entry {@code o<index>(long[] locals,
   * long[] params, int loop, Context)}, through which a loop running interpreted continues in
   * compiled code (on-stack replacement, {@code cljwasi.engine.interp.LoopEntry}): it loads
   * the Wasm locals from {@code locals} (boxed: a v128 in two longs), pushes the loop's
   * parameters from {@code params} and jumps to the header of loop {@code loop} (the index
   * of its {@code loop} instruction in the body), then runs the function's own code, same
   * translation as {@code f<index>}, to its end, and returns the results boxed as
   * {@code e<index>} does. Only loops with an empty operand stack below their parameters and
   * no enclosing try_table are entered (a JVM handler range or values on the JVM stack
   * cannot be set up from outside); any other loop returns {@code LoopEntry.NOT_ENTERED}.
   * Null when the function has no loop or makes tail calls to other functions (its body
   * method takes a trampoline frame).
   */
  static FunctionCompiler forLoopEntry(ModuleView module, int funcIdx, String owner) {
    if (module.makesTailCalls(funcIdx)) return null;
    boolean loops = false;
    for (AnnotatedInstruction ins : module.body(funcIdx).instructions()) {
      if (ins.opcode() == OpCode.LOOP) {
        loops = true;
        break;
      }
    }
    return loops ? new FunctionCompiler(module, funcIdx, owner, true) : null;
  }

  /** After {@link #compile} of a loop entry: whether any loop can be entered. */
  boolean entersLoops() {
    return !enterable.isEmpty();
  }

  static String loopEntryName(int funcIdx) {
    return "o" + funcIdx;
  }

  /** The descriptor of every {@code o<index>}. */
  static final String LOOP_ENTRY_DESC = "([J[JI" + CTX + ")[J";
  /** Its parameters' slots: the locals array, the params array, the loop, the Context. */
  private static final int ENTRY_LOCALS = 0;
  private static final int ENTRY_PARAMS = 1;
  private static final int ENTRY_LOOP = 2;
  private static final int ENTRY_CTX = 3;

  Set<Integer> callees() {
    return callees;
  }

  static String methodName(int funcIdx) {
    return "f" + funcIdx;
  }

  static String entryName(int funcIdx) {
    return "e" + funcIdx;
  }

  /** Writes the function's method and its boxed entry into {@code cv}; returns the code size. */
  int compile(ClassVisitor cv) throws Unsupported {
    return compile(cv, null);
  }

  /**
   * Writes the function split into a main method and helpers of about {@code budget} bytes
   * each (see the section on split functions); returns the size of the biggest.
   */
  int compileSplit(ClassVisitor cv, int budget) throws Unsupported {
    int prologue = 24 + 10 * localSlotsEstimate();
    return compile(cv, SplitPlan.plan(body.instructions(), budget, prologue));
  }

  private int localSlotsEstimate() {
    return type.params().size() + body.localTypes().size();
  }

  private int compile(ClassVisitor cv, SplitPlan plan) throws Unsupported {
    if (module.memoryCount() > 1) throw new Unsupported("multiple memories");
    String desc = JvmTypes.descriptor(type);
    // a function that makes tail calls to others: its body, and a wrapper that trampolines
    boolean tails = module.makesTailCalls(funcIdx);
    if (loopEntry) {
      mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC, loopEntryName(funcIdx), LOOP_ENTRY_DESC,
          null, null);
    } else {
      mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC,
          tails ? Trampolines.bodyName(funcIdx) : methodName(funcIdx),
          tails ? JvmTypes.tailBodyDescriptor(type) : desc, null, null);
    }
    mv.visitCode();
    int slot = loopEntry ? ENTRY_CTX + 1 : 0;
    if (loopEntry) ctxSlot = ENTRY_CTX;
    int nParams = type.params().size();
    List<ValType> locals = body.localTypes();
    localSlot = new int[nParams + locals.size()];
    localType = new Type[localSlot.length];
    paramSlot = new int[nParams];
    for (int i = 0; i < nParams; i++) {
      localType[i] = JvmTypes.of(type.params().get(i));
      paramSlot[i] = slot;
      localSlot[i] = slot;
      slot += localType[i].getSize();
    }
    if (tails) tailFrameSlot = slot++;
    if (!loopEntry) ctxSlot = slot++;
    localIsRef = new boolean[localSlot.length];
    for (int i = 0; i < locals.size(); i++) {
      Type t = JvmTypes.of(locals.get(i));
      localIsRef[nParams + i] = locals.get(i).isReference();
      localType[nParams + i] = t;
      if (plan == null) {
        localSlot[nParams + i] = slot;
        slot += isV128(nParams + i) ? SimdCompiler.LOCAL_SLOTS : t.getSize();
      }
    }
    if (plan == null) {
      for (int i = 0; i < nParams; i++) {
        if (isV128(i)) { // the V128 parameter is unpacked into two long slots at the start
          localSlot[i] = slot;
          slot += SimdCompiler.LOCAL_SLOTS;
        }
      }
    } else {
      // every local, a v128 one too (its two halves), is in the frame array: no slots
      split = new Split(plan, cv, tails, localType, nParams);
      frameSlot = slot++;
    }
    startCode(slot);
    Label dispatch = new Label();
    if (loopEntry) { // o<index>: the locals from the array, then to the loop asked for
      loadLocals();
      mv.visitJumpInsn(GOTO, dispatch);
    }
    if (split != null) {
      enterSplitFrame();
    } else {
      zeroLocals();
    }

    results = types(type.returns());
    frames.push(new Frame(Kind.FUNCTION, List.of(), results, 0, false));
    translateRange(0, Integer.MAX_VALUE);
    while (!frames.isEmpty()) end(); // a body without its final END
    if (loopEntry) writeDispatch(dispatch);
    Label codeEnd = new Label();
    mv.visitLabel(codeEnd);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    int size = codeEnd.getOffset();
    if (loopEntry) return size; // a second translation: f<index> and e<index> are written
    if (split != null) size = Math.max(size, split.finish(owner, funcIdx));
    writeEntry(cv, desc);
    if (tails) Trampolines.writeWrapper(cv, owner, funcIdx, type, module.tailClass());
    return size;
  }

  /**
   * The start of every method (a function's, a split function's helper's), its slots below
   * {@code slot} taken: the interrupt countdown, the memory, the SIMD writer.
   */
  private void startCode(int slot) {
    countdownSlot = slot++;
    mv.visitLdcInsn(Support.INTERRUPT_INTERVAL);
    mv.visitVarInsn(ISTORE, countdownSlot);
    if (module.hasMemory()) {
      memSlot = slot++;
      loadMemory();
    }
    nextSlot = slot;
    simd = new SimdCompiler(mv, stack, this::pushMemory, ctxSlot, this::unreachableFromHere,
        this::temp);
  }

  /** The start of a one-method function: a self tail call starts here again, locals zeroed. */
  private void zeroLocals() {
    int nParams = type.params().size();
    // a tail call to this function itself starts here again: parameters set, locals zeroed
    mv.visitLabel(tailEntry);
    for (int i = 0; i < nParams; i++) {
      if (isV128(i)) {
        mv.visitVarInsn(ALOAD, paramSlot[i]);
        simd.storeLocal(localSlot[i]);
      }
    }
    for (int i = nParams; i < localSlot.length; i++) {
      if (isV128(i)) {
        simd.zeroLocal(localSlot[i]);
        continue;
      }
      if (localIsRef[i]) {
        mv.visitInsn(ICONST_M1); // a reference local starts as ref.null
      } else {
        zero(localType[i]);
      }
      mv.visitVarInsn(localType[i].getOpcode(ISTORE), localSlot[i]);
    }
  }

  /**
   * Translates the instructions {@code from..to} (to the function's end at most); in a split
   * function, a region of the plan becomes a call of its helper.
   */
  private void translateRange(int from, int to) throws Unsupported {
    List<AnnotatedInstruction> code = body.instructions();
    for (int i = Math.max(from, 0); i <= to && i < code.size(); i++) {
      if (frames.isEmpty()) break; // the function's end was its last instruction
      if (split != null) {
        int end = split.plan.regionAt(i, regionFrom, regionTo);
        if (end >= 0) {
          if (reachable) callRegion(i, end);
          i = end; // unreachable: nothing of it is written (it is balanced)
          continue;
        }
      }
      pc = i;
      translate(code.get(i));
    }
  }

  // ---- the boxed entry ----------------------------------------------------------------------

  private void writeEntry(ClassVisitor cv, String desc) throws Unsupported {
    MethodVisitor e = cv.visitMethod(ACC_PUBLIC | ACC_STATIC, entryName(funcIdx),
        "([J" + CTX + ")[J", null, null);
    e.visitCode();
    int at = 0;
    for (ValType p : type.params()) {
      Type t = JvmTypes.of(p);
      e.visitVarInsn(ALOAD, 0);
      JvmTypes.pushInt(e, at);
      JvmTypes.loadBoxed(e, t);
      at += JvmTypes.boxedWidth(t);
    }
    e.visitVarInsn(ALOAD, 1);
    e.visitMethodInsn(INVOKESTATIC, owner, methodName(funcIdx), desc, false);
    Type ret = JvmTypes.returnType(type.returns());
    if (ret.getSort() == Type.VOID) {
      e.visitInsn(ACONST_NULL);
    } else if (ret.getSort() != Type.ARRAY) {
      e.visitVarInsn(ret.getOpcode(ISTORE), 2);
      JvmTypes.pushInt(e, JvmTypes.boxedWidth(ret));
      e.visitIntInsn(NEWARRAY, T_LONG);
      e.visitInsn(DUP);
      e.visitInsn(ICONST_0);
      e.visitVarInsn(ret.getOpcode(ILOAD), 2);
      JvmTypes.storeBoxed(e, ret);
    }
    e.visitInsn(ARETURN);
    e.visitMaxs(0, 0);
    e.visitEnd();
  }

  // ---- the loop entry -----------------------------------------------------------------------

  /** o<index>'s prologue: every Wasm local from the boxed locals array. */
  private void loadLocals() {
    int at = 0;
    for (int i = 0; i < localSlot.length; i++) {
      mv.visitVarInsn(ALOAD, ENTRY_LOCALS);
      JvmTypes.pushInt(mv, at);
      JvmTypes.loadBoxed(mv, localType[i]);
      if (isV128(i)) {
        simd.storeLocal(localSlot[i]);
      } else {
        mv.visitVarInsn(localType[i].getOpcode(ISTORE), localSlot[i]);
      }
      at += JvmTypes.boxedWidth(localType[i]);
    }
  }

  /**
   * After the body: the jump to the loop asked for, its parameters pushed from the params
   * array (the JVM stack at a header holds just those, as on a back-edge), or
   * NOT_ENTERED for a loop that cannot be entered.
   */
  private void writeDispatch(Label dispatch) {
    mv.visitLabel(dispatch);
    Label none = new Label();
    int[] keys = new int[enterable.size()];
    Label[] stubs = new Label[keys.length];
    int k = 0;
    for (int loop : enterable.keySet()) {
      keys[k] = loop;
      stubs[k++] = new Label();
    }
    mv.visitVarInsn(ILOAD, ENTRY_LOOP);
    mv.visitLookupSwitchInsn(none, keys, stubs);
    k = 0;
    for (Frame f : enterable.values()) {
      mv.visitLabel(stubs[k++]);
      int at = 0;
      for (Type t : f.params) {
        mv.visitVarInsn(ALOAD, ENTRY_PARAMS);
        JvmTypes.pushInt(mv, at);
        JvmTypes.loadBoxed(mv, t);
        at += JvmTypes.boxedWidth(t);
      }
      mv.visitJumpInsn(GOTO, f.label);
    }
    mv.visitLabel(none);
    mv.visitFieldInsn(GETSTATIC, "cljwasi/engine/interp/LoopEntry", "NOT_ENTERED", "[J");
    mv.visitInsn(ARETURN);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static List<Type> types(List<ValType> vs) throws Unsupported {
    List<Type> out = new ArrayList<>(vs.size());
    for (ValType v : vs) out.add(JvmTypes.of(v));
    return out;
  }

  /** Whether local {@code i} is a v128 (kept as two long slots: SimdCompiler). */
  private boolean isV128(int i) {
    return localType[i].equals(JvmTypes.V128_TYPE);
  }

  private void zero(Type t) {
    JvmTypes.pushZero(mv, t);
  }

  /** A temporary slot for type {@code t}, the {@code i}th of that type (reused across uses). */
  private int temp(Type t, int i) {
    return temps.computeIfAbsent(t.getDescriptor() + i, k -> {
      int s = nextSlot;
      nextSlot += t.getSize();
      return s;
    });
  }

  private void push(Type t) {
    stack.add(t);
  }

  private Type pop() {
    return stack.remove(stack.size() - 1);
  }

  private Type peek() {
    return stack.get(stack.size() - 1);
  }

  /** Keeps the instance's LinearMemory in a local (loads and stores take it). */
  private void loadMemory() {
    mv.visitVarInsn(ALOAD, ctxSlot);
    mv.visitFieldInsn(GETFIELD, JvmTypes.CONTEXT, "linear", MEM);
    mv.visitVarInsn(ASTORE, memSlot);
  }

  /** Pushes the memory operand of a Memories/V128Ops access. */
  private void pushMemory() {
    mv.visitVarInsn(ALOAD, memSlot);
  }

  private void invoke(String owner, String name, String desc) {
    mv.visitMethodInsn(INVOKESTATIC, owner, name, desc, false);
  }

  private void ctx() {
    mv.visitVarInsn(ALOAD, ctxSlot);
  }

  /** Moves the top {@code n} values (types {@code ts}, in stack order) into temporaries. */
  private int[] spill(List<Type> ts) {
    int[] slots = new int[ts.size()];
    Map<String, Integer> used = new HashMap<>();
    for (int i = 0; i < ts.size(); i++) {
      Type t = ts.get(i);
      int k = used.merge(t.getDescriptor(), 1, Integer::sum) - 1;
      slots[i] = temp(t, k);
    }
    for (int i = ts.size() - 1; i >= 0; i--) mv.visitVarInsn(ts.get(i).getOpcode(ISTORE), slots[i]);
    return slots;
  }

  /** Pushes a new long[] of the values of types {@code ts} in {@code slots}, boxed. */
  private void boxValues(List<Type> ts, int[] slots) {
    JvmTypes.pushInt(mv, JvmTypes.boxedLength(ts));
    mv.visitIntInsn(NEWARRAY, T_LONG);
    int at = 0;
    for (int i = 0; i < ts.size(); i++) {
      mv.visitInsn(DUP);
      JvmTypes.pushInt(mv, at);
      mv.visitVarInsn(ts.get(i).getOpcode(ILOAD), slots[i]);
      JvmTypes.storeBoxed(mv, ts.get(i));
      at += JvmTypes.boxedWidth(ts.get(i));
    }
  }

  private void reload(List<Type> ts, int[] slots) {
    for (int i = 0; i < ts.size(); i++) mv.visitVarInsn(ts.get(i).getOpcode(ILOAD), slots[i]);
  }

  /** Pops the JVM values between {@code height} and the top {@code keep} (abstract stack kept). */
  private void dropBetween(int height, List<Type> keep) {
    int extra = stack.size() - height - keep.size();
    if (extra <= 0) return;
    int[] slots = spill(keep);
    for (int i = stack.size() - keep.size() - 1; i >= height; i--) JvmTypes.pop(mv, stack.get(i));
    reload(keep, slots);
  }

  private Frame frameAt(int depth) {
    int i = 0;
    for (Frame f : frames) {
      if (i++ == depth) return f;
    }
    throw new IllegalStateException("branch depth " + depth + " out of range");
  }

  /** Emits the jump of a taken branch to {@code target} (the abstract stack is not changed). */
  private void branch(Frame target) {
    if (target.kind == Kind.FUNCTION) {
      emitReturn();
      return;
    }
    if (target.kind == Kind.OUTER) {
      leaveRegion(target.carried(), target.exitCode);
      return;
    }
    dropBetween(target.height, target.carried());
    mv.visitJumpInsn(GOTO, target.label);
    if (target.kind != Kind.LOOP) target.endReached = true;
  }

  /** Whether a branch to {@code target} is a plain jump (nothing to drop, not a return). */
  private boolean plainJump(Frame target) {
    return target.kind != Kind.FUNCTION && target.kind != Kind.OUTER
        && stack.size() - target.height - target.carried().size() == 0;
  }

  private void emitReturn() {
    if (helper) {
      leaveRegion(results, RETURNED);
      return;
    }
    List<Type> rs = results;
    if (loopEntry) { // the results boxed, as e<index> returns them
      if (rs.isEmpty()) {
        mv.visitInsn(ACONST_NULL);
      } else {
        boxValues(rs, spill(rs));
      }
      mv.visitInsn(ARETURN);
    } else if (rs.isEmpty()) {
      mv.visitInsn(RETURN);
    } else if (rs.size() == 1) {
      mv.visitInsn(rs.get(0).getOpcode(IRETURN));
    } else {
      int[] slots = spill(rs);
      boxValues(rs, slots);
      mv.visitInsn(ARETURN);
    }
  }

  private void unreachableFromHere() {
    reachable = false;
  }

  // ---- block types --------------------------------------------------------------------------

  private FunctionType blockType(AnnotatedInstruction ins) {
    long t = ins.operand(0);
    if (t == 0x40) return FunctionType.empty();
    if (ValType.isValid(t)) {
      return FunctionType.returning(
          ValType.builder().fromId(t).build());
    }
    return module.module().typeSection().getType((int) t);
  }

  // ---- control ------------------------------------------------------------------------------

  private void enter(Kind kind, AnnotatedInstruction ins) throws Unsupported {
    if (!reachable) {
      frames.push(new Frame(kind, List.of(), List.of(), stack.size(), true));
      return;
    }
    FunctionType bt = blockType(ins);
    List<Type> ps = types(bt.params());
    List<Type> rs = types(bt.returns());
    if (kind == Kind.IF) pop(); // the condition
    Frame f = new Frame(kind, ps, rs, stack.size() - ps.size(), false);
    if (kind == Kind.TRY) {
      enterTry(f, ins);
      return;
    }
    frames.push(f);
    if (kind == Kind.IF) {
      mv.visitJumpInsn(IFEQ, f.elseLabel);
    } else if (kind == Kind.LOOP) {
      if (loopEntry && f.height == 0 && tries.isEmpty()) enterable.put(pc, f);
      mv.visitLabel(f.label);
      // the cheap interrupt check: a countdown, the flag read only when it runs out
      Label go = new Label();
      mv.visitIincInsn(countdownSlot, -1);
      mv.visitVarInsn(ILOAD, countdownSlot);
      mv.visitJumpInsn(IFGT, go);
      invoke(SUPPORT, "checkInterrupt", "()I");
      mv.visitVarInsn(ISTORE, countdownSlot);
      mv.visitLabel(go);
    }
  }

  // ---- exceptions ---------------------------------------------------------------------------

  /**
   * A {@code try_table}: its body is a protected range of the JVM's exception table whose
   * handler tests the clauses in order. A JVM handler starts with an empty operand stack, so
   * the values on the stack at entry are kept in locals for the clauses that branch out to
   * an enclosing label. Only the innermost try_table's range is ever open: the enclosing
   * one's is suspended around this one (the JVM takes the first matching entry in table
   * order, and ASM writes them in the order they are declared) and resumed before this
   * one's handler, whose rethrow it must see.
   */
  private void enterTry(Frame f, AnnotatedInstruction ins) {
    f.catches = new ArrayList<>();
    for (CatchOpCode.Catch c : ins.catches()) {
      Frame target = frameAt(c.label()); // labels count from outside the try_table
      if (target.kind != Kind.LOOP) target.endReached = true;
      f.catches.add(new Catch(c.opcode(), c.tag(), target));
    }
    f.savedTypes = new ArrayList<>(stack);
    f.savedSlots = new int[stack.size()];
    for (int i = 0; i < stack.size(); i++) {
      f.savedSlots[i] = nextSlot; // its own slots: no other spill may reuse them
      nextSlot += stack.get(i).getSize();
    }
    for (int i = stack.size() - 1; i >= 0; i--) {
      mv.visitVarInsn(stack.get(i).getOpcode(ISTORE), f.savedSlots[i]);
    }
    reload(f.savedTypes, f.savedSlots);
    if (!tries.isEmpty()) closeSegment(tries.peek());
    frames.push(f);
    tries.push(f);
    openSegment(f);
  }

  private void openSegment(Frame t) {
    Label start = new Label();
    t.segmentEnd = new Label();
    mv.visitTryCatchBlock(start, t.segmentEnd, t.handler, WASM_EXCEPTION);
    mv.visitLabel(start);
    mv.visitInsn(NOP); // never an empty range
  }

  private void closeSegment(Frame t) {
    mv.visitLabel(t.segmentEnd);
  }

  private void endTry(Frame f) {
    closeSegment(f);
    tries.pop();
    if (reachable) {
      mv.visitJumpInsn(GOTO, f.label);
      f.endReached = true;
    }
    // the handler's rethrow goes to the enclosing try_table's handler, whose own rethrow
    // (written at its end, where the next one out resumes) goes further out
    if (!tries.isEmpty()) openSegment(tries.peek());
    mv.visitLabel(f.handler);
    int ex = temp(Type.getObjectType(WASM_EXCEPTION), 0);
    mv.visitVarInsn(ASTORE, ex);
    for (Catch c : f.catches) {
      Label next = new Label();
      boolean tagged = c.kind == CatchOpCode.CATCH || c.kind == CatchOpCode.CATCH_REF;
      boolean ref = c.kind == CatchOpCode.CATCH_REF || c.kind == CatchOpCode.CATCH_ALL_REF;
      if (tagged) {
        mv.visitVarInsn(ALOAD, ex);
        JvmTypes.pushInt(mv, c.tag);
        ctx();
        invoke(SUPPORT, "catches", "(L" + WASM_EXCEPTION + ";I" + CTX + ")Z");
        mv.visitJumpInsn(IFEQ, next);
      }
      // the handler's stack: what was below the target's values, then the payload
      List<Type> saved = f.savedTypes.subList(0, c.target.height);
      reload(saved, f.savedSlots);
      List<Type> payload = new ArrayList<>();
      if (tagged) {
        int at = 0;
        for (ValType p : module.tagType(c.tag).params()) {
          Type t = jvmType(p);
          mv.visitVarInsn(ALOAD, ex);
          mv.visitMethodInsn(INVOKEVIRTUAL, WASM_EXCEPTION, "args", "()[J", false);
          JvmTypes.pushInt(mv, at);
          JvmTypes.loadBoxed(mv, t);
          at += JvmTypes.boxedWidth(t);
          payload.add(t);
        }
      }
      if (ref) {
        mv.visitVarInsn(ALOAD, ex);
        ctx();
        invoke(SUPPORT, "exnref", "(L" + WASM_EXCEPTION + ";" + CTX + ")I");
        payload.add(Type.INT_TYPE);
      }
      List<Type> before = new ArrayList<>(stack);
      stack.clear();
      stack.addAll(saved);
      stack.addAll(payload);
      branch(c.target);
      stack.clear();
      stack.addAll(before);
      mv.visitLabel(next);
    }
    mv.visitVarInsn(ALOAD, ex);
    mv.visitInsn(ATHROW);
    mv.visitLabel(f.label);
    truncate(f.height);
    stack.addAll(f.results);
    reachable = f.endReached;
  }

  /** A value type already checked by validation (a tag's parameters). */
  private static Type jvmType(ValType v) {
    try {
      return JvmTypes.of(v);
    } catch (Unsupported e) {
      throw new IllegalStateException(e);
    }
  }

  private void throwTag(int tag) throws Unsupported {
    List<Type> ps = types(module.tagType(tag).params());
    int[] slots = spill(ps);
    for (int i = 0; i < ps.size(); i++) pop();
    boxValues(ps, slots);
    JvmTypes.pushInt(mv, tag);
    ctx();
    invoke(SUPPORT, "exception", "([JI" + CTX + ")L" + WASM_EXCEPTION + ";");
    mv.visitInsn(ATHROW);
    unreachableFromHere();
  }

  /**
   * {@code return_call} of this function itself: the arguments become the parameters and
   * the code starts again, in constant stack. A loop, so it counts down to the interrupt
   * check as a loop's back-edge does. (A tail call to another function: {@link #tailCall}.)
   */
  private void selfTailCall() {
    int nParams = type.params().size();
    if (split != null) {
      for (int i = nParams - 1; i >= 0; i--) frameStore(pop(), split.localAt[i]);
      if (helper) {
        leaveWith(SELF_TAIL);
      } else {
        restartSplit();
      }
      unreachableFromHere();
      return;
    }
    for (int i = nParams - 1; i >= 0; i--) {
      pop();
      mv.visitVarInsn(localType[i].getOpcode(ISTORE), paramSlot[i]);
    }
    for (int i = stack.size() - 1; i >= 0; i--) JvmTypes.pop(mv, stack.get(i));
    countdownToStart();
    unreachableFromHere();
  }

  /** A back-edge to the function's start: the interrupt countdown, then the jump. */
  private void countdownToStart() {
    mv.visitIincInsn(countdownSlot, -1);
    mv.visitVarInsn(ILOAD, countdownSlot);
    mv.visitJumpInsn(IFGT, tailEntry);
    invoke(SUPPORT, "checkInterrupt", "()I");
    mv.visitVarInsn(ISTORE, countdownSlot);
    mv.visitJumpInsn(GOTO, tailEntry);
  }

  private void elseBranch() {
    Frame f = frames.peek();
    if (f.dead) return;
    if (reachable) {
      mv.visitJumpInsn(GOTO, f.label);
      f.endReached = true;
    }
    f.hasElse = true;
    mv.visitLabel(f.elseLabel);
    truncate(f.height);
    stack.addAll(f.params);
    reachable = true;
  }

  private void truncate(int height) {
    while (stack.size() > height) pop();
  }

  private void end() {
    Frame f = frames.pop();
    if (f.dead) return;
    if (f.kind == Kind.TRY) {
      if (reachable) f.endReached = true;
      endTry(f);
      return;
    }
    if (f.kind == Kind.FUNCTION) {
      if (reachable) emitReturn();
      reachable = false;
      return;
    }
    if (reachable) f.endReached = true;
    if (f.kind == Kind.IF && !f.hasElse) {
      // the false path arrives with the parameters, which are the results here
      if (reachable) mv.visitJumpInsn(GOTO, f.label);
      mv.visitLabel(f.elseLabel);
      f.endReached = true;
    }
    if (f.kind != Kind.LOOP) mv.visitLabel(f.label);
    truncate(f.height);
    stack.addAll(f.results);
    reachable = f.endReached;
  }

  private void brTable(AnnotatedInstruction ins) {
    pop(); // the index
    long[] ops = ins.operands();
    // operands: the label depths, the default last
    int n = ops.length - 1;
    Map<Integer, Label> stubs = new LinkedHashMap<>();
    Label[] targets = new Label[n];
    for (int i = 0; i < n; i++) targets[i] = labelFor((int) ops[i], stubs);
    Label dflt = labelFor((int) ops[n], stubs);
    if (n == 0) {
      mv.visitInsn(POP);
      mv.visitJumpInsn(GOTO, dflt);
    } else {
      mv.visitTableSwitchInsn(0, n - 1, dflt, targets);
    }
    for (Map.Entry<Integer, Label> s : stubs.entrySet()) {
      mv.visitLabel(s.getValue());
      branch(frameAt(s.getKey()));
    }
    unreachableFromHere();
  }

  private Label labelFor(int depth, Map<Integer, Label> stubs) {
    Frame f = frameAt(depth);
    if (plainJump(f)) {
      if (f.kind != Kind.LOOP) f.endReached = true;
      return f.label;
    }
    return stubs.computeIfAbsent(depth, d -> new Label());
  }

  // ---- the instructions ---------------------------------------------------------------------

  private void translate(AnnotatedInstruction ins) throws Unsupported {
    OpCode op = ins.opcode();
    switch (op) {
      case BLOCK:
        enter(Kind.BLOCK, ins);
        return;
      case LOOP:
        enter(Kind.LOOP, ins);
        return;
      case IF:
        enter(Kind.IF, ins);
        return;
      case TRY_TABLE:
        enter(Kind.TRY, ins);
        return;
      case ELSE:
        elseBranch();
        return;
      case END:
        end();
        return;
      default:
        break;
    }
    if (!reachable) return;
    switch (op) {
      case NOP:
        return;
      case UNREACHABLE:
        invoke(SUPPORT, "unreachable", "()Lcom/dylibso/chicory/runtime/TrapException;");
        mv.visitInsn(ATHROW);
        unreachableFromHere();
        return;
      case BR:
        branch(frameAt((int) ins.operand(0)));
        unreachableFromHere();
        return;
      case BR_IF: {
        pop();
        Frame f = frameAt((int) ins.operand(0));
        if (plainJump(f)) {
          mv.visitJumpInsn(IFNE, f.label);
          if (f.kind != Kind.LOOP) f.endReached = true;
        } else {
          Label skip = new Label();
          mv.visitJumpInsn(IFEQ, skip);
          branch(f);
          mv.visitLabel(skip);
        }
        return;
      }
      case BR_TABLE:
        brTable(ins);
        return;
      case RETURN:
        emitReturn();
        unreachableFromHere();
        return;
      case THROW:
        throwTag((int) ins.operand(0));
        return;
      case RETURN_CALL:
        if (ins.operand(0) == funcIdx) {
          selfTailCall();
        } else {
          tailCall((int) ins.operand(0));
        }
        return;
      case RETURN_CALL_INDIRECT:
        tailCallIndirect((int) ins.operand(0), (int) ins.operand(1));
        return;
      case THROW_REF:
        pop();
        ctx();
        invoke(SUPPORT, "rethrow", "(I" + CTX + ")Ljava/lang/RuntimeException;");
        mv.visitInsn(ATHROW);
        unreachableFromHere();
        return;
      case CALL:
        call((int) ins.operand(0));
        return;
      case CALL_INDIRECT:
        callIndirect((int) ins.operand(0), (int) ins.operand(1));
        return;
      case DROP:
        JvmTypes.pop(mv, pop());
        return;
      case SELECT:
      case SELECT_T:
        select();
        return;
      case LOCAL_GET: {
        int i = (int) ins.operand(0);
        if (split != null) {
          frameLoad(localType[i], split.localAt[i]);
        } else if (isV128(i)) {
          simd.loadLocal(localSlot[i]);
        } else {
          mv.visitVarInsn(localType[i].getOpcode(ILOAD), localSlot[i]);
        }
        push(localType[i]);
        return;
      }
      case LOCAL_SET: {
        int i = (int) ins.operand(0);
        pop();
        storeLocal(i);
        return;
      }
      case LOCAL_TEE: {
        int i = (int) ins.operand(0);
        mv.visitInsn(localType[i].getSize() == 2 ? DUP2 : DUP);
        storeLocal(i);
        return;
      }
      case GLOBAL_GET: {
        int g = (int) ins.operand(0);
        Type t = JvmTypes.of(module.globalType(g));
        if (t.equals(JvmTypes.V128_TYPE)) {
          simd.globalGet(g);
          return;
        }
        JvmTypes.pushInt(mv, g);
        ctx();
        invoke(SUPPORT, "globalGet", "(I" + CTX + ")J");
        JvmTypes.fromLong(mv, t);
        push(t);
        return;
      }
      case GLOBAL_SET: {
        int g = (int) ins.operand(0);
        if (JvmTypes.of(module.globalType(g)).equals(JvmTypes.V128_TYPE)) {
          simd.globalSet(g);
          return;
        }
        JvmTypes.toLong(mv, pop());
        JvmTypes.pushInt(mv, g);
        ctx();
        invoke(SUPPORT, "globalSet", "(JI" + CTX + ")V");
        return;
      }
      case I32_CONST:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        push(Type.INT_TYPE);
        return;
      case I64_CONST: {
        long v = ins.operand(0);
        if (v == 0 || v == 1) {
          mv.visitInsn((int) (LCONST_0 + v));
        } else {
          mv.visitLdcInsn(v);
        }
        push(Type.LONG_TYPE);
        return;
      }
      case F32_CONST: {
        int bits = (int) ins.operand(0);
        float f = Float.intBitsToFloat(bits);
        if (Float.isNaN(f)) {
          // through the bits, so that the payload survives
          mv.visitLdcInsn(bits);
          invoke("java/lang/Float", "intBitsToFloat", "(I)F");
        } else {
          mv.visitLdcInsn(f);
        }
        push(Type.FLOAT_TYPE);
        return;
      }
      case F64_CONST: {
        long bits = ins.operand(0);
        double d = Double.longBitsToDouble(bits);
        if (Double.isNaN(d)) {
          mv.visitLdcInsn(bits);
          invoke("java/lang/Double", "longBitsToDouble", "(J)D");
        } else {
          mv.visitLdcInsn(d);
        }
        push(Type.DOUBLE_TYPE);
        return;
      }
      case REF_NULL:
        mv.visitInsn(ICONST_M1);
        push(Type.INT_TYPE);
        return;
      case REF_IS_NULL:
        pop();
        mv.visitInsn(ICONST_M1);
        compare(IF_ICMPEQ);
        return;
      case REF_FUNC:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        push(Type.INT_TYPE);
        return;
      default:
        break;
    }
    if (memoryAccess(op, ins) || numeric(op) || bulk(op, ins) || atomic(op, ins)
        || simd.translate(op, ins)) {
      return;
    }
    throw new Unsupported("instruction " + op);
  }

  /** Stores the value on the stack into local {@code i}. */
  private void storeLocal(int i) {
    if (split != null) {
      frameStore(localType[i], split.localAt[i]);
    } else if (isV128(i)) {
      simd.storeLocal(localSlot[i]);
    } else {
      mv.visitVarInsn(localType[i].getOpcode(ISTORE), localSlot[i]);
    }
  }

  // ---- calls --------------------------------------------------------------------------------

  private void call(int callee) throws Unsupported {
    FunctionType ft = module.signatures().functionType(callee);
    String target = module.ownerOf(callee);
    if (target != null) {
      callees.add(callee);
      ctx();
      invoke(target, methodName(callee), JvmTypes.descriptor(ft));
      afterCall(ft);
    } else {
      boxedCall(ft, () -> {
        ctx();
        JvmTypes.pushInt(mv, callee);
      }, "(" + CTX + "I[J)[J", "call", null);
    }
  }

  /** Pops the arguments, pushes their results (as the JVM method returned them). */
  private void afterCall(FunctionType ft) throws Unsupported {
    for (int i = 0; i < ft.params().size(); i++) pop();
    unpackResults(ft, JvmTypes.returnType(ft.returns()).getSort() == Type.ARRAY);
  }

  /** The results of a call whose value is on the stack: pushed as they are, or unboxed. */
  private void unpackResults(FunctionType ft, boolean boxed) throws Unsupported {
    List<Type> rs = types(ft.returns());
    if (boxed) {
      if (rs.isEmpty()) {
        mv.visitInsn(POP);
      } else {
        int arr = temp(LONGS, 0);
        mv.visitVarInsn(ASTORE, arr);
        int at = 0;
        for (Type t : rs) {
          mv.visitVarInsn(ALOAD, arr);
          JvmTypes.pushInt(mv, at);
          JvmTypes.loadBoxed(mv, t);
          at += JvmTypes.boxedWidth(t);
        }
      }
    }
    stack.addAll(rs);
  }

  /**
   * A call in the boxed convention: the arguments go into a long[]; {@code before} pushes
   * the helper's leading arguments, {@code after} (may be null) its trailing ones.
   */
  private void boxedCall(FunctionType ft, Runnable before, String desc, String helper,
      Runnable after) throws Unsupported {
    List<Type> ps = types(ft.params());
    int[] slots = spill(ps);
    for (int i = 0; i < ps.size(); i++) pop();
    before.run();
    boxValues(ps, slots);
    if (after != null) after.run();
    invoke(SUPPORT, helper, desc);
    unpackResults(ft, true);
  }

  private void callIndirect(int typeIdx, int table) throws Unsupported {
    FunctionType ft = module.module().typeSection().getType(typeIdx);
    pop(); // the table index, passed on to the dispatcher
    ctx();
    String[] d = module.dispatcher(typeIdx, table);
    invoke(d[0], d[1], d[2]);
    afterCall(ft);
  }

  // ---- tail calls to other functions (Trampolines) -------------------------------------------

  /**
   * {@code return_call} of another function. One that makes tail calls itself is left
   * pending in this body's frame for the trampoline (constant stack however long the chain);
   * any other is called and its results returned: it cannot continue the chain, so the
   * stack grows by that one call only.
   */
  private void tailCall(int callee) throws Unsupported {
    FunctionType ft = module.signatures().functionType(callee);
    suspendTry();
    if (module.trampolined(callee)) {
      callees.add(callee); // compiled again with the boxed call if it is refused after all
      mv.visitVarInsn(ALOAD, tailFrameSlot);
      invoke(module.tailClass(), Trampolines.pendingName(callee),
          Trampolines.pendingDescriptor(ft));
      for (int i = 0; i < ft.params().size(); i++) pop();
      if (helper) {
        leaveWith(TAIL_PENDING);
      } else {
        Trampolines.returnPlaceholder(mv, JvmTypes.returnType(type.returns()));
      }
    } else {
      call(callee);
      emitReturn();
    }
    resumeTry();
    unreachableFromHere();
  }

  /**
   * {@code return_call_indirect}: its dispatcher ({@link Dispatchers}) resolves and checks
   * the entry, then leaves the call pending or makes it; its value is this function's.
   */
  private void tailCallIndirect(int typeIdx, int table) throws Unsupported {
    FunctionType ft = module.module().typeSection().getType(typeIdx);
    suspendTry();
    pop(); // the table index, passed on to the dispatcher
    mv.visitVarInsn(ALOAD, tailFrameSlot);
    ctx();
    String[] d = module.tailDispatcher(typeIdx, table);
    invoke(d[0], d[1], d[2]);
    for (int i = 0; i < ft.params().size(); i++) pop();
    if (helper) {
      tailResultToFrame(JvmTypes.returnType(ft.returns()));
    } else {
      mv.visitInsn(JvmTypes.returnType(ft.returns()).getOpcode(IRETURN));
    }
    resumeTry();
    unreachableFromHere();
  }

  /**
   * A tail call leaves the function, so the try_table it is written in must not catch what
   * the callee throws: the innermost range (the only one open) is closed around it.
   */
  private void suspendTry() {
    if (!tries.isEmpty()) closeSegment(tries.peek());
  }

  /** Opens the innermost try_table's range again after a tail call (the code that follows). */
  private void resumeTry() {
    if (!tries.isEmpty()) openSegment(tries.peek());
  }

  private void select() {
    pop(); // the condition
    Type t = pop();
    pop();
    Label second = new Label();
    Label done = new Label();
    mv.visitJumpInsn(IFEQ, second);
    JvmTypes.pop(mv, t); // keep the first
    mv.visitJumpInsn(GOTO, done);
    mv.visitLabel(second);
    if (t.getSize() == 2) {
      mv.visitInsn(DUP2_X2);
      mv.visitInsn(POP2);
      mv.visitInsn(POP2);
    } else {
      mv.visitInsn(SWAP);
      mv.visitInsn(POP);
    }
    mv.visitLabel(done);
    push(t);
  }

  /** Leaves 1 when {@code jump} (a comparison jump on what is on the stack) is taken, else 0. */
  private void compare(int jump) {
    Label yes = new Label();
    Label done = new Label();
    mv.visitJumpInsn(jump, yes);
    mv.visitInsn(ICONST_0);
    mv.visitJumpInsn(GOTO, done);
    mv.visitLabel(yes);
    mv.visitInsn(ICONST_1);
    mv.visitLabel(done);
    push(Type.INT_TYPE);
  }

  // ---- memory -------------------------------------------------------------------------------

  private boolean memoryAccess(OpCode op, AnnotatedInstruction ins) throws Unsupported {
    String load;
    String store = null;
    Type result = null;
    Type value = null;
    switch (op) {
      case I32_LOAD: load = "loadInt"; result = Type.INT_TYPE; break;
      case I64_LOAD: load = "loadLong"; result = Type.LONG_TYPE; break;
      case F32_LOAD: load = "loadInt"; result = Type.FLOAT_TYPE; break;
      case F64_LOAD: load = "loadLong"; result = Type.DOUBLE_TYPE; break;
      case I32_LOAD8_S: case I32_LOAD8_U: case I64_LOAD8_S: case I64_LOAD8_U:
        load = "loadByte";
        result = op.name().startsWith("I32") ? Type.INT_TYPE : Type.LONG_TYPE;
        break;
      case I32_LOAD16_S: case I32_LOAD16_U: case I64_LOAD16_S: case I64_LOAD16_U:
        load = "loadShort";
        result = op.name().startsWith("I32") ? Type.INT_TYPE : Type.LONG_TYPE;
        break;
      case I64_LOAD32_S: case I64_LOAD32_U: load = "loadInt"; result = Type.LONG_TYPE; break;
      case I32_STORE: load = null; store = "storeInt"; value = Type.INT_TYPE; break;
      case I64_STORE: load = null; store = "storeLong"; value = Type.LONG_TYPE; break;
      case F32_STORE: load = null; store = "storeInt"; value = Type.FLOAT_TYPE; break;
      case F64_STORE: load = null; store = "storeLong"; value = Type.DOUBLE_TYPE; break;
      case I32_STORE8: load = null; store = "storeByte"; value = Type.INT_TYPE; break;
      case I32_STORE16: load = null; store = "storeShort"; value = Type.INT_TYPE; break;
      case I64_STORE8: load = null; store = "storeByte"; value = Type.LONG_TYPE; break;
      case I64_STORE16: load = null; store = "storeShort"; value = Type.LONG_TYPE; break;
      case I64_STORE32: load = null; store = "storeInt"; value = Type.LONG_TYPE; break;
      default:
        return false;
    }
    long offset = ins.operand(1);
    if (offset < 0 || offset > Integer.MAX_VALUE) {
      // the effective address is 2 GiB or more: out of bounds whatever the address
      if (value != null) JvmTypes.pop(mv, pop());
      JvmTypes.pop(mv, pop());
      invoke(SUPPORT, "outOfBounds", "()Ljava/lang/RuntimeException;");
      mv.visitInsn(ATHROW);
      unreachableFromHere();
      return true;
    }
    if (load != null) {
      pop();
      JvmTypes.pushInt(mv, (int) offset);
      pushMemory();
      boolean wide = load.equals("loadLong");
      invoke(MEMORIES, load, "(II" + MEM + ")" + (wide ? "J" : "I"));
      switch (op) {
        case F32_LOAD: invoke("java/lang/Float", "intBitsToFloat", "(I)F"); break;
        case F64_LOAD: invoke("java/lang/Double", "longBitsToDouble", "(J)D"); break;
        case I32_LOAD8_U: JvmTypes.pushInt(mv, 0xFF); mv.visitInsn(IAND); break;
        case I32_LOAD16_U: mv.visitLdcInsn(0xFFFF); mv.visitInsn(IAND); break;
        case I64_LOAD8_S: case I64_LOAD16_S: case I64_LOAD32_S: mv.visitInsn(I2L); break;
        case I64_LOAD8_U:
          JvmTypes.pushInt(mv, 0xFF);
          mv.visitInsn(IAND);
          mv.visitInsn(I2L);
          break;
        case I64_LOAD16_U:
          mv.visitLdcInsn(0xFFFF);
          mv.visitInsn(IAND);
          mv.visitInsn(I2L);
          break;
        case I64_LOAD32_U:
          mv.visitInsn(I2L);
          mv.visitLdcInsn(0xFFFFFFFFL);
          mv.visitInsn(LAND);
          break;
        default:
          break;
      }
      push(result);
    } else {
      pop();
      pop();
      boolean wide = store.equals("storeLong");
      switch (op) {
        case F32_STORE: invoke("java/lang/Float", "floatToRawIntBits", "(F)I"); break;
        case F64_STORE: invoke("java/lang/Double", "doubleToRawLongBits", "(D)J"); break;
        case I64_STORE8: case I64_STORE16: case I64_STORE32: mv.visitInsn(L2I); break;
        default:
          break;
      }
      JvmTypes.pushInt(mv, (int) offset);
      pushMemory();
      invoke(MEMORIES, store, "(I" + (wide ? "J" : "I") + "I" + MEM + ")V");
    }
    return true;
  }

  private boolean bulk(OpCode op, AnnotatedInstruction ins) {
    switch (op) {
      case MEMORY_SIZE:
        ctx();
        invoke(SUPPORT, "memorySize", "(" + CTX + ")I");
        push(Type.INT_TYPE);
        return true;
      case MEMORY_GROW:
        ctx();
        invoke(SUPPORT, "memoryGrow", "(I" + CTX + ")I");
        return true;
      case MEMORY_INIT:
        pop(); pop(); pop();
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "memoryInit", "(IIII" + CTX + ")V");
        return true;
      case MEMORY_COPY:
        pop(); pop(); pop();
        ctx();
        invoke(SUPPORT, "memoryCopy", "(III" + CTX + ")V");
        return true;
      case MEMORY_FILL:
        pop(); pop(); pop();
        ctx();
        invoke(SUPPORT, "memoryFill", "(III" + CTX + ")V");
        return true;
      case DATA_DROP:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "dataDrop", "(I" + CTX + ")V");
        return true;
      case TABLE_GET:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableGet", "(II" + CTX + ")I");
        return true;
      case TABLE_SET:
        pop(); pop();
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableSet", "(III" + CTX + ")V");
        return true;
      case TABLE_SIZE:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableSize", "(I" + CTX + ")I");
        push(Type.INT_TYPE);
        return true;
      case TABLE_GROW:
        pop();
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableGrow", "(III" + CTX + ")I");
        return true; // [ref n] -> [i32]: one popped, the ref's slot is the result's
      case TABLE_FILL:
        pop(); pop(); pop();
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableFill", "(IIII" + CTX + ")V");
        return true;
      case TABLE_COPY:
        pop(); pop(); pop();
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        JvmTypes.pushInt(mv, (int) ins.operand(1));
        ctx();
        invoke(SUPPORT, "tableCopy", "(IIIII" + CTX + ")V");
        return true;
      case TABLE_INIT:
        pop(); pop(); pop();
        JvmTypes.pushInt(mv, (int) ins.operand(1));
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "tableInit", "(IIIII" + CTX + ")V");
        return true;
      case ELEM_DROP:
        JvmTypes.pushInt(mv, (int) ins.operand(0));
        ctx();
        invoke(SUPPORT, "elemDrop", "(I" + CTX + ")V");
        return true;
      default:
        return false;
    }
  }

  // ---- atomics ------------------------------------------------------------------------------

  /**
   * The atomic instructions, through the memory's own atomic methods ({@link Support}):
   * decoded from the opcode's name (I32/I64, the access width, the operation).
   */
  private boolean atomic(OpCode op, AnnotatedInstruction ins) throws Unsupported {
    String n = op.name();
    if (op == OpCode.ATOMIC_FENCE) return true; // the helpers' accesses are ordered already
    if (!n.contains("ATOMIC")) return false;
    long offset = ins.operand(1);
    if (offset < 0 || offset > Integer.MAX_VALUE) throw new Unsupported("atomic offset " + offset);
    int off = (int) offset;
    switch (op) {
      case MEM_ATOMIC_NOTIFY:
        pop();
        pop();
        atomicCall("atomicNotify", "(III" + CTX + ")I", off, -1, -1, Type.INT_TYPE);
        return true;
      case MEM_ATOMIC_WAIT32:
        pop(); pop(); pop();
        atomicCall("atomicWait32", "(IIJI" + CTX + ")I", off, -1, -1, Type.INT_TYPE);
        return true;
      case MEM_ATOMIC_WAIT64:
        pop(); pop(); pop();
        atomicCall("atomicWait64", "(IJJI" + CTX + ")I", off, -1, -1, Type.INT_TYPE);
        return true;
      default:
        break;
    }
    boolean wide = n.startsWith("I64");
    Type t = wide ? Type.LONG_TYPE : Type.INT_TYPE;
    String v = wide ? "J" : "I";
    String bits = wide ? "64" : "32";
    int size = accessSize(n, wide ? 8 : 4);
    if (n.contains("_LOAD")) {
      pop();
      atomicCall("atomicLoad" + bits, "(III" + CTX + ")" + v, off, size, -1, t);
    } else if (n.contains("_STORE")) {
      pop();
      pop();
      atomicCall("atomicStore" + bits, "(I" + v + "II" + CTX + ")V", off, size, -1, null);
    } else if (n.contains("CMPXCHG")) {
      pop(); pop(); pop();
      atomicCall("atomicCmpxchg" + bits, "(I" + v + v + "II" + CTX + ")" + v, off, size, -1, t);
    } else {
      int rmw = n.contains("_ADD") ? Support.ADD : n.contains("_SUB") ? Support.SUB
          : n.contains("_AND") ? Support.AND : n.contains("_OR") ? Support.OR
          : n.contains("_XOR") ? Support.XOR : n.contains("_XCHG") ? Support.XCHG : -1;
      if (rmw < 0) throw new Unsupported("instruction " + op);
      pop();
      pop();
      atomicCall("atomicRmw" + bits, "(I" + v + "III" + CTX + ")" + v, off, size, rmw, t);
    }
    return true;
  }

  /** The access width of an atomic opcode: 8, 16, 32 in its name, else the value's. */
  private static int accessSize(String name, int dflt) {
    String rest = name.substring(name.indexOf("ATOMIC") + 6);
    if (rest.contains("8")) return 1;
    if (rest.contains("16")) return 2;
    if (rest.contains("32")) return 4;
    return dflt;
  }

  /** Pushes the immediates (offset, then size and op when not -1), the Context; calls. */
  private void atomicCall(String helper, String desc, int offset, int size, int op, Type result) {
    JvmTypes.pushInt(mv, offset);
    if (size >= 0) JvmTypes.pushInt(mv, size);
    if (op >= 0) JvmTypes.pushInt(mv, op);
    ctx();
    invoke(SUPPORT, helper, desc);
    if (result != null) push(result);
  }

  // ---- split functions ----------------------------------------------------------------------
  //
  // A function whose method would be over the split limit is written as a main method
  // f<N> (or t<N>) and helpers f<N>$<k>(long[] frame, [TailFrame,] Context) -> int, one per
  // region of its SplitPlan. Every method of it keeps the Wasm locals in the frame array
  // (boxed long[] encoding), allocated by the main method, so that a helper sees and changes
  // them, and an exception out of a helper leaves them as a try_table's handler in the
  // caller expects. After the locals the frame has a transfer area: the operand-stack values
  // above the enclosing label's that a region starts with, the values it falls through
  // with, the values a branch out of it carries, the function's results. A helper returns
  // how control left it: FELL (through its end), RETURNED (results in the transfer area),
  // SELF_TAIL (a return_call of the function itself: arguments in the parameters' slots),
  // TAIL_PENDING (a tail call left for the trampoline), or k >= 1: a branch to the label
  // k - 1 levels out from the region's start, the caller then takes that branch itself.

  static final int FELL = 0;
  static final int RETURNED = -1;
  static final int SELF_TAIL = -2;
  static final int TAIL_PENDING = -3;

  /** What the methods of one split function share. */
  private static final class Split {
    final SplitPlan plan;
    final ClassVisitor cv;
    final boolean tails;
    /** The frame index of each local; the parameters' and all locals' widths. */
    final int[] localAt;
    final int paramLongs;
    final int localLongs;
    /** The transfer area's longs, grown as the methods need them. */
    int transferLongs;
    int helpers;
    int maxHelperSize;

    Split(SplitPlan plan, ClassVisitor cv, boolean tails, Type[] localType, int nParams) {
      this.plan = plan;
      this.cv = cv;
      this.tails = tails;
      localAt = new int[localType.length];
      int at = 0;
      int params = 0;
      for (int i = 0; i < localType.length; i++) {
        if (i == nParams) params = at;
        localAt[i] = at;
        at += JvmTypes.boxedWidth(localType[i]);
      }
      paramLongs = localType.length == nParams ? at : params;
      localLongs = at;
    }

    String helperDescriptor() {
      return "([J" + (tails ? Trampolines.FRAME_DESC : "") + CTX + ")I";
    }

    /** Writes the frame's factory, now that its size is known; the biggest helper's size. */
    int finish(String owner, int funcIdx) {
      MethodVisitor f = cv.visitMethod(ACC_PRIVATE | ACC_STATIC, frameFactoryName(funcIdx),
          "()[J", null, null);
      f.visitCode();
      JvmTypes.pushInt(f, localLongs + transferLongs);
      f.visitIntInsn(NEWARRAY, T_LONG);
      f.visitInsn(ARETURN);
      f.visitMaxs(0, 0);
      f.visitEnd();
      return maxHelperSize;
    }
  }

  private static String frameFactoryName(int funcIdx) {
    return methodName(funcIdx) + "$frame";
  }

  /**
   * The main method's start: the frame made, the parameters stored in it; a self tail call
   * comes back after that, to the reference locals' ref.null (the rest is zeroed by it).
   */
  private void enterSplitFrame() {
    int nParams = type.params().size();
    invoke(owner, frameFactoryName(funcIdx), "()[J");
    mv.visitVarInsn(ASTORE, frameSlot);
    for (int i = 0; i < nParams; i++) {
      mv.visitVarInsn(localType[i].getOpcode(ILOAD), paramSlot[i]);
      frameStore(localType[i], split.localAt[i]);
    }
    mv.visitLabel(tailEntry);
    for (int i = nParams; i < localType.length; i++) {
      if (!localIsRef[i]) continue;
      mv.visitVarInsn(ALOAD, frameSlot);
      JvmTypes.pushInt(mv, split.localAt[i]);
      mv.visitLdcInsn(-1L);
      mv.visitInsn(LASTORE);
    }
  }

  /** The main method's self tail call (arguments stored): locals zeroed, to the start. */
  private void restartSplit() {
    for (int i = stack.size() - 1; i >= 0; i--) JvmTypes.pop(mv, stack.get(i));
    if (split.paramLongs < split.localLongs) {
      mv.visitVarInsn(ALOAD, frameSlot);
      JvmTypes.pushInt(mv, split.paramLongs);
      JvmTypes.pushInt(mv, split.localLongs);
      mv.visitInsn(LCONST_0);
      invoke("java/util/Arrays", "fill", "([JIIJ)V");
    }
    countdownToStart();
  }

  /** Pushes the value of type {@code t} at frame index {@code at}. */
  private void frameLoad(Type t, int at) {
    mv.visitVarInsn(ALOAD, frameSlot);
    JvmTypes.pushInt(mv, at);
    JvmTypes.loadBoxed(mv, t);
  }

  /** Stores the value of type {@code t} on the stack at frame index {@code at}. */
  private void frameStore(Type t, int at) {
    int sort = t.getSort();
    if (sort == Type.INT || sort == Type.LONG || sort == Type.FLOAT || sort == Type.DOUBLE) {
      mv.visitVarInsn(ALOAD, frameSlot);
      JvmTypes.pushInt(mv, at);
      invoke(Type.getInternalName(SplitFrame.class), "put", "(" + t.getDescriptor() + "[JI)V");
      return;
    }
    int tmp = temp(t, -1); // its own slot: a spill's may be in use
    mv.visitVarInsn(t.getOpcode(ISTORE), tmp);
    mv.visitVarInsn(ALOAD, frameSlot);
    JvmTypes.pushInt(mv, at);
    mv.visitVarInsn(t.getOpcode(ILOAD), tmp);
    JvmTypes.storeBoxed(mv, t);
  }

  private int transferAt(List<Type> ts, int i) {
    return split.localLongs + JvmTypes.boxedLength(ts.subList(0, i));
  }

  /** Stores the top values, of types {@code ts} (the abstract stack is not changed). */
  private void storeTransfer(List<Type> ts) {
    split.transferLongs = Math.max(split.transferLongs, JvmTypes.boxedLength(ts));
    for (int i = ts.size() - 1; i >= 0; i--) frameStore(ts.get(i), transferAt(ts, i));
  }

  /** Pushes the values of types {@code ts} from the transfer area. */
  private void loadTransfer(List<Type> ts) {
    split.transferLongs = Math.max(split.transferLongs, JvmTypes.boxedLength(ts));
    for (int i = 0; i < ts.size(); i++) {
      frameLoad(ts.get(i), transferAt(ts, i));
      push(ts.get(i));
    }
  }

  /** A helper's exit with the top values {@code carried} (abstract stack unchanged). */
  private void leaveRegion(List<Type> carried, int code) {
    storeTransfer(carried);
    leaveWith(code);
  }

  private void leaveWith(int code) {
    JvmTypes.pushInt(mv, code);
    mv.visitInsn(IRETURN);
    exits.add(code);
  }

  /**
   * A helper's {@code return_call_indirect}: the dispatcher's value, the function's result
   * or the placeholder of a pending call, goes to the transfer area as a return's would.
   */
  private void tailResultToFrame(Type ret) {
    if (ret.getSort() == Type.VOID) {
      leaveWith(RETURNED);
    } else if (ret.getSort() == Type.ARRAY) {
      Label pending = new Label();
      int n = JvmTypes.boxedLength(results);
      split.transferLongs = Math.max(split.transferLongs, n);
      mv.visitInsn(DUP);
      mv.visitJumpInsn(IFNULL, pending);
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ALOAD, frameSlot);
      JvmTypes.pushInt(mv, split.localLongs);
      JvmTypes.pushInt(mv, n);
      invoke("java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V");
      leaveWith(RETURNED);
      mv.visitLabel(pending);
      mv.visitInsn(POP);
      leaveWith(TAIL_PENDING);
    } else {
      storeTransfer(List.of(ret));
      leaveWith(RETURNED);
    }
  }

  /**
   * Region {@code from..to} as a call of its helper (written first): the values above the
   * enclosing label's go in, then each way out of the helper is taken here.
   */
  private void callRegion(int from, int to) throws Unsupported {
    List<Type> in = new ArrayList<>(stack.subList(frames.peek().height, stack.size()));
    storeTransfer(in);
    for (int i = 0; i < in.size(); i++) pop();
    FunctionCompiler h = new FunctionCompiler(this, from, to, in, new ArrayList<>(frames));
    String name = h.writeHelper();
    mv.visitVarInsn(ALOAD, frameSlot);
    if (split.tails) mv.visitVarInsn(ALOAD, tailFrameSlot);
    ctx();
    invoke(owner, name, split.helperDescriptor());
    Label fell = new Label();
    TreeSet<Integer> others = new TreeSet<>(h.exits);
    others.remove(FELL);
    if (helper) passOn(others);
    if (others.isEmpty()) {
      mv.visitInsn(POP);
    } else {
      int[] keys = new int[others.size()];
      Label[] labels = new Label[keys.length];
      int k = 0;
      for (int code : others) {
        keys[k] = code;
        labels[k++] = new Label();
      }
      mv.visitLookupSwitchInsn(fell, keys, labels);
      for (int i = 0; i < keys.length; i++) {
        mv.visitLabel(labels[i]);
        takeExit(keys[i]);
      }
    }
    mv.visitLabel(fell);
    if (h.exits.contains(FELL)) {
      loadTransfer(h.outputs);
    } else {
      mv.visitInsn(ACONST_NULL); // the helper never falls through: not reached
      mv.visitInsn(ATHROW);
      unreachableFromHere();
    }
  }

  /**
   * In a helper, after its own helper's call (the status on the stack): the ways out of
   * this region too are passed on by arithmetic, not one case each (a br_table of a
   * thousand targets would otherwise cost a case in every level): the negative ones as
   * they are, a branch past this helper's own labels as the same branch from its start.
   * Removes them from {@code codes}, leaving the ones taken here.
   */
  private void passOn(TreeSet<Integer> codes) {
    int own = 0;
    for (Frame f : frames) {
      if (f.kind != Kind.OUTER) own++;
    }
    boolean any = false;
    for (java.util.Iterator<Integer> it = codes.iterator(); it.hasNext(); ) {
      int c = it.next();
      if (c < 0 || c > own) {
        exits.add(c < 0 ? c : c - own);
        it.remove();
        any = true;
      }
    }
    if (!any) return;
    Label out = new Label();
    Label stay = new Label();
    mv.visitInsn(DUP);
    mv.visitJumpInsn(IFLT, out);
    mv.visitInsn(DUP);
    JvmTypes.pushInt(mv, own);
    mv.visitJumpInsn(IF_ICMPLE, stay);
    JvmTypes.pushInt(mv, own);
    mv.visitInsn(ISUB);
    mv.visitLabel(out);
    mv.visitInsn(IRETURN);
    mv.visitLabel(stay);
  }

  /**
   * After a helper's call: where its exit {@code code} goes from here (a label of this
   * method, or, in the main method, the function's return and tail calls).
   */
  private void takeExit(int code) {
    if (code >= 1) {
      Frame target = frameAt(code - 1);
      if (target.kind == Kind.FUNCTION) {
        takeExit(RETURNED);
      } else {
        int height = stack.size();
        loadTransfer(target.carried());
        branch(target);
        truncate(height);
      }
    } else if (code == RETURNED) {
      loadTransfer(results);
      emitReturn();
      truncate(stack.size() - results.size());
    } else if (code == SELF_TAIL) {
      restartSplit();
    } else {
      Trampolines.returnPlaceholder(mv, returnTypeOfFunction());
    }
  }

  private Type returnTypeOfFunction() {
    try {
      return JvmTypes.returnType(type.returns());
    } catch (Unsupported e) {
      throw new IllegalStateException(e); // its descriptor was written already
    }
  }

  /** Writes this helper's method; returns its name. */
  private String writeHelper() throws Unsupported {
    String name = methodName(funcIdx) + "$" + split.helpers++;
    mv = split.cv.visitMethod(ACC_PRIVATE | ACC_STATIC, name, split.helperDescriptor(), null,
        null);
    mv.visitCode();
    frameSlot = 0;
    int slot = 1;
    if (split.tails) tailFrameSlot = slot++;
    ctxSlot = slot++;
    startCode(slot);
    loadTransfer(inputs);
    translateRange(regionFrom, regionTo);
    if (reachable) {
      outputs = new ArrayList<>(stack);
      leaveRegion(outputs, FELL);
    }
    Label codeEnd = new Label();
    mv.visitLabel(codeEnd);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    split.maxHelperSize = Math.max(split.maxHelperSize, codeEnd.getOffset());
    return name;
  }

  // ---- numbers ------------------------------------------------------------------------------

  private static final Type I = Type.INT_TYPE;
  private static final Type J = Type.LONG_TYPE;
  private static final Type F = Type.FLOAT_TYPE;
  private static final Type D = Type.DOUBLE_TYPE;

  /** An instruction that is one JVM opcode: pops {@code in} values, pushes {@code out}. */
  private void insn(int opcode, int in, Type out) {
    mv.visitInsn(opcode);
    for (int i = 0; i < in; i++) pop();
    if (out != null) push(out);
  }

  /** An instruction that is a static call of {@code owner.name(desc)}. */
  private void call(String owner, String name, String desc) {
    invoke(owner, name, desc);
    Type[] args = Type.getArgumentTypes(desc);
    for (int i = 0; i < args.length; i++) pop();
    Type r = Type.getReturnType(desc);
    if (r.getSort() != Type.VOID) push(r);
  }

  /** Chicory's own implementation of {@code op} (OpcodeImpl), same name. */
  private void ops(OpCode op, String desc) {
    call(OPS, op.name(), desc);
  }

  private void icompare(int jump) {
    pop();
    pop();
    compare(jump);
  }

  private void lcompare(int jump) {
    pop();
    pop();
    mv.visitInsn(LCMP);
    compare(jump);
  }

  private void unsignedCompare(String box, String desc, int jump) {
    pop();
    pop();
    invoke(box, "compareUnsigned", desc);
    compare(jump);
  }

  private void fcompare(int cmp, int jump) {
    pop();
    pop();
    mv.visitInsn(cmp);
    compare(jump);
  }

  private boolean numeric(OpCode op) {
    switch (op) {
      // i32
      case I32_EQZ: pop(); compare(IFEQ); return true;
      case I32_EQ: icompare(IF_ICMPEQ); return true;
      case I32_NE: icompare(IF_ICMPNE); return true;
      case I32_LT_S: icompare(IF_ICMPLT); return true;
      case I32_GT_S: icompare(IF_ICMPGT); return true;
      case I32_LE_S: icompare(IF_ICMPLE); return true;
      case I32_GE_S: icompare(IF_ICMPGE); return true;
      case I32_LT_U: unsignedCompare("java/lang/Integer", "(II)I", IFLT); return true;
      case I32_GT_U: unsignedCompare("java/lang/Integer", "(II)I", IFGT); return true;
      case I32_LE_U: unsignedCompare("java/lang/Integer", "(II)I", IFLE); return true;
      case I32_GE_U: unsignedCompare("java/lang/Integer", "(II)I", IFGE); return true;
      case I32_CLZ: call("java/lang/Integer", "numberOfLeadingZeros", "(I)I"); return true;
      case I32_CTZ: call("java/lang/Integer", "numberOfTrailingZeros", "(I)I"); return true;
      case I32_POPCNT: call("java/lang/Integer", "bitCount", "(I)I"); return true;
      case I32_ADD: insn(IADD, 2, I); return true;
      case I32_SUB: insn(ISUB, 2, I); return true;
      case I32_MUL: insn(IMUL, 2, I); return true;
      case I32_AND: insn(IAND, 2, I); return true;
      case I32_OR: insn(IOR, 2, I); return true;
      case I32_XOR: insn(IXOR, 2, I); return true;
      case I32_SHL: insn(ISHL, 2, I); return true;
      case I32_SHR_S: insn(ISHR, 2, I); return true;
      case I32_SHR_U: insn(IUSHR, 2, I); return true;
      case I32_ROTL: call("java/lang/Integer", "rotateLeft", "(II)I"); return true;
      case I32_ROTR: call("java/lang/Integer", "rotateRight", "(II)I"); return true;
      case I32_DIV_S: case I32_DIV_U: case I32_REM_S: case I32_REM_U:
        ops(op, "(II)I");
        return true;
      // i64
      case I64_EQZ: pop(); mv.visitInsn(LCONST_0); mv.visitInsn(LCMP); compare(IFEQ); return true;
      case I64_EQ: lcompare(IFEQ); return true;
      case I64_NE: lcompare(IFNE); return true;
      case I64_LT_S: lcompare(IFLT); return true;
      case I64_GT_S: lcompare(IFGT); return true;
      case I64_LE_S: lcompare(IFLE); return true;
      case I64_GE_S: lcompare(IFGE); return true;
      case I64_LT_U: unsignedCompare("java/lang/Long", "(JJ)I", IFLT); return true;
      case I64_GT_U: unsignedCompare("java/lang/Long", "(JJ)I", IFGT); return true;
      case I64_LE_U: unsignedCompare("java/lang/Long", "(JJ)I", IFLE); return true;
      case I64_GE_U: unsignedCompare("java/lang/Long", "(JJ)I", IFGE); return true;
      case I64_CLZ: call("java/lang/Long", "numberOfLeadingZeros", "(J)I"); insn(I2L, 1, J); return true;
      case I64_CTZ: call("java/lang/Long", "numberOfTrailingZeros", "(J)I"); insn(I2L, 1, J); return true;
      case I64_POPCNT: call("java/lang/Long", "bitCount", "(J)I"); insn(I2L, 1, J); return true;
      case I64_ADD: insn(LADD, 2, J); return true;
      case I64_SUB: insn(LSUB, 2, J); return true;
      case I64_MUL: insn(LMUL, 2, J); return true;
      case I64_AND: insn(LAND, 2, J); return true;
      case I64_OR: insn(LOR, 2, J); return true;
      case I64_XOR: insn(LXOR, 2, J); return true;
      case I64_SHL: mv.visitInsn(L2I); insn(LSHL, 2, J); return true;
      case I64_SHR_S: mv.visitInsn(L2I); insn(LSHR, 2, J); return true;
      case I64_SHR_U: mv.visitInsn(L2I); insn(LUSHR, 2, J); return true;
      case I64_ROTL: mv.visitInsn(L2I); pop(); push(I); call("java/lang/Long", "rotateLeft", "(JI)J"); return true;
      case I64_ROTR: mv.visitInsn(L2I); pop(); push(I); call("java/lang/Long", "rotateRight", "(JI)J"); return true;
      case I64_DIV_S: case I64_DIV_U: case I64_REM_S: case I64_REM_U:
        ops(op, "(JJ)J");
        return true;
      // f32
      case F32_EQ: fcompare(FCMPL, IFEQ); return true;
      case F32_NE: fcompare(FCMPL, IFNE); return true;
      case F32_LT: fcompare(FCMPG, IFLT); return true;
      case F32_GT: fcompare(FCMPL, IFGT); return true;
      case F32_LE: fcompare(FCMPG, IFLE); return true;
      case F32_GE: fcompare(FCMPL, IFGE); return true;
      case F32_ADD: insn(FADD, 2, F); return true;
      case F32_SUB: insn(FSUB, 2, F); return true;
      case F32_MUL: insn(FMUL, 2, F); return true;
      case F32_DIV: insn(FDIV, 2, F); return true;
      case F32_NEG: insn(FNEG, 1, F); return true;
      case F32_ABS: call(FLOAT_OPS, "f32Abs", "(F)F"); return true;
      case F64_ABS: call(FLOAT_OPS, "f64Abs", "(D)D"); return true;
      case F32_CEIL: case F32_FLOOR: case F32_TRUNC: case F32_NEAREST: // quiet via double
      case F32_SQRT:
        ops(op, "(F)F");
        return true;
      // min, max and f64 rounding: the spec's NaN results, in one place for every engine
      case F32_MIN: call(FLOAT_OPS, "f32Min", "(FF)F"); return true;
      case F32_MAX: call(FLOAT_OPS, "f32Max", "(FF)F"); return true;
      case F32_COPYSIGN:
        ops(op, "(FF)F");
        return true;
      // f64
      case F64_EQ: fcompare(DCMPL, IFEQ); return true;
      case F64_NE: fcompare(DCMPL, IFNE); return true;
      case F64_LT: fcompare(DCMPG, IFLT); return true;
      case F64_GT: fcompare(DCMPL, IFGT); return true;
      case F64_LE: fcompare(DCMPG, IFLE); return true;
      case F64_GE: fcompare(DCMPL, IFGE); return true;
      case F64_ADD: insn(DADD, 2, D); return true;
      case F64_SUB: insn(DSUB, 2, D); return true;
      case F64_MUL: insn(DMUL, 2, D); return true;
      case F64_DIV: insn(DDIV, 2, D); return true;
      case F64_NEG: insn(DNEG, 1, D); return true;
      case F64_CEIL: call(FLOAT_OPS, "f64Ceil", "(D)D"); return true;
      case F64_FLOOR: call(FLOAT_OPS, "f64Floor", "(D)D"); return true;
      case F64_TRUNC: call(FLOAT_OPS, "f64Trunc", "(D)D"); return true;
      case F64_NEAREST: call(FLOAT_OPS, "f64Nearest", "(D)D"); return true;
      case F64_SQRT:
        ops(op, "(D)D");
        return true;
      case F64_MIN: call(FLOAT_OPS, "f64Min", "(DD)D"); return true;
      case F64_MAX: call(FLOAT_OPS, "f64Max", "(DD)D"); return true;
      case F64_COPYSIGN:
        ops(op, "(DD)D");
        return true;
      // conversions
      case I32_WRAP_I64: insn(L2I, 1, I); return true;
      case I64_EXTEND_I32_S: insn(I2L, 1, J); return true;
      case I64_EXTEND_I32_U: ops(op, "(I)J"); return true;
      case I32_TRUNC_F32_S: case I32_TRUNC_F32_U: case I32_TRUNC_SAT_F32_S: case I32_TRUNC_SAT_F32_U:
        ops(op, "(F)I");
        return true;
      case I32_TRUNC_F64_S: case I32_TRUNC_F64_U: case I32_TRUNC_SAT_F64_S: case I32_TRUNC_SAT_F64_U:
        ops(op, "(D)I");
        return true;
      case I64_TRUNC_F32_S: case I64_TRUNC_F32_U: case I64_TRUNC_SAT_F32_S: case I64_TRUNC_SAT_F32_U:
        ops(op, "(F)J");
        return true;
      case I64_TRUNC_F64_S: case I64_TRUNC_F64_U: case I64_TRUNC_SAT_F64_S: case I64_TRUNC_SAT_F64_U:
        ops(op, "(D)J");
        return true;
      case F32_CONVERT_I32_S: insn(I2F, 1, F); return true;
      case F32_CONVERT_I64_S: insn(L2F, 1, F); return true;
      case F64_CONVERT_I32_S: insn(I2D, 1, D); return true;
      case F64_CONVERT_I64_S: insn(L2D, 1, D); return true;
      case F32_CONVERT_I32_U: ops(op, "(I)F"); return true;
      case F32_CONVERT_I64_U: ops(op, "(J)F"); return true;
      case F64_CONVERT_I32_U: ops(op, "(I)D"); return true;
      case F64_CONVERT_I64_U: ops(op, "(J)D"); return true;
      case F32_DEMOTE_F64: insn(D2F, 1, F); return true;
      case F64_PROMOTE_F32: insn(F2D, 1, D); return true;
      case I32_REINTERPRET_F32: call("java/lang/Float", "floatToRawIntBits", "(F)I"); return true;
      case I64_REINTERPRET_F64: call("java/lang/Double", "doubleToRawLongBits", "(D)J"); return true;
      case F32_REINTERPRET_I32: call("java/lang/Float", "intBitsToFloat", "(I)F"); return true;
      case F64_REINTERPRET_I64: call("java/lang/Double", "longBitsToDouble", "(J)D"); return true;
      // sign extension
      case I32_EXTEND_8_S: insn(I2B, 1, I); return true;
      case I32_EXTEND_16_S: insn(I2S, 1, I); return true;
      case I64_EXTEND_8_S: mv.visitInsn(L2I); mv.visitInsn(I2B); insn(I2L, 1, J); return true;
      case I64_EXTEND_16_S: mv.visitInsn(L2I); mv.visitInsn(I2S); insn(I2L, 1, J); return true;
      case I64_EXTEND_32_S: mv.visitInsn(L2I); insn(I2L, 1, J); return true;
      default:
        return false;
    }
  }
}
