package cljwasi.tier;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ByteClassCollector;
import com.dylibso.chicory.compiler.internal.ClassCollector;
import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Compiles one layer: the functions of a set to JVM bytecode, every other function to a
 * stub that calls {@code instance.getMachine()} (the {@link TierMachine}).
 *
 * <p>Why not {@code MachineFactoryCompiler.Builder.withInterpretedFunctions}: Chicory 1.7.5
 * puts one case per "interpreted" function in the generated machine's {@code call} method,
 * which exceeds the JVM's 64 KiB method limit beyond ~3,600 functions, and it still
 * compiles... nothing else, but a large module has tens of thousands of functions. Here the
 * compiler gets a copy of the module whose other functions have the body
 * {@code unreachable} (cheap to compile), and the emitted {@code func_N} methods of those
 * functions are then rewritten with ASM into what Chicory emits for an interpreted function:
 * box the arguments, {@code Shaded.callIndirect(args, N, instance)}, unbox the result.
 */
final class LayerCompiler {
  private LayerCompiler() {}

  /** Compiled classes of a layer: the main (machine) class name and all class bytes. */
  static final class Classes {
    final String mainClass;
    final Map<String, byte[]> bytes;

    Classes(String mainClass, Map<String, byte[]> bytes) {
      this.mainClass = mainClass;
      this.bytes = bytes;
    }

    Function<Instance, Machine> load() {
      ClassLoadingCollector c = new ClassLoadingCollector();
      for (Map.Entry<String, byte[]> e : bytes.entrySet()) {
        if (!e.getKey().equals(mainClass)) c.put(e.getKey(), e.getValue());
      }
      c.putMainClass(mainClass, bytes.get(mainClass));
      return c.machineFactory();
    }

    private static final int MAGIC = 0x434a5449; // "CJTI"

    byte[] serialize() {
      try {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bo);
        out.writeInt(MAGIC);
        out.writeUTF(mainClass);
        out.writeInt(bytes.size());
        for (Map.Entry<String, byte[]> e : bytes.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeInt(e.getValue().length);
          out.write(e.getValue());
        }
        out.flush();
        return bo.toByteArray();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    static Classes deserialize(byte[] b) throws IOException {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
      if (in.readInt() != MAGIC) throw new IOException("not a clj-wasi tier layer");
      String main = in.readUTF();
      int n = in.readInt();
      Map<String, byte[]> m = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        byte[] cls = new byte[in.readInt()];
        in.readFully(cls);
        m.put(name, cls);
      }
      if (!m.containsKey(main)) throw new IOException("layer without its main class");
      return new Classes(main, m);
    }
  }

  static Classes compile(WasmModule module, int imports, BitSet layer, int functionsPerClass) {
    WasmModule synth = withStubs(module, imports, layer);
    Compiler.Builder b = Compiler.builder(synth)
        .withClassName(JitPolicy.LAYER_CLASS_NAME)
        .withInterpreterFallback(InterpreterFallback.FAIL)
        .withClassCollectorFactory(ByteClassCollector::new);
    if (functionsPerClass > 0) b.withMaxFunctionsPerClass(functionsPerClass);
    ClassCollector c = b.build().compile().collector();
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : c.classBytes().entrySet()) {
      out.put(e.getKey(), rewriteStubs(e.getValue(), imports, layer));
    }
    return new Classes(c.mainClassName(), out);
  }

  // ---- the module the compiler sees ---------------------------------------------------

  /** {@code unreachable end}, as Chicory's parser annotates it (the end needs its scope). */
  private static final FunctionBody STUB = com.dylibso.chicory.wasm.Parser.parse(new byte[] {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () -> ()
      0x03, 0x02, 0x01, 0x00, // one function of type 0
      0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b // body: no locals, unreachable, end
  }).codeSection().getFunctionBody(0);

  private static WasmModule withStubs(WasmModule m, int imports, BitSet layer) {
    CodeSection.Builder code = CodeSection.builder();
    int bodies = m.codeSection().functionBodyCount();
    for (int i = 0; i < bodies; i++) {
      code.addFunctionBody(layer.get(imports + i) ? m.codeSection().getFunctionBody(i) : STUB);
    }
    code.setRequiresDataCount(m.codeSection().isRequiresDataCount());
    WasmModule.Builder b = WasmModule.builder()
        .withValidation(false)
        .setTypeSection(m.typeSection())
        .setImportSection(m.importSection())
        .setFunctionSection(m.functionSection())
        .setTableSection(m.tableSection())
        .setGlobalSection(m.globalSection())
        .setExportSection(m.exportSection())
        .setElementSection(m.elementSection())
        .setCodeSection(code.build())
        .setDataSection(m.dataSection());
    m.memorySection().ifPresent(b::setMemorySection);
    m.startSection().ifPresent(b::setStartSection);
    m.dataCountSection().ifPresent(b::setDataCountSection);
    m.tagSection().ifPresent(b::setTagSection);
    if (m.digest() != null) b.withDigest(m.digest());
    return b.build();
  }

  // ---- rewriting the stubs ----------------------------------------------------------------

  private static final String SHADED = "com/dylibso/chicory/compiler/internal/Shaded";
  private static final String VALUE = "com/dylibso/chicory/wasm/types/Value";
  private static final String INSTANCE = "com/dylibso/chicory/runtime/Instance";

  private static byte[] rewriteStubs(byte[] cls, int imports, BitSet layer) {
    ClassReader r = new ClassReader(cls);
    ClassWriter w = new ClassWriter(r, ClassWriter.COMPUTE_MAXS);
    boolean[] changed = {false};
    r.accept(new ClassVisitor(Opcodes.ASM9, w) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
        int f = stubIndex(name, access, desc);
        if (f >= imports && !layer.get(f)) {
          changed[0] = true;
          MethodVisitor mv = super.visitMethod(access, name, desc, sig, ex);
          emitStub(mv, f, desc);
          return null; // drop the original (unreachable) body
        }
        return super.visitMethod(access, name, desc, sig, ex);
      }
    }, 0);
    return changed[0] ? w.toByteArray() : cls;
  }

  /** N for a static {@code func_N(..., Memory, Instance)}, else -1. */
  private static int stubIndex(String name, int access, String desc) {
    if (!name.startsWith("func_") || (access & Opcodes.ACC_STATIC) == 0) return -1;
    Type[] args = Type.getArgumentTypes(desc);
    if (args.length < 2 || !args[args.length - 1].getInternalName().equals(INSTANCE)) return -1;
    try {
      return Integer.parseInt(name.substring(5));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void emitStub(MethodVisitor mv, int funcId, String desc) {
    Type[] args = Type.getArgumentTypes(desc);
    Type ret = Type.getReturnType(desc);
    int params = args.length - 2; // then Memory, Instance
    int slot = 0;
    mv.visitCode();
    if (params == 1 && args[0].getDescriptor().equals("[J")) {
      mv.visitVarInsn(Opcodes.ALOAD, 0); // too many parameters: already boxed
      slot = 1;
    } else {
      pushInt(mv, params);
      mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
      for (int i = 0; i < params; i++) {
        mv.visitInsn(Opcodes.DUP);
        pushInt(mv, i);
        Type t = args[i];
        mv.visitVarInsn(t.getOpcode(Opcodes.ILOAD), slot);
        slot += t.getSize();
        switch (t.getSort()) {
          case Type.INT:
            mv.visitInsn(Opcodes.I2L);
            break;
          case Type.LONG:
            break;
          case Type.FLOAT:
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "floatToLong", "(F)J", false);
            break;
          case Type.DOUBLE:
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "doubleToLong", "(D)J", false);
            break;
          default:
            throw new IllegalStateException("unexpected parameter type " + t + " in " + desc);
        }
        mv.visitInsn(Opcodes.LASTORE);
      }
    }
    slot += args[params].getSize(); // Memory
    pushInt(mv, funcId);
    mv.visitVarInsn(Opcodes.ALOAD, slot); // Instance
    mv.visitMethodInsn(Opcodes.INVOKESTATIC, SHADED, "callIndirect",
        "([JIL" + INSTANCE + ";)[J", false);
    switch (ret.getSort()) {
      case Type.VOID:
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
        break;
      case Type.ARRAY:
        mv.visitInsn(Opcodes.ARETURN);
        break;
      default:
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitInsn(Opcodes.LALOAD);
        switch (ret.getSort()) {
          case Type.INT:
            mv.visitInsn(Opcodes.L2I);
            break;
          case Type.LONG:
            break;
          case Type.FLOAT:
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "longToFloat", "(J)F", false);
            break;
          case Type.DOUBLE:
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, VALUE, "longToDouble", "(J)D", false);
            break;
          default:
            throw new IllegalStateException("unexpected result type " + ret + " in " + desc);
        }
        mv.visitInsn(ret.getOpcode(Opcodes.IRETURN));
    }
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  private static void pushInt(MethodVisitor mv, int v) {
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
}
