#!/usr/bin/env bash
# Rebuild the benchmark programs from source (the built .wasm files are committed).
#
#   bench/wasm/src/*.c    -> bench/wasm/<name>.wasm    (clang --target=wasm32-wasi -O2)
#   bench/wasm/src/simd_*.c                             (the same, plus -msimd128)
#   bench/wasm/src/*.wat  -> bench/wasm/<name>.wasm    (wat2wasm)
#
# Needs (Debian/Ubuntu): clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt.
# Override with CC=..., WAT2WASM=..., WASI_SYSROOT=/path/to/wasi-sysroot.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

CC="${CC:-clang}"
WAT2WASM="${WAT2WASM:-wat2wasm}"
CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra)
if [[ -n "${WASI_SYSROOT:-}" ]]; then
  CFLAGS+=(--sysroot="$WASI_SYSROOT")
fi

shopt -s nullglob
for src in "$here"/src/*.c; do
  out="$here/$(basename "${src%.c}").wasm"
  echo "cc   $(realpath --relative-to="$root" "$src") -> $(realpath --relative-to="$root" "$out")"
  case "$(basename "$src")" in
    # clang runs wasm-opt (when on PATH) after linking; it learns the module's features from
    # the target_features section, which --strip-all would remove: strip only debug info
    simd_*) flags=("${CFLAGS[@]}" -msimd128 -Wl,--strip-debug) ;;
    *) flags=("${CFLAGS[@]}" -s -Wl,--strip-all) ;;
  esac
  "$CC" "${flags[@]}" "$src" -o "$out" -lm
  chmod 644 "$out"
done
for src in "$here"/src/*.wat; do
  out="$here/$(basename "${src%.wat}").wasm"
  echo "wat  $(realpath --relative-to="$root" "$src") -> $(realpath --relative-to="$root" "$out")"
  "$WAT2WASM" "$src" -o "$out"
done
echo "done."
