package cljwasi.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A Reader seen as UTF-8 bytes, read as the characters arrive: a read blocks only until
 * the Reader yields something, so text fed bit by bit from another thread streams.
 */
public final class ReaderInputStream extends InputStream {
  private final Reader reader;
  private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final CharBuffer chars = CharBuffer.allocate(4096);
  private final ByteBuffer bytes = ByteBuffer.allocate(4096 * 3 + 8);
  private boolean eof;

  public ReaderInputStream(Reader reader) {
    this.reader = reader;
    bytes.flip();
  }

  private boolean fill() throws IOException {
    while (!bytes.hasRemaining()) {
      if (eof) return false;
      int n = reader.read(chars);
      bytes.clear();
      chars.flip();
      if (n < 0) {
        eof = true;
        encoder.encode(chars, bytes, true);
        encoder.flush(bytes);
      } else {
        encoder.encode(chars, bytes, false); // an unpaired high surrogate waits in chars
      }
      chars.compact();
      bytes.flip();
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? bytes.get() & 0xFF : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (!fill()) return -1;
    int n = Math.min(len, bytes.remaining());
    bytes.get(b, off, n);
    return n;
  }

  @Override
  public int available() throws IOException {
    return bytes.remaining() > 0 ? bytes.remaining() : (reader.ready() ? 1 : 0);
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
