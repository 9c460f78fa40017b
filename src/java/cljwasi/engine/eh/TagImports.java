package cljwasi.engine.eh;

import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.TagImport;

/**
 * The validation rule Chicory 1.7.5 applies to a module's own tags but not to its imported
 * ones: a tag's type has no results (spec "non-empty tag result type", tag.wast). Without
 * it such a module parses and fails only at instantiation, as unlinkable.
 */
public final class TagImports {
  private TagImports() {}

  /** Throws {@link InvalidException} when an imported tag of {@code m} declares results. */
  public static void check(WasmModule m) {
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (!(imp instanceof TagImport)) continue;
      int typeIdx = ((TagImport) imp).tagType().typeIdx();
      if (typeIdx < 0 || typeIdx >= m.typeSection().typeCount()) {
        throw new InvalidException("unknown type " + typeIdx + " (tag import " + imp.module() + "." + imp.name() + ")");
      }
      FunctionType t = m.typeSection().getType(typeIdx);
      if (!t.returns().isEmpty()) {
        throw new InvalidException("non-empty tag result type (tag import " + imp.module() + "." + imp.name() + ")");
      }
    }
  }
}
