package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.TagImport;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the function compiler needs to know about the module around a function: types,
 * globals, whether there is a memory, which class holds each compiled function (null: not
 * compiled, called boxed), and the {@code call_indirect} dispatchers asked for so far.
 */
final class ModuleView {
  private final WasmModule module;
  private final Signatures signatures;
  private final List<ValType> globalTypes = new ArrayList<>();
  private final int memories;
  /** Each tag's parameter types (imported tags first). */
  private final List<FunctionType> tagTypes = new ArrayList<>();
  private final String[] owners;
  private final String dispatchClass;
  /** (type index, table index) pairs, in the order first asked for. */
  private final Set<List<Integer>> dispatchers = new LinkedHashSet<>();
  /** The same for {@code return_call_indirect}'s dispatchers. */
  private final Set<List<Integer>> tailDispatchers = new LinkedHashSet<>();
  /** By function: whether its body makes a tail call to another function (Trampolines). */
  private final boolean[] tailCalling;
  private final String tailClass;

  ModuleView(WasmModule module, Signatures signatures, String[] owners, String dispatchClass,
      boolean[] tailCalling, String tailClass) {
    this.module = module;
    this.signatures = signatures;
    this.owners = owners;
    this.dispatchClass = dispatchClass;
    this.tailCalling = tailCalling;
    this.tailClass = tailClass;
    int imported = 0;
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      if (imp instanceof GlobalImport) globalTypes.add(((GlobalImport) imp).type());
      if (imp.importType() == ExternalType.MEMORY) imported++;
      if (imp instanceof TagImport) {
        tagTypes.add(module.typeSection().getType(((TagImport) imp).tagType().typeIdx()));
      }
    }
    for (int i = 0; i < module.globalSection().globalCount(); i++) {
      globalTypes.add(module.globalSection().getGlobal(i).valueType());
    }
    module.tagSection().ifPresent(ts -> {
      for (int i = 0; i < ts.tagCount(); i++) {
        tagTypes.add(module.typeSection().getType(ts.getTag(i).typeIdx()));
      }
    });
    memories = imported + module.memorySection().map(s -> s.memoryCount()).orElse(0);
  }

  WasmModule module() {
    return module;
  }

  Signatures signatures() {
    return signatures;
  }

  FunctionBody body(int funcIdx) {
    return module.codeSection().getFunctionBody(funcIdx - signatures.importedFunctions());
  }

  ValType globalType(int g) {
    return globalTypes.get(g);
  }

  boolean hasMemory() {
    return memories > 0;
  }

  /** Memories, imported and defined (compiled code reaches memory 0 only). */
  int memoryCount() {
    return memories;
  }

  FunctionType tagType(int tag) {
    return tagTypes.get(tag);
  }

  String ownerOf(int funcIdx) {
    return owners[funcIdx];
  }

  void refuse(int funcIdx) {
    owners[funcIdx] = null;
  }

  /** The owner, name and descriptor of the dispatcher for {@code call_indirect typeIdx table}. */
  String[] dispatcher(int typeIdx, int table) throws Unsupported {
    dispatchers.add(List.of(typeIdx, table));
    FunctionType ft = module.typeSection().getType(typeIdx);
    return new String[] {dispatchClass, dispatcherName(typeIdx, table),
        JvmTypes.dispatcherDescriptor(ft)};
  }

  static String dispatcherName(int typeIdx, int table) {
    return "ci" + typeIdx + "_" + table;
  }

  Set<List<Integer>> dispatchers() {
    return dispatchers;
  }

  // ---- tail calls (Trampolines) -------------------------------------------------------------

  /** Whether function {@code funcIdx}'s body makes a tail call to another function. */
  boolean makesTailCalls(int funcIdx) {
    return tailCalling[funcIdx];
  }

  /** Whether {@code funcIdx} is compiled as a body and a trampoline wrapper. */
  boolean trampolined(int funcIdx) {
    return tailCalling[funcIdx] && owners[funcIdx] != null;
  }

  /** The class of the pending stores and trampolines. */
  String tailClass() {
    return tailClass;
  }

  /** The owner, name and descriptor of the dispatcher for {@code return_call_indirect}. */
  String[] tailDispatcher(int typeIdx, int table) throws Unsupported {
    tailDispatchers.add(List.of(typeIdx, table));
    FunctionType ft = module.typeSection().getType(typeIdx);
    return new String[] {dispatchClass, tailDispatcherName(typeIdx, table),
        JvmTypes.tailDispatcherDescriptor(ft)};
  }

  static String tailDispatcherName(int typeIdx, int table) {
    return "rci" + typeIdx + "_" + table;
  }

  Set<List<Integer>> tailDispatchers() {
    return tailDispatchers;
  }
}
