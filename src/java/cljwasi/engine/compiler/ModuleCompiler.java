package cljwasi.engine.compiler;

import static org.objectweb.asm.Opcodes.*;

import cljwasi.engine.TailCalls;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * Compiles a set of a module's functions to JVM classes and loads them.
 *
 * <p>Each function is first compiled alone into a scratch class (so that a function the
 * compiler cannot take, or whose method would be over the size limit, fails alone and
 * stays interpreted); one whose method is over the split limit is compiled again as
 * several methods ({@link #splitBytes}). Calls between compiled functions are direct {@code invokestatic}s,
 * so a function that calls one that was refused is compiled again with a boxed call there.
 * The accepted methods are then copied, {@link #FUNCTIONS_PER_CLASS} to a class, into the
 * classes they were compiled for, next to the {@code call_indirect} dispatchers
 * ({@link Dispatchers}), and all are defined in one fresh class loader.
 */
public final class ModuleCompiler {
  private ModuleCompiler() {}

  /** Functions per generated class: fewer classes to load, each well under the JVM's limits. */
  static final int FUNCTIONS_PER_CLASS = 100;

  /**
   * Under {@code :auto}, a function whose biggest method is over this many bytecode bytes is
   * refused (interpreted). Property {@code clj-wasi.compiler.max-method-bytes}; by default
   * there is no limit but the JVM's own (64 KiB), which split functions ({@link #splitBytes})
   * stay far under.
   */
  public static int maxMethodBytes() {
    return Integer.getInteger("clj-wasi.compiler.max-method-bytes", Integer.MAX_VALUE);
  }

  /**
   * A function whose method would be over this many bytes of bytecode is split into a main
   * method and helpers under it (FunctionCompiler#compileSplit): HotSpot JIT-compiles no
   * method over 8000 bytes (HugeMethodLimit) unless {@code -XX:-DontCompileHugeMethods}, and
   * none can be over 64 KiB. Property {@code clj-wasi.compiler.split-bytes} (default 8000;
   * 0 never splits). Smaller functions are compiled exactly as without it.
   */
  public static int splitBytes() {
    return Integer.getInteger("clj-wasi.compiler.split-bytes", 8000);
  }

  /** Split attempts with a smaller budget while a method is still over the split limit. */
  private static final int SPLIT_ATTEMPTS = 5;

  private static final AtomicLong MODULES = new AtomicLong();

  /**
   * Compiles {@code candidates} (function indices, imports first) of {@code module}: the
   * result holds the loaded code and, by function, why each refused function was refused.
   */
  public static CompiledCode compile(WasmModule module, Set<Integer> candidates, int maxBytes) {
    return compile(module, new Signatures(module), candidates, maxBytes, Set.of());
  }

  /**
   * As {@link #compile(WasmModule, Set, int)}, with the module's {@code sigs} (made once for
   * a module compiled in many batches: 50,000 functions' types each time add up); each
   * compiled function of {@code loopEntries} with a loop that can be entered also gets its
   * loop entry {@code o<index>} (on-stack replacement from the interpreter:
   * {@link FunctionCompiler#forLoopEntry}). A loop entry that does not compile (or is over
   * the size limit) is left out: its function is still compiled and only enters compiled
   * code at its next call.
   */
  public static CompiledCode compile(WasmModule module, Signatures sigs, Set<Integer> candidates,
      int maxBytes, Set<Integer> loopEntries) {
    String base = "cljwasi/engine/compiler/gen/M" + MODULES.incrementAndGet();
    String[] owners = new String[sigs.functionCount()];
    List<Integer> order = new ArrayList<>();
    for (int f : new TreeSet<>(candidates)) {
      if (f >= sigs.importedFunctions() && f < sigs.functionCount()) order.add(f); // not imports
    }
    for (int i = 0; i < order.size(); i++) {
      owners[order.get(i)] = base + "$C" + (i / FUNCTIONS_PER_CLASS);
    }
    ModuleView view = new ModuleView(module, sigs, owners, base + "$Dispatch",
        tailCalling(module, sigs, order), base + "$Tail");

    Map<Integer, byte[]> scratch = new TreeMap<>();
    Map<Integer, byte[]> entries = new TreeMap<>();
    Map<Integer, Set<Integer>> callees = new HashMap<>();
    Map<Integer, String> refused = new TreeMap<>();
    Set<Integer> todo = new TreeSet<>(order);
    int splitBytes = splitBytes();
    while (!todo.isEmpty()) {
      Set<Integer> newlyRefused = new TreeSet<>();
      for (int f : todo) {
        try {
          scratch.put(f, scratchClass(view, f, owners[f], maxBytes, splitBytes, callees));
          if (loopEntries.contains(f)) {
            // a loop entry is the whole body in one method: none for a function that had to
            // be split (its entry would be over the split limit HotSpot compiles within)
            int entryLimit = splitBytes > 0 ? Math.min(maxBytes, splitBytes) : maxBytes;
            loopEntryClass(view, f, owners[f], entryLimit, entries);
          }
        } catch (Unsupported e) {
          newlyRefused.add(f);
          refused.put(f, e.getMessage());
        } catch (RuntimeException e) {
          newlyRefused.add(f);
          refused.put(f, "compiler failure: " + e);
          if (Boolean.getBoolean("clj-wasi.compiler.debug")) e.printStackTrace();
        }
      }
      todo.clear();
      for (int f : newlyRefused) {
        view.refuse(f);
        scratch.remove(f);
        entries.remove(f);
      }
      if (newlyRefused.isEmpty()) break;
      // compiled with a direct call to a function that is not compiled after all: again
      for (Map.Entry<Integer, Set<Integer>> e : callees.entrySet()) {
        if (scratch.containsKey(e.getKey()) && !Collections.disjoint(e.getValue(), newlyRefused)) {
          todo.add(e.getKey());
        }
      }
    }

    Map<String, ClassWriter> classes = new LinkedHashMap<>();
    for (Map.Entry<Integer, byte[]> e : scratch.entrySet()) {
      String owner = owners[e.getKey()];
      ClassWriter cw = classes.computeIfAbsent(owner, ModuleCompiler::newClass);
      copyMethods(e.getValue(), cw);
      byte[] entry = entries.get(e.getKey());
      if (entry != null) copyMethods(entry, cw);
    }
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    for (Map.Entry<String, ClassWriter> e : classes.entrySet()) {
      e.getValue().visitEnd();
      bytes.put(e.getKey(), e.getValue().toByteArray());
    }
    try {
      bytes.put(base + "$Dispatch", Dispatchers.write(base + "$Dispatch", view));
      byte[] tail = Trampolines.write(view.tailClass(), view);
      if (tail != null) bytes.put(view.tailClass(), tail);
    } catch (Unsupported e) {
      // only signatures of compiled calls are asked for, and those were accepted
      throw new IllegalStateException(e);
    }
    return CompiledCode.load(sigs, bytes, owners, refused);
  }

  /**
   * By function: whether it is one of {@code order} and makes a tail call to another one
   * (known before any is compiled: its callers' code depends on it).
   */
  private static boolean[] tailCalling(WasmModule module, Signatures sigs, List<Integer> order) {
    boolean[] tails = new boolean[sigs.functionCount()];
    for (int f : order) {
      FunctionBody body = module.codeSection().getFunctionBody(f - sigs.importedFunctions());
      try {
        tails[f] = TailCalls.toOtherFunctions(body, f);
      } catch (RuntimeException e) {
        // a lazily parsed body that does not decode: refused below, where it fails again
      }
    }
    return tails;
  }

  private static ClassWriter newClass(String name) {
    ClassWriter cw = new ClassWriter(0);
    cw.visit(V11, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, name, null, "java/lang/Object", null);
    return cw;
  }

  /**
   * One function, alone in a class named as the class it will be copied into (its direct
   * callees recorded in {@code callees}): in one method, or split when that method would be
   * over {@code splitBytes}, with smaller helpers asked for while one is still over it.
   */
  private static byte[] scratchClass(ModuleView view, int f, String owner, int maxBytes,
      int splitBytes, Map<Integer, Set<Integer>> callees) throws Unsupported {
    FunctionCompiler fc = new FunctionCompiler(view, f, owner);
    ClassWriter cw = scratchWriter(owner);
    int size = fc.compile(cw);
    if (splitBytes > 0 && size > splitBytes) {
      int budget = splitBytes * 9 / 10;
      for (int attempt = 0; attempt < SPLIT_ATTEMPTS; attempt++) {
        FunctionCompiler sc = new FunctionCompiler(view, f, owner);
        ClassWriter scw = scratchWriter(owner);
        int splitSize = sc.compileSplit(scw, budget);
        if (splitSize < size || attempt == 0) {
          fc = sc;
          cw = scw;
          size = splitSize;
        }
        if (size <= splitBytes || budget <= SplitPlan.CALL_COST) break; // fits, or cannot
        budget = budget * 2 / 3;
      }
    }
    callees.put(f, fc.callees());
    if (size > maxBytes) {
      throw new Unsupported("its method would have " + size + " bytes of bytecode, over the "
          + maxBytes + " HotSpot compiles");
    }
    cw.visitEnd();
    byte[] b = cw.toByteArray(); // frames computed here: an ASM failure refuses this function
    return b;
  }

  private static ClassWriter scratchWriter(String owner) {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String a, String b) {
        return "java/lang/Object"; // the only references are Context, long[], byte[][]
      }
    };
    cw.visit(V11, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, owner, null, "java/lang/Object", null);
    return cw;
  }

  /**
   * Compiles function {@code f}'s loop entry into a scratch class of its own and puts it in
   * {@code out}, or removes {@code f} from {@code out} when it has none (no loop that can be
   * entered, or it does not compile).
   */
  private static void loopEntryClass(ModuleView view, int f, String owner, int maxBytes,
      Map<Integer, byte[]> out) {
    out.remove(f);
    FunctionCompiler fc = FunctionCompiler.forLoopEntry(view, f, owner);
    if (fc == null) return;
    try {
      byte[] b = oneMethodClass(fc, owner, maxBytes);
      if (fc.entersLoops()) out.put(f, b);
    } catch (Unsupported | RuntimeException e) {
      // the function itself compiled: it runs compiled from its next call
      if (Boolean.getBoolean("clj-wasi.compiler.debug")) e.printStackTrace();
    }
  }

  /**
   * {@code fc}'s method alone in a scratch class; Unsupported when it would be over
   * {@code maxBytes} of bytecode.
   */
  private static byte[] oneMethodClass(FunctionCompiler fc, String owner, int maxBytes)
      throws Unsupported {
    ClassWriter cw = scratchWriter(owner);
    int size = fc.compile(cw);
    if (size > maxBytes) {
      throw new Unsupported("its method would have " + size + " bytes of bytecode, over "
          + maxBytes);
    }
    cw.visitEnd();
    return cw.toByteArray();
  }

  /** Copies the methods of a scratch class (frames and maxima as computed) into {@code cw}. */
  private static void copyMethods(byte[] scratch, ClassWriter cw) {
    new ClassReader(scratch).accept(new ClassVisitor(ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig,
          String[] exceptions) {
        return cw.visitMethod(access, name, desc, sig, exceptions);
      }
    }, 0);
  }
}
