package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The function types of one module: each type index's and each function's (imports first)
 * signature, and a canonical id per distinct signature, so that {@code call_indirect}'s check
 * within the module is one int comparison (two type indices with the same parameters and
 * results are the same type).
 */
public final class Signatures {
  private final List<FunctionType> functionTypes;
  private final int[] typeIds;
  private final int[] functionTypeIds;
  private final int importedFunctions;

  public Signatures(WasmModule m) {
    Map<FunctionType, Integer> canon = new HashMap<>();
    int types = m.typeSection().typeCount();
    typeIds = new int[types];
    for (int i = 0; i < types; i++) {
      FunctionType t = typeOrNull(m, i);
      typeIds[i] = t == null ? -1 - i : canon.computeIfAbsent(t, k -> canon.size());
    }
    functionTypes = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp.importType() == ExternalType.FUNCTION) {
        int ti = ((FunctionImport) imp).typeIndex();
        functionTypes.add(m.typeSection().getType(ti));
        ids.add(typeIds[ti]);
      }
    }
    importedFunctions = functionTypes.size();
    for (int i = 0; i < m.functionSection().functionCount(); i++) {
      int ti = m.functionSection().getFunctionType(i);
      functionTypes.add(m.typeSection().getType(ti));
      ids.add(typeIds[ti]);
    }
    functionTypeIds = ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private static FunctionType typeOrNull(WasmModule m, int i) {
    try {
      return m.typeSection().getType(i);
    } catch (RuntimeException e) {
      return null; // not a function type (GC proposal): no call_indirect can name it
    }
  }

  public FunctionType functionType(int funcIdx) {
    return functionTypes.get(funcIdx);
  }

  public int functionCount() {
    return functionTypes.size();
  }

  public int importedFunctions() {
    return importedFunctions;
  }

  int[] typeIds() {
    return typeIds;
  }

  int[] functionTypeIds() {
    return functionTypeIds;
  }
}
