package cljwasi.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one door into Chicory's non-public API: every private field, private or
 * package-private method and exception message text the engine relies on is named here and
 * nowhere else. Moving to another Chicory version, or to its successor Endive ({@code run.endive}),
 * means changing this file (and {@link #SUPPORTED_VERSIONS}).
 *
 * <p>Everything is resolved once, when this class loads (the self-check): {@link #missing()}
 * names each piece that could not be reached, and every feature built on a missing piece
 * falls back or fails with that name:
 *
 * <ul>
 *   <li>{@code Parser.parseCodeSection}, {@code Parser.parseCodeSectionLocalTypes}, the
 *       package-private {@code Validator} and the private field {@code FunctionBody.instructions}:
 *       lazy parsing of large modules ({@link #canParseLazily()}); without them modules are
 *       parsed eagerly.
 *   <li>{@code Instance.functions} and {@code StackFrame.locals}: the interpreter's fix for
 *       v128 locals ({@link #instanceFunctions}, {@link #frameLocals}); a SIMD module that
 *       needs it fails with an error naming the missing field.
 *   <li>{@code StackFrame.reset}, {@code popCtrlTillCall}, {@code pushCtrl} and
 *       {@code doControlTransfer} (package-private): the interpreter's self tail call
 *       ({@link #restartFrame}); without them such a call fails naming the missing piece.
 *   <li>{@code InterpreterMachine.BR} and {@code BR_IF} (private), {@code StackFrame.ctrlStack},
 *       {@code CtrlFrame.height}, {@code CtrlFrame.startValues} and {@code StackFrame.jumpTo}:
 *       a loop running interpreted entering compiled code ({@link #canEnterLoops()},
 *       {@link #branch}, {@link #emptyBelowInnermost}, {@link #innermostParams},
 *       {@link #finishFrame}); without them loops stay
 *       interpreted until their function is called again.
 *   <li>{@code InterpreterMachine.BR_TABLE} (private), {@code CtrlFrame.endValues},
 *       {@code CtrlFrame.opCode} and {@code StackFrame.popCtrl()}, with the pieces of loop
 *       entry above: the interpreter's unwinding of branches and catch clauses to labels
 *       with parameters ({@link #keepLabelArity}, {@link #endBlock}); without them such a
 *       module fails naming the missing piece.
 *   <li>The protected hooks of {@code InterpreterMachine} that {@code Interpreter} overrides or
 *       calls: checked only (the JVM links them), so that a change is named here rather than
 *       surfacing as a {@code NoSuchMethodError} in the middle of a run.
 *   <li>Message text: the trap kind ({@link #trapKind}) is read from Chicory's exception
 *       messages, which it has no other way to say. A changed message degrades to kind
 *       "trap"; test/clj_wasi/chicory_internals_test.clj checks each message on the version
 *       in use.
 * </ul>
 *
 * <p>When something is missing, one line on stderr says what and what falls back (once per
 * JVM, as this class loads).
 */
public final class ChicoryInternals {
  private ChicoryInternals() {}

  /** The Chicory versions this file has been written and tested against. */
  public static final List<String> SUPPORTED_VERSIONS = List.of("1.7.5");

  private static final Map<String, String> MISSING = new LinkedHashMap<>();

  // ---- resolution (the self-check) ------------------------------------------------------

  private interface Resolve<T> {
    T get() throws ReflectiveOperationException;
  }

  /** Resolves one piece, recording {@code what} as missing (with why) when it fails. */
  private static <T> T resolve(String what, Resolve<T> r) {
    try {
      T v = r.get();
      if (v == null) throw new NoSuchFieldException("not of the expected type");
      return v;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      MISSING.put(what, String.valueOf(e));
      return null;
    }
  }

  private static MethodHandles.Lookup privateLookup(Class<?> c) throws IllegalAccessException {
    return MethodHandles.privateLookupIn(c, MethodHandles.lookup());
  }

  /**
   * Private final field {@code name} of {@code c}, made writable: a final field can only be
   * written through a Field made accessible (a VarHandle may not). Null when it is not of
   * type {@code type}.
   */
  private static Field finalField(Class<?> c, String name, Class<?> type)
      throws NoSuchFieldException {
    Field f = c.getDeclaredField(name);
    f.setAccessible(true);
    return f.getType() == type ? f : null;
  }

  private static final MethodHandle PARSE_CODE_SECTION = resolve(
      "Parser.parseCodeSection(ByteBuffer, TypeSection)",
      () -> privateLookup(Parser.class).findStatic(Parser.class, "parseCodeSection",
          MethodType.methodType(CodeSection.class, ByteBuffer.class, TypeSection.class)));

  private static final MethodHandle PARSE_LOCALS = resolve(
      "Parser.parseCodeSectionLocalTypes(ByteBuffer, TypeSection)",
      () -> privateLookup(Parser.class).findStatic(Parser.class, "parseCodeSectionLocalTypes",
          MethodType.methodType(List.class, ByteBuffer.class, TypeSection.class)));

  private static final Class<?> VALIDATOR = resolve(
      "com.dylibso.chicory.wasm.Validator", () -> Class.forName("com.dylibso.chicory.wasm.Validator"));

  private static final MethodHandle NEW_VALIDATOR = VALIDATOR == null ? null : resolve(
      "Validator(WasmModule)",
      () -> privateLookup(VALIDATOR).findConstructor(VALIDATOR,
          MethodType.methodType(void.class, WasmModule.class)));

  private static final MethodHandle VALIDATE_FUNCTION = VALIDATOR == null ? null : resolve(
      "Validator.validateFunction(int, FunctionBody, FunctionType)",
      () -> privateLookup(VALIDATOR).findVirtual(VALIDATOR, "validateFunction",
          MethodType.methodType(void.class, int.class, FunctionBody.class, FunctionType.class)));

  /** What {@code WasmModule.Builder.build} validates besides the function bodies. */
  private static final List<MethodHandle> VALIDATE_MODULE_PARTS = new ArrayList<>();

  static {
    if (VALIDATOR != null) {
      for (String part : List.of("validateTypes", "validateGlobals", "validateElements",
          "validateData", "validateTags", "validateTables")) {
        MethodHandle h = resolve("Validator." + part + "()",
            () -> privateLookup(VALIDATOR).findVirtual(VALIDATOR, part,
                MethodType.methodType(void.class)));
        if (h != null) VALIDATE_MODULE_PARTS.add(h);
      }
    }
  }

  /** FunctionBody's instruction list: its constructor copies the list (decoding it). */
  private static final Field BODY_INSTRUCTIONS = resolve(
      "FunctionBody.instructions (private final field)",
      () -> finalField(FunctionBody.class, "instructions", List.class));

  private static final VarHandle INSTANCE_FUNCTIONS = resolve(
      "Instance.functions (private field)",
      () -> privateLookup(Instance.class).findVarHandle(Instance.class, "functions",
          FunctionBody[].class));

  private static final VarHandle FRAME_LOCALS = resolve(
      "StackFrame.locals (private field)",
      () -> privateLookup(StackFrame.class).findVarHandle(StackFrame.class, "locals",
          long[].class));

  /** StackFrame's package-private frame restart, which return_call to itself uses. */
  private static final Class<?> CTRL_FRAME = resolve("CtrlFrame (package-private class)",
      () -> Class.forName("com.dylibso.chicory.runtime.CtrlFrame"));

  private static final MethodHandle FRAME_POP_CTRL_TILL_CALL = CTRL_FRAME == null ? null
      : resolve("StackFrame.popCtrlTillCall()", () -> privateLookup(StackFrame.class)
          .findVirtual(StackFrame.class, "popCtrlTillCall", MethodType.methodType(CTRL_FRAME)));

  private static final MethodHandle FRAME_DO_CONTROL_TRANSFER = CTRL_FRAME == null ? null
      : resolve("StackFrame.doControlTransfer(CtrlFrame, MStack)", () ->
          privateLookup(StackFrame.class).findStatic(StackFrame.class, "doControlTransfer",
              MethodType.methodType(void.class, CTRL_FRAME, MStack.class)));

  private static final MethodHandle FRAME_POP_CTRL = CTRL_FRAME == null ? null
      : resolve("StackFrame.popCtrl()", () -> privateLookup(StackFrame.class)
          .findVirtual(StackFrame.class, "popCtrl", MethodType.methodType(CTRL_FRAME)));

  private static final MethodHandle FRAME_PUSH_CTRL = CTRL_FRAME == null ? null
      : resolve("StackFrame.pushCtrl(CtrlFrame)", () -> privateLookup(StackFrame.class)
          .findVirtual(StackFrame.class, "pushCtrl",
              MethodType.methodType(void.class, CTRL_FRAME)));

  private static final MethodHandle FRAME_RESET = resolve("StackFrame.reset(long[])",
      () -> privateLookup(StackFrame.class).findVirtual(StackFrame.class, "reset",
          MethodType.methodType(void.class, long[].class)));

  /** Chicory's own branch instructions, which a back-edge carrier runs (loop entry). */
  private static final MethodHandle BRANCH = resolve(
      "InterpreterMachine.BR(StackFrame, MStack, AnnotatedInstruction) (private)",
      () -> privateLookup(InterpreterMachine.class).findStatic(InterpreterMachine.class, "BR",
          MethodType.methodType(void.class, StackFrame.class, MStack.class,
              AnnotatedInstruction.class)));

  private static final MethodHandle BRANCH_IF = resolve(
      "InterpreterMachine.BR_IF(StackFrame, MStack, AnnotatedInstruction) (private)",
      () -> privateLookup(InterpreterMachine.class).findStatic(InterpreterMachine.class, "BR_IF",
          MethodType.methodType(void.class, StackFrame.class, MStack.class,
              AnnotatedInstruction.class)));

  private static final MethodHandle BRANCH_TABLE = resolve(
      "InterpreterMachine.BR_TABLE(StackFrame, MStack, AnnotatedInstruction) (private)",
      () -> privateLookup(InterpreterMachine.class).findStatic(InterpreterMachine.class,
          "BR_TABLE", MethodType.methodType(void.class, StackFrame.class, MStack.class,
              AnnotatedInstruction.class)));

  private static final VarHandle FRAME_CTRL_STACK = resolve(
      "StackFrame.ctrlStack (private field)",
      () -> privateLookup(StackFrame.class).findVarHandle(StackFrame.class, "ctrlStack",
          List.class));

  private static final VarHandle CTRL_HEIGHT = CTRL_FRAME == null ? null : resolve(
      "CtrlFrame.height (field of a package-private class)",
      () -> privateLookup(CTRL_FRAME).findVarHandle(CTRL_FRAME, "height", int.class));

  private static final VarHandle CTRL_START_VALUES = CTRL_FRAME == null ? null : resolve(
      "CtrlFrame.startValues (field of a package-private class)",
      () -> privateLookup(CTRL_FRAME).findVarHandle(CTRL_FRAME, "startValues", int.class));

  private static final VarHandle CTRL_END_VALUES = CTRL_FRAME == null ? null : resolve(
      "CtrlFrame.endValues (field of a package-private class)",
      () -> privateLookup(CTRL_FRAME).findVarHandle(CTRL_FRAME, "endValues", int.class));

  private static final VarHandle CTRL_OPCODE = CTRL_FRAME == null ? null : resolve(
      "CtrlFrame.opCode (field of a package-private class)",
      () -> privateLookup(CTRL_FRAME).findVarHandle(CTRL_FRAME, "opCode",
          com.dylibso.chicory.wasm.types.OpCode.class));

  private static final MethodHandle FRAME_JUMP_TO = resolve("StackFrame.jumpTo(int)",
      () -> privateLookup(StackFrame.class).findVirtual(StackFrame.class, "jumpTo",
          MethodType.methodType(void.class, int.class)));

  static {
    // the protected hooks of InterpreterMachine that Interpreter overrides or calls
    Class<?> im = InterpreterMachine.class;
    Class<?> operands = resolve("InterpreterMachine.Operands",
        () -> Class.forName("com.dylibso.chicory.runtime.InterpreterMachine$Operands"));
    if (operands != null) {
      hook(im, "evalDefault", MStack.class, Instance.class, Deque.class, Instruction.class, operands);
      hook(im, "CALL", operands);
      hook(im, "readMemPtr", MStack.class, operands);
    }
    hook(im, "call", MStack.class, Instance.class, Deque.class, int.class, long[].class,
        FunctionType.class, boolean.class);
    hook(im, "useCurrentInstanceInterpreter", Instance.class, Instance.class, int.class);
    hook(im, "extractArgsForParams", MStack.class, List.class);
    hook(im, "THROW_REF", Instance.class, int.class, MStack.class, StackFrame.class, Deque.class);
    hook(im, "stack");
    resolve("InterpreterMachine.callStack (protected field)", () -> im.getDeclaredField("callStack"));
    resolve("Instance.registerException(WasmException)",
        () -> Instance.class.getMethod("registerException", WasmException.class));
  }

  private static void hook(Class<?> c, String name, Class<?>... params) {
    StringBuilder sig = new StringBuilder(c.getSimpleName()).append('.').append(name).append('(');
    for (int i = 0; i < params.length; i++) {
      sig.append(i > 0 ? ", " : "").append(params[i].getSimpleName());
    }
    resolve(sig.append(')').toString(), () -> c.getDeclaredMethod(name, params));
  }

  static {
    if (!MISSING.isEmpty()) {
      System.err.println("clj-wasi: Chicory " + chicoryVersion() + " (supported: "
          + SUPPORTED_VERSIONS + ") lacks " + MISSING.keySet()
          + "; lazy parsing, zero-copy I/O or atomics on non-shared memories fall"
          + " back where they need these"
          + " (see cljwasi.engine.ChicoryInternals)");
    }
  }

  /** What could not be reached, each with the reason; empty when everything is there. */
  public static Map<String, String> missing() {
    return Collections.unmodifiableMap(MISSING);
  }

  /** Chicory's version as its jar says (1.7.5 when the jar does not say). */
  public static String chicoryVersion() {
    Package p = Instance.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v != null ? v : "1.7.5";
  }

  // ---- parsing and validation (lazy parsing) --------------------------------------------

  /** True when every piece lazy parsing needs is there. */
  public static boolean canParseLazily() {
    return PARSE_CODE_SECTION != null && PARSE_LOCALS != null && NEW_VALIDATOR != null
        && VALIDATE_FUNCTION != null && VALIDATE_MODULE_PARTS.size() == 6
        && BODY_INSTRUCTIONS != null;
  }

  /** Chicory's decoder on a code section held in {@code buf} (little-endian). */
  public static CodeSection parseCodeSection(ByteBuffer buf, TypeSection types) {
    return (CodeSection) invoke(PARSE_CODE_SECTION, buf, types);
  }

  /** The local declarations at the start of a body, read by Chicory's parser. */
  @SuppressWarnings("unchecked")
  public static List<ValType> parseLocals(ByteBuffer body, TypeSection types) {
    return (List<ValType>) invoke(PARSE_LOCALS, body, types);
  }

  /**
   * A function body whose instruction list is {@code instructions} itself, not a copy (the
   * public constructor copies, which would decode a lazy list at once).
   */
  public static FunctionBody functionBody(List<ValType> locals,
      List<AnnotatedInstruction> instructions) {
    FunctionBody body = new FunctionBody(locals, List.of());
    try {
      BODY_INSTRUCTIONS.set(body, instructions); // before the body is published to anyone
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
    return body;
  }

  /** Chicory's validator for one module. Not thread-safe, as Chicory's is not. */
  public static final class Validator {
    private final Object validator;

    public Validator(WasmModule module) {
      this.validator = invoke(NEW_VALIDATOR, module);
    }

    /** What {@code WasmModule.Builder.build} validates besides the function bodies. */
    public void validateModule() {
      for (MethodHandle part : VALIDATE_MODULE_PARTS) invoke(part, validator);
    }

    public void validateFunction(int funcIndex, FunctionBody body, FunctionType type) {
      invoke(VALIDATE_FUNCTION, validator, funcIndex, body, type);
    }
  }

  private static Object invoke(MethodHandle h, Object... args) {
    try {
      return h.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  // ---- runtime state ----------------------------------------------------------------------

  /** The instance's own array of function bodies (writable: patched per instance). */
  public static FunctionBody[] instanceFunctions(Instance instance) {
    return (FunctionBody[]) need(INSTANCE_FUNCTIONS, "Instance.functions (private field)")
        .get(instance);
  }

  /** The locals of an interpreter frame (writable). */
  public static long[] frameLocals(StackFrame frame) {
    return (long[]) need(FRAME_LOCALS, "StackFrame.locals (private field)").get(frame);
  }

  /**
   * Restarts the interpreter frame {@code frame} for a tail call of its own function with
   * {@code args}: what Chicory's interpreter does for it (unwind the frame's blocks, keep the
   * results' place on {@code stack}, start over at pc 0), but with every declared local
   * zeroed, where Chicory's {@code StackFrame.reset} reads an argument for each local and
   * fails past the parameters.
   */
  public static void restartFrame(StackFrame frame, MStack stack, long[] args) {
    MethodHandle reset = need(FRAME_RESET, "StackFrame.reset(long[])");
    MethodHandle pop = need(FRAME_POP_CTRL_TILL_CALL, "StackFrame.popCtrlTillCall()");
    MethodHandle transfer = need(FRAME_DO_CONTROL_TRANSFER, "StackFrame.doControlTransfer");
    MethodHandle push = need(FRAME_PUSH_CTRL, "StackFrame.pushCtrl(CtrlFrame)");
    long[] locals = frameLocals(frame);
    // reset(a) sets locals[i] = a[i] for every local: parameters, then zeros
    long[] padded = args.length >= locals.length ? args : Arrays.copyOf(args, locals.length);
    try {
      Object ctrl = pop.invoke(frame);
      transfer.invoke(ctrl, stack);
      reset.invoke(frame, padded);
      push.invoke(frame, ctrl);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** True when an interpreted loop can enter compiled code (see {@link #branch}, {@link #functionBody}). */
  public static boolean canEnterLoops() {
    return BRANCH != null && BRANCH_IF != null && FRAME_CTRL_STACK != null && CTRL_HEIGHT != null
        && FRAME_JUMP_TO != null && FRAME_LOCALS != null && CTRL_START_VALUES != null
        && BODY_INSTRUCTIONS != null; // the bodies with back-edges are made at first use
  }

  /**
   * Runs Chicory's own {@code br}, {@code br_if} or {@code br_table} {@code ins} (the
   * instruction a branch carrier stands for, {@code BackEdges}) in {@code frame}: the
   * interrupt check, the unwinding of the blocks and of the operand stack, the jump.
   */
  public static void branch(StackFrame frame, MStack stack, AnnotatedInstruction ins) {
    MethodHandle h = switch (ins.opcode()) {
      case BR -> need(BRANCH, "InterpreterMachine.BR");
      case BR_IF -> need(BRANCH_IF, "InterpreterMachine.BR_IF");
      default -> need(BRANCH_TABLE, "InterpreterMachine.BR_TABLE");
    };
    try {
      h.invokeExact(frame, stack, ins);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Unwinds {@code stack} for a branch to label {@code label} of {@code frame} as the spec
   * does: the label's arity (its results, or its parameters for a loop) stays on top, what
   * lies between them and the target block's height is dropped. Chicory's branch, run after
   * this, keeps parameters and results together and so takes the values it keeps beyond the
   * arity from below that height, putting them back unchanged (BackEdges). A label of the
   * function itself (a return) is left to Chicory.
   */
  public static void keepLabelArity(StackFrame frame, MStack stack, int label) {
    List<?> ctrl = (List<?>) need(FRAME_CTRL_STACK, "StackFrame.ctrlStack (private field)")
        .get(frame);
    Object target = ctrl.get(ctrl.size() - 1 - label);
    var op = (com.dylibso.chicory.wasm.types.OpCode) need(CTRL_OPCODE, "CtrlFrame.opCode")
        .get(target);
    if (op == com.dylibso.chicory.wasm.types.OpCode.CALL) return;
    int arity = op == com.dylibso.chicory.wasm.types.OpCode.LOOP
        ? (int) need(CTRL_START_VALUES, "CtrlFrame.startValues").get(target)
        : (int) need(CTRL_END_VALUES, "CtrlFrame.endValues").get(target);
    int height = (int) need(CTRL_HEIGHT, "CtrlFrame.height").get(target);
    int drop = stack.size() - height - arity;
    if (drop <= 0) return;
    long[] s = stack.array();
    System.arraycopy(s, stack.size() - arity, s, height, arity);
    for (int i = 0; i < drop; i++) stack.pop();
  }

  /**
   * The {@code end} of {@code frame}'s innermost block (not the function's), with the
   * unwinding a branch or a catch clause that came to it skipped: the block's arity stays on
   * top ({@link #keepLabelArity}), then what Chicory's {@code end} does (pop the block, move
   * its results down to its height).
   */
  public static void endBlock(StackFrame frame, MStack stack) {
    keepLabelArity(frame, stack, 0);
    MethodHandle pop = need(FRAME_POP_CTRL, "StackFrame.popCtrl()");
    MethodHandle transfer = need(FRAME_DO_CONTROL_TRANSFER, "StackFrame.doControlTransfer");
    try {
      transfer.invoke(pop.invoke(frame), stack);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Whether the innermost block of {@code frame} (the loop a back-edge just went to) starts
   * at the operand-stack height of the function's own frame: nothing of the function's is on
   * the stack below the loop's parameters. Then that height ({@code >= 0}), else -1.
   */
  public static int emptyBelowInnermost(StackFrame frame) {
    List<?> ctrl = (List<?>) need(FRAME_CTRL_STACK, "StackFrame.ctrlStack (private field)")
        .get(frame);
    VarHandle height = need(CTRL_HEIGHT, "CtrlFrame.height");
    if (ctrl.isEmpty()) return -1;
    int base = (int) height.get(ctrl.get(0));
    return (int) height.get(ctrl.get(ctrl.size() - 1)) == base ? base : -1;
  }

  /**
   * The stack slots of the parameters of {@code frame}'s innermost block (the loop a
   * back-edge just went to). Chicory's branch to a loop keeps as many values as the loop has
   * parameters and results together (padding with zeros below when the frame has fewer), so
   * the parameters are the top ones of what lies above the frame's base.
   */
  public static int innermostParams(StackFrame frame) {
    List<?> ctrl = (List<?>) need(FRAME_CTRL_STACK, "StackFrame.ctrlStack (private field)")
        .get(frame);
    return (int) need(CTRL_START_VALUES, "CtrlFrame.startValues").get(ctrl.get(ctrl.size() - 1));
  }

  /**
   * Ends {@code frame} as if it had run its last instruction: the interpreter's loop stops
   * there and its caller takes the results from the operand stack (pushed by the caller of
   * this, at the function's base height).
   */
  public static void finishFrame(StackFrame frame) {
    try {
      need(FRAME_JUMP_TO, "StackFrame.jumpTo(int)").invokeExact(frame, Integer.MAX_VALUE);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private static MethodHandle need(MethodHandle h, String what) {
    if (h == null) throw unreachable(what);
    return h;
  }

  private static VarHandle need(VarHandle h, String what) {
    if (h == null) throw unreachable(what);
    return h;
  }

  private static IllegalStateException unreachable(String what) {
    return new IllegalStateException("clj-wasi: cannot reach Chicory's " + what + " (Chicory "
        + chicoryVersion() + "; supported: " + SUPPORTED_VERSIONS
        + "; or Chicory is on the module path without opening its packages)");
  }

  // ---- message text -------------------------------------------------------------------------

  /**
   * Chicory's trap messages (lower case) and the kind each names, in the order they are
   * tried. Chicory throws one exception class for every trap; the message is all that says
   * which trap it was.
   */
  public static final List<Map.Entry<String, String>> TRAP_MESSAGES = List.of(
      Map.entry("unreachable", "unreachable"),
      Map.entry("divide by zero", "integer-divide-by-zero"),
      Map.entry("integer overflow", "integer-overflow"),
      Map.entry("invalid conversion to integer", "invalid-conversion-to-integer"),
      Map.entry("out of bounds memory access", "out-of-bounds-memory-access"),
      Map.entry("out of bounds table access", "out-of-bounds-table-access"),
      Map.entry("indirect call type mismatch", "indirect-call-type-mismatch"),
      Map.entry("undefined element", "undefined-element"),
      Map.entry("uninitialized element", "undefined-element"),
      Map.entry("call stack exhausted", "stack-overflow"),
      Map.entry("unaligned atomic", "unaligned-atomic"));

  /** The kind of trap {@code t} (Chicory's exception, or the JVM's) reports; "trap" if unknown. */
  public static String trapKind(Throwable t) {
    if (t instanceof StackOverflowError) return "stack-overflow";
    String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> e : TRAP_MESSAGES) {
      if (m.contains(e.getKey())) return e.getValue();
    }
    return "trap";
  }
}
