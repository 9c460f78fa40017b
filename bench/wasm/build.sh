#!/usr/bin/env bash
# Rebuild the benchmark programs from source (the built .wasm files are committed).
#
#   bench/wasm/src/*.c    -> bench/wasm/<name>.wasm    (clang --target=wasm32-wasi -O2)
#   bench/wasm/src/*.wat  -> bench/wasm/<name>.wasm    (wat2wasm)
#
# Needs (Debian/Ubuntu): clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt.
# Override with CC=..., WAT2WASM=..., WASI_SYSROOT=/path/to/wasi-sysroot.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

CC="${CC:-clang}"
WAT2WASM="${WAT2WASM:-wat2wasm}"
CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra -s -Wl,--strip-all)
if [[ -n "${WASI_SYSROOT:-}" ]]; then
  CFLAGS+=(--sysroot="$WASI_SYSROOT")
fi

shopt -s nullglob
for src in "$here"/src/*.c; do
  out="$here/$(basename "${src%.c}").wasm"
  echo "cc   $(realpath --relative-to="$root" "$src") -> $(realpath --relative-to="$root" "$out")"
  "$CC" "${CFLAGS[@]}" "$src" -o "$out" -lm
  chmod 644 "$out"
done
for src in "$here"/src/*.wat; do
  out="$here/$(basename "${src%.wat}").wasm"
  echo "wat  $(realpath --relative-to="$root" "$src") -> $(realpath --relative-to="$root" "$out")"
  "$WAT2WASM" "$src" -o "$out"
done
echo "done."
