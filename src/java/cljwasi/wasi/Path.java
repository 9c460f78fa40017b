package cljwasi.wasi;

/** The path_* functions. (Skeleton; the fs owner completes it.) */
final class Path {
  private Path() {}

  static void register(WasiHost.Registry r) {}
}
