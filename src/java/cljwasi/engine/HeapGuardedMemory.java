package cljwasi.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.charset.Charset;
import java.util.function.BooleanSupplier;

/**
 * An instance's linear memory: Chicory's {@link ByteArrayMemory}, whose growth the JVM
 * heap must be able to afford. {@code memory.grow} returns -1 (as Wasm answers a
 * memory it cannot have) when the growth would leave less than {@link #reserveBytes}
 * of the maximum heap free, or when allocating the pages fails; it never lets an
 * OutOfMemoryError out, which would strike whichever thread of the host allocated
 * next. memory.fill and memory.copy check their ranges before Chicory does
 * ({@link #checkRange}). Every other method is the inner memory's own.
 *
 * <p>Why some fifty one-line delegations, each written out: Chicory's ByteArrayMemory
 * is final (no subclass can override grow), its MemAllocStrategy is ignored by it (no
 * hook on growth), and the Memory interface's default methods are slow generic
 * versions of what ByteArrayMemory implements with VarHandles, so leaving a method to
 * its default would cost every guest load and store. A dynamic proxy or a
 * MethodHandle table would put reflection or an indirect call on that same path. A
 * plain class whose methods the JIT inlines down to ByteArrayMemory's is the only shape
 * that keeps memory access as fast as Chicory's own. A method a newer Chicory adds to
 * Memory fails this compile when abstract; a default one runs on top of these (correct,
 * and the place to add a delegation when it is hot).
 */
@SuppressWarnings("removal") // lock, waitOn, notify: still in the interface, delegated like the rest
public final class HeapGuardedMemory implements Memory {
  /** Heap kept free for the host: an eighth of the maximum heap, at least this much. */
  static final long MIN_RESERVE_BYTES = 32L << 20;
  /** A refused growth collects garbage at most this often per memory before deciding. */
  private static final long GC_INTERVAL_NANOS = 1_000_000_000L;

  private final ByteArrayMemory inner;
  private long lastGc = System.nanoTime() - GC_INTERVAL_NANOS;

  public HeapGuardedMemory(MemoryLimits limits) {
    this.inner = new ByteArrayMemory(limits);
    // without it, atomic instructions on a non-shared memory trap on JDK 22+
    ChicoryInternals.lendAtomicsMonitor(inner);
  }

  /** The memory itself (for code that reads its pages directly). */
  public ByteArrayMemory inner() {
    return inner;
  }

  /** Heap the host keeps: max(max heap / 8, 32 MiB). */
  public static long reserveBytes() {
    return Math.max(Runtime.getRuntime().maxMemory() / 8, MIN_RESERVE_BYTES);
  }

  private static long freeHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
  }

  /**
   * Whether {@code bytes} more can be allocated and still leave {@link #reserveBytes}
   * free. The used figure counts garbage too, so a "no" is checked again after a
   * collection when {@code mayCollect} allows one.
   */
  public static boolean canSpare(long bytes, BooleanSupplier mayCollect) {
    if (Runtime.getRuntime().maxMemory() == Long.MAX_VALUE) return true;
    long reserve = reserveBytes();
    if (freeHeap() - bytes >= reserve) return true;
    if (!mayCollect.getAsBoolean()) return false;
    System.gc();
    return freeHeap() - bytes >= reserve;
  }

  /**
   * A guest retrying a failed grow in a loop must not make the JVM collect back to
   * back: one forced collection per memory per second.
   */
  private synchronized boolean mayCollect() {
    long now = System.nanoTime();
    if (now - lastGc < GC_INTERVAL_NANOS) return false;
    lastGc = now;
    return true;
  }

  @Override
  public int grow(int delta) {
    if (delta > 0 && !canSpare((long) delta * PAGE_SIZE, this::mayCollect)) return -1;
    try {
      return inner.grow(delta);
    } catch (OutOfMemoryError e) {
      // the inner memory's page count stays where it was; the pages it allocated before
      // the failure are dropped (the next grow allocates fresh ones): compiled code reads
      // the page array directly, and an access past the memory's size must trap there
      byte[][] pages = ChicoryInternals.memoryPages(inner);
      if (pages != null) java.util.Arrays.fill(pages, inner.pages(), pages.length, null);
      return -1;
    }
  }

  @Override
  public int pages() {
    return inner.pages();
  }

  @Override
  public int initialPages() {
    return inner.initialPages();
  }

  @Override
  public int maximumPages() {
    return inner.maximumPages();
  }

  @Override
  public boolean shared() {
    return inner.shared();
  }

  @Override
  public Object lock(int a0) {
    return inner.lock(a0);
  }

  @Override
  public int waitOn(int a0, int a1, long a2) {
    return inner.waitOn(a0, a1, a2);
  }

  @Override
  public int waitOn(int a0, long a1, long a2) {
    return inner.waitOn(a0, a1, a2);
  }

  @Override
  public int notify(int a0, int a1) {
    return inner.notify(a0, a1);
  }

  @Override
  public void atomicFence() {
    inner.atomicFence();
  }

  @Override
  public int atomicWait(int a0, int a1, long a2) {
    return inner.atomicWait(a0, a1, a2);
  }

  @Override
  public int atomicWait(int a0, long a1, long a2) {
    return inner.atomicWait(a0, a1, a2);
  }

  @Override
  public int atomicNotify(int a0, int a1) {
    return inner.atomicNotify(a0, a1);
  }

  @Override
  public int atomicReadInt(int a0) {
    return inner.atomicReadInt(a0);
  }

  @Override
  public long atomicReadLong(int a0) {
    return inner.atomicReadLong(a0);
  }

  @Override
  public short atomicReadShort(int a0) {
    return inner.atomicReadShort(a0);
  }

  @Override
  public byte atomicReadByte(int a0) {
    return inner.atomicReadByte(a0);
  }

  @Override
  public void atomicWriteInt(int a0, int a1) {
    inner.atomicWriteInt(a0, a1);
  }

  @Override
  public void atomicWriteLong(int a0, long a1) {
    inner.atomicWriteLong(a0, a1);
  }

  @Override
  public void atomicWriteShort(int a0, short a1) {
    inner.atomicWriteShort(a0, a1);
  }

  @Override
  public void atomicWriteByte(int a0, byte a1) {
    inner.atomicWriteByte(a0, a1);
  }

  @Override
  public int atomicAddInt(int a0, int a1) {
    return inner.atomicAddInt(a0, a1);
  }

  @Override
  public int atomicAndInt(int a0, int a1) {
    return inner.atomicAndInt(a0, a1);
  }

  @Override
  public int atomicOrInt(int a0, int a1) {
    return inner.atomicOrInt(a0, a1);
  }

  @Override
  public int atomicXorInt(int a0, int a1) {
    return inner.atomicXorInt(a0, a1);
  }

  @Override
  public int atomicXchgInt(int a0, int a1) {
    return inner.atomicXchgInt(a0, a1);
  }

  @Override
  public int atomicCmpxchgInt(int a0, int a1, int a2) {
    return inner.atomicCmpxchgInt(a0, a1, a2);
  }

  @Override
  public long atomicAddLong(int a0, long a1) {
    return inner.atomicAddLong(a0, a1);
  }

  @Override
  public long atomicAndLong(int a0, long a1) {
    return inner.atomicAndLong(a0, a1);
  }

  @Override
  public long atomicOrLong(int a0, long a1) {
    return inner.atomicOrLong(a0, a1);
  }

  @Override
  public long atomicXorLong(int a0, long a1) {
    return inner.atomicXorLong(a0, a1);
  }

  @Override
  public long atomicXchgLong(int a0, long a1) {
    return inner.atomicXchgLong(a0, a1);
  }

  @Override
  public long atomicCmpxchgLong(int a0, long a1, long a2) {
    return inner.atomicCmpxchgLong(a0, a1, a2);
  }

  @Override
  public short atomicAddShort(int a0, short a1) {
    return inner.atomicAddShort(a0, a1);
  }

  @Override
  public short atomicAndShort(int a0, short a1) {
    return inner.atomicAndShort(a0, a1);
  }

  @Override
  public short atomicOrShort(int a0, short a1) {
    return inner.atomicOrShort(a0, a1);
  }

  @Override
  public short atomicXorShort(int a0, short a1) {
    return inner.atomicXorShort(a0, a1);
  }

  @Override
  public short atomicXchgShort(int a0, short a1) {
    return inner.atomicXchgShort(a0, a1);
  }

  @Override
  public short atomicCmpxchgShort(int a0, short a1, short a2) {
    return inner.atomicCmpxchgShort(a0, a1, a2);
  }

  @Override
  public byte atomicAddByte(int a0, byte a1) {
    return inner.atomicAddByte(a0, a1);
  }

  @Override
  public byte atomicAndByte(int a0, byte a1) {
    return inner.atomicAndByte(a0, a1);
  }

  @Override
  public byte atomicOrByte(int a0, byte a1) {
    return inner.atomicOrByte(a0, a1);
  }

  @Override
  public byte atomicXorByte(int a0, byte a1) {
    return inner.atomicXorByte(a0, a1);
  }

  @Override
  public byte atomicXchgByte(int a0, byte a1) {
    return inner.atomicXchgByte(a0, a1);
  }

  @Override
  public byte atomicCmpxchgByte(int a0, byte a1, byte a2) {
    return inner.atomicCmpxchgByte(a0, a1, a2);
  }

  @Override
  public void initialize(Instance a0, DataSegment[] a1) {
    inner.initialize(a0, a1);
  }

  @Override
  public void initialize(Instance a0, DataSegment[] a1, int a2) {
    inner.initialize(a0, a1, a2);
  }

  @Override
  public void initPassiveSegment(int a0, int a1, int a2, int a3) {
    inner.initPassiveSegment(a0, a1, a2, a3);
  }

  @Override
  public void writeString(int a0, String a1, Charset a2) {
    inner.writeString(a0, a1, a2);
  }

  @Override
  public void writeString(int a0, String a1) {
    inner.writeString(a0, a1);
  }

  @Override
  public String readString(int a0, int a1) {
    return inner.readString(a0, a1);
  }

  @Override
  public String readString(int a0, int a1, Charset a2) {
    return inner.readString(a0, a1, a2);
  }

  @Override
  public void writeCString(int a0, String a1) {
    inner.writeCString(a0, a1);
  }

  @Override
  public void writeCString(int a0, String a1, Charset a2) {
    inner.writeCString(a0, a1, a2);
  }

  @Override
  public String readCString(int a0, Charset a1) {
    return inner.readCString(a0, a1);
  }

  @Override
  public String readCString(int a0) {
    return inner.readCString(a0);
  }

  @Override
  public void write(int a0, byte[] a1) {
    inner.write(a0, a1);
  }

  @Override
  public void write(int a0, byte[] a1, int a2, int a3) {
    inner.write(a0, a1, a2, a3);
  }

  @Override
  public byte read(int a0) {
    return inner.read(a0);
  }

  @Override
  public byte[] readBytes(int a0, int a1) {
    return inner.readBytes(a0, a1);
  }

  @Override
  public void writeI32(int a0, int a1) {
    inner.writeI32(a0, a1);
  }

  @Override
  public int readInt(int a0) {
    return inner.readInt(a0);
  }

  @Override
  public long readI32(int a0) {
    return inner.readI32(a0);
  }

  @Override
  public long readU32(int a0) {
    return inner.readU32(a0);
  }

  @Override
  public void writeLong(int a0, long a1) {
    inner.writeLong(a0, a1);
  }

  @Override
  public long readLong(int a0) {
    return inner.readLong(a0);
  }

  @Override
  public long readI64(int a0) {
    return inner.readI64(a0);
  }

  @Override
  public void writeShort(int a0, short a1) {
    inner.writeShort(a0, a1);
  }

  @Override
  public short readShort(int a0) {
    return inner.readShort(a0);
  }

  @Override
  public long readI16(int a0) {
    return inner.readI16(a0);
  }

  @Override
  public long readU16(int a0) {
    return inner.readU16(a0);
  }

  @Override
  public void writeByte(int a0, byte a1) {
    inner.writeByte(a0, a1);
  }

  @Override
  public long readU8(int a0) {
    return inner.readU8(a0);
  }

  @Override
  public long readI8(int a0) {
    return inner.readI8(a0);
  }

  @Override
  public void writeF32(int a0, float a1) {
    inner.writeF32(a0, a1);
  }

  @Override
  public long readF32(int a0) {
    return inner.readF32(a0);
  }

  @Override
  public float readFloat(int a0) {
    return inner.readFloat(a0);
  }

  @Override
  public void writeF64(int a0, double a1) {
    inner.writeF64(a0, a1);
  }

  @Override
  public double readDouble(int a0) {
    return inner.readDouble(a0);
  }

  @Override
  public long readF64(int a0) {
    return inner.readF64(a0);
  }

  @Override
  public void zero() {
    inner.zero();
  }

  /**
   * memory.fill of {@code [from, to)}; {@code to} is the caller's {@code from + size} in int
   * arithmetic, so {@code to - from} is the size again. Range-checked here first
   * ({@link #checkRange}).
   */
  @Override
  public void fill(byte value, int from, int to) {
    checkRange(from, to - from);
    inner.fill(value, from, to);
  }

  /** memory.copy; both ranges checked here first ({@link #checkRange}). */
  @Override
  public void copy(int dest, int src, int size) {
    checkRange(dest, size);
    checkRange(src, size);
    inner.copy(dest, src, size);
  }

  /**
   * Traps as out of bounds unless {@code [address, address + size)} lies in the memory.
   * Chicory 1.7.5's own check adds address and size in int: when the sum passes 2^31 - 1
   * it wraps negative and passes, and memory.fill or memory.copy then runs off the
   * allocated pages into a NullPointerException (a host error instead of the trap; found
   * by the differential fuzzer, docs/TESTING.md). Addresses and sizes are the guest's
   * i32s as Chicory passes them: negative ones are 2^31 or more, beyond any memory.
   */
  private void checkRange(int address, int size) {
    long limit = (long) inner.pages() * PAGE_SIZE;
    if (address < 0 || size < 0 || (long) address + size > limit) {
      throw new WasmRuntimeException("out of bounds memory access: attempted to access address: "
          + Integer.toUnsignedString(address) + " but limit is: " + limit + " and size: "
          + Integer.toUnsignedString(size));
    }
  }

  @Override
  public void drop(int a0) {
    inner.drop(a0);
  }
}
