package cljwasi.engine.compiler;

import static org.objectweb.asm.Opcodes.*;

import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * The class of {@code call_indirect} dispatchers: one static method per (type, table) the
 * module's code uses, {@code ci<type>_<table>(params..., index, Context)}. It resolves and
 * checks the table entry ({@link Support#resolveIndirect}), then switches on the function
 * index to a direct call of each compiled function of that signature; anything else
 * (imports, interpreted functions, another instance's functions) takes the boxed call.
 */
final class Dispatchers {
  private Dispatchers() {}

  /** Functions per dispatcher switch; the rest take the boxed path (method size limit). */
  static final int MAX_CASES = 2000;

  private static final String SUPPORT = Type.getInternalName(Support.class);
  private static final String CTX = JvmTypes.CONTEXT_DESC;

  static byte[] write(String className, ModuleView view) throws Unsupported {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String a, String b) {
        return "java/lang/Object";
      }
    };
    cw.visit(V11, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, className, null, "java/lang/Object", null);
    for (List<Integer> d : view.dispatchers()) method(cw, view, d.get(0), d.get(1), false);
    for (List<Integer> d : view.tailDispatchers()) method(cw, view, d.get(0), d.get(1), true);
    cw.visitEnd();
    return cw.toByteArray();
  }

  /**
   * {@code tail}: the dispatcher of {@code return_call_indirect}
   * ({@code rci<type>_<table>(params..., index, TailFrame, Context)}), which leaves the call
   * pending in the frame for a function that makes tail calls itself ({@link Trampolines})
   * and calls any other one as {@code call_indirect} does (that call starts no chain).
   */
  private static void method(ClassWriter cw, ModuleView view, int typeIdx, int table,
      boolean tail) throws Unsupported {
    FunctionType ft = view.module().typeSection().getType(typeIdx);
    String desc = tail ? JvmTypes.tailDispatcherDescriptor(ft) : JvmTypes.dispatcherDescriptor(ft);
    String name = tail ? ModuleView.tailDispatcherName(typeIdx, table)
        : ModuleView.dispatcherName(typeIdx, table);
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, name, desc, null, null);
    mv.visitCode();
    Type[] args = Type.getArgumentTypes(desc);
    int[] slots = new int[args.length];
    int slot = 0;
    for (int i = 0; i < args.length; i++) {
      slots[i] = slot;
      slot += args[i].getSize();
    }
    int nParams = args.length - (tail ? 3 : 2);
    int indexSlot = slots[nParams];
    int ctxSlot = slots[args.length - 1];
    Type ret = Type.getReturnType(desc);

    mv.visitVarInsn(ILOAD, indexSlot);
    JvmTypes.pushInt(mv, table);
    JvmTypes.pushInt(mv, typeIdx);
    mv.visitVarInsn(ALOAD, ctxSlot);
    mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "resolveIndirect", "(III" + CTX + ")I", false);

    Signatures sigs = view.signatures();
    int want = sigs.typeIds()[typeIdx];
    List<Integer> targets = new ArrayList<>();
    for (int f = sigs.importedFunctions(); f < sigs.functionCount(); f++) {
      if (targets.size() < MAX_CASES && view.ownerOf(f) != null
          && sigs.functionTypeIds()[f] == want) {
        targets.add(f);
      }
    }
    Label boxed = new Label();
    int[] keys = new int[targets.size()];
    Label[] labels = new Label[targets.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = targets.get(i);
      labels[i] = new Label();
    }
    mv.visitLookupSwitchInsn(boxed, keys, labels);
    String calleeDesc = JvmTypes.descriptor(ft);
    for (int i = 0; i < keys.length; i++) {
      mv.visitLabel(labels[i]);
      for (int p = 0; p < nParams; p++) mv.visitVarInsn(args[p].getOpcode(ILOAD), slots[p]);
      if (tail && view.trampolined(keys[i])) {
        mv.visitVarInsn(ALOAD, slots[nParams + 1]); // the frame
        mv.visitMethodInsn(INVOKESTATIC, view.tailClass(), Trampolines.pendingName(keys[i]),
            Trampolines.pendingDescriptor(ft), false);
        Trampolines.returnPlaceholder(mv, ret);
        continue;
      }
      mv.visitVarInsn(ALOAD, ctxSlot);
      mv.visitMethodInsn(INVOKESTATIC, view.ownerOf(keys[i]),
          FunctionCompiler.methodName(keys[i]), calleeDesc, false);
      mv.visitInsn(ret.getOpcode(IRETURN));
    }
    mv.visitLabel(boxed);
    mv.visitVarInsn(ALOAD, ctxSlot);
    JvmTypes.pushInt(mv, table);
    mv.visitVarInsn(ILOAD, indexSlot);
    JvmTypes.pushInt(mv, JvmTypes.boxedLength(Arrays.asList(args).subList(0, nParams)));
    mv.visitIntInsn(NEWARRAY, T_LONG);
    for (int p = 0, at = 0; p < nParams; at += JvmTypes.boxedWidth(args[p]), p++) {
      mv.visitInsn(DUP);
      JvmTypes.pushInt(mv, at);
      mv.visitVarInsn(args[p].getOpcode(ILOAD), slots[p]);
      JvmTypes.storeBoxed(mv, args[p]);
    }
    mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "callIndirect", "(" + CTX + "II[J)[J", false);
    switch (ret.getSort()) {
      case Type.VOID:
        mv.visitInsn(POP);
        mv.visitInsn(RETURN);
        break;
      case Type.ARRAY:
        mv.visitInsn(ARETURN);
        break;
      default:
        mv.visitInsn(ICONST_0);
        JvmTypes.loadBoxed(mv, ret);
        mv.visitInsn(ret.getOpcode(IRETURN));
    }
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }
}
