package cljwasi.wasi;

/** poll_oneoff. (Skeleton; the poll/socket owner completes it.) */
final class Poll {
  private Poll() {}

  static void register(WasiHost.Registry r) {}
}
