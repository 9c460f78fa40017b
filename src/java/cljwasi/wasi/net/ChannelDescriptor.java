package cljwasi.wasi.net;

import cljwasi.wasi.Errno;
import cljwasi.wasi.WasiException;
import cljwasi.wasi.fd.Descriptor;
import cljwasi.wasi.fd.Rights;
import cljwasi.wasi.poll.Pollable;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * What a listener and a connected socket share: a channel that is always non-blocking
 * underneath (a blocking operation waits in its {@link Blocker}, which close() wakes),
 * the SOCKET_STREAM filetype, and fdflags where only NONBLOCK may change.
 */
public abstract class ChannelDescriptor extends Descriptor implements Pollable {
  private final SelectableChannel channel;
  final Blocker blocker;

  /** {@code beforeWait} runs before each blocking wait (flushes the guest's stdout; may be null). */
  ChannelDescriptor(SelectableChannel channel, long rightsBase, long rightsInheriting,
      int fdflags, Runnable beforeWait) throws IOException {
    super(rightsBase, rightsInheriting, fdflags);
    this.channel = channel;
    channel.configureBlocking(false);
    this.blocker = new Blocker(channel, beforeWait);
  }

  static void checkSocketFlags(int flags) {
    if ((flags & ~Rights.FDFLAG_NONBLOCK) != 0) throw new WasiException(Errno.INVAL);
  }

  final boolean nonblocking() {
    return (fdflags & Rights.FDFLAG_NONBLOCK) != 0;
  }

  @Override
  public final byte filetype() {
    return Rights.FT_SOCKET_STREAM;
  }

  /** Only NONBLOCK may be set or cleared on a socket (EINVAL otherwise), as in wasmtime. */
  @Override
  public final void setFdflags(int flags) throws IOException {
    checkSocketFlags(flags);
    fdflags = flags;
  }

  @Override
  public final void close() throws IOException {
    try {
      blocker.close();
    } finally {
      channel.close();
    }
  }
}
