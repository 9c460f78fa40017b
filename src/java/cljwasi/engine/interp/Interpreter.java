package cljwasi.engine.interp;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.FloatOps;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.OpcodeImpl;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.Value;
import java.util.Arrays;
import java.util.Deque;

/**
 * The project's interpreter: Chicory's interpreter plus every fixed-width SIMD instruction of
 * Wasm 2.0, in plain Java (no Vector API, so it runs on JDK 17), the fix for v128 locals
 * ({@link V128Locals}), its own versions of the instructions Chicory's interpreter gets wrong
 * ({@link ReplacedInstructions}), and calls out to compiled code for the functions it does not
 * interpret. Engine {@code :interpreter} runs SIMD and lazily parsed modules in it, compiled
 * code the functions the compiler refused, and background compilation every function until
 * it is compiled.
 *
 * <p>Representation, as Chicory's interpreter has it: a v128 takes two slots of the
 * operand stack (and two local slots); the lower slot holds bytes 0..7 (little-endian,
 * lane 0 in the least significant bits), the upper slot (nearer the top) bytes 8..15.
 * {@code v128.const} operands, memory, globals, parameters and results all use this order.
 *
 * <p>Given no mask it interprets every function. Given one it interprets only the functions
 * marked; calls to other functions go to {@code instance.getMachine()}, the dispatching
 * machine, and so to compiled code.
 */
public class Interpreter extends InterpreterMachine {
  private final Instance instance;
  /** Functions this machine interprets itself (by index); null: all of them. */
  private final boolean[] interpreted;

  /**
   * A machine interpreting the functions marked in {@code interpreted} (by function index)
   * and sending calls to any other function to {@code instance.getMachine()}; null
   * interprets every function. {@code patched}: the module plan's replacement bodies by
   * code-section index (see {@link V128Locals}), installed into this instance.
   */
  public Interpreter(Instance instance, boolean[] interpreted, FunctionBody[] patched) {
    super(instance);
    this.instance = instance;
    this.interpreted = interpreted;
    install(instance, patched);
    StackFloor.lay(stack(), instance);
  }

  /** Installs the rewritten bodies into {@code instance}'s own array of function bodies. */
  private static void install(Instance instance, FunctionBody[] patched) {
    if (patched.length == 0) return; // the plan's array is empty when nothing is patched
    FunctionBody[] fs = ChicoryInternals.instanceFunctions(instance);
    var code = instance.module().codeSection();
    for (int i = 0; i < patched.length && i < fs.length; i++) {
      if (patched[i] != null && fs[i] == code.getFunctionBody(i)) fs[i] = patched[i];
    }
  }

  private boolean interpretsHere(int funcId) {
    return interpreted == null
        || (funcId >= 0 && funcId < interpreted.length && interpreted[funcId]);
  }

  @Override
  protected void CALL(Operands operands) {
    int funcId = (int) operands.get(0);
    if (interpretsHere(funcId) || instance.function(funcId) == null) {
      super.CALL(operands);
      return;
    }
    // a compiled function: call through the instance's (dispatching) machine
    MStack stack = stack();
    FunctionType type = instance.type(instance.functionType(funcId));
    long[] args = extractArgsForParams(stack, type.params());
    try {
      long[] results = instance.getMachine().call(funcId, args);
      if (results != null) {
        for (long r : results) stack.push(r);
      }
    } catch (WasmException e) {
      StackFrame frame = new StackFrame(instance, funcId, args);
      THROW_REF(instance, instance.registerException(e), stack, frame, callStack);
    }
  }

  /**
   * Chicory 1.7.5's call leaves a frame behind when the callee made a tail call: it pops one
   * frame when the callee returns, but a {@code return_call} in the callee had replaced the
   * callee's frame with a new one pushed above it, so the caller's next {@code return_call}
   * popped that stale frame instead of its own (an IndexOutOfBoundsException in
   * StackFrame.popCtrl, reported as a host error). A call that returns normally leaves the
   * call stack as it found it; what it left above is dropped. (A trap unwinds on its own.)
   */
  @Override
  protected long[] call(MStack stack, Instance instance, Deque<StackFrame> callStack, int funcId,
      long[] args, FunctionType callType, boolean popResults) throws ChicoryException {
    int depth = callStack.size();
    long[] results = super.call(stack, instance, callStack, funcId, args, callType, popResults);
    while (callStack.size() > depth) callStack.pop();
    return results;
  }

  @Override
  protected boolean useCurrentInstanceInterpreter(Instance current, Instance target, int funcId) {
    return super.useCurrentInstanceInterpreter(current, target, funcId) && interpretsHere(funcId);
  }

  // ---- evaluation -------------------------------------------------------------------

  @Override
  protected void evalDefault(MStack stack, Instance instance, Deque<StackFrame> callStack,
      Instruction ins, Operands operands) throws ChicoryException {
    OpCode op = ins.opcode();
    Lanes.Decoded lanewise = Lanes.decode(op); // (operation, lane shape), decoded once
    if (lanewise != null) {
      lanewise(stack, lanewise);
      return;
    }
    switch (op) {
      // ---- memory ----
      case V128_LOAD: {
        int p = readMemPtr(stack, operands);
        Memory m = instance.memory();
        long lo = m.readLong(p);
        long hi = m.readLong(checkedPlus(p, 8));
        stack.push(lo);
        stack.push(hi);
        return;
      }
      case V128_LOAD8x8_S:
      case V128_LOAD8x8_U:
      case V128_LOAD16x4_S:
      case V128_LOAD16x4_U:
      case V128_LOAD32x2_S:
      case V128_LOAD32x2_U: {
        long v = instance.memory().readLong(readMemPtr(stack, operands));
        pushExtend(stack, op, v);
        return;
      }
      case V128_LOAD8_SPLAT:
      case V128_LOAD16_SPLAT:
      case V128_LOAD32_SPLAT:
      case V128_LOAD64_SPLAT: {
        int bits = Lanes.width(op);
        long v = Lanes.splat(read(instance.memory(), readMemPtr(stack, operands), bits), bits);
        stack.push(v);
        stack.push(v);
        return;
      }
      case V128_LOAD32_ZERO:
      case V128_LOAD64_ZERO:
        stack.push(read(instance.memory(), readMemPtr(stack, operands), Lanes.width(op)));
        stack.push(0L);
        return;
      case V128_STORE: {
        long hi = stack.pop();
        long lo = stack.pop();
        int p = readMemPtr(stack, operands);
        Memory m = instance.memory();
        checkRange(m, p, 16);
        m.writeLong(p, lo);
        m.writeLong(p + 8, hi);
        return;
      }
      case V128_LOAD8_LANE:
      case V128_LOAD16_LANE:
      case V128_LOAD32_LANE:
      case V128_LOAD64_LANE:
      case V128_STORE8_LANE:
      case V128_STORE16_LANE:
      case V128_STORE32_LANE:
      case V128_STORE64_LANE:
        memoryLane(stack, instance.memory(), op, operands);
        return;

      // ---- constants, shuffles, lanes ----
      case V128_CONST:
        stack.push(ins.operand(0));
        stack.push(ins.operand(1));
        return;
      case I8x16_SHUFFLE:
        shuffle(stack, ins.operand(0), ins.operand(1));
        return;
      case I8x16_SWIZZLE:
        swizzle(stack);
        return;
      case I8x16_SPLAT:
      case I16x8_SPLAT:
      case I32x4_SPLAT:
      case F32x4_SPLAT:
      case I64x2_SPLAT:
      case F64x2_SPLAT: {
        long v = Lanes.splat(stack.pop(), Lanes.width(op));
        stack.push(v);
        stack.push(v);
        return;
      }
      case I8x16_EXTRACT_LANE_S:
      case I8x16_EXTRACT_LANE_U:
      case I16x8_EXTRACT_LANE_S:
      case I16x8_EXTRACT_LANE_U:
      case I32x4_EXTRACT_LANE:
      case F32x4_EXTRACT_LANE:
      case I64x2_EXTRACT_LANE:
      case F64x2_EXTRACT_LANE:
      case I8x16_REPLACE_LANE:
      case I16x8_REPLACE_LANE:
      case I32x4_REPLACE_LANE:
      case F32x4_REPLACE_LANE:
      case I64x2_REPLACE_LANE:
      case F64x2_REPLACE_LANE:
        extractOrReplaceLane(stack, op, (int) ins.operand(0));
        return;

      // ---- bitwise ----
      case V128_NOT: {
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = ~s[t - 2];
        s[t - 1] = ~s[t - 1];
        return;
      }
      case V128_BITSELECT: {
        long ch = stack.pop();
        long cl = stack.pop();
        long bh = stack.pop();
        long bl = stack.pop();
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = (s[t - 2] & cl) | (bl & ~cl);
        s[t - 1] = (s[t - 1] & ch) | (bh & ~ch);
        return;
      }
      case V128_ANY_TRUE:
        if (BackEdges.isCarrier(ins)) {
          carriedBranch(stack, instance, callStack, ins);
          return;
        }
        if (ReplacedInstructions.isCarrier(ins)) {
          replaced(stack, instance, callStack, ins);
          return;
        }
        if (V128Locals.isCarrier(ins)) {
          setLocal(stack, callStack.peek(), (int) ins.operand(1), ins.operand(2) != 0);
          return;
        }
        {
          long hi = stack.pop();
          long lo = stack.pop();
          stack.push((lo | hi) != 0 ? 1L : 0L);
        }
        return;
      // ---- operations that move lanes between the halves ----
      case I8x16_NARROW_I16x8_S:
      case I8x16_NARROW_I16x8_U:
      case I16x8_NARROW_I32x4_S:
      case I16x8_NARROW_I32x4_U:
        narrow(stack, op);
        return;
      case I16x8_EXTEND_LOW_I8x16_S:
      case I16x8_EXTEND_LOW_I8x16_U:
      case I32x4_EXTEND_LOW_I16x8_S:
      case I32x4_EXTEND_LOW_I16x8_U:
      case I64x2_EXTEND_LOW_I32x4_S:
      case I64x2_EXTEND_LOW_I32x4_U: {
        stack.pop(); // high half
        pushExtend(stack, op, stack.pop());
        return;
      }
      case I16x8_EXTEND_HIGH_I8x16_S:
      case I16x8_EXTEND_HIGH_I8x16_U:
      case I32x4_EXTEND_HIGH_I16x8_S:
      case I32x4_EXTEND_HIGH_I16x8_U:
      case I64x2_EXTEND_HIGH_I32x4_S:
      case I64x2_EXTEND_HIGH_I32x4_U: {
        long hi = stack.pop();
        stack.pop();
        pushExtend(stack, op, hi);
        return;
      }
      case I16x8_EXTMUL_LOW_I8x16_S:
      case I16x8_EXTMUL_LOW_I8x16_U:
      case I32x4_EXTMUL_LOW_I16x8_S:
      case I32x4_EXTMUL_LOW_I16x8_U:
      case I64x2_EXTMUL_LOW_I32x4_S:
      case I64x2_EXTMUL_LOW_I32x4_U:
      case I16x8_EXTMUL_HIGH_I8x16_S:
      case I16x8_EXTMUL_HIGH_I8x16_U:
      case I32x4_EXTMUL_HIGH_I16x8_S:
      case I32x4_EXTMUL_HIGH_I16x8_U:
      case I64x2_EXTMUL_HIGH_I32x4_S:
      case I64x2_EXTMUL_HIGH_I32x4_U:
        extmul(stack, op);
        return;
      case F32x4_DEMOTE_LOW_F64x2_ZERO: {
        long hi = stack.pop();
        long lo = stack.pop();
        stack.push(Lanes.demote(lo, hi));
        stack.push(0L);
        return;
      }
      case F64x2_PROMOTE_LOW_F32x4: {
        stack.pop();
        long lo = stack.pop();
        stack.push(Lanes.promote(lo));
        stack.push(Lanes.promote(lo >>> 32));
        return;
      }
      case F64x2_CONVERT_LOW_I32x4_S:
      case F64x2_CONVERT_LOW_I32x4_U: {
        stack.pop();
        long lo = stack.pop();
        boolean u = op == OpCode.F64x2_CONVERT_LOW_I32x4_U;
        stack.push(Lanes.convertLow(lo, u));
        stack.push(Lanes.convertLow(lo >>> 32, u));
        return;
      }
      case I32x4_TRUNC_SAT_F64x2_S_ZERO:
      case I32x4_TRUNC_SAT_F64x2_U_ZERO: {
        long hi = stack.pop();
        long lo = stack.pop();
        stack.push(Lanes.truncSatZero(lo, hi, op == OpCode.I32x4_TRUNC_SAT_F64x2_U_ZERO));
        stack.push(0L);
        return;
      }
      default:
        super.evalDefault(stack, instance, callStack, ins, operands);
    }
  }

  // ---- carried branches: unwinding, back-edges and loop entry (BackEdges) ------------

  /**
   * Runs the branch or end a carrier stands for: an end, or a branch to a loop when the
   * carrier says so, first unwinds to the label's arity, then Chicory's instruction runs;
   * tells {@link #onBackEdge} when a back-edge was taken.
   */
  private void carriedBranch(MStack stack, Instance instance, Deque<StackFrame> callStack,
      Instruction carrier) {
    AnnotatedInstruction br = BackEdges.original(carrier);
    StackFrame frame = callStack.peek();
    if (br.opcode() == OpCode.END) {
      ChicoryInternals.endBlock(frame, stack);
      return;
    }
    boolean taken = br.opcode() != OpCode.BR_IF || (int) stack.peek() != 0;
    if (taken && BackEdges.unwinds(carrier)) {
      if (br.opcode() == OpCode.BR) {
        ChicoryInternals.keepLabelArity(frame, stack, (int) br.operand(0));
      } else { // the condition or index stays on top for Chicory's branch
        long top = stack.pop();
        int label = br.opcode() == OpCode.BR_IF
            ? (int) br.operand(0) : BackEdges.tableLabel(br, top);
        ChicoryInternals.keepLabelArity(frame, stack, label);
        stack.push(top);
      }
    }
    ChicoryInternals.branch(frame, stack, br);
    int loop = BackEdges.loop(carrier);
    if (taken && loop >= 0) {
      onBackEdge(stack, instance, callStack, frame, BackEdges.function(carrier), loop);
    }
  }

  /**
   * Called after a back-edge to loop {@code loop} (the index of its {@code loop} instruction)
   * of function {@code funcId}, running in {@code frame} (the stack holds the loop's
   * parameters on top): a subclass may continue the function in compiled code there
   * ({@link #enterLoop}). This one does nothing.
   */
  protected void onBackEdge(MStack stack, Instance instance, Deque<StackFrame> callStack,
      StackFrame frame, int funcId, int loop) {}

  /**
   * Continues {@code frame} (function {@code funcId}, just back at the header of {@code loop})
   * in {@code code} and ends the frame with its results, as if it had returned them; traps
   * propagate as from a call, a Wasm exception is thrown on from the frame as a
   * {@code throw} in it would be (the loops that can be entered are in no try_table). Only a
   * loop with nothing of the function's below its parameters on the operand stack can be
   * entered. Returns false (the frame untouched) when the loop cannot be entered.
   */
  protected final boolean enterLoop(MStack stack, Instance instance,
      Deque<StackFrame> callStack, StackFrame frame, int funcId, int loop, LoopEntry code) {
    int base = ChicoryInternals.emptyBelowInnermost(frame);
    int nParams = ChicoryInternals.innermostParams(frame);
    if (base < 0 || stack.size() - base < nParams) return false;
    // the frame's values: the loop's parameters on top (below them Chicory may have kept more)
    long[] above = new long[stack.size() - base];
    for (int i = above.length - 1; i >= 0; i--) above[i] = stack.pop();
    long[] params = Arrays.copyOfRange(above, above.length - nParams, above.length);
    long[] results;
    try {
      results = code.enter(funcId, loop, ChicoryInternals.frameLocals(frame), params);
    } catch (WasmException e) {
      THROW_REF(instance, instance.registerException(e), stack, frame, callStack);
      return true;
    }
    if (results == LoopEntry.NOT_ENTERED) {
      for (long v : above) stack.push(v);
      return false;
    }
    if (results != null) {
      for (long r : results) stack.push(r);
    }
    ChicoryInternals.finishFrame(frame);
    return true;
  }

  // ---- instructions Chicory's interpreter gets wrong (ReplacedInstructions) --------

  /** Runs the instruction the carrier {@code ins} stands for. */
  private static void replaced(MStack stack, Instance instance, Deque<StackFrame> callStack,
      Instruction ins) {
    switch (ReplacedInstructions.replaced(ins)) {
      case F32_MIN: {
        float b = Value.longToFloat(stack.pop());
        stack.push(Value.floatToLong(FloatOps.f32Min(Value.longToFloat(stack.pop()), b)));
        return;
      }
      case F32_MAX: {
        float b = Value.longToFloat(stack.pop());
        stack.push(Value.floatToLong(FloatOps.f32Max(Value.longToFloat(stack.pop()), b)));
        return;
      }
      case F64_MIN: {
        double b = Value.longToDouble(stack.pop());
        stack.push(Value.doubleToLong(FloatOps.f64Min(Value.longToDouble(stack.pop()), b)));
        return;
      }
      case F64_MAX: {
        double b = Value.longToDouble(stack.pop());
        stack.push(Value.doubleToLong(FloatOps.f64Max(Value.longToDouble(stack.pop()), b)));
        return;
      }
      case F64_FLOOR:
        stack.push(Value.doubleToLong(FloatOps.f64Floor(Value.longToDouble(stack.pop()))));
        return;
      case F64_CEIL:
        stack.push(Value.doubleToLong(FloatOps.f64Ceil(Value.longToDouble(stack.pop()))));
        return;
      case F64_TRUNC:
        stack.push(Value.doubleToLong(FloatOps.f64Trunc(Value.longToDouble(stack.pop()))));
        return;
      case F64_NEAREST:
        stack.push(Value.doubleToLong(FloatOps.f64Nearest(Value.longToDouble(stack.pop()))));
        return;
      case F32_ABS:
        stack.push(Value.floatToLong(FloatOps.f32Abs(Value.longToFloat(stack.pop()))));
        return;
      case F64_ABS:
        stack.push(Value.doubleToLong(FloatOps.f64Abs(Value.longToDouble(stack.pop()))));
        return;
      case I32_STORE8:
      case I64_STORE8: {
        byte v = (byte) stack.pop();
        int p = effectiveAddress(stack, ins);
        instance.memory((int) ReplacedInstructions.operand(ins, 2)).writeByte(p, v);
        return;
      }
      case I64_STORE32: {
        int v = (int) stack.pop();
        int p = effectiveAddress(stack, ins);
        instance.memory((int) ReplacedInstructions.operand(ins, 2)).writeI32(p, v);
        return;
      }
      case TABLE_FILL:
        tableFill(stack, instance, (int) ReplacedInstructions.operand(ins, 0));
        return;
      case RETURN_CALL:
        selfTailCall(stack, instance, callStack.peek(), (int) ReplacedInstructions.operand(ins, 0));
        return;
      default:
        throw new IllegalStateException("no replacement for " + ReplacedInstructions.replaced(ins));
    }
  }

  /**
   * The address the store the carrier {@code ins} stands for accesses (memarg: align,
   * offset, memory), base popped: unsigned base + offset, computed in 64 bits so that it
   * cannot wrap; past 2^31 - 1 no memory reaches, so that traps here (the memory checks
   * the rest).
   */
  private static int effectiveAddress(MStack stack, Instruction ins) {
    long ea = (stack.pop() & 0xFFFF_FFFFL) + ReplacedInstructions.operand(ins, 1);
    if (ea > Integer.MAX_VALUE) throw oob();
    return (int) ea;
  }

  /** table.fill (offset, value, size on the stack), the range checked in 64 bits. */
  private static void tableFill(MStack stack, Instance instance, int tableIdx) {
    int size = (int) stack.pop();
    int value = OpcodeImpl.boxForTable(stack.pop(), instance);
    int offset = (int) stack.pop();
    TableInstance table = instance.table(tableIdx);
    if ((offset & 0xFFFF_FFFFL) + (size & 0xFFFF_FFFFL) > table.size()) {
      throw new WasmRuntimeException("out of bounds table access");
    }
    for (int i = 0; i < size; i++) table.setRef(offset + i, value, instance);
  }

  /**
   * return_call of the running function {@code funcId}: restarts {@code frame} with the new
   * arguments and its declared locals zeroed, in constant space as Chicory does (but for the
   * locals). Checks for an interrupt, as the tail-call listener would for the original
   * instruction ({@code TailCalls.INTERRUPT_CHECK}, which sees only the carrier).
   */
  private static void selfTailCall(MStack stack, Instance instance, StackFrame frame,
      int funcId) {
    if (Thread.currentThread().isInterrupted()) {
      throw new ChicoryInterruptedException("Thread interrupted");
    }
    FunctionType type = instance.type(instance.functionType(funcId));
    long[] args = extractArgsForParams(stack, type.params());
    ChicoryInternals.restartFrame(frame, stack, args);
  }

  // ---- helpers: locals ------------------------------------------------------------

  /** local.set / local.tee of a v128 local, keeping the order local.get reads. */
  private static void setLocal(MStack stack, StackFrame frame, int idx, boolean tee) {
    long hi = stack.pop();
    long lo = stack.pop();
    long[] locals = ChicoryInternals.frameLocals(frame);
    int i = frame.localIndexOf(idx);
    locals[i] = lo;
    locals[i + 1] = hi;
    if (tee) {
      stack.push(lo);
      stack.push(hi);
    }
  }

  // ---- helpers: memory ------------------------------------------------------------

  private static WasmRuntimeException oob() {
    return new WasmRuntimeException("out of bounds memory access");
  }

  private static int checkedPlus(int p, int n) {
    int q = p + n;
    if (q < 0) throw oob();
    return q;
  }

  private static void checkRange(Memory m, int p, int len) {
    if (p < 0 || (long) p + len > (long) m.pages() * Memory.PAGE_SIZE) throw oob();
  }

  /** The {@code bits}-bit value at {@code p}, zero-extended. */
  private static long read(Memory m, int p, int bits) {
    switch (bits) {
      case 8:
        return m.read(p) & 0xFFL;
      case 16:
        return m.readShort(p) & 0xFFFFL;
      case 32:
        return m.readInt(p) & 0xFFFF_FFFFL;
      default:
        return m.readLong(p);
    }
  }

  /** v128.loadN_lane and v128.storeN_lane: one lane between memory and the v128 on the stack. */
  private static void memoryLane(MStack stack, Memory m, OpCode op, Operands operands) {
    long hi = stack.pop();
    long lo = stack.pop();
    int lane = (int) operands.get(3);
    int p = readMemPtr(stack, operands);
    int bits = Lanes.width(op);
    if (op.name().startsWith("V128_LOAD")) {
      pushReplaced(stack, lo, hi, lane, bits, read(m, p, bits));
      return;
    }
    int perHalf = 64 / bits;
    long v = (lane < perHalf ? lo : hi) >>> ((lane % perHalf) * bits);
    switch (bits) {
      case 8:
        m.writeByte(p, (byte) v);
        break;
      case 16:
        checkRange(m, p, 2);
        m.writeShort(p, (short) v);
        break;
      case 32:
        checkRange(m, p, 4);
        m.writeI32(p, (int) v);
        break;
      default:
        checkRange(m, p, 8);
        m.writeLong(p, v);
        break;
    }
  }

  // ---- helpers: lanes ---------------------------------------------------------------

  /**
   * extract_lane (the lane, sign-extended unless the opcode is an _U one) or replace_lane
   * (the v128 with the lane set to the scalar on top of the stack).
   */
  private static void extractOrReplaceLane(MStack stack, OpCode op, int lane) {
    boolean replace = op.name().endsWith("REPLACE_LANE");
    long x = replace ? stack.pop() : 0;
    long hi = stack.pop();
    long lo = stack.pop();
    int bits = Lanes.width(op);
    if (replace) {
      pushReplaced(stack, lo, hi, lane, bits, x);
      return;
    }
    int perHalf = 64 / bits;
    long v = ((lane < perHalf ? lo : hi) >>> ((lane % perHalf) * bits)) & Lanes.mask(bits);
    int sh = 64 - bits;
    stack.push(Lanes.signed(op) ? (v << sh) >> sh : v);
  }

  /** Pushes the v128 lo:hi with lane {@code lane} of {@code bits} bits set to {@code x}. */
  private static void pushReplaced(MStack stack, long lo, long hi, int lane, int bits, long x) {
    int perHalf = 64 / bits;
    int sh = (lane % perHalf) * bits;
    long mask = Lanes.mask(bits) << sh;
    long v = (x << sh) & mask;
    if (lane < perHalf) {
      lo = (lo & ~mask) | v;
    } else {
      hi = (hi & ~mask) | v;
    }
    stack.push(lo);
    stack.push(hi);
  }

  /** i8x16.shuffle: bytes of a (indices 0-15) and b (16-31) picked by the immediate. */
  private static void shuffle(MStack stack, long sel0, long sel1) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    stack.push(Lanes.pick(sel0, al, ah, bl, bh, 32));
    stack.push(Lanes.pick(sel1, al, ah, bl, bh, 32));
  }

  /** i8x16.swizzle: bytes of a picked by the lanes of s (16 and above pick 0). */
  private static void swizzle(MStack stack) {
    long sh = stack.pop();
    long sl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    stack.push(Lanes.pick(sl, al, ah, 0, 0, 16));
    stack.push(Lanes.pick(sh, al, ah, 0, 0, 16));
  }

  // ---- lane-wise operations (Lanes) ---------------------------------------------------

  /** A lane-wise operation on the v128 operands on top of the stack, result in their place. */
  private static void lanewise(MStack stack, Lanes.Decoded d) {
    Lanes.Op op = d.op;
    Lanes.Shape shape = d.shape;
    switch (op.arity) {
      case BINARY: {
        long bh = stack.pop();
        long bl = stack.pop();
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = Lanes.binary(op, shape, s[t - 2], bl);
        s[t - 1] = Lanes.binary(op, shape, s[t - 1], bh);
        return;
      }
      case UNARY: {
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = Lanes.unary(op, shape, s[t - 2]);
        s[t - 1] = Lanes.unary(op, shape, s[t - 1]);
        return;
      }
      case SHIFT: {
        int n = (int) stack.pop();
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = Lanes.shift(op, shape, s[t - 2], n);
        s[t - 1] = Lanes.shift(op, shape, s[t - 1], n);
        return;
      }
      default: { // TEST
        long hi = stack.pop();
        long lo = stack.pop();
        stack.push(Lanes.test(op, shape, lo, hi));
      }
    }
  }

  // ---- widening and narrowing -------------------------------------------------------

  /**
   * Pushes the v128 made by widening the lanes of the 64 bits {@code v} (a load8x8 ...
   * load32x2, or the half an extend_low/high picked) to twice their width.
   */
  private static void pushExtend(MStack stack, OpCode op, long v) {
    int bits = Lanes.width(op);
    boolean signed = Lanes.signed(op);
    stack.push(Lanes.widen(v, bits, signed));
    stack.push(Lanes.widen(v >>> 32, bits, signed));
  }

  /** narrow: the lanes of a, then b, saturated to half their width. */
  private static void narrow(MStack stack, OpCode op) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    int bits = 2 * Lanes.width(op); // the operands' lanes
    boolean u = !Lanes.signed(op);
    stack.push(Lanes.narrow(al, bits, u) | Lanes.narrow(ah, bits, u) << 32);
    stack.push(Lanes.narrow(bl, bits, u) | Lanes.narrow(bh, bits, u) << 32);
  }

  /** extmul_low/high: the products of the low (or high) halves' lanes, at twice the width. */
  private static void extmul(MStack stack, OpCode op) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    boolean high = op.name().contains("_HIGH_");
    long a = high ? ah : al;
    long b = high ? bh : bl;
    int bits = Lanes.width(op);
    boolean signed = Lanes.signed(op);
    stack.push(Lanes.widenMul(a, b, bits, signed));
    stack.push(Lanes.widenMul(a >>> 32, b >>> 32, bits, signed));
  }
}
