package cljwasi.engine.compiler;

import cljwasi.engine.LinearMemory;
import cljwasi.engine.Memories;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.OpcodeImpl;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.TagInstance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import java.util.function.LongBinaryOperator;

/**
 * The static helpers compiled code calls for what is not worth inlining as bytecode: the
 * interrupt check, calls through the boxed convention (imports, functions left to the
 * interpreter, other instances), {@code call_indirect}'s resolution, tables, bulk memory and
 * traps. Every trap carries the message the interpreter gives for it, so that
 * {@code ChicoryInternals.trapKind} reads the same kind from either engine.
 */
public final class Support {
  private Support() {}

  /** Back-edges a loop runs between two looks at the thread's interrupt flag. */
  public static final int INTERRUPT_INTERVAL = 1 << 14;

  /**
   * Called when a function's back-edge countdown reaches zero: throws Chicory's interrupt
   * exception when the thread was interrupted (a timeout, {@code close}), else returns the
   * next countdown.
   */
  public static int checkInterrupt() {
    if (Thread.currentThread().isInterrupted()) {
      throw new ChicoryInterruptedException("Thread interrupted");
    }
    return INTERRUPT_INTERVAL;
  }

  public static TrapException unreachable() {
    return new TrapException("Trapped on unreachable instruction");
  }

  /** A load or store whose constant offset is 2 GiB or more: out of every memory. */
  public static RuntimeException outOfBounds() {
    return Memories.outOfBounds();
  }

  // ---- calls --------------------------------------------------------------------------------

  /** Calls function {@code funcId} of this instance in the boxed convention. */
  public static long[] call(Context ctx, int funcId, long[] args) {
    if (funcId < ctx.imports.length) return ctx.imports[funcId].apply(ctx.instance, args);
    return ctx.instance.getMachine().call(funcId, args);
  }

  /**
   * The function {@code call_indirect} through table {@code table} at {@code index} reaches,
   * checked against type {@code typeIdx}: its index when it belongs to this instance, -1 when
   * to another one (then {@link #callIndirect} calls it). Traps as the interpreter does.
   */
  public static int resolveIndirect(int index, int table, int typeIdx, Context ctx) {
    TableInstance t = ctx.tables[table];
    int funcId = t.requiredRef(index);
    Instance owner = t.instance(index);
    if (owner == null || owner == ctx.instance) {
      if (ctx.functionTypeIds[funcId] != ctx.typeIds[typeIdx]) throw typeMismatch();
      return funcId;
    }
    if (!owner.type(owner.functionType(funcId)).equals(ctx.instance.type(typeIdx))) {
      throw typeMismatch();
    }
    return -1;
  }

  /** The boxed call of the function {@link #resolveIndirect} resolved (checked already). */
  public static long[] callIndirect(Context ctx, int table, int index, long[] args) {
    TableInstance t = ctx.tables[table];
    int funcId = t.requiredRef(index);
    Instance owner = t.instance(index);
    if (owner == null || owner == ctx.instance) return call(ctx, funcId, args);
    return owner.getMachine().call(funcId, args);
  }

  private static ChicoryException typeMismatch() {
    return new ChicoryException("indirect call type mismatch");
  }

  public static long globalGet(int global, Context ctx) {
    return ctx.globals[global].getValue();
  }

  public static void globalSet(long value, int global, Context ctx) {
    ctx.globals[global].setValue(value);
  }

  // ---- exceptions ---------------------------------------------------------------------------

  /** {@code throw tag}: the exception, carrying the instance, the tag and its arguments. */
  public static WasmException exception(long[] args, int tag, Context ctx) {
    return new WasmException(ctx.instance, tag, args);
  }

  /** {@code throw_ref}: the exception an exnref names (a null one traps). */
  public static RuntimeException rethrow(int exnref, Context ctx) {
    if (exnref == -1) return new TrapException("null exception reference");
    return ctx.instance.exn(exnref);
  }

  /** The exnref a {@code catch_ref} / {@code catch_all_ref} pushes. */
  public static int exnref(WasmException e, Context ctx) {
    return ctx.instance.registerException(e);
  }

  /**
   * Whether {@code catch tag} catches {@code e}: a tag is an identity, not an index. An
   * imported tag is its exporter's {@link TagInstance} (so two instances that import the
   * same tag, or a module and its exporter, catch each other's), while tag 0 of one instance
   * and tag 0 of another are different tags, whatever their types.
   */
  public static boolean catches(WasmException e, int tag, Context ctx) {
    return ctx.instance.tag(tag) == e.instance().tag(e.tagIdx());
  }

  // ---- memory -------------------------------------------------------------------------------

  public static int memorySize(Context ctx) {
    return ctx.memory.pages();
  }

  public static int memoryGrow(int delta, Context ctx) {
    return ctx.memory.grow(delta);
  }

  public static void memoryInit(int dst, int src, int size, int segment, Context ctx) {
    ctx.memory.initPassiveSegment(segment, dst, src, size);
  }

  public static void memoryCopy(int dst, int src, int size, Context ctx) {
    ctx.memory.copy(dst, src, size);
  }

  public static void memoryFill(int dst, int value, int size, Context ctx) {
    ctx.memory.fill((byte) value, dst, dst + size);
  }

  public static void dataDrop(int segment, Context ctx) {
    ctx.instance.dropDataSegment(segment);
  }

  // ---- atomics (through the memory's width-generic atomic methods) ----------------------------

  /** The effective address of an atomic access: bounds as for any access, then alignment. */
  private static int atomicAddress(int addr, int offset, int size) {
    int ea = addr + offset;
    if ((addr | ea) < 0) throw Memories.outOfBounds();
    if ((ea & (size - 1)) != 0) throw new InvalidException("unaligned atomic");
    return ea;
  }

  public static int atomicLoad32(int addr, int offset, int size, Context ctx) {
    return (int) atomicLoad64(addr, offset, size, ctx);
  }

  public static long atomicLoad64(int addr, int offset, int size, Context ctx) {
    return ctx.linear.atomicLoad(atomicAddress(addr, offset, size), size);
  }

  public static void atomicStore32(int addr, int value, int offset, int size, Context ctx) {
    atomicStore64(addr, value, offset, size, ctx);
  }

  public static void atomicStore64(int addr, long value, int offset, int size, Context ctx) {
    ctx.linear.atomicStore(atomicAddress(addr, offset, size), size, value);
  }

  /** Read-modify-write operations, by {@code op}: add, sub, and, or, xor, xchg. */
  public static final int ADD = 0;
  public static final int SUB = 1;
  public static final int AND = 2;
  public static final int OR = 3;
  public static final int XOR = 4;
  public static final int XCHG = 5;

  /** The memory's operation for each {@code op} (sub: an add of the negated value). */
  private static final LongBinaryOperator[] RMW = {LinearMemory.ADD, LinearMemory.ADD,
      LinearMemory.AND, LinearMemory.OR, LinearMemory.XOR, LinearMemory.XCHG};

  public static int atomicRmw32(int addr, int value, int offset, int size, int op, Context ctx) {
    return (int) atomicRmw64(addr, value, offset, size, op, ctx);
  }

  /** The old value, zero-extended from {@code size} bytes. */
  public static long atomicRmw64(int addr, long value, int offset, int size, int op,
      Context ctx) {
    return ctx.linear.atomicRmw(atomicAddress(addr, offset, size), size, RMW[op],
        op == SUB ? -value : value);
  }

  public static int atomicCmpxchg32(int addr, int expected, int replacement, int offset,
      int size, Context ctx) {
    return (int) atomicCmpxchg64(addr, expected, replacement, offset, size, ctx);
  }

  public static long atomicCmpxchg64(int addr, long expected, long replacement, int offset,
      int size, Context ctx) {
    return ctx.linear.atomicCmpxchg(atomicAddress(addr, offset, size), size, expected,
        replacement);
  }

  public static int atomicWait32(int addr, int expected, long timeout, int offset, Context ctx) {
    return ctx.memory.atomicWait(atomicAddress(addr, offset, 4), expected, timeout);
  }

  public static int atomicWait64(int addr, long expected, long timeout, int offset,
      Context ctx) {
    return ctx.memory.atomicWait(atomicAddress(addr, offset, 8), expected, timeout);
  }

  public static int atomicNotify(int addr, int count, int offset, Context ctx) {
    return ctx.memory.atomicNotify(atomicAddress(addr, offset, 4), count);
  }

  // ---- tables -------------------------------------------------------------------------------

  public static int tableGet(int index, int table, Context ctx) {
    return OpcodeImpl.TABLE_GET(ctx.instance, table, index);
  }

  public static void tableSet(int index, int ref, int table, Context ctx) {
    ctx.tables[table].setRef(index, ref, ctx.instance);
  }

  public static int tableSize(int table, Context ctx) {
    return ctx.tables[table].size();
  }

  public static int tableGrow(int ref, int delta, int table, Context ctx) {
    return ctx.tables[table].grow(delta, ref, ctx.instance);
  }

  public static void tableFill(int index, int ref, int size, int table, Context ctx) {
    OpcodeImpl.TABLE_FILL(ctx.instance, table, size, ref, index);
  }

  public static void tableCopy(int dst, int src, int size, int dstTable, int srcTable,
      Context ctx) {
    OpcodeImpl.TABLE_COPY(ctx.instance, srcTable, dstTable, size, src, dst);
  }

  public static void tableInit(int dst, int src, int size, int table, int element,
      Context ctx) {
    OpcodeImpl.TABLE_INIT(ctx.instance, table, element, size, src, dst);
  }

  public static void elemDrop(int element, Context ctx) {
    ctx.instance.setElement(element, null);
  }
}
