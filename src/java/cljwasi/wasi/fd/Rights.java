package cljwasi.wasi.fd;

/** WASI rights bits, filetypes and flag words (wasi_snapshot_preview1's witx). */
public final class Rights {
  private Rights() {}

  public static final long FD_DATASYNC = 1L << 0, FD_READ = 1L << 1, FD_SEEK = 1L << 2,
      FD_FDSTAT_SET_FLAGS = 1L << 3, FD_SYNC = 1L << 4, FD_TELL = 1L << 5, FD_WRITE = 1L << 6,
      FD_ADVISE = 1L << 7, FD_ALLOCATE = 1L << 8, PATH_CREATE_DIRECTORY = 1L << 9,
      PATH_CREATE_FILE = 1L << 10, PATH_LINK_SOURCE = 1L << 11, PATH_LINK_TARGET = 1L << 12,
      PATH_OPEN = 1L << 13, FD_READDIR = 1L << 14, PATH_READLINK = 1L << 15,
      PATH_RENAME_SOURCE = 1L << 16, PATH_RENAME_TARGET = 1L << 17,
      PATH_FILESTAT_GET = 1L << 18, PATH_FILESTAT_SET_SIZE = 1L << 19,
      PATH_FILESTAT_SET_TIMES = 1L << 20, FD_FILESTAT_GET = 1L << 21,
      FD_FILESTAT_SET_SIZE = 1L << 22, FD_FILESTAT_SET_TIMES = 1L << 23, PATH_SYMLINK = 1L << 24,
      PATH_REMOVE_DIRECTORY = 1L << 25, PATH_UNLINK_FILE = 1L << 26,
      POLL_FD_READWRITE = 1L << 27, SOCK_SHUTDOWN = 1L << 28, SOCK_ACCEPT = 1L << 29;

  public static final long ALL = (1L << 30) - 1;

  /** Rights that make sense on a regular file. */
  public static final long FILE = FD_DATASYNC | FD_READ | FD_SEEK | FD_FDSTAT_SET_FLAGS | FD_SYNC
      | FD_TELL | FD_WRITE | FD_ADVISE | FD_ALLOCATE | FD_FILESTAT_GET | FD_FILESTAT_SET_SIZE
      | FD_FILESTAT_SET_TIMES | POLL_FD_READWRITE;

  /** Rights that make sense on a directory. */
  public static final long DIRECTORY = FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_ADVISE
      | PATH_CREATE_DIRECTORY | PATH_CREATE_FILE | PATH_LINK_SOURCE | PATH_LINK_TARGET
      | PATH_OPEN | FD_READDIR | PATH_READLINK | PATH_RENAME_SOURCE | PATH_RENAME_TARGET
      | PATH_FILESTAT_GET | PATH_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_TIMES | FD_FILESTAT_GET
      | FD_FILESTAT_SET_TIMES | PATH_SYMLINK | PATH_REMOVE_DIRECTORY | PATH_UNLINK_FILE;

  /** Rights of a stdio stream or pipe. */
  public static final long STREAM = FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET
      | POLL_FD_READWRITE;

  /** Rights of a connected socket. */
  public static final long SOCKET = FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET
      | POLL_FD_READWRITE | SOCK_SHUTDOWN;

  // filetype
  public static final byte FT_UNKNOWN = 0, FT_BLOCK_DEVICE = 1, FT_CHARACTER_DEVICE = 2,
      FT_DIRECTORY = 3, FT_REGULAR_FILE = 4, FT_SOCKET_DGRAM = 5, FT_SOCKET_STREAM = 6,
      FT_SYMBOLIC_LINK = 7;

  // fdflags
  public static final int FDFLAG_APPEND = 1, FDFLAG_DSYNC = 2, FDFLAG_NONBLOCK = 4,
      FDFLAG_RSYNC = 8, FDFLAG_SYNC = 16;

  // oflags
  public static final int O_CREAT = 1, O_DIRECTORY = 2, O_EXCL = 4, O_TRUNC = 8;

  // lookupflags
  public static final int LOOKUP_SYMLINK_FOLLOW = 1;

  // fstflags
  public static final int FST_ATIM = 1, FST_ATIM_NOW = 2, FST_MTIM = 4, FST_MTIM_NOW = 8;

  // whence
  public static final int WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2;
}
