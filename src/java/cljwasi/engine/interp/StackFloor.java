package cljwasi.engine.interp;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;

/**
 * Zeros laid at the bottom of an interpreter's operand stack once, when the machine is made,
 * so that Chicory 1.7.5's block ends and branches never reach below them.
 *
 * <p>Chicory's {@code StackFrame.doControlTransfer} (a block's {@code end}, a branch to a
 * loop) pops a label's parameters and results together, takes the ones beyond what the
 * label left from below the block's height and pushes them all back: harmless while the
 * stack holds that many values, but on a stack with fewer it pushes zeros in place of the
 * missing ones, under everything, and every height recorded since then points too low (a
 * block with parameters at the bottom of the stack then loses its caller's values at the
 * next {@code end}). The most it reaches below a height is a label's parameters or results
 * (with {@link BackEdges}' unwinding: the arity of the label stays on top), so a floor as
 * deep as the largest parameter or result list of any type of the module (in stack slots,
 * a v128 two) keeps it from running out. Nothing ever pops the floor itself: heights are
 * all above it.
 */
final class StackFloor {
  private StackFloor() {}

  /** The slots the floor of an instance of {@code instance}'s module needs. */
  static int depth(Instance instance) {
    int depth = 0;
    for (FunctionType t : instance.module().typeSection().types()) {
      depth = Math.max(depth, Math.max(ValType.sizeOf(t.params()), ValType.sizeOf(t.returns())));
    }
    return depth;
  }

  /** Lays the floor for {@code instance} on {@code stack} (a new machine's, still empty). */
  static void lay(MStack stack, Instance instance) {
    for (int i = depth(instance); i > 0; i--) stack.push(0L);
  }
}
