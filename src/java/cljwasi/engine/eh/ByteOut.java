package cljwasi.engine.eh;

import java.util.Arrays;

/** A growable byte buffer with LEB128 writers. */
final class ByteOut {
  private byte[] buf;
  private int size;

  ByteOut(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  private void ensure(int extra) {
    if (size + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }
  }

  ByteOut u8(int x) {
    ensure(1);
    buf[size++] = (byte) x;
    return this;
  }

  ByteOut bytes(byte[] src, int from, int to) {
    int n = to - from;
    ensure(n);
    System.arraycopy(src, from, buf, size, n);
    size += n;
    return this;
  }

  ByteOut bytes(byte[] src) {
    return bytes(src, 0, src.length);
  }

  ByteOut u32(long x) {
    do {
      int b = (int) (x & 0x7F);
      x >>>= 7;
      u8(x != 0 ? b | 0x80 : b);
    } while (x != 0);
    return this;
  }

  ByteOut s33(long x) {
    while (true) {
      int b = (int) (x & 0x7F);
      x >>= 7;
      boolean done = (x == 0 && (b & 0x40) == 0) || (x == -1 && (b & 0x40) != 0);
      u8(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  int size() {
    return size;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }
}
