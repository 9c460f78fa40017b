package cljwasi.engine.compiler;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which runs of a function's instructions go to helper methods when the function is split
 * ({@link FunctionCompiler#compileSplit}): each region is a run of consecutive
 * instructions at one nesting level, whole structured instructions (block, loop, if,
 * try_table with their end) only, so that a region is balanced and its code can move to a
 * method of its own. Regions nest (a helper's run may hold smaller regions).
 *
 * <p>Chosen from estimated sizes, from the inside out: while a structure (or the function)
 * is over the budget, the biggest nested structure that is not outlined yet goes to a
 * helper (a loop outlined whole costs one call, not one per iteration); when none is left,
 * the structure's bodies are cut into runs that fit, then runs of those runs, until what
 * remains fits. The estimates are rough: the compiler measures the methods it wrote and
 * asks again with a smaller budget when one is over the limit.
 */
final class SplitPlan {
  /** Estimated bytes of a call of a helper: the frame, the call, the exit dispatch. */
  static final int CALL_COST = 40;

  /** One instruction or a whole structured instruction, in a body's list. */
  private static final class Element {
    final int start;
    final int end;
    final Node node; // null: one plain instruction
    int size;
    boolean outlined;
    /** Whether it may be moved to a helper (see the tail-call rule in {@link #plan}). */
    final boolean movable;

    Element(int start, int end, Node node, int size, boolean movable) {
      this.start = start;
      this.end = end;
      this.node = node;
      this.size = size;
      this.movable = movable;
    }
  }

  /** A block, loop, if or try_table (or the function): its bodies (an if has two). */
  private static final class Node {
    final int start;
    int end;
    final int overhead;
    final boolean inTry;
    final List<List<Element>> bodies = new ArrayList<>();
    /** Whether it makes a tail call to another function (a return_call* of anything else). */
    boolean tailCalls;

    Node(int start, int overhead, boolean inTry) {
      this.start = start;
      this.overhead = overhead;
      this.inTry = inTry;
      bodies.add(new ArrayList<>());
    }
  }

  /** Region ends by start (a start may begin several nested regions). */
  private final Map<Integer, TreeSet<Integer>> ends = new HashMap<>();

  private final int budget;

  private SplitPlan(int budget) {
    this.budget = budget;
  }

  /** How many regions the plan outlines. */
  int regionCount() {
    int n = 0;
    for (TreeSet<Integer> s : ends.values()) n += s.size();
    return n;
  }

  /**
   * The end of the biggest region starting at {@code i} inside the region
   * {@code [from, to]} that is being compiled (not that region itself), or -1.
   */
  int regionAt(int i, int from, int to) {
    TreeSet<Integer> s = ends.get(i);
    if (s == null) return -1;
    Integer e = i == from ? s.lower(to) : s.floor(to);
    return e == null ? -1 : e;
  }

  /** The plan of a function body for methods of about {@code budget} bytes. */
  static SplitPlan plan(List<AnnotatedInstruction> code, int budget, int prologue) {
    SplitPlan p = new SplitPlan(budget);
    Node root = p.structure(code, prologue);
    p.reduce(root);
    return p;
  }

  /** The tree of structured instructions, with estimated sizes. */
  private Node structure(List<AnnotatedInstruction> code, int prologue) {
    Node root = new Node(-1, prologue, false);
    Deque<Node> open = new ArrayDeque<>();
    open.push(root);
    int tries = 0;
    for (int i = 0; i < code.size(); i++) {
      AnnotatedInstruction ins = code.get(i);
      OpCode op = ins.opcode();
      Node cur = open.peek();
      switch (op) {
        case BLOCK: case LOOP: case IF: case TRY_TABLE: {
          Node n = new Node(i, estimate(ins), tries > 0);
          if (op == OpCode.TRY_TABLE) tries++;
          open.push(n);
          continue;
        }
        case ELSE:
          cur.bodies.add(new ArrayList<>());
          continue;
        case END: {
          if (open.size() == 1) continue; // the function's own end
          Node n = open.pop();
          n.end = i;
          if (code.get(n.start).opcode() == OpCode.TRY_TABLE) tries--;
          Node parent = open.peek();
          parent.tailCalls |= n.tailCalls;
          parent.bodies.get(parent.bodies.size() - 1)
              .add(new Element(n.start, i, n, 0, !(n.inTry && n.tailCalls)));
          continue;
        }
        default: {
          boolean tail = op == OpCode.RETURN_CALL || op == OpCode.RETURN_CALL_INDIRECT;
          if (tail) cur.tailCalls = true;
          // a helper's frame of a try_table outside it does not see the callee's exceptions
          // as the function's: a tail call (made by the helper, inside that try's range)
          // would be caught there. Such an instruction stays where it is.
          cur.bodies.get(cur.bodies.size() - 1)
              .add(new Element(i, i, null, estimate(ins), !(tail && tries > 0)));
        }
      }
    }
    return root;
  }

  /** Outlines inside {@code n} until it fits the budget; returns its size then. */
  private int reduce(Node n) {
    int total = n.overhead;
    for (List<Element> body : n.bodies) {
      for (Element e : body) {
        if (e.node != null) e.size = reduce(e.node);
        total += e.size;
      }
    }
    while (total > budget) {
      Element biggest = null;
      for (List<Element> body : n.bodies) {
        for (Element e : body) {
          if (e.node != null && !e.outlined && e.movable && e.size > CALL_COST
              && (biggest == null || e.size > biggest.size)) {
            biggest = e;
          }
        }
      }
      if (biggest != null) {
        outline(biggest.start, biggest.end);
        total -= biggest.size - CALL_COST;
        biggest.size = CALL_COST;
        biggest.outlined = true;
        continue;
      }
      int before = total;
      total = n.overhead;
      for (int b = 0; b < n.bodies.size(); b++) {
        List<Element> runs = cut(n.bodies.get(b));
        n.bodies.set(b, runs);
        for (Element e : runs) total += e.size;
      }
      if (total >= before) break; // nothing left to move
    }
    return total;
  }

  /**
   * Cuts a body into runs of about three quarters of the budget (movable elements only;
   * a run of one outlined element, or one too small to pay for its call, stays as it is).
   */
  private List<Element> cut(List<Element> body) {
    List<Element> out = new ArrayList<>();
    List<Element> run = new ArrayList<>();
    int size = 0;
    int cap = Math.max(CALL_COST * 2, budget * 3 / 4);
    for (Element e : body) {
      if (!e.movable) {
        closeRun(run, size, out);
        run = new ArrayList<>();
        size = 0;
        out.add(e);
        continue;
      }
      if (!run.isEmpty() && size + e.size > cap) {
        closeRun(run, size, out);
        run = new ArrayList<>();
        size = 0;
      }
      run.add(e);
      size += e.size;
    }
    closeRun(run, size, out);
    return out;
  }

  private void closeRun(List<Element> run, int size, List<Element> out) {
    if (run.isEmpty()) return;
    if (size <= CALL_COST || (run.size() == 1 && run.get(0).outlined)) {
      out.addAll(run);
      return;
    }
    Element first = run.get(0);
    Element last = run.get(run.size() - 1);
    outline(first.start, last.end);
    Element e = new Element(first.start, last.end, null, CALL_COST, true);
    e.outlined = true;
    out.add(e);
  }

  private void outline(int start, int end) {
    ends.computeIfAbsent(start, k -> new TreeSet<>()).add(end);
  }

  /**
   * Estimated bytes of bytecode of one instruction in a split function (locals in the
   * frame array). Rough, on the high side for the common instructions.
   */
  static int estimate(AnnotatedInstruction ins) {
    OpCode op = ins.opcode();
    switch (op) {
      case LOCAL_GET: return 6;
      case LOCAL_SET: return 8;
      case LOCAL_TEE: return 9;
      case BR_TABLE: return 24 + 8 * ins.operands().length;
      case BR: case BR_IF: return 10;
      case CALL: case CALL_INDIRECT: case RETURN_CALL: case RETURN_CALL_INDIRECT: return 16;
      case LOOP: return 16;
      case TRY_TABLE: return 60 + 30 * ins.catches().size();
      case IF: return 6;
      case BLOCK: case END: case ELSE: case NOP: return 2;
      case SELECT: case SELECT_T: return 12;
      case GLOBAL_GET: case GLOBAL_SET: return 10;
      default:
        break;
    }
    String n = op.name();
    if (n.contains("LOAD") || n.contains("STORE") || n.contains("ATOMIC")) return 12;
    if (n.endsWith("_EQ") || n.endsWith("_NE") || n.endsWith("EQZ") || n.contains("_LT")
        || n.contains("_GT") || n.contains("_LE") || n.contains("_GE")) {
      return 11;
    }
    if (n.contains("CONST")) return 5;
    if (n.startsWith("V128") || n.contains("X")) return 10; // SIMD: calls with immediates
    return 5;
  }
}
