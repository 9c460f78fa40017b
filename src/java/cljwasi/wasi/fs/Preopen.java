package cljwasi.wasi.fs;

import java.nio.file.Path;

/** A host directory given to the guest under {@code guestPath}, optionally read-only. */
public record Preopen(String guestPath, Path hostPath, boolean readOnly) {}
