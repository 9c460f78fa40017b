package cljwasi.engine.compiler;

import cljwasi.engine.Memories;
import cljwasi.engine.interp.Lanes;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import static org.objectweb.asm.Opcodes.*;

/**
 * The 0xFD-prefixed (128-bit SIMD) instructions of one function being compiled: each is a
 * static call of a {@link V128Ops} method, its immediates (lane, lane width, operation and
 * shape, memory offset) passed as constants. v128 values are {@link V128} references
 * ({@link JvmTypes#V128_TYPE}). Works on the {@link FunctionCompiler}'s method and operand-stack
 * types.
 */
final class SimdCompiler {
  private static final String OPS = Type.getInternalName(V128Ops.class);
  private static final String V = JvmTypes.V128_TYPE.getDescriptor();
  private static final String OP = Type.getDescriptor(Lanes.Op.class);
  private static final String SHAPE = Type.getDescriptor(Lanes.Shape.class);
  private static final String MEM = FunctionCompiler.MEM;
  private static final String CTX = JvmTypes.CONTEXT_DESC;

  private final MethodVisitor mv;
  private final List<Type> stack;
  /** Pushes the memory operands (FunctionCompiler's locals: array, size). */
  private final Runnable pushMemory;
  private final int ctxSlot;
  /** Marks the code after a trap written here as unreachable (FunctionCompiler's state). */
  private final Runnable unreachable;

  SimdCompiler(MethodVisitor mv, List<Type> stack, Runnable pushMemory, int ctxSlot,
      Runnable unreachable) {
    this.mv = mv;
    this.stack = stack;
    this.pushMemory = pushMemory;
    this.ctxSlot = ctxSlot;
    this.unreachable = unreachable;
  }

  /**
   * The binary operations the hot loops of real code use most, written out in V128Ops
   * (the general {@code binary} goes through Lanes' switches and lane loops, too big for
   * HotSpot to inline and fold).
   */
  private static final Map<OpCode, String> FAST_BINARY = new EnumMap<>(Map.ofEntries(
      Map.entry(OpCode.I32x4_ADD, "i32x4Add"), Map.entry(OpCode.I32x4_SUB, "i32x4Sub"),
      Map.entry(OpCode.I32x4_MUL, "i32x4Mul"), Map.entry(OpCode.I64x2_ADD, "i64x2Add"),
      Map.entry(OpCode.I64x2_SUB, "i64x2Sub"), Map.entry(OpCode.V128_AND, "and"),
      Map.entry(OpCode.V128_OR, "or"), Map.entry(OpCode.V128_XOR, "xor"),
      Map.entry(OpCode.V128_ANDNOT, "andnot"), Map.entry(OpCode.F32x4_ADD, "f32x4Add"),
      Map.entry(OpCode.F32x4_SUB, "f32x4Sub"), Map.entry(OpCode.F32x4_MUL, "f32x4Mul"),
      Map.entry(OpCode.F64x2_ADD, "f64x2Add"), Map.entry(OpCode.F64x2_SUB, "f64x2Sub"),
      Map.entry(OpCode.F64x2_MUL, "f64x2Mul")));

  static boolean isSimd(OpCode op) {
    return (op.opcode() & 0xFF00) == 0xFD00;
  }

  /** Calls {@code V128Ops.name(desc)} in place of {@code in} Wasm operands; pushes its result. */
  private void call(String name, String desc, int in) {
    mv.visitMethodInsn(INVOKESTATIC, OPS, name, desc, false);
    for (int i = 0; i < in; i++) stack.remove(stack.size() - 1);
    Type r = Type.getReturnType(desc);
    if (r.getSort() != Type.VOID) stack.add(r);
  }

  private void pushInt(int v) {
    JvmTypes.pushInt(mv, v);
  }

  private void pushBool(boolean b) {
    mv.visitInsn(b ? ICONST_1 : ICONST_0);
  }

  private void pushLong(long v) {
    mv.visitLdcInsn(v);
  }

  private void pushOp(Lanes.Decoded d) {
    mv.visitFieldInsn(GETSTATIC, Type.getInternalName(Lanes.Op.class), d.op.name(), OP);
    mv.visitFieldInsn(GETSTATIC, Type.getInternalName(Lanes.Shape.class), d.shape.name(), SHAPE);
  }

  /** Converts the scalar on top of the stack to the long holding its bits. */
  private void scalarToLong() {
    Type t = stack.remove(stack.size() - 1);
    switch (t.getSort()) {
      case Type.FLOAT:
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Float", "floatToRawIntBits", "(F)I", false);
        mv.visitInsn(I2L);
        break;
      case Type.DOUBLE:
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Double", "doubleToRawLongBits", "(D)J", false);
        break;
      case Type.INT:
        mv.visitInsn(I2L);
        break;
      default:
        break;
    }
    stack.add(Type.LONG_TYPE);
  }

  /** The instruction's memory offset, or -1 when it is 2 GiB or more. */
  private static int offset(AnnotatedInstruction ins) {
    long o = ins.operand(1);
    return o < 0 || o > Integer.MAX_VALUE ? -1 : (int) o;
  }

  void globalGet(int global) {
    pushInt(global);
    mv.visitVarInsn(ALOAD, ctxSlot);
    call("globalGet", "(I" + CTX + ")" + V, 0);
  }

  void globalSet(int global) {
    pushInt(global);
    mv.visitVarInsn(ALOAD, ctxSlot);
    call("globalSet", "(" + V + "I" + CTX + ")V", 1);
  }

  /** Compiles {@code op} if it is a SIMD instruction; false when it is not one. */
  boolean translate(OpCode op, AnnotatedInstruction ins) {
    if (!isSimd(op)) return false;
    String fast = FAST_BINARY.get(op);
    if (fast != null) {
      call(fast, "(" + V + V + ")" + V, 2);
      return true;
    }
    Lanes.Decoded d = Lanes.decode(op);
    if (d != null) {
      lanewise(d);
      return true;
    }
    String n = op.name();
    int bits = Lanes.width(op);
    boolean signed = Lanes.signed(op);
    if (n.startsWith("V128_LOAD") || n.startsWith("V128_STORE")) {
      memory(op, ins, bits, signed);
      return true;
    }
    if (n.endsWith("_SPLAT")) {
      scalarToLong();
      pushInt(bits);
      call("splat", "(JI)" + V, 1);
      return true;
    }
    if (n.contains("_EXTRACT_LANE")) {
      extract(op, (int) ins.operand(0), bits, signed);
      return true;
    }
    if (n.endsWith("_REPLACE_LANE")) {
      scalarToLong();
      pushInt((int) ins.operand(0));
      pushInt(bits);
      call("replace", "(" + V + "JII)" + V, 2);
      return true;
    }
    if (n.contains("_EXTEND_")) {
      pushBool(n.contains("_HIGH_"));
      pushInt(bits);
      pushBool(signed);
      call("extend", "(" + V + "ZIZ)" + V, 1);
      return true;
    }
    if (n.contains("_EXTMUL_")) {
      pushBool(n.contains("_HIGH_"));
      pushInt(bits);
      pushBool(signed);
      call("extmul", "(" + V + V + "ZIZ)" + V, 2);
      return true;
    }
    if (n.contains("_NARROW_")) {
      pushInt(2 * bits); // the operands' lanes
      pushBool(!signed);
      call("narrow", "(" + V + V + "IZ)" + V, 2);
      return true;
    }
    switch (op) {
      case V128_CONST:
        pushLong(ins.operand(0));
        pushLong(ins.operand(1));
        mv.visitMethodInsn(INVOKESTATIC, JvmTypes.V128_TYPE.getInternalName(), "of", "(JJ)" + V, false);
        stack.add(JvmTypes.V128_TYPE);
        return true;
      case I8x16_SHUFFLE:
        pushLong(ins.operand(0));
        pushLong(ins.operand(1));
        call("shuffle", "(" + V + V + "JJ)" + V, 2);
        return true;
      case I8x16_SWIZZLE:
        call("swizzle", "(" + V + V + ")" + V, 2);
        return true;
      case V128_NOT:
        call("not", "(" + V + ")" + V, 1);
        return true;
      case V128_BITSELECT:
        call("bitselect", "(" + V + V + V + ")" + V, 3);
        return true;
      case V128_ANY_TRUE:
        call("anyTrue", "(" + V + ")I", 1);
        return true;
      case F32x4_DEMOTE_LOW_F64x2_ZERO:
        call("demote", "(" + V + ")" + V, 1);
        return true;
      case F64x2_PROMOTE_LOW_F32x4:
        call("promote", "(" + V + ")" + V, 1);
        return true;
      case F64x2_CONVERT_LOW_I32x4_S:
      case F64x2_CONVERT_LOW_I32x4_U:
        pushBool(op == OpCode.F64x2_CONVERT_LOW_I32x4_U);
        call("convertLow", "(" + V + "Z)" + V, 1);
        return true;
      case I32x4_TRUNC_SAT_F64x2_S_ZERO:
      case I32x4_TRUNC_SAT_F64x2_U_ZERO:
        pushBool(op == OpCode.I32x4_TRUNC_SAT_F64x2_U_ZERO);
        call("truncSatZero", "(" + V + "Z)" + V, 1);
        return true;
      default:
        return false; // not in the final 128-bit SIMD set (relaxed SIMD): refused
    }
  }

  private void lanewise(Lanes.Decoded d) {
    pushOp(d);
    switch (d.op.arity) {
      case BINARY:
        call("binary", "(" + V + V + OP + SHAPE + ")" + V, 2);
        break;
      case UNARY:
        call("unary", "(" + V + OP + SHAPE + ")" + V, 1);
        break;
      case SHIFT:
        call("shift", "(" + V + "I" + OP + SHAPE + ")" + V, 2);
        break;
      default: // TEST
        call("test", "(" + V + OP + SHAPE + ")I", 1);
    }
  }

  private void extract(OpCode op, int lane, int bits, boolean signed) {
    pushInt(lane);
    pushInt(bits);
    pushBool(signed);
    call("extract", "(" + V + "IIZ)J", 1);
    stack.remove(stack.size() - 1);
    String n = op.name();
    if (n.startsWith("I64x2")) {
      stack.add(Type.LONG_TYPE);
    } else if (n.startsWith("F64x2")) {
      mv.visitMethodInsn(INVOKESTATIC, "java/lang/Double", "longBitsToDouble", "(J)D", false);
      stack.add(Type.DOUBLE_TYPE);
    } else if (n.startsWith("F32x4")) {
      mv.visitInsn(L2I);
      mv.visitMethodInsn(INVOKESTATIC, "java/lang/Float", "intBitsToFloat", "(I)F", false);
      stack.add(Type.FLOAT_TYPE);
    } else {
      mv.visitInsn(L2I);
      stack.add(Type.INT_TYPE);
    }
  }

  private void memory(OpCode op, AnnotatedInstruction ins, int bits, boolean signed) {
    String n = op.name();
    boolean lane = n.endsWith("_LANE");
    boolean store = n.startsWith("V128_STORE");
    int offset = offset(ins);
    if (offset < 0) {
      // the effective address is 2 GiB or more: out of bounds whatever the address
      int operands = store || lane ? 2 : 1;
      for (int i = 0; i < operands; i++) JvmTypes.pop(mv, stack.remove(stack.size() - 1));
      mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Memories.class), "outOfBounds",
          "()Lcom/dylibso/chicory/runtime/WasmRuntimeException;", false);
      mv.visitInsn(ATHROW);
      unreachable.run();
      return;
    }
    pushInt(offset);
    if (lane) {
      pushInt((int) ins.operand(ins.operandCount() - 1)); // the lane, last
      pushInt(bits);
      pushMemory.run();
      if (store) {
        call("storeLane", "(I" + V + "III" + MEM + ")V", 2);
      } else {
        call("loadLane", "(I" + V + "III" + MEM + ")" + V, 2);
      }
      return;
    }
    pushMemory.run();
    if (store) {
      call("store", "(I" + V + "I" + MEM + ")V", 2);
    } else if (op == OpCode.V128_LOAD) {
      call("load", "(II" + MEM + ")" + V, 1);
    } else if (n.endsWith("_SPLAT")) {
      pushInt(bits);
      call("loadSplat", "(II" + MEM + "I)" + V, 1);
    } else if (n.endsWith("_ZERO")) {
      pushInt(bits);
      call("loadZero", "(II" + MEM + "I)" + V, 1);
    } else { // load8x8_s ... load32x2_u
      pushInt(bits);
      pushBool(signed);
      call("loadExtend", "(II" + MEM + "IZ)" + V, 1);
    }
  }
}
