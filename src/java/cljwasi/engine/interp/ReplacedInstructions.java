package cljwasi.engine.interp;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The instructions Chicory 1.7.5's interpreter gets wrong, replaced in the bodies
 * {@link Interpreter} runs by carriers it executes itself (as {@link V128Locals} does for
 * v128 locals): Chicory's interpreter dispatches each instruction it knows in a switch no
 * subclass can reach, so only an instruction it does not know (the carrier's opcode) comes
 * to the project's code.
 *
 * <ul>
 *   <li>f32/f64 {@code min}, {@code max}, f64 {@code floor}, {@code ceil}, {@code trunc},
 *       {@code nearest} and f32/f64 {@code abs}: the spec's NaN results
 *       ({@link cljwasi.engine.FloatOps}).
 *   <li>{@code i32.store8}, {@code i64.store8}, {@code i64.store32}: Chicory adds the offset
 *       to the address in 32 bits for these three, so a store past 2^32 - 1 wraps around
 *       instead of trapping.
 *   <li>{@code table.fill}: Chicory adds offset and size in 32 bits, so a fill past
 *       2^31 - 1 does nothing instead of trapping.
 *   <li>{@code return_call} of the running function in a function that declares locals:
 *       Chicory reuses the frame and {@code StackFrame.reset} reads an argument for every
 *       local, parameters and declared locals alike (ArrayIndexOutOfBoundsException).
 * </ul>
 *
 * <p>Branches and block ends that Chicory unwinds wrongly (labels with parameters) are
 * carried by {@link BackEdges}, which knows the blocks around them.
 *
 * <p>A carrier has opcode {@link #CARRIER} and operands {@code [MAGIC, ordinal of the
 * replaced opcode, its operands...]}.
 */
public final class ReplacedInstructions {
  private ReplacedInstructions() {}

  /** First operand of a carrier: "FIXEDOPS". */
  static final long MAGIC = 0x4649_5845_444F_5053L;

  /** The carrier's opcode (shared with {@link V128Locals}, told apart by the magic). */
  static final OpCode CARRIER = V128Locals.CARRIER;

  /** Operands before the replaced instruction's own: the magic and the opcode. */
  static final int HEADER = 2;

  /** True when {@code ins} is a carrier made by {@link #rewrite}. */
  static boolean isCarrier(Instruction ins) {
    return ins.operandCount() >= HEADER && ins.operand(0) == MAGIC;
  }

  /** OpCode.values() clones its array on every call: once here, read per carrier run. */
  private static final OpCode[] OPCODES = OpCode.values();

  /** The instruction a carrier stands for. */
  static OpCode replaced(Instruction carrier) {
    return OPCODES[(int) carrier.operand(1)];
  }

  /** Operand {@code i} of the instruction a carrier stands for. */
  static long operand(Instruction carrier, int i) {
    return carrier.operand(HEADER + i);
  }

  /**
   * Whether the interpreter must replace {@code ins} in function {@code funcIndex} (function
   * index space), a function with {@code declaredLocals} locals besides its parameters.
   */
  static boolean mustReplace(AnnotatedInstruction ins, int funcIndex, int declaredLocals) {
    switch (ins.opcode()) {
      case F32_MIN:
      case F32_MAX:
      case F64_MIN:
      case F64_MAX:
      case F64_FLOOR:
      case F64_CEIL:
      case F64_TRUNC:
      case F64_NEAREST:
      case F32_ABS:
      case F64_ABS:
      case I32_STORE8:
      case I64_STORE8:
      case I64_STORE32:
      case TABLE_FILL:
        return true;
      case RETURN_CALL:
        return declaredLocals > 0 && ins.operand(0) == funcIndex;
      default:
        return false;
    }
  }

  /**
   * {@code body} (function {@code funcIndex} of the function index space) with the
   * instructions Chicory's interpreter gets wrong replaced by carriers, or null when it has
   * none.
   */
  public static FunctionBody rewrite(int funcIndex, FunctionBody body) {
    List<AnnotatedInstruction> code = body.instructions();
    int declared = body.localTypes().size();
    List<AnnotatedInstruction> out = null;
    for (int pc = 0; pc < code.size(); pc++) {
      AnnotatedInstruction ins = code.get(pc);
      if (!mustReplace(ins, funcIndex, declared)) continue;
      if (out == null) out = new ArrayList<>(code);
      long[] operands = new long[HEADER + ins.operandCount()];
      operands[0] = MAGIC;
      operands[1] = ins.opcode().ordinal();
      for (int i = 0; i < ins.operandCount(); i++) operands[HEADER + i] = ins.operand(i);
      out.set(pc, carrier(ins, operands));
    }
    return out == null ? null : new FunctionBody(body.localTypes(), List.copyOf(out));
  }

  /** A carrier (opcode {@link #CARRIER}) with {@code operands}, in the place of {@code ins}. */
  static AnnotatedInstruction carrier(AnnotatedInstruction ins, long[] operands) {
    Instruction c = new Instruction(ins.address(), CARRIER, operands);
    return AnnotatedInstruction.builder().from(c).withDepth(ins.depth()).build();
  }
}
