package cljwasi.wasi.poll;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Blocks a guest thread, without spinning, until something it watches may be ready or a
 * timeout passes. Socket channels are watched through a {@link Selector} (opened only
 * when a channel is watched); everything else (the stdin pump, a closing descriptor)
 * calls {@link #wake}. With no channel the wait is a timed condition wait. A wake that
 * comes before the wait is not lost: the next {@link #await} returns at once.
 *
 * <p>Used by one guest thread; {@link #wake} and {@link #close} may come from any thread.
 */
public final class Waiter implements Closeable {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition woke = lock.newCondition();
  private boolean woken;
  private volatile Selector selector;
  private volatile boolean closed;
  private final Map<SelectableChannel, SelectionKey> keys = new HashMap<>();
  private final Map<SelectableChannel, Integer> readyOps = new HashMap<>();
  private final List<Runnable> cleanups = new ArrayList<>();

  /** Adds {@code ops} (SelectionKey.OP_*) to what wakes this waiter for {@code ch}. */
  public void watch(SelectableChannel ch, int ops) throws IOException {
    SelectionKey k = keys.get(ch);
    if (k == null) {
      if (selector == null) selector = Selector.open();
      keys.put(ch, ch.register(selector, ops));
    } else {
      k.interestOps(k.interestOps() | ops);
    }
  }

  /** Replaces the ops watched on {@code ch} (a descriptor's own blocking waiter). */
  public void watchOnly(SelectableChannel ch, int ops) throws IOException {
    SelectionKey k = keys.get(ch);
    if (k == null) watch(ch, ops);
    else k.interestOps(ops);
  }

  /** Runs {@code r} when this waiter is closed (unregisters a listener). */
  public void onClose(Runnable r) {
    cleanups.add(r);
  }

  /** Whether the last select saw {@code ch} ready for {@code op}. */
  public boolean ready(SelectableChannel ch, int op) {
    Integer ops = readyOps.get(ch);
    return ops != null && (ops & op) != 0;
  }

  /** Wakes the thread in {@link #await}, or makes its next call return at once. */
  public void wake() {
    lock.lock();
    try {
      woken = true;
      woke.signalAll();
    } finally {
      lock.unlock();
    }
    Selector s = selector;
    if (s != null) s.wakeup();
  }

  /** Refreshes channel readiness without blocking. */
  public void selectNow() throws IOException {
    Selector s = selector;
    if (s == null) return;
    checkOpen();
    readyOps.clear();
    s.selectNow();
    record(s);
  }

  /**
   * Waits until woken, a watched channel is ready, or {@code timeoutNanos} passes
   * (Long.MAX_VALUE: no timeout). May return early; callers re-check and wait again.
   */
  public void await(long timeoutNanos) throws IOException, InterruptedException {
    checkOpen();
    if (consumeWoken()) return;
    if (timeoutNanos <= 0) {
      selectNow();
      return;
    }
    Selector s = selector;
    if (s != null) {
      readyOps.clear();
      if (timeoutNanos == Long.MAX_VALUE) {
        s.select();
      } else {
        // select's unit is the millisecond: round up so the deadline is never undershot
        long ms = Math.max(1, (timeoutNanos + 999_999) / 1_000_000);
        s.select(ms);
      }
      record(s);
      consumeWoken();
      if (Thread.interrupted()) throw new InterruptedException();
      checkOpen();
      return;
    }
    lock.lockInterruptibly();
    try {
      if (!woken) {
        if (timeoutNanos == Long.MAX_VALUE) woke.await();
        else woke.awaitNanos(timeoutNanos);
      }
      woken = false;
    } finally {
      lock.unlock();
    }
    checkOpen();
  }

  private boolean consumeWoken() {
    lock.lock();
    try {
      boolean w = woken;
      woken = false;
      return w;
    } finally {
      lock.unlock();
    }
  }

  private void record(Selector s) {
    for (SelectionKey k : s.selectedKeys()) {
      if (k.isValid()) readyOps.merge(k.channel(), k.readyOps(), (a, b) -> a | b);
    }
    s.selectedKeys().clear();
  }

  private void checkOpen() throws IOException {
    if (closed) throw new ClosedChannelException();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Unregisters every listener and closes the selector (waking a thread blocked on it). */
  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    wake();
    for (Runnable r : cleanups) r.run();
    cleanups.clear();
    Selector s = selector;
    if (s != null) s.close();
  }

  /** Nanoseconds left until the System.nanoTime() {@code deadline} (Long.MAX_VALUE: none). */
  public static long remaining(long deadline) {
    if (deadline == Long.MAX_VALUE) return Long.MAX_VALUE;
    return Math.max(0, deadline - System.nanoTime());
  }

  /** A System.nanoTime() deadline {@code nanos} from now, saturating at Long.MAX_VALUE. */
  public static long deadlineIn(long nanos) {
    if (nanos < 0 || nanos >= TimeUnit.DAYS.toNanos(365 * 100)) return Long.MAX_VALUE;
    try {
      long d = Math.addExact(System.nanoTime(), nanos);
      return d == Long.MAX_VALUE ? d - 1 : d;
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
