package cljwasi.cli;

/** A command line that cannot be read: an unknown flag, a missing value, text that is no value. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message, null, false, false);
  }
}
