/* Functions wasi-libc declares but cannot provide (WASI Preview 1 has no processes and
   no anonymous temporary files): fail the way POSIX lets them fail, so the programs
   link and report an error if a script asks for them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

int system(const char *command) {
  if (command == NULL) return 0; /* "no command processor" */
  errno = ENOSYS;
  return -1;
}

FILE *tmpfile(void) {
  errno = ENOSYS;
  return NULL;
}

/* WASI Preview 1 files have no permission bits and no owners. */
int chmod(const char *path, mode_t mode) {
  (void)path; (void)mode;
  errno = ENOSYS;
  return -1;
}

int chown(const char *path, uid_t owner, gid_t group) {
  (void)path; (void)owner; (void)group;
  errno = ENOSYS;
  return -1;
}

int fchmod(int fd, mode_t mode) {
  (void)fd; (void)mode;
  errno = ENOSYS;
  return -1;
}

int fchown(int fd, uid_t owner, gid_t group) {
  (void)fd; (void)owner; (void)group;
  errno = ENOSYS;
  return -1;
}

/* WASI has no users; report an unprivileged one so no program tries to hand files to
   another owner (SQLite fchowns its journals when it runs as root). */
uid_t geteuid(void) { return 1000; }
