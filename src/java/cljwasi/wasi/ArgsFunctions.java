package cljwasi.wasi;

import com.dylibso.chicory.runtime.Memory;
import java.util.List;

/** args_get, args_sizes_get: the guest's argv, UTF-8, NUL-terminated. */
final class ArgsFunctions {
  private ArgsFunctions() {}

  static void register(WasiHost.Registry r) {
    // args_sizes_get(argc_ptr, argv_buf_size_ptr)
    // writes: u32 argc at argc_ptr, u32 total bytes (with NULs) at argv_buf_size_ptr.
    // errnos: success, fault.
    r.fn("args_sizes_get", "argc_ptr argv_buf_size_ptr",
        (ctx, mem, a) -> writeSizes(mem, ctx.args, a[0], a[1]));
    // args_get(argv_ptr, argv_buf_ptr)
    // writes: argc u32 pointers at argv_ptr, the NUL-terminated strings at argv_buf_ptr.
    // errnos: success, fault.
    r.fn("args_get", "argv_ptr argv_buf_ptr", (ctx, mem, a) -> writeStrings(mem, ctx.args, a[0], a[1]));
  }

  /** Shared by args and environ: count and total size of NUL-terminated strings. */
  static int writeSizes(Memory mem, List<byte[]> strings, long countPtr, long sizePtr) {
    long size = 0;
    for (byte[] s : strings) size += s.length + 1;
    mem.writeI32((int) countPtr, strings.size());
    mem.writeI32((int) sizePtr, (int) size);
    return Errno.SUCCESS;
  }

  /** Shared by args and environ: pointer array plus packed NUL-terminated strings. */
  static int writeStrings(Memory mem, List<byte[]> strings, long ptrsPtr, long bufPtr) {
    int ptrs = (int) ptrsPtr;
    int buf = (int) bufPtr;
    for (byte[] s : strings) {
      mem.writeI32(ptrs, buf);
      ptrs += 4;
      mem.write(buf, s, 0, s.length);
      mem.writeByte(buf + s.length, (byte) 0);
      buf += s.length + 1;
    }
    return Errno.SUCCESS;
  }
}
