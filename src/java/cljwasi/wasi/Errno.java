package cljwasi.wasi;

import cljwasi.wasi.fs.NativeFs.HostErrnoException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Locale;

/**
 * The errno values of wasi_snapshot_preview1, and the one place where a Java exception
 * becomes an errno. Host functions throw {@link WasiException} for errors they detect
 * themselves and let IO exceptions escape; {@link #of(Throwable)} maps the rest.
 */
public final class Errno {
  private Errno() {}

  // Values from wasi_snapshot_preview1's witx (wasi/api.h): note MLINK = 34.
  public static final int SUCCESS = 0, TOOBIG = 1, ACCES = 2, ADDRINUSE = 3, ADDRNOTAVAIL = 4,
      AFNOSUPPORT = 5, AGAIN = 6, ALREADY = 7, BADF = 8, BADMSG = 9, BUSY = 10, CANCELED = 11,
      CHILD = 12, CONNABORTED = 13, CONNREFUSED = 14, CONNRESET = 15, DEADLK = 16,
      DESTADDRREQ = 17, DOM = 18, DQUOT = 19, EXIST = 20, FAULT = 21, FBIG = 22,
      HOSTUNREACH = 23, IDRM = 24, ILSEQ = 25, INPROGRESS = 26, INTR = 27, INVAL = 28, IO = 29,
      ISCONN = 30, ISDIR = 31, LOOP = 32, MFILE = 33, MLINK = 34, MSGSIZE = 35, MULTIHOP = 36,
      NAMETOOLONG = 37, NETDOWN = 38, NETRESET = 39, NETUNREACH = 40, NFILE = 41, NOBUFS = 42,
      NODEV = 43, NOENT = 44, NOEXEC = 45, NOLCK = 46, NOLINK = 47, NOMEM = 48, NOMSG = 49,
      NOPROTOOPT = 50, NOSPC = 51, NOSYS = 52, NOTCONN = 53, NOTDIR = 54, NOTEMPTY = 55,
      NOTRECOVERABLE = 56, NOTSOCK = 57, NOTSUP = 58, NOTTY = 59, NXIO = 60, OVERFLOW = 61,
      OWNERDEAD = 62, PERM = 63, PIPE = 64, PROTO = 65, PROTONOSUPPORT = 66, PROTOTYPE = 67,
      RANGE = 68, ROFS = 69, SPIPE = 70, SRCH = 71, STALE = 72, TIMEDOUT = 73, TXTBSY = 74,
      XDEV = 75, NOTCAPABLE = 76;

  private static final String[] NAMES = {
    "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again", "already",
    "badf", "badmsg", "busy", "canceled", "child", "connaborted", "connrefused", "connreset",
    "deadlk", "destaddrreq", "dom", "dquot", "exist", "fault", "fbig", "hostunreach", "idrm",
    "ilseq", "inprogress", "intr", "inval", "io", "isconn", "isdir", "loop", "mfile", "mlink",
    "msgsize", "multihop", "nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs",
    "nodev", "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc",
    "nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup", "notty",
    "nxio", "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport", "prototype",
    "range", "rofs", "spipe", "srch", "stale", "timedout", "txtbsy", "xdev", "notcapable"
  };

  /** The errno's name as the WASI spec spells it, e.g. "noent". */
  public static String name(int errno) {
    return errno >= 0 && errno < NAMES.length ? NAMES[errno] : "errno-" + errno;
  }

  /** The errno for any exception a host function let escape. */
  public static int of(Throwable t) {
    if (t instanceof WasiException) return ((WasiException) t).errno;
    if (t instanceof HostErrnoException) {
      return ofHost(((HostErrnoException) t).errno);
    }
    if (t instanceof NoSuchFileException) return NOENT;
    if (t instanceof FileAlreadyExistsException) return EXIST;
    if (t instanceof DirectoryNotEmptyException) return NOTEMPTY;
    if (t instanceof NotDirectoryException) return NOTDIR;
    if (t instanceof NotLinkException) return INVAL;
    if (t instanceof AtomicMoveNotSupportedException) return XDEV;
    if (t instanceof FileSystemLoopException) return LOOP;
    if (t instanceof AccessDeniedException) return ACCES;
    if (t instanceof ReadOnlyFileSystemException) return ROFS;
    if (t instanceof ClosedChannelException) return BADF;
    if (t instanceof NonReadableChannelException) return BADF;
    if (t instanceof NonWritableChannelException) return BADF;
    if (t instanceof InterruptedIOException) return INTR;
    if (t instanceof EOFException) return IO;
    if (t instanceof UnsupportedOperationException) return NOTSUP;
    if (t instanceof FileSystemException) return fromReason(((FileSystemException) t).getReason());
    if (t instanceof SocketTimeoutException) return AGAIN;
    if (t instanceof BindException) return ADDRINUSE;
    if (t instanceof ConnectException) return CONNREFUSED;
    if (t instanceof IOException) return fromReason(t.getMessage());
    if (t instanceof IllegalArgumentException) return INVAL;
    if (t instanceof OutOfMemoryError) return NOMEM;
    return IO;
  }

  /** FileSystemException carries the OS's strerror text as its reason; map the common ones. */
  private static int fromReason(String reason) {
    if (reason == null) return IO;
    String r = reason.toLowerCase(Locale.ROOT);
    if (r.contains("not a directory")) return NOTDIR;
    if (r.contains("is a directory")) return ISDIR;
    if (r.contains("directory not empty")) return NOTEMPTY;
    if (r.contains("file exists")) return EXIST;
    if (r.contains("no such file")) return NOENT;
    if (r.contains("too many levels of symbolic links")) return LOOP;
    if (r.contains("permission denied")) return ACCES;
    if (r.contains("operation not permitted")) return PERM;
    if (r.contains("invalid argument")) return INVAL;
    if (r.contains("cross-device")) return XDEV;
    if (r.contains("no space left")) return NOSPC;
    if (r.contains("file too large")) return FBIG;
    if (r.contains("name too long")) return NAMETOOLONG;
    if (r.contains("read-only file system")) return ROFS;
    if (r.contains("too many open files")) return MFILE;
    if (r.contains("broken pipe")) return PIPE;
    if (r.contains("connection reset")) return CONNRESET;
    if (r.contains("illegal seek")) return SPIPE;
    if (r.contains("resource temporarily unavailable")) return AGAIN;
    if (r.contains("bad file descriptor")) return BADF;
    if (r.contains("too many links")) return MLINK;
    if (r.contains("device or resource busy")) return BUSY;
    if (r.contains("text file busy")) return TXTBSY;
    if (r.contains("disk quota exceeded")) return DQUOT;
    if (r.contains("operation not supported")) return NOTSUP;
    if (r.contains("no such device")) return NXIO;
    return IO;
  }

  /** The WASI errno for a Linux errno number (from a native call, see NativeFs). */
  public static int ofHost(int linux) {
    switch (linux) {
      case 1: return PERM;
      case 2: return NOENT;
      case 4: return INTR;
      case 5: return IO;
      case 9: return BADF;
      case 11: return AGAIN;
      case 12: return NOMEM;
      case 13: return ACCES;
      case 16: return BUSY;
      case 17: return EXIST;
      case 18: return XDEV;
      case 19: return NODEV;
      case 20: return NOTDIR;
      case 21: return ISDIR;
      case 22: return INVAL;
      case 23: return NFILE;
      case 24: return MFILE;
      case 26: return TXTBSY;
      case 27: return FBIG;
      case 28: return NOSPC;
      case 30: return ROFS;
      case 31: return MLINK;
      case 36: return NAMETOOLONG;
      case 38: return NOSYS;
      case 39: return NOTEMPTY;
      case 40: return LOOP;
      case 75: return OVERFLOW;
      case 95: return NOTSUP;
      case 116: return STALE;
      case 122: return DQUOT;
      default: return IO;
    }
  }
}
