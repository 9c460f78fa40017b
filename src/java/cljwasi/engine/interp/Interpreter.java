package cljwasi.engine.interp;

import cljwasi.engine.ChicoryInternals;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.Deque;

/**
 * The project's interpreter: Chicory's interpreter plus every fixed-width SIMD instruction of
 * Wasm 2.0, in plain Java (no Vector API, so it runs on JDK 17), the fix for v128 locals
 * ({@link V128Locals}), and calls out to compiled code for the functions it does not
 * interpret. Engine {@code :interpreter} runs SIMD and lazily parsed modules in it, the hybrid
 * mode ({@link Machines.Hybrid}) the functions the compiler must not take, and tiered
 * execution every function until it is compiled.
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
  }

  /** Installs the rewritten bodies into {@code instance}'s own array of function bodies. */
  private static void install(Instance instance, FunctionBody[] patched) {
    boolean needed = false;
    for (FunctionBody b : patched) needed |= b != null;
    if (!needed) return;
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

  @Override
  protected boolean useCurrentInstanceInterpreter(Instance current, Instance target, int funcId) {
    return super.useCurrentInstanceInterpreter(current, target, funcId) && interpretsHere(funcId);
  }

  // ---- evaluation -------------------------------------------------------------------

  @Override
  protected void evalDefault(MStack stack, Instance instance, Deque<StackFrame> callStack,
      Instruction ins, Operands operands) throws ChicoryException {
    OpCode op = ins.opcode();
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
      case V128_LOAD8_SPLAT: {
        long v = splat8(instance.memory().read(readMemPtr(stack, operands)));
        stack.push(v);
        stack.push(v);
        return;
      }
      case V128_LOAD16_SPLAT: {
        long v = splat16(instance.memory().readShort(readMemPtr(stack, operands)));
        stack.push(v);
        stack.push(v);
        return;
      }
      case V128_LOAD32_SPLAT: {
        long v = splat32(instance.memory().readInt(readMemPtr(stack, operands)));
        stack.push(v);
        stack.push(v);
        return;
      }
      case V128_LOAD64_SPLAT: {
        long v = instance.memory().readLong(readMemPtr(stack, operands));
        stack.push(v);
        stack.push(v);
        return;
      }
      case V128_LOAD32_ZERO: {
        long v = instance.memory().readInt(readMemPtr(stack, operands)) & 0xFFFF_FFFFL;
        stack.push(v);
        stack.push(0L);
        return;
      }
      case V128_LOAD64_ZERO: {
        long v = instance.memory().readLong(readMemPtr(stack, operands));
        stack.push(v);
        stack.push(0L);
        return;
      }
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
        loadLane(stack, instance.memory(), op, operands);
        return;
      case V128_STORE8_LANE:
      case V128_STORE16_LANE:
      case V128_STORE32_LANE:
      case V128_STORE64_LANE:
        storeLane(stack, instance.memory(), op, operands);
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
      case I8x16_SPLAT: {
        long v = splat8((byte) stack.pop());
        stack.push(v);
        stack.push(v);
        return;
      }
      case I16x8_SPLAT: {
        long v = splat16((short) stack.pop());
        stack.push(v);
        stack.push(v);
        return;
      }
      case I32x4_SPLAT:
      case F32x4_SPLAT: {
        long v = splat32((int) stack.pop());
        stack.push(v);
        stack.push(v);
        return;
      }
      case I64x2_SPLAT:
      case F64x2_SPLAT: {
        long v = stack.pop();
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
        extractLane(stack, op, (int) ins.operand(0));
        return;
      case I8x16_REPLACE_LANE:
      case I16x8_REPLACE_LANE:
      case I32x4_REPLACE_LANE:
      case F32x4_REPLACE_LANE:
      case I64x2_REPLACE_LANE:
      case F64x2_REPLACE_LANE:
        replaceLane(stack, op, (int) ins.operand(0));
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
      case I8x16_ALL_TRUE:
      case I16x8_ALL_TRUE:
      case I32x4_ALL_TRUE:
      case I64x2_ALL_TRUE: {
        long hi = stack.pop();
        long lo = stack.pop();
        stack.push(allTrue(op, lo) && allTrue(op, hi) ? 1L : 0L);
        return;
      }
      case I8x16_BITMASK:
      case I16x8_BITMASK:
      case I32x4_BITMASK:
      case I64x2_BITMASK: {
        long hi = stack.pop();
        long lo = stack.pop();
        stack.push(bitmask(op, lo, hi));
        return;
      }

      // ---- shifts ----
      case I8x16_SHL:
      case I8x16_SHR_S:
      case I8x16_SHR_U:
      case I16x8_SHL:
      case I16x8_SHR_S:
      case I16x8_SHR_U:
      case I32x4_SHL:
      case I32x4_SHR_S:
      case I32x4_SHR_U:
      case I64x2_SHL:
      case I64x2_SHR_S:
      case I64x2_SHR_U: {
        int n = (int) stack.pop();
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = shift(op, s[t - 2], n);
        s[t - 1] = shift(op, s[t - 1], n);
        return;
      }

      // ---- lane-wise binary operations that stay within each 64-bit half ----
      case V128_AND:
      case V128_ANDNOT:
      case V128_OR:
      case V128_XOR:
      case I8x16_EQ:
      case I8x16_NE:
      case I8x16_LT_S:
      case I8x16_LT_U:
      case I8x16_GT_S:
      case I8x16_GT_U:
      case I8x16_LE_S:
      case I8x16_LE_U:
      case I8x16_GE_S:
      case I8x16_GE_U:
      case I8x16_ADD:
      case I8x16_ADD_SAT_S:
      case I8x16_ADD_SAT_U:
      case I8x16_SUB:
      case I8x16_SUB_SAT_S:
      case I8x16_SUB_SAT_U:
      case I8x16_MIN_S:
      case I8x16_MIN_U:
      case I8x16_MAX_S:
      case I8x16_MAX_U:
      case I8x16_AVGR_U:
        binary(stack, op, Lanes.I8);
        return;
      case I16x8_EQ:
      case I16x8_NE:
      case I16x8_LT_S:
      case I16x8_LT_U:
      case I16x8_GT_S:
      case I16x8_GT_U:
      case I16x8_LE_S:
      case I16x8_LE_U:
      case I16x8_GE_S:
      case I16x8_GE_U:
      case I16x8_ADD:
      case I16x8_ADD_SAT_S:
      case I16x8_ADD_SAT_U:
      case I16x8_SUB:
      case I16x8_SUB_SAT_S:
      case I16x8_SUB_SAT_U:
      case I16x8_MUL:
      case I16x8_MIN_S:
      case I16x8_MIN_U:
      case I16x8_MAX_S:
      case I16x8_MAX_U:
      case I16x8_AVGR_U:
      case I16x8_Q15MULR_SAT_S:
        binary(stack, op, Lanes.I16);
        return;
      case I32x4_EQ:
      case I32x4_NE:
      case I32x4_LT_S:
      case I32x4_LT_U:
      case I32x4_GT_S:
      case I32x4_GT_U:
      case I32x4_LE_S:
      case I32x4_LE_U:
      case I32x4_GE_S:
      case I32x4_GE_U:
      case I32x4_ADD:
      case I32x4_SUB:
      case I32x4_MUL:
      case I32x4_MIN_S:
      case I32x4_MIN_U:
      case I32x4_MAX_S:
      case I32x4_MAX_U:
      case I32x4_DOT_I16x8_S:
        binary(stack, op, Lanes.I32);
        return;
      case I64x2_EQ:
      case I64x2_NE:
      case I64x2_LT_S:
      case I64x2_GT_S:
      case I64x2_LE_S:
      case I64x2_GE_S:
      case I64x2_ADD:
      case I64x2_SUB:
      case I64x2_MUL:
        binary(stack, op, Lanes.I64);
        return;
      case F32x4_EQ:
      case F32x4_NE:
      case F32x4_LT:
      case F32x4_GT:
      case F32x4_LE:
      case F32x4_GE:
      case F32x4_ADD:
      case F32x4_SUB:
      case F32x4_MUL:
      case F32x4_DIV:
      case F32x4_MIN:
      case F32x4_MAX:
      case F32x4_PMIN:
      case F32x4_PMAX:
        binary(stack, op, Lanes.F32);
        return;
      case F64x2_EQ:
      case F64x2_NE:
      case F64x2_LT:
      case F64x2_GT:
      case F64x2_LE:
      case F64x2_GE:
      case F64x2_ADD:
      case F64x2_SUB:
      case F64x2_MUL:
      case F64x2_DIV:
      case F64x2_MIN:
      case F64x2_MAX:
      case F64x2_PMIN:
      case F64x2_PMAX:
        binary(stack, op, Lanes.F64);
        return;

      // ---- lane-wise unary operations within each half ----
      case I8x16_ABS:
      case I8x16_NEG:
      case I8x16_POPCNT:
      case I16x8_ABS:
      case I16x8_NEG:
      case I32x4_ABS:
      case I32x4_NEG:
      case I64x2_ABS:
      case I64x2_NEG:
      case I16x8_EXTADD_PAIRWISE_I8x16_S:
      case I16x8_EXTADD_PAIRWISE_I8x16_U:
      case I32x4_EXTADD_PAIRWISE_I16x8_S:
      case I32x4_EXTADD_PAIRWISE_I16x8_U:
      case F32x4_ABS:
      case F32x4_NEG:
      case F32x4_SQRT:
      case F32x4_CEIL:
      case F32x4_FLOOR:
      case F32x4_TRUNC:
      case F32x4_NEAREST:
      case F64x2_ABS:
      case F64x2_NEG:
      case F64x2_SQRT:
      case F64x2_CEIL:
      case F64x2_FLOOR:
      case F64x2_TRUNC:
      case F64x2_NEAREST:
      case I32x4_TRUNC_SAT_F32X4_S:
      case I32x4_TRUNC_SAT_F32X4_U:
      case F32x4_CONVERT_I32x4_S:
      case F32x4_CONVERT_I32x4_U: {
        long[] s = stack.array();
        int t = stack.size();
        s[t - 2] = unary(op, s[t - 2]);
        s[t - 1] = unary(op, s[t - 1]);
        return;
      }

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
        float a = (float) Double.longBitsToDouble(lo);
        float b = (float) Double.longBitsToDouble(hi);
        stack.push(pack32(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b)));
        stack.push(0L);
        return;
      }
      case F64x2_PROMOTE_LOW_F32x4: {
        stack.pop();
        long lo = stack.pop();
        stack.push(Double.doubleToRawLongBits(Float.intBitsToFloat((int) lo)));
        stack.push(Double.doubleToRawLongBits(Float.intBitsToFloat((int) (lo >>> 32))));
        return;
      }
      case F64x2_CONVERT_LOW_I32x4_S: {
        stack.pop();
        long lo = stack.pop();
        stack.push(Double.doubleToRawLongBits((int) lo));
        stack.push(Double.doubleToRawLongBits((int) (lo >>> 32)));
        return;
      }
      case F64x2_CONVERT_LOW_I32x4_U: {
        stack.pop();
        long lo = stack.pop();
        stack.push(Double.doubleToRawLongBits(lo & 0xFFFF_FFFFL));
        stack.push(Double.doubleToRawLongBits(lo >>> 32));
        return;
      }
      case I32x4_TRUNC_SAT_F64x2_S_ZERO:
      case I32x4_TRUNC_SAT_F64x2_U_ZERO: {
        long hi = stack.pop();
        long lo = stack.pop();
        boolean u = op == OpCode.I32x4_TRUNC_SAT_F64x2_U_ZERO;
        double a = Double.longBitsToDouble(lo);
        double b = Double.longBitsToDouble(hi);
        int x = u ? truncSatU32(a) : (int) a;
        int y = u ? truncSatU32(b) : (int) b;
        stack.push(pack32(x, y));
        stack.push(0L);
        return;
      }
      default:
        super.evalDefault(stack, instance, callStack, ins, operands);
    }
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

  private static void loadLane(MStack stack, Memory m, OpCode op, Operands operands) {
    long hi = stack.pop();
    long lo = stack.pop();
    int lane = (int) operands.get(3);
    int p = readMemPtr(stack, operands);
    int bits;
    long v;
    switch (op) {
      case V128_LOAD8_LANE:
        bits = 8;
        v = m.read(p) & 0xFFL;
        break;
      case V128_LOAD16_LANE:
        bits = 16;
        v = m.readShort(p) & 0xFFFFL;
        break;
      case V128_LOAD32_LANE:
        bits = 32;
        v = m.readInt(p) & 0xFFFF_FFFFL;
        break;
      default:
        bits = 64;
        v = m.readLong(p);
        break;
    }
    int perHalf = 64 / bits;
    int sh = (lane % perHalf) * bits;
    long mask = bits == 64 ? -1L : ((1L << bits) - 1) << sh;
    if (lane < perHalf) {
      lo = (lo & ~mask) | (v << sh);
    } else {
      hi = (hi & ~mask) | (v << sh);
    }
    stack.push(lo);
    stack.push(hi);
  }

  private static void storeLane(MStack stack, Memory m, OpCode op, Operands operands) {
    long hi = stack.pop();
    long lo = stack.pop();
    int lane = (int) operands.get(3);
    int p = readMemPtr(stack, operands);
    int bits;
    switch (op) {
      case V128_STORE8_LANE:
        bits = 8;
        break;
      case V128_STORE16_LANE:
        bits = 16;
        break;
      case V128_STORE32_LANE:
        bits = 32;
        break;
      default:
        bits = 64;
        break;
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

  private static long splat8(byte b) {
    return (b & 0xFFL) * 0x0101_0101_0101_0101L;
  }

  private static long splat16(short s) {
    return (s & 0xFFFFL) * 0x0001_0001_0001_0001L;
  }

  private static long splat32(int i) {
    return (i & 0xFFFF_FFFFL) * 0x0000_0001_0000_0001L;
  }

  private static long pack32(int a, int b) {
    return (a & 0xFFFF_FFFFL) | ((long) b << 32);
  }

  private static void extractLane(MStack stack, OpCode op, int lane) {
    long hi = stack.pop();
    long lo = stack.pop();
    switch (op) {
      case I8x16_EXTRACT_LANE_S:
        stack.push((byte) ((lane < 8 ? lo : hi) >>> ((lane & 7) * 8)));
        return;
      case I8x16_EXTRACT_LANE_U:
        stack.push(((lane < 8 ? lo : hi) >>> ((lane & 7) * 8)) & 0xFFL);
        return;
      case I16x8_EXTRACT_LANE_S:
        stack.push((short) ((lane < 4 ? lo : hi) >>> ((lane & 3) * 16)));
        return;
      case I16x8_EXTRACT_LANE_U:
        stack.push(((lane < 4 ? lo : hi) >>> ((lane & 3) * 16)) & 0xFFFFL);
        return;
      case I32x4_EXTRACT_LANE:
      case F32x4_EXTRACT_LANE:
        stack.push((int) ((lane < 2 ? lo : hi) >>> ((lane & 1) * 32)));
        return;
      default: // I64x2, F64x2
        stack.push(lane == 0 ? lo : hi);
    }
  }

  private static void replaceLane(MStack stack, OpCode op, int lane) {
    long x = stack.pop();
    long hi = stack.pop();
    long lo = stack.pop();
    int bits;
    switch (op) {
      case I8x16_REPLACE_LANE:
        bits = 8;
        break;
      case I16x8_REPLACE_LANE:
        bits = 16;
        break;
      case I32x4_REPLACE_LANE:
      case F32x4_REPLACE_LANE:
        bits = 32;
        break;
      default:
        bits = 64;
    }
    int perHalf = 64 / bits;
    int sh = (lane % perHalf) * bits;
    long mask = bits == 64 ? -1L : ((1L << bits) - 1) << sh;
    long v = (x << sh) & mask;
    if (lane < perHalf) {
      lo = (lo & ~mask) | v;
    } else {
      hi = (hi & ~mask) | v;
    }
    stack.push(lo);
    stack.push(hi);
  }

  private static int byteAt(long lo, long hi, int i) {
    return (int) ((i < 8 ? lo : hi) >>> ((i & 7) * 8)) & 0xFF;
  }

  private static void shuffle(MStack stack, long sel0, long sel1) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    long rl = 0;
    long rh = 0;
    for (int i = 0; i < 8; i++) {
      int s = (int) (sel0 >>> (i * 8)) & 0x1F;
      long v = s < 16 ? byteAt(al, ah, s) : byteAt(bl, bh, s - 16);
      rl |= v << (i * 8);
      s = (int) (sel1 >>> (i * 8)) & 0x1F;
      v = s < 16 ? byteAt(al, ah, s) : byteAt(bl, bh, s - 16);
      rh |= v << (i * 8);
    }
    stack.push(rl);
    stack.push(rh);
  }

  private static void swizzle(MStack stack) {
    long sh = stack.pop();
    long sl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    long rl = 0;
    long rh = 0;
    for (int i = 0; i < 8; i++) {
      int s = (int) (sl >>> (i * 8)) & 0xFF;
      if (s < 16) rl |= (long) byteAt(al, ah, s) << (i * 8);
      s = (int) (sh >>> (i * 8)) & 0xFF;
      if (s < 16) rh |= (long) byteAt(al, ah, s) << (i * 8);
    }
    stack.push(rl);
    stack.push(rh);
  }

  private static boolean allTrue(OpCode op, long v) {
    switch (op) {
      case I8x16_ALL_TRUE:
        for (int s = 0; s < 64; s += 8) if (((v >>> s) & 0xFF) == 0) return false;
        return true;
      case I16x8_ALL_TRUE:
        for (int s = 0; s < 64; s += 16) if (((v >>> s) & 0xFFFF) == 0) return false;
        return true;
      case I32x4_ALL_TRUE:
        return (int) v != 0 && (int) (v >>> 32) != 0;
      default:
        return v != 0;
    }
  }

  private static long bitmask(OpCode op, long lo, long hi) {
    int r = 0;
    switch (op) {
      case I8x16_BITMASK:
        for (int i = 0; i < 8; i++) {
          r |= (int) ((lo >>> (i * 8 + 7)) & 1) << i;
          r |= (int) ((hi >>> (i * 8 + 7)) & 1) << (i + 8);
        }
        break;
      case I16x8_BITMASK:
        for (int i = 0; i < 4; i++) {
          r |= (int) ((lo >>> (i * 16 + 15)) & 1) << i;
          r |= (int) ((hi >>> (i * 16 + 15)) & 1) << (i + 4);
        }
        break;
      case I32x4_BITMASK:
        r = (int) ((lo >>> 31) & 1) | (int) ((lo >>> 63) << 1)
            | (int) (((hi >>> 31) & 1) << 2) | (int) ((hi >>> 63) << 3);
        break;
      default:
        r = (int) (lo >>> 63) | (int) ((hi >>> 63) << 1);
    }
    return r;
  }

  private static long shift(OpCode op, long v, int n) {
    long r = 0;
    switch (op) {
      case I8x16_SHL:
        n &= 7;
        for (int s = 0; s < 64; s += 8) r |= ((((v >>> s) & 0xFF) << n) & 0xFF) << s;
        return r;
      case I8x16_SHR_S:
        n &= 7;
        for (int s = 0; s < 64; s += 8) r |= (((byte) (v >>> s) >> n) & 0xFFL) << s;
        return r;
      case I8x16_SHR_U:
        n &= 7;
        for (int s = 0; s < 64; s += 8) r |= (((v >>> s) & 0xFF) >>> n) << s;
        return r;
      case I16x8_SHL:
        n &= 15;
        for (int s = 0; s < 64; s += 16) r |= ((((v >>> s) & 0xFFFF) << n) & 0xFFFF) << s;
        return r;
      case I16x8_SHR_S:
        n &= 15;
        for (int s = 0; s < 64; s += 16) r |= (((short) (v >>> s) >> n) & 0xFFFFL) << s;
        return r;
      case I16x8_SHR_U:
        n &= 15;
        for (int s = 0; s < 64; s += 16) r |= (((v >>> s) & 0xFFFF) >>> n) << s;
        return r;
      case I32x4_SHL:
        return pack32((int) v << n, (int) (v >>> 32) << n);
      case I32x4_SHR_S:
        return pack32((int) v >> n, (int) (v >>> 32) >> n);
      case I32x4_SHR_U:
        return pack32((int) v >>> n, (int) (v >>> 32) >>> n);
      case I64x2_SHL:
        return v << n;
      case I64x2_SHR_S:
        return v >> n;
      default: // I64x2_SHR_U
        return v >>> n;
    }
  }

  // ---- lane-wise binary ---------------------------------------------------------------

  /** Lane shapes of the lane-wise binary operations. */
  private enum Lanes { I8, I16, I32, I64, F32, F64 }

  /** Pops b, applies op lane by lane to a (on top of the stack, replaced) and b. */
  private static void binary(MStack stack, OpCode op, Lanes lanes) {
    long bh = stack.pop();
    long bl = stack.pop();
    long[] s = stack.array();
    int t = stack.size();
    s[t - 2] = lanewise(lanes, op, s[t - 2], bl);
    s[t - 1] = lanewise(lanes, op, s[t - 1], bh);
  }

  /** op on the lanes of one 64-bit half of two v128 values. */
  private static long lanewise(Lanes lanes, OpCode op, long a, long b) {
    switch (lanes) {
      case I8:
        return bin8(op, a, b);
      case I16:
        return bin16(op, a, b);
      case I32:
        return bin32(op, a, b);
      case I64:
        return bin64(op, a, b);
      case F32:
        return binF32(op, a, b);
      default:
        return binF64(op, a, b);
    }
  }

  private static final long H8 = 0x8080_8080_8080_8080L;
  private static final long L7 = 0x7F7F_7F7F_7F7F_7F7FL;

  private static long bin8(OpCode op, long a, long b) {
    switch (op) {
      case V128_AND:
        return a & b;
      case V128_ANDNOT:
        return a & ~b;
      case V128_OR:
        return a | b;
      case V128_XOR:
        return a ^ b;
      case I8x16_ADD:
        return ((a & L7) + (b & L7)) ^ ((a ^ b) & H8);
      case I8x16_SUB:
        return ((a | H8) - (b & L7)) ^ ((a ^ ~b) & H8);
      default:
        break;
    }
    long r = 0;
    for (int s = 0; s < 64; s += 8) {
      int x = (byte) (a >>> s);
      int y = (byte) (b >>> s);
      int ux = x & 0xFF;
      int uy = y & 0xFF;
      int v;
      switch (op) {
        case I8x16_EQ:
          v = x == y ? -1 : 0;
          break;
        case I8x16_NE:
          v = x != y ? -1 : 0;
          break;
        case I8x16_LT_S:
          v = x < y ? -1 : 0;
          break;
        case I8x16_LT_U:
          v = ux < uy ? -1 : 0;
          break;
        case I8x16_GT_S:
          v = x > y ? -1 : 0;
          break;
        case I8x16_GT_U:
          v = ux > uy ? -1 : 0;
          break;
        case I8x16_LE_S:
          v = x <= y ? -1 : 0;
          break;
        case I8x16_LE_U:
          v = ux <= uy ? -1 : 0;
          break;
        case I8x16_GE_S:
          v = x >= y ? -1 : 0;
          break;
        case I8x16_GE_U:
          v = ux >= uy ? -1 : 0;
          break;
        case I8x16_ADD_SAT_S:
          v = Math.max(-128, Math.min(127, x + y));
          break;
        case I8x16_ADD_SAT_U:
          v = Math.min(255, ux + uy);
          break;
        case I8x16_SUB_SAT_S:
          v = Math.max(-128, Math.min(127, x - y));
          break;
        case I8x16_SUB_SAT_U:
          v = Math.max(0, ux - uy);
          break;
        case I8x16_MIN_S:
          v = Math.min(x, y);
          break;
        case I8x16_MIN_U:
          v = Math.min(ux, uy);
          break;
        case I8x16_MAX_S:
          v = Math.max(x, y);
          break;
        case I8x16_MAX_U:
          v = Math.max(ux, uy);
          break;
        case I8x16_AVGR_U:
          v = (ux + uy + 1) >>> 1;
          break;
        default:
          throw new IllegalStateException(op.toString());
      }
      r |= (v & 0xFFL) << s;
    }
    return r;
  }

  private static long bin16(OpCode op, long a, long b) {
    long r = 0;
    for (int s = 0; s < 64; s += 16) {
      int x = (short) (a >>> s);
      int y = (short) (b >>> s);
      int ux = x & 0xFFFF;
      int uy = y & 0xFFFF;
      int v;
      switch (op) {
        case I16x8_EQ:
          v = x == y ? -1 : 0;
          break;
        case I16x8_NE:
          v = x != y ? -1 : 0;
          break;
        case I16x8_LT_S:
          v = x < y ? -1 : 0;
          break;
        case I16x8_LT_U:
          v = ux < uy ? -1 : 0;
          break;
        case I16x8_GT_S:
          v = x > y ? -1 : 0;
          break;
        case I16x8_GT_U:
          v = ux > uy ? -1 : 0;
          break;
        case I16x8_LE_S:
          v = x <= y ? -1 : 0;
          break;
        case I16x8_LE_U:
          v = ux <= uy ? -1 : 0;
          break;
        case I16x8_GE_S:
          v = x >= y ? -1 : 0;
          break;
        case I16x8_GE_U:
          v = ux >= uy ? -1 : 0;
          break;
        case I16x8_ADD:
          v = x + y;
          break;
        case I16x8_SUB:
          v = x - y;
          break;
        case I16x8_MUL:
          v = x * y;
          break;
        case I16x8_ADD_SAT_S:
          v = Math.max(-32768, Math.min(32767, x + y));
          break;
        case I16x8_ADD_SAT_U:
          v = Math.min(65535, ux + uy);
          break;
        case I16x8_SUB_SAT_S:
          v = Math.max(-32768, Math.min(32767, x - y));
          break;
        case I16x8_SUB_SAT_U:
          v = Math.max(0, ux - uy);
          break;
        case I16x8_MIN_S:
          v = Math.min(x, y);
          break;
        case I16x8_MIN_U:
          v = Math.min(ux, uy);
          break;
        case I16x8_MAX_S:
          v = Math.max(x, y);
          break;
        case I16x8_MAX_U:
          v = Math.max(ux, uy);
          break;
        case I16x8_AVGR_U:
          v = (ux + uy + 1) >>> 1;
          break;
        case I16x8_Q15MULR_SAT_S:
          v = Math.max(-32768, Math.min(32767, (x * y + 0x4000) >> 15));
          break;
        default:
          throw new IllegalStateException(op.toString());
      }
      r |= (v & 0xFFFFL) << s;
    }
    return r;
  }

  private static long bin32(OpCode op, long a, long b) {
    int x0 = (int) a;
    int x1 = (int) (a >>> 32);
    int y0 = (int) b;
    int y1 = (int) (b >>> 32);
    switch (op) {
      case I32x4_ADD:
        return pack32(x0 + y0, x1 + y1);
      case I32x4_SUB:
        return pack32(x0 - y0, x1 - y1);
      case I32x4_MUL:
        return pack32(x0 * y0, x1 * y1);
      case I32x4_EQ:
        return pack32(x0 == y0 ? -1 : 0, x1 == y1 ? -1 : 0);
      case I32x4_NE:
        return pack32(x0 != y0 ? -1 : 0, x1 != y1 ? -1 : 0);
      case I32x4_LT_S:
        return pack32(x0 < y0 ? -1 : 0, x1 < y1 ? -1 : 0);
      case I32x4_LT_U:
        return pack32(Integer.compareUnsigned(x0, y0) < 0 ? -1 : 0,
            Integer.compareUnsigned(x1, y1) < 0 ? -1 : 0);
      case I32x4_GT_S:
        return pack32(x0 > y0 ? -1 : 0, x1 > y1 ? -1 : 0);
      case I32x4_GT_U:
        return pack32(Integer.compareUnsigned(x0, y0) > 0 ? -1 : 0,
            Integer.compareUnsigned(x1, y1) > 0 ? -1 : 0);
      case I32x4_LE_S:
        return pack32(x0 <= y0 ? -1 : 0, x1 <= y1 ? -1 : 0);
      case I32x4_LE_U:
        return pack32(Integer.compareUnsigned(x0, y0) <= 0 ? -1 : 0,
            Integer.compareUnsigned(x1, y1) <= 0 ? -1 : 0);
      case I32x4_GE_S:
        return pack32(x0 >= y0 ? -1 : 0, x1 >= y1 ? -1 : 0);
      case I32x4_GE_U:
        return pack32(Integer.compareUnsigned(x0, y0) >= 0 ? -1 : 0,
            Integer.compareUnsigned(x1, y1) >= 0 ? -1 : 0);
      case I32x4_MIN_S:
        return pack32(Math.min(x0, y0), Math.min(x1, y1));
      case I32x4_MIN_U:
        return pack32(Integer.compareUnsigned(x0, y0) <= 0 ? x0 : y0,
            Integer.compareUnsigned(x1, y1) <= 0 ? x1 : y1);
      case I32x4_MAX_S:
        return pack32(Math.max(x0, y0), Math.max(x1, y1));
      case I32x4_MAX_U:
        return pack32(Integer.compareUnsigned(x0, y0) >= 0 ? x0 : y0,
            Integer.compareUnsigned(x1, y1) >= 0 ? x1 : y1);
      case I32x4_DOT_I16x8_S: {
        int d0 = (short) a * (short) b + (short) (a >>> 16) * (short) (b >>> 16);
        int d1 = (short) (a >>> 32) * (short) (b >>> 32) + (short) (a >>> 48) * (short) (b >>> 48);
        return pack32(d0, d1);
      }
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private static long bin64(OpCode op, long a, long b) {
    switch (op) {
      case I64x2_ADD:
        return a + b;
      case I64x2_SUB:
        return a - b;
      case I64x2_MUL:
        return a * b;
      case I64x2_EQ:
        return a == b ? -1L : 0L;
      case I64x2_NE:
        return a != b ? -1L : 0L;
      case I64x2_LT_S:
        return a < b ? -1L : 0L;
      case I64x2_GT_S:
        return a > b ? -1L : 0L;
      case I64x2_LE_S:
        return a <= b ? -1L : 0L;
      case I64x2_GE_S:
        return a >= b ? -1L : 0L;
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private static int binF32(OpCode op, int ab, int bb) {
    float x = Float.intBitsToFloat(ab);
    float y = Float.intBitsToFloat(bb);
    switch (op) {
      case F32x4_EQ:
        return x == y ? -1 : 0;
      case F32x4_NE:
        return x != y ? -1 : 0;
      case F32x4_LT:
        return x < y ? -1 : 0;
      case F32x4_GT:
        return x > y ? -1 : 0;
      case F32x4_LE:
        return x <= y ? -1 : 0;
      case F32x4_GE:
        return x >= y ? -1 : 0;
      case F32x4_ADD:
        return f32(x + y);
      case F32x4_SUB:
        return f32(x - y);
      case F32x4_MUL:
        return f32(x * y);
      case F32x4_DIV:
        return f32(x / y);
      case F32x4_MIN:
        return f32(Math.min(x, y)); // NaN if either is NaN; -0.0 < +0.0
      case F32x4_MAX:
        return f32(Math.max(x, y));
      case F32x4_PMIN:
        return y < x ? bb : ab;
      case F32x4_PMAX:
        return x < y ? bb : ab;
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private static long binF32(OpCode op, long a, long b) {
    return pack32(binF32(op, (int) a, (int) b), binF32(op, (int) (a >>> 32), (int) (b >>> 32)));
  }

  private static long binF64(OpCode op, long ab, long bb) {
    double x = Double.longBitsToDouble(ab);
    double y = Double.longBitsToDouble(bb);
    switch (op) {
      case F64x2_EQ:
        return x == y ? -1L : 0L;
      case F64x2_NE:
        return x != y ? -1L : 0L;
      case F64x2_LT:
        return x < y ? -1L : 0L;
      case F64x2_GT:
        return x > y ? -1L : 0L;
      case F64x2_LE:
        return x <= y ? -1L : 0L;
      case F64x2_GE:
        return x >= y ? -1L : 0L;
      case F64x2_ADD:
        return f64(x + y);
      case F64x2_SUB:
        return f64(x - y);
      case F64x2_MUL:
        return f64(x * y);
      case F64x2_DIV:
        return f64(x / y);
      case F64x2_MIN:
        return f64(Math.min(x, y));
      case F64x2_MAX:
        return f64(Math.max(x, y));
      case F64x2_PMIN:
        return y < x ? bb : ab;
      case F64x2_PMAX:
        return x < y ? bb : ab;
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  /** Float result bits; any NaN comes out quiet (an "arithmetic NaN" in Wasm's terms). */
  private static int f32(float f) {
    int bits = Float.floatToRawIntBits(f);
    return f != f ? bits | 0x0040_0000 : bits;
  }

  private static long f64(double d) {
    long bits = Double.doubleToRawLongBits(d);
    return d != d ? bits | 0x0008_0000_0000_0000L : bits;
  }

  // ---- lane-wise unary --------------------------------------------------------------

  private static long unary(OpCode op, long v) {
    switch (op) {
      case F32x4_ABS:
        return v & 0x7FFF_FFFF_7FFF_FFFFL;
      case F32x4_NEG:
        return v ^ 0x8000_0000_8000_0000L;
      case F64x2_ABS:
        return v & 0x7FFF_FFFF_FFFF_FFFFL;
      case F64x2_NEG:
        return v ^ 0x8000_0000_0000_0000L;
      case I64x2_ABS:
        return Math.abs(v);
      case I64x2_NEG:
        return -v;
      case I32x4_ABS:
        return pack32(Math.abs((int) v), Math.abs((int) (v >>> 32)));
      case I32x4_NEG:
        return pack32(-(int) v, -(int) (v >>> 32));
      case F64x2_SQRT:
        return f64(Math.sqrt(Double.longBitsToDouble(v)));
      case F64x2_CEIL:
        return f64(Math.ceil(Double.longBitsToDouble(v)));
      case F64x2_FLOOR:
        return f64(Math.floor(Double.longBitsToDouble(v)));
      case F64x2_TRUNC:
        return f64(trunc(Double.longBitsToDouble(v)));
      case F64x2_NEAREST:
        return f64(Math.rint(Double.longBitsToDouble(v)));
      default:
        break;
    }
    switch (op) {
      case F32x4_SQRT:
      case F32x4_CEIL:
      case F32x4_FLOOR:
      case F32x4_TRUNC:
      case F32x4_NEAREST:
      case I32x4_TRUNC_SAT_F32X4_S:
      case I32x4_TRUNC_SAT_F32X4_U:
      case F32x4_CONVERT_I32x4_S:
      case F32x4_CONVERT_I32x4_U:
        return pack32(unary32(op, (int) v), unary32(op, (int) (v >>> 32)));
      default:
        break;
    }
    long r = 0;
    switch (op) {
      case I8x16_ABS:
        for (int s = 0; s < 64; s += 8) r |= (Math.abs((byte) (v >>> s)) & 0xFFL) << s;
        return r;
      case I8x16_NEG:
        for (int s = 0; s < 64; s += 8) r |= (-(byte) (v >>> s) & 0xFFL) << s;
        return r;
      case I8x16_POPCNT:
        for (int s = 0; s < 64; s += 8) r |= (long) Long.bitCount((v >>> s) & 0xFF) << s;
        return r;
      case I16x8_ABS:
        for (int s = 0; s < 64; s += 16) r |= (Math.abs((short) (v >>> s)) & 0xFFFFL) << s;
        return r;
      case I16x8_NEG:
        for (int s = 0; s < 64; s += 16) r |= (-(short) (v >>> s) & 0xFFFFL) << s;
        return r;
      case I16x8_EXTADD_PAIRWISE_I8x16_S:
        for (int s = 0; s < 64; s += 16) {
          r |= (((byte) (v >>> s) + (byte) (v >>> (s + 8))) & 0xFFFFL) << s;
        }
        return r;
      case I16x8_EXTADD_PAIRWISE_I8x16_U:
        for (int s = 0; s < 64; s += 16) {
          r |= (((v >>> s) & 0xFF) + ((v >>> (s + 8)) & 0xFF)) << s;
        }
        return r;
      case I32x4_EXTADD_PAIRWISE_I16x8_S:
        return pack32((short) v + (short) (v >>> 16), (short) (v >>> 32) + (short) (v >>> 48));
      case I32x4_EXTADD_PAIRWISE_I16x8_U:
        return pack32((int) ((v & 0xFFFF) + ((v >>> 16) & 0xFFFF)),
            (int) (((v >>> 32) & 0xFFFF) + ((v >>> 48) & 0xFFFF)));
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private static double trunc(double d) {
    return d < 0 ? Math.ceil(d) : Math.floor(d);
  }

  private static int unary32(OpCode op, int bits) {
    float f = Float.intBitsToFloat(bits);
    switch (op) {
      case F32x4_SQRT:
        return f32((float) Math.sqrt(f)); // sqrt in double then rounding is exact for f32
      case F32x4_CEIL:
        return f32((float) Math.ceil(f));
      case F32x4_FLOOR:
        return f32((float) Math.floor(f));
      case F32x4_TRUNC:
        return f32((float) trunc(f));
      case F32x4_NEAREST:
        return f32((float) Math.rint(f));
      case I32x4_TRUNC_SAT_F32X4_S:
        return (int) f; // Java saturates and maps NaN to 0, as trunc_sat does
      case I32x4_TRUNC_SAT_F32X4_U:
        return truncSatU32(f);
      case F32x4_CONVERT_I32x4_S:
        return Float.floatToRawIntBits((float) bits);
      case F32x4_CONVERT_I32x4_U:
        return Float.floatToRawIntBits((float) (bits & 0xFFFF_FFFFL));
      default:
        throw new IllegalStateException(op.toString());
    }
  }

  private static int truncSatU32(double d) {
    if (!(d > -1.0)) return 0; // NaN, or <= -1
    if (d >= 4294967296.0) return -1;
    return (int) (long) d;
  }

  // ---- widening and narrowing -------------------------------------------------------

  /** Pushes the v128 made by widening the lanes of the 64 bits {@code v}. */
  private static void pushExtend(MStack stack, OpCode op, long v) {
    long lo = 0;
    long hi = 0;
    switch (op) {
      case V128_LOAD8x8_S:
      case I16x8_EXTEND_LOW_I8x16_S:
      case I16x8_EXTEND_HIGH_I8x16_S:
        for (int i = 0; i < 4; i++) {
          lo |= ((byte) (v >>> (i * 8)) & 0xFFFFL) << (i * 16);
          hi |= ((byte) (v >>> (32 + i * 8)) & 0xFFFFL) << (i * 16);
        }
        break;
      case V128_LOAD8x8_U:
      case I16x8_EXTEND_LOW_I8x16_U:
      case I16x8_EXTEND_HIGH_I8x16_U:
        for (int i = 0; i < 4; i++) {
          lo |= ((v >>> (i * 8)) & 0xFFL) << (i * 16);
          hi |= ((v >>> (32 + i * 8)) & 0xFFL) << (i * 16);
        }
        break;
      case V128_LOAD16x4_S:
      case I32x4_EXTEND_LOW_I16x8_S:
      case I32x4_EXTEND_HIGH_I16x8_S:
        lo = pack32((short) v, (short) (v >>> 16));
        hi = pack32((short) (v >>> 32), (short) (v >>> 48));
        break;
      case V128_LOAD16x4_U:
      case I32x4_EXTEND_LOW_I16x8_U:
      case I32x4_EXTEND_HIGH_I16x8_U:
        lo = (v & 0xFFFFL) | ((v >>> 16) & 0xFFFFL) << 32;
        hi = ((v >>> 32) & 0xFFFFL) | ((v >>> 48) & 0xFFFFL) << 32;
        break;
      case V128_LOAD32x2_S:
      case I64x2_EXTEND_LOW_I32x4_S:
      case I64x2_EXTEND_HIGH_I32x4_S:
        lo = (int) v;
        hi = (int) (v >>> 32);
        break;
      default: // 32x2_U
        lo = v & 0xFFFF_FFFFL;
        hi = v >>> 32;
        break;
    }
    stack.push(lo);
    stack.push(hi);
  }

  private static void narrow(MStack stack, OpCode op) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    long lo;
    long hi;
    if (op == OpCode.I8x16_NARROW_I16x8_S || op == OpCode.I8x16_NARROW_I16x8_U) {
      boolean u = op == OpCode.I8x16_NARROW_I16x8_U;
      lo = narrow16(al, u) | narrow16(ah, u) << 32;
      hi = narrow16(bl, u) | narrow16(bh, u) << 32;
    } else {
      boolean u = op == OpCode.I16x8_NARROW_I32x4_U;
      lo = narrow32(al, u) | narrow32(ah, u) << 32;
      hi = narrow32(bl, u) | narrow32(bh, u) << 32;
    }
    stack.push(lo);
    stack.push(hi);
  }

  /** Four signed 16-bit lanes to four saturated 8-bit lanes (in the low 32 bits). */
  private static long narrow16(long v, boolean unsigned) {
    long r = 0;
    for (int i = 0; i < 4; i++) {
      int x = (short) (v >>> (i * 16));
      x = unsigned ? Math.max(0, Math.min(255, x)) : Math.max(-128, Math.min(127, x));
      r |= (x & 0xFFL) << (i * 8);
    }
    return r;
  }

  /** Two signed 32-bit lanes to two saturated 16-bit lanes (in the low 32 bits). */
  private static long narrow32(long v, boolean unsigned) {
    long r = 0;
    for (int i = 0; i < 2; i++) {
      int x = (int) (v >>> (i * 32));
      x = unsigned ? Math.max(0, Math.min(65535, x)) : Math.max(-32768, Math.min(32767, x));
      r |= (x & 0xFFFFL) << (i * 16);
    }
    return r;
  }

  private static void extmul(MStack stack, OpCode op) {
    long bh = stack.pop();
    long bl = stack.pop();
    long ah = stack.pop();
    long al = stack.pop();
    boolean high;
    switch (op) {
      case I16x8_EXTMUL_HIGH_I8x16_S:
      case I16x8_EXTMUL_HIGH_I8x16_U:
      case I32x4_EXTMUL_HIGH_I16x8_S:
      case I32x4_EXTMUL_HIGH_I16x8_U:
      case I64x2_EXTMUL_HIGH_I32x4_S:
      case I64x2_EXTMUL_HIGH_I32x4_U:
        high = true;
        break;
      default:
        high = false;
    }
    long a = high ? ah : al;
    long b = high ? bh : bl;
    long lo = 0;
    long hi = 0;
    switch (op) {
      case I16x8_EXTMUL_LOW_I8x16_S:
      case I16x8_EXTMUL_HIGH_I8x16_S:
        for (int i = 0; i < 4; i++) {
          lo |= (((byte) (a >>> (i * 8)) * (byte) (b >>> (i * 8))) & 0xFFFFL) << (i * 16);
          hi |= (((byte) (a >>> (32 + i * 8)) * (byte) (b >>> (32 + i * 8))) & 0xFFFFL)
              << (i * 16);
        }
        break;
      case I16x8_EXTMUL_LOW_I8x16_U:
      case I16x8_EXTMUL_HIGH_I8x16_U:
        for (int i = 0; i < 4; i++) {
          lo |= (((a >>> (i * 8)) & 0xFF) * ((b >>> (i * 8)) & 0xFF)) << (i * 16);
          hi |= (((a >>> (32 + i * 8)) & 0xFF) * ((b >>> (32 + i * 8)) & 0xFF)) << (i * 16);
        }
        break;
      case I32x4_EXTMUL_LOW_I16x8_S:
      case I32x4_EXTMUL_HIGH_I16x8_S:
        lo = pack32((short) a * (short) b, (short) (a >>> 16) * (short) (b >>> 16));
        hi = pack32((short) (a >>> 32) * (short) (b >>> 32),
            (short) (a >>> 48) * (short) (b >>> 48));
        break;
      case I32x4_EXTMUL_LOW_I16x8_U:
      case I32x4_EXTMUL_HIGH_I16x8_U:
        lo = pack32((int) ((a & 0xFFFF) * (b & 0xFFFF)),
            (int) (((a >>> 16) & 0xFFFF) * ((b >>> 16) & 0xFFFF)));
        hi = pack32((int) (((a >>> 32) & 0xFFFF) * ((b >>> 32) & 0xFFFF)),
            (int) (((a >>> 48) & 0xFFFF) * ((b >>> 48) & 0xFFFF)));
        break;
      case I64x2_EXTMUL_LOW_I32x4_S:
      case I64x2_EXTMUL_HIGH_I32x4_S:
        lo = (long) (int) a * (long) (int) b;
        hi = (long) (int) (a >>> 32) * (long) (int) (b >>> 32);
        break;
      default: // I64x2 unsigned
        lo = (a & 0xFFFF_FFFFL) * (b & 0xFFFF_FFFFL);
        hi = (a >>> 32) * (b >>> 32);
        break;
    }
    stack.push(lo);
    stack.push(hi);
  }
}
