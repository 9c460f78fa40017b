#!/usr/bin/env bash
# Builds the real-program benchmark modules (issue 14) from Debian bookworm's source
# packages into bench/real/wasm/NAME.wasm (committed; the sources are not):
#
#   bench/real/build.sh [NAME...]        default: every program below
#   bench/real/build.sh --add-deb-src    (root) add the deb-src entries apt-get source needs
#
#   lua.wasm     lua5.4 5.4.4-3+deb12u1      the Lua interpreter (lua.c + the library)
#   zstd.wasm    libzstd 1.5.4+dfsg2-5       the zstd command-line compressor, single-threaded
#   sqlite3.wasm sqlite3 3.40.1-2+deb12u2    SQLite's shell over its amalgamation
#   nasm.wasm    nasm 2.16.01-1              the Netwide Assembler (its own configure + make)
#   cmark.wasm   cmark 0.30.2-6              CommonMark's reference Markdown renderer
#
# Sources are fetched with `apt-get source PKG=VERSION` (Debian's patches applied) into
# bench/out/real/src and built in bench/out/real/build (both git-ignored). The versions
# are pinned so that a rebuild gives the committed modules.
#
# Needs (Debian bookworm): clang lld wasi-libc libclang-rt-14-dev-wasm32 llvm (llvm-ar,
# llvm-ranlib), make, perl (nasm's build), gcc and tcl (SQLite generates its amalgamation
# with native tools), dpkg-dev (apt-get source unpacks with dpkg-source), and deb-src
# entries for the archive the system's deb entries name: `--add-deb-src` writes
# /etc/apt/sources.list.d/debian-src.sources from /etc/apt/sources.list.d/debian.sources
# (the same URIs and suites, type deb-src) and runs apt-get update.
# Takes ~3 minutes on 2 cores (compiling SQLite's amalgamation and nasm is most of it).
#
# What WASI Preview 1 lacks, and how each build gets by (no source is patched):
# - setjmp/longjmp (clang 14 cannot lower them to Wasm): Lua's error handling is built
#   with LUAI_THROW = abort(): any Lua error, even one under pcall, ends the program with
#   a trap instead of a message; the benchmark script raises none.
# - system, tmpfile, chmod, chown, fchmod, fchown, geteuid, pwd.h: failing stand-ins in
#   bench/real/shim (wasi_stubs.c, pwd.h); signals and clock() through wasi-libc's
#   emulation libraries (-lwasi-emulated-*).
# - advisory locks: SQLite's unix VFS is compiled as is (bench/real/shim/sqlite_wasi.h
#   names what 3.40 expects); file databases need the lock-free VFS (`-vfs unix-none`).
#   Temporary tables and sort spills stay in memory (SQLITE_TEMP_STORE=3): a WASI
#   program has no /tmp unless one is preopened.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/bench/out/real"
shim="$here/shim"
out="$here/wasm"
CC="${CC:-clang}"
AR="${AR:-llvm-ar}"
RANLIB="${RANLIB:-llvm-ranlib}"
JOBS="${JOBS:-$(nproc)}"
# -O2 as Debian builds these packages; debug info stripped, the name section kept (it
# names the functions in traps and profiles)
WASI_CFLAGS=(--target=wasm32-wasi -O2 -w -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS
             -D_WASI_EMULATED_GETPID)
WASI_LDFLAGS=(-Wl,--strip-debug -lwasi-emulated-signal -lwasi-emulated-process-clocks
              -lwasi-emulated-getpid)

die() { echo "build.sh: $*" >&2; exit 1; }

add_deb_src() {
  local from=/etc/apt/sources.list.d/debian.sources to=/etc/apt/sources.list.d/debian-src.sources
  [[ -f "$from" ]] || die "no $from to copy the archive from; add deb-src lines by hand"
  sed 's/^Types: deb$/Types: deb-src/' "$from" > "$to"
  apt-get update
}

# fetch PKG VERSION -> prints the unpacked source directory
fetch() {
  local pkg="$1" version="$2"
  local upstream="${version%-*}"
  upstream="${upstream#*:}"
  local dir="$work/src/$pkg-${upstream}"
  if [[ ! -d "$dir" ]]; then
    grep -qx "Version: $version" <<< "$(apt-cache showsrc "$pkg" 2>/dev/null)" \
      || die "apt has no source for $pkg=$version: add deb-src entries (sudo $0 --add-deb-src)"
    mkdir -p "$work/src"
    (cd "$work/src" && apt-get source -qq "$pkg=$version" >&2) \
      || die "apt-get source $pkg=$version failed"
  fi
  [[ -d "$dir" ]] || die "apt-get source did not unpack $dir"
  echo "$dir"
}

build_lua() {
  local src; src="$(fetch lua5.4 5.4.4-3+deb12u1)"
  local files=()
  for f in "$src"/src/*.c; do [[ "$(basename "$f")" == luac.c ]] || files+=("$f"); done
  "$CC" "${WASI_CFLAGS[@]}" -I"$shim" \
    '-DLUAI_THROW(L,c)=abort()' '-DLUAI_TRY(L,c,a)={ a }' '-Dluai_jmpbuf=int' \
    -DLUA_TMPNAMBUFSIZE=32 '-Dlua_tmpnam(b,e)=(e=1)' \
    "${files[@]}" "$shim/wasi_stubs.c" -o "$out/lua.wasm" "${WASI_LDFLAGS[@]}"
}

build_zstd() {
  local src; src="$(fetch libzstd 1.5.4+dfsg2-5)"
  # platform.h does not know WASI as a Unix, so util.h misses stdio.h: include it first;
  # no threads, no benchmark or dictionary-builder modes, no legacy formats
  "$CC" "${WASI_CFLAGS[@]}" -include stdio.h -I"$shim" -I"$src/lib" -I"$src/lib/common" \
    -DZSTD_NOBENCH -DZSTD_NODICT -DZSTD_NOTRACE -DZSTD_LEGACY_SUPPORT=0 -DBACKTRACE_ENABLE=0 \
    -DZSTD_DISABLE_ASM \
    "$src"/lib/common/*.c "$src"/lib/compress/*.c "$src"/lib/decompress/*.c \
    "$src"/programs/{zstdcli,fileio,fileio_asyncio,util,timefn,zstdcli_trace}.c \
    "$shim/wasi_stubs.c" -o "$out/zstd.wasm" "${WASI_LDFLAGS[@]}"
}

build_sqlite3() {
  local src; src="$(fetch sqlite3 3.40.1-2+deb12u2)"
  local b="$work/build/sqlite3"
  mkdir -p "$b"
  # the amalgamation (sqlite3.c) and shell.c are generated by native tools
  if [[ ! -f "$b/sqlite3.c" || ! -f "$b/shell.c" ]]; then
    (cd "$b" && "$src/configure" --disable-tcl >/dev/null && make -j"$JOBS" sqlite3.c shell.c >/dev/null)
  fi
  "$CC" "${WASI_CFLAGS[@]}" -I"$b" -I"$shim" -include "$shim/sqlite_wasi.h" \
    -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
    -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_OMIT_POPEN \
    -DSQLITE_NOHAVE_SYSTEM -DHAVE_READLINE=0 -DSQLITE_TEMP_STORE=3 \
    "$b/sqlite3.c" "$b/shell.c" "$shim/wasi_stubs.c" -o "$out/sqlite3.wasm" "${WASI_LDFLAGS[@]}"
}

build_nasm() {
  local src; src="$(fetch nasm 2.16.01-1)"
  local b="$work/build/nasm"
  # nasm builds only in its source tree; a copy keeps the fetched tree pristine
  rm -rf "$b"; mkdir -p "$work/build"; cp -a "$src" "$b"
  (cd "$b" \
     && CC="$CC --target=wasm32-wasi" AR="$AR" RANLIB="$RANLIB" \
        CFLAGS="${WASI_CFLAGS[*]:1}" LDFLAGS="-Wl,--strip-debug" \
        LIBS="-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid" \
        ./configure --host=wasm32-wasi --build="$(gcc -dumpmachine)" >/dev/null \
     && make -j"$JOBS" nasm >/dev/null)
  cp "$b/nasm" "$out/nasm.wasm"
}

build_cmark() {
  local src; src="$(fetch cmark 0.30.2-6)"
  local g="$work/build/cmark"
  mkdir -p "$g"
  # the three headers CMake would generate
  sed 's/#cmakedefine \(.*\)/#define \1/' "$src/src/config.h.in" > "$g/config.h"
  sed -e 's/@PROJECT_VERSION_MAJOR@/0/; s/@PROJECT_VERSION_MINOR@/30/; s/@PROJECT_VERSION_PATCH@/2/' \
      -e 's/@PROJECT_VERSION@/0.30.2/' "$src/src/cmark_version.h.in" > "$g/cmark_version.h"
  printf '#ifndef CMARK_EXPORT_H\n#define CMARK_EXPORT_H\n#define CMARK_EXPORT\n#endif\n' \
    > "$g/cmark_export.h"
  "$CC" "${WASI_CFLAGS[@]}" -I"$g" -I"$src/src" "$src"/src/*.c -o "$out/cmark.wasm" \
    "${WASI_LDFLAGS[@]}"
}

all=(lua zstd sqlite3 nasm cmark)
if [[ "${1:-}" == --add-deb-src ]]; then add_deb_src; exit 0; fi
mkdir -p "$out"
names=("$@")
((${#names[@]})) || names=("${all[@]}")
for name in "${names[@]}"; do
  declare -F "build_$name" >/dev/null || die "unknown program $name (one of: ${all[*]})"
  echo "building $name.wasm" >&2
  "build_$name"
  ls -l "$out/$name.wasm" >&2
done
