package cljwasi.engine.interp;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import java.util.function.Supplier;

/**
 * The instructions of an interpreter's copy of a body, made at first use (a lazily parsed
 * module's bodies are decoded, patched and given their back-edges only if the interpreter
 * runs them: doing it for every body at once would decode them all). Thread-safe, made once.
 */
public final class DeferredInstructions extends AbstractList<AnnotatedInstruction>
    implements RandomAccess {
  private final Supplier<List<AnnotatedInstruction>> make;
  private volatile List<AnnotatedInstruction> made;

  public DeferredInstructions(Supplier<List<AnnotatedInstruction>> make) {
    this.make = make;
  }

  /**
   * {@code code}'s instructions themselves when it is deferred (made now), so that a list
   * built over it does not read through one more indirection; else {@code code}.
   */
  public static List<AnnotatedInstruction> made(List<AnnotatedInstruction> code) {
    return code instanceof DeferredInstructions ? ((DeferredInstructions) code).made() : code;
  }

  private List<AnnotatedInstruction> made() {
    List<AnnotatedInstruction> m = made;
    if (m == null) {
      synchronized (this) {
        if (made == null) made = make.get();
        m = made;
      }
    }
    return m;
  }

  @Override
  public AnnotatedInstruction get(int index) {
    return made().get(index);
  }

  @Override
  public int size() {
    return made().size();
  }
}
