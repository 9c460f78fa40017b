package cljwasi.engine;

import com.dylibso.chicory.runtime.WasmRuntimeException;
import java.lang.invoke.VarHandle;

/**
 * Loads and stores of compiled code (the project's compiler, {@code engine.compiler}), straight
 * on the array of the instance's {@link LinearMemory} (which the compiled function keeps in a
 * local; this class sits beside it to read its fields): one check against
 * the memory's size and one little-endian view {@link VarHandle} access, whose own check
 * against the array's length HotSpot folds or hoists. The array and the size are read from
 * the memory at each access; in a loop without calls HotSpot reads them once, and after a
 * call (which may grow the memory) it reads them again, so nothing has to be refreshed by
 * hand. Each method is small enough to be inlined into its caller.
 *
 * <p>The effective address is the unsigned sum of an i32 address and the instruction's
 * offset (a constant below 2^31: a larger offset is compiled as a trap). It must trap,
 * never wrap: {@code (addr | ea) < 0} catches an address at or above 2 GiB and a sum that
 * overflowed, both out of every memory (at most 32767 pages). The size check fails for an
 * access whose last byte is at or past the size; both turn into the trap the interpreter
 * reports ({@link #outOfBounds}). A store that traps writes nothing.
 */
public final class Memories {
  private Memories() {}

  private static final VarHandle SHORT = LinearMemory.SHORT;
  private static final VarHandle INT = LinearMemory.INT;
  private static final VarHandle LONG = LinearMemory.LONG;

  /** The trap an out-of-bounds access raises (the interpreter's message, so its kind). */
  public static WasmRuntimeException outOfBounds() {
    return new WasmRuntimeException("out of bounds memory access");
  }

  // Every method stays within 35 bytes of bytecode: HotSpot's C1 inlines nothing larger
  // (C1MaxInlineSize) and C2 nothing larger at a call site it does not count as hot
  // (MaxInlineSize); an access left as a call costs a call and makes the caller spill its
  // floating-point registers around it. The fields are read directly: getters would add
  // to the bytecode HotSpot counts against its inlining budget for one compiled method
  // (DesiredMethodLimit, 8000 bytes including the caller's own).

  /**
   * The effective address {@code addr + offset} when the access's first byte is at most
   * {@code last} (the memory's size minus the width), else the trap.
   */
  private static int at(int addr, int offset, int last) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > last) throw outOfBounds();
    return ea;
  }

  public static int loadByte(int addr, int offset, LinearMemory m) {
    return m.bytes[at(addr, offset, m.size - 1)];
  }

  public static int loadShort(int addr, int offset, LinearMemory m) {
    return (short) SHORT.get(m.bytes, at(addr, offset, m.size - 2));
  }

  public static int loadInt(int addr, int offset, LinearMemory m) {
    return (int) INT.get(m.bytes, at(addr, offset, m.size - 4));
  }

  public static long loadLong(int addr, int offset, LinearMemory m) {
    return (long) LONG.get(m.bytes, at(addr, offset, m.size - 8));
  }

  public static void storeByte(int addr, int value, int offset, LinearMemory m) {
    m.bytes[at(addr, offset, m.size - 1)] = (byte) value;
  }

  public static void storeShort(int addr, int value, int offset, LinearMemory m) {
    SHORT.set(m.bytes, at(addr, offset, m.size - 2), (short) value);
  }

  public static void storeInt(int addr, int value, int offset, LinearMemory m) {
    INT.set(m.bytes, at(addr, offset, m.size - 4), value);
  }

  public static void storeLong(int addr, long value, int offset, LinearMemory m) {
    LONG.set(m.bytes, at(addr, offset, m.size - 8), value);
  }
}
