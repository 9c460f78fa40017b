package cljwasi.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Bytes written by a guest, decoded as UTF-8 onto a Writer that is looked up on every
 * write (so a Clojure caller's current *out* receives the output, REPL and nREPL alike).
 * A multi-byte character split across two writes is decoded whole; malformed bytes
 * become U+FFFD.
 */
public final class WriterOutputStream extends OutputStream {
  private final Supplier<Writer> target;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final ByteBuffer pending = ByteBuffer.allocate(8);
  private final CharBuffer chars = CharBuffer.allocate(8192);

  public WriterOutputStream(Supplier<Writer> target) {
    this.target = target;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    Writer w = target.get();
    ByteBuffer in = ByteBuffer.wrap(b, off, len);
    if (pending.position() > 0) { // a character left incomplete by the previous write
      pending.flip();
      ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + len);
      joined.put(pending).put(in).flip();
      pending.clear();
      in = joined;
    }
    while (true) {
      CoderResult r = decoder.decode(in, chars, false);
      drain(w);
      if (r.isUnderflow()) break; // all decoded but a trailing partial sequence, if any
    }
    pending.put(in); // at most 3 bytes: the start of a character the next write completes
  }

  private void drain(Writer w) throws IOException {
    if (chars.position() == 0) return;
    chars.flip();
    w.write(chars.array(), chars.arrayOffset(), chars.remaining());
    chars.clear();
  }

  @Override
  public void flush() throws IOException {
    target.get().flush();
  }
}
