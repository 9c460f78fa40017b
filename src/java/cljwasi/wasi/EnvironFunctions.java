package cljwasi.wasi;

/** environ_get, environ_sizes_get: "KEY=value" strings, UTF-8, NUL-terminated. */
final class EnvironFunctions {
  private EnvironFunctions() {}

  static void register(WasiHost.Registry r) {
    // environ_sizes_get(environc_ptr, environ_buf_size_ptr)
    // writes: u32 count, u32 total bytes (with NULs). errnos: success, fault.
    r.fn("environ_sizes_get", "environc_ptr environ_buf_size_ptr",
        (ctx, mem, a) -> ArgsFunctions.writeSizes(mem, ctx.env, a[0], a[1]));
    // environ_get(environ_ptr, environ_buf_ptr)
    // writes: u32 pointers at environ_ptr, the strings at environ_buf_ptr. errnos: success, fault.
    r.fn("environ_get", "environ_ptr environ_buf_ptr",
        (ctx, mem, a) -> ArgsFunctions.writeStrings(mem, ctx.env, a[0], a[1]));
  }
}
