package cljwasi.wasi;

import cljwasi.wasi.fs.Preopen;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Everything one WASI instance is given: args, environment, preopened directories and
 * listeners, stdio, clocks, randomness and limits. Immutable; made with {@link #builder()}.
 */
public final class WasiOptions {
  public final List<String> args;
  public final Map<String, String> env;
  public final List<Preopen> preopens;
  public final List<InetSocketAddress> listens;
  public final Supplier<InputStream> stdin;
  public final Supplier<OutputStream> stdout;
  public final Supplier<OutputStream> stderr;
  public final boolean stdinTty, stdoutTty, stderrTty;
  public final WasiClock clock;
  public final Long randomSeed;
  public final WasiTracer tracer;
  public final long maxOutputBytes;

  private WasiOptions(Builder b) {
    args = List.copyOf(b.args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
    preopens = List.copyOf(b.preopens);
    listens = List.copyOf(b.listens);
    stdin = b.stdin;
    stdout = b.stdout;
    stderr = b.stderr;
    stdinTty = b.stdinTty;
    stdoutTty = b.stdoutTty;
    stderrTty = b.stderrTty;
    clock = b.clock;
    randomSeed = b.randomSeed;
    tracer = b.tracer;
    maxOutputBytes = b.maxOutputBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<Preopen> preopens = new ArrayList<>();
    private final List<InetSocketAddress> listens = new ArrayList<>();
    private Supplier<InputStream> stdin = () -> InputStream.nullInputStream();
    private Supplier<OutputStream> stdout = () -> OutputStream.nullOutputStream();
    private Supplier<OutputStream> stderr = () -> OutputStream.nullOutputStream();
    private boolean stdinTty, stdoutTty, stderrTty;
    private WasiClock clock = WasiClock.SYSTEM;
    private Long randomSeed;
    private WasiTracer tracer;
    private long maxOutputBytes = Long.MAX_VALUE;

    public Builder args(List<String> a) {
      args.clear();
      args.addAll(a);
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder preopen(String guestPath, Path hostPath, boolean readOnly) {
      preopens.add(new Preopen(guestPath, hostPath, readOnly));
      return this;
    }

    public Builder listen(InetSocketAddress address) {
      listens.add(address);
      return this;
    }

    /** Suppliers are called once per instance, when it is made. */
    public Builder stdin(Supplier<InputStream> s, boolean tty) {
      stdin = s;
      stdinTty = tty;
      return this;
    }

    public Builder stdout(Supplier<OutputStream> s, boolean tty) {
      stdout = s;
      stdoutTty = tty;
      return this;
    }

    public Builder stderr(Supplier<OutputStream> s, boolean tty) {
      stderr = s;
      stderrTty = tty;
      return this;
    }

    public Builder clock(WasiClock c) {
      clock = c;
      return this;
    }

    /** A seed makes random_get deterministic; null (the default) uses SecureRandom. */
    public Builder randomSeed(Long seed) {
      randomSeed = seed;
      return this;
    }

    public Builder tracer(WasiTracer t) {
      tracer = t;
      return this;
    }

    public Builder maxOutputBytes(long n) {
      maxOutputBytes = n;
      return this;
    }

    public WasiOptions build() {
      return new WasiOptions(this);
    }
  }
}
