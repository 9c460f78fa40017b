/* Force-included into SQLite 3.40's amalgamation for WASI (3.40 predates SQLite's own
   __wasi__ support): the POSIX names its unix VFS refers to. WASI has no advisory locks,
   so fcntl(F_SETLK) fails and file databases need the lock-free VFS (`-vfs unix-none`,
   or `file:NAME?vfs=unix-none`); :memory: databases need none. */
#include <fcntl.h>
#include <unistd.h>
#include <sys/types.h>
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
int fchmod(int fd, mode_t mode);
int fchown(int fd, uid_t owner, gid_t group);
uid_t geteuid(void);
