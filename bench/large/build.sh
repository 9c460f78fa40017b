#!/usr/bin/env bash
# Builds the large-module benchmarks of issue 8 into bench/out/large/ (git-ignored).
#
#   bench/large/build.sh [SIZES...]     default: 54 75   (approximate MB of Wasm)
#
#   large<SIZE>.wasm  generated C (bench/large/gen_large.py), clang --target=wasm32-wasi -O2:
#                     54 -> 50,000 functions (~54 MB), 75 -> 70,000 functions (~75 MB),
#                     8 -> 7,500 functions (~8 MB, a quick one); any other N -> N*1000 functions.
#
# Objects are cached by the hash of their generated source (bench/out/large/obj), so the
# 75 MB module reuses the 54 MB one's objects. Needs clang, lld, wasi-libc, python3.
# clang takes ~16 ms per generated function: the first build of both sizes takes
# ~10 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/bench/out/large"
CC="${CC:-clang}"
CFLAGS=(--target=wasm32-wasi -O2 ${WASI_SYSROOT:+--sysroot="$WASI_SYSROOT"})
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$out/obj"

build_generated() { # size
  local size="$1" n
  case "$size" in
    8) n=7500 ;; 54) n=50000 ;; 75) n=70000 ;; *) n=$((size * 1000)) ;;
  esac
  local src="$out/src-$n"
  rm -rf "$src"; mkdir -p "$src"
  python3 "$here/gen_large.py" "$n" "$src"
  local objs=() todo=()
  for c in "$src"/*.c; do
    local h; h="$(sha1sum "$c" | cut -c1-16)"
    local o="$out/obj/$h.o"
    objs+=("$o")
    [[ -f "$o" ]] || todo+=("$c=$o")
  done
  echo "large$size: $n functions, ${#todo[@]} of ${#objs[@]} objects to compile"
  printf '%s\n' "${todo[@]}" | xargs -r -P "$JOBS" -I{} bash -c \
    'c="${1%%=*}"; o="${1#*=}"; '"$CC"' '"${CFLAGS[*]}"' -c "$c" -o "$o.tmp" && mv "$o.tmp" "$o"' _ {}
  # link without -O: with -O, Debian's clang runs wasm-opt on the result (slow at this size)
  "$CC" --target=wasm32-wasi ${WASI_SYSROOT:+--sysroot="$WASI_SYSROOT"} -s -Wl,--strip-all \
    "${objs[@]}" -o "$out/large$size.wasm"
  chmod 644 "$out/large$size.wasm"
  ls -l "$out/large$size.wasm"
}

sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(54 75)
for s in "${sizes[@]}"; do build_generated "$s"; done
