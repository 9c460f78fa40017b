package cljwasi.engine.interp;

import cljwasi.engine.ChicoryInternals;
import cljwasi.engine.parse.LazyParser;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The branches {@link Interpreter} runs through a carrier (as {@link ReplacedInstructions}
 * does for other instructions) that does something before or after Chicory's own
 * instruction. Chicory dispatches the instructions it knows in a switch no subclass can
 * reach: only a carrier comes to the project's code. This class is the one place that
 * decides which branches are carried and how:
 *
 * <ul>
 *   <li><b>Back-edges</b> (when asked: loop entry): a {@code br} or {@code br_if} to a
 *       {@code loop}; after Chicory's branch, when it was taken, the carrier tells the
 *       interpreter ({@link Interpreter#onBackEdge}), which may continue the function in
 *       compiled code from that loop's header. ({@code br_table} is not a back-edge here: a
 *       loop entered only through one is not counted.)
 *   <li><b>Unwinding</b> (always). Chicory 1.7.5 ({@code StackFrame.doControlTransfer})
 *       keeps a label's parameters and results together above the target's height, where
 *       the spec keeps the label's arity, its results (block, if, try_table) or its
 *       parameters (loop): values a branch should have dropped stay above the results. For
 *       a block, if or try_table with parameters Chicory unwinds at the label's
 *       {@code end}, where branches and catch clauses land: that {@code end} is carried,
 *       keeping just the arity on top and dropping the rest down to the block's height
 *       before Chicory's end ({@code ChicoryInternals.endBlock}; after a fall-through there
 *       is nothing to drop). For a loop with results Chicory unwinds in the branch: a
 *       {@code br}, {@code br_if} or {@code br_table} with such a target is carried and
 *       does the same before Chicory's branch ({@code ChicoryInternals.keepLabelArity}).
 *       Chicory's end or branch then only takes values from below the height and puts them
 *       back unchanged ({@link StackFloor} makes sure there are enough).
 * </ul>
 *
 * <p>A carrier has opcode {@link #CARRIER}, operands {@code [MAGIC, function index, pc of the
 * loop or -1, 1 to unwind first or 0]}, and the original instruction as its scope (which the
 * carrier's opcode never reads). Loops are named by the index of their {@code loop}
 * instruction in the body, as the compiler's loop entries are. {@link #rewrite} reads the
 * instruction inside a carrier as that instruction, so it can run over a body it rewrote
 * before.
 *
 * <p>Not covered: a catch clause whose label is a loop with results (Chicory's
 * {@code THROW_REF} unwinds to it keeping the loop's parameters and results; docs/EXCEPTIONS.md).
 */
public final class BackEdges {
  private BackEdges() {}

  /** First operand of a carrier: "BACKEDGE". */
  static final long MAGIC = 0x4241_434B_4544_4745L;

  static final OpCode CARRIER = V128Locals.CARRIER;

  /** Block type operand of a block without parameters and results. */
  private static final int EMPTY_BLOCK_TYPE = 0x40;

  static boolean isCarrier(Instruction ins) {
    return ins.operandCount() == 4 && ins.operand(0) == MAGIC;
  }

  /** The instruction (a branch or an end) a carrier stands for. */
  static AnnotatedInstruction original(Instruction carrier) {
    return (AnnotatedInstruction) ((AnnotatedInstruction) carrier).scope();
  }

  /** The function (index space) of the carrier's body. */
  static int function(Instruction carrier) {
    return (int) carrier.operand(1);
  }

  /**
   * The loop the carrier's branch goes to (index of its {@code loop} instruction), or -1
   * when the carrier does not report a back-edge.
   */
  static int loop(Instruction carrier) {
    return (int) carrier.operand(2);
  }

  /** Whether the carrier unwinds to the label's arity before Chicory's branch runs. */
  static boolean unwinds(Instruction carrier) {
    return carrier.operand(3) != 0;
  }

  /**
   * The label {@code br_table} {@code br} (the original branch) takes for index
   * {@code index}: the default (its last operand) when the index is out of range, compared
   * unsigned as the spec does.
   */
  static int tableLabel(AnnotatedInstruction br, long index) {
    int n = br.operandCount() - 1;
    int i = (int) index;
    return (int) br.operand(i < 0 || i >= n ? n : i);
  }

  /**
   * {@code body} (function {@code funcIndex}, block types in {@code types}) with its
   * branches carried where needed: every branch Chicory unwinds wrongly and, when
   * {@code backEdges}, every back-edge; null when it has none.
   */
  public static FunctionBody rewrite(int funcIndex, FunctionBody body, TypeSection types,
      boolean backEdges) {
    return rewrite(funcIndex, body.instructions(), body.localTypes(), types, backEdges);
  }

  /** As {@link #rewrite(int, FunctionBody, TypeSection, boolean)}, for decoded {@code code}. */
  private static FunctionBody rewrite(int funcIndex, List<AnnotatedInstruction> code,
      List<ValType> localTypes, TypeSection types, boolean backEdges) {
    List<AnnotatedInstruction> out = null;
    // each open block's instruction pc and whether Chicory unwinds a branch to it wrongly,
    // innermost last (the function's own label is not here)
    int[] open = new int[16];
    boolean[] wrong = new boolean[16];
    int depth = 0;
    for (int pc = 0; pc < code.size(); pc++) {
      AnnotatedInstruction ins = code.get(pc);
      if (isCarrier(ins)) ins = original(ins);
      switch (ins.opcode()) {
        case BLOCK:
        case LOOP:
        case IF:
        case TRY_TABLE:
          if (depth == open.length) {
            open = Arrays.copyOf(open, depth * 2);
            wrong = Arrays.copyOf(wrong, depth * 2);
          }
          wrong[depth] = unwoundWrongly(ins, types);
          open[depth++] = pc;
          continue;
        case END:
          if (depth == 0) continue; // the function's own end
          depth--;
          if (wrong[depth] && code.get(open[depth]).opcode() != OpCode.LOOP) {
            if (out == null) out = new ArrayList<>(code);
            out.set(pc, carrier(ins, funcIndex, -1, true));
          }
          continue;
        case BR:
        case BR_IF:
        case BR_TABLE:
          break;
        default:
          continue;
      }
      boolean unwind = false;
      int loop = -1;
      int labels = ins.opcode() == OpCode.BR_TABLE ? ins.operandCount() : 1;
      for (int i = 0; i < labels; i++) {
        long label = ins.operand(i);
        if (label >= depth) continue; // the function's own label: a return
        int target = depth - 1 - (int) label;
        if (code.get(open[target]).opcode() != OpCode.LOOP) continue; // unwound at its end
        unwind |= wrong[target];
        if (backEdges && ins.opcode() != OpCode.BR_TABLE) loop = open[target];
      }
      if (!unwind && loop < 0) continue;
      if (out == null) out = new ArrayList<>(code);
      out.set(pc, carrier(ins, funcIndex, loop, unwind));
    }
    return out == null ? null : new FunctionBody(localTypes, List.copyOf(out));
  }

  /** A carrier for {@code ins} (a branch or an end) of function {@code funcIndex}. */
  private static AnnotatedInstruction carrier(AnnotatedInstruction ins, int funcIndex, int loop,
      boolean unwind) {
    Instruction c = new Instruction(ins.address(), CARRIER,
        new long[] {MAGIC, funcIndex, loop, unwind ? 1 : 0});
    return AnnotatedInstruction.builder().from(c).withDepth(ins.depth()).withScope(ins).build();
  }

  /**
   * Whether Chicory's unwinding to the label of block instruction {@code block} keeps values
   * it should drop: a loop with results, any other block with parameters (the class doc).
   */
  private static boolean unwoundWrongly(AnnotatedInstruction block, TypeSection types) {
    int blockType = (int) block.operand(0);
    if (blockType == EMPTY_BLOCK_TYPE) return false;
    boolean loop = block.opcode() == OpCode.LOOP;
    if (ValType.isValid(blockType)) return loop; // one result, no parameters
    FunctionType t = types.getType(blockType);
    return loop ? !t.returns().isEmpty() : !t.params().isEmpty();
  }

  /**
   * The bodies an interpreter with loop entry runs, by code-section index: {@code patched}
   * (the plan's replacements, null where the pristine body is run) with back-edges made
   * visible, each rewritten at its first use (a lazily parsed module's bodies are decoded
   * only when the interpreter runs them; the rewrite must not decode them all at once).
   */
  public static FunctionBody[] rewriteAll(CodeSection pristine, TypeSection types,
      FunctionBody[] patched, int importedFunctions) {
    FunctionBody[] out = new FunctionBody[pristine.functionBodyCount()];
    for (int i = 0; i < out.length; i++) {
      FunctionBody base = i < patched.length && patched[i] != null
          ? patched[i] : pristine.getFunctionBody(i); // locals only: not decoded yet
      int funcIndex = importedFunctions + i;
      out[i] = ChicoryInternals.functionBody(base.localTypes(), new DeferredInstructions(() -> {
        List<AnnotatedInstruction> code = DeferredInstructions.made(
            LazyParser.decodedInstructions(base));
        FunctionBody r = rewrite(funcIndex, code, base.localTypes(), types, true);
        return r != null ? r.instructions() : code;
      }));
    }
    return out;
  }
}
