package cljwasi.engine.compiler;

import static org.objectweb.asm.Opcodes.*;

import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * Tail calls between functions in constant JVM stack.
 *
 * <p>A function whose body makes a tail call to another function ({@code return_call} of
 * another, {@code return_call_indirect}) is compiled as two methods: its body
 * {@code t<N>(params..., TailFrame, Context)}, and {@code f<N>(params..., Context)}, the
 * method every caller, dispatcher and entry calls as for any other function. {@code f<N>}
 * takes the thread's {@link TailFrame} (clearing any call an interrupted trampoline left in
 * it), runs the body and, when the body left a tail call pending, runs the trampoline of its
 * result type until no call is pending. The body makes a tail call to a function that itself
 * tail-calls others by storing the callee and its arguments in the frame ({@code p<M>}) and
 * returning a placeholder (the trampoline makes the call); a tail call to any other function
 * cannot continue the chain, so it is an ordinary call followed by a return. Functions that make no such tail call, and so every module
 * without one, are compiled as before: direct {@code invokestatic}s, nothing added.
 *
 * <p>This class writes the wrappers (into each function's class) and the module's
 * {@code $Tail} class: the pending stores {@code p<M>(params..., TailFrame)} and, per JVM
 * result type, the trampoline {@code run<R>(TailFrame, Context)}, a loop over switches
 * ({@code step<R>_<k>}, at most {@link #CASES_PER_STEP} functions each, so that each stays
 * small enough for HotSpot to compile) with the interrupt countdown of a loop back-edge: a
 * loop made of tail calls alone stays interruptible.
 */
final class Trampolines {
  private Trampolines() {}

  /** Functions per trampoline switch method. */
  static final int CASES_PER_STEP = 128;

  private static final String FRAME = Type.getInternalName(TailFrame.class);
  static final String FRAME_DESC = Type.getDescriptor(TailFrame.class);
  private static final String CTX = JvmTypes.CONTEXT_DESC;
  private static final String SUPPORT = Type.getInternalName(Support.class);

  /** The name of the body of function {@code funcIdx} when it makes tail calls. */
  static String bodyName(int funcIdx) {
    return "t" + funcIdx;
  }

  /** The name of the method that leaves a tail call to {@code funcIdx} pending. */
  static String pendingName(int funcIdx) {
    return "p" + funcIdx;
  }

  /** The descriptor of {@link #pendingName}: the callee's parameters, the frame; void. */
  static String pendingDescriptor(FunctionType ft) throws Unsupported {
    StringBuilder sb = new StringBuilder("(");
    for (var p : ft.params()) sb.append(JvmTypes.of(p).getDescriptor());
    return sb.append(FRAME_DESC).append(")V").toString();
  }

  /** The trampoline for functions whose JVM result is {@code ret}. */
  private static String runName(Type ret) {
    return "run" + key(ret);
  }

  private static String key(Type ret) {
    switch (ret.getSort()) {
      case Type.OBJECT: return "X"; // v128
      case Type.ARRAY: return "A"; // several results, boxed
      default: return ret.getDescriptor();
    }
  }

  /**
   * Returns the placeholder result of a body that left a tail call pending (the trampoline
   * drops it): zero, null or nothing.
   */
  static void returnPlaceholder(MethodVisitor mv, Type ret) {
    switch (ret.getSort()) {
      case Type.VOID:
        mv.visitInsn(RETURN);
        return;
      case Type.ARRAY:
        mv.visitInsn(ACONST_NULL);
        break;
      default:
        JvmTypes.pushZero(mv, ret);
    }
    mv.visitInsn(ret.getOpcode(IRETURN));
  }

  /**
   * Writes {@code f<N>}, the method callers call, for a function whose body is
   * {@code t<N>}: the body, then the trampoline while a tail call is pending.
   */
  static void writeWrapper(ClassVisitor cv, String owner, int funcIdx, FunctionType ft,
      String tailClass) throws Unsupported {
    String desc = JvmTypes.descriptor(ft);
    MethodVisitor mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC,
        FunctionCompiler.methodName(funcIdx), desc, null, null);
    mv.visitCode();
    Type[] args = Type.getArgumentTypes(desc);
    int slot = 0;
    for (int i = 0; i < args.length - 1; i++) slot += args[i].getSize();
    int ctxSlot = slot;
    int frameSlot = slot + 1;
    mv.visitVarInsn(ALOAD, ctxSlot);
    mv.visitMethodInsn(INVOKEVIRTUAL, JvmTypes.CONTEXT, "tailFrame", "()" + FRAME_DESC, false);
    mv.visitVarInsn(ASTORE, frameSlot);
    // no call is pending at a call: one left by a trampoline that an interrupt, or a stack
    // overflow on its way in, cut short must not run now
    mv.visitVarInsn(ALOAD, frameSlot);
    JvmTypes.pushInt(mv, TailFrame.NONE);
    mv.visitFieldInsn(PUTFIELD, FRAME, "callee", "I");
    slot = 0;
    for (int i = 0; i < args.length - 1; i++) {
      mv.visitVarInsn(args[i].getOpcode(ILOAD), slot);
      slot += args[i].getSize();
    }
    mv.visitVarInsn(ALOAD, frameSlot);
    mv.visitVarInsn(ALOAD, ctxSlot);
    mv.visitMethodInsn(INVOKESTATIC, owner, bodyName(funcIdx), JvmTypes.tailBodyDescriptor(ft),
        false);
    Type ret = Type.getReturnType(desc);
    Label pending = new Label();
    mv.visitVarInsn(ALOAD, frameSlot);
    mv.visitFieldInsn(GETFIELD, FRAME, "callee", "I");
    mv.visitJumpInsn(IFGE, pending);
    mv.visitInsn(ret.getOpcode(IRETURN));
    mv.visitLabel(pending);
    if (ret.getSort() != Type.VOID) JvmTypes.pop(mv, ret);
    mv.visitVarInsn(ALOAD, frameSlot);
    mv.visitVarInsn(ALOAD, ctxSlot);
    mv.visitMethodInsn(INVOKESTATIC, tailClass, runName(ret), "(" + FRAME_DESC + CTX + ")"
        + ret.getDescriptor(), false);
    mv.visitInsn(ret.getOpcode(IRETURN));
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /** The {@code $Tail} class of a module, or null when no compiled function needs one. */
  static byte[] write(String className, ModuleView view) throws Unsupported {
    Signatures sigs = view.signatures();
    // the compiled functions that make tail calls, by JVM result type
    Map<String, List<Integer>> byResult = new TreeMap<>();
    Map<String, Type> resultTypes = new TreeMap<>();
    for (int f = sigs.importedFunctions(); f < sigs.functionCount(); f++) {
      if (!view.trampolined(f)) continue;
      Type ret = JvmTypes.returnType(sigs.functionType(f).returns());
      byResult.computeIfAbsent(key(ret), k -> new ArrayList<>()).add(f);
      resultTypes.put(key(ret), ret);
    }
    if (byResult.isEmpty()) return null;
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String a, String b) {
        return "java/lang/Object";
      }
    };
    cw.visit(V11, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, className, null, "java/lang/Object", null);
    for (List<Integer> fs : byResult.values()) {
      for (int f : fs) writePending(cw, f, sigs.functionType(f));
    }
    for (Map.Entry<String, List<Integer>> e : byResult.entrySet()) {
      Type ret = resultTypes.get(e.getKey());
      List<List<Integer>> steps = new ArrayList<>();
      List<Integer> fs = e.getValue();
      for (int i = 0; i < fs.size(); i += CASES_PER_STEP) {
        steps.add(fs.subList(i, Math.min(fs.size(), i + CASES_PER_STEP)));
      }
      for (int k = 0; k < steps.size(); k++) writeStep(cw, view, ret, k, steps.get(k));
      writeRun(cw, className, ret, steps);
    }
    cw.visitEnd();
    return cw.toByteArray();
  }

  /** {@code p<M>(params..., TailFrame)}: the arguments into the frame, boxed; the callee. */
  private static void writePending(ClassVisitor cv, int f, FunctionType ft) throws Unsupported {
    String desc = pendingDescriptor(ft);
    MethodVisitor mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC, pendingName(f), desc, null, null);
    mv.visitCode();
    Type[] args = Type.getArgumentTypes(desc);
    int frameSlot = 0;
    for (int i = 0; i < args.length - 1; i++) frameSlot += args[i].getSize();
    List<Type> params = List.of(args).subList(0, args.length - 1);
    mv.visitVarInsn(ALOAD, frameSlot);
    JvmTypes.pushInt(mv, JvmTypes.boxedLength(params));
    mv.visitMethodInsn(INVOKEVIRTUAL, FRAME, "args", "(I)[J", false);
    for (int i = 0, slot = 0, at = 0; i < params.size(); i++) {
      Type t = params.get(i);
      mv.visitInsn(DUP);
      JvmTypes.pushInt(mv, at);
      mv.visitVarInsn(t.getOpcode(ILOAD), slot);
      JvmTypes.storeBoxed(mv, t);
      slot += t.getSize();
      at += JvmTypes.boxedWidth(t);
    }
    mv.visitInsn(POP);
    mv.visitVarInsn(ALOAD, frameSlot);
    JvmTypes.pushInt(mv, f);
    mv.visitFieldInsn(PUTFIELD, FRAME, "callee", "I");
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  private static String stepName(Type ret, int k) {
    return "step" + key(ret) + "_" + k;
  }

  private static String stepDescriptor(Type ret) {
    return "(I" + FRAME_DESC + CTX + ")" + ret.getDescriptor();
  }

  /** {@code step<R>_<k>(callee, TailFrame, Context)}: the pending call of one of {@code fs}. */
  private static void writeStep(ClassVisitor cv, ModuleView view, Type ret, int k,
      List<Integer> fs) throws Unsupported {
    MethodVisitor mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC, stepName(ret, k),
        stepDescriptor(ret), null, null);
    mv.visitCode();
    int argsSlot = 3;
    mv.visitVarInsn(ALOAD, 1);
    mv.visitMethodInsn(INVOKEVIRTUAL, FRAME, "args", "()[J", false);
    mv.visitVarInsn(ASTORE, argsSlot);
    int[] keys = new int[fs.size()];
    Label[] labels = new Label[fs.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = fs.get(i);
      labels[i] = new Label();
    }
    Label unknown = new Label();
    mv.visitVarInsn(ILOAD, 0);
    mv.visitLookupSwitchInsn(unknown, keys, labels);
    Signatures sigs = view.signatures();
    for (int i = 0; i < keys.length; i++) {
      mv.visitLabel(labels[i]);
      FunctionType ft = sigs.functionType(keys[i]);
      int at = 0;
      for (var p : ft.params()) {
        Type t = JvmTypes.of(p);
        mv.visitVarInsn(ALOAD, argsSlot);
        JvmTypes.pushInt(mv, at);
        JvmTypes.loadBoxed(mv, t);
        at += JvmTypes.boxedWidth(t);
      }
      mv.visitVarInsn(ALOAD, 1);
      mv.visitVarInsn(ALOAD, 2);
      mv.visitMethodInsn(INVOKESTATIC, view.ownerOf(keys[i]), bodyName(keys[i]),
          JvmTypes.tailBodyDescriptor(ft), false);
      mv.visitInsn(ret.getOpcode(IRETURN));
    }
    mv.visitLabel(unknown);
    mv.visitVarInsn(ILOAD, 0);
    mv.visitMethodInsn(INVOKESTATIC, FRAME, "unknownCallee", "(I)Ljava/lang/RuntimeException;",
        false);
    mv.visitInsn(ATHROW);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /**
   * {@code run<R>(TailFrame, Context)}: makes the pending call, again while the callee
   * leaves another; counts down to the interrupt check on each round.
   */
  private static void writeRun(ClassVisitor cv, String className, Type ret,
      List<List<Integer>> steps) {
    MethodVisitor mv = cv.visitMethod(ACC_PUBLIC | ACC_STATIC, runName(ret),
        "(" + FRAME_DESC + CTX + ")" + ret.getDescriptor(), null, null);
    mv.visitCode();
    int countdown = 2;
    int callee = 3;
    mv.visitLdcInsn(Support.INTERRUPT_INTERVAL);
    mv.visitVarInsn(ISTORE, countdown);
    Label loop = new Label();
    mv.visitLabel(loop);
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, FRAME, "callee", "I");
    mv.visitVarInsn(ISTORE, callee);
    mv.visitVarInsn(ALOAD, 0);
    JvmTypes.pushInt(mv, TailFrame.NONE);
    mv.visitFieldInsn(PUTFIELD, FRAME, "callee", "I");
    Label called = new Label();
    for (int k = 0; k < steps.size(); k++) {
      Label next = new Label();
      boolean last = k == steps.size() - 1;
      if (!last) {
        List<Integer> s = steps.get(k);
        mv.visitVarInsn(ILOAD, callee);
        JvmTypes.pushInt(mv, s.get(s.size() - 1));
        mv.visitJumpInsn(IF_ICMPGT, next);
      }
      mv.visitVarInsn(ILOAD, callee);
      mv.visitVarInsn(ALOAD, 0);
      mv.visitVarInsn(ALOAD, 1);
      mv.visitMethodInsn(INVOKESTATIC, className, stepName(ret, k), stepDescriptor(ret), false);
      if (!last) {
        mv.visitJumpInsn(GOTO, called);
        mv.visitLabel(next);
      }
    }
    mv.visitLabel(called);
    Label pending = new Label();
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, FRAME, "callee", "I");
    mv.visitJumpInsn(IFGE, pending);
    mv.visitInsn(ret.getOpcode(IRETURN));
    mv.visitLabel(pending);
    if (ret.getSort() != Type.VOID) JvmTypes.pop(mv, ret);
    mv.visitIincInsn(countdown, -1);
    mv.visitVarInsn(ILOAD, countdown);
    mv.visitJumpInsn(IFGT, loop);
    mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "checkInterrupt", "()I", false);
    mv.visitVarInsn(ISTORE, countdown);
    mv.visitJumpInsn(GOTO, loop);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }
}
