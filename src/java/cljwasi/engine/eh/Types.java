package cljwasi.engine.eh;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The module's type section (function types by index; struct and array types only counted),
 * plus function types the translation appends for its multi-value block types.
 */
final class Types {
  /** A function type; value types are kept as their raw encodings. */
  static final class Func {
    final List<byte[]> params;
    final List<byte[]> results;

    Func(List<byte[]> params, List<byte[]> results) {
      this.params = params;
      this.results = results;
    }
  }

  static final byte[] EXNREF = {(byte) Instructions.EXNREF};

  private final List<Func> byIndex = new ArrayList<>(); // null for non-function types
  private final Map<String, Integer> funcIndex = new HashMap<>();
  private final List<byte[]> appended = new ArrayList<>();
  int entries; // the section's vector length (a rec group counts once)

  /** Parses the type section's contents; an absent section gives no types. */
  static Types parse(byte[] b, int from, int to) {
    Types t = new Types();
    if (from < 0) return t;
    Reader r = new Reader(b, from, to);
    t.entries = r.u32();
    for (int i = 0; i < t.entries; i++) {
      int form = r.peek();
      if (form == 0x4E) {
        r.u8();
        int n = r.u32();
        for (int j = 0; j < n; j++) t.subType(r, true);
      } else {
        t.subType(r, false);
      }
    }
    if (r.pos != to) throw new DecodeException(r.pos, "type section size mismatch");
    return t;
  }

  private void subType(Reader r, boolean inRecGroup) {
    int at = r.pos;
    int form = r.u8();
    if (form == 0x50 || form == 0x4F) {
      int n = r.u32();
      for (int i = 0; i < n; i++) r.u32();
      at = r.pos;
      form = r.u8();
      inRecGroup = true; // subtyping declarations give the type an identity of its own
    }
    switch (form) {
      case 0x60 -> {
        List<byte[]> params = valTypes(r);
        List<byte[]> results = valTypes(r);
        Func f = new Func(params, results);
        if (!inRecGroup) funcIndex.put(key(params, results), byIndex.size());
        byIndex.add(f);
      }
      case 0x5F -> {
        int n = r.u32();
        for (int i = 0; i < n; i++) fieldType(r);
        byIndex.add(null);
      }
      case 0x5E -> {
        fieldType(r);
        byIndex.add(null);
      }
      default -> throw new DecodeException(at, String.format("unknown type form 0x%02x", form));
    }
  }

  private static void fieldType(Reader r) {
    int b = r.peek();
    if (b == 0x78 || b == 0x77) {
      r.u8();
    } else {
      Instructions.valType(r);
    }
    r.u8(); // mutability
  }

  private static List<byte[]> valTypes(Reader r) {
    int n = r.u32();
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int start = r.pos;
      Instructions.valType(r);
      out.add(Arrays.copyOfRange(r.b, start, r.pos));
    }
    return out;
  }

  int count() {
    return byIndex.size();
  }

  Func func(int index, int offset) {
    Func f = index >= 0 && index < byIndex.size() ? byIndex.get(index) : null;
    if (f == null) throw new DecodeException(offset, "type " + index + " is not a function type");
    return f;
  }

  /** The parameter and result types of a block type read from {@code r}. */
  Func blockType(Reader r) {
    int start = r.pos;
    Instructions.blockType(r);
    int b = r.b[start] & 0xFF;
    if (b == 0x40) return new Func(List.of(), List.of());
    if (b == 0x63 || b == 0x64 || (b & 0xC0) == 0x40) {
      return new Func(List.of(), List.of(Arrays.copyOfRange(r.b, start, r.pos)));
    }
    Reader again = new Reader(r.b, start, r.pos);
    return func((int) again.s33(), start);
  }

  /** Writes the block type [params] -> [results], appending a function type when needed. */
  void writeBlockType(ByteOut out, List<byte[]> params, List<byte[]> results) {
    if (params.isEmpty() && results.isEmpty()) {
      out.u8(0x40);
    } else if (params.isEmpty() && results.size() == 1) {
      out.bytes(results.get(0));
    } else {
      String k = key(params, results);
      Integer idx = funcIndex.get(k);
      if (idx == null) {
        idx = byIndex.size();
        byIndex.add(new Func(params, results));
        funcIndex.put(k, idx);
        appended.add(k.getBytes(StandardCharsets.ISO_8859_1));
      }
      out.s33(idx);
    }
  }

  boolean grew() {
    return !appended.isEmpty();
  }

  /** The type section's new contents: the original entries followed by the appended ones. */
  byte[] rebuild(byte[] b, int from, int to) {
    ByteOut out = new ByteOut((to - from) + 64 * appended.size() + 8);
    out.u32(entries + appended.size());
    if (from >= 0) {
      Reader r = new Reader(b, from, to);
      r.u32();
      out.bytes(b, r.pos, to);
    }
    for (byte[] e : appended) out.bytes(e);
    return out.toByteArray();
  }

  /** The encoding of (func params results), also used as the key for reuse. */
  private static String key(List<byte[]> params, List<byte[]> results) {
    ByteOut out = new ByteOut(16);
    out.u8(0x60).u32(params.size());
    for (byte[] p : params) out.bytes(p);
    out.u32(results.size());
    for (byte[] p : results) out.bytes(p);
    return new String(out.toByteArray(), StandardCharsets.ISO_8859_1);
  }
}
