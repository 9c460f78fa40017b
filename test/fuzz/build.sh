#!/usr/bin/env bash
# Regenerates the differential-fuzzing corpus (test/fuzz/corpus/*.wasm) from seeds:
# binaryen's wasm-opt --translate-to-fuzz turns seeded pseudo-random bytes into a valid
# module, and the modules clj-wasi loads and instantiates with the fuzz harness's
# imports are kept. Deterministic for one binaryen version (the committed corpus was
# made with wasm-opt version 108): the same seeds give byte-identical modules.
#
#   test/fuzz/build.sh                       # seeds 1..1000 (+ regressions) into test/fuzz/corpus
#   test/fuzz/build.sh --first 1000 --count 50 --out /tmp/fresh --no-filter
#
# Every module is instrumented with --denan (below). Each seed picks a feature group (seed mod 4) and an input size (600..3600 bytes: small
# modules, each still with a dozen functions):
#   base  MVP + sign-ext, non-trapping float-to-int, multi-value, bulk memory, mutable globals
#   tail  base + tail calls (the hybrid mode of :auto: tail-calling functions interpreted)
#   simd  base + SIMD + tail calls (the project's interpreter is the reference)
#   ref   base + reference types (binaryen 108's reference types predate the final spec:
#         most such modules are invalid and dropped by the filter)
# Not used: threads, memory64, GC, exception handling (binaryen 108 emits none of the
# latter's instructions in fuzz modules).
#
# Needs wasm-opt (Debian: binaryen) and openssl; the filter runs the JVM with the test
# classpath (bin/clojure -A:test -Spath). The tests need none of this.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
WASM_OPT="${WASM_OPT:-wasm-opt}"

first=1
count=1000
out="$here/corpus"
# seeds beyond the range that found bugs (docs/TESTING.md): the corpus keeps them
regressions=(5001440 7000621)
filter=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --first) first="$2"; regressions=(); shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-filter) filter=0; shift ;;
    *) echo "usage: $0 [--first SEED] [--count N] [--out DIR] [--no-filter]" >&2; exit 2 ;;
  esac
done

base=(--enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue
      --enable-bulk-memory --enable-mutable-globals)
groups=(base tail simd ref)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/candidates"

for seed in $(seq "$first" $((first + count - 1))) "${regressions[@]}"; do
  group="${groups[$((seed % 4))]}"
  size=$((600 + (seed * 577) % 3000))
  case "$group" in
    base) flags=("${base[@]}") ;;
    tail) flags=("${base[@]}" --enable-tail-call) ;;
    simd) flags=("${base[@]}" --enable-simd --enable-tail-call) ;;
    ref)  flags=("${base[@]}" --enable-reference-types) ;;
  esac
  # the seed's bytes: an AES-CTR keystream keyed by the seed (any deterministic stream would do)
  openssl enc -aes-256-ctr -pbkdf2 -nosalt -pass "pass:clj-wasi-fuzz-$seed" -in /dev/zero 2>/dev/null \
    | head -c "$size" > "$work/input" || true
  # --denan (a second run: it cannot instrument while translating) turns every NaN a float
  # operation makes into 0: NaN payloads are nondeterministic in the spec (Chicory's
  # interpreter and compiler do differ, e.g. in f64.max of two NaNs), and through
  # reinterpretations and stores they would reach results and memory
  { "$WASM_OPT" "$work/input" --translate-to-fuzz "${flags[@]}" -o "$work/fuzz.wasm" \
      && "$WASM_OPT" "$work/fuzz.wasm" "${flags[@]}" --denan \
           -o "$work/candidates/$group-$seed.wasm"; } 2>/dev/null \
    || echo "seed $seed: wasm-opt failed, skipped" >&2
done

mkdir -p "$out"
if [[ "$filter" == 1 ]]; then
  rm -f "$out"/*.wasm
  cp="$(cd "$root" && bin/clojure -A:test -Spath 2>/dev/null | tail -1)"
  (cd "$root" && java -cp "$cp" clojure.main -m clj-wasi.fuzz-harness keep "$work/candidates" "$out")
else
  cp "$work/candidates"/*.wasm "$out"/
fi
echo "$(ls "$out"/*.wasm | wc -l) modules, $(du -cb "$out"/*.wasm | tail -1 | cut -f1) bytes in $out"
