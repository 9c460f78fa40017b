package cljwasi.engine.eh;

/** A cursor over a slice of the module's bytes, decoding LEB128 and fixed-width fields. */
final class Reader {
  final byte[] b;
  int pos;
  final int limit;

  Reader(byte[] b, int pos, int limit) {
    this.b = b;
    this.pos = pos;
    this.limit = limit;
  }

  boolean atEnd() {
    return pos >= limit;
  }

  int peek() {
    if (pos >= limit) throw new DecodeException(pos, "unexpected end of data");
    return b[pos] & 0xFF;
  }

  int u8() {
    if (pos >= limit) throw new DecodeException(pos, "unexpected end of data");
    return b[pos++] & 0xFF;
  }

  void skip(int n) {
    if (n < 0 || limit - pos < n) throw new DecodeException(pos, "unexpected end of data");
    pos += n;
  }

  /** An unsigned LEB128 of at most 32 bits, as a non-negative int (larger values are refused). */
  int u32() {
    int start = pos;
    long result = 0;
    int shift = 0;
    while (true) {
      int x = u8();
      result |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) break;
      shift += 7;
      if (shift >= 35) throw new DecodeException(start, "integer representation too long");
    }
    if (result > Integer.MAX_VALUE) throw new DecodeException(start, "integer too large");
    return (int) result;
  }

  /** Skips a LEB128 (signed or unsigned) of at most {@code maxBytes} bytes. */
  void skipLeb(int maxBytes) {
    int start = pos;
    for (int i = 0; i < maxBytes; i++) {
      if ((u8() & 0x80) == 0) return;
    }
    throw new DecodeException(start, "integer representation too long");
  }

  /** A signed LEB128 of at most 33 bits (block types, heap types). */
  long s33() {
    int start = pos;
    long result = 0;
    int shift = 0;
    int x;
    do {
      x = u8();
      result |= (long) (x & 0x7F) << shift;
      shift += 7;
      if (shift > 35 && (x & 0x80) != 0) {
        throw new DecodeException(start, "integer representation too long");
      }
    } while ((x & 0x80) != 0);
    if (shift < 64 && (x & 0x40) != 0) result |= -1L << shift;
    return result;
  }
}
