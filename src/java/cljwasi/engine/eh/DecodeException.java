package cljwasi.engine.eh;

/** A body or section the translator cannot decode or translate; {@code offset} is module-relative. */
final class DecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int offset;

  DecodeException(int offset, String message) {
    super(message);
    this.offset = offset;
  }
}
