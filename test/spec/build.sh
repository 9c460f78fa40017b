#!/bin/sh
# Converts the WebAssembly spec test suite's .wast files into what
# clj-wasi.wasm-spec-test runs: test/spec/suite/NAME/NAME.json.gz (wast2json's commands,
# gzipped) and the binary modules NAME.N.wasm beside it. Text modules (the .wat files
# wast2json writes for assert_malformed of quoted text) are not kept: they test the
# text format, which no engine reads. Every file but those in skipped.edn is converted.
# Where wast2json cannot parse some commands (newer text syntax), salvage.py converts the
# others and writes the dropped ones, with the reason, to NAME/dropped.txt; a file of
# which nothing can be converted fails the build until skipped.edn lists it with a reason.
# Also builds spectest.wasm, the module the tests import "spectest" from.
#
#   test/spec/build.sh [SUITE_DIR]    (default /work/shared/reference/wasm-spec-testsuite)
#
# Needs Debian's wabt (wast2json, wat2wasm), python3 and gzip.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:-/work/shared/reference/wasm-spec-testsuite}
out="$here/suite"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wat2wasm "$here/spectest.wat" -o "$here/spectest.wasm"
rm -rf "$out"
mkdir -p "$out"
failed=0
for wast in "$suite"/*.wast; do
  file=$(basename "$wast")
  name=${file%.wast}
  if grep -q "^ *\"$file\" " "$here/skipped.edn"; then continue; fi
  mkdir -p "$tmp/$name"
  if ! wast2json --enable-all -o "$tmp/$name/$name.json" "$wast" 2>"$tmp/$name.err"; then
    # newer syntax in some commands: convert the rest (dropped.txt says what was dropped)
    rm -rf "$tmp/$name"
    if ! python3 "$here/salvage.py" "$wast" "$tmp/$name" 2>"$tmp/$name.err"; then
      echo "cannot convert $file (list it in skipped.edn with the reason):" >&2
      head -3 "$tmp/$name.err" >&2
      failed=1
      continue
    fi
    echo "$file: $(wc -l <"$tmp/$name/dropped.txt") commands dropped (see $name/dropped.txt)"
  fi
  rm -f "$tmp/$name"/*.wat
  # the json names the source by its absolute path: keep the file name only
  sed -i "1s|\"source_filename\": \"[^\"]*/|\"source_filename\": \"|" "$tmp/$name/$name.json"
  gzip -n -9 "$tmp/$name/$name.json"
  mv "$tmp/$name" "$out/$name"
done
[ "$failed" = 0 ] || exit 1
echo "converted $(ls "$out" | wc -l) files into $out ($(du -sh "$out" | cut -f1))"
