package cljwasi.engine.compiler;

import cljwasi.engine.LinearMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;

/**
 * What compiled code of one instance needs at run time, passed as every compiled
 * function's last parameter: read at entry and after calls (the memory's array and size)
 * or per use (globals, tables). Fields are public for the generated classes, which live in their own class
 * loader; nothing else writes them.
 */
public final class Context {
  public final Instance instance;
  /** The memory, when it is the project's own (it always is for instances made here). */
  public final LinearMemory linear;
  public final Memory memory;
  public final GlobalInstance[] globals;
  public final TableInstance[] tables;
  /** Imported functions' handles, by function index. */
  public final WasmFunctionHandle[] imports;
  /** Canonical signature id of each type index and of each function (see {@link Signatures}). */
  public final int[] typeIds;
  public final int[] functionTypeIds;
  /** The machine that runs what this module's compiled code does not (set once). */
  public final CompiledMachine machine;

  Context(Instance instance, Signatures sigs, CompiledMachine machine) {
    this.instance = instance;
    this.machine = machine;
    Memory mem = instance.memory();
    this.memory = mem;
    this.linear = mem instanceof LinearMemory ? (LinearMemory) mem : null;
    this.globals = new GlobalInstance[instance.globalCount()];
    for (int i = 0; i < globals.length; i++) globals[i] = instance.global(i);
    this.tables = new TableInstance[instance.tableCount()];
    for (int i = 0; i < tables.length; i++) tables[i] = instance.table(i);
    int imported = instance.imports().functionCount();
    this.imports = new WasmFunctionHandle[imported];
    for (int i = 0; i < imported; i++) imports[i] = instance.imports().function(i).handle();
    this.typeIds = sigs.typeIds();
    this.functionTypeIds = sigs.functionTypeIds();
  }

  /**
   * The last thread's {@link TailFrame}: a benign race, since a thread only ever uses a frame
   * it made itself (another thread's, even half published, names another owner).
   */
  private TailFrame tailFrame;

  /** The calling thread's {@link TailFrame} for this instance (made at its first use). */
  public TailFrame tailFrame() {
    TailFrame f = tailFrame;
    Thread t = Thread.currentThread();
    if (f == null || f.owner != t) {
      f = new TailFrame(t);
      tailFrame = f;
    }
    return f;
  }

  /** Whether compiled code can run on this instance: it has no memory, or one we can read. */
  boolean usable() {
    return memory == null || linear != null;
  }
}
