package cljwasi.engine.compiler;

import com.dylibso.chicory.runtime.WasmRuntimeException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Loads and stores of compiled code, straight on the pages of Chicory's
 * {@code ByteArrayMemory} (a {@code byte[][]} of 64 KiB pages, null past the memory's
 * size): one array load for the page, then a little-endian view {@link VarHandle} access
 * whose bounds check is the JVM's own. Each method is small enough for HotSpot to inline
 * into the compiled function that calls it.
 *
 * <p>The effective address is the unsigned sum of an i32 address and the instruction's
 * offset (a constant below 2^31: a larger offset is compiled as a trap). It must trap,
 * never wrap: {@code (addr | ea) < 0} catches an address at or above 2 GiB and a sum that
 * overflowed, both out of every memory Chicory can allocate (at most 32767 pages). A page
 * index past the page array, a missing page (past the memory's size) or an access past
 * the page's end all throw a JVM exception that {@link #outOfBounds} turns into the trap
 * the interpreter reports; an access that straddles two pages takes the byte-wise path.
 */
public final class Memories {
  private Memories() {}

  private static final int PAGE_SHIFT = 16;
  private static final int PAGE_MASK = 0xFFFF;
  private static final int PAGE = 1 << PAGE_SHIFT;

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

  private static int ea(int addr, int offset) {
    int ea = addr + offset;
    if ((addr | ea) < 0) throw outOfBounds();
    return ea;
  }

  public static int loadByte(int addr, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      return pages[ea >>> PAGE_SHIFT][ea & PAGE_MASK];
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static int loadShort(int addr, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 2) return (short) SHORT.get(pages[ea >>> PAGE_SHIFT], o);
      return (short) slowLoad(pages, ea, 2);
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static int loadInt(int addr, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 4) return (int) INT.get(pages[ea >>> PAGE_SHIFT], o);
      return (int) slowLoad(pages, ea, 4);
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static long loadLong(int addr, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 8) return (long) LONG.get(pages[ea >>> PAGE_SHIFT], o);
      return slowLoad(pages, ea, 8);
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static void storeByte(int addr, int value, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      pages[ea >>> PAGE_SHIFT][ea & PAGE_MASK] = (byte) value;
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static void storeShort(int addr, int value, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 2) {
        SHORT.set(pages[ea >>> PAGE_SHIFT], o, (short) value);
      } else {
        slowStore(pages, ea, value, 2);
      }
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static void storeInt(int addr, int value, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 4) {
        INT.set(pages[ea >>> PAGE_SHIFT], o, value);
      } else {
        slowStore(pages, ea, value, 4);
      }
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  public static void storeLong(int addr, long value, int offset, byte[][] pages) {
    int ea = ea(addr, offset);
    try {
      int o = ea & PAGE_MASK;
      if (o <= PAGE - 8) {
        LONG.set(pages[ea >>> PAGE_SHIFT], o, value);
      } else {
        slowStore(pages, ea, value, 8);
      }
    } catch (RuntimeException e) {
      throw outOfBounds();
    }
  }

  /**
   * An access that straddles two pages: every byte is checked before any is written, so
   * a store that traps leaves memory unchanged (as the interpreter's does).
   */
  private static long slowLoad(byte[][] pages, int ea, int size) {
    if (ea > Integer.MAX_VALUE - size) throw outOfBounds();
    long v = 0;
    for (int i = size - 1; i >= 0; i--) {
      int a = ea + i;
      v = (v << 8) | (pages[a >>> PAGE_SHIFT][a & PAGE_MASK] & 0xFF);
    }
    return v;
  }

  private static void slowStore(byte[][] pages, int ea, long value, int size) {
    if (ea > Integer.MAX_VALUE - size) throw outOfBounds();
    byte[] last = pages[(ea + size - 1) >>> PAGE_SHIFT];
    if (last == null || pages[ea >>> PAGE_SHIFT] == null) throw outOfBounds();
    for (int i = 0; i < size; i++) {
      int a = ea + i;
      pages[a >>> PAGE_SHIFT][a & PAGE_MASK] = (byte) (value >>> (8 * i));
    }
  }
}
