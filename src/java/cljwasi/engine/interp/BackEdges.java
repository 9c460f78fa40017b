package cljwasi.engine.interp;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.parse.LazyParser;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The back-edges of a body, made visible to {@link Interpreter}: every {@code br} and
 * {@code br_if} whose target is a {@code loop} is replaced by a carrier (as
 * {@link ReplacedInstructions} does) that runs Chicory's own branch and then, when it was
 * taken, tells the interpreter ({@link Interpreter#onBackEdge}), which may continue the
 * function in compiled code from that loop's header. Chicory dispatches the instructions it
 * knows in a switch no subclass can reach: only a carrier comes to the project's code.
 * ({@code br_table} is left alone: a loop entered only through one is not counted.)
 *
 * <p>A carrier has opcode {@link #CARRIER}, operands {@code [MAGIC, function index, pc of the
 * loop]}, and the original branch as its scope (which the carrier's opcode never reads).
 * Loops are named by the index of their {@code loop} instruction in the body, as the
 * compiler's loop entries are.
 */
public final class BackEdges {
  private BackEdges() {}

  /** First operand of a carrier: "BACKEDGE". */
  static final long MAGIC = 0x4241_434B_4544_4745L;

  static final OpCode CARRIER = V128Locals.CARRIER;

  static boolean isCarrier(Instruction ins) {
    return ins.operandCount() == 3 && ins.operand(0) == MAGIC;
  }

  /** The branch a carrier stands for. */
  static AnnotatedInstruction original(Instruction carrier) {
    return (AnnotatedInstruction) ((AnnotatedInstruction) carrier).scope();
  }

  /** The function (index space) of the carrier's body. */
  static int function(Instruction carrier) {
    return (int) carrier.operand(1);
  }

  /** The loop the carrier's branch goes to (index of its {@code loop} instruction). */
  static int loop(Instruction carrier) {
    return (int) carrier.operand(2);
  }

  /**
   * The body of {@code code} and {@code localTypes} (function {@code funcIndex}) with its
   * back-edges replaced by carriers, or null when it has none.
   */
  private static FunctionBody rewrite(int funcIndex, List<AnnotatedInstruction> code,
      List<ValType> localTypes) {
    List<AnnotatedInstruction> out = null;
    // the pc of each open block's instruction, innermost last (the function's own is not here)
    int[] open = new int[16];
    int depth = 0;
    for (int pc = 0; pc < code.size(); pc++) {
      AnnotatedInstruction ins = code.get(pc);
      switch (ins.opcode()) {
        case BLOCK:
        case LOOP:
        case IF:
        case TRY_TABLE:
          if (depth == open.length) open = Arrays.copyOf(open, depth * 2);
          open[depth++] = pc;
          continue;
        case END:
          if (depth > 0) depth--;
          continue;
        case BR:
        case BR_IF:
          break;
        default:
          continue;
      }
      long label = ins.operand(0);
      if (label >= depth) continue; // the function's own label: a return
      int target = open[depth - 1 - (int) label];
      if (code.get(target).opcode() != OpCode.LOOP) continue;
      if (out == null) out = new ArrayList<>(code);
      Instruction c = new Instruction(ins.address(), CARRIER, new long[] {MAGIC, funcIndex, target});
      out.set(pc, AnnotatedInstruction.builder().from(c).withDepth(ins.depth()).withScope(ins)
          .build());
    }
    return out == null ? null : new FunctionBody(localTypes, List.copyOf(out));
  }

  /**
   * The bodies an interpreter with loop entry runs, by code-section index: {@code patched}
   * (the plan's replacements, null where the pristine body is run) with back-edges made
   * visible, each rewritten at its first use (a lazily parsed module's bodies are decoded
   * only when the interpreter runs them; the rewrite must not decode them all at once).
   */
  public static FunctionBody[] rewriteAll(CodeSection pristine, FunctionBody[] patched,
      int importedFunctions) {
    FunctionBody[] out = new FunctionBody[pristine.functionBodyCount()];
    for (int i = 0; i < out.length; i++) {
      FunctionBody base = i < patched.length && patched[i] != null
          ? patched[i] : pristine.getFunctionBody(i); // locals only: not decoded yet
      int funcIndex = importedFunctions + i;
      out[i] = ChicoryInternals.functionBody(base.localTypes(), new DeferredInstructions(() -> {
        List<AnnotatedInstruction> code = DeferredInstructions.made(
            LazyParser.decodedInstructions(base));
        FunctionBody r = rewrite(funcIndex, code, base.localTypes());
        return r != null ? r.instructions() : code;
      }));
    }
    return out;
  }
}
