package cljwasi.engine.compiler;

import cljwasi.engine.Memories;
import cljwasi.engine.interp.Lanes;
import cljwasi.engine.interp.Swar;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
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
  private static final String V128_CLASS = JvmTypes.V128_TYPE.getInternalName();
  private static final String SWAR = Type.getInternalName(Swar.class);
  private static final String MEMORIES = Type.getInternalName(Memories.class);

  private final MethodVisitor mv;
  private final List<Type> stack;
  /** Pushes the memory operands (FunctionCompiler's locals: array, size). */
  private final Runnable pushMemory;
  private final int ctxSlot;
  /** Marks the code after a trap written here as unreachable (FunctionCompiler's state). */
  private final Runnable unreachable;
  /** FunctionCompiler's temporaries: the slot of the i-th temporary of a type. */
  private final BiFunction<Type, Integer, Integer> temp;

  SimdCompiler(MethodVisitor mv, List<Type> stack, Runnable pushMemory, int ctxSlot,
      Runnable unreachable, BiFunction<Type, Integer, Integer> temp) {
    this.mv = mv;
    this.stack = stack;
    this.pushMemory = pushMemory;
    this.ctxSlot = ctxSlot;
    this.unreachable = unreachable;
    this.temp = temp;
  }

  /**
   * The operations that work on each half of their v128 operands on its own, written in
   * place: the halves of the operands pushed as longs, then the code here, which leaves the
   * result's half (first the low halves, then the high ones). No call of a V128Ops method
   * that HotSpot might decline to inline (C2 does at call sites its profile counts as cold,
   * e.g. in OSR-compiled loops; C1 inlines nothing over 35 bytes), and the V128 is built
   * right here, where escape analysis sees it. The integer lane arithmetic is {@link Swar}'s.
   */
  private static final class HalfOp {
    /** The v128 operands. */
    final int operands;
    /** Writes the code that takes one half of each operand and leaves the result's. */
    final java.util.function.Consumer<MethodVisitor> code;

    HalfOp(int operands, java.util.function.Consumer<MethodVisitor> code) {
      this.operands = operands;
      this.code = code;
    }

    static HalfOp insns(int operands, int... opcodes) {
      return new HalfOp(operands, mv -> {
        for (int o : opcodes) mv.visitInsn(o);
      });
    }

    /** {@code owner.name(long...)long} on the halves. */
    static HalfOp call(int operands, String owner, String name) {
      String desc = "(" + "J".repeat(operands) + ")J";
      return new HalfOp(operands, mv -> mv.visitMethodInsn(INVOKESTATIC, owner, name, desc, false));
    }

    /** ~x (x ^ -1) on the top half, then {@code then}. */
    static HalfOp notThen(int operands, int... then) {
      return new HalfOp(operands, mv -> {
        mv.visitLdcInsn(-1L);
        mv.visitInsn(LXOR);
        for (int o : then) mv.visitInsn(o);
      });
    }
  }

  private static final Map<OpCode, HalfOp> PER_HALF = new EnumMap<>(OpCode.class);

  static {
    PER_HALF.put(OpCode.V128_AND, HalfOp.insns(2, LAND));
    PER_HALF.put(OpCode.V128_OR, HalfOp.insns(2, LOR));
    PER_HALF.put(OpCode.V128_XOR, HalfOp.insns(2, LXOR));
    PER_HALF.put(OpCode.V128_ANDNOT, HalfOp.notThen(2, LAND));
    PER_HALF.put(OpCode.V128_NOT, HalfOp.notThen(1));
    PER_HALF.put(OpCode.V128_BITSELECT, HalfOp.call(3, SWAR, "bitselect"));
    PER_HALF.put(OpCode.I64x2_ADD, HalfOp.insns(2, LADD));
    PER_HALF.put(OpCode.I64x2_SUB, HalfOp.insns(2, LSUB));
    PER_HALF.put(OpCode.I64x2_MUL, HalfOp.insns(2, LMUL));
    String[][] swar = {
        {"I32x4_ADD", "add32"}, {"I32x4_SUB", "sub32"}, {"I32x4_MUL", "mul32"},
        {"I16x8_ADD", "add16"}, {"I16x8_SUB", "sub16"}, {"I16x8_MUL", "mul16"},
        {"I8x16_ADD", "add8"}, {"I8x16_SUB", "sub8"}, {"I8x16_EQ", "eq8"}};
    for (String[] e : swar) PER_HALF.put(OpCode.valueOf(e[0]), HalfOp.call(2, SWAR, e[1]));
    PER_HALF.put(OpCode.I16x8_EXTADD_PAIRWISE_I8x16_U, HalfOp.call(1, SWAR, "pairwiseU8"));
    PER_HALF.put(OpCode.I32x4_EXTADD_PAIRWISE_I16x8_U, HalfOp.call(1, SWAR, "pairwiseU16"));
    for (String shape : new String[] {"F32x4", "F64x2"}) {
      for (String op : new String[] {"ADD", "SUB", "MUL"}) {
        String name = shape.substring(0, 3).toLowerCase(java.util.Locale.ROOT)
            + op.charAt(0) + op.substring(1).toLowerCase(java.util.Locale.ROOT); // f32Add ...
        PER_HALF.put(OpCode.valueOf(shape + "_" + op), HalfOp.call(2, OPS, name));
      }
    }
  }

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

  // ---- v128 locals: two long slots (lo, then hi) -------------------------------------------------
  // A V128 kept in a local and carried around a loop is a phi of references at the loop header,
  // which C2's escape analysis (JDK 17) does not scalar-replace: one allocation per iteration.
  // As two longs, the V128s live only within expressions, where escape analysis removes them.

  /** The JVM slots a v128 local takes. */
  static final int LOCAL_SLOTS = 4;

  /** Pushes a V128 of the local at {@code slot} (operand-stack tracking is the caller's). */
  void loadLocal(int slot) {
    newV128();
    mv.visitVarInsn(LLOAD, slot);
    mv.visitVarInsn(LLOAD, slot + 2);
    mv.visitMethodInsn(INVOKESPECIAL, V128_CLASS, "<init>", "(JJ)V", false);
  }

  /** Pops a V128 into the local at {@code slot} (operand-stack tracking is the caller's). */
  void storeLocal(int slot) {
    mv.visitInsn(DUP);
    mv.visitFieldInsn(GETFIELD, V128_CLASS, "lo", "J");
    mv.visitVarInsn(LSTORE, slot);
    mv.visitFieldInsn(GETFIELD, V128_CLASS, "hi", "J");
    mv.visitVarInsn(LSTORE, slot + 2);
  }

  void zeroLocal(int slot) {
    mv.visitInsn(LCONST_0);
    mv.visitVarInsn(LSTORE, slot);
    mv.visitInsn(LCONST_0);
    mv.visitVarInsn(LSTORE, slot + 2);
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
    HalfOp perHalf = PER_HALF.get(op);
    if (perHalf != null) {
      perHalf(perHalf.operands, () -> perHalf.code.accept(mv));
      return true;
    }
    Lanes.Decoded d = Lanes.decode(op);
    if (d != null && d.op.arity == Lanes.Arity.SHIFT && d.shape.bits < 64) {
      shift(d);
      return true;
    }
    if (d != null) {
      lanewise(d);
      return true;
    }
    String n = op.name();
    int bits = Lanes.width(op);
    boolean signed = Lanes.signed(op);
    if (op == OpCode.V128_LOAD) {
      load(ins);
      return true;
    }
    if (op == OpCode.V128_STORE) {
      store(ins);
      return true;
    }
    if (n.startsWith("V128_LOAD") || n.startsWith("V128_STORE")) {
      memory(op, ins, bits, signed);
      return true;
    }
    if (n.endsWith("_SPLAT")) {
      splat(bits);
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
      narrow(bits, signed);
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
        shuffle(ins.operand(0), ins.operand(1));
        return true;
      case I8x16_SWIZZLE:
        call("swizzle", "(" + V + V + ")" + V, 2);
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

  /** extract_lane, in place: the lane's half, shifted, narrowed to the scalar type. */
  private void extract(OpCode op, int lane, int bits, boolean signed) {
    stack.remove(stack.size() - 1);
    int perHalf = 64 / bits;
    mv.visitFieldInsn(GETFIELD, V128_CLASS, lane < perHalf ? "lo" : "hi", "J");
    int shift = (lane % perHalf) * bits;
    if (shift > 0) {
      pushInt(shift);
      mv.visitInsn(LUSHR);
    }
    String n = op.name();
    if (n.startsWith("I64x2")) {
      stack.add(Type.LONG_TYPE);
    } else if (n.startsWith("F64x2")) {
      mv.visitMethodInsn(INVOKESTATIC, "java/lang/Double", "longBitsToDouble", "(J)D", false);
      stack.add(Type.DOUBLE_TYPE);
    } else {
      mv.visitInsn(L2I);
      if (bits < 32) { // i8x16, i16x8: sign- or zero-extended
        if (signed) {
          pushInt(32 - bits);
          mv.visitInsn(ISHL);
          pushInt(32 - bits);
          mv.visitInsn(ISHR);
        } else {
          mv.visitLdcInsn((int) Lanes.mask(bits));
          mv.visitInsn(IAND);
        }
      }
      if (n.startsWith("F32x4")) {
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Float", "intBitsToFloat", "(I)F", false);
        stack.add(Type.FLOAT_TYPE);
      } else {
        stack.add(Type.INT_TYPE);
      }
    }
  }

  // ---- operations written in place ------------------------------------------------------------

  private int tempSlot(Type t, int i) {
    return temp.apply(t, i);
  }

  /** Stores the top {@code n} v128 operands in temporaries; their slots, deepest first. */
  private int[] spillV128(int n) {
    int[] slots = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      slots[i] = tempSlot(JvmTypes.V128_TYPE, i);
      mv.visitVarInsn(ASTORE, slots[i]);
      stack.remove(stack.size() - 1);
    }
    return slots;
  }

  private void half(int slot, boolean hi) {
    mv.visitVarInsn(ALOAD, slot);
    mv.visitFieldInsn(GETFIELD, V128_CLASS, hi ? "hi" : "lo", "J");
  }

  private void newV128() {
    mv.visitTypeInsn(NEW, V128_CLASS);
    mv.visitInsn(DUP);
  }

  private void initV128() {
    mv.visitMethodInsn(INVOKESPECIAL, V128_CLASS, "<init>", "(JJ)V", false);
    stack.add(JvmTypes.V128_TYPE);
  }

  /**
   * Replaces the top {@code operands} v128 values by the v128 whose low half is what
   * {@code code} makes of their low halves (pushed in order) and whose high half the same of
   * their high halves.
   */
  private void perHalf(int operands, Runnable code) {
    int[] slots = spillV128(operands);
    newV128();
    for (boolean hi : new boolean[] {false, true}) {
      for (int slot : slots) half(slot, hi);
      code.run();
    }
    initV128();
  }

  private static long lowBits(int bits) {
    return bits == 8 ? Swar.LOW8 : bits == 16 ? Swar.LOW16 : Swar.LOW32;
  }

  /** shl, shr_s, shr_u of 8-, 16- and 32-bit lanes: the count modulo the width, then Swar. */
  private void shift(Lanes.Decoded d) {
    int bits = d.shape.bits;
    stack.remove(stack.size() - 1); // the count
    int count = tempSlot(Type.INT_TYPE, 0);
    pushInt(bits - 1);
    mv.visitInsn(IAND);
    mv.visitVarInsn(ISTORE, count);
    String name = d.op == Lanes.Op.SHL ? "shl" : d.op == Lanes.Op.SHR_S ? "shrS" : "shrU";
    perHalf(1, () -> {
      mv.visitVarInsn(ILOAD, count);
      pushInt(bits);
      pushLong(lowBits(bits));
      mv.visitMethodInsn(INVOKESTATIC, SWAR, name, "(JIIJ)J", false);
    });
  }

  /** splat: the scalar's low bits in every lane of both halves. */
  private void splat(int bits) {
    scalarToLong();
    stack.remove(stack.size() - 1);
    if (bits < 64) {
      pushInt(bits);
      pushLong(lowBits(bits));
      mv.visitMethodInsn(INVOKESTATIC, SWAR, "splat", "(JIJ)J", false);
    }
    int v = tempSlot(Type.LONG_TYPE, 0);
    mv.visitVarInsn(LSTORE, v);
    newV128();
    mv.visitVarInsn(LLOAD, v);
    mv.visitVarInsn(LLOAD, v);
    initV128();
  }

  /** narrow: a's lanes saturated to half their width, then b's. */
  private void narrow(int bits, boolean signed) {
    int[] slots = spillV128(2);
    int max = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    int min = signed ? -max - 1 : 0;
    String name = bits == 16 ? "narrow32" : "narrow16"; // by the operands' lane width
    newV128();
    for (int slot : slots) {
      for (boolean hi : new boolean[] {false, true}) {
        half(slot, hi);
        pushInt(min);
        pushInt(max);
        mv.visitMethodInsn(INVOKESTATIC, SWAR, name, "(JII)J", false);
      }
      pushInt(32);
      mv.visitInsn(LSHL);
      mv.visitInsn(LOR);
    }
    initV128();
  }

  /**
   * i8x16.shuffle with its constant lane indices: each half of the result an OR of masked
   * shifts of the operands' halves, one per run of bytes that keep their distance (the
   * common patterns, interleaves and zero extensions, take a few).
   */
  private void shuffle(long sel0, long sel1) {
    int[] slots = spillV128(2);
    newV128();
    for (long sel : new long[] {sel0, sel1}) {
      // bytes grouped by (source half 0-3, shift in bytes -7..7): their mask
      Map<Integer, Long> groups = new java.util.TreeMap<>();
      for (int i = 0; i < 8; i++) {
        int s = (int) (sel >>> (8 * i)) & 0xFF; // < 32: validated
        int key = (s / 8) * 16 + ((s % 8) - i + 8);
        groups.merge(key, 0xFFL << (8 * i), (x, y) -> x | y);
      }
      boolean first = true;
      for (Map.Entry<Integer, Long> g : groups.entrySet()) {
        int source = g.getKey() / 16;
        int shift = (g.getKey() % 16 - 8) * 8; // right by this many bits (left when negative)
        half(slots[source / 2], source % 2 == 1);
        if (shift != 0) {
          pushInt(Math.abs(shift));
          mv.visitInsn(shift > 0 ? LUSHR : LSHL);
        }
        pushLong(g.getValue());
        mv.visitInsn(LAND);
        if (!first) mv.visitInsn(LOR);
        first = false;
      }
    }
    initV128();
  }

  /**
   * v128.load as two long loads through Memories (each small enough to inline), the high
   * one first: it checks the access's last byte, so an access that ends past the memory traps.
   */
  private void load(AnnotatedInstruction ins) {
    int offset = offset(ins);
    if (offset < 0 || offset > Integer.MAX_VALUE - 15) {
      outOfBoundsStatic(1);
      return;
    }
    stack.remove(stack.size() - 1);
    int addr = tempSlot(Type.INT_TYPE, 0);
    int hi = tempSlot(Type.LONG_TYPE, 0);
    mv.visitVarInsn(ISTORE, addr);
    loadLong(addr, offset + 8);
    mv.visitVarInsn(LSTORE, hi);
    newV128();
    loadLong(addr, offset);
    mv.visitVarInsn(LLOAD, hi);
    initV128();
  }

  private void loadLong(int addrSlot, int offset) {
    mv.visitVarInsn(ILOAD, addrSlot);
    pushInt(offset);
    pushMemory.run();
    mv.visitMethodInsn(INVOKESTATIC, MEMORIES, "loadLong", "(II" + MEM + ")J", false);
  }

  /** v128.store as two long stores, the high one first: a store that traps writes nothing. */
  private void store(AnnotatedInstruction ins) {
    int offset = offset(ins);
    if (offset < 0 || offset > Integer.MAX_VALUE - 15) {
      outOfBoundsStatic(2);
      return;
    }
    int value = spillV128(1)[0];
    stack.remove(stack.size() - 1);
    int addr = tempSlot(Type.INT_TYPE, 0);
    mv.visitVarInsn(ISTORE, addr);
    for (boolean hi : new boolean[] {true, false}) {
      mv.visitVarInsn(ILOAD, addr);
      half(value, hi);
      pushInt(hi ? offset + 8 : offset);
      pushMemory.run();
      mv.visitMethodInsn(INVOKESTATIC, MEMORIES, "storeLong", "(IJI" + MEM + ")V", false);
    }
  }

  /** An access whose effective address is 2 GiB or more: out of bounds whatever the address. */
  private void outOfBoundsStatic(int operands) {
    for (int i = 0; i < operands; i++) JvmTypes.pop(mv, stack.remove(stack.size() - 1));
    mv.visitMethodInsn(INVOKESTATIC, MEMORIES, "outOfBounds",
        "()Lcom/dylibso/chicory/runtime/WasmRuntimeException;", false);
    mv.visitInsn(ATHROW);
    unreachable.run();
  }

  /** The loads and stores other than v128.load and v128.store, through V128Ops. */
  private void memory(OpCode op, AnnotatedInstruction ins, int bits, boolean signed) {
    String n = op.name();
    boolean lane = n.endsWith("_LANE");
    boolean store = n.startsWith("V128_STORE");
    int offset = offset(ins);
    if (offset < 0) {
      outOfBoundsStatic(store || lane ? 2 : 1);
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
    if (n.endsWith("_SPLAT")) {
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
