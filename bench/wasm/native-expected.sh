#!/usr/bin/env bash
# Prints what the kernels print when the same C is built natively (clang -O2 for the host),
# for the workloads the benchmark runs. bench/clj_wasi/bench.clj computes most expected
# outputs on the JVM; lz77's (and nbody's) come from this script: paste its lines there.
#
#   bench/wasm/native-expected.sh lz77 "256 1" "2048 5"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="$1"; shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${CC:-clang}" -O2 -Wall "$here/src/$name.c" -o "$tmp/$name" -lm
for args in "$@"; do
  # shellcheck disable=SC2086  # each argument is one workload's argument list
  "$tmp/$name" $args
done
