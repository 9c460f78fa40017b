package cljwasi.wasi;

/** random_get: cryptographic randomness, or a seeded stream for reproducible runs. */
final class RandomFunctions {
  private RandomFunctions() {}

  static void register(WasiHost.Registry r) {
    // random_get(buf, buf_len)
    // writes: buf_len random bytes at buf. errnos: success, fault.
    r.fn("random_get", "buf buf_len", (ctx, mem, a) -> {
      int len = (int) a[1];
      int buf = (int) a[0];
      byte[] bytes = new byte[Math.min(len, 1 << 16)];
      for (int done = 0; done < len; ) {
        int n = Math.min(bytes.length, len - done);
        if (n < bytes.length) bytes = new byte[n];
        ctx.random.nextBytes(bytes);
        mem.write(buf + done, bytes, 0, n);
        done += n;
      }
      return Errno.SUCCESS;
    });
  }
}
