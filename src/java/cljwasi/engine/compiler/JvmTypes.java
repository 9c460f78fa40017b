package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * How Wasm values live on the JVM: i32 as int, i64 as long, f32 as float, f64 as double,
 * references (funcref, externref: Chicory's int handles, -1 for null) as int; and how they
 * convert to and from the long of Chicory's boxed {@code long[]} convention (as Chicory's
 * {@code Value} helpers do, so both engines hand the host the same longs).
 */
public final class JvmTypes {
  private JvmTypes() {}

  static final String CONTEXT = Type.getInternalName(Context.class);
  static final String CONTEXT_DESC = Type.getDescriptor(Context.class);
  private static final String VALUE = "com/dylibso/chicory/wasm/types/Value";
  /** v128: an immutable {@link V128} reference (two longs in the boxed convention). */
  static final Type V128_TYPE = Type.getType(V128.class);

  static Type of(ValType t) throws Unsupported {
    if (t.equals(ValType.I32)) return Type.INT_TYPE;
    if (t.equals(ValType.I64)) return Type.LONG_TYPE;
    if (t.equals(ValType.F32)) return Type.FLOAT_TYPE;
    if (t.equals(ValType.F64)) return Type.DOUBLE_TYPE;
    if (t.equals(ValType.V128)) return V128_TYPE;
    if (t.isReference()) return Type.INT_TYPE;
    throw new Unsupported("value type " + t);
  }

  /** The descriptor of a compiled function of type {@code ft}: its parameters, the Context. */
  static String descriptor(FunctionType ft) throws Unsupported {
    return descriptor(ft, "");
  }

  /**
   * The descriptor of a {@code call_indirect} dispatcher for type {@code ft}: the function's
   * parameters, the table index, the Context.
   */
  static String dispatcherDescriptor(FunctionType ft) throws Unsupported {
    return descriptor(ft, "I");
  }

  /**
   * The descriptor of the body of a function that makes tail calls to other functions
   * ({@link Trampolines}): its parameters, its {@link TailFrame}, the Context.
   */
  static String tailBodyDescriptor(FunctionType ft) throws Unsupported {
    return descriptor(ft, Trampolines.FRAME_DESC);
  }

  /**
   * The descriptor of a {@code return_call_indirect} dispatcher: the function's parameters,
   * the table index, the caller's {@link TailFrame}, the Context.
   */
  static String tailDispatcherDescriptor(FunctionType ft) throws Unsupported {
    return descriptor(ft, "I" + Trampolines.FRAME_DESC);
  }

  private static String descriptor(FunctionType ft, String extra) throws Unsupported {
    StringBuilder sb = new StringBuilder("(");
    for (ValType p : ft.params()) sb.append(of(p).getDescriptor());
    sb.append(extra).append(CONTEXT_DESC).append(')');
    return sb.append(returnType(ft.returns()).getDescriptor()).toString();
  }

  /** void, the one result's type, or long[] (several results, boxed). */
  static Type returnType(List<ValType> results) throws Unsupported {
    if (results.isEmpty()) return Type.VOID_TYPE;
    if (results.size() == 1) return of(results.get(0));
    for (ValType r : results) of(r); // refuse an unknown type among them
    return Type.getType(long[].class);
  }

  /** How many longs a value of type {@code t} takes in the boxed {@code long[]} convention. */
  static int boxedWidth(Type t) {
    return t.equals(V128_TYPE) ? 2 : 1;
  }

  /** Stores a value into a boxed array: [long[] index value] to []; a v128 takes two longs. */
  static void storeBoxed(MethodVisitor mv, Type t) {
    if (t.equals(V128_TYPE)) {
      mv.visitMethodInsn(Opcodes.INVOKESTATIC, V128_TYPE.getInternalName(), "box",
          "([JI" + V128_TYPE.getDescriptor() + ")V", false);
    } else {
      toLong(mv, t);
      mv.visitInsn(Opcodes.LASTORE);
    }
  }

  /** Loads a value from a boxed array: [long[] index] to [value]. */
  static void loadBoxed(MethodVisitor mv, Type t) {
    if (t.equals(V128_TYPE)) {
      mv.visitMethodInsn(Opcodes.INVOKESTATIC, V128_TYPE.getInternalName(), "unbox",
          "([JI)" + V128_TYPE.getDescriptor(), false);
    } else {
      mv.visitInsn(Opcodes.LALOAD);
      fromLong(mv, t);
    }
  }

  /** The length of the boxed array of values of types {@code ts}. */
  static int boxedLength(List<Type> ts) {
    int n = 0;
    for (Type t : ts) n += boxedWidth(t);
    return n;
  }

  /** Converts the JVM value of type {@code t} on the stack to its long. */
  static void toLong(MethodVisitor mv, Type t) {
    switch (t.getSort()) {
      case Type.INT:
        mv.visitInsn(Opcodes.I2L);
        break;
      case Type.FLOAT:
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "floatToLong", "(F)J", false);
        break;
      case Type.DOUBLE:
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "doubleToLong", "(D)J", false);
        break;
      default:
        break; // long
    }
  }

  /** Converts the long on the stack to the JVM value of type {@code t}. */
  static void fromLong(MethodVisitor mv, Type t) {
    switch (t.getSort()) {
      case Type.INT:
        mv.visitInsn(Opcodes.L2I);
        break;
      case Type.FLOAT:
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "longToFloat", "(J)F", false);
        break;
      case Type.DOUBLE:
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "longToDouble", "(J)D", false);
        break;
      default:
        break;
    }
  }

  /** Pushes int constant {@code v} with the shortest instruction (also for ChicoryInternals). */
  public static void pushInt(MethodVisitor mv, int v) {
    if (v >= -1 && v <= 5) {
      mv.visitInsn(Opcodes.ICONST_0 + v);
    } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
      mv.visitIntInsn(Opcodes.BIPUSH, v);
    } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
      mv.visitIntInsn(Opcodes.SIPUSH, v);
    } else {
      mv.visitLdcInsn(v);
    }
  }

  /** Pushes the zero of type {@code t} (a v128's is {@link V128#ZERO}). */
  static void pushZero(MethodVisitor mv, Type t) {
    switch (t.getSort()) {
      case Type.LONG:
        mv.visitInsn(Opcodes.LCONST_0);
        break;
      case Type.FLOAT:
        mv.visitInsn(Opcodes.FCONST_0);
        break;
      case Type.DOUBLE:
        mv.visitInsn(Opcodes.DCONST_0);
        break;
      case Type.OBJECT: // v128
        mv.visitFieldInsn(Opcodes.GETSTATIC, t.getInternalName(), "ZERO", t.getDescriptor());
        break;
      default:
        mv.visitInsn(Opcodes.ICONST_0);
    }
  }

  static void pop(MethodVisitor mv, Type t) {
    mv.visitInsn(t.getSize() == 2 ? Opcodes.POP2 : Opcodes.POP);
  }
}
