#!/bin/sh
# Converts the WebAssembly spec test suite's .wast files into what
# clj-wasi.wasm-spec-test runs: test/spec/suite/NAME/NAME.json.gz (wast2json's commands,
# gzipped) and the binary modules NAME.N.wasm beside it. Text modules (the .wat files
# wast2json writes for assert_malformed of quoted text) are not kept: they test the
# text format, which no engine reads. Every file but those in skipped.edn is converted.
# Where Debian's wast2json 1.0.32 cannot parse some commands (newer text syntax: try_table,
# exnref, (ref null func)...), two converters try the file and the one that keeps more
# commands is used: wast2json.js (libwabt.js, the WebAssembly build of wabt $WABT_JS,
# installed with npm into a temporary directory) and salvage.py (Debian's wast2json on
# the file with what it cannot parse taken out). Either writes the commands it leaves out,
# with the reason, to NAME/dropped.txt; suite/converters.txt says which converted which
# file. A file of which nothing can be converted fails the build until skipped.edn lists
# it with a reason. Also builds spectest.wasm, the module the tests import "spectest" from.
#
#   test/spec/build.sh [SUITE_DIR]    (default /work/shared/reference/wasm-spec-testsuite)
#
# Needs Debian's wabt (wast2json, wat2wasm), python3, gzip, node and npm.
set -eu
WABT_JS=1.0.39 # the npm package "wabt" (libwabt.js), pinned: its parser decides what converts
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:-/work/shared/reference/wasm-spec-testsuite}
out="$here/suite"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

commands() { # the number of commands of wast2json-style json $1 (0 when there is none)
  [ -f "$1" ] || { echo 0; return; }
  python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["commands"]))' "$1"
}
libwabt() { # libwabt.js's index.js, installed on first use
  if [ ! -f "$tmp/npm/node_modules/wabt/index.js" ]; then
    npm install --silent --no-save --no-audit --no-fund --prefix "$tmp/npm" "wabt@$WABT_JS" >&2
  fi
  echo "$tmp/npm/node_modules/wabt/index.js"
}

wat2wasm "$here/spectest.wat" -o "$here/spectest.wasm"
rm -rf "$out"
mkdir -p "$out"
echo "# the files Debian's wast2json 1.0.32 cannot convert whole, and what converted them (build.sh)" >"$tmp/converters.txt"
failed=0
for wast in "$suite"/*.wast; do
  file=$(basename "$wast")
  name=${file%.wast}
  if grep -q "^ *\"$file\" " "$here/skipped.edn"; then continue; fi
  mkdir -p "$tmp/$name"
  if ! wast2json --enable-all -o "$tmp/$name/$name.json" "$wast" 2>"$tmp/$name.err"; then
    # newer syntax in some commands: the converter that keeps more of them
    rm -rf "$tmp/$name"
    node "$here/wast2json.js" "$(libwabt)" "$wast" "$tmp/wabt-js/$name" 2>"$tmp/$name.err" || true
    python3 "$here/salvage.py" "$wast" "$tmp/salvage/$name" 2>>"$tmp/$name.err" || true
    by_js=$(commands "$tmp/wabt-js/$name/$name.json")
    by_salvage=$(commands "$tmp/salvage/$name/$name.json")
    if [ "$by_js" = 0 ] && [ "$by_salvage" = 0 ]; then
      echo "cannot convert $file (list it in skipped.edn with the reason):" >&2
      head -3 "$tmp/$name.err" >&2
      failed=1
      continue
    fi
    if [ "$by_js" -ge "$by_salvage" ]; then
      tool="wast2json.js (libwabt.js $WABT_JS)"; mv "$tmp/wabt-js/$name" "$tmp/$name"
    else
      tool="salvage.py (Debian's wast2json 1.0.32)"; mv "$tmp/salvage/$name" "$tmp/$name"
    fi
    dropped=$(cat "$tmp/$name/dropped.txt" 2>/dev/null | wc -l)
    printf '%s\t%s: %s commands, %s dropped (wast2json.js: %s, salvage.py: %s)\n' \
      "$file" "$tool" "$(commands "$tmp/$name/$name.json")" "$dropped" "$by_js" "$by_salvage" \
      | tee -a "$tmp/converters.txt"
  fi
  rm -f "$tmp/$name"/*.wat
  # the json names the source by its absolute path: keep the file name only
  sed -i "1s|\"source_filename\": \"[^\"]*/|\"source_filename\": \"|" "$tmp/$name/$name.json"
  gzip -n -9 "$tmp/$name/$name.json"
  mv "$tmp/$name" "$out/$name"
done
[ "$failed" = 0 ] || exit 1
mv "$tmp/converters.txt" "$out/converters.txt"
echo "converted $(find "$out" -mindepth 1 -type d | wc -l) files into $out ($(du -sh "$out" | cut -f1))"
