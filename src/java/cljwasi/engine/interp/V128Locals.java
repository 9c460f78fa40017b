package cljwasi.engine.interp;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;

/**
 * The interpreter's fix for {@code local.set}/{@code local.tee} of v128 locals.
 *
 * <p>Chicory 1.7.5's interpreter stores the two halves of a v128 in the opposite order from
 * the one its {@code local.get} (and parameter passing) reads them in, so a v128 that goes
 * through {@code local.set} comes back with its halves swapped. Such instructions are
 * replaced by a carrier instruction (opcode {@link #CARRIER}, operands
 * {@code [MAGIC, local, tee]}) that {@link Interpreter} executes with the right order. The
 * module plan rewrites copies of the bodies for the interpreter only
 * ({@code ModulePlan.patchedBodies}): an eagerly parsed module's SIMD functions once, at
 * parse; a lazily parsed module's bodies each at its first use by the interpreter. The
 * module's own bodies, which compilers read, keep their {@code local.set}s.
 */
public final class V128Locals {
  private V128Locals() {}

  /** First operand of a carrier: "SIMDLOCA". */
  static final long MAGIC = 0x5349_4D44_4C4F_4341L;

  /** The carrier's opcode: one that takes no operands of its own. */
  static final OpCode CARRIER = OpCode.V128_ANY_TRUE;

  /** True when {@code ins} is a carrier made by {@link #rewrite}. */
  static boolean isCarrier(Instruction ins) {
    return ins.operandCount() == 3 && ins.operand(0) == MAGIC;
  }

  /**
   * {@code body} with its {@code local.set}/{@code local.tee} of v128 locals replaced by
   * carriers, or null when it has none.
   */
  public static FunctionBody rewrite(FunctionType type, FunctionBody body) {
    List<ValType> locals = new ArrayList<>(type.params());
    locals.addAll(body.localTypes());
    List<AnnotatedInstruction> code = body.instructions();
    List<AnnotatedInstruction> out = null;
    for (int pc = 0; pc < code.size(); pc++) {
      AnnotatedInstruction ins = code.get(pc);
      OpCode op = ins.opcode();
      if ((op == OpCode.LOCAL_SET || op == OpCode.LOCAL_TEE)
          && ValType.V128.equals(locals.get((int) ins.operand(0)))) {
        if (out == null) out = new ArrayList<>(code);
        out.set(pc, ReplacedInstructions.carrier(ins,
            new long[] {MAGIC, ins.operand(0), op == OpCode.LOCAL_TEE ? 1 : 0}));
      }
    }
    return out == null ? null : new FunctionBody(body.localTypes(), List.copyOf(out));
  }
}
