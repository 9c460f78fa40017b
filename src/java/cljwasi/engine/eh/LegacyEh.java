package cljwasi.engine.eh;

import cljwasi.WasmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Load-time translation of Wasm's legacy exception handling (the first version of the
 * proposal: {@code try}, {@code catch}, {@code catch_all}, {@code rethrow}, {@code delegate})
 * into the standardized exnref form ({@code try_table}, {@code throw_ref}) that Chicory runs.
 *
 * <p>Only function bodies that contain a legacy instruction are rewritten; every other byte
 * of the module is copied as it is, except the type section, to which function types for
 * new multi-value block types are appended. Modules without legacy instructions are returned
 * unchanged (the same array). See docs/EXCEPTIONS.md.
 */
public final class LegacyEh {
  private LegacyEh() {}

  private static final int TYPE = 1;
  private static final int IMPORT = 2;
  private static final int FUNCTION = 3;
  private static final int CODE = 10;
  private static final int TAG = 13;

  private static final class Section {
    final int id;
    final int at; // the id byte
    final int from; // contents
    final int to;

    Section(int id, int at, int from, int to) {
      this.id = id;
      this.at = at;
      this.from = from;
      this.to = to;
    }
  }

  /** Whether some function body of {@code bytes} uses a legacy exception-handling instruction. */
  public static boolean usesLegacyEh(byte[] bytes) {
    List<Section> sections = sections(bytes);
    if (sections == null) return false;
    Section code = find(sections, CODE);
    if (code == null) return false;
    try {
      for (int[] body : bodies(bytes, code)) {
        try {
          if (FunctionTranslator.usesLegacy(bytes, body[0], body[1])) return true;
        } catch (DecodeException e) {
          // an undecodable body: not ours to judge
        }
      }
    } catch (DecodeException e) {
      return false;
    }
    return false;
  }

  /**
   * {@code bytes} itself when the module uses no legacy exception handling (or is not a
   * module this can read: the parser reports that), else the translated module.
   *
   * @throws WasmException of type "unsupported" when a body with legacy instructions
   *     cannot be translated
   */
  public static byte[] translateIfNeeded(byte[] bytes, String name) {
    List<Section> sections = sections(bytes);
    if (sections == null || !mayUseExceptions(bytes, sections)) return bytes;
    Section code = find(sections, CODE);
    if (code == null) return bytes;
    List<int[]> bodies;
    try {
      bodies = bodies(bytes, code);
    } catch (DecodeException e) {
      return bytes;
    }
    boolean[] legacy = new boolean[bodies.size()];
    boolean any = false;
    int undecodable = -1;
    DecodeException undecodableWhy = null;
    for (int i = 0; i < bodies.size(); i++) {
      try {
        legacy[i] = FunctionTranslator.usesLegacy(bytes, bodies.get(i)[0], bodies.get(i)[1]);
        any |= legacy[i];
      } catch (DecodeException e) {
        if (undecodable < 0) {
          undecodable = i;
          undecodableWhy = e;
        }
      }
    }
    if (!any) return bytes;
    int funcImports = 0;
    try {
      Context cx = new Context(bytes, sections);
      funcImports = cx.funcImports;
      if (undecodable >= 0) {
        throw new Failure(funcImports + undecodable, undecodableWhy);
      }
      byte[][] newBodies = new byte[bodies.size()][];
      for (int i = 0; i < bodies.size(); i++) {
        if (!legacy[i]) continue;
        int[] body = bodies.get(i);
        try {
          int params = cx.types.func(cx.funcTypes.get(i), body[0]).params.size();
          newBodies[i] = new FunctionTranslator(bytes, body[0], body[1], params, cx.types,
              cx).translate();
        } catch (DecodeException e) {
          throw new Failure(funcImports + i, e);
        }
      }
      return rebuild(bytes, sections, cx.types, bodies, newBodies);
    } catch (Failure f) {
      throw unsupported(name, f.function, f.cause);
    } catch (DecodeException e) {
      throw unsupported(name, -1, e);
    } catch (RuntimeException | StackOverflowError e) {
      throw new WasmException("unsupported",
          name + ": cannot translate legacy exception handling: " + e,
          Map.of("name", name), e);
    }
  }

  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int function;
    final DecodeException cause;

    Failure(int function, DecodeException cause) {
      super(cause);
      this.function = function;
      this.cause = cause;
    }
  }

  private static WasmException unsupported(String name, int function, DecodeException e) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", name);
    if (function >= 0) data.put("function", function);
    data.put("offset", e.offset);
    String where = (function >= 0 ? "function " + function + ", " : "")
        + String.format("offset 0x%x", e.offset);
    return new WasmException("unsupported",
        name + ": cannot translate legacy exception handling (" + where + "): " + e.getMessage(),
        data, e);
  }

  /** The module's sections, or null when the header or section framing is not well-formed. */
  private static List<Section> sections(byte[] b) {
    if (b.length < 8 || b[0] != 0 || b[1] != 'a' || b[2] != 's' || b[3] != 'm'
        || b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0) {
      return null;
    }
    List<Section> out = new ArrayList<>();
    Reader r = new Reader(b, 8, b.length);
    try {
      while (!r.atEnd()) {
        int at = r.pos;
        int id = r.u8();
        int size = r.u32();
        int from = r.pos;
        r.skip(size);
        out.add(new Section(id, at, from, r.pos));
      }
    } catch (DecodeException e) {
      return null;
    }
    return out;
  }

  /**
   * Whether the module defines or imports a tag: without one nothing can be thrown, and
   * (legacy EH in such modules being pointless) its bodies are not even walked.
   */
  private static boolean mayUseExceptions(byte[] b, List<Section> sections) {
    if (find(sections, TAG) != null) return true;
    Section imports = find(sections, IMPORT);
    if (imports == null) return false;
    try {
      Reader r = new Reader(b, imports.from, imports.to);
      int n = r.u32();
      for (int i = 0; i < n; i++) {
        r.skip(r.u32());
        r.skip(r.u32());
        int kind = r.u8();
        switch (kind) {
          case 0 -> r.u32();
          case 1 -> {
            Instructions.valType(r);
            Context.limits(r);
          }
          case 2 -> Context.limits(r);
          case 3 -> {
            Instructions.valType(r);
            r.u8();
          }
          case 4 -> {
            return true;
          }
          default -> {
            return true; // unknown: walk the bodies to be sure
          }
        }
      }
      return false;
    } catch (DecodeException e) {
      return true;
    }
  }

  private static Section find(List<Section> sections, int id) {
    for (Section s : sections) if (s.id == id) return s;
    return null;
  }

  /** [from, to) of each function body in the code section. */
  private static List<int[]> bodies(byte[] b, Section code) {
    Reader r = new Reader(b, code.from, code.to);
    int n = r.u32();
    List<int[]> out = new ArrayList<>(Math.min(n, 1 << 16));
    for (int i = 0; i < n; i++) {
      int size = r.u32();
      int from = r.pos;
      r.skip(size);
      out.add(new int[] {from, r.pos});
    }
    if (r.pos != code.to) throw new DecodeException(r.pos, "code section size mismatch");
    return out;
  }

  /** What translation needs from the other sections: types, function types, tag types. */
  private static final class Context implements FunctionTranslator.TagTypes {
    final Types types;
    int funcImports;
    final List<Integer> tagTypes = new ArrayList<>();
    final List<Integer> funcTypes = new ArrayList<>();

    Context(byte[] b, List<Section> sections) {
      Section ts = find(sections, TYPE);
      types = ts == null ? Types.parse(b, -1, -1) : Types.parse(b, ts.from, ts.to);
      Section imports = find(sections, IMPORT);
      if (imports != null) {
        Reader r = new Reader(b, imports.from, imports.to);
        int n = r.u32();
        for (int i = 0; i < n; i++) {
          r.skip(r.u32());
          r.skip(r.u32());
          int at = r.pos;
          int kind = r.u8();
          switch (kind) {
            case 0 -> {
              r.u32();
              funcImports++;
            }
            case 1 -> {
              Instructions.valType(r);
              limits(r);
            }
            case 2 -> limits(r);
            case 3 -> {
              Instructions.valType(r);
              r.u8();
            }
            case 4 -> {
              r.u8();
              tagTypes.add(r.u32());
            }
            default -> throw new DecodeException(at, "unknown import kind " + kind);
          }
        }
      }
      Section funcs = find(sections, FUNCTION);
      if (funcs != null) {
        Reader r = new Reader(b, funcs.from, funcs.to);
        int n = r.u32();
        for (int i = 0; i < n; i++) funcTypes.add(r.u32());
      }
      Section tags = find(sections, TAG);
      if (tags != null) {
        Reader r = new Reader(b, tags.from, tags.to);
        int n = r.u32();
        for (int i = 0; i < n; i++) {
          r.u8();
          tagTypes.add(r.u32());
        }
      }
    }

    static void limits(Reader r) {
      int flags = r.u8();
      r.skipLeb(10);
      if ((flags & 1) != 0) r.skipLeb(10);
    }

    @Override
    public int count() {
      return tagTypes.size();
    }

    @Override
    public List<byte[]> params(int tag, int offset) {
      if (tag < 0 || tag >= tagTypes.size()) throw new DecodeException(offset, "unknown tag " + tag);
      Types.Func f = types.func(tagTypes.get(tag), offset);
      if (!f.results.isEmpty()) throw new DecodeException(offset, "tag " + tag + " has results");
      return f.params;
    }
  }

  private static byte[] rebuild(byte[] b, List<Section> sections, Types types,
      List<int[]> bodies, byte[][] newBodies) {
    ByteOut code = new ByteOut(b.length);
    code.u32(bodies.size());
    for (int i = 0; i < bodies.size(); i++) {
      int[] body = bodies.get(i);
      if (newBodies[i] == null) {
        code.u32(body[1] - body[0]).bytes(b, body[0], body[1]);
      } else {
        code.u32(newBodies[i].length).bytes(newBodies[i]);
      }
    }
    byte[] codeBytes = code.toByteArray();
    ByteOut out = new ByteOut(b.length + codeBytes.length / 8 + 64);
    out.bytes(b, 0, 8);
    Section ts = find(sections, TYPE);
    boolean typesWritten = false;
    for (Section s : sections) {
      if (!typesWritten && types.grew() && ts == null && s.id != 0) {
        section(out, TYPE, types.rebuild(b, -1, -1));
        typesWritten = true;
      }
      if (s.id == TYPE && types.grew()) {
        section(out, TYPE, types.rebuild(b, s.from, s.to));
        typesWritten = true;
      } else if (s.id == CODE) {
        section(out, CODE, codeBytes);
      } else {
        out.bytes(b, s.at, s.to);
      }
    }
    return out.toByteArray();
  }

  private static void section(ByteOut out, int id, byte[] contents) {
    out.u8(id).u32(contents.length).bytes(contents);
  }
}
