package cljwasi.wasi.poll;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads an InputStream on a daemon thread into a bounded buffer, so that a guest can
 * poll it or read it without blocking. Started only when stdin is polled or read with
 * NONBLOCK; plain blocking reads go to the stream directly. The thread ends at end of
 * stream, on a read error, or when the pump is closed (it is interrupted; a stream
 * that ignores interrupts keeps it parked in read() until its next byte or EOF, after
 * which it exits without handing that input to anyone).
 */
public final class InputPump implements Closeable {
  private static final int CAPACITY = 1 << 16;

  private final InputStream in;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final byte[] ring = new byte[CAPACITY];
  private int head, count;
  private boolean eof, closed;
  private IOException error;
  private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;

  public InputPump(InputStream in, String name) {
    this.in = in;
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    byte[] tmp = new byte[8192];
    try {
      while (true) {
        int room;
        lock.lock();
        try {
          while (count == CAPACITY && !closed) changed.await();
          if (closed) return;
          room = Math.min(tmp.length, CAPACITY - count);
        } finally {
          lock.unlock();
        }
        int n = in.read(tmp, 0, room);
        lock.lock();
        try {
          if (closed) return;
          if (n < 0) {
            eof = true;
          } else {
            for (int i = 0; i < n; i++) ring[(head + count + i) % CAPACITY] = tmp[i];
            count += n;
          }
          changed.signalAll();
        } finally {
          lock.unlock();
        }
        notifyListeners();
        if (n < 0) return;
      }
    } catch (InterruptedException | InterruptedIOException e) {
      finish(null);
    } catch (IOException e) {
      finish(e);
    } catch (RuntimeException e) {
      finish(new IOException(e));
    }
  }

  private void finish(IOException e) {
    lock.lock();
    try {
      if (!closed && e != null) error = e;
      else if (!closed) eof = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    notifyListeners();
  }

  private void notifyListeners() {
    for (Runnable r : listeners) r.run();
  }

  /** Calls {@code r} (from the pump thread) whenever input, EOF or an error arrives. */
  public void addListener(Runnable r) {
    listeners.add(r);
  }

  public void removeListener(Runnable r) {
    listeners.remove(r);
  }

  /** Bytes buffered and not yet read. */
  public int available() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  /** Readiness for poll: bytes buffered, else hangup at EOF, EIO after an error, else null. */
  public Readiness readiness() {
    lock.lock();
    try {
      if (count > 0) return Readiness.ready(count);
      if (error != null) return Readiness.error(cljwasi.wasi.Errno.IO);
      if (eof || closed) return Readiness.hangup();
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves buffered bytes into {@code dst}: returns the count, -1 at end of stream, or -2
   * when nothing is buffered and {@code block} is false. Blocking waits for at least one
   * byte. Rethrows a read error once the buffered bytes before it are consumed.
   */
  public int read(ByteBuffer dst, boolean block) throws IOException, InterruptedException {
    lock.lockInterruptibly();
    try {
      while (count == 0 && !eof && error == null && !closed) {
        if (!block) return -2;
        changed.await();
      }
      if (count == 0) {
        if (error != null) {
          IOException e = error;
          error = null;
          eof = true;
          throw e;
        }
        return -1;
      }
      int n = Math.min(count, dst.remaining());
      for (int i = 0; i < n; i++) dst.put(ring[(head + i) % CAPACITY]);
      head = (head + n) % CAPACITY;
      count -= n;
      changed.signalAll();
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the pump thread (interrupting a blocked read where the stream allows it). */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    thread.interrupt();
    notifyListeners();
  }

  /** Whether the pump thread is still running (for tests). */
  public boolean isAlive() {
    return thread.isAlive();
  }
}
