package cljwasi.engine.eh;

/**
 * The immediates of every instruction Chicory 1.7.5 knows: MVP, sign extension, saturating
 * truncation and bulk memory (0xFC), reference types, multi-memory and memory64 memargs,
 * tail calls, typed function references and GC (0xFB), SIMD and relaxed SIMD (0xFD),
 * threads (0xFE), and both exception-handling proposals (legacy and exnref), so a
 * function body can be walked instruction by instruction.
 */
final class Instructions {
  private Instructions() {}

  // control opcodes the translator cares about
  static final int BLOCK = 0x02;
  static final int LOOP = 0x03;
  static final int IF = 0x04;
  static final int ELSE = 0x05;
  static final int TRY = 0x06;
  static final int CATCH = 0x07;
  static final int THROW = 0x08;
  static final int RETHROW = 0x09;
  static final int THROW_REF = 0x0A;
  static final int END = 0x0B;
  static final int BR = 0x0C;
  static final int BR_IF = 0x0D;
  static final int BR_TABLE = 0x0E;
  static final int RETURN = 0x0F;
  static final int DELEGATE = 0x18;
  static final int CATCH_ALL = 0x19;
  static final int TRY_TABLE = 0x1F;
  static final int LOCAL_GET = 0x20;
  static final int LOCAL_SET = 0x21;
  static final int BR_ON_NULL = 0xD5;
  static final int BR_ON_NON_NULL = 0xD6;
  static final int GC_PREFIX = 0xFB;
  static final int BR_ON_CAST = 0x18; // after 0xFB
  static final int BR_ON_CAST_FAIL = 0x19; // after 0xFB

  static final int EXNREF = 0x69;

  /** Whether nothing after {@code op} in the same block can run. */
  static boolean endsReachability(int op) {
    return op == 0x00 || op == BR || op == BR_TABLE || op == RETURN || op == THROW
        || op == RETHROW || op == THROW_REF || op == 0x12 || op == 0x13 || op == 0x15;
  }

  /**
   * Skips the unreachable instructions after an unconditional transfer, up to (not over)
   * the end, else, catch, catch_all or delegate that closes the current block.
   */
  static void skipDead(Reader r) {
    skipToClose(r, true);
  }

  /** Skips a try's catch clauses, from its first catch up to (not over) its end. */
  static void skipHandlers(Reader r) {
    skipToClose(r, false);
  }

  /**
   * Skips instructions up to (not over) the end that closes the current block or, with
   * {@code clauses}, also the else, catch, catch_all or delegate that does.
   */
  private static void skipToClose(Reader r, boolean clauses) {
    int nesting = 0;
    while (true) {
      int at = r.pos;
      int op = r.u8();
      boolean clause = op == DELEGATE || op == ELSE || op == CATCH || op == CATCH_ALL;
      if (nesting == 0 && (op == END || clauses && clause)) {
        r.pos = at;
        return;
      }
      switch (op) {
        case BLOCK, LOOP, IF, TRY, TRY_TABLE -> nesting++;
        case END, DELEGATE -> nesting--;
        default -> { }
      }
      skipImmediates(r, op, at);
    }
  }

  static boolean isLegacy(int op) {
    return op == TRY || op == CATCH || op == RETHROW || op == DELEGATE || op == CATCH_ALL;
  }

  /** A value type: one byte, or (ref null? ht) as 0x63/0x64 and a heap type. */
  static void valType(Reader r) {
    int start = r.pos;
    int b = r.u8();
    if (b == 0x63 || b == 0x64) {
      r.s33();
    } else if ((b & 0xC0) != 0x40) {
      // one-byte value types are negative single-byte s33 values: 0x40..0x7F
      throw new DecodeException(start, String.format("unknown value type 0x%02x", b));
    }
  }

  /** A block type: 0x40, a value type, or a non-negative s33 type index. */
  static void blockType(Reader r) {
    int start = r.pos;
    if (start >= r.limit) throw new DecodeException(start, "unexpected end of data");
    int b = r.b[start] & 0xFF;
    if (b == 0x40) {
      r.pos++;
    } else if (b == 0x63 || b == 0x64 || (b & 0xC0) == 0x40) {
      valType(r);
    } else {
      long idx = r.s33();
      if (idx < 0) throw new DecodeException(start, "bad block type");
    }
  }

  static void memarg(Reader r) {
    int flags = r.u32();
    if ((flags & 0x40) != 0) r.u32(); // multi-memory: memory index
    r.skipLeb(10); // offset (u64 with memory64)
  }

  /** Skips the immediates of {@code op}, whose opcode byte was just read at {@code at}. */
  static void skipImmediates(Reader r, int op, int at) {
    switch (op) {
      case 0x00, 0x01, 0x05, 0x0A, 0x0B, 0x0F, 0x19, 0x1A, 0x1B, 0xD1, 0xD3, 0xD4 -> { }
      case 0x02, 0x03, 0x04, 0x06 -> blockType(r);
      case 0x07, 0x08, 0x09, 0x0C, 0x0D, 0x10, 0x12, 0x14, 0x15, 0x18,
          0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2, 0xD5, 0xD6 -> r.u32();
      case 0x0E -> {
        int n = r.u32();
        for (int i = 0; i <= n; i++) r.u32();
      }
      case 0x11, 0x13 -> {
        r.u32();
        r.u32();
      }
      case 0x1C -> {
        int n = r.u32();
        for (int i = 0; i < n; i++) valType(r);
      }
      case 0x1F -> {
        blockType(r);
        int n = r.u32();
        for (int i = 0; i < n; i++) {
          int kind = r.u8();
          if (kind > 3) throw new DecodeException(r.pos - 1, "unknown catch clause kind " + kind);
          if (kind <= 1) r.u32();
          r.u32();
        }
      }
      case 0x3F, 0x40 -> r.u32();
      case 0x41 -> r.skipLeb(5);
      case 0x42 -> r.skipLeb(10);
      case 0x43 -> r.skip(4);
      case 0x44 -> r.skip(8);
      case 0xD0 -> r.s33();
      case 0xFB -> gc(r, at);
      case 0xFC -> misc(r, at);
      case 0xFD -> simd(r, at);
      case 0xFE -> atomic(r, at);
      default -> {
        if (op >= 0x28 && op <= 0x3E) {
          memarg(r);
        } else if (op < 0x45 || op > 0xC4) {
          throw new DecodeException(at, String.format("unknown opcode 0x%02x", op));
        }
      }
    }
  }

  private static void gc(Reader r, int at) {
    int sub = r.u32();
    switch (sub) {
      case 0x00, 0x01, 0x06, 0x07, 0x0B, 0x0C, 0x0D, 0x0E, 0x10 -> r.u32();
      case 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x11, 0x12, 0x13 -> {
        r.u32();
        r.u32();
      }
      case 0x0F, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E -> { }
      case 0x14, 0x15, 0x16, 0x17 -> r.s33();
      case 0x18, 0x19 -> {
        r.u8();
        r.u32();
        r.s33();
        r.s33();
      }
      default -> throw new DecodeException(at, String.format("unknown opcode 0xfb 0x%02x", sub));
    }
  }

  private static void misc(Reader r, int at) {
    int sub = r.u32();
    switch (sub) {
      case 0, 1, 2, 3, 4, 5, 6, 7 -> { }
      case 0x08, 0x0A, 0x0C, 0x0E -> {
        r.u32();
        r.u32();
      }
      case 0x09, 0x0B, 0x0D, 0x0F, 0x10, 0x11 -> r.u32();
      default -> throw new DecodeException(at, String.format("unknown opcode 0xfc 0x%02x", sub));
    }
  }

  private static void simd(Reader r, int at) {
    int sub = r.u32();
    if (sub <= 0x0B || sub == 0x5C || sub == 0x5D) {
      memarg(r);
    } else if (sub == 0x0C || sub == 0x0D) {
      r.skip(16);
    } else if (sub >= 0x15 && sub <= 0x22) {
      r.skip(1);
    } else if (sub >= 0x54 && sub <= 0x5B) {
      memarg(r);
      r.skip(1);
    } else if (sub > 0x113) {
      throw new DecodeException(at, String.format("unknown opcode 0xfd 0x%x", sub));
    }
  }

  private static void atomic(Reader r, int at) {
    int sub = r.u32();
    if (sub == 0x03) {
      r.u8();
    } else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4E)) {
      memarg(r);
    } else {
      throw new DecodeException(at, String.format("unknown opcode 0xfe 0x%02x", sub));
    }
  }
}
