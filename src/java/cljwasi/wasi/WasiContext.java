package cljwasi.wasi;

import cljwasi.wasi.fd.FdTable;
import cljwasi.wasi.fs.DirectoryDescriptor;
import cljwasi.wasi.fs.OutputBudget;
import cljwasi.wasi.fs.Preopen;
import cljwasi.wasi.fs.StreamDescriptor;
import cljwasi.wasi.net.SocketSupport;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The WASI state of one instance: its fd table (stdio, preopens, listeners, opened
 * files) and the addresses its listeners are bound to, args and environment as bytes,
 * clock, random source and tracer. Made from
 * {@link WasiOptions}; closing it closes every descriptor the guest still holds.
 */
public final class WasiContext implements Closeable {
  public final WasiOptions options;
  public final FdTable fds = new FdTable();
  final List<byte[]> args = new ArrayList<>();
  final List<byte[]> env = new ArrayList<>();
  final Random random;
  private final StreamDescriptor stdout, stderr;
  private final List<InetSocketAddress> boundAddresses;
  private boolean closed;

  public WasiContext(WasiOptions options) throws IOException {
    this.options = options;
    for (String a : options.args) args.add(a.getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, String> e : options.env.entrySet()) {
      env.add((e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8));
    }
    OutputBudget budget = new OutputBudget(options.maxOutputBytes);
    random = options.randomSeed == null ? SYSTEM_RANDOM : new Random(options.randomSeed);
    StreamDescriptor in = StreamDescriptor.input(options.stdin.get(), options.stdinTty, false);
    stdout = StreamDescriptor.output(options.stdout.get(), options.stdoutTty, false, budget);
    stderr = StreamDescriptor.output(options.stderr.get(), options.stderrTty, false, budget);
    in.flushBeforeRead(stdout);
    fds.add(in);
    fds.add(stdout);
    fds.add(stderr);
    List<InetSocketAddress> bound;
    try {
      for (Preopen p : options.preopens) fds.add(DirectoryDescriptor.preopen(p));
      bound = SocketSupport.openListeners(this);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    boundAddresses = bound;
  }

  /**
   * The addresses the :listen sockets are bound to, in the order given (the actual port
   * where port 0 was asked for); empty when there are none. Safe to call from any thread
   * while the guest runs.
   */
  public List<InetSocketAddress> boundAddresses() {
    return boundAddresses;
  }

  /** Shared by every unseeded instance: SecureRandom is thread-safe and costly to make. */
  private static final SecureRandom SYSTEM_RANDOM = new SecureRandom();

  private volatile boolean cancelled;

  /**
   * Stops the guest at its next WASI call (and ends a wait in progress, together with
   * the interrupt the caller sends): the call then traps instead of returning.
   */
  public void cancel() {
    cancelled = true;
  }

  /** Traps when the instance was cancelled; host functions call it before blocking. */
  public void checkNotCancelled() {
    if (cancelled) throw new WasiTrap("interrupted", "the instance was stopped");
  }

  public WasiTracer tracer() {
    return options.tracer;
  }

  public WasiClock clock() {
    return options.clock;
  }

  /** Flushes buffered stdout and stderr (called when an export call returns). */
  public void flush() {
    flushQuietly(stdout);
    flushQuietly(stderr);
  }

  private static void flushQuietly(StreamDescriptor d) {
    try {
      d.flush();
    } catch (IOException | RuntimeException e) {
      // the caller's stream failed (a Writer or OutputStream of theirs may throw
      // anything); the guest saw its writes succeed, as with a pipe
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    flush();
    fds.closeAll();
  }
}
