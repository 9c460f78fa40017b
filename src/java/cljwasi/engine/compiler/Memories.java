package cljwasi.engine.compiler;

import cljwasi.engine.LinearMemory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Loads and stores of compiled code, straight on the array of the instance's
 * {@link LinearMemory} (which the compiled function keeps in a local): one check against
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

  /**
   * The effective address of a {@code width}-byte access, checked against the memory's
   * {@code size} (a memory smaller than the access makes {@code size - width} negative).
   * Plain compares, not Objects.checkIndex: its exception would need a handler here, and
   * the bytes of a handler count against HotSpot's inlining budget at every access.
   */
  private static int ea(int addr, int offset, int width, int size) {
    int ea = addr + offset;
    if ((addr | ea) < 0 || ea > size - width) throw outOfBounds();
    return ea;
  }

  public static int loadByte(int addr, int offset, LinearMemory m) {
    return m.array()[ea(addr, offset, 1, m.byteSize())];
  }

  public static int loadShort(int addr, int offset, LinearMemory m) {
    return (short) SHORT.get(m.array(), ea(addr, offset, 2, m.byteSize()));
  }

  public static int loadInt(int addr, int offset, LinearMemory m) {
    return (int) INT.get(m.array(), ea(addr, offset, 4, m.byteSize()));
  }

  public static long loadLong(int addr, int offset, LinearMemory m) {
    return (long) LONG.get(m.array(), ea(addr, offset, 8, m.byteSize()));
  }

  public static void storeByte(int addr, int value, int offset, LinearMemory m) {
    m.array()[ea(addr, offset, 1, m.byteSize())] = (byte) value;
  }

  public static void storeShort(int addr, int value, int offset, LinearMemory m) {
    SHORT.set(m.array(), ea(addr, offset, 2, m.byteSize()), (short) value);
  }

  public static void storeInt(int addr, int value, int offset, LinearMemory m) {
    INT.set(m.array(), ea(addr, offset, 4, m.byteSize()), value);
  }

  public static void storeLong(int addr, long value, int offset, LinearMemory m) {
    LONG.set(m.array(), ea(addr, offset, 8, m.byteSize()), value);
  }
}
