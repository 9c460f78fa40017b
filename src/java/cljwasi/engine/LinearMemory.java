package cljwasi.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongBinaryOperator;

/**
 * Every instance's linear memory: one flat {@code byte[]}, grown as far as the JVM heap
 * affords.
 *
 * <p><b>Why flat.</b> Compiled code reads and writes the array itself ({@link #array()},
 * kept in a local of each compiled function and refreshed only where the array can change:
 * after {@code memory.grow} and after calls). A load is then one range check and one
 * little-endian {@link VarHandle} access; on Chicory's {@code ByteArrayMemory} (64 KiB
 * pages) it was a page lookup, a null check, an in-page check and two range checks, which
 * in hot loops cost registers and spills (sha256, n-body: docs/PERFORMANCE.md). WASI calls
 * move bytes between descriptors and a view of the same array without a copy.
 *
 * <p><b>Capacity and size.</b> The array may be longer than the memory ({@link #byteSize()}
 * is the size: pages × 64 KiB); every access is checked against the size, and the bytes past
 * it are never written, so they are zero when the memory grows over them. Growing past the
 * array's length allocates a new one half again as large (capped at the maximum size),
 * copies and swaps: a guest that grows page by page (malloc's sbrk) copies its memory a
 * logarithmic number of times, not once per page.
 *
 * <p><b>Heap.</b> {@code memory.grow} returns -1 (as Wasm answers a memory it cannot have)
 * when the new array would leave less than {@link #reserveBytes} of the maximum heap free,
 * or when allocating it fails; an OutOfMemoryError never gets out (it would strike whichever
 * thread of the host allocated next). Chicory's {@code ByteArrayMemory} could not be
 * wrapped for this without a delegation per method on every access (it is final).
 *
 * <p><b>Atomics and threads.</b> Atomic instructions run under this object's monitor (one
 * lock per memory; the guest is single-threaded, shared memories included, so they are
 * never contended), which is also what {@code memory.atomic.wait}/{@code notify} wait and
 * signal on. Plain accesses from several threads would be racy, as Wasm allows.
 */
@SuppressWarnings("removal") // lock, waitOn, notify: still abstract in the interface
public final class LinearMemory implements Memory {
  /** Heap kept free for the host: an eighth of the maximum heap, at least this much. */
  static final long MIN_RESERVE_BYTES = 32L << 20;
  /** A refused growth collects garbage at most this often per memory before deciding. */
  private static final long GC_INTERVAL_NANOS = 1_000_000_000L;

  /** Little-endian views of the array (shared with {@link Memories}). */
  static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final MemoryLimits limits;
  private final int maxPages;
  /** Read directly by {@link Memories} (compiled code); written only by {@link #grow}. */
  byte[] bytes;
  int size;
  private DataSegment[] dataSegments;
  /** Per address {waiters, pending wake-ups}; guarded by this object's monitor. */
  private final Map<Integer, int[]> waits = new HashMap<>();
  private long lastGc = System.nanoTime() - GC_INTERVAL_NANOS;

  public LinearMemory(MemoryLimits limits) {
    this.limits = limits;
    this.maxPages = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    this.size = limits.initialPages() * PAGE_SIZE;
    this.bytes = new byte[size];
  }

  /**
   * The memory's bytes: valid for indices below {@link #byteSize()} (the array may be
   * longer) until the next {@link #grow}, which may replace it.
   */
  public byte[] array() {
    return bytes;
  }

  /** The memory's size in bytes (pages × 64 KiB). */
  public int byteSize() {
    return size;
  }

  // ---- size and growth -----------------------------------------------------------------------

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
  private boolean mayCollect() {
    long now = System.nanoTime();
    if (now - lastGc < GC_INTERVAL_NANOS) return false;
    lastGc = now;
    return true;
  }

  @Override
  public synchronized int grow(int delta) {
    int prev = size / PAGE_SIZE;
    long wanted = (long) prev + delta;
    if (delta < 0 || wanted > maxPages) return -1;
    int newSize = (int) (wanted * PAGE_SIZE); // at most 32767 pages: below 2^31
    if (newSize > bytes.length) {
      byte[] larger = allocate(newSize);
      if (larger == null) return -1;
      System.arraycopy(bytes, 0, larger, 0, size);
      bytes = larger;
    }
    size = newSize;
    return prev;
  }

  /**
   * A zeroed array of at least {@code needed} bytes: half again the current length when the
   * heap affords it, else exactly {@code needed}; null when not even that fits.
   */
  private byte[] allocate(int needed) {
    long roomy = Math.min((long) maxPages * PAGE_SIZE, bytes.length + (bytes.length >> 1));
    try {
      if (roomy > needed && canSpare(roomy, () -> false)) return new byte[(int) roomy];
      if (canSpare(needed, this::mayCollect)) return new byte[needed];
    } catch (OutOfMemoryError e) {
      // another thread took the heap first: the guest sees a failed memory.grow
    }
    return null;
  }

  @Override
  public int pages() {
    return size / PAGE_SIZE;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return maxPages;
  }

  @Override
  public boolean shared() {
    return limits.shared();
  }

  // ---- bounds ---------------------------------------------------------------------------------

  /** {@code addr} when {@code [addr, addr + width)} lies in the memory, else the trap. */
  private int at(int addr, int width) {
    if (addr < 0 || addr > size - width) throw outOfBounds(addr, width);
    return addr;
  }

  /** Traps unless {@code [addr, addr + len)} (both the guest's unsigned i32s) lies in memory. */
  private void checkRange(int addr, int len) {
    if (addr < 0 || len < 0 || (long) addr + len > size) throw outOfBounds(addr, len);
  }

  /** The interpreter's trap text, so the same {@code :wasm/trap} kind everywhere. */
  private WasmRuntimeException outOfBounds(int addr, int len) {
    return new WasmRuntimeException("out of bounds memory access: attempted to access address: "
        + Integer.toUnsignedString(addr) + " but limit is: " + size + " and size: "
        + Integer.toUnsignedString(len));
  }

  // ---- data segments --------------------------------------------------------------------------

  @Override
  public void initialize(Instance instance, DataSegment[] segments) {
    initialize(instance, segments, 0);
  }

  /** Writes the active segments of memory {@code index}; one out of bounds: uninstantiable. */
  @Override
  public void initialize(Instance instance, DataSegment[] segments, int index) {
    this.dataSegments = segments;
    if (segments == null) return;
    for (DataSegment s : segments) {
      if (s instanceof ActiveDataSegment) {
        ActiveDataSegment a = (ActiveDataSegment) s;
        if (a.index() != index) continue;
        int offset = (int) ConstantEvaluators.computeConstantValue(instance,
            a.offsetInstructions())[0];
        byte[] data = a.data();
        if (offset < 0 || (long) offset + data.length > size) {
          throw new UninstantiableException(outOfBounds(offset, data.length).getMessage());
        }
        System.arraycopy(data, 0, bytes, offset, data.length);
      } else if (!(s instanceof PassiveDataSegment)) {
        throw new ChicoryException("Data segment should be active or passive: " + s);
      }
    }
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int len) {
    write(dest, dataSegments[segmentId].data(), offset, len);
  }

  @Override
  public void drop(int segment) {
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }

  // ---- bulk -----------------------------------------------------------------------------------

  @Override
  public void write(int addr, byte[] data, int offset, int len) {
    if (offset < 0 || len < 0 || (long) offset + len > data.length) {
      throw outOfBounds(offset, len);
    }
    checkRange(addr, len);
    System.arraycopy(data, offset, bytes, addr, len);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    checkRange(addr, len);
    return Arrays.copyOfRange(bytes, addr, addr + len);
  }

  /**
   * memory.fill of {@code [from, to)}; {@code to} is the caller's {@code from + size} in int
   * arithmetic, so {@code to - from} is the size again.
   */
  @Override
  public void fill(byte value, int from, int to) {
    checkRange(from, to - from);
    Arrays.fill(bytes, from, to, value);
  }

  /** memory.copy (overlapping ranges as memmove). */
  @Override
  public void copy(int dest, int src, int len) {
    checkRange(dest, len);
    checkRange(src, len);
    System.arraycopy(bytes, src, bytes, dest, len);
  }

  @Override
  public void zero() {
    Arrays.fill(bytes, 0, size, (byte) 0);
  }

  // ---- loads and stores -----------------------------------------------------------------------

  @Override
  public byte read(int addr) {
    return bytes[at(addr, 1)];
  }

  @Override
  public void writeByte(int addr, byte data) {
    bytes[at(addr, 1)] = data;
  }

  @Override
  public short readShort(int addr) {
    return (short) SHORT.get(bytes, at(addr, 2));
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeShort(int addr, short data) {
    SHORT.set(bytes, at(addr, 2), data);
  }

  @Override
  public int readInt(int addr) {
    return (int) INT.get(bytes, at(addr, 4));
  }

  @Override
  public void writeI32(int addr, int data) {
    INT.set(bytes, at(addr, 4), data);
  }

  @Override
  public long readLong(int addr) {
    return (long) LONG.get(bytes, at(addr, 8));
  }

  @Override
  public void writeLong(int addr, long data) {
    LONG.set(bytes, at(addr, 8), data);
  }

  @Override
  public float readFloat(int addr) {
    return Float.intBitsToFloat(readInt(addr));
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public void writeF32(int addr, float data) {
    writeI32(addr, Float.floatToRawIntBits(data));
  }

  @Override
  public double readDouble(int addr) {
    return Double.longBitsToDouble(readLong(addr));
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    writeLong(addr, Double.doubleToRawLongBits(data));
  }

  // ---- atomics --------------------------------------------------------------------------------

  /** The unsigned value of the {@code width}-byte little-endian integer at {@code addr}. */
  private long get(int addr, int width) {
    int a = at(addr, width);
    switch (width) {
      case 1: return bytes[a] & 0xFFL;
      case 2: return (short) SHORT.get(bytes, a) & 0xFFFFL;
      case 4: return (int) INT.get(bytes, a) & 0xFFFF_FFFFL;
      default: return (long) LONG.get(bytes, a);
    }
  }

  private void set(int addr, int width, long value) {
    int a = at(addr, width);
    switch (width) {
      case 1: bytes[a] = (byte) value; break;
      case 2: SHORT.set(bytes, a, (short) value); break;
      case 4: INT.set(bytes, a, (int) value); break;
      default: LONG.set(bytes, a, value); break;
    }
  }

  // The width-generic atomics below are the ones compiled code calls (engine.compiler.Support,
  // by the instruction's width); the Memory interface's one method per width and operation,
  // which the interpreter calls, are each one of them.

  /** An atomic load of {@code width} bytes (1, 2, 4, 8): the value, zero-extended. */
  public synchronized long atomicLoad(int addr, int width) {
    return get(addr, width);
  }

  /** An atomic store of the low {@code width} bytes of {@code value}. */
  public synchronized void atomicStore(int addr, int width, long value) {
    set(addr, width, value);
  }

  /**
   * Read-modify-write of {@code width} bytes under the monitor ({@link #ADD} ... {@link #XCHG});
   * returns the old value, zero-extended.
   */
  public synchronized long atomicRmw(int addr, int width, LongBinaryOperator op, long operand) {
    long old = get(addr, width);
    set(addr, width, op.applyAsLong(old, operand));
    return old;
  }

  /** Compare-exchange of {@code width} bytes; returns the old value, zero-extended. */
  public synchronized long atomicCmpxchg(int addr, int width, long expected, long replacement) {
    long old = get(addr, width);
    long mask = width == 8 ? -1L : (1L << (8 * width)) - 1;
    if (old == (expected & mask)) set(addr, width, replacement);
    return old;
  }

  public static final LongBinaryOperator ADD = Long::sum;
  public static final LongBinaryOperator AND = (a, b) -> a & b;
  public static final LongBinaryOperator OR = (a, b) -> a | b;
  public static final LongBinaryOperator XOR = (a, b) -> a ^ b;
  public static final LongBinaryOperator XCHG = (a, b) -> b;

  @Override
  public synchronized void atomicFence() {
    // the monitor's entry and exit are the fence
  }

  @Override
  public byte atomicReadByte(int addr) {
    return (byte) atomicLoad(addr, 1);
  }

  @Override
  public short atomicReadShort(int addr) {
    return (short) atomicLoad(addr, 2);
  }

  @Override
  public int atomicReadInt(int addr) {
    return (int) atomicLoad(addr, 4);
  }

  @Override
  public long atomicReadLong(int addr) {
    return atomicLoad(addr, 8);
  }

  @Override
  public void atomicWriteByte(int addr, byte value) {
    atomicStore(addr, 1, value);
  }

  @Override
  public void atomicWriteShort(int addr, short value) {
    atomicStore(addr, 2, value);
  }

  @Override
  public void atomicWriteInt(int addr, int value) {
    atomicStore(addr, 4, value);
  }

  @Override
  public void atomicWriteLong(int addr, long value) {
    atomicStore(addr, 8, value);
  }

  @Override
  public byte atomicAddByte(int addr, byte v) {
    return (byte) atomicRmw(addr, 1, ADD, v);
  }

  @Override
  public short atomicAddShort(int addr, short v) {
    return (short) atomicRmw(addr, 2, ADD, v);
  }

  @Override
  public int atomicAddInt(int addr, int v) {
    return (int) atomicRmw(addr, 4, ADD, v);
  }

  @Override
  public long atomicAddLong(int addr, long v) {
    return atomicRmw(addr, 8, ADD, v);
  }

  @Override
  public byte atomicAndByte(int addr, byte v) {
    return (byte) atomicRmw(addr, 1, AND, v);
  }

  @Override
  public short atomicAndShort(int addr, short v) {
    return (short) atomicRmw(addr, 2, AND, v);
  }

  @Override
  public int atomicAndInt(int addr, int v) {
    return (int) atomicRmw(addr, 4, AND, v);
  }

  @Override
  public long atomicAndLong(int addr, long v) {
    return atomicRmw(addr, 8, AND, v);
  }

  @Override
  public byte atomicOrByte(int addr, byte v) {
    return (byte) atomicRmw(addr, 1, OR, v);
  }

  @Override
  public short atomicOrShort(int addr, short v) {
    return (short) atomicRmw(addr, 2, OR, v);
  }

  @Override
  public int atomicOrInt(int addr, int v) {
    return (int) atomicRmw(addr, 4, OR, v);
  }

  @Override
  public long atomicOrLong(int addr, long v) {
    return atomicRmw(addr, 8, OR, v);
  }

  @Override
  public byte atomicXorByte(int addr, byte v) {
    return (byte) atomicRmw(addr, 1, XOR, v);
  }

  @Override
  public short atomicXorShort(int addr, short v) {
    return (short) atomicRmw(addr, 2, XOR, v);
  }

  @Override
  public int atomicXorInt(int addr, int v) {
    return (int) atomicRmw(addr, 4, XOR, v);
  }

  @Override
  public long atomicXorLong(int addr, long v) {
    return atomicRmw(addr, 8, XOR, v);
  }

  @Override
  public byte atomicXchgByte(int addr, byte v) {
    return (byte) atomicRmw(addr, 1, XCHG, v);
  }

  @Override
  public short atomicXchgShort(int addr, short v) {
    return (short) atomicRmw(addr, 2, XCHG, v);
  }

  @Override
  public int atomicXchgInt(int addr, int v) {
    return (int) atomicRmw(addr, 4, XCHG, v);
  }

  @Override
  public long atomicXchgLong(int addr, long v) {
    return atomicRmw(addr, 8, XCHG, v);
  }

  @Override
  public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
    return (byte) atomicCmpxchg(addr, 1, expected, replacement);
  }

  @Override
  public short atomicCmpxchgShort(int addr, short expected, short replacement) {
    return (short) atomicCmpxchg(addr, 2, expected, replacement);
  }

  @Override
  public int atomicCmpxchgInt(int addr, int expected, int replacement) {
    return (int) atomicCmpxchg(addr, 4, expected, replacement);
  }

  @Override
  public long atomicCmpxchgLong(int addr, long expected, long replacement) {
    return atomicCmpxchg(addr, 8, expected, replacement);
  }

  // ---- wait and notify ------------------------------------------------------------------------

  /** Unsupported, as in Chicory's own memories: atomics lock this memory's monitor. */
  @Override
  @Deprecated
  public Object lock(int address) {
    throw new UnsupportedOperationException();
  }

  @Override
  public int waitOn(int address, int expected, long timeout) {
    return waitOn(address, () -> atomicReadInt(address) == expected, timeout);
  }

  @Override
  public int waitOn(int address, long expected, long timeout) {
    return waitOn(address, () -> atomicReadLong(address) == expected, timeout);
  }

  /**
   * memory.atomic.wait: 0 woken, 1 the value differed, 2 timed out ({@code timeout} in
   * nanoseconds, negative: forever). Only shared memories wait (as Chicory's do).
   */
  private synchronized int waitOn(int address, BooleanSupplier equal, long timeout) {
    if (!shared()) {
      throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }
    if (!equal.getAsBoolean()) return 1;
    long deadline = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
    int[] w = waits.computeIfAbsent(address, k -> new int[2]);
    w[0]++;
    try {
      while (w[1] == 0) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) return 2;
        try {
          wait(remaining / 1_000_000L, (int) (remaining % 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ChicoryInterruptedException("Thread interrupted");
        }
      }
      return 0;
    } finally {
      if (w[1] > 0) w[1]--;
      if (--w[0] == 0) waits.remove(address);
    }
  }

  /** memory.atomic.notify: wakes up to {@code maxThreads} (negative: all); returns how many. */
  @Override
  public synchronized int notify(int address, int maxThreads) {
    if (!shared()) return 0;
    int[] w = waits.get(address);
    if (w == null) return 0;
    int sleeping = w[0] - w[1];
    int wake = maxThreads < 0 ? sleeping : Math.min(sleeping, maxThreads);
    if (wake > 0) {
      w[1] += wake;
      notifyAll();
    }
    return wake;
  }
}
