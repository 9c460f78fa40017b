package cljwasi.wasi.fs;

import java.nio.file.Path;

/** An open directory: a preopen or one opened by path_open. (Skeleton; fs owner completes it.) */
public final class DirectoryDescriptor extends Descriptor {
  public final Preopen preopen;
  public final Path hostPath;

  private DirectoryDescriptor(Preopen preopen, Path hostPath, long base, long inheriting) {
    super(base, inheriting, 0);
    this.preopen = preopen;
    this.hostPath = hostPath;
  }

  public static DirectoryDescriptor preopen(Preopen p) {
    return new DirectoryDescriptor(p, p.hostPath, Rights.DIRECTORY, Rights.DIRECTORY | Rights.FILE);
  }

  @Override
  public byte filetype() {
    return Rights.FT_DIRECTORY;
  }
}
