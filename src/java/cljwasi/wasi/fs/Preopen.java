package cljwasi.wasi.fs;

import java.nio.file.Path;

/** A host directory given to the guest under {@code guestPath}, optionally read-only. */
public final class Preopen {
  public final String guestPath;
  public final Path hostPath;
  public final boolean readOnly;

  public Preopen(String guestPath, Path hostPath, boolean readOnly) {
    this.guestPath = guestPath;
    this.hostPath = hostPath;
    this.readOnly = readOnly;
  }
}
