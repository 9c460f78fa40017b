/* wasi-libc (Debian bookworm) has no setjmp.h: WASI Preview 1 has no way to unwind the
   stack. Lua is built with LUAI_THROW = abort() instead (see build.sh), so this header
   only has to exist. */
