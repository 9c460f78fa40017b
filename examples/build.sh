#!/usr/bin/env bash
# Rebuilds the examples' .wasm files (they are committed; nothing needs this to run).
# Needs clang with the wasm32-wasi target and wasi-libc, and wabt's wat2wasm
# (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CC="${CC:-clang}"
cc() { "$CC" --target=wasm32-wasi -O2 -Wall -Wextra -s -Wl,--strip-all "$1" -o "$2"; chmod 644 "$2"; echo "cc   $1 -> $2"; }
cc hello/hello.c hello/hello.wasm
cc files-property/tac.c files-property/tac.wasm
"${WAT2WASM:-wat2wasm}" host-import/add.wat -o host-import/add.wasm && echo "wat  host-import/add.wat -> host-import/add.wasm"
