package cljwasi.wasi;

/** Where clock_time_get gets its time; replaceable for deterministic runs (:clock). */
public interface WasiClock {
  /** Nanoseconds since the Unix epoch. */
  long realtimeNanos();

  /** Nanoseconds from an arbitrary fixed origin, never decreasing. */
  long monotonicNanos();

  /** The host's clocks. */
  WasiClock SYSTEM = new WasiClock() {
    @Override
    public long realtimeNanos() {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public long monotonicNanos() {
      return System.nanoTime();
    }
  };

  /** A clock frozen at {@code epochNanos}; monotonic time starts at 0 and never moves. */
  static WasiClock fixed(long epochNanos) {
    return new WasiClock() {
      @Override
      public long realtimeNanos() {
        return epochNanos;
      }

      @Override
      public long monotonicNanos() {
        return 0;
      }
    };
  }
}
