// Shared by the net_*.c test programs: find the preopened listener.
#include <wasi/api.h>

// The first fd from 3 up that is a SOCKET_STREAM with the SOCK_ACCEPT right, or -1.
static int find_listener(void) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) != 0) continue;
    if (st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM &&
        (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT))
      return (int)fd;
  }
  return -1;
}
