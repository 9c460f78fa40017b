package cljwasi.wasi;

import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.poll.Pollable;
import cljwasi.wasi.poll.Readiness;
import cljwasi.wasi.poll.Waiter;
import com.dylibso.chicory.runtime.Memory;
import java.util.ArrayList;
import java.util.List;

/**
 * poll_oneoff: waits for clock deadlines and fd readiness without spinning. Sockets are
 * waited on through a selector, stdin through its pump thread, clocks as timed waits.
 *
 * <p>Semantics follow wasmtime: nsubscriptions 0 is EINVAL; relative and absolute
 * timeouts on the realtime and monotonic clocks (an absolute time is measured against the
 * context's clock, then waited for in real time, so a fixed clock still sleeps); the
 * CPU-time clocks only as the single relative sleep wasi-libc uses, EINVAL otherwise.
 * When any fd is ready only fd events are reported (a ready fd does not also fire a
 * timeout); else every expired clock is. An fd that cannot be polled (closed, a
 * directory, the wrong direction of a stdio stream) gives its subscription an event with
 * error EBADF at once, where wasmtime fails the whole call, so wasi-libc's poll() sees
 * POLLNVAL for that entry. Regular files are always ready. End of input or a closed
 * peer sets FD_READWRITE_HANGUP.
 */
final class PollFunctions {
  private PollFunctions() {}

  static final int EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
  static final int SUBCLOCKFLAGS_ABSTIME = 1;
  static final int EVENTRWFLAGS_HANGUP = 1;
  static final int SUBSCRIPTION_SIZE = 48, EVENT_SIZE = 32;

  private static final class Sub {
    long userdata;
    int type;
    long deadline; // clock: System.nanoTime() deadline, Long.MAX_VALUE for none
    Descriptor fd; // fd_read / fd_write
    Readiness fixed; // an answer known up front (EBADF, always-ready file)
  }

  static void register(WasiHost.Registry r) {
    // poll_oneoff(in, out, nsubscriptions, nevents_ptr)
    // reads: nsubscriptions 48-byte subscriptions at in (userdata u64; tag u8 at +8;
    // clock: id u32 +16, timeout u64 +24, precision u64 +32, flags u16 +40;
    // fd_read/fd_write: fd u32 +16).
    // writes: up to nsubscriptions 32-byte events at out (userdata u64, error u16 +8,
    // type u8 +10, nbytes u64 +16, flags u16 +24), and their count, u32, at nevents_ptr.
    // errnos: success (per-subscription failures are in the events' error field),
    // inval (nsubscriptions 0, unknown tag or clock, CPU-time clock other than a single
    // relative sleep), intr (host thread interrupted), fault.
    r.fn("poll_oneoff", "in out nsubscriptions nevents_ptr", (ctx, mem, a) -> {
      int in = (int) a[0], out = (int) a[1], nsubs = (int) a[2], neventsPtr = (int) a[3];
      if (nsubs == 0) throw new WasiException(Errno.INVAL);
      if (nsubs < 0 || nsubs > (1 << 20)) throw new WasiException(Errno.INVAL);
      mem.readInt(neventsPtr);
      checkRange(mem, in, (long) nsubs * SUBSCRIPTION_SIZE);
      checkRange(mem, out, (long) nsubs * EVENT_SIZE);
      List<Sub> subs = read(ctx, mem, in, nsubs);
      int n = poll(ctx, subs, mem, out);
      mem.writeI32(neventsPtr, n);
      return Errno.SUCCESS;
    });
  }

  /** EFAULT unless [ptr, ptr+len) (ptr unsigned) lies inside linear memory. */
  private static void checkRange(Memory mem, int ptr, long len) {
    long end = (ptr & 0xffffffffL) + len;
    if (end > (long) mem.pages() * Memory.PAGE_SIZE) throw new WasiException(Errno.FAULT);
  }

  private static List<Sub> read(WasiContext ctx, Memory mem, int in, int nsubs) {
    List<Sub> subs = new ArrayList<>(nsubs);
    for (int i = 0; i < nsubs; i++) {
      int p = in + i * SUBSCRIPTION_SIZE;
      Sub s = new Sub();
      s.userdata = mem.readLong(p);
      s.type = mem.read(p + 8) & 0xff;
      switch (s.type) {
        case EVENTTYPE_CLOCK: {
          int id = mem.readInt(p + 16);
          long timeout = mem.readLong(p + 24);
          boolean abs = (mem.readShort(p + 40) & SUBCLOCKFLAGS_ABSTIME) != 0;
          s.deadline = deadline(ctx, id, timeout, abs, nsubs);
          break;
        }
        case EVENTTYPE_FD_READ:
        case EVENTTYPE_FD_WRITE: {
          int fd = mem.readInt(p + 16);
          try {
            s.fd = ctx.fds.get(fd);
          } catch (WasiException e) {
            s.fixed = Readiness.error(e.errno);
            break;
          }
          if (!(s.fd instanceof Pollable)) s.fixed = unpollable(s.fd, s.type == EVENTTYPE_FD_READ);
          break;
        }
        default:
          throw new WasiException(Errno.INVAL);
      }
      subs.add(s);
    }
    return subs;
  }

  /**
   * Descriptors without their own readiness: directories are EBADF; files are always
   * ready, for reading with the bytes left before end of file (hangup at the end, as in
   * wasmtime).
   */
  private static Readiness unpollable(Descriptor d, boolean read) {
    switch (d.filetype()) {
      case Rights.FT_DIRECTORY:
      case Rights.FT_SYMBOLIC_LINK:
        return Readiness.error(Errno.BADF);
      case Rights.FT_REGULAR_FILE:
        if (!read) return Readiness.ALWAYS;
        try {
          long left = d.filestat().size - d.tell();
          return left > 0 ? Readiness.ready(left) : Readiness.hangup();
        } catch (Exception e) {
          return Readiness.ALWAYS;
        }
      default:
        return Readiness.ALWAYS;
    }
  }

  private static long deadline(WasiContext ctx, int id, long timeout, boolean abs, int nsubs) {
    switch (id) {
      case ClockFunctions.REALTIME:
      case ClockFunctions.MONOTONIC:
        if (!abs) return Waiter.deadlineIn(timeout);
        long now = ClockFunctions.now(ctx, id);
        // timeouts are u64: compare unsigned; a time already past is due at once
        if (Long.compareUnsigned(timeout, now) <= 0) return System.nanoTime();
        return Waiter.deadlineIn(timeout - now);
      case ClockFunctions.PROCESS_CPUTIME:
      case ClockFunctions.THREAD_CPUTIME:
        // wasmtime only sleeps on these as the lone relative subscription
        if (!abs && nsubs == 1) return Waiter.deadlineIn(timeout);
        throw new WasiException(Errno.INVAL);
      default:
        throw new WasiException(Errno.INVAL);
    }
  }

  private static int poll(WasiContext ctx, List<Sub> subs, Memory mem, int out)
      throws Exception {
    Waiter w = null;
    boolean flushed = false;
    try {
      while (true) {
        if (w != null) w.selectNow();
        int n = 0;
        for (Sub s : subs) {
          if (s.type == EVENTTYPE_CLOCK) continue;
          Readiness r = s.fixed != null ? s.fixed : ((Pollable) s.fd).poll(s.type == EVENTTYPE_FD_READ, w);
          if (r != null) writeEvent(mem, out + EVENT_SIZE * n++, s, r);
        }
        if (n > 0) return n;
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (Sub s : subs) {
          if (s.type != EVENTTYPE_CLOCK) continue;
          if (s.deadline != Long.MAX_VALUE && s.deadline - now <= 0) {
            writeEvent(mem, out + EVENT_SIZE * n++, s, null);
          } else if (s.deadline != Long.MAX_VALUE) {
            next = next == Long.MAX_VALUE || s.deadline - next < 0 ? s.deadline : next;
          }
        }
        if (n > 0) return n;
        if (w == null) {
          // nothing ready yet: register what can wake us, then check once more
          w = new Waiter();
          for (Sub s : subs) {
            if (s.fd instanceof Pollable && s.fixed == null) {
              ((Pollable) s.fd).watch(w, s.type == EVENTTYPE_FD_READ);
            }
          }
          continue;
        }
        if (!flushed) {
          ctx.flush(); // output written before a wait shows while the guest waits
          flushed = true;
        }
        w.await(Waiter.remaining(next));
      }
    } finally {
      if (w != null) w.close();
    }
  }

  private static void writeEvent(Memory mem, int p, Sub s, Readiness r) {
    mem.writeLong(p, s.userdata);
    mem.writeShort(p + 8, (short) (r == null ? 0 : r.errno));
    mem.writeByte(p + 10, (byte) s.type);
    mem.writeByte(p + 11, (byte) 0);
    mem.writeI32(p + 12, 0);
    boolean ok = r != null && r.errno == 0;
    mem.writeLong(p + 16, ok ? r.nbytes : 0);
    mem.writeShort(p + 24, (short) (ok && r.hangup ? EVENTRWFLAGS_HANGUP : 0));
    mem.writeShort(p + 26, (short) 0);
    mem.writeI32(p + 28, 0);
  }
}
