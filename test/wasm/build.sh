#!/usr/bin/env bash
# Rebuild all Wasm test programs (and the shipped demo) from source.
#
#   test/wasm/src/*.c    -> test/wasm/<name>.wasm        (clang --target=wasm32-wasi)
#   test/wasm/src/*.wat  -> test/wasm/<name>.wasm        (wat2wasm)
#   resources/clj_wasi/demo.c -> resources/clj_wasi/demo.wasm
#
# Needs: clang (with wasm32 target + lld), wasi-libc sysroot, and
# libclang-rt wasm32 builtins (Debian: clang lld wasi-libc
# libclang-rt-14-dev-wasm32), plus wabt for wat2wasm. Set CC / WAT2WASM /
# WASI_SYSROOT to override. Safe to re-run; outputs are overwritten.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

CC="${CC:-clang}"
WAT2WASM="${WAT2WASM:-wat2wasm}"
CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra -s -Wl,--strip-all)
if [[ -n "${WASI_SYSROOT:-}" ]]; then
  CFLAGS+=(--sysroot="$WASI_SYSROOT")
fi

build_c() {   # src out
  echo "cc   $(realpath --relative-to="$root" "$1") -> $(realpath --relative-to="$root" "$2")"
  "$CC" "${CFLAGS[@]}" "$1" -o "$2"
  chmod 644 "$2"   # clang marks outputs executable; keep git modes uniform
}

build_c_simd() { # src out  -- 128-bit SIMD (-msimd128); compiled and linked in two steps
  # so that clang does not run a wasm-opt that lacks --enable-simd on the result
  echo "cc   $(realpath --relative-to="$root" "$1") -> $(realpath --relative-to="$root" "$2") (-msimd128)"
  local obj; obj="$(mktemp --suffix=.o)"
  "$CC" "${CFLAGS[@]}" -Wno-unused-command-line-argument -msimd128 -c "$1" -o "$obj"
  "$CC" --target=wasm32-wasi ${WASI_SYSROOT:+--sysroot="$WASI_SYSROOT"} -s -Wl,--strip-all "$obj" -o "$2"
  rm -f "$obj"
  chmod 644 "$2"
}

build_c_nowasmopt() { # src out -- compiled and linked in two steps, so that clang runs no
  # wasm-opt on the result (it takes many minutes on tier_hot's 10,000-statement function)
  echo "cc   $(realpath --relative-to="$root" "$1") -> $(realpath --relative-to="$root" "$2") (no wasm-opt)"
  local obj; obj="$(mktemp --suffix=.o)"
  "$CC" "${CFLAGS[@]}" -Wno-unused-command-line-argument -c "$1" -o "$obj"
  "$CC" --target=wasm32-wasi ${WASI_SYSROOT:+--sysroot="$WASI_SYSROOT"} -s -Wl,--strip-all "$obj" -o "$2"
  rm -f "$obj"
  chmod 644 "$2"
}

build_wat() { # src out [extra wat2wasm flags]
  echo "wat  $(realpath --relative-to="$root" "$1") -> $(realpath --relative-to="$root" "$2")"
  "$WAT2WASM" --enable-exceptions --enable-threads --enable-tail-call "${@:3}" "$1" -o "$2"
}

shopt -s nullglob
for src in "$here"/src/*.c; do
  case "$(basename "$src")" in
    simd_*.c) # both variants: <name>.wasm with SIMD, <name>_scalar.wasm without
      build_c_simd "$src" "$here/$(basename "${src%.c}").wasm"
      build_c "$src" "$here/$(basename "${src%.c}")_scalar.wasm" ;;
    reactor_*.c) # a reactor: _initialize instead of _start, exports called one by one
      CFLAGS_SAVED=("${CFLAGS[@]}"); CFLAGS+=(-mexec-model=reactor)
      build_c "$src" "$here/$(basename "${src%.c}").wasm"
      CFLAGS=("${CFLAGS_SAVED[@]}") ;;
    tier_*.c) build_c_nowasmopt "$src" "$here/$(basename "${src%.c}").wasm" ;;
    *) build_c "$src" "$here/$(basename "${src%.c}").wasm" ;;
  esac
done
for src in "$here"/src/*.wat; do
  case "$(basename "$src")" in
    invalid_*.wat) # deliberately invalid: not validated by wat2wasm
      build_wat "$src" "$here/$(basename "${src%.wat}").wasm" --no-check ;;
    *) build_wat "$src" "$here/$(basename "${src%.wat}").wasm" ;;
  esac
done
build_c "$root/resources/clj_wasi/demo.c" "$root/resources/clj_wasi/demo.wasm"

echo "done."
