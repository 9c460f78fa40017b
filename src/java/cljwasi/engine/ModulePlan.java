package cljwasi.engine;

import cljwasi.Engine;
import cljwasi.engine.cache.CompileCache;
import cljwasi.engine.cache.ModuleFacts;
import cljwasi.engine.eh.TagImports;
import cljwasi.engine.interp.DeferredInstructions;
import cljwasi.engine.interp.BackEdges;
import cljwasi.engine.interp.ReplacedInstructions;
import cljwasi.engine.interp.V128Locals;
import cljwasi.engine.parse.LazyParser;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every engine decision about one module, made once when it is parsed and kept on the
 * {@code cljwasi.Module}: whether its bodies are decoded lazily, its code size, the functions
 * that use SIMD or make tail calls and the bodies the interpreter runs patched, whether
 * {@code :auto} compiles it whole or only its hot functions, the compile-cache key, and so
 * which machine runs it under each engine ({@link #route}). Everything that builds machines
 * reads this; nothing else decides.
 *
 * <p>The size decision: a module is <em>large</em> when {@link SizePolicy} says so (property
 * {@code clj-wasi.large} {@code on}, or, in mode {@code auto}, its code section (the bytes of
 * the section as the module stores it) is at least {@code clj-wasi.large.min-code-bytes};
 * read from the system properties at parse). A large module is parsed lazily
 * ({@link LazyParser}, when the Chicory in use allows it) and, under {@code :auto}, starts
 * interpreted with its hot functions compiled in the background ({@link Route#HOT_FUNCTIONS}).
 *
 * <p>The functions of an eagerly parsed module are scanned once, here: which use 128-bit SIMD
 * (anything touching a v128: a 0xFD-prefixed instruction, a v128 parameter, result or local,
 * a call or block whose type mentions v128, a v128 global, a drop/select of a v128), which
 * make a tail call, and the bodies the project's interpreter runs rewritten (the v128-local
 * fix, {@link V128Locals}, and {@link ReplacedInstructions}). A lazily parsed module is not
 * scanned (that would decode every body): every body gets an interpreter's copy that is
 * decoded and rewritten at its first use, and its instances always get the tail-call interrupt check. Either way the
 * module's own bodies stay as they are: compilers read those.
 *
 * <p>Modules below the size are parsed eagerly the first time and lazily after that: given a
 * compile cache, an eager parse records what it established ({@link ModuleFacts}: every body
 * validated, the scan's sets, the digest) for the module's bytes, and the next parse of them
 * finds it there, frames the code section as for a large module, decodes each body at its
 * first use without validating it again, and takes the scan from the record ({@code lazy} and
 * {@code scanned} both true). So a second run decodes only what it executes (or what the
 * compiler compiles, when its classes are not cached) and routes the module as the first did.
 *
 * @param simdFunctions the functions (function index space) that use SIMD
 * @param tailCallFunctions the functions that make a tail call
 * @param patchedBodies replacement bodies by code-section index (null: unchanged; empty when
 *     there are none) for the project's interpreter: the v128-local fix ({@link V128Locals}),
 *     the instructions Chicory's interpreter gets wrong ({@link ReplacedInstructions}) and
 *     the branches and block ends it unwinds wrongly ({@link BackEdges});
 *     a lazily parsed module has one for every body (each made at its first use); a module
 *     with any runs in the project's interpreter under {@code :interpreter}; shared: read, never write. (Plans are kept,
 *     not compared: a plan's value hash would hash every instruction of its module.)
 */
public record ModulePlan(
    /* the module itself, how it was parsed (lazy: bodies decoded at first use), and whether
       the scan's sets are known (an eager parse, or one a previous run recorded) */
    WasmModule module, boolean lazy, boolean scanned,
    /* the size decision: code section bytes (the one measure), large or not */
    long codeBytes, boolean large,
    /* the function index space: imported functions first */
    int importedFunctions, int functionCount,
    /* the scan (empty when not scanned) */
    boolean usesSimd, Set<Integer> simdFunctions, Set<Integer> tailCallFunctions,
    FunctionBody[] patchedBodies) {

  /** What runs a module under an engine. */
  public enum Route {
    /** Chicory's interpreter, every function. */
    CHICORY_INTERPRETER,
    /** The project's interpreter ({@code cljwasi.engine.interp.Interpreter}), every function. */
    INTERPRETER,
    /**
     * Interpreted at once, hot functions compiled by the project's compiler in the
     * background in small batches, each batch cached (a large module under :auto).
     */
    HOT_FUNCTIONS,
    /**
     * The project's compiler ({@code OwnCompiler}), the whole module before the first call
     * (or in the background, as an opt-in); what it refuses is interpreted under :auto and
     * a "compile" error under :compiler.
     */
    COMPILED
  }

  /**
   * Parses {@code bytes} (legacy exception handling already translated), lazily or eagerly as
   * the size decision says, and plans the module. Throws what Chicory's parser throws for a
   * malformed or invalid module.
   */
  public static ModulePlan parse(byte[] bytes) {
    return parse(bytes, null);
  }

  /**
   * As {@link #parse(byte[])}; with a compile {@code cache}, a module below the size is parsed
   * lazily when the cache holds the facts a previous eager parse of the same bytes recorded,
   * and eagerly (recording them) when it does not.
   */
  public static ModulePlan parse(byte[] bytes, CompileCache cache) {
    int[] code = LazyParser.codeSection(bytes); // null: no code section, or bad framing
    long codeBytes = code == null ? 0 : code[1] - code[0];
    boolean large = SizePolicy.fromSystemProperties().isLarge(codeBytes);
    // available() first: the first parse runs ChicoryInternals' self-check; bad framing
    // (code null): let Chicory's parser say what is wrong
    boolean lazy = LazyParser.available() && large && code != null;
    // below the size: what a previous run established, when the cache has it
    boolean remember = cache != null && !large && code != null && LazyParser.available();
    ModuleFacts.Recorded recorded = remember ? ModuleFacts.lookup(cache, bytes) : null;
    ModuleFacts facts = recorded == null ? null : recorded.facts();
    WasmModule m = facts != null ? LazyParser.parse(bytes, code, recorded.digest(), false)
        : lazy ? LazyParser.parse(bytes, code)
        : Parser.parse(bytes);
    TagImports.check(m);

    int imported = m.importSection().count(ExternalType.FUNCTION);
    FunctionBody[] patched = new FunctionBody[m.codeSection().functionBodyCount()];
    Set<Integer> simd = new TreeSet<>();
    Set<Integer> tail = new TreeSet<>();
    boolean usesSimd;
    if (facts != null) {
      usesSimd = facts.usesSimd();
      simd.addAll(facts.simdFunctions());
      tail.addAll(facts.tailCallFunctions());
      // the bodies the scan patched, each decoded (without validating again) and patched
      // at its first use: compiled functions never decode theirs
      for (int i : facts.patchedFunctions()) {
        if (i < 0 || i >= patched.length) continue; // the bytes are compared: cannot happen
        patched[i] = patchedAtFirstUse(m, imported, i);
      }
    } else if (lazy) {
      // not scanned: which bodies need patching is known only once they are decoded, so
      // the interpreter gets a copy of each, made at its first use
      usesSimd = false;
      for (int i = 0; i < patched.length; i++) patched[i] = patchedAtFirstUse(m, imported, i);
    } else {
      usesSimd = scan(m, simd, tail, patched);
      if (remember && m.digest() != null) {
        Set<Integer> patchedSet = new TreeSet<>();
        for (int i = 0; i < patched.length; i++) if (patched[i] != null) patchedSet.add(i);
        new ModuleFacts(usesSimd, simd, tail, patchedSet).write(cache, bytes, m.digest());
      }
    }
    boolean anyPatched = false;
    for (FunctionBody b : patched) anyPatched |= b != null;
    return new ModulePlan(m, lazy || facts != null, !lazy || facts != null, codeBytes, large,
        imported, imported + m.functionSection().functionCount(),
        usesSimd, Collections.unmodifiableSet(simd), Collections.unmodifiableSet(tail),
        // none (every module without v128 locals): each instance skips installing them
        anyPatched ? patched : new FunctionBody[0]);
  }

  // ---- the decisions ------------------------------------------------------------------------

  /** What runs this module under {@code engine}. */
  public Route route(Engine engine) {
    if (engine == Engine.INTERPRETER) {
      // Chicory's interpreter knows no SIMD, gets the instructions of a patched body wrong
      // (ReplacedInstructions, and branches to labels with parameters: BackEdges) and loses track of its call stack after a call whose callee
      // made a tail call (Interpreter.call); a large module was not scanned for any of it
      // (a module parsed from recorded facts was: its patched bodies come from them)
      return usesSimd || !scanned || patchedBodies.length > 0 || !tailCallFunctions.isEmpty()
          ? Route.INTERPRETER : Route.CHICORY_INTERPRETER;
    }
    return engine == Engine.AUTO && large ? Route.HOT_FUNCTIONS : Route.COMPILED;
  }

  /**
   * Whether a function of this module may make a tail call, so that its instances need
   * {@link TailCalls#INTERRUPT_CHECK}: an unscanned (large) module may.
   */
  public boolean mayMakeTailCalls() {
    return !scanned || !tailCallFunctions.isEmpty();
  }

  /** Key of the module's compiled code in the compile cache: the module's SHA-256 digest. */
  public String cacheKey() {
    return module.digest();
  }

  // ---- the scan -----------------------------------------------------------------------------

  /**
   * One pass over an eagerly parsed module's bodies: fills {@code simd}, {@code tail} and
   * {@code patched}; returns whether any function or global uses v128.
   */
  private static boolean scan(WasmModule m, Set<Integer> simd, Set<Integer> tail,
      FunctionBody[] patched) {
    List<FunctionType> funcTypes = new ArrayList<>();
    List<Boolean> globalIsV128 = new ArrayList<>();
    boolean importsV128 = false;
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp instanceof FunctionImport) {
        FunctionType t = typeAt(m, ((FunctionImport) imp).typeIndex());
        funcTypes.add(t);
        // a v128 in an imported function's type makes the module a SIMD one (run by the
        // project's interpreter under :interpreter) even if no body calls the import
        importsV128 |= hasV128(t);
      } else if (imp instanceof GlobalImport) {
        globalIsV128.add(ValType.V128.equals(((GlobalImport) imp).type()));
      }
    }
    int imported = funcTypes.size();
    int bodies = m.codeSection().functionBodyCount();
    for (int i = 0; i < bodies; i++) {
      funcTypes.add(m.functionSection().getFunctionType(i, m.typeSection()));
    }
    boolean any = importsV128;
    for (int i = 0; i < m.globalSection().globalCount(); i++) {
      globalIsV128.add(ValType.V128.equals(m.globalSection().getGlobal(i).valueType()));
    }
    for (Boolean b : globalIsV128) any |= b;

    for (int i = 0; i < bodies; i++) {
      FunctionBody body = m.codeSection().getFunctionBody(i);
      FunctionType type = funcTypes.get(imported + i);
      boolean v128 = hasV128(type) || hasV128(body.localTypes());
      boolean tailCall = false;
      for (AnnotatedInstruction ins : body.instructions()) {
        tailCall |= TailCalls.isTailCall(ins.opcode());
        v128 = v128 || usesV128(m, ins, funcTypes, globalIsV128);
        if (v128 && tailCall) break;
      }
      if (tailCall) tail.add(imported + i);
      if (v128) {
        simd.add(imported + i);
        any = true;
      }
      patched[i] = patch(m, imported + i, type, body, v128);
    }
    return any;
  }

  /**
   * The body the project's interpreter runs for function {@code funcIndex} instead of
   * {@code body}, or null when it runs it as it is: the v128-local fix for a function that
   * uses v128 ({@link V128Locals}), the instructions Chicory's interpreter gets wrong
   * ({@link ReplacedInstructions}) and the branches it unwinds wrongly ({@link BackEdges}).
   */
  private static FunctionBody patch(WasmModule m, int funcIndex, FunctionType type,
      FunctionBody body, boolean v128) {
    FunctionBody fixed = body;
    if (v128) {
      FunctionBody locals = V128Locals.rewrite(type, body);
      if (locals != null) fixed = locals;
    }
    FunctionBody replaced = ReplacedInstructions.rewrite(funcIndex, fixed);
    if (replaced != null) fixed = replaced;
    FunctionBody branches = BackEdges.rewrite(funcIndex, fixed, m.typeSection(), false);
    if (branches != null) fixed = branches;
    return fixed == body ? null : fixed;
  }

  /**
   * The body the project's interpreter runs for code-section entry {@code i} of {@code m},
   * decoded and patched ({@link #patch}) when the interpreter first reads it, so that a
   * function that never runs interpreted is never patched, nor decoded for it.
   */
  private static FunctionBody patchedAtFirstUse(WasmModule m, int imported, int i) {
    FunctionType type = m.functionSection().getFunctionType(i, m.typeSection());
    FunctionBody body = m.codeSection().getFunctionBody(i); // locals only: not decoded
    int funcIndex = imported + i;
    // only a function with a v128 parameter or local can set one (V128Locals)
    boolean v128 = hasV128(type) || hasV128(body.localTypes());
    return ChicoryInternals.functionBody(body.localTypes(), new DeferredInstructions(() -> {
      FunctionBody p = patch(m, funcIndex, type, body, v128);
      return p != null ? p.instructions() : LazyParser.decodedInstructions(body);
    }));
  }

  /** True for the 0xFD-prefixed (SIMD) opcodes. */
  private static boolean isSimdOpcode(OpCode op) {
    return (op.opcode() & 0xFF00) == 0xFD00;
  }

  private static boolean usesV128(WasmModule m, AnnotatedInstruction ins,
      List<FunctionType> funcTypes, List<Boolean> globalIsV128) {
    long v128 = ValType.V128.id();
    OpCode op = ins.opcode();
    if (isSimdOpcode(op)) return true;
    switch (op) {
      case DROP:
      case SELECT:
      case SELECT_T:
        return ins.operandCount() > 0 && ins.operand(0) == v128;
      case CALL:
      case RETURN_CALL: {
        long f = ins.operand(0);
        return f >= 0 && f < funcTypes.size() && hasV128(funcTypes.get((int) f));
      }
      case CALL_INDIRECT:
      case RETURN_CALL_INDIRECT:
        return hasV128(typeAt(m, ins.operand(0)));
      case BLOCK:
      case LOOP:
      case IF:
      case TRY_TABLE:
        if (ins.operandCount() == 0) return false;
        long bt = ins.operand(0);
        return bt == v128 || hasV128(typeAt(m, bt));
      case GLOBAL_GET:
      case GLOBAL_SET: {
        long g = ins.operand(0);
        return g >= 0 && g < globalIsV128.size() && globalIsV128.get((int) g);
      }
      default:
        return false;
    }
  }

  private static boolean hasV128(List<ValType> ts) {
    for (ValType t : ts) if (ValType.V128.equals(t)) return true;
    return false;
  }

  private static boolean hasV128(FunctionType t) {
    return t != null && (hasV128(t.params()) || hasV128(t.returns()));
  }

  private static FunctionType typeAt(WasmModule m, long idx) {
    try {
      if (idx < 0 || idx >= m.typeSection().typeCount()) return null;
      return m.typeSection().getType((int) idx);
    } catch (RuntimeException e) {
      return null; // not a function type (GC proposal)
    }
  }
}
