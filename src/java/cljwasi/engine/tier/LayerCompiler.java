package cljwasi.engine.tier;

import cljwasi.engine.ChicoryInternals;
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
 * functions are then rewritten with ASM into what Chicory emits for an interpreted function.
 * Chicory's internal compiler and the shape of its generated code are the business of
 * {@link ChicoryInternals#compileLayer}; this class decides what goes into a layer and how a
 * layer is stored.
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
      return ChicoryInternals.loadClasses(mainClass, bytes);
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
    Map.Entry<String, Map<String, byte[]>> c = ChicoryInternals.compileLayer(
        withStubs(module, imports, layer), JitPolicy.LAYER_CLASS_NAME, functionsPerClass,
        f -> f >= imports && !layer.get(f));
    return new Classes(c.getKey(), c.getValue());
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
}
