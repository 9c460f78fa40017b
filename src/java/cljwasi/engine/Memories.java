package cljwasi.engine;

import com.dylibso.chicory.runtime.WasmRuntimeException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

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

  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The trap an out-of-bounds access raises (the interpreter's message, so its kind). */
  public static WasmRuntimeException outOfBounds() {
    return new WasmRuntimeException("out of bounds memory access");
  }

  // Each method is written out whole (effective address, the two compares, the access) and
  // reads the memory's fields directly: a shared helper or the getters would each count
  // against the bytecode budget HotSpot spends on inlining into one compiled method
  // (DesiredMethodLimit, 8000 bytes including the caller's own), and a function with many
  // accesses runs out of it: the accesses left as real calls cost a call each and make the
  // caller spill its floating-point registers around them.

  public static int loadByte(int addr, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea >= m.size) throw outOfBounds();
    return m.bytes[ea];
  }

  public static int loadShort(int addr, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 2) throw outOfBounds();
    return (short) SHORT.get(m.bytes, ea);
  }

  public static int loadInt(int addr, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 4) throw outOfBounds();
    return (int) INT.get(m.bytes, ea);
  }

  public static long loadLong(int addr, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 8) throw outOfBounds();
    return (long) LONG.get(m.bytes, ea);
  }

  public static void storeByte(int addr, int value, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea >= m.size) throw outOfBounds();
    m.bytes[ea] = (byte) value;
  }

  public static void storeShort(int addr, int value, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 2) throw outOfBounds();
    SHORT.set(m.bytes, ea, (short) value);
  }

  public static void storeInt(int addr, int value, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 4) throw outOfBounds();
    INT.set(m.bytes, ea, value);
  }

  public static void storeLong(int addr, long value, int offset, LinearMemory m) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > m.size - 8) throw outOfBounds();
    LONG.set(m.bytes, ea, value);
  }
}
