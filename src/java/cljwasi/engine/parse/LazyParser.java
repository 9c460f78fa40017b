package cljwasi.engine.parse;

import cljwasi.engine.ChicoryInternals;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Encoding;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.DataCountSection;
import com.dylibso.chicory.wasm.types.DataSection;
import com.dylibso.chicory.wasm.types.ElementSection;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionSection;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalSection;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.Section;
import com.dylibso.chicory.wasm.types.StartSection;
import com.dylibso.chicory.wasm.types.TableSection;
import com.dylibso.chicory.wasm.types.TagSection;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.RandomAccess;

/**
 * Parses a large module without decoding its function bodies: each body is decoded and
 * validated the first time anything reads its instructions (the interpreter calling it,
 * the compiler compiling it).
 *
 * <p>Why: Chicory turns every instruction into objects and validates every function before
 * anything runs, 15-30 s and ~33 bytes of heap per byte of code on a 55-77 MB module; most
 * functions of a large program never run in a given session. Here everything but the code
 * section is parsed and validated as Chicory does (0.2-0.3 s on those modules); the code
 * section is only framed: each function's local declarations are read at once, its
 * instructions kept as a byte range of the module. A body's instruction list
 * ({@link LazyInstructions}) decodes it with Chicory's own decoder and validates it with
 * Chicory's own validator on first access, then keeps the result: the module's own
 * instructions, which compilers read. The interpreter's rewritten copies of them are the
 * module plan's ({@code ModulePlan.patchedBodies}), made from these at their first use.
 *
 * <p>The difference a user can see: an invalid function body in a lazily parsed module is
 * reported when the function is first called (a {@link InvalidFunctionException}, which
 * {@code cljwasi.ModuleInstance} turns into an ex-info of type {@code :wasm/malformed}), not
 * when the module is loaded. Which modules are parsed lazily is the module plan's decision
 * ({@link cljwasi.engine.ModulePlan}): those {@code :auto} compiles only the hot functions of.
 *
 * <p>Chicory's decoder and validator are private ({@code Parser.parseCodeSection} on a
 * one-function code section, and the package-private {@code Validator}); they are reached
 * through {@link ChicoryInternals}, and when they cannot be, modules are parsed eagerly.
 */
public final class LazyParser {
  private LazyParser() {}

  private static final int CODE = 10;

  /** A function body that failed to decode or validate on first use. */
  public static final class InvalidFunctionException extends ChicoryException {
    private static final long serialVersionUID = 1L;
    private final int function;

    InvalidFunctionException(int function, Throwable cause) {
      super("function " + function + " is invalid: " + cause.getMessage(), cause);
      this.function = function;
    }

    /** Index of the function (function index space, imports first). */
    public int function() {
      return function;
    }
  }

  /** Whether lazy parsing is possible with the Chicory in use. */
  public static boolean available() {
    return ChicoryInternals.canParseLazily();
  }

  /**
   * The module parsed lazily, each body validated at its first use. {@code code}: the code
   * section's contents as {@link #codeSection} found them.
   */
  public static WasmModule parse(byte[] bytes, int[] code) {
    return parse(bytes, code, null, true);
  }

  /**
   * The module parsed lazily. {@code digest}: the bytes' {@link #digest}, or null to compute
   * it here; {@code validateBodies}: false when a previous parse of the same bytes already
   * validated every body ({@link cljwasi.engine.cache.ModuleFacts}), so that a body is only
   * decoded at its first use.
   */
  public static WasmModule parse(byte[] bytes, int[] code, String knownDigest,
      boolean validateBodies) {
    // the digest (compile cache key) on the other core while this one parses
    java.util.concurrent.CompletableFuture<String> digest = knownDigest != null
        ? java.util.concurrent.CompletableFuture.completedFuture(knownDigest)
        : java.util.concurrent.CompletableFuture.supplyAsync(() -> digest(bytes));
    Parser.Builder pb = Parser.builder();
    for (int id = 0; id <= 13; id++) if (id != CODE) pb.includeSectionId(id);
    List<Section> sections = new ArrayList<>();
    pb.build().parse(new ByteArrayInputStream(bytes), sections::add);

    WasmModule.Builder mb = WasmModule.builder().withValidation(false);
    int functionImports = 0;
    TypeSection types = TypeSection.builder().build();
    FunctionSection functions = FunctionSection.builder().build();
    // (absent sections: the builder's defaults, empty like these)
    for (Section s : sections) {
      if (s instanceof TypeSection) mb.setTypeSection(types = (TypeSection) s);
      else if (s instanceof ImportSection) {
        mb.setImportSection((ImportSection) s);
        functionImports = ((ImportSection) s).count(ExternalType.FUNCTION);
      } else if (s instanceof FunctionSection) mb.setFunctionSection(functions = (FunctionSection) s);
      else if (s instanceof TableSection) mb.setTableSection((TableSection) s);
      else if (s instanceof MemorySection) mb.setMemorySection((MemorySection) s);
      else if (s instanceof GlobalSection) mb.setGlobalSection((GlobalSection) s);
      else if (s instanceof ExportSection) mb.setExportSection((ExportSection) s);
      else if (s instanceof StartSection) mb.setStartSection((StartSection) s);
      else if (s instanceof ElementSection) mb.setElementSection((ElementSection) s);
      else if (s instanceof DataSection) mb.setDataSection((DataSection) s);
      else if (s instanceof DataCountSection) mb.setDataCountSection((DataCountSection) s);
      else if (s instanceof TagSection) mb.setTagSection((TagSection) s);
      // custom sections: names and producers are not needed to run
    }

    Shared shared = new Shared(bytes, types, validateBodies);
    CodeSection.Builder cb = CodeSection.builder();
    ByteBuffer buf = ByteBuffer.wrap(bytes, code[0], code[1] - code[0]).order(ByteOrder.LITTLE_ENDIAN);
    long count = Encoding.readVarUInt32(buf);
    if (count != functions.functionCount()) {
      throw new MalformedException("function and code section have inconsistent lengths");
    }
    for (int i = 0; i < count; i++) {
      int from = buf.position();
      long size = Encoding.readVarUInt32(buf);
      if (size > buf.remaining()) throw new MalformedException("unexpected end");
      int to = buf.position() + (int) size;
      FunctionType type = types.getType(functions.getFunctionType(i));
      List<ValType> locals = ChicoryInternals.parseLocals(buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(to), types);
      buf.position(to);
      cb.addFunctionBody(ChicoryInternals.functionBody(locals,
          new LazyInstructions(shared, functionImports + i, from, to, type)));
    }
    if (buf.hasRemaining()) throw new MalformedException("section size mismatch");

    WasmModule module = mb.setCodeSection(cb.build()).withDigest(digest.join())
        .build(); // checks that the sections agree
    new ChicoryInternals.Validator(module).validateModule();
    shared.module = module;
    return module;
  }

  /** "sha-256:" and the Base64 of the SHA-256 of the bytes, as Chicory's parser makes it. */
  private static String digest(byte[] bytes) {
    try {
      return "sha-256:" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      return null;
    }
  }

  /** What every body of one module shares. */
  private static final class Shared {
    final byte[] bytes;
    final TypeSection types;
    final boolean validateBodies;
    volatile WasmModule module; // set once the module is built
    private ChicoryInternals.Validator validator; // guarded by this: it is not thread-safe

    Shared(byte[] bytes, TypeSection types, boolean validateBodies) {
      this.bytes = bytes;
      this.types = types;
      this.validateBodies = validateBodies;
    }

    synchronized void validate(int funcIndex, FunctionBody body, FunctionType type) {
      if (!validateBodies) return; // a previous parse of these bytes validated every body
      if (validator == null) validator = new ChicoryInternals.Validator(module);
      validator.validateFunction(funcIndex, body, type);
    }
  }

  /**
   * The instructions of one function, decoded and validated on first access. The decoded
   * list (or the failure) is kept; decoding happens once even when several threads ask.
   */
  static final class LazyInstructions extends AbstractList<AnnotatedInstruction>
      implements RandomAccess {
    final Shared shared;
    final int funcIndex;
    private final int from; // the body's size field, in shared.bytes
    private final int to;
    private final FunctionType type;
    private volatile List<AnnotatedInstruction> decoded;
    private volatile RuntimeException failure;

    LazyInstructions(Shared shared, int funcIndex, int from, int to, FunctionType type) {
      this.shared = shared;
      this.funcIndex = funcIndex;
      this.from = from;
      this.to = to;
      this.type = type;
    }

    List<AnnotatedInstruction> decoded() {
      List<AnnotatedInstruction> d = decoded;
      return d != null ? d : decode();
    }

    private synchronized List<AnnotatedInstruction> decode() {
      if (decoded != null) return decoded;
      if (failure != null) throw failure;
      try {
        // little-endian, as Chicory's parser reads modules (f32/f64/v128 constants)
        ByteBuffer one = ByteBuffer.allocate(to - from + 1).order(ByteOrder.LITTLE_ENDIAN);
        one.put((byte) 1).put(shared.bytes, from, to - from).flip();
        CodeSection cs = ChicoryInternals.parseCodeSection(one, shared.types);
        FunctionBody body = cs.getFunctionBody(0);
        shared.validate(funcIndex, body, type);
        List<AnnotatedInstruction> code = body.instructions();
        decoded = code;
        return code;
      } catch (Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
          throw (VirtualMachineError) t;
        }
        failure = new InvalidFunctionException(funcIndex, t);
        throw failure;
      }
    }

    @Override
    public AnnotatedInstruction get(int index) {
      return decoded().get(index);
    }

    @Override
    public int size() {
      return decoded().size();
    }

    // value semantics would decode every body (WasmModule.hashCode hashes all instructions)
    @Override
    public boolean equals(Object o) {
      return o == this;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /**
   * The instructions of {@code body}, decoded now if they were not yet (a body that fails to
   * decode or validate throws {@link InvalidFunctionException}): for a lazily parsed body
   * the decoded list itself, so that a list built on it does not read through the lazy one.
   */
  public static List<AnnotatedInstruction> decodedInstructions(FunctionBody body) {
    List<AnnotatedInstruction> code = body.instructions();
    return code instanceof LazyInstructions ? ((LazyInstructions) code).decoded() : code;
  }

  /**
   * How many function bodies of {@code module} have been decoded so far (all of them for an
   * eagerly parsed module): what a run actually decoded, for tests and measurements.
   */
  public static int decodedBodies(WasmModule module) {
    int n = 0;
    for (int i = 0; i < module.codeSection().functionBodyCount(); i++) {
      List<AnnotatedInstruction> code = module.codeSection().getFunctionBody(i).instructions();
      if (!(code instanceof LazyInstructions) || ((LazyInstructions) code).decoded != null) n++;
    }
    return n;
  }

  // ---- framing ---------------------------------------------------------------------------

  /** [contents start, contents end) of the code section, or null (none, or bad framing). */
  public static int[] codeSection(byte[] b) {
    if (b.length < 8 || b[0] != 0 || b[1] != 'a' || b[2] != 's' || b[3] != 'm') return null;
    ByteBuffer buf = ByteBuffer.wrap(b, 8, b.length - 8);
    try {
      while (buf.hasRemaining()) {
        int id = buf.get() & 0xFF;
        long size = Encoding.readVarUInt32(buf);
        if (size > buf.remaining()) return null;
        if (id == CODE) return new int[] {buf.position(), buf.position() + (int) size};
        buf.position(buf.position() + (int) size);
      }
    } catch (RuntimeException e) {
      return null;
    }
    return null;
  }

}
