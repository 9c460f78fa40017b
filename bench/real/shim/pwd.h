/* wasi-libc has no pwd.h: WASI has no user database. SQLite's shell looks up the home
   directory with getpwuid and falls back to $HOME when it finds no entry. */
#include <sys/types.h>
struct passwd { char *pw_name; char *pw_dir; };
static inline uid_t getuid(void) { return 1000; }
static inline struct passwd *getpwuid(uid_t uid) { (void)uid; return 0; }
